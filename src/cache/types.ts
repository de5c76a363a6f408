// The response cache interface: exact (normalized text) and semantic (sentence vectors) lookups per scope.

import type { AnsweredBy } from "../store/types.js";

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
  /** Exact hit on normalized text, then a semantic hit on `vector` that also passes the false-hit guards. */
  get(scope: string, text: string, vector?: Float32Array): Promise<CacheHit | undefined>;
  set(scope: string, text: string, answer: CachedAnswer, vector?: Float32Array): Promise<void>;
  /** Entries held in this process (memory) for the scope, for metrics and tests. */
  size(scope?: string): number;
  close(): Promise<void>;
}
