import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createMicroBatcher } from "../../src/route/micro-batcher.js";

describe("micro-batcher", () => {
  test("concurrent calls in the same tick become one batch, each getting its own result in order", async () => {
    const batches: number[][] = [];
    const batcher = createMicroBatcher((inputs: number[]) => {
      batches.push(inputs);
      return inputs.map((input) => input * 10);
    });
    const results = await Promise.all(Array.from({ length: 10 }, (_, index) => batcher.submit(index)));
    assert.deepEqual(results, [0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    assert.deepEqual(batches, [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]]);
    assert.deepEqual(batcher.stats(), { batches: 1, items: 10, largestBatch: 10 });
  });

  test("a full queue is flushed at once in batches of at most maxBatch", async () => {
    const sizes: number[] = [];
    const batcher = createMicroBatcher(
      (inputs: string[]) => {
        sizes.push(inputs.length);
        return inputs.map((input) => input.toUpperCase());
      },
      { maxBatch: 4 },
    );
    const results = await Promise.all("abcdefghij".split("").map((letter) => batcher.submit(letter)));
    assert.equal(results.join(""), "ABCDEFGHIJ");
    assert.deepEqual(sizes, [4, 4, 2]);
  });

  test("calls in different ticks get separate batches", async () => {
    const batcher = createMicroBatcher((inputs: number[]) => inputs);
    await batcher.submit(1);
    await batcher.submit(2);
    assert.equal(batcher.stats().batches, 2);
  });

  test("a failing batch rejects its own requests only", async () => {
    let call = 0;
    const batcher = createMicroBatcher(async (inputs: number[]) => {
      call += 1;
      if (call === 1) throw new Error("model crashed");
      return inputs;
    });
    const first = await Promise.allSettled([batcher.submit(1), batcher.submit(2)]);
    assert.deepEqual(
      first.map((result) => result.status),
      ["rejected", "rejected"],
    );
    assert.equal(await batcher.submit(3), 3);
  });

  test("a batch function returning the wrong count rejects the batch", async () => {
    const batcher = createMicroBatcher((inputs: number[]) => inputs.slice(1));
    await assert.rejects(
      Promise.all([batcher.submit(1), batcher.submit(2)]),
      /returned 1 outputs for 2 inputs/,
    );
  });

  test("a lone request under no load waits less than maxWaitMs (measured)", async () => {
    const batcher = createMicroBatcher((inputs: number[]) => inputs);
    const waits: number[] = [];
    for (let index = 0; index < 200; index++) {
      const started = performance.now();
      await batcher.submit(index);
      waits.push(performance.now() - started);
    }
    waits.sort((a, b) => a - b);
    const median = waits[100] ?? Number.POSITIVE_INFINITY;
    // setImmediate fires at the end of the current loop turn: tens of microseconds on an idle machine.
    assert.ok(median < 1, `median added wait ${median.toFixed(3)} ms`);
  });

  test("maxWaitMs above 1 collects requests over several ticks", async () => {
    // A long wait and a batch of two: the second request always joins, however slow the machine is.
    const batcher = createMicroBatcher((inputs: number[]) => inputs, { maxWaitMs: 60_000, maxBatch: 2 });
    const first = batcher.submit(1);
    await new Promise((resolve) => setImmediate(resolve));
    const second = batcher.submit(2);
    assert.deepEqual(await Promise.all([first, second]), [1, 2]);
    assert.equal(batcher.stats().batches, 1);
  });
});
