import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { LlmError } from "../../src/models/llm-error.js";
import { parseRetryAfterMs, withRetries } from "../../src/models/retry.js";

function retryable(retryAfterMs?: number): LlmError {
  return new LlmError("LLM_ERROR", "busy", {
    statusCode: 429,
    isRetryable: true,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
}

/** Records waits instead of sleeping. */
function recorder() {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

describe("withRetries", () => {
  test("retries retryable errors with full-jitter exponential backoff, then succeeds", async () => {
    const { waits, sleep } = recorder();
    let calls = 0;
    const result = await withRetries(
      async (attempt) => {
        calls += 1;
        if (attempt < 3) throw retryable();
        return "done";
      },
      { retries: 3, baseDelayMs: 100, maxDelayMs: 300, random: () => 0.5, sleep },
    );
    assert.equal(result, "done");
    assert.equal(calls, 4);
    // Windows 100, 200, then 400 capped at 300; half of each with random() = 0.5.
    assert.deepEqual(waits, [50, 100, 150]);
  });

  test("does not retry an error that is not retryable", async () => {
    const { waits, sleep } = recorder();
    let calls = 0;
    const failure = new LlmError("LLM_ERROR", "bad key", { statusCode: 401, isRetryable: false });
    await assert.rejects(
      withRetries(
        async () => {
          calls += 1;
          throw failure;
        },
        { retries: 5, sleep },
      ),
      (error) => error === failure,
    );
    assert.equal(calls, 1);
    assert.deepEqual(waits, []);
  });

  test("plain errors are not retried by default", async () => {
    let calls = 0;
    await assert.rejects(
      withRetries(
        async () => {
          calls += 1;
          throw new Error("boom");
        },
        { retries: 3, sleep: async () => {} },
      ),
    );
    assert.equal(calls, 1);
  });

  test("throws the last error when retries run out", async () => {
    const { waits, sleep } = recorder();
    let calls = 0;
    await assert.rejects(
      withRetries(
        async () => {
          calls += 1;
          throw retryable();
        },
        { retries: 2, random: () => 0, sleep },
      ),
      (error) => LlmError.isLlmError(error) && error.statusCode === 429,
    );
    assert.equal(calls, 3);
    assert.equal(waits.length, 2);
  });

  test("honours the server's Retry-After instead of the drawn backoff", async () => {
    const { waits, sleep } = recorder();
    let calls = 0;
    await withRetries(
      async () => {
        calls += 1;
        if (calls === 1) throw retryable(1500);
        return "ok";
      },
      { retries: 2, random: () => 0, sleep },
    );
    assert.deepEqual(waits, [1500]);
  });

  test("a Retry-After longer than maxRetryAfterMs fails at once", async () => {
    const { waits, sleep } = recorder();
    await assert.rejects(
      withRetries(
        async () => {
          throw retryable(120_000);
        },
        { retries: 3, maxRetryAfterMs: 30_000, sleep },
      ),
    );
    assert.deepEqual(waits, []);
  });

  test("a Retry-After that would end past the caller's deadline fails at once; one within it is waited", async () => {
    const { waits, sleep } = recorder();
    let clock = 1000;
    const now = () => clock;
    await assert.rejects(
      withRetries(
        async () => {
          clock += 400;
          throw retryable(30_000);
        },
        { retries: 3, deadline: 11_000, now, sleep },
      ),
      (error) => LlmError.isLlmError(error) && error.statusCode === 429,
    );
    assert.deepEqual(waits, [], "30 s asked, 9.6 s left: no wait");
    let calls = 0;
    await withRetries(
      async () => {
        calls += 1;
        if (calls === 1) throw retryable(2000);
        return "ok";
      },
      { retries: 3, deadline: clock + 5000, now, sleep },
    );
    assert.deepEqual(waits, [2000]);
  });

  test("an aborted signal stops the waiting with the signal's reason", async () => {
    const controller = new AbortController();
    const pending = withRetries(
      async () => {
        throw retryable();
      },
      { retries: 10, baseDelayMs: 10_000, maxDelayMs: 10_000, random: () => 0.99, signal: controller.signal },
    );
    setTimeout(() => controller.abort(new Error("stop")), 10);
    const started = performance.now();
    await assert.rejects(pending, /stop/);
    assert.ok(performance.now() - started < 1000);
  });

  test("onRetry sees each retry before it waits", async () => {
    const events: number[] = [];
    let calls = 0;
    await withRetries(
      async () => {
        calls += 1;
        if (calls < 3) throw retryable();
        return 1;
      },
      { retries: 5, sleep: async () => {}, onRetry: (event) => events.push(event.retry) },
    );
    assert.deepEqual(events, [1, 2]);
  });
});

describe("parseRetryAfterMs", () => {
  test("reads retry-after-ms, seconds and HTTP dates", () => {
    assert.equal(parseRetryAfterMs(new Headers({ "retry-after-ms": "250" })), 250);
    assert.equal(parseRetryAfterMs(new Headers({ "retry-after": "2" })), 2000);
    assert.equal(parseRetryAfterMs(new Headers({ "retry-after": "0.5" })), 500);
    const now = Date.parse("2025-01-01T00:00:00Z");
    assert.equal(
      parseRetryAfterMs(new Headers({ "retry-after": "Wed, 01 Jan 2025 00:00:03 GMT" }), now),
      3000,
    );
    assert.equal(parseRetryAfterMs(new Headers({ "retry-after": "soon" })), undefined);
    assert.equal(parseRetryAfterMs(new Headers()), undefined);
    assert.equal(parseRetryAfterMs(undefined), undefined);
  });
});
