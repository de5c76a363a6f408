// The request log (`requests`): the row of a served request, the INSERT its batches are written with, and the
// reads of it.

import type { AnsweredBy } from "../../types.js";
import type { SqlDialect } from "../sql/dialect.js";
import { all, get, type Query } from "../sql/query.js";
import { batchInsertSql, raw, sql, where } from "../sql/sql.js";
import type { ListRequestsFilter, RequestLogEntry } from "../types.js";
import { rangeConditions } from "./range.js";

/** The `requests` columns in insert order; `requestValues` returns values in this order. */
export const requestColumns = [
  "id",
  "use_case_id",
  "api_key_id",
  "created_at",
  "input_hash",
  "input_text",
  "answered_by",
  "reason",
  "label",
  "confidence",
  "threshold",
  "slm_label",
  "slm_confidence",
  "llm_label",
  "latency_ms",
  "input_tokens",
  "output_tokens",
  "cost_usd",
  "model_version",
  "unknown_share",
  "input_chars",
] as const;

export type RequestValues = (string | number | null)[];

/**
 * A copy of the entry's values taken when it is logged, so a caller that reuses the object cannot change
 * what gets written. `?? null` forgives an `undefined` from untyped callers instead of refusing the row.
 */
export function requestValues(entry: RequestLogEntry): RequestValues {
  return [
    entry.id,
    entry.useCaseId,
    entry.apiKeyId ?? null,
    entry.createdAt,
    entry.inputHash,
    entry.inputText ?? null,
    entry.answeredBy,
    entry.reason,
    entry.label ?? null,
    entry.confidence ?? null,
    entry.threshold ?? null,
    entry.slmLabel ?? null,
    entry.slmConfidence ?? null,
    entry.llmLabel ?? null,
    entry.latencyMs,
    entry.inputTokens,
    entry.outputTokens,
    entry.costUsd,
    entry.modelVersion ?? null,
    // Optional signals: a value that is not a finite number is recorded as unknown rather than costing the
    // row (Postgres' INTEGER would refuse 12.5, and SQLite would keep NaN as NULL anyway).
    finiteOrNull(entry.unknownShare),
    wholeOrNull(entry.inputChars),
  ];
}

function finiteOrNull(value: number | null | undefined): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

function wholeOrNull(value: number | null | undefined): number | null {
  const finite = finiteOrNull(value);
  return finite === null ? null : Math.round(finite);
}

/**
 * The log's INSERT, in parts, for the backends that cut a batch into statements of it (SQLite's worker takes
 * the text, not this module). A row logged twice under one id keeps the first: Postgres does so by itself,
 * and SQLite inserts a multi-row INSERT's rows in order. Not "OR IGNORE" on SQLite: that would also swallow
 * NOT NULL violations silently instead of reporting the refused row. ON CONFLICT also makes a retried batch
 * (whose first try committed but whose reply was lost) a no-op: a row is written exactly once.
 */
export const requestInsert = {
  table: "requests",
  columns: requestColumns,
  conflictClause: "ON CONFLICT (id) DO NOTHING",
} as const;

/** The INSERT of `rowCount` log rows, whose values are bound in `requestColumns` order, row after row. */
export function insertRequestsSql(dialect: SqlDialect, rowCount: number): string {
  const { table, columns, conflictClause } = requestInsert;
  return batchInsertSql(dialect, table, columns, rowCount, conflictClause);
}

export interface RequestRow {
  id: string;
  use_case_id: string;
  api_key_id: string | null;
  created_at: number;
  input_hash: string;
  input_text: string | null;
  answered_by: string;
  reason: string;
  label: string | null;
  confidence: number | null;
  threshold: number | null;
  slm_label: string | null;
  slm_confidence: number | null;
  llm_label: string | null;
  latency_ms: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  model_version: string | null;
  unknown_share: number | null;
  input_chars: number | null;
}

export function requestFromRow(row: RequestRow): RequestLogEntry {
  return {
    id: row.id,
    useCaseId: row.use_case_id,
    apiKeyId: row.api_key_id,
    createdAt: row.created_at,
    inputHash: row.input_hash,
    inputText: row.input_text,
    answeredBy: row.answered_by as AnsweredBy,
    reason: row.reason,
    label: row.label,
    confidence: row.confidence,
    threshold: row.threshold,
    slmLabel: row.slm_label,
    slmConfidence: row.slm_confidence,
    llmLabel: row.llm_label,
    latencyMs: row.latency_ms,
    inputTokens: row.input_tokens,
    outputTokens: row.output_tokens,
    costUsd: row.cost_usd,
    modelVersion: row.model_version,
    unknownShare: row.unknown_share ?? null,
    inputChars: row.input_chars ?? null,
  };
}

export function* getRequest(id: string): Query<RequestLogEntry | undefined> {
  const row = yield* get<RequestRow>(sql`SELECT * FROM requests WHERE id = ${id}`);
  return row === undefined ? undefined : requestFromRow(row);
}

export function* countRequests(filter: { useCaseId?: string; since?: number }): Query<number> {
  const conditions = rangeConditions({ useCaseId: filter.useCaseId, since: filter.since });
  const row = yield* get<{ count: number }>(sql`SELECT COUNT(*) AS count FROM requests${where(conditions)}`);
  return row?.count ?? 0;
}

/** Rows of a checked filter (see `requireListRequestsFilter`), `limit` at most. */
export function* listRequests(filter: ListRequestsFilter, limit: number): Query<RequestLogEntry[]> {
  const conditions = rangeConditions(filter);
  if (filter.answeredBy !== undefined) conditions.push(sql`answered_by = ${filter.answeredBy}`);
  if (filter.withText === true) conditions.push(sql`input_text IS NOT NULL`);
  const direction = raw(filter.order === "oldest" ? "ASC" : "DESC");
  const rows = yield* all<RequestRow>(
    sql`SELECT * FROM requests${where(conditions)}
ORDER BY created_at ${direction}, id ${direction} LIMIT ${limit}`,
  );
  return rows.map(requestFromRow);
}
