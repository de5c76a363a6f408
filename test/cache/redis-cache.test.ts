import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { createCache, createRedisCache, type RedisResponseCache } from "../../src/cache/index.js";
import type { CachedAnswer } from "../../src/cache/types.js";
import { FaultyRedisProxy, freePort } from "../helpers/redis-proxy.js";
import { probeRedis, redisUrl, requireService } from "../helpers/services.js";

const service = await requireService("Redis", () => probeRedis());
const skip = service.skipReason ?? false;
// One prefix per run (and per process: test files run in parallel), deleted at the end.
const keyPrefix = `slmkit:test:cache:${process.pid}:${Date.now().toString(36)}:`;
const scope = "support:tenant-a";
const opened: RedisResponseCache[] = [];
let admin: Redis | undefined;

function answer(label: string): CachedAnswer {
  return { label, confidence: 0.91, answeredBy: "llm" };
}

function unitVector(similarity = 1): Float32Array {
  return Float32Array.from([similarity, Math.sqrt(1 - similarity * similarity), 0, 0]);
}

function open(options: Partial<Parameters<typeof createRedisCache>[0]> = {}): RedisResponseCache {
  const cache = createRedisCache({ url: redisUrl(), keyPrefix, ...options });
  opened.push(cache);
  return cache;
}

async function keysOf(prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await (admin as Redis).scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== "0");
  return found;
}

