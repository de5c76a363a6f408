// Per-key rate limits shared by every replica through Redis, decided in memory: no Redis round trip per request.

import { SlmkitError } from "../errors.js";
import { connectRedis, type RedisConnection } from "../internal/redis-connection.js";
import type { Logger } from "../types.js";
import { createRateLimiter, type RateLimiter } from "./rate-limit.js";

export interface SharedRateLimitOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://` for TLS. */
  url: string;
  /** Requests per second per key, across all replicas. Default 1,000. */
  perSecond?: number;
  /**
   * How often, in ms, this replica sends the requests it admitted and reads the others' counts. A key can
   * exceed its limit by what other replicas admit within one interval. Default 100.
   */
  syncIntervalMs?: number;
  /** Prefix of every key the limiter writes. Default "slmkit:ratelimit:". */
  keyPrefix?: string;
  /** Milliseconds a sync may take before it counts as failed. Default 500. */
  commandTimeoutMs?: number;
  /** Clock in milliseconds since the epoch; windows are whole seconds of it. Default `Date.now`. */
  now?: () => number;
  logger?: Logger;
}

export interface SharedRateLimiter extends RateLimiter, AsyncDisposable {
  /** Sends this replica's admitted requests and reads every replica's counts now (the timer does it too). */
  sync(): Promise<void>;
  /** "degraded" while Redis does not answer: each replica then limits alone, at the full rate. */
  status(): "ready" | "degraded";
  /** Resolves true once connected to Redis, false after `timeoutMs` (default 2,000) without a connection. */
  waitUntilReady(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

/** One key's count in the current one-second window. */
interface WindowCount {
  window: number;
  /** Every replica's admitted requests in the window, as Redis last answered (ours included). */
  shared: number;
  /** Admitted here since the last sync began. */
  unsent: number;
  /** Admitted here, sent, not yet answered. */
  sending: number;
}

/** Keys with a window count at most; past it the idle ones are dropped, then all (a stream of new addresses). */
const maxTrackedKeys = 10_000;

/** The options with their defaults, checked. */
interface SharedRateLimitSettings {
  perSecond: number;
  syncIntervalMs: number;
  keyPrefix: string;
  commandTimeoutMs: number;
  now: () => number;
}

/**
 * Fixed one-second windows counted in Redis (`INCRBY` on `<prefix><key>:<window>`, expiring after two
 * windows). Each replica decides from the shared count it last read plus what it admitted since, and sends
 * its admissions every `syncIntervalMs` in one pipeline (with the counts of its keys, read back; a key with no
new requests here is read only once half its limit is used): a request never waits for Redis. While Redis is down
 * each replica falls back to its own token bucket at the full rate (the limit then holds per replica, not
 * across them) and logs it once; the shared limit resumes when Redis answers.
 */
export function createSharedRateLimiter(options: SharedRateLimitOptions): SharedRateLimiter {
  const settings = resolveSettings(options);
  const { perSecond, now } = settings;
  const connection = connectRedis({
    url: options.url,
    commandTimeoutMs: settings.commandTimeoutMs,
    maxReconnectDelayMs: 2_000,
    logger: options.logger,
    messages: {
      degraded: "shared rate limits degraded: each replica limits its own traffic until Redis answers again",
      recovered: "shared rate limits recovered",
    },
  });
  const redis = connection.redis;
  const local = createRateLimiter({ perSecond });
  const counts = new Map<string, WindowCount>();
  let closed = false;
  let syncing: Promise<void> | undefined;

  const syncNow = (): Promise<void> => syncCounts(connection, counts, settings, () => closed);
  const sync = (): Promise<void> => {
    // One sync at a time; a caller during one waits for it and then runs its own.
    const previous = syncing ?? Promise.resolve();
    const next = previous.then(syncNow, syncNow);
    syncing = next;
    next
      .finally(() => {
        if (syncing === next) syncing = undefined;
      })
      .catch(() => undefined);
    return next;
  };
  // A sync never throws by design (failures mark the limiter degraded); the catch keeps it that way.
  const timer = setInterval(() => void sync().catch(() => undefined), settings.syncIntervalMs);
  timer.unref();

  const close = async (): Promise<void> => {
    if (closed) return;
    clearInterval(timer);
    await syncing?.catch(() => undefined);
    closed = true;
    connection.stop();
    redis.disconnect();
  };

  return {
    take(key) {
      // While Redis is away the shared counts go stale: each replica enforces the whole limit by itself.
      if (connection.degraded || redis.status !== "ready") return local.take(key);
      const time = now();
      const count = countOf(counts, key, windowOf(time));
      if (count.shared + count.sending + count.unsent >= perSecond) {
        // The window ends within a second: "retry in 1 s" is the honest whole-second answer.
        return 1;
      }
      count.unsent += 1;
      return 0;
    },
    sync,
    status: () => (connection.degraded || redis.status !== "ready" ? "degraded" : "ready"),
    waitUntilReady: (timeoutMs = 2_000) => connection.waitUntilReady(timeoutMs),
    close,
    [Symbol.asyncDispose]: close,
  };
}

function resolveSettings(options: SharedRateLimitOptions): SharedRateLimitSettings {
  const settings = {
    perSecond: options.perSecond ?? 1_000,
    syncIntervalMs: options.syncIntervalMs ?? 100,
    keyPrefix: options.keyPrefix ?? "slmkit:ratelimit:",
    commandTimeoutMs: options.commandTimeoutMs ?? 500,
    now: options.now ?? Date.now,
  };
  for (const [field, value, minimum] of [
    ["perSecond", settings.perSecond, 1],
    ["syncIntervalMs", settings.syncIntervalMs, 1],
    ["commandTimeoutMs", settings.commandTimeoutMs, 1],
  ] as const) {
    if (!Number.isInteger(value) || value < minimum) {
      throw new SlmkitError("INVALID_OPTION", `${field} must be an integer >= ${minimum}; got ${value}.`, {
        field,
      });
    }
  }
  return settings;
}

function windowOf(time: number): number {
  return Math.floor(time / 1000);
}

/** `key`'s count in `window`, started at zero when new; past `maxTrackedKeys`, idle keys (then all) are dropped. */
function countOf(counts: Map<string, WindowCount>, key: string, window: number): WindowCount {
  let count = counts.get(key);
  if (count === undefined || count.window !== window) {
    if (count === undefined && counts.size >= maxTrackedKeys) {
      for (const [tracked, entry] of counts) if (entry.window !== window) counts.delete(tracked);
      if (counts.size >= maxTrackedKeys) counts.clear();
    }
    count = { window, shared: 0, unsent: 0, sending: 0 };
    counts.set(key, count);
  }
  return count;
}

/**
 * One sync: sends the current window's admissions of every key in one pipeline and reads back each key's
 * shared count. Never throws: a failure marks the connection degraded, and what was not counted is sent again
 * with the next sync.
 */
async function syncCounts(
  connection: RedisConnection,
  counts: ReadonlyMap<string, WindowCount>,
  settings: SharedRateLimitSettings,
  isClosed: () => boolean,
): Promise<void> {
  const redis = connection.redis;
  if (isClosed() || redis.status !== "ready") return;
  const window = windowOf(settings.now());
  const batch: { key: string; count: WindowCount; sent: number }[] = [];
  const pipeline = redis.pipeline();
  for (const [key, count] of counts) {
    if (count.window !== window) continue;
    const sent = count.unsent;
    // A key with nothing new here is read again only once it is half used: its count matters only near the
    // limit, and this keeps a sync's pipeline as small as this replica's traffic. INCRBY 0 is that read.
    if (sent === 0 && count.shared + count.sending < settings.perSecond / 2) continue;
    count.sending += sent;
    count.unsent = 0;
    const redisKey = `${settings.keyPrefix}${key}:${window}`;
    pipeline.incrby(redisKey, sent);
    pipeline.pexpire(redisKey, 2_000);
    batch.push({ key, count, sent });
  }
  if (batch.length === 0) {
    // Nothing counted while degraded (the local buckets decide): a ping is how an outage ends.
    if (connection.degraded)
      await redis.ping().then(
        () => connection.markRecovered(),
        () => undefined,
      );
    return;
  }
  let replies: [Error | null, unknown][] | null;
  try {
    replies = await pipeline.exec();
  } catch (error) {
    replies = null;
    connection.markDegraded(error instanceof Error ? error.message : String(error));
  }
  let failed = replies === null;
  batch.forEach(({ count, sent }, index) => {
    count.sending -= sent;
    const [error, total] = replies?.[index * 2] ?? [null, undefined];
    if (error !== null || typeof total !== "number") {
      failed = true;
      // Not counted in Redis: sent again with the next sync, unless the window has passed.
      count.unsent += sent;
      return;
    }
    count.shared = Math.max(count.shared, total);
  });
  if (failed) connection.markDegraded(connection.lastError || "a rate-limit sync failed");
  else connection.markRecovered();
}
