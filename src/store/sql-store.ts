// The Store over SQL, for every backend: checks the input, runs the queries of ./queries/ on the backend, and
// queues log rows for batched writes. A backend (SQLite, Postgres) supplies only what is its own.

import { randomUUID } from "node:crypto";
import { generateApiKey, parseApiKey } from "./api-keys.js";
import { insertApiKey, listApiKeys, revokeApiKey, verifyApiKey } from "./queries/api-keys.js";
import { addFeedback, listFeedback, listLabelledRequests } from "./queries/feedback.js";
import { applyMigrations } from "./queries/migrate.js";
import { purgeText } from "./queries/purge.js";
import {
  countRequests,
  getRequest,
  listRequests,
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
  requireApiKeyOptions,
  requireBucketMs,
  requireListLimit,
  requireListRequestsFilter,
  requireRequestFilter,
  requireShadowResult,
  requireSpendInput,
  requireTime,
} from "./store-input.js";
import type { ApiKeyRecord, ReviewItem, Store } from "./types.js";
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
 * Creates the Store on a backend. The Store is a plain object of closures, as callers expect (they may pass a
 * method on by itself, or spread the store to wrap one method), assembled from one part per table.
 */
export function createSqlStore(backend: SqlBackend, writeOptions: ResolvedBatchedWriteOptions): Store {
  const queue = new WriteQueue<RequestValues>({
    ...writeOptions,
    backend: backend.dialect.name,
    write: (rows) => backend.writeRequests(rows),
    isTransient: (error) => backend.isTransientWriteError(error),
    describe: (row) => String(row[0]),
  });
  let closed = false;
  /** Writes the queued rows (for up to `closeTimeoutMs`), then releases the backend, once. */
  const close = async (): Promise<void> => {
    if (closed) return;
    try {
      await queue.close(writeOptions.closeTimeoutMs);
    } finally {
      // A second call made while the first waited for the queue must not release the backend twice.
      if (!closed) {
        closed = true;
        await backend.close();
      }
    }
  };
  return {
    async migrate() {
      await backend.transaction(function* () {
        if (backend.beforeMigrations !== undefined) yield* backend.beforeMigrations();
        yield* applyMigrations(backend.dialect.migrations);
      });
    },
    ...logQueueMethods(queue),
    ...requestLogMethods(backend),
    ...shadowResultMethods(backend),
    ...feedbackMethods(backend),
    ...reviewQueueMethods(backend),
    ...apiKeyMethods(backend),
    ...spendMethods(backend),
    close,
    [Symbol.asyncDispose]: close,
  };
}

// In the parts below every method is async, so a bad argument rejects rather than throws, and `return await`s
// the backend: an async function that returns a promise adopts it two microtask ticks later, one that awaits
// it one tick.

function logQueueMethods(
  queue: WriteQueue<RequestValues>,
): Pick<Store, "logRequest" | "flush" | "pendingWrites" | "droppedWrites"> {
  return {
    logRequest: (entry) => queue.push(requestValues(entry)),
    flush: (timeoutMs = defaultFlushTimeoutMs) => queue.flush(timeoutMs),
    pendingWrites: () => queue.pending(),
    droppedWrites: () => queue.dropped(),
  };
}

function requestLogMethods(
  backend: SqlBackend,
): Pick<Store, "getRequest" | "countRequests" | "listRequests" | "summarizeRequests" | "purgeText"> {
  return {
    async getRequest(id) {
      return await backend.run(() => getRequest(id));
    },
    async countRequests(filter = {}) {
      return await backend.run(() => countRequests(filter));
    },
    async listRequests(filter = {}) {
      requireListRequestsFilter(filter);
      const limit = requireListLimit(filter.limit, defaultRequestLimit);
      return await backend.run(() => listRequests(filter, limit));
    },
    async summarizeRequests(filter = {}) {
      requireRequestFilter(filter);
      const bucketMs = requireBucketMs(filter.bucketMs);
      return await backend.snapshot(() => summarizeRequests(backend.dialect, filter, bucketMs));
    },
    async purgeText(olderThan, filter = {}) {
      requireTime("olderThan", olderThan);
      return await backend.transaction(() => purgeText(olderThan, filter));
    },
  };
}

function shadowResultMethods(backend: SqlBackend): Pick<Store, "addShadowResult" | "listShadowResults"> {
  return {
    async addShadowResult(result) {
      requireShadowResult(result);
      await backend.run(() => addShadowResult(result));
    },
    async listShadowResults(filter = {}) {
      requireRequestFilter(filter);
      const limit = requireListLimit(filter.limit, defaultShadowLimit);
      return await backend.run(() => listShadowResults(filter, limit));
    },
  };
}

function feedbackMethods(
  backend: SqlBackend,
): Pick<Store, "addFeedback" | "listFeedback" | "listLabelledRequests"> {
  return {
    async addFeedback(entry) {
      await backend.run(() => addFeedback(entry));
    },
    async listFeedback(filter = {}) {
      const limit = listLimit(filter.limit, defaultFeedbackLimit);
      return await backend.run(() => listFeedback(filter, limit));
    },
    async listLabelledRequests(filter = {}) {
      requireRequestFilter(filter);
      const limit = requireListLimit(filter.limit, defaultLabelledLimit);
      return await backend.run(() => listLabelledRequests(filter, limit));
    },
  };
}

function reviewQueueMethods(
  backend: SqlBackend,
): Pick<Store, "enqueueReview" | "listReview" | "getReview" | "resolveReview"> {
  return {
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
      await backend.run(() => insertReview(review));
      return review;
    },
    async listReview(filter = {}) {
      const limit = listLimit(filter.limit, defaultReviewLimit);
      return await backend.run(() => listReview(backend.dialect, filter, limit));
    },
    async getReview(id) {
      return await backend.run(() => getReview(id));
    },
    async resolveReview(id, resolution) {
      const now = Date.now();
      return await backend.transaction(() => resolveReview(id, resolution, now));
    },
  };
}

function apiKeyMethods(
  backend: SqlBackend,
): Pick<Store, "createApiKey" | "verifyApiKey" | "listApiKeys" | "revokeApiKey"> {
  return {
    async createApiKey(name, options = {}) {
      const { role, useCases } = requireApiKeyOptions(options);
      const generated = generateApiKey();
      const record: ApiKeyRecord = {
        id: generated.id,
        name,
        role,
        useCases,
        createdAt: Date.now(),
        revokedAt: null,
      };
      await backend.run(() => insertApiKey(record, generated.hash));
      return { record, key: generated.key };
    },
    async verifyApiKey(key) {
      // A malformed key is refused without a query (also by a closed store).
      const parsed = parseApiKey(key);
      if (parsed === undefined) return undefined;
      return await backend.run(() => verifyApiKey(parsed));
    },
    async listApiKeys() {
      return await backend.run(() => listApiKeys(backend.dialect));
    },
    async revokeApiKey(id) {
      const now = Date.now();
      return await backend.run(() => revokeApiKey(id, now));
    },
  };
}

function spendMethods(backend: SqlBackend): Pick<Store, "addSpend" | "getSpend"> {
  return {
    async addSpend(scope, usd, at = Date.now()) {
      requireSpendInput(usd, at);
      await backend.run(() => addSpend(scope, usd, at));
    },
    async getSpend(scope, since) {
      requireTime("since", since);
      return await backend.run(() => getSpend(scope, since));
    },
  };
}
