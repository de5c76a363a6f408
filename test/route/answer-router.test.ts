import assert from "node:assert/strict";
import { before, beforeEach, describe, test } from "node:test";
import { createMemoryCache } from "../../src/cache/memory-cache.js";
import type { ResponseCache } from "../../src/cache/types.js";
import type { LlmLabel, LlmLabeler } from "../../src/models/llm.js";
import type { FaqAnswer, NativeAnswerer } from "../../src/models/native/answerer.js";
import { createAnswerRouterModel } from "../../src/route/answer-model.js";
import { createRouter, defaultHoldingAnswer } from "../../src/route/router.js";
import type { RouteResult } from "../../src/route/types.js";
import { getTemplate } from "../../src/spec/catalog/index.js";
import type { UseCase, UseCaseInput } from "../../src/spec/schema.js";
import { validateUseCase } from "../../src/spec/validate.js";
import { createSqliteStore } from "../../src/store/sqlite-store.js";
import type { Store } from "../../src/store/types.js";
import { trainAnswerer } from "../../src/train/train-answerer.js";

const template = getTemplate("retail-faq");
if (template.examples !== "labeled") throw new Error("retail-faq is a labelled template");
// The order-tracking answer without its slot's fallback: a question without an order number cannot be answered.
const faq = (template.files?.find((file) => file.role === "faq")?.content ?? "")
  .split("\n")
  .filter(Boolean)
  .map((line) => JSON.parse(line) as FaqAnswer)
  .map((entry) =>
    entry.label === "order_tracking"
      ? { ...entry, slots: { order_id: { pattern: entry.slots?.order_id?.pattern ?? "" } } }
      : entry,
  );
const answers = new Map(faq.map((entry) => [entry.label, entry.answer]));

let answerer: NativeAnswerer;
let store: Store;
let cache: ResponseCache;

/** Questions and what the trained model makes of them (checked in `before`). */
const clear = "Where is my order #A12345? I ordered last week";
const noOrderNumber = "how do I track my order?";
const disagreeing = "hmm #A55555";
const nonsense = "qwerty asdf zxcv";

before(async () => {
  ({ model: answerer } = await trainAnswerer(template.generate({ seed: 1, perLabel: 30 }), faq, {
    valid: template.generate({ seed: 2, perLabel: 10 }),
    seed: 3,
  }));
  const [clearResult, missing, disagrees, unsure] = answerer.answer([
    clear,
    noOrderNumber,
    disagreeing,
    nonsense,
  ]);
  assert.equal(clearResult?.accepted, true);
  assert.equal(missing?.reason, "missing-slot");
  assert.equal(disagrees?.reason, "retrieval-disagrees");
  assert.equal(unsure?.reason, "low-confidence");
});

beforeEach(async () => {
  await store?.close();
  store = createSqliteStore({ path: ":memory:", flushIntervalMs: 1 });
  await store.migrate();
  cache = createMemoryCache();
});

/** An in-test labeler that always picks `label`. */
function labeler(label: string | null): LlmLabeler & { sent: string[] } {
  const sent: string[] = [];
  return {
    model: "labeler-fake",
    sent,
    async classify(text): Promise<LlmLabel> {
      sent.push(text);
      return {
        label,
        confidence: 0.9,
        raw: label ?? "no idea",
        inputTokens: 50,
        outputTokens: 3,
        costUsd: 0.0002,
        latencyMs: 2,
      };
    },
  };
}

function useCaseWith(overrides: Partial<UseCaseInput> = {}): UseCase {
  return validateUseCase({
    ...template.spec,
    id: "faq",
    faq: "faq.jsonl",
    data: { train: "train.jsonl" },
    labels: answerer.labels.map((name) => ({ name })),
    llm: { baseUrl: "http://127.0.0.1:9/v1", model: "labeler-fake" },
    routing: { fallback: "llm", shadowRate: 0 },
    ...overrides,
  });
}

function routerWith(llm: LlmLabeler, overrides: Partial<UseCaseInput> = {}) {
  const useCase = useCaseWith(overrides);
  const router = createRouter({
    useCase,
    model: createAnswerRouterModel(answerer),
    store,
    cache,
    llm,
    modelVersion: "v1",
  });
  const route = (text: string): Promise<RouteResult> =>
    router.route({ useCaseId: useCase.id, text, apiKeyId: "key-1" });
  return { router, route };
}