describe("redis cache", { skip }, () => {
  before(async () => {
    admin = new Redis(redisUrl(), { lazyConnect: true, maxRetriesPerRequest: 1 });
    await admin.connect();
  });

  after(async () => {
    await Promise.all(opened.map((cache) => cache.close()));
    if (admin !== undefined) {
      const keys = await keysOf(keyPrefix);
      if (keys.length > 0) await admin.del(...keys);
      assert.deepEqual(await keysOf(keyPrefix), [], "the test leaves no keys behind");
      await admin.quit();
    }
  });

  test("two replicas share exact hits through Redis; the key holds a hash, the value no text", async () => {
    const first = open();
    const second = open();
    assert.ok(await first.waitUntilReady());
    assert.ok(await second.waitUntilReady());
    assert.equal(first.status(), "ready");
    await first.set(scope, "Where is my ORDER?", answer("order_status"));
    const hit = await second.get(scope, "  where is my order? ");
    assert.deepEqual(hit, { answer: answer("order_status"), kind: "exact", similarity: 1 });
    assert.equal(
      await second.get("support:tenant-b", "where is my order?"),
      undefined,
      "scopes are isolated",
    );
    const keys = await keysOf(`${keyPrefix}${scope}:`);
    const entryKey = keys.find((key) => /:[0-9a-f]{64}$/u.test(key));
    assert.ok(entryKey !== undefined, keys.join(", "));
    assert.doesNotMatch((await admin?.get(entryKey)) ?? "", /order\?/iu);
  });

  test("Redis expires entries after ttlMs", async () => {
    const cache = open({ ttlMs: 300 });
    assert.ok(await cache.waitUntilReady());
    await cache.set("ttl-scope", "short lived", answer("x"));
    const key = (await keysOf(`${keyPrefix}ttl-scope:`)).find((name) => !name.endsWith("#index")) ?? "";
    const remaining = (await admin?.pttl(key)) ?? -1;
    assert.ok(remaining > 0 && remaining <= 300, `PTTL ${remaining}`);
    assert.equal((await cache.get("ttl-scope", "short lived"))?.kind, "exact");
    await sleep(400);
    assert.equal(await cache.get("ttl-scope", "short lived"), undefined);
  });

  test("keeps at most maxEntriesPerScope entries per scope in Redis, dropping the oldest", async () => {
    const cache = open({ maxEntriesPerScope: 3 });
    assert.ok(await cache.waitUntilReady());
    for (const text of ["one", "two", "three", "four", "five"])
      await cache.set("bounded", text, answer(text));
    const entries = (await keysOf(`${keyPrefix}bounded:`)).filter((name) => !name.endsWith("#index"));
    assert.equal(entries.length, 3);
    assert.equal(await cache.get("bounded", "one"), undefined);
    assert.equal(await cache.get("bounded", "two"), undefined);
    for (const text of ["three", "four", "five"])
      assert.equal((await cache.get("bounded", text))?.answer.label, text);
  });

  test("semantic vectors stay with the replica that stored them, behind the same guards", async () => {
    const first = open();
    const second = open();
    assert.ok((await first.waitUntilReady()) && (await second.waitUntilReady()));
    await first.set(scope, "refund 20 dollars", answer("refund"), unitVector());
    assert.equal((await first.get(scope, "please refund 20 dollars", unitVector(0.98)))?.kind, "semantic");
    assert.equal(await first.get(scope, "please refund 200 dollars", unitVector(0.98)), undefined);
    assert.equal(first.stats().guardRejections, 1);
    assert.equal(await second.get(scope, "please refund 20 dollars", unitVector(0.98)), undefined);
    assert.equal(first.size(scope), 1);
    assert.equal(second.size(scope), 0);
  });

  test("ignores values it did not write (a miss, not an error)", async () => {
    const cache = open();
    assert.ok(await cache.waitUntilReady());
    await cache.set("foreign", "some text", answer("x"));
    const key = (await keysOf(`${keyPrefix}foreign:`)).find((name) => !name.endsWith("#index")) ?? "";
    await admin?.set(key, "not json");
    assert.equal(await cache.get("foreign", "some text"), undefined);
    await admin?.set(key, JSON.stringify({ label: 3 }));
    assert.equal(await cache.get("foreign", "some text"), undefined);
  });

  test("Redis down: get misses within 200 ms, set is dropped, status is degraded, nothing throws", async () => {
    const warnings: string[] = [];
    const logger = {
      warn: (_context: object, message: string) => warnings.push(message),
      info: () => {},
      error: () => {},
    };
    const cache = createCache({
      kind: "redis",
      url: `redis://127.0.0.1:${await freePort()}`,
      keyPrefix,
      logger,
    });
    opened.push(cache);
    await sleep(50);
    const started = performance.now();
    await cache.set(scope, "hello", answer("greeting"), unitVector());
    const hit = await cache.get(scope, "hello");
    assert.ok(performance.now() - started < 200, `${performance.now() - started} ms`);
    assert.equal(hit, undefined);
    assert.equal(cache.status(), "degraded");
    assert.equal(await cache.waitUntilReady(100), false);
    // This replica's own vectors still answer while Redis is away.
    assert.equal((await cache.get(scope, "hello", unitVector()))?.kind, "semantic");
    assert.equal(warnings.length, 1, "one warning for the outage, not one per attempt");
  });

  test("a hung Redis costs one command timeout, then lookups skip it until it answers again", async () => {
    const proxy = new FaultyRedisProxy();
    await proxy.start();
    const messages: string[] = [];
    const logger = {
      warn: (_context: object, message: string) => messages.push(`warn: ${message}`),
      info: (_context: object, message: string) => messages.push(`info: ${message}`),
      error: (_context: object, message: string) => messages.push(`error: ${message}`),
    };
    const cache = open({ url: proxy.url, commandTimeoutMs: 80, pauseAfterTimeoutMs: 300, logger });
    try {
      assert.ok(await cache.waitUntilReady());
      await cache.set(scope, "frozen", answer("cold"));
      proxy.freeze();
      let started = performance.now();
      assert.equal(await cache.get(scope, "frozen"), undefined);
      const firstMs = performance.now() - started;
      assert.ok(firstMs >= 70 && firstMs < 200, `${firstMs} ms`);
      assert.equal(cache.status(), "degraded");
      started = performance.now();
      assert.equal(await cache.get(scope, "frozen"), undefined);
      assert.ok(performance.now() - started < 50, "paused: no second timeout");
      assert.ok(cache.stats().backendErrors >= 1);
      proxy.thaw();
      await sleep(350);
      assert.equal(cache.status(), "ready");
      assert.equal((await cache.get(scope, "frozen"))?.answer.label, "cold");
      assert.deepEqual(messages, [
        "warn: redis cache degraded: lookups miss until Redis answers again",
        "info: redis cache recovered",
      ]);
    } finally {
      await proxy.stop();
    }
  });

  test("recovers by itself when Redis comes back", async () => {
    const proxy = new FaultyRedisProxy();
    await proxy.start();
    const cache = open({ url: proxy.url, maxReconnectDelayMs: 100 });
    try {
      assert.ok(await cache.waitUntilReady());
      await cache.set(scope, "survives the outage", answer("kept"));
      await proxy.stop();
      await sleep(50);
      assert.equal(cache.status(), "degraded");
      assert.equal(await cache.get(scope, "survives the outage"), undefined);
      await proxy.start(proxy.port);
      assert.ok(await cache.waitUntilReady(2_000), "reconnected");
      assert.equal(cache.status(), "ready");
      assert.equal((await cache.get(scope, "survives the outage"))?.answer.label, "kept");
    } finally {
      await proxy.stop();
    }
  });

  test("close is idempotent; get and set after close neither throw nor reach Redis", async () => {
    const cache = open();
    assert.ok(await cache.waitUntilReady());
    await cache.close();
    await cache.close();
    await cache.set(scope, "after close", answer("x"));
    assert.equal(await cache.get(scope, "after close"), undefined);
    assert.equal(cache.status(), "degraded");
  });
});
