// gatherTcoInputs against a real SQLite log, a real model directory and a use case: figures and their sources.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { gatherTcoInputs } from "../../src/cost/gather.js";
import { computeTco } from "../../src/cost/tco.js";
import type { ThroughputMeasurement } from "../../src/cost/throughput.js";
import { SlmkitError } from "../../src/errors.js";
import { saveNativeModel } from "../../src/models/native/model-directory.js";
import { writeTemplate } from "../../src/spec/catalog/write-template.js";
import { type LoadedUseCase, loadUseCase } from "../../src/spec/load.js";
import { createStore } from "../../src/store/index.js";
import type { RequestLogEntry, Store } from "../../src/store/types.js";
import { trainClassifier } from "../../src/train/train-classifier.js";
import type { AnsweredBy } from "../../src/types.js";
import { syntheticExamples } from "../helpers/synthetic.js";

const day = 86_400_000;
const start = Date.UTC(2026, 10, 1);

let dir: string;

/** Writes a use case with the given `llm` and `routing` YAML lines into a folder of its own, sharing the data and model. */
async function writeUseCase(name: string, extra: string): Promise<LoadedUseCase> {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(
    path,
    `version: 1
id: support
title: Support tickets
task: classify
labels:
  - name: billing
    description: invoices, charges and refunds
  - name: shipping
  - name: account
  - name: product
data:
  train: train.jsonl
  valid: valid.jsonl
model: model
${extra}`,
  );
  return loadUseCase(path);
}

const pricedLlm = `llm:
  model: gpt-4o-mini
  pricePer1kInputUsd: 0.00015
  pricePer1kOutputUsd: 0.0006
`;

function row(answeredBy: AnsweredBy, index: number, changes: Partial<RequestLogEntry> = {}): RequestLogEntry {
  const llm = answeredBy === "llm";
  return {
    id: randomUUID(),
    useCaseId: "support",
    apiKeyId: null,
    // Spread over 10 days so the log tells the monthly volume.
    createdAt: start + Math.round((index / 99) * 10 * day),
    inputHash: `hash-${index}`,
    inputText: null,
    answeredBy,
    reason: "test",
    label: "billing",
    confidence: 0.9,
    threshold: 0.8,
    slmLabel: "billing",
    slmConfidence: llm ? 0.5 : 0.9,
    llmLabel: llm ? "billing" : null,
    latencyMs: 1,
    inputTokens: llm ? 400 : 0,
    outputTokens: llm ? 2 : 0,
    costUsd: llm ? 0.0000612 : 0,
    modelVersion: null,
    inputChars: 120,
    ...changes,
  };
}

/** 100 requests: 70 small model, 10 cache, 15 LLM, 5 review (2 of them after an LLM call that named no label). */
async function fillLog(store: Store): Promise<void> {
  const kinds: AnsweredBy[] = [
    ...Array<AnsweredBy>(70).fill("slm"),
    ...Array<AnsweredBy>(10).fill("cache"),
    ...Array<AnsweredBy>(15).fill("llm"),
    ...Array<AnsweredBy>(5).fill("review"),
  ];
  const slmIds: string[] = [];
  kinds.forEach((kind, index) => {
    const unsureLlm = kind === "review" && index % 5 < 2;
    const entry = row(
      kind,
      index,
      unsureLlm ? { inputTokens: 380, outputTokens: 4, costUsd: 0.0000594 } : {},
    );
    if (kind === "slm") slmIds.push(entry.id);
    store.logRequest(entry);
  });
  // A row of another use case must not count.
  store.logRequest(row("llm", 50, { useCaseId: "other", inputTokens: 9999 }));
  await store.flush();
  for (const requestId of slmIds.slice(0, 3)) {
    await store.addShadowResult({
      requestId,
      useCaseId: "support",
      slmLabel: "billing",
      llmLabel: "billing",
      outcome: "agreed",
      modelVersion: null,
      createdAt: start + day,
    });
  }
}

const stubThroughput = async (): Promise<ThroughputMeasurement> => ({
  perSecond: 25_000,
  texts: 50_000,
  seconds: 2,
  batchSize: 256,
});

let store: Store;
let emptyStore: Store;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "slmkit-tco-gather-"));
  const train = syntheticExamples(25, 1);
  const valid = syntheticExamples(8, 2);
  writeFileSync(
    join(dir, "train.jsonl"),
    `${train.map((example) => JSON.stringify(example)).join("\n")}\n\n`,
  );
  writeFileSync(join(dir, "valid.jsonl"), `${valid.map((example) => JSON.stringify(example)).join("\n")}\n`);
  const trained = await trainClassifier(train, { valid, seed: 1 });
  await saveNativeModel(trained.model, join(dir, "model"), { ...trained.record, trainSeconds: 1.25 });
  store = createStore({ kind: "sqlite", path: join(dir, "gateway.db") });
  await store.migrate();
  await fillLog(store);
  emptyStore = createStore({ kind: "sqlite", path: join(dir, "empty.db") });
  await emptyStore.migrate();
});

