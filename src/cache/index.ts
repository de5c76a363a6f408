// The cache's public face: `createCache` picks the backend from config; explicit re-exports, no `export *`.

import { createMemoryCache, type MemoryCacheOptions } from "./memory-cache.js";
import { createRedisCache, type RedisCacheOptions, type RedisResponseCache } from "./redis-cache.js";
import type { ResponseCache } from "./types.js";

export type CacheConfig = ({ kind: "memory" } & MemoryCacheOptions) | ({ kind: "redis" } & RedisCacheOptions);

/** The embedded memory cache (the default, no setup) or the Redis cache shared by several replicas. */
export function createCache(config: { kind: "redis" } & RedisCacheOptions): RedisResponseCache;
export function createCache(config: CacheConfig): ResponseCache;
export function createCache(config: CacheConfig): ResponseCache {
  if (config.kind === "redis") {
    const { kind: _kind, ...options } = config;
    return createRedisCache(options);
  }
  const { kind: _kind, ...options } = config;
  return createMemoryCache(options);
}

export {
  compareGuardSignatures,
  extractGuardSignature,
  type GuardResult,
  type GuardSignature,
  semanticGuard,
} from "./guards.js";
export { createMemoryCache, type MemoryCacheOptions } from "./memory-cache.js";
export { type CacheTuningOptions, defaultCacheTuning } from "./options.js";
export { createRedisCache, type RedisCacheOptions, type RedisResponseCache } from "./redis-cache.js";
export { SemanticIndex } from "./semantic-index.js";
export { parseCacheSetting } from "./settings.js";
export type { CachedAnswer, CacheHit, CacheStats, CacheStatus, ResponseCache } from "./types.js";
