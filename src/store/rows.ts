// Mapping between the Store's records and table rows, shared by the SQLite and Postgres backends.

import { SlmkitError } from "../errors.js";
import type { AnsweredBy } from "../types.js";
import { requireTime } from "./store-input.js";
import type {
  ApiKeyRecord,
  FeedbackEntry,
  LabelledRequest,
  LatencyPercentiles,
  ListRequestsFilter,
  RequestBucket,
  RequestFilter,
  RequestLogEntry,
  RequestSummary,
  ReviewItem,
  ReviewStatus,
  ShadowOutcome,
  ShadowResult,
} from "./types.js";

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

export interface FeedbackRow {
  request_id: string;
  correct: string;
  source: string;
  created_at: number;
}

export function feedbackFromRow(row: FeedbackRow): FeedbackEntry {
  return {
    requestId: row.request_id,
    correct: row.correct,
    source: row.source as FeedbackEntry["source"],
    createdAt: row.created_at,
  };
}

export interface ReviewRow {
  id: string;
  request_id: string;
  use_case_id: string;
  input_text: string;
  slm_label: string | null;
  slm_confidence: number | null;
  llm_label: string | null;
  reason: string;
  status: string;
  resolution: string | null;
  created_at: number;
  resolved_at: number | null;
}

export function reviewFromRow(row: ReviewRow): ReviewItem {
  return {
    id: row.id,
    requestId: row.request_id,
    useCaseId: row.use_case_id,
    inputText: row.input_text,
    slmLabel: row.slm_label,
    slmConfidence: row.slm_confidence,
    llmLabel: row.llm_label,
    reason: row.reason,
    status: row.status as ReviewStatus,
    resolution: row.resolution,
    createdAt: row.created_at,
    resolvedAt: row.resolved_at,
  };
}

export interface ApiKeyRow {
  id: string;
  name: string;
  key_hash: string;
  created_at: number;
  revoked_at: number | null;
}

export function apiKeyFromRow(row: ApiKeyRow): ApiKeyRecord {
  return { id: row.id, name: row.name, createdAt: row.created_at, revokedAt: row.revoked_at };
}

/** The UTC calendar day of a time, `YYYY-MM-DD`: spend is kept per day, and these strings sort by date. */
export function utcDay(at: number): string {
  return new Date(at).toISOString().slice(0, 10);
}

/** Default and largest page sizes of the list reads. */
export const defaultReviewLimit = 100;
export const defaultFeedbackLimit = 1_000;

export function listLimit(limit: number | undefined, fallback: number): number {
  if (limit === undefined || !Number.isFinite(limit)) return fallback;
  return Math.max(0, Math.floor(limit));
}

// --- Reads of ranges: filters, page sizes and the summary, shared so both backends answer alike. ---

export const answeredByValues: readonly AnsweredBy[] = ["slm", "cache", "llm", "review"];
export const shadowOutcomes: readonly ShadowOutcome[] = ["agreed", "disagreed", "unsure", "failed"];

export const defaultRequestLimit = 1_000;
export const defaultShadowLimit = 1_000;
export const defaultLabelledLimit = 10_000;
/** Largest page of `listRequests`, `listShadowResults` and `listLabelledRequests`: bounds one read's memory. */
export const maximumListLimit = 100_000;
export const defaultBucketMs = 3_600_000;

/**
 * A page size the caller chose: an integer from 0 to `maximumListLimit`. Refused rather than clamped, so a
 * caller that asks for 500,000 rows learns it gets fewer instead of silently reading a partial range.
 */
export function requireListLimit(limit: number | undefined, fallback: number): number {
  if (limit === undefined) return fallback;
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 0 || limit > maximumListLimit) {
    throw new SlmkitError(
      "INVALID_INPUT",
      `limit must be an integer from 0 to ${maximumListLimit}; got ${limit}. Read larger ranges page by page ` +
        "(e.g. by `since`/`until`).",
      { field: "limit" },
    );
  }
  return limit;
}

/** Checks a range's fields: times that are not finite numbers would silently match nothing. */
export function requireRequestFilter(filter: RequestFilter): void {
  if (filter.useCaseId !== undefined && typeof filter.useCaseId !== "string") {
    throw new SlmkitError("INVALID_INPUT", `useCaseId must be a string; got ${typeof filter.useCaseId}.`, {
      field: "useCaseId",
    });
  }
  if (filter.since !== undefined) requireTime("since", filter.since);
  if (filter.until !== undefined) requireTime("until", filter.until);
}

export function requireListRequestsFilter(filter: ListRequestsFilter): void {
  requireRequestFilter(filter);
  if (filter.answeredBy !== undefined && !answeredByValues.includes(filter.answeredBy)) {
    throw new SlmkitError(
      "INVALID_INPUT",
      `answeredBy must be one of ${answeredByValues.join(", ")}; got ${JSON.stringify(filter.answeredBy)}.`,
      { field: "answeredBy" },
    );
  }
  if (filter.order !== undefined && filter.order !== "newest" && filter.order !== "oldest") {
    throw new SlmkitError(
      "INVALID_INPUT",
      `order must be "newest" or "oldest"; got ${JSON.stringify(filter.order)}.`,
      { field: "order" },
    );
  }
}

