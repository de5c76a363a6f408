// The scale-out response cache: exact answers shared by every replica through Redis, sentence vectors per replica.

import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import { connectRedis, type RedisConnection } from "../internal/redis-connection.js";
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

/** The options with their defaults, checked. */
interface RedisCacheSettings {
  url: string;
  tuning: ReturnType<typeof resolveCacheTuning>;
  keyPrefix: string;
  commandTimeoutMs: number;
  pauseAfterTimeoutMs: number;
  maxReconnectDelayMs: number;
  socketTimeoutMs: number;
}

/**
 * Exact entries live in Redis under `keyPrefix + scope + ":" + sha256(normalizeText(text))` (value: the answer
 * as JSON, never the text), with a PX TTL, so every replica sees them. Redis 7.0 has no vector search, so
 * each replica keeps the vectors it stored itself, bounded per scope. When Redis is down or slow, `get`
 * misses within `commandTimeoutMs` (or at once while disconnected) and `set` is dropped; ioredis reconnects
 * in the background and the cache recovers by itself. `get` and `set` never throw.
 */
export function createRedisCache(options: RedisCacheOptions): RedisResponseCache {
  const settings = resolveSettings(options);
  const { tuning } = settings;
  const semantic = new ScopedSemanticIndex({
    capacity: tuning.maxEntriesPerScope,
    threshold: tuning.semanticThreshold,
    ttlMs: tuning.ttlMs,
    maxTextLength: tuning.maxSemanticTextLength,
    now: options.now ?? Date.now,
  });
  const counters: CacheStats = {
    exactHits: 0,
    semanticHits: 0,
    misses: 0,
    guardRejections: 0,
    backendErrors: 0,
  };
  const exact = createExactEntries(settings, counters, options.logger);
  const { connection } = exact;

  async function close(): Promise<void> {
    if (exact.closed) return;
    exact.close();
    semantic.clear();
    const redis = connection.redis;
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
    keyPrefix: settings.keyPrefix,
    async get(scope, text, vector, vectorSpace): Promise<CacheHit | undefined> {
      try {
        const normalized = normalizeText(text);
        const answer = await exact.get(scope, normalized);
        if (answer !== undefined) {
          counters.exactHits++;
          return { answer, kind: "exact", similarity: 1 };
        }
        if (vector !== undefined && !exact.closed) {
          const match = semantic.find(scope, text, vector, counters, vectorSpace);
          if (match !== undefined) {
            counters.semanticHits++;
            return { answer: { ...match.entry.answer }, kind: "semantic", similarity: match.similarity };
          }
        }
      } catch (error) {
        // Only a caller's malformed argument gets here; a cache must never fail the request it speeds up.
        exact.noteFailure(error);
      }
      counters.misses++;
      return undefined;
    },
    async set(scope, text, answer, vector, vectorSpace): Promise<void> {
      if (exact.closed) return;
      try {
        const normalized = normalizeText(text);
        if (vector !== undefined) semantic.add(scope, text, normalized, answer, vector, vectorSpace);
        await exact.set(scope, normalized, answer);
      } catch (error) {
        exact.noteFailure(error);
      }
    },
    size(scope) {
      return semantic.size(scope);
    },
    status(): CacheStatus {
      return exact.usable() ? "ready" : "degraded";
    },
    stats() {
      return { ...counters };
    },
    waitUntilReady: (timeoutMs = 2_000) => connection.waitUntilReady(timeoutMs),
    close,
    [Symbol.asyncDispose]: close,
  };
}

function resolveSettings(options: RedisCacheOptions): RedisCacheSettings {
  const settings = {
    url: options.url,
    tuning: resolveCacheTuning(options),
    keyPrefix: options.keyPrefix ?? "slmkit:cache:",
    commandTimeoutMs: options.commandTimeoutMs ?? 100,
    pauseAfterTimeoutMs: options.pauseAfterTimeoutMs ?? 1_000,
    maxReconnectDelayMs: options.maxReconnectDelayMs ?? 2_000,
    socketTimeoutMs: options.socketTimeoutMs ?? 5_000,
  };
  const { socketTimeoutMs, commandTimeoutMs, pauseAfterTimeoutMs, maxReconnectDelayMs } = settings;
  requireNumber("socketTimeoutMs", socketTimeoutMs, socketTimeoutMs > 0, "> 0 milliseconds");
  requireNumber("commandTimeoutMs", commandTimeoutMs, commandTimeoutMs > 0, "> 0 milliseconds");
  requireNumber("pauseAfterTimeoutMs", pauseAfterTimeoutMs, pauseAfterTimeoutMs >= 0, ">= 0 milliseconds");
  requireNumber("maxReconnectDelayMs", maxReconnectDelayMs, maxReconnectDelayMs > 0, "> 0 milliseconds");
  return settings;
}

/** The exact entries in Redis: lookups and stores that miss or drop, never throw, while Redis is away. */
interface ExactEntries {
  readonly connection: RedisConnection;
  readonly closed: boolean;
  /** Redis is connected, the cache open and no timeout pause running. */
  usable(): boolean;
  get(scope: string, normalized: string): Promise<CachedAnswer | undefined>;
  set(scope: string, normalized: string, answer: CachedAnswer): Promise<void>;
  /** Counts a failed command and marks the cache degraded; after a timeout, pauses Redis for a while. */
  noteFailure(error: unknown): void;
  close(): void;
}

function createExactEntries(
  settings: RedisCacheSettings,
  counters: CacheStats,
  logger: Logger | undefined,
): ExactEntries {
  const { tuning, keyPrefix } = settings;
  let closed = false;
  let pausedUntil = 0;
  const connection = connectRedis({
    url: settings.url,
    commandTimeoutMs: settings.commandTimeoutMs,
    socketTimeoutMs: settings.socketTimeoutMs,
    maxReconnectDelayMs: settings.maxReconnectDelayMs,
    logger,
    messages: {
      degraded: "redis cache degraded: lookups miss until Redis answers again",
      recovered: "redis cache recovered",
    },
    onRecovered: () => {
      pausedUntil = 0;
    },
  });
  const redis = connection.redis;
  redis.defineCommand("slmkitCacheStore", { numberOfKeys: 2, lua: storeScript });
  const store = redis as Redis & StoreCommand;
  const usable = (): boolean => !closed && redis.status === "ready" && Date.now() >= pausedUntil;
  const noteFailure = (error: unknown): void => {
    counters.backendErrors++;
    const message = error instanceof Error ? error.message : String(error);
    // A timeout on a live connection means a hung or overloaded server: pause rather than pay it per request.
    if (/timed out/iu.test(message)) pausedUntil = Date.now() + settings.pauseAfterTimeoutMs;
    connection.markDegraded(message);
  };
  const entryKeyStem = (scope: string): string => `${keyPrefix}${scope}:`;
  const hashOf = (normalized: string): string => createHash("sha256").update(normalized).digest("hex");

  return {
    connection,
    get closed() {
      return closed;
    },
    usable,
    noteFailure,
    async get(scope, normalized) {
      if (!usable()) return undefined;
      try {
        const raw = await redis.get(entryKeyStem(scope) + hashOf(normalized));
        // A hung server that answers again never reconnects, so success is what ends the outage.
        connection.markRecovered();
        return raw === null ? undefined : parseAnswer(raw);
      } catch (error) {
        noteFailure(error);
        return undefined;
      }
    },
    async set(scope, normalized, answer) {
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
        connection.markRecovered();
      } catch (error) {
        noteFailure(error);
      }
    },
    close() {
      closed = true;
      connection.stop();
    },
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
