// The conditions of a range read (a use case, a time range), shared by the queries of every table that has the
// columns `use_case_id` and `created_at`.

import { raw, type Sql, sql } from "../sql/sql.js";

export interface RangeFilter {
  useCaseId?: string | undefined;
  since?: number | undefined;
  until?: number | undefined;
}

/** WHERE conditions for a range on `use_case_id` and `created_at` of `table` (an alias, or "" for none). */
export function rangeConditions(filter: RangeFilter, table = ""): Sql[] {
  const column = (name: string) => raw(table === "" ? name : `${table}.${name}`);
  const conditions: Sql[] = [];
  if (filter.useCaseId !== undefined) conditions.push(sql`${column("use_case_id")} = ${filter.useCaseId}`);
  if (filter.since !== undefined) conditions.push(sql`${column("created_at")} >= ${wholeMs(filter.since)}`);
  if (filter.until !== undefined) conditions.push(sql`${column("created_at")} < ${wholeMs(filter.until)}`);
  return conditions;
}

/**
 * A bound of a whole-ms time column: times are whole ms, so rounding a fractional bound up keeps ">= since"
 * and "< until" exact, and Postgres' BIGINT would refuse the fraction.
 */
export function wholeMs(time: number): number {
  return Math.ceil(time);
}
