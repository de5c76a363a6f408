// The Redis connection the cache and the rate limits share: an outage is logged once, its end once, close is quiet.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { connectRedis } from "../../src/internal/redis-connection.js";
import { FaultyRedisProxy, freePort } from "../helpers/redis-proxy.js";
import { probeRedis, requireService } from "../helpers/services.js";

const redis = await requireService("redis", () => probeRedis());

function recordingLogger(messages: string[]) {
  return {
    warn: (_context: object, message: string) => messages.push(`warn: ${message}`),
    info: (_context: object, message: string) => messages.push(`info: ${message}`),
    error: (_context: object, message: string) => messages.push(`error: ${message}`),
  };
}

const messages = { degraded: "away", recovered: "back" };

describe("connectRedis", () => {
  test("with nothing listening: degraded, one warning however often it retries, and not ready in time", async () => {
    const logged: string[] = [];
    const connection = connectRedis({
      url: `redis://127.0.0.1:${await freePort()}`,
      commandTimeoutMs: 50,
      maxReconnectDelayMs: 20,
      logger: recordingLogger(logged),
      messages,
    });
    try {
      assert.equal(await connection.waitUntilReady(150), false);
      assert.equal(connection.degraded, true);
      assert.notEqual(connection.lastError, "");
      assert.deepEqual(logged, ["warn: away"]);
    } finally {
      connection.stop();
      connection.redis.disconnect();
    }
  });

  test("an outage and its end are logged once each; after stop, a lost connection is not an outage", {
    skip: redis.skipReason,
  }, async () => {
    const proxy = new FaultyRedisProxy();
    await proxy.start();
    const logged: string[] = [];
    let recoveries = 0;
    const connection = connectRedis({
      url: proxy.url,
      commandTimeoutMs: 100,
      maxReconnectDelayMs: 50,
      logger: recordingLogger(logged),
      messages,
      onRecovered: () => {
        recoveries++;
      },
    });
    try {
      assert.equal(await connection.waitUntilReady(2_000), true);
      assert.ok(recoveries >= 1, "a ready connection is a sign of a working Redis");
      await proxy.stop();
      await sleep(50);
      assert.equal(connection.degraded, true);
      await proxy.start(proxy.port);
      assert.equal(await connection.waitUntilReady(2_000), true);
      assert.equal(connection.degraded, false);
      assert.deepEqual(logged, ["warn: away", "info: back"]);
      connection.stop();
      await proxy.stop();
      await sleep(50);
      assert.deepEqual(logged, ["warn: away", "info: back"], "closing is not an outage");
    } finally {
      connection.redis.disconnect();
      await proxy.stop();
    }
  });
});
