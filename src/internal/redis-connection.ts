// A Redis connection that never queues and knows when Redis is away: shared by the cache and the rate limits.

import { Redis } from "ioredis";
import type { Logger } from "../types.js";

export interface RedisConnectionOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://` for TLS. */
  url: string;
  /** Milliseconds a command may take before it fails. The connection attempt gets at least 1,000. */
  commandTimeoutMs: number;
  /** Upper bound of the delay between reconnection attempts, in milliseconds. */
  maxReconnectDelayMs: number;
  /** Milliseconds without a byte while replies are awaited before the connection is replaced. Default: ioredis's (none). */
  socketTimeoutMs?: number;
  logger?: Logger | undefined;
  /** What the log says once when Redis goes away, and once when it answers again. */
  messages: { degraded: string; recovered: string };
  /** Called on every sign of a working Redis (ready, or a command that succeeded), degraded before or not. */
  onRecovered?: () => void;
}

/** The client and its health: degraded from the first error or close until Redis answers again. */
export interface RedisConnection {
  readonly redis: Redis;
  /** True while Redis is away (or failing), as far as this connection has seen. */
  readonly degraded: boolean;
  /** The last failure's message; "" before any. */
  readonly lastError: string;
  /** Records a failure; logs the outage once, and never after `stop`. */
  markDegraded(reason: string): void;
  /** Records a working Redis; logs the recovery once per outage. */
  markRecovered(): void;
  /** The owner is closing: later failures are its own doing and are not logged as an outage. */
  stop(): void;
  /** Resolves true once connected (at once when already), false after `timeoutMs` without a connection. */
  waitUntilReady(timeoutMs: number): Promise<boolean>;
}

export function connectRedis(options: RedisConnectionOptions): RedisConnection {
  const { logger, messages } = options;
  const redis = new Redis(options.url, {
    // No queue while disconnected: a command fails at once instead of piling up behind a dead server, and the
    // owner's fallback (a miss, a local limit) decides meanwhile.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: options.commandTimeoutMs,
    ...(options.socketTimeoutMs === undefined ? {} : { socketTimeout: options.socketTimeoutMs }),
    connectTimeout: Math.max(1_000, options.commandTimeoutMs),
    retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 10), options.maxReconnectDelayMs),
    // Replies to commands sent before a reconnect would answer requests long gone.
    autoResendUnfulfilledCommands: false,
  });
  let degraded = false;
  let lastError = "";
  let stopped = false;

  const markDegraded = (reason: string): void => {
    lastError = reason;
    if (degraded || stopped) return;
    degraded = true;
    logger?.warn({ reason }, messages.degraded);
  };
  const markRecovered = (): void => {
    options.onRecovered?.();
    if (!degraded) return;
    degraded = false;
    logger?.info({}, messages.recovered);
  };
  // Listening to "error" is also what keeps ioredis from printing unhandled errors itself.
  redis.on("error", (error: Error) => markDegraded(error.message));
  redis.on("close", () => markDegraded(lastError || "connection closed"));
  redis.on("ready", markRecovered);

  return {
    redis,
    get degraded() {
      return degraded;
    },
    get lastError() {
      return lastError;
    },
    markDegraded,
    markRecovered,
    stop() {
      stopped = true;
    },
    waitUntilReady(timeoutMs) {
      if (redis.status === "ready") return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          redis.off("ready", onReady);
          resolve(false);
        }, timeoutMs);
        const onReady = (): void => {
          clearTimeout(timer);
          markRecovered();
          resolve(true);
        };
        redis.once("ready", onReady);
      });
    },
  };
}
