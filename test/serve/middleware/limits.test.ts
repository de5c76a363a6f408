import assert from "node:assert/strict";
import type { AddressInfo, Socket } from "node:net";
import { after, before, describe, test } from "node:test";
import Fastify, { type FastifyInstance } from "fastify";
import { createApp } from "../../../src/serve/app.js";
import { HttpError, registerErrorHandlers } from "../../../src/serve/errors.js";
import { createGatewayMetrics, type GatewayMetrics } from "../../../src/serve/metrics.js";
import { createApiKeyCache, registerAuth } from "../../../src/serve/middleware/auth.js";
import { chargeRequest, checkInputLength } from "../../../src/serve/middleware/limits.js";
import { createRateLimiter, type RateLimiter } from "../../../src/serve/rate-limit.js";
import { createSqliteStore } from "../../../src/store/sqlite-store.js";
import type { ApiKeyRecord, Store } from "../../../src/store/types.js";
import { openSocket, parseResponse, rawRequest } from "../../helpers/raw-http.js";

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
    assert.equal(chargeRequest(limiter, record.id, "10.0.0.1"), undefined);
    assert.equal(chargeRequest(limiter, undefined, "10.0.0.1"), undefined);
    assert.deepEqual(charged, ["key:k1", "ip:10.0.0.1"]);
  });

  test("an empty bucket is a 429 rate_limit_exceeded whose Retry-After is the wait in seconds", () => {
    const limited = chargeRequest({ take: () => 3 }, record.id, "10.0.0.1");
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

describe("a flood of wrong keys from the address a right key shares (a proxy)", () => {
  test("the right key, polling across its cache expiries, never gets a 429: re-verifying it is charged to the key", async () => {
    const store = createSqliteStore({ path: ":memory:" });
    await store.migrate();
    const { key } = await store.createApiKey("right");
    let verifications = 0;
    const countedStore = {
      verifyApiKey: async (given: string) => {
        if (given === key) verifications += 1;
        return store.verifyApiKey(given);
      },
    };
    // An address gets 3 requests (no refill within the test); a key plenty.
    const tight = createRateLimiter({ perSecond: 0.01, burst: 3 });
    const loose = createRateLimiter({ perSecond: 1000 });
    const addressesTightKeysLoose: RateLimiter = {
      take: (bucket) => (bucket.startsWith("ip:") ? tight.take(bucket) : loose.take(bucket)),
    };
    const app = Fastify({ logger: false });
    app.decorateRequest("apiKey", null);
    registerErrorHandlers(app, { bodyLimitBytes: 1024, metrics: createGatewayMetrics() });
    registerAuth(app, {
      // Expires every 30 ms: the poll below re-verifies the key a dozen times.
      keys: createApiKeyCache({ store: countedStore, apiKeyCacheMs: 30 }),
      rateLimiter: addressesTightKeysLoose,
      requireAuth: true,
      isPublic: () => false,
    });
    app.get("/keyed", async () => ({ ok: true }));
    await app.ready();
    const get = (bearer: string) =>
      app.inject({ method: "GET", url: "/keyed", headers: { authorization: `Bearer ${bearer}` } });
    try {
      assert.equal((await get(key)).statusCode, 200, "the key was used before the flood");
      const flood: number[] = [];
      const right: number[] = [];
      for (let round = 0; round < 12; round++) {
        for (let guess = 0; guess < 20; guess++)
          flood.push((await get(`slmk_guess_${round}_${guess}`)).statusCode);
        // Past the 30 ms cache entry: each poll re-verifies the key with the store.
        await new Promise((resolve) => setTimeout(resolve, 35));
        right.push((await get(key)).statusCode);
      }
      assert.ok(flood.filter((status) => status === 429).length >= flood.length - 3, "the flood is limited");
      assert.ok(verifications >= 12, `the key was re-verified ${verifications} times`);
      assert.deepEqual(
        right.filter((status) => status !== 200),
        [],
        "the right key is never limited by the flood",
      );
      const limited = await get("slmk_guess_last");
      assert.equal(limited.statusCode, 429);
      assert.equal(
        limited.headers.connection,
        "close",
        "a limited request without a known key closes its connection",
      );
    } finally {
      await app.close();
      await store.close();
    }
  });

  test("a revoked key is forgotten: once the store refuses it, it is charged to its address again", async () => {
    const store = createSqliteStore({ path: ":memory:" });
    await store.migrate();
    const created = await store.createApiKey("to revoke");
    const keys = createApiKeyCache({ store, apiKeyCacheMs: 1 });
    assert.equal(keys.verifiedBefore(created.key), undefined);
    await keys.verify(created.key);
    assert.equal(keys.verifiedBefore(created.key), created.record.id);
    assert.equal(keys.verifiedBefore("slmk_other"), undefined);
    await store.revokeApiKey(created.record.id);
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(await keys.verify(created.key), undefined);
    assert.equal(keys.verifiedBefore(created.key), undefined);
    await store.close();
  });
});

describe("connection limits, over real sockets", () => {
  let app: FastifyInstance;
  let store: Store;
  let port: number;
  let metrics: GatewayMetrics;

  before(async () => {
    store = createSqliteStore({ path: ":memory:" });
    await store.migrate();
    metrics = createGatewayMetrics();
    app = await createApp({
      useCases: new Map(),
      store,
      metrics,
      rateLimiter: createRateLimiter(),
      reload: async () => ({ version: "v1" }),
      ready: () => true,
      headerTimeoutMs: 300,
      bodyTimeoutMs: 600,
      idleTimeoutMs: 300,
      maxConnections: 40,
      maxConnectionsPerAddress: 3,
    });
    await app.listen({ port: 0, host: "127.0.0.1" });
    port = (app.server.address() as AddressInfo).port;
  });
  after(async () => {
    await app.close();
    await store.close();
  });

  const scrape = () => metrics.registry.metrics();
  const closedWithin = (socket: Socket, ms: number) =>
    new Promise<boolean>((resolve) => {
      if (socket.destroyed) resolve(true);
      // Read what comes: a paused socket would never see the server's end.
      socket.resume();
      const timer = setTimeout(() => resolve(false), ms);
      socket.once("close", () => {
        clearTimeout(timer);
        resolve(true);
      });
    });

  test("a connection over the per-address cap is closed at once and counted; other addresses still connect", async () => {
    const held = await Promise.all([1, 2, 3].map(() => openSocket(port, "127.0.0.2")));
    const over = await openSocket(port, "127.0.0.2");
    over.on("error", () => undefined);
    assert.equal(await closedWithin(over, 1000), true, "the fourth connection from one address is closed");
    assert.match(await scrape(), /slmkit_connections_refused_total\{listener="main",cap="per_address"\} 1/);
    assert.match(await scrape(), /slmkit_connections_open\{listener="main"\} 3/);
    const other = await rawRequest(port, "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n", 50);
    assert.equal(other.status, 200, "another address is served");
    for (const socket of held) socket.destroy();
  });

  test("headers slower than headerTimeoutMs, or a keyed body slower than bodyTimeoutMs: a 408 in the OpenAI shape, then closed", async () => {
    const { key } = await store.createApiKey("slow");
    const started = performance.now();
    const [headers, body] = await Promise.all([
      rawRequest(port, "GET /healthz HTTP/1.1\r\nHost: a\r\n", 5000),
      rawRequest(
        port,
        `POST /v1/feedback HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a`,
        5000,
      ),
    ]);
    const elapsed = performance.now() - started;
    for (const response of [headers, body]) {
      assert.equal(response.status, 408);
      assert.equal(JSON.parse(response.body).error.code, "request_timeout");
      assert.equal(response.closed, true);
    }
    assert.ok(elapsed < 3000, `took ${Math.round(elapsed)} ms`);
  });

  test("an idle kept-alive connection is closed after idleTimeoutMs", async () => {
    const socket = await openSocket(port, "127.0.0.4");
    socket.write("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n");
    const started = performance.now();
    assert.equal(await closedWithin(socket, 3000), true);
    assert.ok(performance.now() - started >= 250, "not before the idle timeout");
  });

  test("a request without a key gets its 401 and its connection closed: the trickled rest of its body is not waited for", async () => {
    const socket = await openSocket(port, "127.0.0.5");
    let received = "";
    socket.setEncoding("utf8").on("data", (chunk: string) => {
      received += chunk;
    });
    socket.write(
      'POST /v1/chat/completions HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"',
    );
    const trickle = setInterval(() => socket.writable && socket.write("a"), 20);
    assert.equal(await closedWithin(socket, 250), true, "closed well before any timeout");
    clearInterval(trickle);
    const response = parseResponse(received);
    assert.equal(response?.status, 401);
    assert.equal(response?.headers.connection, "close");
    assert.equal(JSON.parse(response?.body ?? "{}").error.code, "missing_api_key");
  });

  test("over the cap in all, a connection is refused before it is read, and counted", async () => {
    const held: Socket[] = [];
    for (let index = 0; held.length < 40 && index < 60; index++) {
      const socket = await openSocket(port, `127.0.1.${index + 1}`);
      socket.on("error", () => undefined);
      held.push(socket);
    }
    const over = await openSocket(port, "127.0.2.1").catch(() => undefined);
    over?.on("error", () => undefined);
    assert.ok(over === undefined || (await closedWithin(over, 1000)), "the 41st connection is closed");
    assert.match(await scrape(), /slmkit_connections_refused_total\{listener="main",cap="total"\} [1-9]/);
    for (const socket of held) socket.destroy();
  });
});
