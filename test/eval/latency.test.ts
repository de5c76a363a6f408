import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { millisecondsSince, percentiles, startTimer, timeCall } from "../../src/eval/latency.js";

describe("percentiles", () => {
  test("uses the nearest rank, always an observed sample", () => {
    const samples = [40, 15, 50, 35, 20];
    assert.deepEqual(percentiles(samples, [5, 30, 40, 50, 100]), [15, 20, 20, 35, 50]);
  });

  test("reads p50/p95/p99 of 1..100 exactly despite floating point", () => {
    const samples = Array.from({ length: 100 }, (_, index) => 100 - index);
    assert.deepEqual(percentiles(samples, [50, 95, 99]), [50, 95, 99]);
  });

  test("a single sample is every percentile", () => {
    assert.deepEqual(percentiles([3.5], [50, 95, 99]), [3.5, 3.5, 3.5]);
  });

  test("rejects no samples and ranks outside (0, 100]", () => {
    assert.throws(() => percentiles([], [50]), /no samples/);
    assert.throws(() => percentiles([1], [0]), /\(0, 100\]/);
    assert.throws(() => percentiles([1], [101]), /\(0, 100\]/);
  });
});

describe("timers", () => {
  test("timeCall returns the call's result and a non-negative duration", async () => {
    const timed = await timeCall(async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return "done";
    });
    assert.equal(timed.result, "done");
    assert.ok(timed.milliseconds >= 3, `took ${timed.milliseconds} ms`);
  });

  test("millisecondsSince measures from startTimer", () => {
    const start = startTimer();
    assert.ok(millisecondsSince(start) >= 0);
  });
});
