// The embedded response cache: an LRU map of exact answers and a ring of sentence vectors, per scope, in memory.

import { normalizeText } from "../text/normalize.js";
import { type CacheTuningOptions, resolveCacheTuning } from "./options.js";
import { ScopedSemanticIndex } from "./semantic-index.js";
import type { CachedAnswer, CacheHit, CacheStats, CacheStatus, ResponseCache } from "./types.js";

export interface MemoryCacheOptions extends CacheTuningOptions {
  /** Clock in milliseconds since the epoch, for TTLs. Default `Date.now`; tests inject their own. */
  now?: () => number;
}

interface ExactEntry {
  answer: CachedAnswer;
  expiresAt: number;
}

/**
 * Exact hits match on `normalizeText` (NFKC, lower case, whitespace collapsed and trimmed): "Where is my
 * ORDER?" and "  where is my order? " share an entry; "where is my order ?" (a space before "?") does not.
 * Semantic hits need a vector at or above the threshold whose stored text passes the false-hit guards.
 */
export function createMemoryCache(options: MemoryCacheOptions = {}): ResponseCache {
  const tuning = resolveCacheTuning(options);
  const now = options.now ?? Date.now;
  const exactByScope = new Map<string, Map<string, ExactEntry>>();
  const semantic = new ScopedSemanticIndex({
    capacity: tuning.maxEntriesPerScope,
    threshold: tuning.semanticThreshold,
    ttlMs: tuning.ttlMs,
    maxTextLength: tuning.maxSemanticTextLength,
    now,
  });
  const counters: CacheStats = {
    exactHits: 0,
    semanticHits: 0,
    misses: 0,
    guardRejections: 0,
    backendErrors: 0,
  };

  function lookup(
    scope: string,
    text: string,
    vector: Float32Array | undefined,
    space: string | undefined,
  ): CacheHit | undefined {
    const normalized = normalizeText(text);
    const exact = exactByScope.get(scope);
    const entry = exact?.get(normalized);
    if (exact !== undefined && entry !== undefined) {
      if (entry.expiresAt > now()) {
        // Re-inserting moves the key to the end of the Map's order: the Map is its own LRU list.
        exact.delete(normalized);
        exact.set(normalized, entry);
        counters.exactHits++;
        return { answer: { ...entry.answer }, kind: "exact", similarity: 1 };
      }
      exact.delete(normalized);
    }
    if (vector !== undefined) {
      const match = semantic.find(scope, text, vector, counters, space);
      if (match !== undefined) {
        counters.semanticHits++;
        return { answer: { ...match.entry.answer }, kind: "semantic", similarity: match.similarity };
      }
    }
    counters.misses++;
    return undefined;
  }

  function store(
    scope: string,
    text: string,
    answer: CachedAnswer,
    vector: Float32Array | undefined,
    space: string | undefined,
  ): void {
    const normalized = normalizeText(text);
    let exact = exactByScope.get(scope);
    if (exact === undefined) {
      exact = new Map();
      exactByScope.set(scope, exact);
    }
    exact.delete(normalized);
    exact.set(normalized, { answer: { ...answer }, expiresAt: now() + tuning.ttlMs });
    if (exact.size > tuning.maxEntriesPerScope) {
      const oldest = exact.keys().next();
      if (oldest.done !== true) exact.delete(oldest.value);
    }
    if (vector !== undefined) semantic.add(scope, text, normalized, answer, vector, space);
  }

  const close = async (): Promise<void> => {
    exactByScope.clear();
    semantic.clear();
  };

  return {
    async get(scope, text, vector, vectorSpace) {
      return lookup(scope, text, vector, vectorSpace);
    },
    async set(scope, text, answer, vector, vectorSpace) {
      store(scope, text, answer, vector, vectorSpace);
    },
    size(scope) {
      if (scope !== undefined) return exactByScope.get(scope)?.size ?? 0;
      let total = 0;
      for (const exact of exactByScope.values()) total += exact.size;
      return total;
    },
    status(): CacheStatus {
      return "ready";
    },
    stats() {
      return { ...counters };
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
