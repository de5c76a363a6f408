// Per-key token-bucket rate limits, in memory (each replica limits its own share).

export interface RateLimiter {
  /** Takes one token for `key`; returns 0 when allowed, else the seconds to wait before retrying. */
  take(key: string): number;
}

export interface RateLimitOptions {
  /** Sustained requests per second per key. Default 1,000. */
  perSecond?: number;
  /** Burst size per key. Default 2 × perSecond. */
  burst?: number;
  now?: () => number;
}

export function createRateLimiter(options: RateLimitOptions = {}): RateLimiter {
  const perSecond = options.perSecond ?? 1000;
  const burst = options.burst ?? perSecond * 2;
  const now = options.now ?? (() => performance.now());
  const buckets = new Map<string, { tokens: number; at: number }>();
  // Buckets of idle keys refill to `burst` and mean nothing: they are dropped once the map grows, so
  // a stream of distinct client addresses cannot grow memory without bound.
  const maxBuckets = 10_000;
  const prune = (time: number) => {
    for (const [key, bucket] of buckets) {
      if (bucket.tokens + ((time - bucket.at) / 1000) * perSecond >= burst) buckets.delete(key);
    }
    if (buckets.size >= maxBuckets) buckets.clear();
  };
  return {
    take(key) {
      const time = now();
      if (buckets.size >= maxBuckets && !buckets.has(key)) prune(time);
      const bucket = buckets.get(key) ?? { tokens: burst, at: time };
      bucket.tokens = Math.min(burst, bucket.tokens + ((time - bucket.at) / 1000) * perSecond);
      bucket.at = time;
      buckets.set(key, bucket);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
      }
      return Math.ceil((1 - bucket.tokens) / perSecond);
    },
  };
}
