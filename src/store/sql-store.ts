// The Store over SQL, for every backend: checks the input, runs the queries of ./queries/ on the backend, and
// queues log rows for batched writes. A backend (SQLite, Postgres) supplies only what is its own.

import { randomUUID } from "node:crypto";
import { generateApiKey, parseApiKey } from "./api-keys.js";
import { insertApiKey, listApiKeys, revokeApiKey, verifyApiKey } from "./queries/api-keys.js";
import { addFeedback, listFeedback, listLabelledRequests } from "./queries/feedback.js";
import { applyMigrations } from "./queries/migrate.js";
import {
  countRequests,
  getRequest,
  listRequests,
  purgeText,
  type RequestValues,
  requestValues,
} from "./queries/request-log.js";
import { getReview, insertReview, listReview, resolveReview } from "./queries/review-queue.js";
import { addShadowResult, listShadowResults } from "./queries/shadow-results.js";
import { addSpend, getSpend } from "./queries/spend.js";
import { summarizeRequests } from "./queries/summary.js";
import type { Query, SqlDatabase } from "./sql/query.js";
import {
  defaultFeedbackLimit,
  defaultLabelledLimit,
  defaultRequestLimit,
  defaultReviewLimit,
  defaultShadowLimit,
  listLimit,
  requireBucketMs,
  requireListLimit,
  requireListRequestsFilter,
  requireRequestFilter,
  requireShadowResult,
  requireSpendInput,
  requireTime,
} from "./store-input.js";
import type {
  ApiKeyRecord,
  FeedbackEntry,
  LabelledRequest,
  ListRequestsFilter,
  RequestFilter,
  RequestLogEntry,
  RequestSummary,
  ReviewItem,
  ReviewStatus,
  ShadowResult,
  Store,
} from "./types.js";
import { type ResolvedBatchedWriteOptions, WriteQueue } from "./write-queue.js";

/** What a backend gives the Store beyond running queries: the log's batch writes, migrations, and closing. */
export interface SqlBackend extends SqlDatabase {
  /** Writes a batch of log rows, all or none. */
  writeRequests(rows: readonly RequestValues[]): Promise<void>;
  /** Whether a failed `writeRequests` should be retried (see `WriteQueueOptions.isTransient`). */
  isTransientWriteError(error: unknown): boolean;
  /** Work done first in the migration's transaction (Postgres: a lock, so replicas take turns; the schema). */
  beforeMigrations?(): Query<void>;
  /** Releases the connections (and threads); later calls fail as STORE_UNAVAILABLE. Called once. */
  close(): Promise<void>;
}

/** Default wait of `flush()`, in ms. */
const defaultFlushTimeoutMs = 10_000;

/**
 * Every method is async, so a bad argument rejects rather than throws, and `return await`s the backend: an
 * async function that returns a promise adopts it two microtask ticks later, one that awaits it one tick.
 */
export class SqlStore implements Store {
  readonly #backend: SqlBackend;
  readonly #queue: WriteQueue<RequestValues>;
  readonly #closeTimeoutMs: number;
  #closed = false;