/**
 * The bucket width of a summary: a whole number of ms, at least 1 s, so a typo such as `bucketMs: 1` cannot
 * turn a week of traffic into a bucket per row.
 */
export function requireBucketMs(bucketMs: number | undefined): number {
  if (bucketMs === undefined) return defaultBucketMs;
  if (typeof bucketMs !== "number" || !Number.isSafeInteger(bucketMs) || bucketMs < 1_000) {
    throw new SlmkitError(
      "INVALID_INPUT",
      `bucketMs must be a whole number of milliseconds >= 1000 (e.g. 3600000 for hourly buckets); got ${bucketMs}.`,
      { field: "bucketMs" },
    );
  }
  return bucketMs;
}

export function requireShadowResult(result: ShadowResult): void {
  for (const field of ["requestId", "useCaseId", "slmLabel"] as const) {
    if (typeof result[field] !== "string") {
      throw new SlmkitError("INVALID_INPUT", `a shadow result's ${field} must be a string.`, { field });
    }
  }
  if (!shadowOutcomes.includes(result.outcome)) {
    throw new SlmkitError(
      "INVALID_INPUT",
      `a shadow result's outcome must be one of ${shadowOutcomes.join(", ")}; got ${JSON.stringify(result.outcome)}.`,
      { field: "outcome" },
    );
  }
  requireTime("createdAt", result.createdAt);
}

/**
 * WHERE conditions for a range on the columns `use_case_id` and `created_at` of `table` (an alias, or "" for
 * none). `bind` records a value and returns its placeholder: "?" on SQLite, "$n" on Postgres.
 */
export function rangeConditions(
  filter: { useCaseId?: string | undefined; since?: number | undefined; until?: number | undefined },
  bind: (value: string | number) => string,
  table = "",
): string[] {
  const column = (name: string) => (table === "" ? name : `${table}.${name}`);
  const conditions: string[] = [];
  if (filter.useCaseId !== undefined) conditions.push(`${column("use_case_id")} = ${bind(filter.useCaseId)}`);
  // Times are whole ms: rounding a fractional bound up keeps ">= since" and "< until" exact, and Postgres'
  // BIGINT would refuse the fraction.
  if (filter.since !== undefined)
    conditions.push(`${column("created_at")} >= ${bind(Math.ceil(filter.since))}`);
  if (filter.until !== undefined)
    conditions.push(`${column("created_at")} < ${bind(Math.ceil(filter.until))}`);
  return conditions;
}

/** " WHERE a AND b", or "" for no conditions. */
export function whereClause(conditions: readonly string[]): string {
  return conditions.length === 0 ? "" : ` WHERE ${conditions.join(" AND ")}`;
}

/**
 * Feedback joined with its request, the same SQL on both backends. `conditions` filter `f` (feedback) and `r`
 * (requests). A feedback row counts only when no later one exists for its request, over all time: a range
 * then holds each request once, with its final label, and consecutive ranges never hold it twice. The inner
 * join leaves out feedback whose request row is unknown. CROSS JOIN makes SQLite start from the feedback of
 * the range (without statistics it would walk every request of the use case instead; Postgres plans freely).
 */
export function labelledRequestsSql(conditions: readonly string[], limitPlaceholder: string): string {
  const latest =
    "NOT EXISTS (SELECT 1 FROM feedback later WHERE later.request_id = f.request_id AND " +
    "(later.created_at > f.created_at OR (later.created_at = f.created_at AND later.id > f.id)))";
  return `SELECT f.request_id, r.use_case_id,
  COALESCE(r.input_text, (
    SELECT ri.input_text FROM review_items ri WHERE ri.request_id = f.request_id
    ORDER BY ri.created_at DESC, ri.id DESC LIMIT 1
  )) AS text,
  f.correct, f.source, r.label AS served_label, r.answered_by, r.model_version, f.created_at
FROM feedback f CROSS JOIN requests r${whereClause(["r.id = f.request_id", ...conditions, latest])}
ORDER BY f.created_at, f.id LIMIT ${limitPlaceholder}`;
}

export interface ShadowRow {
  request_id: string;
  use_case_id: string;
  slm_label: string;
  llm_label: string | null;
  outcome: string;
  model_version: string | null;
  created_at: number;
}

export function shadowFromRow(row: ShadowRow): ShadowResult {
  return {
    requestId: row.request_id,
    useCaseId: row.use_case_id,
    slmLabel: row.slm_label,
    llmLabel: row.llm_label,
    outcome: row.outcome as ShadowOutcome,
    modelVersion: row.model_version,
    createdAt: row.created_at,
  };
}

/** The values of `shadowColumns`, in order. */
export const shadowColumns = [
  "request_id",
  "use_case_id",
  "slm_label",
  "llm_label",
  "outcome",
  "model_version",
  "created_at",
] as const;

export function shadowValues(result: ShadowResult): (string | number | null)[] {
  return [
    result.requestId,
    result.useCaseId,
    result.slmLabel,
    result.llmLabel ?? null,
    result.outcome,
    result.modelVersion ?? null,
    result.createdAt,
  ];
}

