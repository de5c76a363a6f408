import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { ClassifyPrediction } from "../../src/models/task-model.js";
import { createRouter, type RouterModel } from "../../src/route/router.js";
import { supportTemplate } from "../../src/spec/index.js";
import { validateUseCase } from "../../src/spec/validate.js";
import { createSqliteStore } from "../../src/store/sqlite-store.js";
import type { Store } from "../../src/store/types.js";

let store: Store;

before(async () => {
  store = createSqliteStore({ path: ":memory:", flushIntervalMs: 1 });
  await store.migrate();
});

after(async () => {
  await store.close();
});

const useCase = validateUseCase({
  ...supportTemplate.spec,
  routing: { ...supportTemplate.spec.routing, fallback: "review" },
});
const labels = (useCase.labels ?? []).map((label) => label.name);

/** A tier that answers every text with `label` at `confidence`, counting the texts it was asked about. */
function tier(label: string, confidence: number, threshold: number): RouterModel & { asked: string[] } {
  const asked: string[] = [];
  return {
    labels,
    threshold,
    asked,
    predictSync(texts): ClassifyPrediction[] {
      asked.push(...texts);
      return texts.map(() => ({ label, confidence, accepted: confidence >= threshold }));
    },
    async predict(texts) {
      return this.predictSync?.(texts) ?? [];
    },
  };
}

test("a request the first tier does not accept goes to the next, which answers at its own threshold", async () => {
  const [firstLabel, secondLabel] = labels as [string, string];
  const first = tier(firstLabel, 0.4, 0.8);
  const second = tier(secondLabel, 0.7, 0.6);
  const router = createRouter({
    useCase,
    model: first,
    moreTiers: [{ model: second, version: "second-v1" }],
    modelVersion: "first-v1",
    store,
    batching: false,
  });
  const result = await router.route({ useCaseId: useCase.id, text: "hello there", apiKeyId: null });
  assert.equal(result.answeredBy, "slm");
  assert.equal(result.label, secondLabel);
  assert.equal(result.confidence, 0.7);
  assert.match(
    result.reason,
    /^confidence 0\.400 < threshold 0\.800; tier 2: confidence 0\.700 >= threshold 0\.600$/,
  );
  assert.deepEqual(result.slm, { label: firstLabel, confidence: 0.4 }, "slm is the first tier's view");
  assert.deepEqual([first.asked, second.asked], [["hello there"], ["hello there"]]);
});

test("a request the first tier accepts never reaches the next; one no tier accepts goes on to review", async () => {
  const [firstLabel, secondLabel] = labels as [string, string];
  const confident = tier(firstLabel, 0.95, 0.8);
  const unused = tier(secondLabel, 0.99, 0.5);
  const router = createRouter({
    useCase,
    model: confident,
    moreTiers: [{ model: unused, version: null }],
    store,
    batching: false,
  });
  const accepted = await router.route({ useCaseId: useCase.id, text: "one", apiKeyId: null });
  assert.equal(accepted.label, firstLabel);
  assert.equal(unused.asked.length, 0);

  const both = createRouter({
    useCase,
    model: tier(firstLabel, 0.3, 0.8),
    moreTiers: [{ model: tier(secondLabel, 0.2, 0.6), version: null }],
    store,
    batching: false,
  });
  const escalated = await both.route({ useCaseId: useCase.id, text: "two", apiKeyId: null });
  assert.equal(escalated.answeredBy, "review");
  assert.match(
    escalated.reason,
    /^confidence 0\.300 < threshold 0\.800; tier 2: confidence 0\.200 < threshold 0\.600; fallback is review; queued for review$/,
  );
});
