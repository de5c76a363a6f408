// Child process of bench/classifier.ts: trains one native model and writes its figures as JSON, so the parent
// can measure this process's peak memory exactly as it measures fastText's (GNU time or /proc VmHWM).
//
// Usage: node --import tsx bench/native-train-worker.ts --data <dir> --out <dir> --result <file.json>
//          [--seed 42] [--hold-out '["label", ...]'] [--autotune <seconds>] [--baseline]
// Without --hold-out it is the main run; with it, the unknown-intents run. --autotune trains as `slmkit train
// --autotune <seconds>` does (autotuneClassifier, the search on valid) instead of with the defaults. --baseline
// only loads the modules and exits: its peak memory is the floor (Node, tsx, slmkit's code) under the training
// figures.

import { readdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { readClassificationData } from "../src/data/io.js";
import { percentiles } from "../src/eval/latency.js";
import type { NativeClassifier } from "../src/models/native/classifier.js";
import { computeLogits } from "../src/models/native/linear.js";
import { loadNativeModel, saveNativeModel, weightsFileName } from "../src/models/native/model-directory.js";
import { Vectorizer } from "../src/models/native/vectorizer.js";
import { WasmLogits } from "../src/models/native/wasm-logits.js";
import { autotuneClassifier } from "../src/train/autotune.js";
import { type TrainedClassifier, trainClassifier } from "../src/train/train-classifier.js";
import { quantizeWithReport } from "../src/train/train-run.js";
import type { LabeledExample } from "../src/types.js";
import {
  atThresholdFigures,
  atValidationThresholds,
  type HeldOutLabelFigures,
  type NativeMainFigures,
  type NativeUnknownFigures,
  type NativeWorkerFigures,
  selectiveFigures,
} from "./figures.js";

const batchSize = 256;
const throughputPasses = 3;
const warmUpCalls = 200;

interface WorkerOptions {
  dataDir: string;
  outDir: string;
  resultFile: string;
  seed: number;
  heldOut: string[] | undefined;
  /** Seconds of `autotuneClassifier`'s search; undefined: train with the defaults. */
  autotuneSeconds: number | undefined;
  baseline: boolean;
}

function parseWorkerArgs(argv: string[]): WorkerOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: "string" },
      out: { type: "string" },
      result: { type: "string" },
      seed: { type: "string", default: "42" },
      "hold-out": { type: "string" },
      autotune: { type: "string" },
      baseline: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.data === undefined || values.out === undefined || values.result === undefined) {
    throw new Error("native-train-worker needs --data <dir> --out <dir> --result <file.json>.");
  }
  const heldOut = values["hold-out"] === undefined ? undefined : (JSON.parse(values["hold-out"]) as unknown);
  if (
    heldOut !== undefined &&
    !(Array.isArray(heldOut) && heldOut.every((label) => typeof label === "string"))
  ) {
    throw new Error("--hold-out must be a JSON array of label strings, e.g. '[\"card_arrival\"]'.");
  }
  return {
    dataDir: values.data,
    outDir: values.out,
    resultFile: values.result,
    seed: Number(values.seed),
    heldOut: heldOut as string[] | undefined,
    autotuneSeconds: values.autotune === undefined ? undefined : Number(values.autotune),
    baseline: values.baseline,
  };
}

function log(message: string): void {
  // stderr, so the parent's table on stdout stays clean; the parent lets it through as progress.
  process.stderr.write(`  [native] ${message}\n`);
}

function secondsSince(start: number): number {
  return (performance.now() - start) / 1000;
}

interface Scored {
  predicted: string[];
  confidences: number[];
  correct: boolean[];
}

function score(model: NativeClassifier, examples: readonly LabeledExample[]): Scored {
  const predictions: ReturnType<NativeClassifier["predictSync"]> = [];
  for (let start = 0; start < examples.length; start += batchSize) {
    predictions.push(
      ...model.predictSync(examples.slice(start, start + batchSize).map((example) => example.text)),
    );
  }
  return {
    predicted: predictions.map((prediction) => prediction.label),
    confidences: predictions.map((prediction) => prediction.confidence),
    correct: predictions.map(
      (prediction, index) => prediction.label === (examples[index] as LabeledExample).label,
    ),
  };
}

