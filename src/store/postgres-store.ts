// The scale-out Store on Postgres (pg Pool), shared by several gateway replicas; degrades and recovers when
// Postgres goes away: log rows wait in memory, reads fail with STORE_UNAVAILABLE, writes resume when it is back.

import { randomUUID } from "node:crypto";
import type { CustomTypesConfig, PoolClient, QueryResult, QueryResultRow } from "pg";
import pg from "pg";
import { SlmkitError } from "../errors.js";
import { generateApiKey, parseApiKey, secretMatches } from "./api-keys.js";
import { migrationsTableSql, postgresMigrations } from "./migrations.js";
import {
  type ApiKeyRow,
  apiKeyFromRow,
  type BucketRow,
  defaultFeedbackLimit,
  defaultLabelledLimit,
  defaultRequestLimit,
  defaultReviewLimit,
  defaultShadowLimit,
  type FeedbackRow,
  type FeedbackTotalsRow,
  feedbackFromRow,
  type LabelledRow,
  labelledFromRow,
  labelledRequestsSql,
  latencyPercentiles,
  listLimit,
  type RequestRow,
  type RequestValues,
  type ReviewRow,
  rangeConditions,
  requestColumns,
  requestFromRow,
  requestValues,
  requireBucketMs,
  requireListLimit,
  requireListRequestsFilter,
  requireRequestFilter,
  requireShadowResult,
  reviewFromRow,
  type ShadowRow,
  shadowColumns,
  shadowFromRow,
  shadowValues,
  summaryFromRows,
  utcDay,
  whereClause,
} from "./rows.js";
import { requireSpendInput, requireTime } from "./store-input.js";
import type {
  ApiKeyRecord,
  FeedbackEntry,
  ListRequestsFilter,
  RequestFilter,
  RequestLogEntry,
  ReviewItem,
  ReviewStatus,
  ShadowResult,
  Store,
} from "./types.js";
import {
  type BatchedWriteOptions,
  describeError,
  requireInteger,
  resolveBatchedWriteOptions,
  WriteQueue,
} from "./write-queue.js";

export interface PostgresStoreOptions extends BatchedWriteOptions {
  /** e.g. `postgres://user@host:5432/database`. */
  connectionString: string;
  /**
   * Schema holding the tables (created at `migrate()` if missing; set as `search_path` on every connection),
   * so several stores or test runs can share one database. Lowercase letters, digits and "_". Default: the
   * server's search_path (normally `public`).
   */
  schema?: string;
  /** Most connections held open. Default 10. */
  poolSize?: number;
  /** How long, in ms, to wait for a connection before the call fails as STORE_UNAVAILABLE. Default 2,000. */
  connectionTimeoutMs?: number;
  /** How long, in ms, a query may take before it fails (guards against a half-open connection). Default 15,000. */
  queryTimeoutMs?: number;
}

/** Default wait of `flush()`, in ms. */
const defaultFlushTimeoutMs = 10_000;
/** Rows per INSERT statement: at 21 parameters a row this stays under Postgres' limit of 65,535 parameters. */
const rowsPerStatement = 1_000;
const schemaPattern = /^[a-z_][a-z0-9_]{0,62}$/;

// BIGINT columns hold ms times and counts, all below 2^53: read them as numbers, for this pool only (the
// global pg.types would change every other pg user in the process).
const int8AsNumber = (value: string): number => Number(value);
const types: CustomTypesConfig = {
  getTypeParser: (id, format) =>
    id === pg.types.builtins.INT8 ? int8AsNumber : pg.types.getTypeParser(id, format),
};

/**
 * True when the error means Postgres cannot be reached or used right now (no connection, shut down, too many
 * clients, a timeout), as opposed to a statement Postgres answered with an error.
 */
function isUnavailable(error: unknown): boolean {
  if (error instanceof pg.DatabaseError) {
    const code = error.code ?? "";
    // 08 connection exception, 53 insufficient resources, 57 operator intervention (shutdown), 58 system
    // error, 28 authorization, 3D000 no such database.
    return /^(08|53|57|58|28)/.test(code) || code === "3D000";
  }
  // Socket errors, connect timeouts and "Connection terminated" carry no SQLSTATE; our own bugs do not count.
  return error instanceof Error && !(error instanceof TypeError) && !(error instanceof RangeError);
}

