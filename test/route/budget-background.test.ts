import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createBudget } from "../../src/route/budget.js";

/** A spend store that counts reads and writes. */
function spendStore() {
  const rows: Array<{ scope: string; usd: number }> = [];
  let reads = 0;
  return {
    rows,
    reads: () => reads,
    async addSpend(scope: string, usd: number) {
      rows.push({ scope, usd });
    },
    async getSpend(scope: string) {
      reads += 1;
      return rows.filter((row) => row.scope === scope).reduce((sum, row) => sum + row.usd, 0);
    },
  };
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
const noon = Date.parse("2025-03-15T12:00:00Z");

describe("budget: the store off the request path", () => {
  test("past half of cacheMs a check answers from its figure and reads the store in the background", async () => {
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
    assert.equal(store.reads(), 1);
    await store.addSpend("usecase:support", 5); // another replica
    time += 600;
    assert.ok((await budget.check(null)).allowed, "the figure in hand, still within its age, answers");
    await budget.idle?.();
    assert.equal(store.reads(), 2, "and was read again meanwhile");
    assert.equal((await budget.check(null)).allowed, false, "the next check sees the other replica's spend");
    assert.equal(store.reads(), 2);
  });

  test("recorded spend counts at once; the store write follows in a later turn", async () => {
    const store = spendStore();
    const budget = createBudget({ store, useCaseId: "support", limits: { dailyUsd: 1 }, now: () => noon });
    assert.ok((await budget.check("key-a")).allowed);
    const recorded = budget.record("key-a", 1);
    assert.equal((await budget.check("key-a")).allowed, false, "blocked before the write");
    assert.equal(store.rows.length, 0, "the write waits for the answer to go out");
    await recorded;
    assert.deepEqual(
      store.rows.map((row) => row.scope),
      ["usecase:support", "key:key-a"],
    );
  });

  test("a store read between the record and its write does not lose the spend", async () => {
    const store = spendStore();
    const budget = createBudget({
      store,
      useCaseId: "support",
      limits: { dailyUsd: 1 },
      cacheMs: 0,
      now: () => noon,
    });
    assert.ok((await budget.check(null)).allowed);
    const recorded = budget.record(null, 1);
    // cacheMs 0: this check reads the store, which does not have the spend yet.
    assert.equal((await budget.check(null)).allowed, false);
    await recorded;
    await nextTurn();
    const after = await budget.check(null);
    assert.match(after.allowed ? "" : after.reason, /\(\$1\.0000 of \$1\.00\)/, "once written, counted once");
  });
});
