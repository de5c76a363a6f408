// The router's use of the response cache: scopes per use case and key, lookups that never fail a request,
// and writes made after the reply is on its way.

import type { CachedAnswer, CacheHit, ResponseCache } from "../cache/types.js";
import type { Logger } from "../types.js";

export interface CacheAccess {
  /** `<useCaseId>:<apiKeyId or "local">`: cached answers never cross use cases or tenants. */
  scope(apiKeyId: string | null): string;
  /**
   * A cache lookup; a failing cache is a miss, logged. Undefined without a cache. `vectorSpace` is the version
   * of the model that made `vector` (see `ResponseCache.get`).
   */
  lookUp(
    scope: string,
    text: string,
    requestId: string,
    vector?: Float32Array,
    vectorSpace?: string,
  ): Promise<CacheHit | undefined>;
  /** Caches an answer once the reply is on its way; a failing write is logged. No-op without a cache. */
  later(
    scope: string,
    text: string,
    answer: CachedAnswer,
    requestId: string,
    vector?: Float32Array,
    vectorSpace?: string,
  ): void;
}

export function createCacheAccess(
  useCaseId: string,
  cache: ResponseCache | undefined,
  logger: Logger | undefined,
  track: (work: Promise<unknown>) => void,
): CacheAccess {
  return {
    scope: (apiKeyId) => `${useCaseId}:${apiKeyId ?? "local"}`,

    async lookUp(scope, text, requestId, vector, vectorSpace) {
      if (cache === undefined) return undefined;
      try {
        return await cache.get(scope, text, vector, vectorSpace);
      } catch (error) {
        logger?.warn({ err: error, requestId, scope }, "router: cache lookup failed; treated as a miss");
        return undefined;
      }
    },

    later(scope, text, answer, requestId, vector, vectorSpace) {
      if (cache === undefined) return;
      // In the next turn of the event loop, after the reply is on its way: the memory cache writes
      // synchronously (the semantic index checks the text's guards), which the answer need not wait for.
      track(
        nextTurn()
          .then(() => cache.set(scope, text, answer, vector, vectorSpace))
          .catch((error: unknown) => {
            logger?.warn({ err: error, requestId, scope }, "router: cache write failed");
          }),
      );
    },
  };
}

/** Resolves in the event loop's next check phase, after the I/O that is ready now (e.g. sending a reply). */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
