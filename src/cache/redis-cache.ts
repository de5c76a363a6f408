// The scale-out response cache: exact answers shared by every replica through Redis, sentence vectors per replica.

import { createHash } from "node:crypto";
import { Redis } from "ioredis";
import { normalizeText } from "../text/normalize.js";
import type { Logger } from "../types.js";
import { type CacheTuningOptions, requireNumber, resolveCacheTuning } from "./options.js";
import { ScopedSemanticIndex } from "./semantic-index.js";
import type { CachedAnswer, CacheHit, CacheStats, CacheStatus, ResponseCache } from "./types.js";

export interface RedisCacheOptions extends CacheTuningOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://` for TLS. */
  url: string;
  /** Prefix of every key this cache writes. Default "slmkit:cache:". */
  keyPrefix?: string;
  /**
   * Milliseconds a Redis command may take before the lookup gives up and misses. Default 100: a cache that
   * waits longer than the small model takes to answer is worse than no cache.
   */
  commandTimeoutMs?: number;
  /** Milliseconds Redis is left alone after a command times out, so a hung server costs one timeout, not one per request. Default 1,000. */
  pauseAfterTimeoutMs?: number;
  /**
   * Milliseconds without a byte from Redis, while replies are awaited, after which the connection counts as
   * dead and is replaced (a half-open connection would otherwise only ever time out). Default 5,000.
   */
  socketTimeoutMs?: number;
  /** Upper bound of the delay between reconnection attempts, in milliseconds. Default 2,000. */
  maxReconnectDelayMs?: number;
  logger?: Logger;
  /** Clock in milliseconds since the epoch, for the per-replica vectors' TTL. Default `Date.now`. Redis keeps its own time for exact entries. */
  now?: () => number;
}

/** A Redis-backed cache; `waitUntilReady` lets a server warm up before it reports ready. */
export interface RedisResponseCache extends ResponseCache {
  /** Resolves true once connected to Redis, false after `timeoutMs` (default 2,000) without a connection. */
  waitUntilReady(timeoutMs?: number): Promise<boolean>;
  /** Keys this cache writes start with this prefix (scope and text hash follow). */
  readonly keyPrefix: string;
}

// Stores an entry and keeps the scope within its bound, in one round trip and atomically. A sorted set per
// scope lists the scope's entries, scored by Redis's own clock in microseconds (so replicas' clocks do not
// matter and insertion order is kept); members older than the TTL are already gone from Redis and are
// pruned; beyond the bound, the oldest entries are deleted. Standalone Redis only: entry keys are derived in
// the script (a cluster would need a hash tag per scope).
const storeScript = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('ZADD', KEYS[2], now, ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. (now - tonumber(ARGV[2]) * 1000))
local excess = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[4])
if excess > 0 then
  local oldest = redis.call('ZRANGE', KEYS[2], 0, excess - 1)
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, excess - 1)
  for _, member in ipairs(oldest) do redis.call('DEL', ARGV[5] .. member) end
