import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { SlmkitError } from "../../src/errors.js";
import { evaluateClassifier } from "../../src/eval/evaluate.js";
import type { ClassifyModel } from "../../src/models/task-model.js";
import type { ClassPrediction } from "../../src/types.js";
import { KeywordModel, keywordExamples } from "./keyword-model.js";

const close = (actual: number | null | undefined, expected: number, digits = 6) =>
  assert.ok(
    typeof actual === "number" && Math.abs(actual - expected) <= 0.5 * 10 ** -digits,
    `expected ${expected}, got ${actual}`,
  );

const isCode = (code: string) => (error: unknown) => SlmkitError.isInstance(error) && error.code === code;

describe("evaluateClassifier", () => {
  test("reports every contract field, hand-computed on a keyword model", async () => {
    // A single-text call answers nonsense: the metrics must come from the batched pass.
    const model = new KeywordModel({
      singleTextAnswer: { label: "returns", confidence: 0.01, accepted: false },
    });
    const report = await evaluateClassifier(model, keywordExamples, { latencySamples: 5 });

    assert.deepEqual(Object.keys(report).sort(), [
      "acceptedAccuracy",
      "accuracy",
      "batchSize",
      "confusion",
      "coverage",
      "coverageAt",
      "createdAt",
      "curve",
      "ece",
      "latencyMs",
      "latencySamples",
      "macroF1",
      "model",
      "modelBytes",
      "n",
      "outOfScope",
      "perClass",
      "reliability",
      "targetAccuracy",
      "task",
      "threshold",
      "throughputPerSec",
      "trainSeconds",
    ]);
    assert.equal(report.task, "classify");
    assert.equal(report.model, "test:keyword");
    assert.ok(!Number.isNaN(Date.parse(report.createdAt)));
    assert.equal(report.n, 7);
    close(report.accuracy, 5 / 7);
    close(report.macroF1, (2 / 3 + 0.8 + 2 / 3) / 3);
    assert.deepEqual(report.perClass, {
      billing: { precision: 0.666667, recall: 0.666667, f1: 0.666667, support: 3 },
      shipping: { precision: 0.666667, recall: 1, f1: 0.8, support: 2 },
      returns: { precision: 1, recall: 0.5, f1: 0.666667, support: 2 },
    });
    assert.deepEqual(report.confusion, {
      labels: ["billing", "shipping", "returns"],
      matrix: [
        [2, 1, 0],
        [0, 2, 0],
        [1, 0, 1],
      ],
    });
    // |gap| per item: right at 0.95, 0.9, 0.85, 0.8, 0.75 and wrong at 0.65, 0.6 (bins never mix right and wrong).
    close(report.ece, (0.05 + 0.1 + 0.15 + 0.2 + 0.25 + 0.65 + 0.6) / 7);
    assert.equal(report.reliability.length, 15);
    assert.equal(
      report.reliability.reduce((total, bin) => total + bin.count, 0),
      7,
    );

    assert.equal(report.threshold, 0.7);
    assert.equal(report.targetAccuracy, 0.97);
    close(report.coverage, 5 / 7);
    assert.equal(report.acceptedAccuracy, 1);
    assert.deepEqual(
      report.curve.map((point) => point.threshold),
      [0.95, 0.9, 0.85, 0.8, 0.75, 0.65, 0.6],
    );
    close(report.curve[5]?.accuracy, 5 / 6);
    assert.deepEqual(report.coverageAt, { "0.95": 0.714286, "0.97": 0.714286, "0.99": 0.714286 });

    assert.deepEqual(report.outOfScope, { n: 3, escalated: 2, labels: { weather: 2, sports: 1 } });
    assert.deepEqual(Object.keys(report.outOfScope.labels), ["weather", "sports"]);

    assert.equal(report.latencySamples, 5);
    const { p50, p95, p99 } = report.latencyMs;
    assert.ok(p50 >= 0 && p50 <= p95 && p95 <= p99);
    assert.ok(report.throughputPerSec > 0);
    assert.equal(report.batchSize, 256);
    assert.equal(report.modelBytes, 1234);
    assert.equal(report.trainSeconds, 1.5);
    assert.doesNotThrow(() => JSON.parse(JSON.stringify(report)));
  });

  test("warms up, predicts in batches, then times one text per call", async () => {
    const model = new KeywordModel();
    const report = await evaluateClassifier(model, keywordExamples, { batchSize: 3, latencySamples: 4 });
    // 7 warm-up calls (fewer texts than 10), batches 3+3+1, 4 timed calls, out-of-scope batch of 3.
    assert.deepEqual(model.callSizes, [1, 1, 1, 1, 1, 1, 1, 3, 3, 1, 1, 1, 1, 1, 3]);
    assert.equal(report.batchSize, 3);
    assert.equal(report.latencySamples, 4);
  });

  test("reports unknown model size and training time as null, and no target", async () => {
    const model = new KeywordModel({ info: {} });
    const report = await evaluateClassifier(model, keywordExamples.slice(0, 7), { latencySamples: 1 });
    assert.equal(report.modelBytes, null);
    assert.equal(report.trainSeconds, null);
    assert.equal(report.targetAccuracy, null);
    assert.deepEqual(report.outOfScope, { n: 0, escalated: 0, labels: {} });
  });

  test("uses the model's threshold as is, even when nothing reaches it", async () => {
    const model = new KeywordModel({ threshold: 0.99 });
    const report = await evaluateClassifier(model, keywordExamples, { latencySamples: 1 });
    assert.equal(report.threshold, 0.99);
    assert.equal(report.coverage, 0);
    assert.equal(report.acceptedAccuracy, null);
    assert.equal(report.outOfScope.escalated, 3);
  });

  test("fails clearly when no test label is known to the model", async () => {
    const model = new KeywordModel();
    await assert.rejects(
      evaluateClassifier(model, [{ text: "sunny", label: "weather" }]),
      (error: unknown) => isCode("EMPTY_DATA")(error) && /"weather"/.test((error as Error).message),
    );
    await assert.rejects(evaluateClassifier(model, []), isCode("EMPTY_DATA"));
  });

  test("rejects bad options, an extraction model and a model that loses predictions", async () => {
    await assert.rejects(
      evaluateClassifier(new KeywordModel(), keywordExamples, { latencySamples: 0 }),
      isCode("INVALID_OPTION"),
    );
    await assert.rejects(
      evaluateClassifier(new KeywordModel(), keywordExamples, { batchSize: 1.5 }),
      isCode("INVALID_OPTION"),
    );
    await assert.rejects(
      evaluateClassifier(new KeywordModel({ task: "extract" }), keywordExamples),
      isCode("NOT_SUPPORTED"),
    );
    const lossy: ClassifyModel = Object.assign(new KeywordModel(), {
      predict: async (): Promise<ClassPrediction[]> => [],
    });
    await assert.rejects(evaluateClassifier(lossy, keywordExamples), isCode("MODEL_CORRUPT"));
  });

  test("stops when the signal is aborted", async () => {
    const controller = new AbortController();
    controller.abort(new Error("stop"));
    await assert.rejects(
      evaluateClassifier(new KeywordModel(), keywordExamples, { signal: controller.signal }),
      /stop/,
    );
  });
});
