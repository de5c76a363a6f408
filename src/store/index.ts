// The store's public face: pick a backend from config; SQLite embedded by default, Postgres for replicas.

import { createPostgresStore, type PostgresStoreOptions } from "./postgres-store.js";
import { createSqliteStore, type SqliteStoreOptions } from "./sqlite-store.js";
import type { Store } from "./types.js";

/** Which backend, and its options (see `SqliteStoreOptions` and `PostgresStoreOptions` for defaults). */
export type StoreConfig =
  | ({ kind: "sqlite" } & SqliteStoreOptions)
  | ({ kind: "postgres" } & PostgresStoreOptions);

/** Creates a store; call `await store.migrate()` before using it and `await store.close()` at shutdown. */
export function createStore(config: StoreConfig): Store {
  if (config.kind === "postgres") {
    const { kind: _kind, ...options } = config;
    return createPostgresStore(options);
  }
  const { kind: _kind, ...options } = config;
  return createSqliteStore(options);
}

export type { AnsweredBy } from "../types.js";
export { parseApiKey } from "./api-keys.js";
export type { Migration } from "./migrations.js";
export { postgresMigrations, sqliteMigrations } from "./migrations.js";
export { createPostgresStore, type PostgresStoreOptions } from "./postgres-store.js";
export { parseStoreSetting } from "./settings.js";
export { createSqliteStore, type SqliteStoreOptions } from "./sqlite-store.js";
export { apiKeyRoles } from "./store-input.js";
export type {
  ApiKeyRecord,
  ApiKeyRole,
  CreateApiKeyOptions,
  FeedbackEntry,
  LabelledRequest,
  LatencyPercentiles,
  ListRequestsFilter,
  RequestBucket,
  RequestFilter,
  RequestLogEntry,
  RequestSummary,
  RequestTotals,
  ReviewItem,
  ReviewStatus,
  ShadowOutcome,
  ShadowResult,
  Store,
} from "./types.js";
export type { BatchedWriteOptions } from "./write-queue.js";
