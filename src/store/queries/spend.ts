// Spend (`spend`): USD per scope (`usecase:support`, `key:<id>`) and UTC day, which budgets read.

import { get, type Query, run } from "../sql/query.js";
import { sql } from "../sql/sql.js";

/** The UTC calendar day of a time, `YYYY-MM-DD`: spend is kept per day, and these strings sort by date. */
export function utcDay(at: number): string {
  return new Date(at).toISOString().slice(0, 10);
}

export function* addSpend(scope: string, usd: number, at: number): Query<void> {
  yield* run(
    sql`INSERT INTO spend (scope, day, usd) VALUES (${scope}, ${utcDay(at)}, ${usd})
ON CONFLICT (scope, day) DO UPDATE SET usd = spend.usd + excluded.usd`,
  );
}

/** Spend of a scope from the UTC day of `since` on. */
export function* getSpend(scope: string, since: number): Query<number> {
  const row = yield* get<{ usd: number }>(
    sql`SELECT COALESCE(SUM(usd), 0) AS usd FROM spend WHERE scope = ${scope} AND day >= ${utcDay(since)}`,
  );
  return row?.usd ?? 0;
}
