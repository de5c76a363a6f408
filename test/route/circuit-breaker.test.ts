import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type CircuitState, createCircuitBreaker } from "../../src/route/circuit-breaker.js";

function clock(start = 1_000_000) {
  let time = start;
  return {
    now: () => time,
    advance: (ms: number) => {
      time += ms;
    },
  };
}

describe("circuit breaker", () => {
  test("opens after N consecutive failures and refuses calls while open", () => {
    const { now } = clock();
    const breaker = createCircuitBreaker({ consecutiveFailures: 3, now });
    for (let index = 0; index < 2; index++) breaker.recordFailure();
    assert.equal(breaker.state(), "closed");
    assert.ok(breaker.allowRequest());
    breaker.recordFailure();
    assert.equal(breaker.state(), "open");
    assert.equal(breaker.allowRequest(), false);
    assert.equal(breaker.stats().rejected, 1);
    assert.equal(breaker.stats().opened, 1);
  });

  test("a success resets the consecutive count", () => {
    const breaker = createCircuitBreaker({ consecutiveFailures: 3, minimumCalls: 100 });
    breaker.recordFailure();
    breaker.recordFailure();
    breaker.recordSuccess();
    breaker.recordFailure();
    breaker.recordFailure();
    assert.equal(breaker.state(), "closed");
  });

  test("opens when the failure rate over the window reaches the limit", () => {
    const breaker = createCircuitBreaker({
      consecutiveFailures: 100,
      failureRate: 0.5,
      windowSize: 10,
      minimumCalls: 10,
    });
    // Alternating: never two failures in a row, but half of all calls fail.
    for (let index = 0; index < 9; index++) {
      if (index % 2 === 0) breaker.recordFailure();
      else breaker.recordSuccess();
    }
    assert.equal(breaker.state(), "closed", "9 calls are below minimumCalls");
    breaker.recordSuccess();
    assert.equal(
      breaker.state(),
      "closed",
      "5 of 10 failed, but the last call succeeded: judged on failures",
    );
    breaker.recordFailure();
    assert.equal(breaker.state(), "open");
  });

  test("the window forgets old calls", () => {
    const breaker = createCircuitBreaker({
      consecutiveFailures: 100,
      failureRate: 0.5,
      windowSize: 4,
      minimumCalls: 4,
    });
    breaker.recordFailure();
    breaker.recordSuccess();
    breaker.recordSuccess();
    breaker.recordSuccess();
    breaker.recordSuccess(); // the first failure leaves the window
    assert.equal(breaker.stats().failureRate, 0);
  });

  test("open → half-open after the cooldown → one trial; success closes", () => {
    const time = clock();
    const changes: string[] = [];
    const breaker = createCircuitBreaker({
      consecutiveFailures: 1,
      cooldownMs: 30_000,
      now: time.now,
      onStateChange: (state: CircuitState, previous: CircuitState) => changes.push(`${previous}→${state}`),
    });
    breaker.recordFailure();
    time.advance(29_999);
    assert.equal(breaker.state(), "open");
    time.advance(1);
    assert.equal(breaker.state(), "half-open");
    assert.ok(breaker.allowRequest(), "the trial goes through");
    assert.equal(breaker.allowRequest(), false, "only one trial at a time");
    breaker.recordSuccess();
    assert.equal(breaker.state(), "closed");
    assert.ok(breaker.allowRequest());
    assert.deepEqual(changes, ["closed→open", "open→half-open", "half-open→closed"]);
  });

  test("a failed trial reopens the circuit for another cooldown", () => {
    const time = clock();
    const breaker = createCircuitBreaker({ consecutiveFailures: 1, cooldownMs: 1000, now: time.now });
    breaker.recordFailure();
    time.advance(1000);
    assert.ok(breaker.allowRequest());
    breaker.recordFailure();
    assert.equal(breaker.state(), "open");
    time.advance(999);
    assert.equal(breaker.allowRequest(), false);
    time.advance(1);
    assert.ok(breaker.allowRequest());
    assert.equal(breaker.stats().opened, 2);
  });

  test("a trial that never reports back is given up after another cooldown", () => {
    const time = clock();
    const breaker = createCircuitBreaker({ consecutiveFailures: 1, cooldownMs: 1000, now: time.now });
    breaker.recordFailure();
    time.advance(1000);
    assert.ok(breaker.allowRequest());
    time.advance(500);
    assert.equal(breaker.allowRequest(), false);
    time.advance(500);
    assert.ok(breaker.allowRequest(), "a new trial replaces the lost one");
  });

  test("outcomes of calls that started before the circuit opened are ignored while open", () => {
    const time = clock();
    const breaker = createCircuitBreaker({ consecutiveFailures: 1, cooldownMs: 1000, now: time.now });
    breaker.recordFailure();
    breaker.recordSuccess();
    assert.equal(breaker.state(), "open");
  });
});
