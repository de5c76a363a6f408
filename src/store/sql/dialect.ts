// The few things SQLite and Postgres say differently, named once; every query in ../queries/ is written once
// over them, and the two backends (../sqlite-store.ts, ../postgres-store.ts) keep only what is theirs: the
// connection or pool, transactions, retries, and SQLite's writer thread.
//
// How a query is added (a `models` registry, a log spool, API key scopes, a purge over every table):
// 1. A new table or column is a migration in ../migrations.ts, appended to both lists (column types differ:
//    INTEGER/BIGINT for ms times, REAL/DOUBLE PRECISION, AUTOINCREMENT/BIGSERIAL, and a `seq` column on
//    Postgres where rows need SQLite's rowid order, see `insertionOrder`).
// 2. The query goes in ../queries/<table or concern>.ts, beside its row type and the mapping to the record:
//    a generator function that yields its statements, written with the `sql` tag (values are always bound):
//
//      export function* getModel(version: string): Query<ModelRecord | undefined> {
//        const row = yield* get<ModelRow>(sql`SELECT * FROM models WHERE version = ${version}`);
//        return row === undefined ? undefined : modelFromRow(row);
//      }
//
//    `all`, `get`, `run`, `exec` and `together` are in query.ts. Being a generator is what lets one body run
//    synchronously inside a SQLite transaction (better-sqlite3 is synchronous, and nothing else may run on the
//    connection mid-transaction) and asynchronously over a Postgres pool. RETURNING, ON CONFLICT … DO UPDATE
//    (upserts), window functions and FILTER are spelt alike by both and need nothing here.
// 3. Where the spelling differs, add a member to `SqlDialect` and implement it in both dialects below, e.g. a
//    boolean (SQLite has none: 0/1) or JSON (TEXT there, JSONB here): a function that turns the value into a
//    `Sql` fragment or `SqlValue`, and one that reads the column back.
// 4. The Store method: in ../types.ts, and its body in ../sql-store.ts, which checks the input and runs the
//    query: `run` for statements on their own, `transaction` for writes that land together or not at all.
// The contract suites in test/store/ run every Store method on both backends; a new method gets its test there.

import { type Migration, postgresMigrations, sqliteMigrations } from "../migrations.js";
import { raw, type Sql } from "./sql.js";

export interface SqlDialect {
  /** "sqlite" or "postgres", for messages. */
  readonly name: "sqlite" | "postgres";
  /** The placeholder of a statement's `position`-th value, from 1. */
  placeholder(position: number): string;
  /**
   * The column that orders rows created in the same millisecond in the order they were inserted: SQLite's
   * rowid, and the `seq` column Postgres tables carry for it.
   */
  readonly insertionOrder: Sql;
  /**
   * How an INSERT of a batch of rows starts, for batches whose statements run where a refused row undoes them
   * all (one transaction on SQLite; each statement is atomic on Postgres).
   */
  readonly batchInsertVerb: string;
  /**
   * Whether the database computes nearest-rank percentiles of groups and of the whole range in one pass
   * (`percentile_disc`, `GROUPING SETS`). Where not, the summary reads each bucket's latencies sorted, through
   * the aggregate in sqlite-functions.ts, and picks the percentiles itself.
   */
  readonly hasPercentiles: boolean;
  /**
   * Whether the planner orders joins from statistics of its own. Where not (SQLite keeps none unless ANALYZE
   * runs), queries fix the order with CROSS JOIN and choose it from the tables' sizes.
   */
  readonly plansJoins: boolean;
  /** The schema, version by version. */
  readonly migrations: readonly Migration[];
}

export const sqliteDialect: SqlDialect = {
  name: "sqlite",
  placeholder: () => "?",
  insertionOrder: raw("rowid"),
  // "OR FAIL" is safe only because every batch runs inside a transaction, which a refused row rolls back
  // whole, batch-mates included. With the default ABORT, SQLite would also journal every page a multi-row
  // INSERT touches, to be able to undo that statement alone: measured, that made 64 rows in one statement
  // cost more than 64 one-row INSERTs.
  batchInsertVerb: "INSERT OR FAIL",
  hasPercentiles: false,
  plansJoins: false,
  migrations: sqliteMigrations,
};

export const postgresDialect: SqlDialect = {
  name: "postgres",
  placeholder: (position) => `$${position}`,
  insertionOrder: raw("seq"),
  batchInsertVerb: "INSERT",
  hasPercentiles: true,
  plansJoins: true,
  migrations: postgresMigrations,
};
