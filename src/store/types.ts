// The Store interface: request log, feedback, review queue, API keys and spend, one contract for every backend.

import type { AnsweredBy } from "../types.js";

/** One served request, as logged. Text is kept only when the use case's privacy settings allow it. */
export interface RequestLogEntry {
  /** Request id (UUID), also returned to the client for feedback. */
  id: string;
  useCaseId: string;
  /** API key id of the caller; null for unauthenticated local use. */
  apiKeyId: string | null;
  /** Milliseconds since the epoch. */
  createdAt: number;
  /** sha256 of the normalized input text. */
  inputHash: string;
  /** The input text, only when `privacy.storeText` is true; otherwise null. */
  inputText: string | null;
  answeredBy: AnsweredBy;
  /** Why: e.g. "confidence 0.93 >= threshold 0.79", "llm timeout; queued for review". */
  reason: string;
  /** The label (classify/answer) returned to the client; null when none. */
  label: string | null;
  confidence: number | null;
  threshold: number | null;
  /** The small model's own best guess and confidence, also when it was not used. */
  slmLabel: string | null;
  slmConfidence: number | null;
  /** The LLM's label when it was asked; null otherwise. */
  llmLabel: string | null;
  latencyMs: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  /** The model directory's data hash or another version id. */
  modelVersion: string | null;
  /**
   * Share of the input's n-grams the small model has never seen, in [0, 1]: a drift signal that needs no text.
   * Null or absent when the model does not report it (rows logged before schema version 2 read back as null).
   */
  unknownShare?: number | null;
  /** Length of the input in characters (UTF-16 code units); null or absent when unknown. */
  inputChars?: number | null;
}

/** A time range and use case to read log rows of; times are ms since the epoch, `since` inclusive, `until` exclusive. */
export interface RequestFilter {
  useCaseId?: string;
  since?: number;
  until?: number;
}

export interface ListRequestsFilter extends RequestFilter {
  answeredBy?: AnsweredBy;
  /** Only rows whose input text was kept. Default false. */
  withText?: boolean;
  /** By `createdAt`. Default "newest" (the most recent rows first). */
  order?: "newest" | "oldest";
  /** Default 1,000; at most 100,000. */
  limit?: number;
}

/** How a shadow comparison ended: the LLM asked about a request the small model answered on its own. */
export type ShadowOutcome = "agreed" | "disagreed" | "unsure" | "failed";

export interface ShadowResult {
  requestId: string;
  useCaseId: string;
  slmLabel: string;
  /** The LLM's label; null when it named none of the set or failed. */
  llmLabel: string | null;
  outcome: ShadowOutcome;
  modelVersion: string | null;
  createdAt: number;
}

/** Latency percentiles in milliseconds (nearest rank); null when there are no rows. */
export interface LatencyPercentiles {
  p50: number;
  p95: number;
  p99: number;
}

/** Aggregates of log rows (and of feedback, review and shadow rows joined to them) over one range. */
export interface RequestTotals {
  requests: number;
  answeredBy: Record<AnsweredBy, number>;
  /** Rows with a cost or tokens: requests the LLM was asked about (answered, unsure or failed with usage). */
  llmCalls: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  latencyMs: LatencyPercentiles | null;
  /** Feedback (users' and reviewers') on requests of the range: how often the served label was right. */
  feedback: {
    n: number;
    correct: number;
    /** The same, only for requests the small model answered on its own. */
    slm: { n: number; correct: number };
  };
  /** Shadow comparisons of requests of the range. */
  shadow: Record<ShadowOutcome, number>;
  /** Review items created in the range that are still open. */
  reviewOpen: number;
  /** `createdAt` of the first and last row; null when none. */
  firstAt: number | null;
  lastAt: number | null;
}

/** One bucket of a time series: `start` is the bucket's first millisecond. */
export interface RequestBucket {
  start: number;
  requests: number;
  answeredBy: Record<AnsweredBy, number>;
  costUsd: number;
  latencyMs: LatencyPercentiles | null;
}

export interface RequestSummary {
  totals: RequestTotals;
  /** Oldest first; only buckets holding rows. */
  buckets: RequestBucket[];
  /** The bucket width used, in ms. */
  bucketMs: number;
}

/** Feedback joined with the request it is about: what retraining and accuracy reports need. */
export interface LabelledRequest {
  requestId: string;
  useCaseId: string;
  /** The input text from the request log, else from its review item; null when neither kept it. */
  text: string | null;
  /** The right label or answer. */
  correct: string;
  source: FeedbackEntry["source"];
  /** What the client was served, and by whom. */
  servedLabel: string | null;
  answeredBy: AnsweredBy;
  modelVersion: string | null;
  /** When the feedback was given. */
  createdAt: number;
}

export interface FeedbackEntry {
  requestId: string;
  /** The right label (or answer text). */
  correct: string;
  source: "user" | "review";
  createdAt: number;
}

export type ReviewStatus = "open" | "resolved";

export interface ReviewItem {
  id: string;
  requestId: string;
  useCaseId: string;
  /**
   * The request's text as the use case's privacy settings let a review item keep it (`reviewText` in
   * ../data/stored-text.ts): PII-redacted when `privacy.redactPii`, as written only when `storeText` is on and
   * `redactPii` off, null otherwise (the reviewer then decides from the two models' answers), and null after
   * `purgeText`.
   */
  inputText: string | null;
  slmLabel: string | null;
  slmConfidence: number | null;
  llmLabel: string | null;
  reason: string;
  status: ReviewStatus;
  resolution: string | null;
  createdAt: number;
  resolvedAt: number | null;
}

