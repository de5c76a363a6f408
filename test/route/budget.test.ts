import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createBudget, startOfUtcDay, startOfUtcMonth } from "../../src/route/budget.js";

/** A spend store that counts reads, keyed like the real ones: scope and UTC day. */
function spendStore() {
  const rows: Array<{ scope: string; usd: number; at: number }> = [];
  const reads: string[] = [];
  return {
    rows,
    reads,
    failing: false,
    async addSpend(scope: string, usd: number, at = Date.now()) {
      rows.push({ scope, usd, at });
    },
    async getSpend(scope: string, since: number) {
      reads.push(scope);
      if (this.failing) throw new Error("store down");
      return rows
        .filter((row) => row.scope === scope && row.at >= since)
        .reduce((sum, row) => sum + row.usd, 0);
    },
  };
}

const noon = Date.parse("2025-03-15T12:00:00Z");

describe("budget", () => {
  test("allows until the use case's daily cap is reached, then blocks with a reason", async () => {
    let time = noon;
    const store = spendStore();
    const budget = createBudget({ store, useCaseId: "support", limits: { dailyUsd: 1 }, now: () => time });
    assert.deepEqual(await budget.check(null), { allowed: true });
    await budget.record(null, 0.6);
    assert.deepEqual(await budget.check(null), { allowed: true });
    await budget.record(null, 0.4);
    const decision = await budget.check(null);
    assert.equal(decision.allowed, false);
    assert.match(
      decision.allowed ? "" : decision.reason,
      /use case "support" daily budget reached \(\$1\.0000 of \$1\.00\)/,
    );
    // The next UTC day starts afresh.
    time = Date.parse("2025-03-16T00:00:01Z");
    assert.deepEqual(await budget.check(null), { allowed: true });
  });

  test("the monthly cap counts every day of the month", async () => {
    const store = spendStore();
    await store.addSpend("usecase:support", 9, Date.parse("2025-03-02T10:00:00Z"));
    await store.addSpend("usecase:support", 50, Date.parse("2025-02-27T10:00:00Z")); // last month
    const budget = createBudget({
      store,
      useCaseId: "support",
      limits: { dailyUsd: 5, monthlyUsd: 10 },
      now: () => noon,
    });
    assert.ok((await budget.check(null)).allowed);
    await budget.record(null, 1);
    const decision = await budget.check(null);
    assert.equal(decision.allowed, false);
    assert.match(decision.allowed ? "" : decision.reason, /monthly budget reached/);
  });

  test("a key over its own cap is blocked while other keys and keyless calls go on", async () => {
    const store = spendStore();
    const budget = createBudget({
      store,
      useCaseId: "support",
      limits: { perKeyDailyUsd: 0.5 },
      now: () => noon,
    });
    await budget.record("key-a", 0.5);
    const blocked = await budget.check("key-a");
    assert.equal(blocked.allowed, false);
    assert.match(blocked.allowed ? "" : blocked.reason, /API key "key-a" daily budget reached/);
    assert.ok((await budget.check("key-b")).allowed);
    assert.ok((await budget.check(null)).allowed);
    assert.deepEqual(
      store.rows.map((row) => row.scope),
      ["usecase:support", "key:key-a"],
      "spend goes to the use case and to the key",
    );
  });

  test("spend of other replicas shows up once the cached figure is older than cacheMs", async () => {
    let time = noon;
    const store = spendStore();
    const budget = createBudget({
      store,
      useCaseId: "support",
      limits: { dailyUsd: 1 },
      cacheMs: 1000,
      now: () => time,
    });
    assert.ok((await budget.check(null)).allowed);
    await store.addSpend("usecase:support", 5, time); // another replica
    assert.ok((await budget.check(null)).allowed, "within a second the cached figure is used");
    time += 1000;
    assert.equal((await budget.check(null)).allowed, false);
  });

  test("checks within cacheMs do not touch the store; concurrent checks share one read", async () => {
    const store = spendStore();
    const budget = createBudget({
      store,
      useCaseId: "support",
      limits: { dailyUsd: 1, monthlyUsd: 10 },
      now: () => noon,
    });
    await Promise.all(Array.from({ length: 20 }, () => budget.check(null)));
    assert.equal(store.reads.length, 2, "one read per period");
    for (let index = 0; index < 100; index++) await budget.check(null);
    assert.equal(store.reads.length, 2);
  });

  test("no caps: never reads the store", async () => {
    const store = spendStore();
    const budget = createBudget({ store, useCaseId: "support", limits: {} });
    assert.ok((await budget.check("key")).allowed);
    assert.equal(store.reads.length, 0);
  });

  test("an unreadable store keeps this process's own spend counted", async () => {
    const store = spendStore();
    const errors: string[] = [];
    const budget = createBudget({
      store,
      useCaseId: "support",
      limits: { dailyUsd: 1 },
      cacheMs: 0,
      now: () => noon,
      onStoreError: (_error, scope) => errors.push(scope),
    });
    store.failing = true;
    assert.ok((await budget.check(null)).allowed);
    await budget.record(null, 2);
    assert.equal((await budget.check(null)).allowed, false);
    assert.ok(errors.length >= 2);
  });

  test("UTC period starts", () => {
    assert.equal(startOfUtcDay(noon), Date.parse("2025-03-15T00:00:00Z"));
    assert.equal(startOfUtcMonth(noon), Date.parse("2025-03-01T00:00:00Z"));
  });
});
