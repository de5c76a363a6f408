// Benchmark of the native extractor on restaurant8k: span F1, coverage, speed and size (node --import tsx bench/extractor.ts).
// Writes bench/results/extractor-restaurant8k.json.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { readSpanData } from "../src/data/io.js";
import { evaluateExtractor } from "../src/eval/evaluate-extract.js";
import { loadNativeExtractor, saveNativeExtractor } from "../src/models/native/extractor-directory.js";
import { trainExtractor } from "../src/train/train-extractor.js";
import { startBenchRun } from "./provenance.js";

const seedFlag = process.argv.indexOf("--seed");
const seed = seedFlag >= 0 ? Number(process.argv[seedFlag + 1]) : 42;
const run = startBenchRun({ name: "extractor-restaurant8k", benchmark: "extractor" });
const dataDir = resolve(import.meta.dirname, "../../shared/datasets/restaurant8k");
const train = await readSpanData(join(dataDir, "train.jsonl"));
const test = await readSpanData(join(dataDir, "test.jsonl"));
process.stdout.write(
  `restaurant8k: ${train.length} train (10% held out for validation, seed ${seed}), ${test.length} test\n`,
);

const trained = await trainExtractor(train, {
  seed,
  // The dataset has no schema; these types only feed `valueAccuracy` through the normalizers.
  fieldTypes: { date: "date", time: "time", people: "quantity" },
  onProgress: (step) =>
    process.stdout.write(
      `  epoch ${step.epoch}: validation span F1 ${step.validationF1.toFixed(4)} (${step.elapsedSeconds.toFixed(1)} s)\n`,
    ),
});
const dir = await mkdtemp(join(tmpdir(), "slmkit-bench-extractor-"));
try {
  await saveNativeExtractor(trained.model, dir, trained.record);
  const model = await loadNativeExtractor(dir);
  // A fixed reference date keeps relative-date values comparable run to run.
  const report = await evaluateExtractor(model, test, { referenceDate: new Date("2025-01-15T12:00:00Z") });
  const figures = {
    dataset: "restaurant8k",
    seed,
    trainExamples: train.length - trained.validation.n,
    validationExamples: trained.validation.n,
    testExamples: test.length,
    dataNotes: trained.notes,
    validation: trained.validation,
    ...report,
    curve: report.curve,
  };
  const lines = [
    `exact span F1      ${report.spanF1.toFixed(4)}  (P ${report.spanPrecision.toFixed(4)}, R ${report.spanRecall.toFixed(4)}; target >= 0.93, reference perceptron 0.924, CRF 0.921)`,
    `overlap span F1    ${report.spanF1Overlap.toFixed(4)}`,
    ...Object.entries(report.perField).map(
      ([field, metrics]) =>
        `  ${field.padEnd(11)} F1 ${metrics.f1.toFixed(4)}  P ${metrics.precision.toFixed(4)}  R ${metrics.recall.toFixed(4)}  n ${metrics.support}  value accuracy ${metrics.valueAccuracy === null ? "n/a" : metrics.valueAccuracy.toFixed(4)}`,
    ),
    `records right      ${report.recordAccuracy.toFixed(4)}`,
    `threshold          ${report.threshold.toFixed(4)} (validation, target 0.97): coverage ${report.coverage.toFixed(3)}, accepted accuracy ${report.acceptedAccuracy?.toFixed(4) ?? "n/a"}`,
    `coverage at 95/97/99% record accuracy: ${report.coverageAt["0.95"].toFixed(3)} / ${report.coverageAt["0.97"].toFixed(3)} / ${report.coverageAt["0.99"].toFixed(3)}`,
    `train seconds      ${(trained.record.trainSeconds ?? 0).toFixed(1)} (best epoch ${trained.validation.bestEpoch}; target <= 30 s)`,
    `latency ms         p50 ${report.latencyMs.p50.toFixed(3)}  p95 ${report.latencyMs.p95.toFixed(3)}  p99 ${report.latencyMs.p99.toFixed(3)}`,
    `throughput         ${Math.round(report.throughputPerSec)} records/s (one thread)`,
    `model bytes        ${report.modelBytes} (${((report.modelBytes ?? 0) / 1e6).toFixed(1)} MB)`,
    `data notes         ${JSON.stringify(trained.notes)}`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  await run.write(figures);
} finally {
  await rm(dir, { recursive: true, force: true });
}
