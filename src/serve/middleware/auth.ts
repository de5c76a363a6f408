// API keys: every request but the public paths names its key (`Authorization: Bearer …`), checked against the
// store (hashed, constant-time) and remembered briefly. The same hook charges the request to its rate limit.

import { hash } from "node:crypto";
import type { FastifyInstance } from "fastify";
import type { ApiKeyRecord, Store } from "../../store/types.js";
import type { Logger } from "../../types.js";
import { invalidApiKey, missingApiKey, storeUnavailable } from "../errors.js";
import type { RateLimiter } from "../rate-limit.js";
import { chargeRequest } from "./limits.js";

declare module "fastify" {
  interface FastifyRequest {
    /**
     * The verified key of the request, with its role and use-case scope (see ./authorize.ts); null on public
     * paths, and without a key when auth is off.
     */
    apiKey: ApiKeyRecord | null;
  }
}

export interface ApiKeyCacheOptions {
  store: Pick<Store, "verifyApiKey">;
  /** How long a verified API key is trusted without asking the store again, in ms. Default 10,000. */
  apiKeyCacheMs?: number;
  /** Where a store failure is reported. Default: nowhere. */
  logger?: Pick<Logger, "error">;
}

/** Keys verified a moment ago, and the store behind them. */
export interface ApiKeyCache {
  /** The record of `key` when it was verified within the cache time; never asks the store. */
  known(key: string): ApiKeyRecord | undefined;
  /** Asks the store (unless `known` has it); undefined for an unknown or revoked key, a 503 when the store fails. */
  verify(key: string): Promise<ApiKeyRecord | undefined>;
  /**
   * The id of a key the store verified before, its cache entry expired or not (remembered by the key's hash until
   * the store refuses it): the bucket its re-verification is charged to. Undefined for any other key.
   */
  verifiedBefore(key: string | undefined): string | undefined;
}

/** Most keys remembered at once; past it the cache starts over (a flood of distinct keys cannot grow memory). */
const maxCachedKeys = 10_000;
/** Most key hashes remembered as verified before; past it the oldest go (only keys the store accepted get in). */
const maxRememberedKeys = 100_000;
const keyHash = (key: string): string => hash("sha256", key, "base64");

// Verified keys are remembered briefly so the store is not asked on every request; a revoked key stops working
// within `apiKeyCacheMs`. A store that cannot answer is a 503, never a 401.
export function createApiKeyCache(options: ApiKeyCacheOptions): ApiKeyCache {
  const { store, logger } = options;
  const apiKeyCacheMs = options.apiKeyCacheMs ?? 10_000;
  const verifiedKeys = new Map<string, { record: ApiKeyRecord; until: number }>();
  // Key hash → key id of every key the store accepted, kept past the cache entry: re-verifying a known key is charged
  // to its own bucket, never to its address's, which a flood of wrong keys (behind a proxy, everyone's) empties.
  const rememberedKeys = new Map<string, string>();
  return {
    known(key) {
      const cached = verifiedKeys.get(key);
      return cached !== undefined && cached.until > Date.now() ? cached.record : undefined;
    },
    async verify(key) {
      const cached = verifiedKeys.get(key);
      const now = Date.now();
      if (cached !== undefined && cached.until > now) return cached.record;
      let record: ApiKeyRecord | undefined;
      try {
        record = await store.verifyApiKey(key);
      } catch (error) {
        logger?.error({ err: error }, "api key check failed");
        throw storeUnavailable("cannot check the API key");
      }
      if (record === undefined) {
        verifiedKeys.delete(key);
        if (rememberedKeys.size > 0) rememberedKeys.delete(keyHash(key));
      } else {
        if (verifiedKeys.size >= maxCachedKeys) verifiedKeys.clear();
        verifiedKeys.set(key, { record, until: now + apiKeyCacheMs });
        const remembered = keyHash(key);
        if (!rememberedKeys.has(remembered) && rememberedKeys.size >= maxRememberedKeys)
          rememberedKeys.delete(rememberedKeys.keys().next().value as string);
        rememberedKeys.set(remembered, record.id);
      }
      return record;
    },
    verifiedBefore(key) {
      return key === undefined || rememberedKeys.size === 0 ? undefined : rememberedKeys.get(keyHash(key));
    },
  };
}

export interface AuthOptions {
  keys: ApiKeyCache;
  rateLimiter: RateLimiter;
  /** Refuse requests without a key (401). Without it a request may still give a key, which is then checked. */
  requireAuth: boolean;
  /** Paths served to anyone, e.g. probes and the dashboard's pages (the path without its query). */
  isPublic(path: string): boolean;
}

/** Installs the one `onRequest` hook that checks the key and charges the rate limit, in that hook's order. */
export function registerAuth(app: FastifyInstance, options: AuthOptions): void {
  const { keys, rateLimiter, requireAuth, isPublic } = options;
  // A callback hook, not an async one: a request with a key verified moments ago (nearly all of them) passes
  // without a promise or a microtask turn; only a key the store must check waits for it.
  app.addHook("onRequest", (request, _reply, done) => {
    const query = request.url.indexOf("?");
    const path = query === -1 ? request.url : request.url.slice(0, query);
    if (isPublic(path)) {
      done();
      return;
    }
    const header = request.headers.authorization;
    const key = header?.startsWith("Bearer ") ? header.slice(7).trim() : undefined;
    // Charged before the store is asked: a key verified before (its cache entry fresh or expired) to its own bucket,
    // a request without a known-good key to its address's.
    const known = key === undefined ? undefined : keys.known(key);
    const limited = chargeRequest(rateLimiter, known?.id ?? keys.verifiedBefore(key), request.ip);
    if (limited !== undefined) {
      done(limited);
      return;
    }
    if (known !== undefined) {
      request.apiKey = known;
      done();
    } else if (key) {
      keys.verify(key).then(
        (record) => {
          if (record === undefined) done(invalidApiKey());
          else {
            request.apiKey = record;
            done();
          }
        },
        (error: Error) => done(error),
      );
    } else if (requireAuth) {
      done(missingApiKey());
    } else done();
  });
}
