// The embedded Store on SQLite (better-sqlite3, WAL): the default, with nothing to set up.

import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { SlmkitError } from "../errors.js";
import { generateApiKey, parseApiKey, secretMatches } from "./api-keys.js";
import { migrationsTableSql, sqliteMigrations } from "./migrations.js";
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
  listLimit,
  nearestRankPercentiles,
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
import { chunkedInserts, type SqliteWorker, startSqliteWorker } from "./sqlite-worker.js";
import { requireSpendInput, requireTime } from "./store-input.js";
import type {
  ApiKeyRecord,
  FeedbackEntry,
  ListRequestsFilter,
  RequestFilter,
  RequestLogEntry,
  RequestSummary,
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

export interface SqliteStoreOptions extends BatchedWriteOptions {
  /** Database file (parent folders are created), or ":memory:" for a store that lives with the process. */
  path: string;
  /** How long, in ms, a statement waits for another connection's lock before failing. Default 5,000. */
  busyTimeoutMs?: number;
  /**
   * How often, in ms, a worker thread checkpoints the WAL into the database file, keeping that fsync off the
   * event loop. 0 leaves checkpoints to SQLite, on the thread that commits, and starts no worker (log
   * writes then stay on the main thread too). Default 1,000. Files in WAL mode only.
   */
  checkpointIntervalMs?: number;
  /**
   * Whether the worker thread that checkpoints also writes the `logRequest` batches, keeping their
   * transactions off the event loop. False writes them on the main thread. Reads, and every other write,
   * stay on the main thread either way. Applies only where the worker runs (see `checkpointIntervalMs`);
   * should the worker die, writes move back to the main thread. Default true.
   */
  logWritesOnWorker?: boolean;
}

/**
 * What a SQLite store shows tests about itself, beyond `Store`: not part of the public API.
 * @internal
 */
export interface SqliteStoreInternals {
  /** Rows the worker thread committed, and rows the main thread committed, through the log queue. */
  rowsWrittenByWorker(): number;
  rowsWrittenOnMainThread(): number;
  /** Whether a worker thread is running. */
  workerRunning(): boolean;
  /** Kills the worker as a crash would; resolves once it is gone. */
  terminateWorker(): Promise<void>;
}

const internalsKey = Symbol("slmkit.sqliteStoreInternals");

/**
 * The internals of a store made by `createSqliteStore`, undefined for any other store.
 * @internal
 */
export function sqliteStoreInternals(store: Store): SqliteStoreInternals | undefined {
  return (store as Store & { [internalsKey]?: SqliteStoreInternals })[internalsKey];
}

/** Default wait of `flush()`, in ms. */
const defaultFlushTimeoutMs = 10_000;

// SQLite result codes that mean "not now" rather than "this row is wrong": the batch is kept and retried.
const transientCodes = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|PROTOCOL|NOMEM)/;

/** The schema is older than this code: true until `migrate()` has run (no table, or a column still missing). */
function isSchemaBehind(error: unknown): boolean {
  return error instanceof Error && /no such table|has no column named/.test(error.message);
}

function isTransient(error: unknown): boolean {
  // The worker thread died with the batch: the main thread writes it on the retry.
  if (SlmkitError.isInstance(error) && error.code === "STORE_UNAVAILABLE") return true;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && transientCodes.test(code)) return true;
  // Rows logged before `migrate()` wait for their table (or, on a database of an older version, their
  // columns) instead of being dropped.
  return isSchemaBehind(error);
}

// A row logged twice under one id keeps the first, as on Postgres: SQLite inserts a multi-row INSERT's rows
// in order. Not "OR IGNORE": that would also swallow NOT NULL violations silently instead of reporting the
// refused row.
const requestInserts = chunkedInserts("requests", requestColumns, "ON CONFLICT (id) DO NOTHING");