end
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return excess
`;

interface StoreCommand {
  slmkitCacheStore(
    entryKey: string,
    indexKey: string,
    value: string,
    ttlMs: number,
    member: string,
    maxEntries: number,
    entryKeyStem: string,
  ): Promise<number>;
}

const answeredByValues = new Set(["slm", "llm", "review"]);

/**
 * Exact entries live in Redis under `keyPrefix + scope + ":" + sha256(normalizeText(text))` (value: the answer
 * as JSON, never the text), with a PX TTL, so every replica sees them. Redis 7.0 has no vector search, so
 * each replica keeps the vectors it stored itself, bounded per scope. When Redis is down or slow, `get`
 * misses within `commandTimeoutMs` (or at once while disconnected) and `set` is dropped; ioredis reconnects
 * in the background and the cache recovers by itself. `get` and `set` never throw.
 */
export function createRedisCache(options: RedisCacheOptions): RedisResponseCache {
  const tuning = resolveCacheTuning(options);
  const keyPrefix = options.keyPrefix ?? "slmkit:cache:";
  const commandTimeoutMs = options.commandTimeoutMs ?? 100;
  const pauseAfterTimeoutMs = options.pauseAfterTimeoutMs ?? 1_000;
  const maxReconnectDelayMs = options.maxReconnectDelayMs ?? 2_000;
  const socketTimeoutMs = options.socketTimeoutMs ?? 5_000;
  requireNumber("socketTimeoutMs", socketTimeoutMs, socketTimeoutMs > 0, "> 0 milliseconds");
  requireNumber("commandTimeoutMs", commandTimeoutMs, commandTimeoutMs > 0, "> 0 milliseconds");
  requireNumber("pauseAfterTimeoutMs", pauseAfterTimeoutMs, pauseAfterTimeoutMs >= 0, ">= 0 milliseconds");
  requireNumber("maxReconnectDelayMs", maxReconnectDelayMs, maxReconnectDelayMs > 0, "> 0 milliseconds");
  const now = options.now ?? Date.now;
  const logger = options.logger;
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

  const redis = new Redis(options.url, {
    // No queue while disconnected: a command fails at once instead of piling up behind a dead server.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: commandTimeoutMs,
    socketTimeout: socketTimeoutMs,
    connectTimeout: Math.max(1_000, commandTimeoutMs),
    retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 10), maxReconnectDelayMs),
    // Replies to commands sent before a reconnect would answer requests long gone.
    autoResendUnfulfilledCommands: false,
  });
  redis.defineCommand("slmkitCacheStore", { numberOfKeys: 2, lua: storeScript });
  const store = redis as Redis & StoreCommand;

  let closed = false;
  let degraded = false;
  let pausedUntil = 0;
  let lastError = "";

  function markDegraded(reason: string): void {
    lastError = reason;
    if (degraded || closed) return;
    degraded = true;
    logger?.warn({ reason }, "redis cache degraded: lookups miss until Redis answers again");
  }
  // Listening to "error" is also what keeps ioredis from printing unhandled errors itself.
  redis.on("error", (error: Error) => markDegraded(error.message));
  redis.on("close", () => markDegraded(lastError || "connection closed"));
  function markRecovered(): void {
    pausedUntil = 0;
    if (!degraded) return;
    degraded = false;
    logger?.info({}, "redis cache recovered");
  }
  redis.on("ready", markRecovered);

  function usable(): boolean {
    return !closed && redis.status === "ready" && Date.now() >= pausedUntil;
  }

  function noteFailure(error: unknown): void {
    counters.backendErrors++;
    const message = error instanceof Error ? error.message : String(error);
    // A timeout on a live connection means a hung or overloaded server: pause rather than pay it per request.
    if (/timed out/iu.test(message)) pausedUntil = Date.now() + pauseAfterTimeoutMs;
    markDegraded(message);
  }

  function entryKeyStem(scope: string): string {
    return `${keyPrefix}${scope}:`;
  }

  function hashOf(normalized: string): string {
    return createHash("sha256").update(normalized).digest("hex");
  }

  async function getExact(scope: string, normalized: string): Promise<CachedAnswer | undefined> {
    if (!usable()) return undefined;
    try {
      const raw = await redis.get(entryKeyStem(scope) + hashOf(normalized));
      // A hung server that answers again never reconnects, so success is what ends the outage.
      markRecovered();
      return raw === null ? undefined : parseAnswer(raw);
    } catch (error) {
      noteFailure(error);
      return undefined;
    }
  }

  async function setExact(scope: string, normalized: string, answer: CachedAnswer): Promise<void> {
    if (!usable()) return;
    const stem = entryKeyStem(scope);
    const member = hashOf(normalized);
    try {
      await store.slmkitCacheStore(
        stem + member,
        `${stem}#index`,
        JSON.stringify(answer),
        Math.ceil(tuning.ttlMs),
        member,
        tuning.maxEntriesPerScope,
        stem,
      );
      markRecovered();
    } catch (error) {
      noteFailure(error);
    }
  }

  async function close(): Promise<void> {
    if (closed) return;
    closed = true;
    semantic.clear();
    if (redis.status === "ready") {
      try {
        await redis.quit();
        return;
      } catch {
        // Fall through to a hard disconnect: closing must not fail because Redis went away meanwhile.
      }
    }
    redis.disconnect();
  }

  return {
    keyPrefix,
    async get(scope, text, vector, vectorSpace): Promise<CacheHit | undefined> {
      try {
        const normalized = normalizeText(text);
        const exact = await getExact(scope, normalized);
        if (exact !== undefined) {
          counters.exactHits++;
          return { answer: exact, kind: "exact", similarity: 1 };
        }
        if (vector !== undefined && !closed) {
          const match = semantic.find(scope, text, vector, counters, vectorSpace);
          if (match !== undefined) {
            counters.semanticHits++;
            return { answer: { ...match.entry.answer }, kind: "semantic", similarity: match.similarity };
          }
        }
      } catch (error) {
        // Only a caller's malformed argument gets here; a cache must never fail the request it speeds up.
        noteFailure(error);
      }
      counters.misses++;
      return undefined;
    },
    async set(scope, text, answer, vector, vectorSpace): Promise<void> {
      if (closed) return;
      try {
        const normalized = normalizeText(text);
        if (vector !== undefined) semantic.add(scope, text, normalized, answer, vector, vectorSpace);
        await setExact(scope, normalized, answer);
      } catch (error) {
        noteFailure(error);
      }
    },
    size(scope) {
      return semantic.size(scope);
    },
    status(): CacheStatus {
      return usable() ? "ready" : "degraded";
    },
    stats() {
      return { ...counters };
    },
    waitUntilReady(timeoutMs = 2_000): Promise<boolean> {
      if (redis.status === "ready") return Promise.resolve(true);
      return new Promise((resolve) => {
        const onReady = (): void => {
          clearTimeout(timer);
          resolve(true);
        };
        const timer = setTimeout(() => {
          redis.off("ready", onReady);
          resolve(false);
        }, timeoutMs);
        redis.once("ready", onReady);
      });
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** The stored answer, or undefined for a value this version did not write (a miss, not an error). */
function parseAnswer(raw: string): CachedAnswer | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const { label, answer, confidence, answeredBy } = record;
  if (typeof label !== "string" || typeof confidence !== "number") return undefined;
  if (typeof answeredBy !== "string" || !answeredByValues.has(answeredBy)) return undefined;
  if (answer !== undefined && typeof answer !== "string") return undefined;
  const parsed: CachedAnswer = { label, confidence, answeredBy: answeredBy as CachedAnswer["answeredBy"] };
  if (answer !== undefined) parsed.answer = answer;
  return parsed;
}