describe("router with an answer model", () => {
  test("the answerer's accepted answer is the reply, its slot filled from the question", async () => {
    const llm = labeler("shipping_time");
    const { route } = routerWith(llm);
    const result = await route(clear);
    assert.equal(result.answeredBy, "slm");
    assert.equal(result.label, "order_tracking");
    assert.match(result.answer ?? "", /^You can track #A12345 under Orders > Track/);
    assert.match(result.reason, /^confidence 0\.\d+ >= threshold 0\.\d+$/);
    assert.equal(llm.sent.length, 0);
    await store.flush();
    assert.equal(
      (await store.getRequest(result.requestId))?.label,
      "order_tracking",
      "the log keeps the intent",
    );
  });

  test("a confident intent that retrieval disputes escalates; the LLM's label is answered and cached", async () => {
    const llm = labeler("order_tracking");
    const { route, router } = routerWith(llm);
    const first = await route(disagreeing);
    assert.equal(first.answeredBy, "llm");
    assert.equal(first.label, "order_tracking");
    assert.match(first.answer ?? "", /^You can track #A55555 under/);
    assert.match(
      first.reason,
      /^confidence 0\.\d+ >= threshold 0\.\d+ but retrieval \(BM25\) disagrees; llm answered "order_tracking"$/,
    );
    await router.idle();
    const second = await route(disagreeing);
    assert.equal(second.answeredBy, "cache");
    assert.equal(second.answer, first.answer);
    assert.equal(llm.sent.length, 1);
  });

  test("an unsure question gets the FAQ answer of the label the LLM picks", async () => {
    const { route } = routerWith(labeler("return_policy"));
    const result = await route(nonsense);
    assert.equal(result.answeredBy, "llm");
    assert.equal(result.answer, answers.get("return_policy"));
    assert.match(result.reason, /< threshold .*; llm answered "return_policy"$/);
  });

  test("an LLM label whose answer the question cannot fill is unsure: review, with the holding answer", async () => {
    const { route } = routerWith(labeler("order_tracking"));
    const result = await route(noOrderNumber);
    assert.equal(result.answeredBy, "review");
    assert.equal(result.answer, defaultHoldingAnswer, "no answer with an unfilled {order_id}");
    assert.equal(result.flagged, true);
    assert.match(
      result.reason,
      /but the text does not fill the answer's slots; llm answered "order_tracking" but the text does not fill that answer's slots; queued for review$/,
    );
    const [item] = await store.listReview({ status: "open" });
    assert.equal(item?.slmLabel, "order_tracking");
    assert.equal(item?.llmLabel, "order_tracking");
  });

  test("when the LLM is unsure, the reply is the small model's guessed answer, flagged, when the question fills it", async () => {
    const shaky = "how long does shipping take?";
    const [guess] = answerer.answer([shaky]);
    assert.equal(guess?.reason, "low-confidence");
    const { route } = routerWith(labeler("free_pizza"));
    const result = await route(shaky);
    assert.equal(result.answeredBy, "review");
    assert.equal(result.flagged, true);
    assert.equal(result.label, guess?.label);
    assert.equal(result.answer, answers.get(guess?.label ?? ""));
    assert.match(result.reason, /llm unsure \(replied "free_pizza"\); queued for review$/);
  });

  test('fallback "review": the holding answer and no LLM call', async () => {
    const llm = labeler("return_policy");
    const { route } = routerWith(llm, { routing: { fallback: "review" } });
    const result = await route(nonsense);
    assert.equal(result.answeredBy, "review");
    assert.equal(result.label, null);
    assert.equal(result.answer, defaultHoldingAnswer);
    assert.equal(llm.sent.length, 0);
  });

  test("the adapter's predictions are the answerer's, with the gate's verdict and refusal", async () => {
    const model = createAnswerRouterModel(answerer);
    const texts = [clear, noOrderNumber, disagreeing];
    const predictions = await model.predict(texts);
    const results = answerer.answer(texts);
    assert.deepEqual(
      predictions.map((prediction) => [prediction.label, prediction.accepted, prediction.answer]),
      results.map((result) => [result.label, result.accepted, result.answer]),
    );
    assert.equal(predictions[0]?.refusal, undefined);
    assert.equal(predictions[1]?.refusal, "the text does not fill the answer's slots");
    assert.equal(model.threshold, answerer.threshold);
    assert.equal(
      model.answerFor?.("order_tracking", "status of ORD-123456?"),
      answers.get("order_tracking")?.replace("{order_id}", "ORD-123456"),
    );
    assert.equal(model.answerFor?.("order_tracking", "where is it"), null);
  });
});
