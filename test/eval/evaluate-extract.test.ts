import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { registerEvalCommand } from "../../src/cli/eval.js";
import { registerTrainCommand } from "../../src/cli/train.js";
import { evaluateExtractor } from "../../src/eval/evaluate-extract.js";
import type { ExtractPrediction, NativeExtractor } from "../../src/models/native/extractor.js";
import type { SpanExample } from "../../src/types.js";
import { runCommand } from "../helpers/cli.js";
import { bookingExamples } from "../models/extractor-data.js";

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "slmkit-eval-extract-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A stand-in model that returns fixed predictions, so the scores can be checked by hand. */
function fixedModel(predictions: ExtractPrediction[], threshold: number): NativeExtractor {
  const stub = {
    task: "extract",
    reference: "fixed",
    fields: ["date", "people"],
    fieldTypes: { people: "quantity" },
    requiredFields: [],
    threshold,
    info: {},
    extract: (texts: readonly string[]) =>
      texts.map((_, index) => predictions[index % predictions.length] as ExtractPrediction),
  };
  return stub as unknown as NativeExtractor;
}

function prediction(
  spans: { start: number; end: number; label: string; text: string }[],
  confidence: number,
): ExtractPrediction {
  return {
    spans: spans.map((span) => ({ ...span, confidence })),
    fields: {},
    confidence,
    accepted: confidence >= 0.5,
  };
}

describe("evaluateExtractor", () => {
  test("scores exact spans after trimming gold punctuation, overlap F1, whole records and coverage", async () => {
    const examples: SpanExample[] = [
      // Gold "Friday." is trimmed to "Friday" before comparing.
      {
        text: "for 2 on Friday.",
        spans: [
          { start: 4, end: 5, label: "people" },
          { start: 9, end: 16, label: "date" },
        ],
      },
      { text: "for 10 people", spans: [{ start: 4, end: 13, label: "people" }] },
    ];
    const model = fixedModel([], 0.5);
    const predictions = [
      prediction(
        [
          { start: 4, end: 5, label: "people", text: "2" },
          { start: 9, end: 15, label: "date", text: "Friday" },
        ],
        0.9,
      ),
      prediction([{ start: 4, end: 6, label: "people", text: "10" }], 0.4),
    ];
    const report = await evaluateExtractor(
      { ...model, extract: () => predictions } as unknown as NativeExtractor,
      examples,
      {
        latencySamples: 2,
      },
    );
    assert.equal(report.task, "extract");
    assert.equal(report.n, 2);
    assert.equal(report.spanPrecision, 0.666667);
    assert.equal(report.spanRecall, 0.666667);
    assert.equal(report.spanF1Overlap, 1);
    assert.equal(report.recordAccuracy, 0.5);
    assert.equal(report.coverage, 0.5);
    assert.equal(report.acceptedAccuracy, 1);
    assert.deepEqual(Object.keys(report.coverageAt), ["0.95", "0.97", "0.99"]);
    assert.equal(report.coverageAt["0.95"], 0.5);
    assert.equal(report.perField.people?.support, 2);
    assert.equal(report.perField.date?.f1, 1);
    assert.ok(report.latencyMs.p50 >= 0);
  });

  test("slmkit train detects span data and slmkit eval reports an extract model as JSON", async () => {
    const trainFile = join(dir, "train.jsonl");
    const testFile = join(dir, "test.jsonl");
    await writeFile(
      trainFile,
      bookingExamples(200, 11)
        .map((example) => JSON.stringify({ text: example.text, spans: example.spans }))
        .join("\n"),
    );
    await writeFile(
      testFile,
      bookingExamples(50, 12)
        .map((example) => JSON.stringify({ text: example.text, spans: example.spans }))
        .join("\n"),
    );
    const out = join(dir, "model");
    const json = join(dir, "report.json");
    const html = join(dir, "report.html");
    await runCommand(registerTrainCommand, ["train", "--train", trainFile, "--out", out, "--epochs", "3"]);
    await runCommand(registerEvalCommand, [
      "eval",
      "--model",
      out,
      "--test",
      testFile,
      "--json",
      json,
      "--html",
      html,
      "--latency-samples",
      "5",
    ]);
    const manifest = JSON.parse(await readFile(join(out, "manifest.json"), "utf8")) as {
      task: string;
      fields: string[];
    };
    assert.equal(manifest.task, "extract");
    assert.deepEqual(manifest.fields, ["date", "name", "people", "time"]);
    const report = JSON.parse(await readFile(json, "utf8")) as Record<string, unknown>;
    for (const key of [
      "spanPrecision",
      "spanRecall",
      "spanF1",
      "spanF1Overlap",
      "perField",
      "threshold",
      "coverage",
      "acceptedAccuracy",
      "curve",
      "coverageAt",
      "latencyMs",
      "throughputPerSec",
      "modelBytes",
      "trainSeconds",
    ]) {
      assert.ok(key in report, `report has ${key}`);
    }
    assert.ok((report.spanF1 as number) > 0.9, `span F1 ${report.spanF1}`);
    assert.match(await readFile(html, "utf8"), /<svg/);
  });
});
