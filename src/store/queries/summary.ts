// The summary of a range of the log: totals and a time series computed by the database, with the feedback,
// shadow and review rows of the range beside them. Where the dialects differ (percentiles, join order), each
// way is written here once, and the dialect says which one applies.

import type { AnsweredBy } from "../../types.js";
import type { SqlDialect } from "../sql/dialect.js";
import { all, get, type Query, together } from "../sql/query.js";
import { raw, type Sql, sql, where } from "../sql/sql.js";
import { sortedLatenciesFunction } from "../sql/sqlite-functions.js";
import { answeredByValues, shadowOutcomes } from "../store-input.js";
import type {
  LatencyPercentiles,
  RequestBucket,
  RequestFilter,
  RequestSummary,
  ShadowOutcome,
} from "../types.js";
import { rangeConditions } from "./range.js";

/**
 * One row of the per-bucket aggregate, named alike on both backends. Sums may come back NULL (SQLite's SUM of
 * no rows) and are read as 0.
 */
interface BucketRow {
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
interface FeedbackTotalsRow {
  n: number | null;
  correct: number | null;
  slm_n: number | null;
  slm_correct: number | null;
}

interface ShadowCountRow {
  outcome: string;
  count: number;
}

/** The buckets, and percentiles over every row of the range (not derivable from the buckets' own). */
interface BucketPass {
  buckets: BucketRow[];
  latency: LatencyPercentiles | null;
}

interface SummaryParts extends BucketPass {
  feedback: FeedbackTotalsRow | undefined;
  shadow: readonly ShadowCountRow[];
  reviewOpen: number;
}

/** A summary of a checked range (`requireRequestFilter`) in buckets of `bucketMs` (`requireBucketMs`). */
export function* summarizeRequests(
  dialect: SqlDialect,
  filter: RequestFilter,
  bucketMs: number,
): Query<RequestSummary> {
  const parts = dialect.plansJoins
    ? yield* readAtOnce(dialect, filter, bucketMs)
    : yield* readInTurn(dialect, filter, bucketMs);
  return summaryFromParts(parts, bucketMs);
}

/** The four reads at once: the planner orders each join by itself. */
function* readAtOnce(dialect: SqlDialect, filter: RequestFilter, bucketMs: number): Query<SummaryParts> {
  const range = where(rangeConditions(filter, "r"));
  const [bucketPass, feedback, shadow, reviewOpen] = yield* together(
    readBuckets(dialect, filter, bucketMs),
    feedbackTotals(sql`FROM requests r JOIN feedback f ON f.request_id = r.id${range}`),
    shadowCounts(sql`FROM requests r JOIN shadow_results s ON s.request_id = r.id${range}`),
    openReviews(filter),
  );
  return { ...bucketPass, feedback, shadow, reviewOpen };
}

/**
 * The buckets first: their row count chooses the order of the joins that follow, and an empty range needs no
 * join at all.
 */
function* readInTurn(dialect: SqlDialect, filter: RequestFilter, bucketMs: number): Query<SummaryParts> {
  const bucketPass = yield* readBuckets(dialect, filter, bucketMs);
  const requests = bucketPass.buckets.reduce((sum, row) => sum + row.requests, 0);
  const feedback =
    requests === 0
      ? undefined
      : yield* feedbackTotals(yield* joinFromSmallerSide("feedback", "f", filter, requests));
  const shadow =
    requests === 0
      ? []
      : yield* shadowCounts(yield* joinFromSmallerSide("shadow_results", "s", filter, requests));
  const reviewOpen = yield* openReviews(filter);
  return { ...bucketPass, feedback, shadow, reviewOpen };
}

/**
 * Joins feedback or shadow rows to the requests of the range from whichever side has fewer rows: a week of
 * requests beside a few thousand feedback rows, or the last hour beside years of feedback. CROSS JOIN fixes
 * SQLite's loop order; MAX(id) counts a table without reading it (should rows ever be deleted it is an upper
 * bound, which only picks the order).
 */
function* joinFromSmallerSide(
  table: "feedback" | "shadow_results",
  alias: string,
  filter: RequestFilter,
  requests: number,
): Query<Sql> {
  const row = yield* get<{ count: number }>(sql`SELECT COALESCE(MAX(id), 0) AS count FROM ${raw(table)}`);
  const tables =
    (row?.count ?? 0) < requests
      ? `${table} ${alias} CROSS JOIN requests r`
      : `requests r CROSS JOIN ${table} ${alias}`;
  const conditions = [raw(`r.id = ${alias}.request_id`), ...rangeConditions(filter, "r")];
  return sql`FROM ${raw(tables)}${where(conditions)}`;
}

function* readBuckets(dialect: SqlDialect, filter: RequestFilter, bucketMs: number): Query<BucketPass> {
  return dialect.hasPercentiles
    ? yield* bucketsWithPercentiles(filter, bucketMs)
    : yield* bucketsWithSortedLatencies(filter, bucketMs);
}

/** The aggregates of a bucket both ways share. */
const bucketTotals = raw(`COUNT(*) AS requests,
  COUNT(*) FILTER (WHERE answered_by = 'slm') AS slm, COUNT(*) FILTER (WHERE answered_by = 'cache') AS cache,
  COUNT(*) FILTER (WHERE answered_by = 'llm') AS llm, COUNT(*) FILTER (WHERE answered_by = 'review') AS review,
  COUNT(*) FILTER (WHERE cost_usd > 0 OR input_tokens > 0 OR output_tokens > 0) AS llm_calls,
  SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS output_tokens, SUM(cost_usd) AS cost_usd,
  MIN(created_at) AS first_at, MAX(created_at) AS last_at`);

/**
 * One pass: GROUPING SETS yields each bucket and the whole range; percentile_disc is nearest rank (the smallest
 * value whose cumulative share reaches p), one sort for the three percentiles.
 */
function* bucketsWithPercentiles(filter: RequestFilter, bucketMs: number): Query<BucketPass> {
  type Row = Omit<BucketRow, "p50" | "p95" | "p99"> & {
    whole: number;
    latency: [number, number, number] | null;
  };
  const rows = yield* all<Row>(
    sql`SELECT bucket, GROUPING(bucket) AS whole, ${bucketTotals},
  percentile_disc(ARRAY[0.5, 0.95, 0.99]::double precision[]) WITHIN GROUP (ORDER BY latency_ms) AS latency
FROM (
  SELECT created_at / ${bucketMs}::bigint AS bucket, created_at, answered_by, input_tokens, output_tokens,
    cost_usd, latency_ms
  FROM requests${where(rangeConditions(filter))}
) AS ranged
GROUP BY GROUPING SETS ((bucket), ())
ORDER BY whole, bucket`,
  );
  const whole = rows.find((row) => row.whole === 1);
  return {
    buckets: rows
      .filter((row) => row.whole === 0)
      .map(({ whole: _whole, latency, ...row }) => ({
        ...row,
        p50: latency?.[0] ?? null,
        p95: latency?.[1] ?? null,
        p99: latency?.[2] ?? null,
      })),
    latency: latencyPercentiles(whole?.latency?.[0], whole?.latency?.[1], whole?.latency?.[2]),
  };
}

/**
 * Each bucket's latencies come back sorted (see sqlite-functions.ts); the buckets' percentiles are read from
 * them, and the whole range's from all of them at once.
 */
function* bucketsWithSortedLatencies(filter: RequestFilter, bucketMs: number): Query<BucketPass> {
  type Row = Omit<BucketRow, "p50" | "p95" | "p99"> & { latencies: Buffer | null };
  // The width is bound as an integer so `created_at / ?` divides integers (a JS number binds as REAL).
  const rows = yield* all<Row>(
    sql`SELECT CAST(created_at / ${BigInt(bucketMs)} AS INTEGER) AS bucket, ${bucketTotals},
  ${raw(sortedLatenciesFunction)}(latency_ms) AS latencies
FROM requests${where(rangeConditions(filter))} GROUP BY bucket ORDER BY bucket`,
  );
  const requests = rows.reduce((sum, row) => sum + row.requests, 0);
  const whole = new Float64Array(requests);
  let filled = 0;
  const buckets: BucketRow[] = rows.map(({ latencies, ...row }) => {
    // Copied out: a Buffer's offset need not be a multiple of 8, which a Float64Array view requires.
    const sorted =
      latencies === null
        ? new Float64Array(0)
        : new Float64Array(
            latencies.buffer.slice(latencies.byteOffset, latencies.byteOffset + latencies.byteLength),
          );
    whole.set(sorted, filled);
    filled += sorted.length;
    const percentiles = nearestRankPercentiles(sorted);
    return {
      ...row,
      p50: percentiles?.p50 ?? null,
      p95: percentiles?.p95 ?? null,
      p99: percentiles?.p99 ?? null,
    };
  });
  return { buckets, latency: nearestRankPercentiles(whole.subarray(0, filled).sort()) };
}

/** `from` joins `f` (feedback) to `r` (the requests of the range). The latest feedback per request wins. */
function* feedbackTotals(from: Sql): Query<FeedbackTotalsRow | undefined> {
  return yield* get<FeedbackTotalsRow>(
    sql`SELECT COUNT(*) AS n, COUNT(*) FILTER (WHERE correct = label) AS correct,
  COUNT(*) FILTER (WHERE answered_by = 'slm') AS slm_n,
  COUNT(*) FILTER (WHERE answered_by = 'slm' AND correct = label) AS slm_correct
FROM (
  SELECT r.label, r.answered_by, f.correct,
    ROW_NUMBER() OVER (PARTITION BY f.request_id ORDER BY f.created_at DESC, f.id DESC) AS position
  ${from}
) AS latest WHERE position = 1`,
  );
}

/** `from` joins `s` (shadow results) to `r` (the requests of the range); a request's latest result counts. */
function* shadowCounts(from: Sql): Query<ShadowCountRow[]> {
  return yield* all<ShadowCountRow>(
    sql`SELECT outcome, COUNT(*) AS count
FROM (
  SELECT s.outcome,
    ROW_NUMBER() OVER (PARTITION BY s.request_id ORDER BY s.created_at DESC, s.id DESC) AS position
  ${from}
) AS latest WHERE position = 1 GROUP BY outcome`,
  );
}

const open = raw("status = 'open'");

/** Review items created in the range that are still open. */
function* openReviews(filter: RequestFilter): Query<number> {
  const row = yield* get<{ count: number }>(
    sql`SELECT COUNT(*) AS count FROM review_items${where([open, ...rangeConditions(filter)])}`,
  );
  return row?.count ?? 0;
}

function latencyPercentiles(
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
function nearestRankPercentiles(sorted: Float64Array): LatencyPercentiles | null {
  if (sorted.length === 0) return null;
  const at = (percent: number) => sorted[Math.floor((sorted.length * percent + 99) / 100) - 1] as number;
  return { p50: at(50), p95: at(95), p99: at(99) };
}

/** Assembles a summary from the aggregate rows; totals of counts and sums add up the buckets. */
function summaryFromParts(parts: SummaryParts, bucketMs: number): RequestSummary {
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
      start: row.bucket * bucketMs,
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
    bucketMs,
  };
}
