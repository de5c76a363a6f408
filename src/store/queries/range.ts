// The conditions of a range read (a use case, a time range), shared by the queries of every table with the
// columns `use_case_id` and `created_at`.

import { raw, type Sql, sql } from "../sql/sql.js";

export interface RangeFilter {
  useCaseId?: string | undefined;
  since?: number | undefined;
  until?: number | undefined;
}

/** WHERE conditions for a range on `use_case_id` and `created_at` of `table` (an alias, or "" for none). */
export function rangeConditions(filter: RangeFilter, table = ""): Sql[] {
  const { useCase, createdAt } = columnsOf(table);
  const conditions: Sql[] = [];
  if (filter.useCaseId !== undefined) conditions.push(sql`${useCase} = ${filter.useCaseId}`);
  if (filter.since !== undefined) conditions.push(sql`${createdAt} >= ${wholeMs(filter.since)}`);
  if (filter.until !== undefined) conditions.push(sql`${createdAt} < ${wholeMs(filter.until)}`);
  return conditions;
}

// The columns per alias, made once: range reads build their conditions on every call.
const columnsOfAlias = new Map<string, { useCase: Sql; createdAt: Sql }>();

function columnsOf(table: string): { useCase: Sql; createdAt: Sql } {
  let columns = columnsOfAlias.get(table);
  if (columns === undefined) {
    const prefix = table === "" ? "" : `${table}.`;
    columns = { useCase: raw(`${prefix}use_case_id`), createdAt: raw(`${prefix}created_at`) };
    columnsOfAlias.set(table, columns);
  }
  return columns;
}

/**
 * A bound of a whole-ms time column: times are whole ms, so rounding a fractional bound up keeps ">= since"
 * and "< until" exact, and Postgres' BIGINT would refuse the fraction.
 */
export function wholeMs(time: number): number {
  return Math.ceil(time);
}