/** Per held-out label: escalations, and where the accepted ones went (what a fix would have to separate). */
function heldOutBreakdown(
  heldOut: readonly string[],
  examples: readonly LabeledExample[],
  scored: Scored,
  threshold: number,
): HeldOutLabelFigures[] {
  return heldOut.map((label) => {
    let n = 0;
    let escalated = 0;
    const acceptedAs = new Map<string, number>();
    examples.forEach((example, index) => {
      if (example.label !== label) return;
      n++;
      if ((scored.confidences[index] as number) < threshold) escalated++;
      else {
        const predicted = scored.predicted[index] as string;
        acceptedAs.set(predicted, (acceptedAs.get(predicted) ?? 0) + 1);
      }
    });
    const [mostAcceptedAs, mostAcceptedCount] = [...acceptedAs].sort((a, b) => b[1] - a[1])[0] ?? [null, 0];
    return { label, n, escalated, mostAcceptedAs, mostAcceptedCount };
  });
}

/** Median texts/s of `passes` batched passes: one pass on a shared machine can catch a neighbour's burst. */
function measureThroughput(model: NativeClassifier, texts: readonly string[], passes: number): number {
  const rates: number[] = [];
  for (let pass = 0; pass < passes; pass++) {
    const start = process.hrtime.bigint();
    for (let offset = 0; offset < texts.length; offset += batchSize) {
      model.predictSync(texts.slice(offset, offset + batchSize));
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    rates.push(texts.length / Math.max(seconds, 1e-9));
  }
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)] as number;
}

/**
 * µs per text of the logits alone, JavaScript and WebAssembly in alternating passes over the same sparse vectors
 * (median of `passes` each), so a neighbour's burst hits both alike.
 */
function measureLogits(model: NativeClassifier, texts: readonly string[], passes: number) {
  const vectorizer = new Vectorizer(model.vocabulary);
  const rows = texts.map((text) => {
    const size = vectorizer.transformInto(text);
    return { indices: vectorizer.indices.slice(0, size), values: vectorizer.values.slice(0, size) };
  });
  const out = new Float64Array(model.labels.length);
  const wasm = WasmLogits.create(model.weights);
  const javascript = () => {
    for (const row of rows) computeLogits(model.weights, row.indices, row.values, 0, row.indices.length, out);
  };
  const webAssembly = () => {
    for (const row of rows) wasm?.computeInto(row.indices, row.values, 0, row.indices.length, out);
  };
  const timeOf = (run: () => void) => {
    const start = process.hrtime.bigint();
    run();
    return Number(process.hrtime.bigint() - start) / 1e3 / rows.length;
  };
  javascript();
  webAssembly();
  const samples = { javascript: [] as number[], webAssembly: [] as number[] };
  for (let pass = 0; pass < passes; pass++) {
    samples.javascript.push(timeOf(javascript));
    samples.webAssembly.push(timeOf(webAssembly));
  }
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
  return {
    javascript: median(samples.javascript),
    webAssembly: wasm === null ? null : median(samples.webAssembly),
  };
}

function measureLatency(model: NativeClassifier, texts: readonly string[]): NativeMainFigures["latencyMs"] {
  // Warm-up so JIT compilation is not measured; then every test text once, one per call.
  for (let call = 0; call < warmUpCalls; call++) model.predictSync([texts[call % texts.length] as string]);
  const samples: number[] = [];
  for (const text of texts) {
    const start = process.hrtime.bigint();
    model.predictSync([text]);
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  const [p50, p95, p99] = percentiles(samples, [50, 95, 99]) as [number, number, number];
  return { p50, p95, p99, calls: samples.length, warmUpCalls };
}

async function directoryBytes(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir)) total += (await stat(join(dir, name))).size;
  return total;
}

/** macro-F1 from the project's evaluator, when that module loads and runs; it is still being written. */
async function macroF1Of(
  model: NativeClassifier,
  test: readonly LabeledExample[],
  notes: string[],
): Promise<number | null> {
  try {
    const { evaluateClassifier } = await import("../src/eval/evaluate.js");
    const report = await evaluateClassifier(model, test, { latencySamples: 1, batchSize });
    return report.macroF1;
  } catch (error) {
    notes.push(`macro-F1 not reported: evaluateClassifier failed (${(error as Error).message})`);
    return null;
  }
}

