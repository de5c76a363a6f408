import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import Fastify, { type FastifyInstance } from "fastify";
import { HttpError, registerErrorHandlers } from "../../../src/serve/errors.js";
import { createGatewayMetrics } from "../../../src/serve/metrics.js";
import { createApiKeyCache, registerAuth } from "../../../src/serve/middleware/auth.js";
import { chargeRequest, checkInputLength } from "../../../src/serve/middleware/limits.js";
import { createRateLimiter, type RateLimiter } from "../../../src/serve/rate-limit.js";
import { createSqliteStore } from "../../../src/store/sqlite-store.js";
import type { ApiKeyRecord, Store } from "../../../src/store/types.js";

const record: ApiKeyRecord = {
  id: "k1",
  name: "test",
  role: "client",
  useCases: null,
  createdAt: 0,
  revokedAt: null,
};

describe("request limits", () => {
  test("a known key is charged to its own bucket, anything else to the client address's", () => {
    const charged: string[] = [];
    const limiter: RateLimiter = {
      take: (key) => {
        charged.push(key);
        return 0;
      },
    };
    assert.equal(chargeRequest(limiter, record, "10.0.0.1"), undefined);
    assert.equal(chargeRequest(limiter, undefined, "10.0.0.1"), undefined);
    assert.deepEqual(charged, ["key:k1", "ip:10.0.0.1"]);
  });

  test("an empty bucket is a 429 rate_limit_exceeded whose Retry-After is the wait in seconds", () => {
    const limited = chargeRequest({ take: () => 3 }, record, "10.0.0.1");
    assert.ok(limited instanceof HttpError);
    assert.equal(limited.statusCode, 429);
    assert.equal(limited.code, "rate_limit_exceeded");
    assert.deepEqual(limited.headers, { "retry-after": "3" });
    assert.match(limited.message, /retry in 3 s/);
  });

  test("an input longer than the limit is a 400 input_too_long naming the field; one at the limit passes", () => {
    checkInputLength("a".repeat(10), 10, "messages");
    assert.throws(
      () => checkInputLength("a".repeat(11), 10, "texts.2"),
      (error: unknown) =>
        error instanceof HttpError &&
        error.statusCode === 400 &&
        error.code === "input_too_long" &&
        error.param === "texts.2" &&
        error.message === "the input has 11 characters; the limit is 10.",
    );
  });
});

describe("request limits in the auth hook", () => {
  let store: Store;
  let key: string;
  let app: FastifyInstance;

  before(async () => {
    store = createSqliteStore({ path: ":memory:" });
    await store.migrate();
    key = (await store.createApiKey("test")).key;
    app = Fastify({ logger: false });
    app.decorateRequest("apiKey", null);
    registerErrorHandlers(app, { bodyLimitBytes: 1024, metrics: createGatewayMetrics() });
    registerAuth(app, {
      keys: createApiKeyCache({ store, apiKeyCacheMs: 60_000 }),
      // Refills so slowly that no stall of the machine gives a token back within the test.
      rateLimiter: createRateLimiter({ perSecond: 0.01, burst: 3 }),
      requireAuth: true,
      isPublic: (path) => path === "/healthz",
    });
    app.get("/healthz", async () => ({ status: "ok" }));
    app.get("/keyed", async () => ({ ok: true }));
    await app.ready();
  });
  after(async () => {
    await app.close();
    await store.close();
  });

  const get = (url: string, authorization?: string) =>
    app.inject({ method: "GET", url, headers: authorization === undefined ? {} : { authorization } });

  test("guessed keys from one address use up that address's bucket; a known key keeps its own", async () => {
    // The first request verifies the key (charged to the address, as it is not known yet); then it is known.
    assert.equal((await get("/keyed", `Bearer ${key}`)).statusCode, 200);
    const guesses = [];
    for (let index = 0; index < 4; index++) guesses.push(await get("/keyed", `Bearer slmk_guess_${index}`));
    assert.deepEqual(
      guesses.map((response) => response.statusCode),
      [401, 401, 429, 429],
    );
    const limited = guesses[3];
    assert.match(String(limited?.headers["retry-after"]), /^[1-9]\d*$/);
    assert.equal(limited?.json().error.type, "rate_limit_error");
    assert.equal((await get("/keyed", `Bearer ${key}`)).statusCode, 200, "the known key has its own bucket");
    assert.equal((await get("/healthz")).statusCode, 200, "public paths are not charged");
  });
});