/**
 * What a key may do, each role including the ones before it: `client` chats, predicts, lists its models and gives
 * feedback on its own requests; `reviewer` also reads and resolves the review queue and the dashboard of its use
 * cases; `admin` also manages keys, reloads models, scrapes /metrics and gives feedback on any request.
 */
export type ApiKeyRole = "client" | "reviewer" | "admin";

export interface ApiKeyRecord {
  id: string;
  name: string;
  /** Keys made before roles existed (schema version 3) are admins. */
  role: ApiKeyRole;
  /** The use cases the key may use; null for every use case (always null for an admin). */
  useCases: string[] | null;
  createdAt: number;
  revokedAt: number | null;
}

/** The role and scope of a new key. */
export interface CreateApiKeyOptions {
  /** Default "client": a new key can do the least until told otherwise. */
  role?: ApiKeyRole;
  /** Use case ids (slugs), at least one; default null, every use case. An admin key cannot be scoped. */
  useCases?: readonly string[] | null;
}

/** A store of everything the gateway records. SQLite embedded by default, Postgres for several replicas. */
export interface Store extends AsyncDisposable {
  /** Applies pending schema migrations; idempotent. Called once at start. */
  migrate(): Promise<void>;
  /**
   * Queues a log row; writes are batched off the response path. Never throws: a failing backend keeps the
   * rows queued and retries, so none is lost while the process lives.
   */
  logRequest(entry: RequestLogEntry): void;
  /** Resolves once every row queued before the call is written (or rejects after `timeoutMs`, default 10 s). */
  flush(timeoutMs?: number): Promise<void>;
  /** Rows queued but not yet written. */
  pendingWrites(): number;
  /**
   * Rows given up on since the store was created: the oldest queued rows dropped when the queue hit its bound
   * during a long outage, rows the database refused outright (e.g. a field of the wrong type), and rows logged
   * after `close()`. Each drop is also reported to the logger.
   */
  droppedWrites(): number;
  getRequest(id: string): Promise<RequestLogEntry | undefined>;
  countRequests(filter?: { useCaseId?: string; since?: number }): Promise<number>;
  /** Log rows of a range, newest first unless `order` says otherwise. */
  listRequests(filter?: ListRequestsFilter): Promise<RequestLogEntry[]>;
  /**
   * Totals and a time series of a range, computed by the database (fast on 100,000s of rows).
   * `bucketMs` defaults to one hour.
   */
  summarizeRequests(filter?: RequestFilter & { bucketMs?: number }): Promise<RequestSummary>;
  /** Records the outcome of one shadow comparison. */
  addShadowResult(result: ShadowResult): Promise<void>;
  /** Shadow comparisons of a range, newest first; `limit` defaults to 1,000. */
  listShadowResults(filter?: RequestFilter & { limit?: number }): Promise<ShadowResult[]>;
  /**
   * Feedback of a range (by feedback time) joined with its request; rows whose request is unknown are left
   * out. Oldest first; `limit` defaults to 10,000. The latest feedback per request wins: one row per request.
   */
  listLabelledRequests(filter?: RequestFilter & { limit?: number }): Promise<LabelledRequest[]>;
  addFeedback(entry: FeedbackEntry): Promise<void>;
  /** Feedback oldest first (by `createdAt`), e.g. to retrain on; `limit` defaults to 1,000. */
  listFeedback(filter?: { requestId?: string; since?: number; limit?: number }): Promise<FeedbackEntry[]>;
  enqueueReview(
    item: Omit<ReviewItem, "id" | "status" | "resolution" | "createdAt" | "resolvedAt">,
  ): Promise<ReviewItem>;
  /**
   * Review items oldest first; every status unless `status` is given; `limit` defaults to 100. `useCaseIds`
   * keeps the items of those use cases only (a scoped key's), on top of `useCaseId`.
   */
  listReview(filter?: {
    useCaseId?: string;
    useCaseIds?: readonly string[];
    status?: ReviewStatus;
    limit?: number;
  }): Promise<ReviewItem[]>;
  /** One review item by id, whatever its status; undefined when there is none. */
  getReview(id: string): Promise<ReviewItem | undefined>;
  /** Resolves an open item with the right answer (also recorded as feedback); undefined when no such open item. */
  resolveReview(id: string, resolution: string): Promise<ReviewItem | undefined>;
  /**
   * Creates an API key of a role (default "client") and scope (default every use case); the secret is returned
   * once and only its hash is stored.
   */
  createApiKey(name: string, options?: CreateApiKeyOptions): Promise<{ record: ApiKeyRecord; key: string }>;
  /** The key's record when the key is valid and not revoked; compares hashes in constant time. */
  verifyApiKey(key: string): Promise<ApiKeyRecord | undefined>;
  listApiKeys(): Promise<ApiKeyRecord[]>;
  revokeApiKey(id: string): Promise<boolean>;
  /** Adds spend (USD) to a scope such as `usecase:support` or `key:<id>` for the UTC day of `at`. */
  addSpend(scope: string, usd: number, at?: number): Promise<void>;
  /** Spend of a scope since `since` (ms epoch). */
  getSpend(scope: string, since: number): Promise<number>;
  /**
   * Deletes the words of requests older than `olderThan` (ms epoch) from every table that holds them: the log's
   * input text and extracted records, review items' text, records and resolutions, and feedback that is an
   * extracted record (deleted). Labels of classify and answer use cases and every figure stay. `useCaseId`
   * limits it to one use case. Returns the rows changed or deleted, over all tables.
   */
  purgeText(olderThan: number, filter?: { useCaseId?: string }): Promise<number>;
  /** Writes pending rows, then releases connections. */
  close(): Promise<void>;
}