async function runMain(options: WorkerOptions): Promise<NativeMainFigures> {
  const notes: string[] = [];
  const readStart = performance.now();
  const train = await readClassificationData(join(options.dataDir, "train.jsonl"));
  const valid = await readClassificationData(join(options.dataDir, "valid.jsonl"));
  const readSeconds = secondsSince(readStart);

  log(
    `training on ${train.length} examples, calibrating on ${valid.length} (${options.autotuneSeconds === undefined ? "defaults" : `autotune ${options.autotuneSeconds} s`}, seed ${options.seed})`,
  );
  const cpuBefore = process.cpuUsage();
  const trainStarted = performance.now();
  const { trained, autotune } = await trainModel(options, train, valid);
  const cpu = process.cpuUsage(cpuBefore);
  const peakRssAfterTrainBytes = process.resourceUsage().maxRSS * 1024;
  // With autotune, the whole search is the training time, as `slmkit train --autotune` spends it.
  const trainSeconds =
    autotune === null
      ? (trained.record.trainSeconds ?? Number.NaN)
      : (performance.now() - trainStarted) / 1000;

  const floatDir = join(options.outDir, "float32");
  const saveStart = performance.now();
  await saveNativeModel(trained.model, floatDir, trained.record, "float32");
  const saveSeconds = secondsSince(saveStart);
  // performance.now() counts from the process's time origin: this is start → model on disk.
  const processSecondsToSaved = performance.now() / 1000;
  const validation = {
    accuracy: trained.validation.accuracy,
    temperature: trained.model.temperature,
    threshold: trained.model.threshold,
    coverage: trained.validation.coverage,
    acceptedAccuracy: trained.validation.acceptedAccuracy,
  };

  // quantizeWithReport rewrites record.validation for the int8 model, so the float32 model is saved first.
  const quantized = quantizeWithReport(trained);
  trained.record.extra = { ...trained.record.extra, quantization: quantized.report };
  const int8Dir = join(options.outDir, "int8");
  await saveNativeModel(quantized.model, int8Dir, trained.record, "int8");

  // Everything below is measured on the models as loaded from disk: what a user would ship.
  const test = await readClassificationData(join(options.dataDir, "test.jsonl"));
  const floatModel = await loadNativeModel(floatDir);
  const int8Model = await loadNativeModel(int8Dir);
  const texts = test.map((example) => example.text);

  const floatScored = score(floatModel, test);
  const floatFigures = selectiveFigures(floatScored.confidences, floatScored.correct);
  const int8Scored = score(int8Model, test);
  const int8Figures = selectiveFigures(int8Scored.confidences, int8Scored.correct);
  const validScored = score(floatModel, valid);
  log(
    `test accuracy ${floatFigures.accuracy.toFixed(4)} (int8 ${int8Figures.accuracy.toFixed(4)}); timing predictions`,
  );

  const latencyMs = measureLatency(floatModel, texts);
  const throughputPerSec = measureThroughput(floatModel, texts, throughputPasses);
  const int8ThroughputPerSec = measureThroughput(int8Model, texts, throughputPasses);
  const logitsMicroseconds = measureLogits(floatModel, texts, throughputPasses);
  const macroF1 = await macroF1Of(floatModel, test, notes);

  return {
    mode: "main",
    labels: trained.model.labels.length,
    trainExamples: train.length,
    validExamples: valid.length,
    trainSeconds,
    trainCpuSeconds: (cpu.user + cpu.system) / 1e6,
    readSeconds,
    saveSeconds,
    processSecondsToSaved,
    peakRssAfterTrainBytes,
    epochsRun: trained.history.length,
    bestEpoch: trained.validation.bestEpoch,
    featureCount: trained.model.weights.featureCount,
    validation,
    test: {
      ...floatFigures,
      macroF1,
      atThreshold: atThresholdFigures(floatScored.confidences, floatScored.correct, floatModel.threshold),
      atValidationThresholds: atValidationThresholds(validScored, floatScored),
    },
    autotune,
    int8: {
      test: {
        ...int8Figures,
        atThreshold: atThresholdFigures(int8Scored.confidences, int8Scored.correct, int8Model.threshold),
      },
      accuracyChangePoints: (int8Figures.accuracy - floatFigures.accuracy) * 100,
      validationAccuracyChangePoints: quantized.report.accuracyChange * 100,
      throughputPerSec: int8ThroughputPerSec,
    },
    modelBytes: {
      float32Weights: (await stat(join(floatDir, weightsFileName))).size,
      float32Directory: await directoryBytes(floatDir),
      int8Weights: (await stat(join(int8Dir, weightsFileName))).size,
      int8Directory: await directoryBytes(int8Dir),
    },
    latencyMs,
    throughputPerSec,
    logitsMicroseconds,
    batchSize,
    passes: throughputPasses,
    notes,
  };
}

