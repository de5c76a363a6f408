// The log write queue on a fake backend: batching, order, retry with backoff, the bound, refused rows.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { SlmkitError } from "../../src/errors.js";

import {
  type BatchedWriteOptions,
  resolveBatchedWriteOptions,
  WriteQueue,
} from "../../src/store/write-queue.js";
import type { Logger } from "../../src/types.js";

class Unavailable extends Error {}
class Refused extends Error {}

interface FakeBackend {
  queue: WriteQueue<number>;
  /** Every successful write, in order. */
  batches: number[][];
  attempts: number[];
  logged: { level: string; message: string }[];
  /** Fails the next `count` writes as if the backend were down. */
  failNext(count: number): void;
}

function fakeBackend(
  options: BatchedWriteOptions = {},
  refuse: (row: number) => boolean = () => false,
): FakeBackend {
  const batches: number[][] = [];
  const attempts: number[] = [];
  const logged: { level: string; message: string }[] = [];
  const logger: Logger = {
    warn: (_context, message) => logged.push({ level: "warn", message }),
    error: (_context, message) => logged.push({ level: "error", message }),
    info: (_context, message) => logged.push({ level: "info", message }),
  };
  let failures = 0;
  const queue = new WriteQueue<number>({
    ...resolveBatchedWriteOptions({ logger, ...options }),
    backend: "fake",
    async write(rows) {
      attempts.push(Date.now());
      if (failures > 0) {
        failures -= 1;
        throw new Unavailable("backend down");
      }
      if (rows.some(refuse)) throw new Refused("bad row");
      batches.push([...rows]);
    },
    isTransient: (error) => error instanceof Unavailable,
    describe: (row) => String(row),
  });
  return {
    queue,
    batches,
    attempts,
    logged,
    failNext(count) {
      failures = count;
    },
  };
}

const range = (count: number, start = 0) => Array.from({ length: count }, (_, index) => start + index);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("WriteQueue", () => {
  test("writes full batches of batchSize, keeping arrival order", async () => {
    const backend = fakeBackend({ batchSize: 500 });
    for (const row of range(1_050)) backend.queue.push(row);
    await backend.queue.flush(1_000);
    assert.deepEqual(
      backend.batches.map((batch) => batch.length),
      [500, 500, 50],
    );
    assert.deepEqual(backend.batches.flat(), range(1_050));
    assert.equal(backend.queue.pending(), 0);
  });

  test("writes a partial batch after flushIntervalMs without being asked", async () => {
    const backend = fakeBackend({ flushIntervalMs: 10 });
    backend.queue.push(1);
    backend.queue.push(2);
    assert.equal(backend.batches.length, 0, "nothing is written on the caller's path");
    await sleep(80);
    assert.deepEqual(backend.batches, [[1, 2]]);
  });

  test("keeps a failed batch and retries with growing delays until the backend is back", async () => {
    const backend = fakeBackend({ retryInitialDelayMs: 10, retryMaxDelayMs: 40 });
    backend.failNext(4);
    for (const row of range(20)) backend.queue.push(row);
    await backend.queue.flush(2_000);
    assert.deepEqual(backend.batches.flat(), range(20), "every row once, in order");
    assert.equal(backend.attempts.length, 5);
    const gaps = backend.attempts.slice(1).map((time, index) => time - (backend.attempts[index] as number));
    // Flush tries at once; then the delays double from 10 ms up to the 40 ms cap (timers may fire late).
    assert.ok((gaps[2] as number) >= 15 && (gaps[3] as number) >= 30, `gaps ${gaps.join(", ")}`);
    assert.deepEqual(
      backend.logged.map((line) => line.message),
      ["store writes are failing; log rows stay queued and are retried", "store writes resumed"],
    );
  });

  test("flush rejects with STORE_UNAVAILABLE after its timeout, and the rows stay queued", async () => {
    const backend = fakeBackend({ retryInitialDelayMs: 5, retryMaxDelayMs: 10 });
    backend.failNext(1_000_000);
    backend.queue.push(1);
    await assert.rejects(backend.queue.flush(60), (error: unknown) => {
      assert.ok(SlmkitError.isInstance(error));
      assert.equal(error.code, "STORE_UNAVAILABLE");
      assert.match(error.message, /1 log rows are still queued after 60 ms.*backend down/);
      return true;
    });
    assert.equal(backend.queue.pending(), 1);
    assert.equal(backend.queue.dropped(), 0);
    backend.failNext(0);
    await backend.queue.flush(1_000);
    assert.deepEqual(backend.batches, [[1]]);
  });

  test("past maxQueuedWrites the oldest rows are dropped, counted and reported once", async () => {
    const backend = fakeBackend({ batchSize: 10, maxQueuedWrites: 100, retryInitialDelayMs: 5 });
    backend.failNext(1_000_000);
    for (const row of range(250)) backend.queue.push(row);
    assert.equal(backend.queue.pending(), 100);
    assert.equal(backend.queue.dropped(), 150);
    assert.deepEqual(
      backend.logged.filter((line) => line.level === "error").map((line) => line.message),
      ["the log queue is full while the store is failing; dropped the oldest rows"],
    );
    backend.failNext(0);
    await backend.queue.flush(1_000);
    assert.deepEqual(backend.batches.flat(), range(100, 150));
  });

  test("a refused row is dropped alone; the rest of its batch is written", async () => {
    const backend = fakeBackend({ batchSize: 10 }, (row) => row === 13);
    for (const row of range(30)) backend.queue.push(row);
    await backend.queue.flush(1_000);
    assert.deepEqual(
      backend.batches.flat(),
      range(30).filter((row) => row !== 13),
    );
    assert.equal(backend.queue.dropped(), 1);
    assert.ok(backend.logged.some((line) => line.message.includes("refused a log row")));
  });

  test("after close, rows are dropped and counted instead of queued", async () => {
    const backend = fakeBackend();
    backend.queue.push(1);
    await backend.queue.close(1_000);
    backend.queue.push(2);
    assert.deepEqual(backend.batches, [[1]]);
    assert.equal(backend.queue.pending(), 0);
    assert.equal(backend.queue.dropped(), 1);
  });

  test("options are checked and named", () => {
    for (const [field, options] of [
      ["batchSize", { batchSize: 0 }],
      ["flushIntervalMs", { flushIntervalMs: -1 }],
      ["maxQueuedWrites", { batchSize: 500, maxQueuedWrites: 10 }],
      ["retryMaxDelayMs", { retryInitialDelayMs: 100, retryMaxDelayMs: 50 }],
      ["closeTimeoutMs", { closeTimeoutMs: 1.5 }],
    ] as const) {
      assert.throws(
        () => resolveBatchedWriteOptions(options),
        (error: unknown) =>
          SlmkitError.isInstance(error) && error.code === "INVALID_OPTION" && error.field === field,
      );
    }
  });
});