/** Creates a SQLite store. Call `migrate()` before use; rows logged earlier wait in the queue. */
export function createSqliteStore(options: SqliteStoreOptions): Store {
  const writeOptions = resolveBatchedWriteOptions(options);
  const busyTimeoutMs = options.busyTimeoutMs ?? 5_000;
  requireInteger("busyTimeoutMs", busyTimeoutMs, 0);
  const checkpointIntervalMs = options.checkpointIntervalMs ?? 1_000;
  requireInteger("checkpointIntervalMs", checkpointIntervalMs, 0);
  const inMemory = options.path === ":memory:" || options.path === "";
  if (!inMemory) {
    try {
      mkdirSync(dirname(options.path), { recursive: true });
    } catch (error) {
      throw new SlmkitError(
        "IO_ERROR",
        `cannot create the folder of the SQLite store ${options.path}: ${(error as Error).message}.`,
        { file: options.path, cause: error },
      );
    }
  }
  let database: Database.Database;
  let journalMode: unknown;
  try {
    database = new Database(options.path, { timeout: busyTimeoutMs });
    // WAL lets readers run beside the writer; NORMAL is durable across a process crash in WAL mode and
    // only an OS crash can lose the last commits, which is the right trade for a request log.
    journalMode = database.pragma("journal_mode = WAL", { simple: true });
    database.pragma("synchronous = NORMAL");
  } catch (error) {
    throw new SlmkitError(
      "IO_ERROR",
      `cannot open the SQLite store ${options.path}: ${(error as Error).message}. ` +
        "Check that the path is a writable file (or ':memory:').",
      { file: options.path, cause: error },
    );
  }
  const db = database;
  let closed = false;

  // The worker opens a connection of its own to the file, so it needs one (":memory:" is private to this
  // connection) and WAL, where its commits do not block this connection's readers.
  let worker: SqliteWorker | undefined;
  if (journalMode === "wal" && checkpointIntervalMs > 0) {
    // SQLite still checkpoints by itself past 64 MB of WAL, should the worker ever fall behind.
    db.pragma("wal_autocheckpoint = 16384");
    worker = startSqliteWorker({
      path: options.path,
      checkpointIntervalMs,
      busyTimeoutMs,
      inserts: requestInserts,
      logger: writeOptions.logger,
      onFailure: () => {
        if (!closed) db.pragma("wal_autocheckpoint = 1000");
      },
    });
  } else if (!inMemory && journalMode !== "wal") {
    writeOptions.logger?.warn(
      { backend: "sqlite", path: options.path, journalMode },
      "SQLite could not switch to WAL mode (is the file on a network file system?); readers will block writes",
    );
  }

  // Statements are prepared on first use: their tables exist only after `migrate()`.
  const prepared = new Map<string, Database.Statement>();
  const statement = (sql: string): Database.Statement => {
    let found = prepared.get(sql);
    if (found === undefined) {
      found = db.prepare(sql);
      prepared.set(sql, found);
    }
    return found;
  };

  // As the worker inserts a batch (see sqlite-worker.ts), for when it does not run.
  const insertRequests = db.transaction((rows: readonly RequestValues[]) => {
    let offset = 0;
    for (const insert of requestInserts) {
      while (rows.length - offset >= insert.rows) {
        statement(insert.sql).run(...rows.slice(offset, offset + insert.rows));
        offset += insert.rows;
      }
    }
  });

  const writer = options.logWritesOnWorker === false ? undefined : worker;
  let rowsWrittenByWorker = 0;
  let rowsWrittenOnMainThread = 0;
  const queue = new WriteQueue<RequestValues>({
    ...writeOptions,
    backend: "sqlite",
    write: async (rows) => {
      if (writer?.isRunning()) {
        await writer.writeRequests(rows);
        rowsWrittenByWorker += rows.length;
        return;
      }
      insertRequests(rows);
      rowsWrittenOnMainThread += rows.length;
    },
    isTransient,
    describe: (row) => String(row[0]),
  });

  // While the worker writes the log, this connection's own writes (spend, reviews, feedback, keys) would
  // otherwise wait for its lock inside SQLite's busy handler, which sleeps on the event loop (measured at
  // 20,000 log rows/s: 2.6% of spend writes stalled every request for 1 ms or more, up to 33 ms). So this
  // connection does not wait in SQLite: a statement that finds the database busy is retried after a timer,
  // with the event loop free meanwhile, for up to `busyTimeoutMs` in all.
  const waitsOffLoop = writer !== undefined;
  if (waitsOffLoop) db.pragma("busy_timeout = 0");
  const isBusy = (error: unknown) => {
    const code = (error as { code?: unknown } | null)?.code;
    return typeof code === "string" && code.startsWith("SQLITE_BUSY");
  };

  /** Runs a read or a direct write once, turning "closed" and "locked" into a clear STORE_UNAVAILABLE. */
  const runOnce = <T>(action: () => T, giveUp: boolean): T => {
    if (closed) {
      throw new SlmkitError("STORE_UNAVAILABLE", `the SQLite store ${options.path} is closed.`);
    }
    try {
      return action();
    } catch (error) {
      if (!giveUp && isBusy(error)) throw error;
      if (isTransient(error) && !isSchemaBehind(error)) {
        throw new SlmkitError(
          "STORE_UNAVAILABLE",
          `the SQLite store ${options.path} cannot be used now (${describeError(error)}). ` +
            "Another process may hold a long lock, or the disk may be full or read-only.",
          { file: options.path, cause: error },
        );
      }
      throw error;
    }
  };

  /**
   * Runs a read or a direct write; a busy database is retried after 1, 2, 4 … 25 ms timers (see above) until
   * `busyTimeoutMs` has passed. A transaction that finds it busy was rolled back whole and runs again whole.
   */
  const run = async <T>(action: () => T): Promise<T> => {
    if (!waitsOffLoop) return runOnce(action, true);
    const deadline = Date.now() + busyTimeoutMs;
    let delayMs = 1;
    for (;;) {
      const last = Date.now() >= deadline;
      try {
        return runOnce(action, last);
      } catch (error) {
        if (last || !isBusy(error)) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      delayMs = Math.min(delayMs * 2, 25);
    }
  };

  const migrate = db.transaction(() => {
    db.exec(migrationsTableSql);
    const applied = new Set(
      (db.prepare("SELECT version FROM schema_migrations").all() as { version: number }[]).map(
        (row) => row.version,
      ),
    );
    const record = db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)");
    for (const migration of sqliteMigrations) {
      if (applied.has(migration.version)) continue;
      db.exec(migration.sql);
      record.run(migration.version, migration.name, Date.now());
    }
  });

  const resolveReview = db.transaction((id: string, resolution: string, now: number) => {
    const row = statement(
      "UPDATE review_items SET status = 'resolved', resolution = ?, resolved_at = ? " +
        "WHERE id = ? AND status = 'open' RETURNING *",
    ).get(resolution, now, id) as ReviewRow | undefined;
    if (row === undefined) return undefined;
    statement(
      "INSERT INTO feedback (request_id, correct, source, created_at) VALUES (?, ?, 'review', ?)",
    ).run(row.request_id, resolution, now);
    return reviewFromRow(row);
  });

  // SQLite has no percentile aggregate, and ranking with window functions (ROW_NUMBER over the bucket, then
  // over the range) sorts the whole range once per window and again to group it: about four times slower
  // than this aggregate on 100,000 rows when measured. It answers a group's latencies sorted, as a BLOB of
  // float64; the buckets' percentiles are read from it, and the whole range's from all buckets' values at
  // once, without a second pass over the rows.
  db.aggregate("slmkit_sorted_latencies", {
    start: (): number[] => [],
    step: (latencies: number[], latency: unknown) => {
      if (typeof latency === "number") latencies.push(latency);
      return latencies;
    },
    result: (latencies: number[]) => {
      const sorted = Float64Array.from(latencies).sort();
      return Buffer.from(sorted.buffer, sorted.byteOffset, sorted.byteLength);
    },
  });

  /** Every aggregate of a summary, read in one transaction so the parts agree with each other. */
  const summarize = db.transaction((filter: RequestFilter, bucketMs: number): RequestSummary => {
    const rangeValues: (string | number)[] = [];
    const range = whereClause(
      rangeConditions(filter, (value) => {
        rangeValues.push(value);
        return "?";
      }),
    );
    // The width is bound as an integer so `created_at / ?` divides integers (a JS number binds as REAL).
    const rows = statement(
      `SELECT CAST(created_at / ? AS INTEGER) AS bucket, COUNT(*) AS requests,
  COUNT(*) FILTER (WHERE answered_by = 'slm') AS slm, COUNT(*) FILTER (WHERE answered_by = 'cache') AS cache,
  COUNT(*) FILTER (WHERE answered_by = 'llm') AS llm, COUNT(*) FILTER (WHERE answered_by = 'review') AS review,
  COUNT(*) FILTER (WHERE cost_usd > 0 OR input_tokens > 0 OR output_tokens > 0) AS llm_calls,
  SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS output_tokens, SUM(cost_usd) AS cost_usd,
  MIN(created_at) AS first_at, MAX(created_at) AS last_at, slmkit_sorted_latencies(latency_ms) AS latencies
FROM requests${range} GROUP BY bucket ORDER BY bucket`,
    ).all(BigInt(bucketMs), ...rangeValues) as (Omit<BucketRow, "p50" | "p95" | "p99"> & {
      latencies: Buffer | null;
    })[];
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

    const joinedValues: (string | number)[] = [];
    const joinedRange = rangeConditions(
      filter,
      (value) => {
        joinedValues.push(value);
        return "?";
      },
      "r",
    );
    // Feedback and shadow rows are joined to the requests of the range from whichever side has fewer rows:
    // a week of requests beside a few thousand feedback rows, or the last hour beside years of feedback.
    // CROSS JOIN fixes SQLite's loop order; MAX(id) counts a table without reading it (rows are never deleted).
    const joinFrom = (table: "feedback" | "shadow_results", alias: string): string => {
      const { count } = statement(`SELECT COALESCE(MAX(id), 0) AS count FROM ${table}`).get() as {
        count: number;
      };
      const tables =
        count < requests
          ? `${table} ${alias} CROSS JOIN requests r`
          : `requests r CROSS JOIN ${table} ${alias}`;
      return `FROM ${tables}${whereClause([`r.id = ${alias}.request_id`, ...joinedRange])}`;
    };
    // The latest feedback per request wins: a reviewer's correction replaces a user's earlier report.
    const feedback =
      requests === 0
        ? undefined
        : (statement(
            `SELECT COUNT(*) AS n, COUNT(*) FILTER (WHERE correct = label) AS correct,
  COUNT(*) FILTER (WHERE answered_by = 'slm') AS slm_n,
  COUNT(*) FILTER (WHERE answered_by = 'slm' AND correct = label) AS slm_correct
FROM (
  SELECT r.label, r.answered_by, f.correct,
    ROW_NUMBER() OVER (PARTITION BY f.request_id ORDER BY f.created_at DESC, f.id DESC) AS position
  ${joinFrom("feedback", "f")}
) AS latest WHERE position = 1`,
          ).get(joinedValues) as FeedbackTotalsRow);
    const shadow =
      requests === 0
        ? []
        : (statement(
            `SELECT outcome, COUNT(*) AS count
FROM (
  SELECT s.outcome,
    ROW_NUMBER() OVER (PARTITION BY s.request_id ORDER BY s.created_at DESC, s.id DESC) AS position
  ${joinFrom("shadow_results", "s")}
) AS latest WHERE position = 1 GROUP BY outcome`,
          ).all(joinedValues) as { outcome: string; count: number }[]);

    // The same conditions as the range's, so the same values in the same order.
    const review = statement(
      `SELECT COUNT(*) AS count FROM review_items${whereClause(["status = 'open'", ...rangeConditions(filter, () => "?")])}`,
    ).get(rangeValues) as { count: number };

    return summaryFromRows({
      buckets,
      latency: nearestRankPercentiles(whole.subarray(0, filled).sort()),
      feedback,
      shadow,
      reviewOpen: review.count,
      bucketMs,
    });
  });

  const close = async (): Promise<void> => {
    if (closed) return;
    try {
      await queue.close(writeOptions.closeTimeoutMs);
    } finally {
      closed = true;
      // Only now: the queue's last batches went through the worker, which finishes them before it stops.
      await worker?.stop();
      db.close();
    }
  };

  const internals: SqliteStoreInternals = {
    rowsWrittenByWorker: () => rowsWrittenByWorker,
    rowsWrittenOnMainThread: () => rowsWrittenOnMainThread,
    workerRunning: () => worker?.isRunning() ?? false,
    terminateWorker: async () => worker?.terminate(),
  };

  const store: Store & { [internalsKey]: SqliteStoreInternals } = {
    [internalsKey]: internals,

    async migrate() {
      await run(() => migrate.immediate());
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
      const row = (await run(() => statement("SELECT * FROM requests WHERE id = ?").get(id))) as
        | RequestRow
        | undefined;
      return row === undefined ? undefined : requestFromRow(row);
    },

    async countRequests(filter = {}) {
      const conditions: string[] = [];
      const values: (string | number)[] = [];
      if (filter.useCaseId !== undefined) {
        conditions.push("use_case_id = ?");
        values.push(filter.useCaseId);
      }
      if (filter.since !== undefined) {
        conditions.push("created_at >= ?");
        values.push(Math.ceil(filter.since));
      }
      const where = conditions.length === 0 ? "" : ` WHERE ${conditions.join(" AND ")}`;
      const row = (await run(() =>
        statement(`SELECT COUNT(*) AS count FROM requests${where}`).get(values),
      )) as {
        count: number;
      };
      return row.count;
    },

    async listRequests(filter: ListRequestsFilter = {}) {
      requireListRequestsFilter(filter);
      const limit = requireListLimit(filter.limit, defaultRequestLimit);
      const values: (string | number)[] = [];
      const conditions = rangeConditions(filter, (value) => {
        values.push(value);
        return "?";
      });
      if (filter.answeredBy !== undefined) {
        conditions.push("answered_by = ?");
        values.push(filter.answeredBy);
      }
      if (filter.withText === true) conditions.push("input_text IS NOT NULL");
      const direction = filter.order === "oldest" ? "ASC" : "DESC";
      values.push(limit);
      const rows = (await run(() =>
        statement(
          `SELECT * FROM requests${whereClause(conditions)} ` +
            `ORDER BY created_at ${direction}, id ${direction} LIMIT ?`,
        ).all(values),
      )) as RequestRow[];
      return rows.map(requestFromRow);
    },

    async summarizeRequests(filter: RequestFilter & { bucketMs?: number } = {}) {
      requireRequestFilter(filter);
      const bucketMs = requireBucketMs(filter.bucketMs);
      return run(() => summarize(filter, bucketMs));
    },

    async addShadowResult(result: ShadowResult) {
      requireShadowResult(result);
      await run(() =>
        statement(
          `INSERT INTO shadow_results (${shadowColumns.join(", ")}) VALUES (${shadowColumns.map(() => "?").join(", ")})`,
        ).run(shadowValues(result)),
      );
    },

    async listShadowResults(filter: RequestFilter & { limit?: number } = {}) {
      requireRequestFilter(filter);
      const limit = requireListLimit(filter.limit, defaultShadowLimit);
      const values: (string | number)[] = [];
      const conditions = rangeConditions(filter, (value) => {
        values.push(value);
        return "?";
      });
      values.push(limit);
      const rows = (await run(() =>
        statement(
          `SELECT ${shadowColumns.join(", ")} FROM shadow_results${whereClause(conditions)} ` +
            "ORDER BY created_at DESC, id DESC LIMIT ?",
        ).all(values),
      )) as ShadowRow[];
      return rows.map(shadowFromRow);
    },

    async listLabelledRequests(filter: RequestFilter & { limit?: number } = {}) {
      requireRequestFilter(filter);
      const limit = requireListLimit(filter.limit, defaultLabelledLimit);
      const values: (string | number)[] = [];
      const bind = (value: string | number) => {
        values.push(value);
        return "?";
      };
      // The range is on the feedback's time, the use case on the request's.
      const conditions = rangeConditions({ since: filter.since, until: filter.until }, bind, "f");
      if (filter.useCaseId !== undefined) conditions.push(`r.use_case_id = ${bind(filter.useCaseId)}`);
      values.push(limit);
      const rows = (await run(() =>
        statement(labelledRequestsSql(conditions, "?")).all(values),
      )) as LabelledRow[];
      return rows.map(labelledFromRow);
    },

    async addFeedback(entry: FeedbackEntry) {
      await run(() =>
        statement("INSERT INTO feedback (request_id, correct, source, created_at) VALUES (?, ?, ?, ?)").run(
          entry.requestId,
          entry.correct,
          entry.source,
          entry.createdAt,
        ),
      );
    },

    async listFeedback(filter = {}) {
      const conditions: string[] = [];
      const values: (string | number)[] = [];
      if (filter.requestId !== undefined) {
        conditions.push("request_id = ?");
        values.push(filter.requestId);
      }
      if (filter.since !== undefined) {
        conditions.push("created_at >= ?");
        values.push(Math.ceil(filter.since));
      }
      const where = conditions.length === 0 ? "" : ` WHERE ${conditions.join(" AND ")}`;
      values.push(listLimit(filter.limit, defaultFeedbackLimit));
      const rows = (await run(() =>
        statement(
          `SELECT request_id, correct, source, created_at FROM feedback${where} ORDER BY created_at, id LIMIT ?`,
        ).all(values),
      )) as FeedbackRow[];
      return rows.map(feedbackFromRow);
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
      await run(() =>
        statement(
          "INSERT INTO review_items (id, request_id, use_case_id, input_text, slm_label, slm_confidence, " +
            "llm_label, reason, status, resolution, created_at, resolved_at) " +
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        ).run(
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
        ),
      );
      return review;
    },

    async listReview(filter: { useCaseId?: string; status?: ReviewStatus; limit?: number } = {}) {
      const conditions: string[] = [];
      const values: (string | number)[] = [];
      if (filter.useCaseId !== undefined) {
        conditions.push("use_case_id = ?");
        values.push(filter.useCaseId);
      }
      if (filter.status !== undefined) {
        conditions.push("status = ?");
        values.push(filter.status);
      }
      const where = conditions.length === 0 ? "" : ` WHERE ${conditions.join(" AND ")}`;
      values.push(listLimit(filter.limit, defaultReviewLimit));
      const rows = (await run(() =>
        statement(`SELECT * FROM review_items${where} ORDER BY created_at, rowid LIMIT ?`).all(values),
      )) as ReviewRow[];
      return rows.map(reviewFromRow);
    },

    async getReview(id: string) {
      const row = (await run(() => statement("SELECT * FROM review_items WHERE id = ?").get(id))) as
        | ReviewRow
        | undefined;
      return row === undefined ? undefined : reviewFromRow(row);
    },

    async resolveReview(id: string, resolution: string) {
      return run(() => resolveReview.immediate(id, resolution, Date.now()));
    },

    async createApiKey(name: string) {
      const generated = generateApiKey();
      const record: ApiKeyRecord = { id: generated.id, name, createdAt: Date.now(), revokedAt: null };
      await run(() =>
        statement(
          "INSERT INTO api_keys (id, name, key_hash, created_at, revoked_at) VALUES (?, ?, ?, ?, NULL)",
        ).run(record.id, record.name, generated.hash, record.createdAt),
      );
      return { record, key: generated.key };
    },

    async verifyApiKey(key: string) {
      const parsed = parseApiKey(key);
      if (parsed === undefined) return undefined;
      const row = (await run(() => statement("SELECT * FROM api_keys WHERE id = ?").get(parsed.id))) as
        | ApiKeyRow
        | undefined;
      if (row === undefined || row.revoked_at !== null) return undefined;
      return secretMatches(parsed.secret, row.key_hash) ? apiKeyFromRow(row) : undefined;
    },

    async listApiKeys() {
      const rows = (await run(() =>
        statement("SELECT * FROM api_keys ORDER BY created_at, rowid").all(),
      )) as ApiKeyRow[];
      return rows.map(apiKeyFromRow);
    },

    async revokeApiKey(id: string) {
      const result = await run(() =>
        statement("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL").run(
          Date.now(),
          id,
        ),
      );
      return result.changes > 0;
    },

    async addSpend(scope: string, usd: number, at = Date.now()) {
      requireSpendInput(usd, at);
      await run(() =>
        statement(
          "INSERT INTO spend (scope, day, usd) VALUES (?, ?, ?) " +
            "ON CONFLICT (scope, day) DO UPDATE SET usd = spend.usd + excluded.usd",
        ).run(scope, utcDay(at), usd),
      );
    },

    async getSpend(scope: string, since: number) {
      requireTime("since", since);
      const row = (await run(() =>
        statement("SELECT COALESCE(SUM(usd), 0) AS usd FROM spend WHERE scope = ? AND day >= ?").get(
          scope,
          utcDay(since),
        ),
      )) as { usd: number };
      return row.usd;
    },

    async purgeText(olderThan: number) {
      requireTime("olderThan", olderThan);
      // Times are whole ms: rounding up keeps "< olderThan" exact (as `rangeConditions` does for ranges),
      // and Postgres' BIGINT would refuse the fraction.
      const result = await run(() =>
        statement(
          "UPDATE requests SET input_text = NULL WHERE created_at < ? AND input_text IS NOT NULL",
        ).run(Math.ceil(olderThan)),
      );
      return result.changes;
    },

    close,
    [Symbol.asyncDispose]: close,
  };
  return store;
}