/** Trains as `slmkit train` does: with the defaults, or with `--autotune <seconds>` of search on valid. */
async function trainModel(
  options: WorkerOptions,
  examples: readonly LabeledExample[],
  valid: readonly LabeledExample[],
): Promise<{ trained: TrainedClassifier; autotune: NativeMainFigures["autotune"] }> {
  if (options.autotuneSeconds === undefined) {
    const trained = await trainClassifier(examples, {
      valid,
      seed: options.seed,
      onProgress: (progress) =>
        log(
          `epoch ${progress.epoch}/${progress.epochs}: validation accuracy ${progress.validationAccuracy.toFixed(4)} (${progress.elapsedSeconds.toFixed(1)} s)`,
        ),
    });
    return { trained, autotune: null };
  }
  const { best, trials } = await autotuneClassifier(examples, {
    valid,
    seed: options.seed,
    seconds: options.autotuneSeconds,
    onTrial: (trial) =>
      log(
        `autotune trial ${trial.index + 1}: validation accuracy ${trial.validationAccuracy.toFixed(4)} (${trial.seconds.toFixed(1)} s)`,
      ),
  });
  return {
    trained: best,
    autotune: {
      seconds: options.autotuneSeconds,
      trials: trials.length,
      chosen: { ...best.record.hyperparameters },
    },
  };
}

async function runUnknown(options: WorkerOptions, heldOut: readonly string[]): Promise<NativeUnknownFigures> {
  const held = new Set(heldOut);
  const known = (example: LabeledExample) => !held.has(example.label);
  const train = (await readClassificationData(join(options.dataDir, "train.jsonl"))).filter(known);
  const valid = (await readClassificationData(join(options.dataDir, "valid.jsonl"))).filter(known);
  log(`unknown intents: training without ${held.size} labels on ${train.length} examples`);
  const trained = await trainClassifier(train, { valid, seed: options.seed });

  const test = await readClassificationData(join(options.dataDir, "test.jsonl"));
  const inScope = test.filter(known);
  const outOfScope = test.filter((example) => held.has(example.label));
  const model = trained.model;
  const inScopeScored = score(model, inScope);
  const outOfScopeScored = score(model, outOfScope);
  const escalated = outOfScopeScored.confidences.filter((confidence) => confidence < model.threshold).length;
  return {
    mode: "unknown",
    heldOutLabels: [...heldOut],
    trainExamples: train.length,
    validExamples: valid.length,
    trainSeconds: trained.record.trainSeconds ?? Number.NaN,
    threshold: model.threshold,
    inScope: {
      ...selectiveFigures(inScopeScored.confidences, inScopeScored.correct),
      atThreshold: atThresholdFigures(inScopeScored.confidences, inScopeScored.correct, model.threshold),
    },
    outOfScope: {
      n: outOfScope.length,
      escalated,
      escalatedShare: outOfScope.length === 0 ? 0 : escalated / outOfScope.length,
      byLabel: heldOutBreakdown(heldOut, outOfScope, outOfScopeScored, model.threshold),
    },
  };
}

async function run(options: WorkerOptions): Promise<NativeWorkerFigures> {
  if (options.baseline) return { mode: "baseline" };
  return options.heldOut === undefined ? runMain(options) : runUnknown(options, options.heldOut);
}

const options = parseWorkerArgs(process.argv.slice(2));
const figures = await run(options);
await writeFile(options.resultFile, `${JSON.stringify(figures, null, 2)}\n`);
