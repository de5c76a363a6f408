import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { createServer } from "node:net";
import { after, describe, test } from "node:test";
import { createSharedRateLimiter, type SharedRateLimiter } from "../../src/serve/shared-rate-limit.js";
import { probeRedis, redisUrl, requireService } from "../helpers/services.js";

const redis = await requireService("redis", () => probeRedis());

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
    });
  });
}

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
