import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { LlmLabel, LlmLabeler } from "../../src/models/llm.js";
import { createRouter, type RouterModel, type RouterStore } from "../../src/route/router.js";
import { supportTemplate } from "../../src/spec/index.js";
import type { UseCaseInput } from "../../src/spec/schema.js";
import { validateUseCase } from "../../src/spec/validate.js";

/** A model that is never sure, and counts the sentence vectors asked of it. */
function unsureModel(labels: readonly string[]) {
  const counts = { embed: 0 };
  const model: RouterModel = {
    labels,
    threshold: 0.9,
    async predict(texts) {
      return texts.map(() => ({ label: labels[0] as string, confidence: 0.1 }) as never);
    },
    embed(texts) {
      counts.embed += 1;
      return texts.map(() => new Float32Array([1, 0]));
    },
  };
  return { model, counts };
}

function memoryStore() {
  const reads: string[] = [];
  const store: RouterStore = {
    logRequest() {},
    async enqueueReview(item) {
      return { ...item, id: "r1", status: "open", resolution: null, createdAt: 0, resolvedAt: null };
    },
    async addSpend() {},
    async getSpend(scope) {
      reads.push(scope);
      return 0;
    },
  };
  return { store, reads };
}

/** An LLM with a warm-up, which it counts. */
function warmableLlm(label: string) {
  const counts = { warmUp: 0, classify: 0 };
  const llm: LlmLabeler & { warmUp(): Promise<void> } = {
    model: "stub",
    async warmUp() {
      counts.warmUp += 1;
    },
    async classify(): Promise<LlmLabel> {
      counts.classify += 1;
      return { label, confidence: 1, raw: label, inputTokens: 1, outputTokens: 1, costUsd: 0, latencyMs: 0 };
    },
  };
  return { llm, counts };
}

function useCaseWith(overrides: Partial<UseCaseInput> = {}) {
  return validateUseCase({ ...supportTemplate.spec, budget: { dailyUsd: 5 }, ...overrides });
}

describe("router warm-up", () => {
  test("reads the spend figures and readies the LLM, without asking it anything", async () => {
    const useCase = useCaseWith();
    const labels = (useCase.labels ?? []).map((label) => label.name);
    const { model, counts: modelCounts } = unsureModel(labels);
    const { store, reads } = memoryStore();
    const { llm, counts } = warmableLlm(labels[1] as string);
    const router = createRouter({ useCase, model, store, llm, batching: false });
    await router.warmUp();
    assert.equal(counts.warmUp, 1);
    assert.equal(counts.classify, 0);
    assert.deepEqual(reads, [`usecase:${useCase.id}`], "the daily figure is read at start");
    assert.equal(modelCounts.embed, 1, "the sentence-vector code ran once");
    const result = await router.route({ useCaseId: useCase.id, text: "zzqx vvbn", apiKeyId: null });
    assert.equal(result.answeredBy, "llm");
    assert.deepEqual(reads, [`usecase:${useCase.id}`], "the first escalation finds the figure in hand");
    await router.close();
  });

  test("does nothing when the use case never escalates to an LLM", async () => {
    const useCase = useCaseWith({ routing: { targetAccuracy: 0.97, fallback: "review", shadowRate: 0 } });
    const labels = (useCase.labels ?? []).map((label) => label.name);
    const { model } = unsureModel(labels);
    const { store, reads } = memoryStore();
    const { llm, counts } = warmableLlm(labels[1] as string);
    const router = createRouter({ useCase, model, store, llm, batching: false });
    await router.warmUp();
    assert.equal(counts.warmUp, 0);
    assert.deepEqual(reads, []);
    await router.close();
  });
});