export interface LabelledRow {
  request_id: string;
  use_case_id: string;
  text: string | null;
  correct: string;
  source: string;
  served_label: string | null;
  answered_by: string;
  model_version: string | null;
  created_at: number;
}

export function labelledFromRow(row: LabelledRow): LabelledRequest {
  return {
    requestId: row.request_id,
    useCaseId: row.use_case_id,
    text: row.text,
    correct: row.correct,
    source: row.source as FeedbackEntry["source"],
    servedLabel: row.served_label,
    answeredBy: row.answered_by as AnsweredBy,
    modelVersion: row.model_version,
    createdAt: row.created_at,
  };
}

/**
 * One row of the per-bucket aggregate, named alike on both backends. Sums may come back NULL (SQLite's SUM of
 * no rows) and are read as 0.
 */
export interface BucketRow {
  bucket: number;
  requests: number;
  slm: number | null;
  cache: number | null;
  llm: number | null;
  review: number | null;
  llm_calls: number | null;
  input_tokens: number | null;
  output_tokens: number | null;
  cost_usd: number | null;
  first_at: number;
  last_at: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

/** Latest feedback per request of the range, compared with what was served. */
export interface FeedbackTotalsRow {
  n: number | null;
  correct: number | null;
  slm_n: number | null;
  slm_correct: number | null;
}

export interface SummaryParts {
  buckets: readonly BucketRow[];
  /** Percentiles over every row of the range (not derivable from the buckets' own). */
  latency: LatencyPercentiles | null;
  feedback: FeedbackTotalsRow | undefined;
  shadow: readonly { outcome: string; count: number }[];
  reviewOpen: number;
  bucketMs: number;
}

export function latencyPercentiles(
  p50: number | null | undefined,
  p95: number | null | undefined,
  p99: number | null | undefined,
): LatencyPercentiles | null {
  if (p50 === null || p50 === undefined || p95 === null || p95 === undefined) return null;
  if (p99 === null || p99 === undefined) return null;
  return { p50, p95, p99 };
}

/**
 * Nearest-rank p50/p95/p99 of values sorted ascending: the p-th percentile of n values is the
 * ceil(p * n / 100)-th smallest (integer math, so p95 of 1..100 is 95 exactly), as Postgres' percentile_disc
 * answers. Null for no values.
 */
export function nearestRankPercentiles(sorted: Float64Array): LatencyPercentiles | null {
  if (sorted.length === 0) return null;
  const at = (percent: number) => sorted[Math.floor((sorted.length * percent + 99) / 100) - 1] as number;
  return { p50: at(50), p95: at(95), p99: at(99) };
}

/** Assembles a summary from the backend's aggregate rows; totals of counts and sums add up the buckets. */
export function summaryFromRows(parts: SummaryParts): RequestSummary {
  const answeredBy = (): Record<AnsweredBy, number> => ({ slm: 0, cache: 0, llm: 0, review: 0 });
  const totals = {
    requests: 0,
    answeredBy: answeredBy(),
    llmCalls: 0,
    inputTokens: 0,
    outputTokens: 0,
    costUsd: 0,
  };
  let firstAt: number | null = null;
  let lastAt: number | null = null;
  const buckets: RequestBucket[] = parts.buckets.map((row) => {
    const bucket: RequestBucket = {
      start: row.bucket * parts.bucketMs,
      requests: row.requests,
      answeredBy: { slm: row.slm ?? 0, cache: row.cache ?? 0, llm: row.llm ?? 0, review: row.review ?? 0 },
      costUsd: row.cost_usd ?? 0,
      latencyMs: latencyPercentiles(row.p50, row.p95, row.p99),
    };
    totals.requests += bucket.requests;
    for (const key of answeredByValues) totals.answeredBy[key] += bucket.answeredBy[key];
    totals.llmCalls += row.llm_calls ?? 0;
    totals.inputTokens += row.input_tokens ?? 0;
    totals.outputTokens += row.output_tokens ?? 0;
    totals.costUsd += bucket.costUsd;
    firstAt = firstAt === null ? row.first_at : Math.min(firstAt, row.first_at);
    lastAt = lastAt === null ? row.last_at : Math.max(lastAt, row.last_at);
    return bucket;
  });
  const shadow: Record<ShadowOutcome, number> = { agreed: 0, disagreed: 0, unsure: 0, failed: 0 };
  for (const row of parts.shadow) {
    if (shadowOutcomes.includes(row.outcome as ShadowOutcome))
      shadow[row.outcome as ShadowOutcome] = row.count;
  }
  const feedback = parts.feedback;
  return {
    totals: {
      ...totals,
      latencyMs: totals.requests === 0 ? null : parts.latency,
      feedback: {
        n: feedback?.n ?? 0,
        correct: feedback?.correct ?? 0,
        slm: { n: feedback?.slm_n ?? 0, correct: feedback?.slm_correct ?? 0 },
      },
      shadow,
      reviewOpen: parts.reviewOpen,
      firstAt,
      lastAt,
    },
    buckets,
    bucketMs: parts.bucketMs,
  };
}