/** For log writes: only a definite refusal of the rows (bad data, a constraint) drops them; all else retries. */
function isTransientWriteError(error: unknown): boolean {
  if (error instanceof pg.DatabaseError) return !/^(22|23)/.test(error.code ?? "");
  return !(error instanceof TypeError) && !(error instanceof RangeError);
}

/** Where the store points, for messages, without the password. */
function describeTarget(connectionString: string, schema: string | undefined): string {
  let target = "the configured database";
  try {
    const url = new URL(connectionString);
    target = `${url.hostname}:${url.port || "5432"}${url.pathname}`;
  } catch {
    // Not a URL (a key=value string): keep the generic name rather than risk printing a password.
  }
  return schema === undefined ? target : `${target} (schema ${schema})`;
}

/** Creates a Postgres store. No connection is made until the first call; call `migrate()` first. */
export function createPostgresStore(options: PostgresStoreOptions): Store {
  const writeOptions = resolveBatchedWriteOptions(options);
  const poolSize = options.poolSize ?? 10;
  const connectionTimeoutMs = options.connectionTimeoutMs ?? 2_000;
  const queryTimeoutMs = options.queryTimeoutMs ?? 15_000;
  requireInteger("poolSize", poolSize, 1);
  requireInteger("connectionTimeoutMs", connectionTimeoutMs, 1);
  requireInteger("queryTimeoutMs", queryTimeoutMs, 1);
  const schema = options.schema;
  if (schema !== undefined && !schemaPattern.test(schema)) {
    throw new SlmkitError(
      "INVALID_OPTION",
      `schema must be lowercase letters, digits and "_", starting with a letter or "_"; got "${schema}".`,
      { field: "schema" },
    );
  }
  const target = describeTarget(options.connectionString, schema);
  const logger = writeOptions.logger;

  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: poolSize,
    connectionTimeoutMillis: connectionTimeoutMs,
    query_timeout: queryTimeoutMs,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    types,
    // A startup parameter rather than a SET after connecting: no query can run before it takes effect.
    ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
  });
  // Idle connections die when Postgres restarts; without a listener that would crash the process.
  pool.on("error", (error) => {
    logger?.warn({ backend: "postgres", error: describeError(error) }, "an idle Postgres connection failed");
  });
  let closed = false;

  const closedError = () =>
    new SlmkitError("STORE_UNAVAILABLE", `the Postgres store at ${target} is closed.`);

  const toStoreError = (error: unknown): unknown => {
    if (SlmkitError.isInstance(error) || !isUnavailable(error)) return error;
    return new SlmkitError(
      "STORE_UNAVAILABLE",
      `Postgres at ${target} is not answering (${describeError(error)}). Log rows keep queuing in memory and ` +
        "are written when it is back; reads fail until then. Check that Postgres is running and reachable.",
      { cause: error },
    );
  };

  const query = async <Row extends QueryResultRow>(
    text: string,
    values: unknown[] = [],
  ): Promise<QueryResult<Row>> => {
    if (closed) throw closedError();
    try {
      return await pool.query<Row>(text, values);
    } catch (error) {
      throw toStoreError(error);
    }
  };

  /** Runs `work` in a transaction on one connection; a broken connection is discarded, not returned. */
  const transaction = async <T>(work: (client: PoolClient) => Promise<T>): Promise<T> => {
    if (closed) throw closedError();
    let client: PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      throw toStoreError(error);
    }
    // A checked-out client has no pool listener: an unhandled connection error would crash the process.
    let connectionError: Error | undefined;
    const onError = (error: Error) => {
      connectionError = error;
    };
    client.on("error", onError);
    try {
      await client.query("BEGIN");
      const result = await work(client);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      try {
        await client.query("ROLLBACK");
      } catch (rollbackError) {
        connectionError ??= rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      }
      throw toStoreError(error);
    } finally {
      client.removeListener("error", onError);
      client.release(connectionError);
    }
  };

  const insertRequests = async (rows: readonly RequestValues[]): Promise<void> => {
    // Each statement is atomic and ON CONFLICT makes a retried batch (whose first try committed but whose
    // reply was lost) a no-op: a row is written exactly once.
    for (let start = 0; start < rows.length; start += rowsPerStatement) {
      const chunk = rows.slice(start, start + rowsPerStatement);
      const values: (string | number | null)[] = [];
      const tuples: string[] = [];
      for (const row of chunk) {
        const placeholders: string[] = [];
        for (const value of row) {
          values.push(value);
          placeholders.push(`$${values.length}`);
        }
        tuples.push(`(${placeholders.join(", ")})`);
      }
      await pool.query(
        `INSERT INTO requests (${requestColumns.join(", ")}) VALUES ${tuples.join(", ")} ON CONFLICT (id) DO NOTHING`,
        values,
      );
    }
  };

  const queue = new WriteQueue<RequestValues>({
    ...writeOptions,
    backend: "postgres",
    write: insertRequests,
    isTransient: isTransientWriteError,
    describe: (row) => String(row[0]),
  });

  /** Numbered placeholders for one statement: each call records a value and returns "$n". */
  const placeholders = () => {
    const values: (string | number)[] = [];
    const bind = (value: string | number): string => {
      values.push(value);
      return `$${values.length}`;
    };
    return { values, bind };
  };

  const close = async (): Promise<void> => {
    if (closed) return;
    try {
      await queue.close(writeOptions.closeTimeoutMs);
    } finally {
      closed = true;
      await pool.end();
    }
  };

  return {
    async migrate() {
      await transaction(async (client) => {
        // Replicas starting together take turns; the second finds the work done.
        await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`slmkit.migrate:${schema ?? ""}`]);
        if (schema !== undefined) await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
        await client.query(migrationsTableSql);
        const applied = await client.query<{ version: number }>("SELECT version FROM schema_migrations");
        const done = new Set(applied.rows.map((row) => row.version));
        for (const migration of postgresMigrations) {
          if (done.has(migration.version)) continue;
          await client.query(migration.sql);
          await client.query(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
            [migration.version, migration.name, Date.now()],
          );
        }
      });
    },

    logRequest(entry: RequestLogEntry) {
      queue.push(requestValues(entry));
    },

    flush(timeoutMs = defaultFlushTimeoutMs) {
      return queue.flush(timeoutMs);
    },

    pendingWrites: () => queue.pending(),
    droppedWrites: () => queue.dropped(),

    async getRequest(id: string) {
      const result = await query<RequestRow>("SELECT * FROM requests WHERE id = $1", [id]);
      const row = result.rows[0];
      return row === undefined ? undefined : requestFromRow(row);
    },

    async countRequests(filter = {}) {
      const conditions: string[] = [];
      const values: (string | number)[] = [];
      if (filter.useCaseId !== undefined) {
        values.push(filter.useCaseId);
        conditions.push(`use_case_id = $${values.length}`);
      }
      if (filter.since !== undefined) {
        values.push(Math.ceil(filter.since));
        conditions.push(`created_at >= $${values.length}`);
      }
      const where = conditions.length === 0 ? "" : ` WHERE ${conditions.join(" AND ")}`;
      const result = await query<{ count: number }>(`SELECT COUNT(*) AS count FROM requests${where}`, values);
      return result.rows[0]?.count ?? 0;
    },

    async listRequests(filter: ListRequestsFilter = {}) {
      requireListRequestsFilter(filter);
      const limit = requireListLimit(filter.limit, defaultRequestLimit);
      const { values, bind } = placeholders();
      const conditions = rangeConditions(filter, bind);
      if (filter.answeredBy !== undefined) conditions.push(`answered_by = ${bind(filter.answeredBy)}`);
      if (filter.withText === true) conditions.push("input_text IS NOT NULL");
      const direction = filter.order === "oldest" ? "ASC" : "DESC";
      const result = await query<RequestRow>(
        `SELECT * FROM requests${whereClause(conditions)} ` +
          `ORDER BY created_at ${direction}, id ${direction} LIMIT ${bind(limit)}`,
        values,
      );
      return result.rows.map(requestFromRow);
    },

    async summarizeRequests(filter: RequestFilter & { bucketMs?: number } = {}) {
      requireRequestFilter(filter);
      const bucketMs = requireBucketMs(filter.bucketMs);

      const bucketed = placeholders();
      const bucketWidth = bucketed.bind(bucketMs);
      const range = whereClause(rangeConditions(filter, bucketed.bind));
      // One pass: GROUPING SETS yields each bucket and the whole range; percentile_disc is nearest rank
      // (the smallest value whose cumulative share reaches p), one sort for the three percentiles.
      const bucketsQuery = query<
        Omit<BucketRow, "p50" | "p95" | "p99"> & { whole: number; latency: [number, number, number] | null }
      >(
        `SELECT bucket, GROUPING(bucket) AS whole, COUNT(*) AS requests,
  COUNT(*) FILTER (WHERE answered_by = 'slm') AS slm, COUNT(*) FILTER (WHERE answered_by = 'cache') AS cache,
  COUNT(*) FILTER (WHERE answered_by = 'llm') AS llm, COUNT(*) FILTER (WHERE answered_by = 'review') AS review,
  COUNT(*) FILTER (WHERE cost_usd > 0 OR input_tokens > 0 OR output_tokens > 0) AS llm_calls,
  SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS output_tokens, SUM(cost_usd) AS cost_usd,
  MIN(created_at) AS first_at, MAX(created_at) AS last_at,
  percentile_disc(ARRAY[0.5, 0.95, 0.99]::double precision[]) WITHIN GROUP (ORDER BY latency_ms) AS latency
FROM (
  SELECT created_at / ${bucketWidth}::bigint AS bucket, created_at, answered_by, input_tokens, output_tokens,
    cost_usd, latency_ms
  FROM requests${range}
) AS ranged
GROUP BY GROUPING SETS ((bucket), ())
ORDER BY whole, bucket`,
        bucketed.values,
      );

      const joined = placeholders();
      const joinedRange = whereClause(rangeConditions(filter, joined.bind, "r"));
      // The latest feedback per request wins: a reviewer's correction replaces a user's earlier report.
      const feedbackQuery = query<FeedbackTotalsRow>(
        `SELECT COUNT(*) AS n, COUNT(*) FILTER (WHERE correct = label) AS correct,
  COUNT(*) FILTER (WHERE answered_by = 'slm') AS slm_n,
  COUNT(*) FILTER (WHERE answered_by = 'slm' AND correct = label) AS slm_correct
FROM (
  SELECT r.label, r.answered_by, f.correct,
    ROW_NUMBER() OVER (PARTITION BY f.request_id ORDER BY f.created_at DESC, f.id DESC) AS position
  FROM requests r JOIN feedback f ON f.request_id = r.id${joinedRange}
) AS latest WHERE position = 1`,
        joined.values,
      );
      const shadowQuery = query<{ outcome: string; count: number }>(
        `SELECT outcome, COUNT(*) AS count
FROM (
  SELECT s.outcome,
    ROW_NUMBER() OVER (PARTITION BY s.request_id ORDER BY s.created_at DESC, s.id DESC) AS position
  FROM requests r JOIN shadow_results s ON s.request_id = r.id${joinedRange}
) AS latest WHERE position = 1 GROUP BY outcome`,
        joined.values,
      );

      const review = placeholders();
      const reviewConditions = ["status = 'open'", ...rangeConditions(filter, review.bind)];
      const reviewQuery = query<{ count: number }>(
        `SELECT COUNT(*) AS count FROM review_items${whereClause(reviewConditions)}`,
        review.values,
      );

      // The four run at once, on separate connections. They may see a row or two apart while writes arrive;
      // a summary can afford that, and one transaction would run them one after another.
      const [buckets, feedback, shadow, reviewOpen] = await Promise.all([
        bucketsQuery,
        feedbackQuery,
        shadowQuery,
        reviewQuery,
      ]);
      const whole = buckets.rows.find((row) => row.whole === 1);
      return summaryFromRows({
        buckets: buckets.rows
          .filter((row) => row.whole === 0)
          .map((row) => ({
            ...row,
            p50: row.latency?.[0] ?? null,
            p95: row.latency?.[1] ?? null,
            p99: row.latency?.[2] ?? null,
          })),
        latency: latencyPercentiles(whole?.latency?.[0], whole?.latency?.[1], whole?.latency?.[2]),
        feedback: feedback.rows[0],
        shadow: shadow.rows,
        reviewOpen: reviewOpen.rows[0]?.count ?? 0,
        bucketMs,
      });
    },

    async addShadowResult(result: ShadowResult) {
      requireShadowResult(result);
      await query(
        `INSERT INTO shadow_results (${shadowColumns.join(", ")}) ` +
          `VALUES (${shadowColumns.map((_, index) => `$${index + 1}`).join(", ")})`,
        shadowValues(result),
      );
    },

    async listShadowResults(filter: RequestFilter & { limit?: number } = {}) {
      requireRequestFilter(filter);
      const limit = requireListLimit(filter.limit, defaultShadowLimit);
      const { values, bind } = placeholders();
      const conditions = rangeConditions(filter, bind);
      const result = await query<ShadowRow>(
        `SELECT ${shadowColumns.join(", ")} FROM shadow_results${whereClause(conditions)} ` +
          `ORDER BY created_at DESC, id DESC LIMIT ${bind(limit)}`,
        values,
      );
      return result.rows.map(shadowFromRow);
    },

    async listLabelledRequests(filter: RequestFilter & { limit?: number } = {}) {
      requireRequestFilter(filter);
      const limit = requireListLimit(filter.limit, defaultLabelledLimit);
      const { values, bind } = placeholders();
      // The range is on the feedback's time, the use case on the request's.
      const conditions = rangeConditions({ since: filter.since, until: filter.until }, bind, "f");
      if (filter.useCaseId !== undefined) conditions.push(`r.use_case_id = ${bind(filter.useCaseId)}`);
      const result = await query<LabelledRow>(labelledRequestsSql(conditions, bind(limit)), values);
      return result.rows.map(labelledFromRow);
    },

    async addFeedback(entry: FeedbackEntry) {
      await query("INSERT INTO feedback (request_id, correct, source, created_at) VALUES ($1, $2, $3, $4)", [
        entry.requestId,
        entry.correct,
        entry.source,
        entry.createdAt,
      ]);
    },

    async listFeedback(filter = {}) {
      const conditions: string[] = [];
      const values: (string | number)[] = [];
      if (filter.requestId !== undefined) {
        values.push(filter.requestId);
        conditions.push(`request_id = $${values.length}`);
      }
      if (filter.since !== undefined) {
        values.push(Math.ceil(filter.since));
        conditions.push(`created_at >= $${values.length}`);
      }
      const where = conditions.length === 0 ? "" : ` WHERE ${conditions.join(" AND ")}`;
      values.push(listLimit(filter.limit, defaultFeedbackLimit));
      const result = await query<FeedbackRow>(
        `SELECT request_id, correct, source, created_at FROM feedback${where} ` +
          `ORDER BY created_at, id LIMIT $${values.length}`,
        values,
      );
      return result.rows.map(feedbackFromRow);
    },

    async enqueueReview(item) {
      const review: ReviewItem = {
        id: randomUUID(),
        requestId: item.requestId,
        useCaseId: item.useCaseId,
        inputText: item.inputText,
        slmLabel: item.slmLabel ?? null,
        slmConfidence: item.slmConfidence ?? null,
        llmLabel: item.llmLabel ?? null,
        reason: item.reason,
        status: "open",
        resolution: null,
        createdAt: Date.now(),
        resolvedAt: null,
      };
      await query(
        "INSERT INTO review_items (id, request_id, use_case_id, input_text, slm_label, slm_confidence, " +
          "llm_label, reason, status, resolution, created_at, resolved_at) " +
          "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        [
          review.id,
          review.requestId,
          review.useCaseId,
          review.inputText,
          review.slmLabel,
          review.slmConfidence,
          review.llmLabel,
          review.reason,
          review.status,
          review.resolution,
          review.createdAt,
          review.resolvedAt,
        ],
      );
      return review;
    },

    async listReview(filter: { useCaseId?: string; status?: ReviewStatus; limit?: number } = {}) {
      const conditions: string[] = [];
      const values: (string | number)[] = [];
      if (filter.useCaseId !== undefined) {
        values.push(filter.useCaseId);
        conditions.push(`use_case_id = $${values.length}`);
      }
      if (filter.status !== undefined) {
        values.push(filter.status);
        conditions.push(`status = $${values.length}`);
      }
      const where = conditions.length === 0 ? "" : ` WHERE ${conditions.join(" AND ")}`;
      values.push(listLimit(filter.limit, defaultReviewLimit));
      const result = await query<ReviewRow>(
        `SELECT * FROM review_items${where} ORDER BY created_at, seq LIMIT $${values.length}`,
        values,
      );
      return result.rows.map(reviewFromRow);
    },

    async getReview(id: string) {
      const result = await query<ReviewRow>("SELECT * FROM review_items WHERE id = $1", [id]);
      const row = result.rows[0];
      return row === undefined ? undefined : reviewFromRow(row);
    },

    async resolveReview(id: string, resolution: string) {
      const now = Date.now();
      return transaction(async (client) => {
        // The status condition makes a concurrent second resolve (another replica) update nothing.
        const updated = await client.query<ReviewRow>(
          "UPDATE review_items SET status = 'resolved', resolution = $1, resolved_at = $2 " +
            "WHERE id = $3 AND status = 'open' RETURNING *",
          [resolution, now, id],
        );
        const row = updated.rows[0];
        if (row === undefined) return undefined;
        await client.query(
          "INSERT INTO feedback (request_id, correct, source, created_at) VALUES ($1, $2, 'review', $3)",
          [row.request_id, resolution, now],
        );
        return reviewFromRow(row);
      });
    },

    async createApiKey(name: string) {
      const generated = generateApiKey();
      const record: ApiKeyRecord = { id: generated.id, name, createdAt: Date.now(), revokedAt: null };
      await query(
        "INSERT INTO api_keys (id, name, key_hash, created_at, revoked_at) VALUES ($1, $2, $3, $4, NULL)",
        [record.id, record.name, generated.hash, record.createdAt],
      );
      return { record, key: generated.key };
    },

    async verifyApiKey(key: string) {
      const parsed = parseApiKey(key);
      if (parsed === undefined) return undefined;
      const result = await query<ApiKeyRow>("SELECT * FROM api_keys WHERE id = $1", [parsed.id]);
      const row = result.rows[0];
      if (row === undefined || row.revoked_at !== null) return undefined;
      return secretMatches(parsed.secret, row.key_hash) ? apiKeyFromRow(row) : undefined;
    },

    async listApiKeys() {
      const result = await query<ApiKeyRow>("SELECT * FROM api_keys ORDER BY created_at, seq");
      return result.rows.map(apiKeyFromRow);
    },

    async revokeApiKey(id: string) {
      const result = await query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL", [
        Date.now(),
        id,
      ]);
      return (result.rowCount ?? 0) > 0;
    },

    async addSpend(scope: string, usd: number, at = Date.now()) {
      requireSpendInput(usd, at);
      await query(
        "INSERT INTO spend (scope, day, usd) VALUES ($1, $2, $3) " +
          "ON CONFLICT (scope, day) DO UPDATE SET usd = spend.usd + excluded.usd",
        [scope, utcDay(at), usd],
      );
    },

    async getSpend(scope: string, since: number) {
      requireTime("since", since);
      const result = await query<{ usd: number }>(
        "SELECT COALESCE(SUM(usd), 0) AS usd FROM spend WHERE scope = $1 AND day >= $2",
        [scope, utcDay(since)],
      );
      return result.rows[0]?.usd ?? 0;
    },

    async purgeText(olderThan: number) {
      requireTime("olderThan", olderThan);
      // Times are whole ms: rounding up keeps "< olderThan" exact (as `rangeConditions` does for ranges),
      // and Postgres' BIGINT would refuse the fraction.
      const result = await query(
        "UPDATE requests SET input_text = NULL WHERE created_at < $1 AND input_text IS NOT NULL",
        [Math.ceil(olderThan)],
      );
      return result.rowCount ?? 0;
    },

    close,
    [Symbol.asyncDispose]: close,
  };
}