  constructor(backend: SqlBackend, writeOptions: ResolvedBatchedWriteOptions) {
    this.#backend = backend;
    this.#closeTimeoutMs = writeOptions.closeTimeoutMs;
    this.#queue = new WriteQueue<RequestValues>({
      ...writeOptions,
      backend: backend.dialect.name,
      write: (rows) => backend.writeRequests(rows),
      isTransient: (error) => backend.isTransientWriteError(error),
      describe: (row) => String(row[0]),
    });
  }

  async migrate(): Promise<void> {
    const backend = this.#backend;
    await backend.transaction(function* () {
      if (backend.beforeMigrations !== undefined) yield* backend.beforeMigrations();
      yield* applyMigrations(backend.dialect.migrations);
    });
  }

  logRequest(entry: RequestLogEntry): void {
    this.#queue.push(requestValues(entry));
  }

  flush(timeoutMs = defaultFlushTimeoutMs): Promise<void> {
    return this.#queue.flush(timeoutMs);
  }

  pendingWrites(): number {
    return this.#queue.pending();
  }

  droppedWrites(): number {
    return this.#queue.dropped();
  }

  async getRequest(id: string): Promise<RequestLogEntry | undefined> {
    return await this.#backend.run(() => getRequest(id));
  }

  async countRequests(filter: { useCaseId?: string; since?: number } = {}): Promise<number> {
    return await this.#backend.run(() => countRequests(filter));
  }

  async listRequests(filter: ListRequestsFilter = {}): Promise<RequestLogEntry[]> {
    requireListRequestsFilter(filter);
    const limit = requireListLimit(filter.limit, defaultRequestLimit);
    return await this.#backend.run(() => listRequests(filter, limit));
  }

  async summarizeRequests(filter: RequestFilter & { bucketMs?: number } = {}): Promise<RequestSummary> {
    requireRequestFilter(filter);
    const bucketMs = requireBucketMs(filter.bucketMs);
    const dialect = this.#backend.dialect;
    return await this.#backend.snapshot(() => summarizeRequests(dialect, filter, bucketMs));
  }

  async addShadowResult(result: ShadowResult): Promise<void> {
    requireShadowResult(result);
    await this.#backend.run(() => addShadowResult(result));
  }

  async listShadowResults(filter: RequestFilter & { limit?: number } = {}): Promise<ShadowResult[]> {
    requireRequestFilter(filter);
    const limit = requireListLimit(filter.limit, defaultShadowLimit);
    return await this.#backend.run(() => listShadowResults(filter, limit));
  }

  async listLabelledRequests(filter: RequestFilter & { limit?: number } = {}): Promise<LabelledRequest[]> {
    requireRequestFilter(filter);
    const limit = requireListLimit(filter.limit, defaultLabelledLimit);
    return await this.#backend.run(() => listLabelledRequests(filter, limit));
  }

  async addFeedback(entry: FeedbackEntry): Promise<void> {
    await this.#backend.run(() => addFeedback(entry));
  }

  async listFeedback(
    filter: { requestId?: string; since?: number; limit?: number } = {},
  ): Promise<FeedbackEntry[]> {
    const limit = listLimit(filter.limit, defaultFeedbackLimit);
    return await this.#backend.run(() => listFeedback(filter, limit));
  }

  async enqueueReview(
    item: Omit<ReviewItem, "id" | "status" | "resolution" | "createdAt" | "resolvedAt">,
  ): Promise<ReviewItem> {
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
    await this.#backend.run(() => insertReview(review));
    return review;
  }

  async listReview(
    filter: { useCaseId?: string; status?: ReviewStatus; limit?: number } = {},
  ): Promise<ReviewItem[]> {
    const limit = listLimit(filter.limit, defaultReviewLimit);
    const dialect = this.#backend.dialect;
    return await this.#backend.run(() => listReview(dialect, filter, limit));
  }

  async getReview(id: string): Promise<ReviewItem | undefined> {
    return await this.#backend.run(() => getReview(id));
  }

  async resolveReview(id: string, resolution: string): Promise<ReviewItem | undefined> {
    const now = Date.now();
    return await this.#backend.transaction(() => resolveReview(id, resolution, now));
  }

  async createApiKey(name: string): Promise<{ record: ApiKeyRecord; key: string }> {
    const generated = generateApiKey();
    const record: ApiKeyRecord = { id: generated.id, name, createdAt: Date.now(), revokedAt: null };
    await this.#backend.run(() => insertApiKey(record, generated.hash));
    return { record, key: generated.key };
  }

  async verifyApiKey(key: string): Promise<ApiKeyRecord | undefined> {
    // A malformed key is refused without a query (also by a closed store).
    const parsed = parseApiKey(key);
    if (parsed === undefined) return undefined;
    return await this.#backend.run(() => verifyApiKey(parsed));
  }

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    const dialect = this.#backend.dialect;
    return await this.#backend.run(() => listApiKeys(dialect));
  }

  async revokeApiKey(id: string): Promise<boolean> {
    const now = Date.now();
    return await this.#backend.run(() => revokeApiKey(id, now));
  }

  async addSpend(scope: string, usd: number, at = Date.now()): Promise<void> {
    requireSpendInput(usd, at);
    await this.#backend.run(() => addSpend(scope, usd, at));
  }

  async getSpend(scope: string, since: number): Promise<number> {
    requireTime("since", since);
    return await this.#backend.run(() => getSpend(scope, since));
  }

  async purgeText(olderThan: number): Promise<number> {
    requireTime("olderThan", olderThan);
    return await this.#backend.run(() => purgeText(olderThan));
  }

  /** Writes the queued rows (for up to `closeTimeoutMs`), then releases the backend, once. */
  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.#queue.close(this.#closeTimeoutMs);
    } finally {
      // A second call made while the first waited for the queue must not release the backend twice.
      if (!this.#closed) {
        this.#closed = true;
        await this.#backend.close();
      }
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
