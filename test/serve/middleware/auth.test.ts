import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import Fastify, { type FastifyInstance } from "fastify";
import { registerErrorHandlers } from "../../../src/serve/errors.js";
import { createGatewayMetrics } from "../../../src/serve/metrics.js";
import { createApiKeyCache, registerAuth } from "../../../src/serve/middleware/auth.js";
import { createRateLimiter } from "../../../src/serve/rate-limit.js";
import { createSqliteStore } from "../../../src/store/sqlite-store.js";
import type { Store } from "../../../src/store/types.js";

/** A store of real keys (SQLite) that counts how often it is asked, and can be made to fail. */
function countingStore(store: Store) {
  const counted = {
    asked: 0,
    failing: false,
    async verifyApiKey(key: string) {
      counted.asked += 1;
      if (counted.failing) throw new Error("the store is away");
      return store.verifyApiKey(key);
    },
  };
  return counted;
}

/** An app with only the auth hook, the error handler and one route that says which key it saw. */
async function appWith(
  keys: ReturnType<typeof createApiKeyCache>,
  requireAuth = true,
): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  app.decorateRequest("apiKey", null);
  registerErrorHandlers(app, { bodyLimitBytes: 1024, metrics: createGatewayMetrics() });
  registerAuth(app, {
    keys,
    rateLimiter: createRateLimiter(),
    requireAuth,
    isPublic: (path) => path === "/open",
  });
  app.get("/open", async (request) => ({ key: request.apiKey?.id ?? null }));
  app.get("/keyed", async (request) => ({ key: request.apiKey?.id ?? null }));
  await app.ready();
  return app;
}

describe("API key auth", () => {
  let store: Store;
  let key: string;
  let keyId: string;

  before(async () => {
    store = createSqliteStore({ path: ":memory:" });
    await store.migrate();
    const created = await store.createApiKey("test");
    key = created.key;
    keyId = created.record.id;
  });
  after(async () => {
    await store.close();
  });

  const get = (app: FastifyInstance, url: string, bearer?: string) =>
    app.inject({
      method: "GET",
      url,
      headers: bearer === undefined ? {} : { authorization: `Bearer ${bearer}` },
    });

  test("a valid key passes and the route sees its record; the store is asked once while the key is cached", async () => {
    const counted = countingStore(store);
    const app = await appWith(createApiKeyCache({ store: counted, apiKeyCacheMs: 60_000 }));
    for (let index = 0; index < 3; index++) {
      const response = await get(app, "/keyed", key);
      assert.equal(response.statusCode, 200);
      assert.deepEqual(response.json(), { key: keyId });
    }
    assert.equal(counted.asked, 1);
    await app.close();
  });

  test("once its cache entry expires the key is checked again, so a revoked key stops working", async () => {
    const own = await store.createApiKey("to revoke");
    const counted = countingStore(store);
    const app = await appWith(createApiKeyCache({ store: counted, apiKeyCacheMs: 30 }));
    assert.equal((await get(app, "/keyed", own.key)).statusCode, 200);
    await store.revokeApiKey(own.record.id);
    await new Promise((resolve) => setTimeout(resolve, 40));
    const refused = await get(app, "/keyed", own.key);
    assert.equal(refused.statusCode, 401);
    assert.equal(refused.json().error.code, "invalid_api_key");
    assert.equal(counted.asked, 2);
    await app.close();
  });

  test("no key is a 401 missing_api_key that says how to send one; a wrong key is a 401 invalid_api_key", async () => {
    const app = await appWith(createApiKeyCache({ store }));
    const missing = await get(app, "/keyed");
    assert.equal(missing.statusCode, 401);
    assert.equal(missing.json().error.code, "missing_api_key");
    assert.match(missing.json().error.message, /Authorization: Bearer/);
    const wrong = await get(app, "/keyed", "slmk_aaaaaaaaaaaa_wrong");
    assert.equal(wrong.statusCode, 401);
    assert.equal(wrong.json().error.code, "invalid_api_key");
    await app.close();
  });

  test("public paths pass without a key, whatever their query string", async () => {
    const app = await appWith(createApiKeyCache({ store }));
    const response = await get(app, "/open?usecase=support");
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { key: null });
    await app.close();
  });

  test("with auth off a request without a key passes, and a key that is given is still checked", async () => {
    const app = await appWith(createApiKeyCache({ store }), false);
    assert.deepEqual((await get(app, "/keyed")).json(), { key: null });
    assert.deepEqual((await get(app, "/keyed", key)).json(), { key: keyId });
    assert.equal((await get(app, "/keyed", "slmk_aaaaaaaaaaaa_wrong")).statusCode, 401);
    await app.close();
  });

  test("a store that cannot answer is a 503 store_unavailable with Retry-After, never a 401, and is logged", async () => {
    const counted = countingStore(store);
    counted.failing = true;
    const logged: string[] = [];
    const app = await appWith(
      createApiKeyCache({
        store: counted,
        logger: { error: (_context, message) => logged.push(message) },
      }),
    );
    const response = await get(app, "/keyed", key);
    assert.equal(response.statusCode, 503);
    assert.equal(response.headers["retry-after"], "1");
    assert.deepEqual(response.json().error, {
      message: "cannot check the API key right now; retry shortly.",
      type: "server_error",
      code: "store_unavailable",
      param: null,
    });
    assert.deepEqual(logged, ["api key check failed"]);
    await app.close();
  });
});
