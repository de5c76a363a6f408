// Applies the schema's pending migrations (see ../migrations.ts), the same steps on every backend.

import { type Migration, migrationsTableSql } from "../migrations.js";
import { all, exec, type Query, run } from "../sql/query.js";
import { sql } from "../sql/sql.js";

/** Runs every migration not yet recorded, in order, and records it. Run it in one transaction. */
export function* applyMigrations(migrations: readonly Migration[]): Query<void> {
  yield* exec(migrationsTableSql);
  const applied = yield* all<{ version: number }>(sql`SELECT version FROM schema_migrations`);
  const done = new Set(applied.map((row) => row.version));
  for (const migration of migrations) {
    if (done.has(migration.version)) continue;
    yield* exec(migration.sql);
    yield* run(
      sql`INSERT INTO schema_migrations (version, name, applied_at)
VALUES (${migration.version}, ${migration.name}, ${Date.now()})`,
    );
  }
}