after(async () => {
  await store?.close();
  await emptyStore?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("gatherTcoInputs", () => {
  test("traffic figures come from the log, prices from usecase.yaml, the rest from the model, data and defaults", async () => {
    const useCase = await writeUseCase("priced", pricedLlm);
    const inputs = await gatherTcoInputs({ store, useCase, measureThroughput: stubThroughput });
    assert.equal(inputs.useCaseId, "support");
    assert.deepEqual(
      [inputs.escalationRate.value, inputs.escalationRate.source],
      [0.2, "measured"],
      "(15 llm + 5 review) / 100",
    );
    assert.equal(inputs.reviewRate.value, 0.05);
    assert.equal(inputs.cacheHitRate.value, 0.1);
    // 17 rows with LLM usage (15 answered, 2 unsure) and 3 shadow comparisons, over 100 requests.
    assert.equal(inputs.llmCallRate.value, 0.2);
    assert.equal(inputs.llmCallRate.source, "measured");
    assert.equal(inputs.llmInputTokensPerCall.value, (15 * 400 + 2 * 380) / 17);
    assert.equal(inputs.llmOutputTokensPerCall.value, (15 * 2 + 2 * 4) / 17);
    assert.equal(inputs.llmInputTokensPerCall.source, "measured");
    assert.match(inputs.llmInputTokensPerCall.note, /request log, 100 requests 2026-11-01\.\.2026-11-11/);
    // The 5 requests the LLM left to a person in hybrid would be left to one in LLM-only too: 5 of 100.
    assert.equal(inputs.llmOnlyReviewRate.value, 5 / 100);
    assert.deepEqual(
      [inputs.llmPricePer1kInputUsd.value, inputs.llmPricePer1kInputUsd.source],
      [0.00015, "configured"],
    );
    assert.match(inputs.llmPricePer1kInputUsd.note, /llm\.pricePer1kInputUsd/);
    assert.equal(inputs.llmPricePer1kOutputUsd.value, 0.0006);
    assert.deepEqual([inputs.throughputPerSec.value, inputs.throughputPerSec.source], [25_000, "measured"]);
    assert.deepEqual([inputs.trainSeconds.value, inputs.trainSeconds.source], [1.25, "measured"]);
    // 100 + 32 examples; the blank line at the end of train.jsonl is not one.
    assert.deepEqual([inputs.labelledItems.value, inputs.labelledItems.source], [132, "measured"]);
    assert.deepEqual([inputs.teacherCostUsd.value, inputs.teacherCostUsd.source], [0, "assumed"]);
    for (const name of [
      "machineUsdPerHour",
      "utilization",
      "replicas",
      "reviewCostUsdPerItem",
      "labelCostUsdPerItem",
      "amortizeMonths",
    ] as const) {
      assert.equal(inputs[name].source, "assumed", name);
      assert.ok(inputs[name].note.length > 10, `${name} says why`);
    }
    const monthly = inputs.requestsPerMonth;
    assert.ok(monthly !== undefined);
    assert.equal(monthly.source, "measured");
    assert.ok(Math.abs(monthly.value - 100 / ((10 * 24) / 730)) < 1e-6, `${monthly.value} requests/month`);
    // The figures feed the model as they are.
    const report = computeTco(inputs, { now: 0 });
    assert.equal(report.inputs.escalationRate?.source, "measured");
  });

  test("flags win over everything and are marked configured, naming the flag", async () => {
    const useCase = await writeUseCase("priced", pricedLlm);
    const inputs = await gatherTcoInputs({
      store,
      useCase,
      measureThroughput: async () => assert.fail("a given throughput is not measured"),
      overrides: {
        machineUsdPerHour: 0.25,
        throughputPerSec: 900,
        llmPricePer1kInputUsd: 0.0025,
        escalationRate: 0.3,
        labelledItems: 0,
        replicas: 3,
        teacherCostUsd: 12,
      },
    });
    assert.deepEqual(inputs.machineUsdPerHour, {
      value: 0.25,
      unit: "USD per hour",
      source: "configured",
      note: "given with --machine-usd-per-hour",
    });
    assert.deepEqual([inputs.throughputPerSec.value, inputs.throughputPerSec.source], [900, "configured"]);
    assert.equal(inputs.llmPricePer1kInputUsd.value, 0.0025);
    assert.equal(inputs.llmPricePer1kInputUsd.source, "configured");
    assert.equal(inputs.llmPricePer1kOutputUsd.value, 0.0006, "the other price still from usecase.yaml");
    assert.deepEqual([inputs.escalationRate.value, inputs.escalationRate.source], [0.3, "configured"]);
    assert.equal(inputs.reviewRate.source, "measured");
    assert.equal(inputs.labelledItems.value, 0);
    assert.equal(inputs.replicas.value, 3);
    assert.deepEqual([inputs.teacherCostUsd.value, inputs.teacherCostUsd.source], [12, "configured"]);
  });

  test("the teacher's cost comes from a distill report", async () => {
    const useCase = await writeUseCase("priced", pricedLlm);
    const reportPath = join(dir, "distill-report.json");
    writeFileSync(
      reportPath,
      JSON.stringify({ teacher: "openai:gpt-4o", teacherCostUsd: 4.75, teacherCalls: 900 }),
    );
    const inputs = await gatherTcoInputs({
      store,
      useCase,
      distillReport: reportPath,
      measureThroughput: stubThroughput,
    });
    assert.deepEqual([inputs.teacherCostUsd.value, inputs.teacherCostUsd.source], [4.75, "measured"]);
    assert.match(inputs.teacherCostUsd.note, /distill-report\.json/);
    writeFileSync(reportPath, JSON.stringify({ accuracy: 0.9 }));
    await assert.rejects(
      gatherTcoInputs({ store, useCase, distillReport: reportPath, measureThroughput: stubThroughput }),
      (error: unknown) => SlmkitError.isInstance(error) && /teacherCostUsd/.test(error.message),
    );
  });

  test("without a log: escalation from the model's validation coverage, tokens estimated and marked assumed", async () => {
    const useCase = await writeUseCase("priced", pricedLlm);
    const inputs = await gatherTcoInputs({ store: emptyStore, useCase, measureThroughput: stubThroughput });
    assert.equal(inputs.escalationRate.source, "measured");
    assert.match(inputs.escalationRate.note, /validation/);
    assert.ok(inputs.escalationRate.value >= 0 && inputs.escalationRate.value <= 1);
    // routing.fallback defaults to "llm": every escalation calls the LLM, none goes to a person.
    assert.equal(inputs.llmCallRate.value, inputs.escalationRate.value);
    assert.equal(inputs.llmCallRate.source, "assumed");
    assert.equal(inputs.reviewRate.value, 0);
    assert.equal(inputs.cacheHitRate.value, 0);
    assert.equal(inputs.llmInputTokensPerCall.source, "assumed");
    assert.equal(inputs.llmOutputTokensPerCall.source, "assumed");
    assert.match(inputs.llmInputTokensPerCall.note, /system prompt \d+ chars/);
    assert.match(inputs.llmInputTokensPerCall.note, /texts of the use case's data/);
    // The prompt lists four labels and a description (≈ 280 characters ≈ 70 tokens) plus a short text.
    assert.ok(
      inputs.llmInputTokensPerCall.value > 60 && inputs.llmInputTokensPerCall.value < 150,
      String(inputs.llmInputTokensPerCall.value),
    );
    // Label names of 7-8 characters: 2 tokens and an end token.
    assert.equal(inputs.llmOutputTokensPerCall.value, 3);
    assert.equal(inputs.requestsPerMonth, undefined, "no volume to tell from an empty log");
  });

  test("review fallback: escalations go to people, the LLM is not asked; the cost target is read", async () => {
    const useCase = await writeUseCase(
      "review",
      `${pricedLlm}routing:\n  fallback: review\ntargets:\n  costPer1kRequestsUsd: 0.05\n`,
    );
    const inputs = await gatherTcoInputs({ store: emptyStore, useCase, measureThroughput: stubThroughput });
    assert.equal(inputs.llmCallRate.value, 0);
    assert.equal(inputs.reviewRate.value, inputs.escalationRate.value);
    assert.deepEqual(
      [inputs.targetCostPer1kRequestsUsd?.value, inputs.targetCostPer1kRequestsUsd?.source],
      [0.05, "configured"],
    );
  });

  test("an unpriced LLM is an error that says where to set the price", async () => {
    const useCase = await writeUseCase("unpriced", "llm:\n  model: gpt-4o-mini\n");
    await assert.rejects(
      gatherTcoInputs({ store, useCase, measureThroughput: stubThroughput }),
      (error: unknown) =>
        SlmkitError.isInstance(error) &&
        error.code === "INVALID_OPTION" &&
        /pricePer1kInputUsd/.test(error.message) &&
        /--llm-price-in/.test(error.message),
    );
    const inputs = await gatherTcoInputs({
      store,
      useCase,
      measureThroughput: stubThroughput,
      overrides: { llmPricePer1kInputUsd: 0.001, llmPricePer1kOutputUsd: 0.002 },
    });
    assert.equal(inputs.llmPricePer1kOutputUsd.source, "configured");
  });

  test("the range limits the log read", async () => {
    const useCase = await writeUseCase("priced", pricedLlm);
    const inputs = await gatherTcoInputs({
      store,
      useCase,
      since: start,
      until: start + 5 * day,
      measureThroughput: stubThroughput,
    });
    // The first half of the rows by time: the small model's 70 come first, so nothing escalated.
    assert.equal(inputs.escalationRate.value, 0);
    assert.ok(inputs.requestsPerMonth !== undefined);
    assert.match(inputs.requestsPerMonth.note, /over 5\.0 days/);
  });

  test("throughput is measured on the real model in-process", async () => {
    const useCase = await writeUseCase("priced", pricedLlm);
    const inputs = await gatherTcoInputs({ store, useCase });
    assert.equal(inputs.throughputPerSec.source, "measured");
    assert.ok(inputs.throughputPerSec.value > 100, `${inputs.throughputPerSec.value} texts/s`);
    assert.match(inputs.throughputPerSec.note, /in-process/);
  });

  test("an LLM that was never reached is priced in both ways alike; people get only what either way sends them", async () => {
    // The demo without an API key: 90 requests answered locally, 10 escalated ones sent to people, no LLM call.
    const unreachable = createStore({ kind: "sqlite", path: join(dir, "no-llm.db") });
    await unreachable.migrate();
    for (let index = 0; index < 100; index++)
      unreachable.logRequest(row(index < 90 ? "slm" : "review", index));
    await unreachable.flush();
    try {
      const useCase = await writeUseCase("priced", pricedLlm);
      const inputs = await gatherTcoInputs({
        store: unreachable,
        useCase,
        measureThroughput: stubThroughput,
      });
      assert.equal(inputs.escalationRate.value, 0.1);
      // Each escalation is priced as the LLM call hybrid would make, as LLM-only prices every request.
      assert.deepEqual([inputs.llmCallRate.value, inputs.llmCallRate.source], [0.1, "measured"]);
      assert.match(inputs.llmCallRate.note, /the LLM was not reached/);
      // Without one LLM answer, what it would leave to people is unknown: none, in hybrid as in LLM-only.
      assert.deepEqual([inputs.reviewRate.value, inputs.llmOnlyReviewRate.value], [0, 0]);
      assert.equal(inputs.reviewRate.source, "assumed");
      assert.match(inputs.reviewRate.note, /--review-rate and --llm-only-review-rate/);
      assert.match(inputs.notes?.join(" ") ?? "", /The configured LLM \(gpt-4o-mini\) was not reached/);
      const report = computeTco(inputs, { now: 0 });
      assert.equal(report.breakdown.hybridReviewUsdPerThousand, report.breakdown.llmOnlyReviewUsdPerThousand);
      assert.match(report.notes[0] ?? "", /was not reached/);
      // 100 logged requests are fewer than 200: the report gives a range, not a verdict.
      assert.equal(report.sample?.sufficient, false);
      assert.deepEqual(inputs.trafficSample, {
        requests: 100,
        local: 90,
        note: "request log, 100 requests 2026-11-01..2026-11-11",
      });
    } finally {
      await unreachable.close();
    }
  });

  test("a reached LLM keeps the measured split: the same review share for both ways", async () => {
    const useCase = await writeUseCase("priced", pricedLlm);
    const inputs = await gatherTcoInputs({ store, useCase, measureThroughput: stubThroughput });
    assert.deepEqual(inputs.notes, []);
    assert.equal(inputs.reviewRate.value, inputs.llmOnlyReviewRate.value);
  });

  test("a built-in use case's generated data costs no labelling; examples added by hand do", async () => {
    const templateDir = join(dir, "from-template");
    const written = await writeTemplate("support", templateDir, { seed: 7, perLabel: 12 });
    const useCase = await loadUseCase(written.usecasePath);
    const generated = await gatherTcoInputs({
      store: emptyStore,
      useCase,
      modelDir: join(dir, "model"),
      measureThroughput: stubThroughput,
    });
    assert.deepEqual([generated.labelledItems.value, generated.labelledItems.source], [0, "measured"]);
    assert.match(generated.labelledItems.note, /slmkit init --template support --seed 7/);
    appendFileSync(
      written.paths.train,
      `${JSON.stringify({ text: "my parcel came wet", label: "damaged_item" })}\n${JSON.stringify({ text: "parcel soaked", label: "damaged_item" })}\n`,
    );
    const edited = await gatherTcoInputs({
      store: emptyStore,
      useCase,
      modelDir: join(dir, "model"),
      measureThroughput: stubThroughput,
    });
    assert.equal(edited.labelledItems.value, 2, edited.labelledItems.note);
  });
});
