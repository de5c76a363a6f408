import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createRateLimiter } from "../../src/serve/rate-limit.js";

describe("rate limiter", () => {
  test("allows the burst, then asks to wait, then refills with time", () => {
    let time = 0;
    const limiter = createRateLimiter({ perSecond: 10, burst: 3, now: () => time });
    assert.deepEqual([limiter.take("a"), limiter.take("a"), limiter.take("a")], [0, 0, 0]);
    assert.ok(limiter.take("a") > 0, "the fourth request within the burst waits");
    assert.equal(limiter.take("b"), 0, "another key has its own bucket");
    time += 1000;
    assert.equal(limiter.take("a"), 0);
  });

  test("idle buckets are dropped, so many distinct clients do not grow memory and still get their burst", () => {
    let time = 0;
    const limiter = createRateLimiter({ perSecond: 1, burst: 1, now: () => time });
    for (let index = 0; index < 25_000; index++) assert.equal(limiter.take(`ip:${index}`), 0);
    assert.ok(limiter.take("ip:24999") > 0, "a recent client is still limited");
    time += 10_000;
    assert.equal(limiter.take("ip:0"), 0);
  });
});
