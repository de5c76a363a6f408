import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, describe, test } from "node:test";
import { createSharedRateLimiter, type SharedRateLimiter } from "../../src/serve/shared-rate-limit.js";
import { FaultyRedisProxy, freePort } from "../helpers/redis-proxy.js";
import { probeRedis, redisUrl, requireService } from "../helpers/services.js";

const redis = await requireService("redis", () => probeRedis());

/** Takes `count` tokens for `key`; returns how many were allowed. */
function takeMany(limiter: SharedRateLimiter, key: string, count: number): number {
  let allowed = 0;
  for (let index = 0; index < count; index++) if (limiter.take(key) === 0) allowed++;
  return allowed;
}

describe("shared rate limits through Redis", { skip: redis.skipReason }, () => {
  const opened: SharedRateLimiter[] = [];
  after(async () => {
    for (const limiter of opened) await limiter.close();
  });
  // A prefix per run keeps parallel test processes and earlier runs apart.
  const keyPrefix = `slmkit:test:ratelimit:${randomUUID()}:`;
  let time = 1_700_000_000_000;
  const replica = async (perSecond: number) => {
    const limiter = createSharedRateLimiter({
      url: redisUrl(),
      perSecond,
      keyPrefix,
      // Syncs are called by the test, so that what each replica knows is exact.
      syncIntervalMs: 3_600_000,
      now: () => time,
    });
    opened.push(limiter);
    assert.equal(await limiter.waitUntilReady(), true);
    return limiter;
  };

  test("one key's limit holds across two replicas once they have synced", async () => {
    const [first, second] = [await replica(50), await replica(50)];
    assert.equal(takeMany(first, "key:a", 30), 30);
    await first.sync();
    // The second replica has not read the count yet: what it admits before its sync is the known overshoot.
    assert.equal(second.take("key:a"), 0);
    await second.sync();
    assert.equal(takeMany(second, "key:a", 40), 19, "31 of 50 were already used");
    assert.equal(second.take("key:a"), 1, "asks to retry in one second");
    await second.sync();
    await first.sync();
    assert.equal(first.take("key:a"), 1, "the first replica now sees the whole window used");
    assert.equal(takeMany(first, "key:b", 5), 5, "another key has its own count");
  });

  test("a new one-second window starts from zero", async () => {
    const limiter = await replica(10);
    assert.equal(takeMany(limiter, "key:window", 15), 10);
    await limiter.sync();
    time += 1_000;
    assert.equal(takeMany(limiter, "key:window", 15), 10);
  });

  test("with Redis unreachable each replica limits alone at the full rate, and says it is degraded", async () => {
    const limiter = createSharedRateLimiter({
      url: `redis://127.0.0.1:${await freePort()}`,
      perSecond: 5,
      keyPrefix,
    });
    opened.push(limiter);
    assert.equal(await limiter.waitUntilReady(200), false);
    assert.equal(limiter.status(), "degraded");
    // The local fallback is a token bucket with a burst of twice the rate.
    assert.equal(takeMany(limiter, "key:offline", 20), 10);
    await limiter.sync();
  });

  test("Redis going away mid-run: degrades to each replica's own limit, then shares counts again", async () => {
    const proxy = new FaultyRedisProxy();
    await proxy.start();
    const events: string[] = [];
    const limiter = createSharedRateLimiter({
      url: proxy.url,
      perSecond: 5,
      keyPrefix,
      syncIntervalMs: 3_600_000,
      now: () => time,
      logger: {
        warn: (_context, message) => events.push(message),
        info: (_context, message) => events.push(message),
        error: (_context, message) => events.push(message),
      },
    });
    opened.push(limiter);
    try {
      assert.equal(await limiter.waitUntilReady(), true);
      time += 1_000;
      assert.equal(takeMany(limiter, "key:outage", 3), 3);
      await proxy.stop();
      await limiter.sync();
      assert.equal(limiter.status(), "degraded");
      // The local bucket decides meanwhile: a burst of twice the rate, not a refusal of everything.
      assert.equal(takeMany(limiter, "key:outage", 20), 10);
      await proxy.start(proxy.port);
      assert.equal(await limiter.waitUntilReady(5_000), true);
      await limiter.sync();
      assert.equal(limiter.status(), "ready");
      time += 1_000;
      assert.equal(takeMany(limiter, "key:outage", 8), 5, "shared windows count again");
      assert.match(events.join("\n"), /degraded/);
      assert.match(events.join("\n"), /recovered/);
    } finally {
      await limiter.close();
      await proxy.stop();
    }
  });

  test("refuses settings it cannot work with, naming the option", () => {
    assert.throws(
      () => createSharedRateLimiter({ url: redisUrl(), perSecond: 0 }),
      /perSecond must be an integer >= 1/,
    );
    assert.throws(
      () => createSharedRateLimiter({ url: redisUrl(), syncIntervalMs: 1.5 }),
      /syncIntervalMs must be an integer >= 1/,
    );
  });
});
