// The response cache interface: exact (normalized text) and semantic (sentence vectors) lookups per scope.

import type { AnsweredBy } from "../types.js";

/** What a cache hit returns: the earlier answer and who produced it. */
export interface CachedAnswer {
  label: string;
  /** Answer text for `answer` use cases; absent for classify. */
  answer?: string;
  confidence: number;
  answeredBy: Exclude<AnsweredBy, "cache">;
}

export interface CacheHit {
  answer: CachedAnswer;
  kind: "exact" | "semantic";
  /** Cosine similarity for semantic hits; 1 for exact hits. */
  similarity: number;
}

/**
 * A response cache. A scope is `<useCaseId>:<tenant>` so answers never cross use cases or tenants.
 * Memory by default; Redis shares exact entries between replicas (semantic vectors stay per replica).
 */
export interface ResponseCache extends AsyncDisposable {
  /**
   * Exact hit on normalized text, then a semantic hit on `vector` that also passes the false-hit guards.
   * `vectorSpace` names the model that made the vector (its version): vectors are only compared within one
   * space, so a hot-reloaded model never matches its predecessor's vectors. Default: one shared space.
   */
  get(
    scope: string,
    text: string,
    vector?: Float32Array,
    vectorSpace?: string,
  ): Promise<CacheHit | undefined>;
  /** Caches an answer; with `vector`, also for semantic lookups in `vectorSpace` (which replaces older spaces). */
  set(
    scope: string,
    text: string,
    answer: CachedAnswer,
    vector?: Float32Array,
    vectorSpace?: string,
  ): Promise<void>;
  /** Entries held in this process (memory) for the scope, for metrics and tests. */
  size(scope?: string): number;
  /** Added: "degraded" while a shared backend (Redis) is unreachable; lookups then miss fast. Memory is always "ready". */
  status(): CacheStatus;
  /** Added: counters since the cache was created, for metrics and for tuning the semantic threshold. */
  stats(): CacheStats;
  close(): Promise<void>;
}

/** "ready" when every backend answers; "degraded" while the shared backend is down (the cache then only misses or answers from this replica). */
export type CacheStatus = "ready" | "degraded";

export interface CacheStats {
  exactHits: number;
  semanticHits: number;
  misses: number;
  /** Semantic candidates at or above the similarity threshold refused by the false-hit guards. */
  guardRejections: number;
  /** Shared-backend commands that failed or timed out (0 for memory). */
  backendErrors: number;
}
