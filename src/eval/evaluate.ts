// Evaluates a classifier on a labelled test set: the `slmkit eval` report (DESIGN.md, "Contracts").

import { SlmkitError } from "../errors.js";
import type { LabelModel, TaskModel } from "../models/task-model.js";
import type { ClassPrediction, LabeledExample } from "../types.js";
import {
  defaultCalibrationBins,
  expectedCalibrationErrorOfBins,
  type ReliabilityBin,
  reliabilityBins,
} from "./calibration.js";
import { evenlySpacedIndices, millisecondsSince, percentiles, startTimer } from "./latency.js";
import { type ClassMetrics, type ConfusionMatrix, classificationMetrics, round } from "./metrics.js";
import {
  type CoveragePoint,
  coverageAtAccuracy,
  evaluateAtThreshold,
  exactCoverageCurve,
  standardAccuracyTargets,
  thinCoverageCurve,
} from "./selective.js";

export interface EvaluateClassifierOptions {
  /**
   * How many test texts to time one per `predict` call for `latencyMs` (an integer >= 1), spread
   * evenly over the in-scope set. Default 500; all of them when the set is smaller.
   */
  latencySamples?: number;
  /** Texts per `predict` call in the batched pass that yields the metrics and `throughputPerSec`. Default 256. */
  batchSize?: number;
  /** Stops the evaluation between model calls; the signal's reason is thrown. Default: never aborted. */
  signal?: AbortSignal;
}

/** Coverage read off the test curve at each standard accepted-accuracy target. */
export interface CoverageAtTargets {
  "0.95": number;
  "0.97": number;
  "0.99": number;
}

/** Test items whose gold label the model does not know: not an error, but left out of every other figure. */
export interface OutOfScopeSummary {
  n: number;
  /** How many of them got a confidence below the model's threshold, i.e. would be escalated. */
  escalated: number;
  /** Each unknown gold label with its count, most frequent first. */
  labels: Record<string, number>;
}

export interface LatencyPercentiles {
  p50: number;
  p95: number;
  p99: number;
}

/**
 * The JSON of `slmkit eval` for a classifier. Ratios are rounded to 6 decimals, counts are exact,
 * thresholds are never rounded (a rounded threshold would accept a different set).
 */
export interface ClassificationEvalReport {
  task: "classify";
  /** The model reference, as `LabelModel.reference`. */
  model: string;
  /** ISO 8601 time the evaluation finished. */
  createdAt: string;
  /** In-scope test items: every figure below except `outOfScope` is over these. */
  n: number;
  accuracy: number;
  macroF1: number;
  perClass: Record<string, ClassMetrics>;
  confusion: ConfusionMatrix;
  /** Expected calibration error over 15 equal-width bins. */
  ece: number;
  /** The 15 bins `ece` is computed from, for a reliability diagram. */
  reliability: ReliabilityBin[];
  /** The model's own threshold, chosen on validation data; never re-chosen on the test set. */
  threshold: number;
  /** The accepted-accuracy target the threshold was calibrated for, when the model knows it. */
  targetAccuracy: number | null;
  /** Share of in-scope items accepted at `threshold`. */
  coverage: number;
  /** Accuracy of the accepted items; null when nothing is accepted. */
  acceptedAccuracy: number | null;
  /** The test set's coverage-vs-accuracy curve by descending threshold, thinned to at most 200 points. */
  curve: CoveragePoint[];
  /** Read off the exact (unthinned) curve; the thinned `curve` keeps the points that give them. */
  coverageAt: CoverageAtTargets;
  outOfScope: OutOfScopeSummary;
  /** One text per `predict` call, in-process, after a warm-up. */
  latencyMs: LatencyPercentiles;
  /** How many calls `latencyMs` is measured over. */
  latencySamples: number;
  /** In-scope texts per second when predicted in batches of `batchSize`. */
  throughputPerSec: number;
  batchSize: number;
  /** Bytes of the model on disk, when known. */
  modelBytes: number | null;
  /** Seconds training took, when known. */
  trainSeconds: number | null;
}

/** Single-text calls made before timing, so JIT compilation and lazy set-up are not measured. */
const warmUpCalls = 10;

/**
 * Evaluates `model` on `examples`: metrics and calibration from one batched pass, selective
 * prediction at the model's own threshold, single-text latency and batched throughput.
 * Examples whose gold label is not one of `model.labels` are out of scope (counted apart, never an
 * error). Throws `EMPTY_DATA` when no example is in scope.
 */
export async function evaluateClassifier(
  model: LabelModel,
  examples: readonly LabeledExample[],
  options: EvaluateClassifierOptions = {},
): Promise<ClassificationEvalReport> {
  const latencySamples = options.latencySamples ?? 500;
  const batchSize = options.batchSize ?? 256;
  const signal = options.signal;
  checkPositiveInteger(latencySamples, "latencySamples");
  checkPositiveInteger(batchSize, "batchSize");
  // A JavaScript caller can pass any model: an extractor has no labels to score.
  const given = model as TaskModel;
  if (given.task === "extract") {
    throw new SlmkitError(
      "NOT_SUPPORTED",
      `${given.reference} is an extraction model; evaluateClassifier scores label predictions only.`,
    );
  }

  const known = new Set(model.labels);
  const inScope: LabeledExample[] = [];
  const outOfScope: LabeledExample[] = [];
  for (const example of examples) (known.has(example.label) ? inScope : outOfScope).push(example);
  if (inScope.length === 0) throw noneInScope(model, examples);

  signal?.throwIfAborted();
  const texts = inScope.map((example) => example.text);
  for (const text of texts.slice(0, warmUpCalls)) {
    await predictChecked(model, [text]);
    signal?.throwIfAborted();
  }

  const batchedStart = startTimer();
  const predictions = await predictInBatches(model, texts, batchSize, signal);
  const batchedSeconds = millisecondsSince(batchedStart) / 1000;

  const samples: number[] = [];
  for (const index of evenlySpacedIndices(texts.length, latencySamples)) {
    const start = startTimer();
    await predictChecked(model, [texts[index] as string]);
    samples.push(millisecondsSince(start));
    signal?.throwIfAborted();
  }
  const [p50, p95, p99] = percentiles(samples, [50, 95, 99]) as [number, number, number];

  const outOfScopePredictions = await predictInBatches(
    model,
    outOfScope.map((example) => example.text),
    batchSize,
    signal,
  );

  const gold = inScope.map((example) => example.label);
  const predicted = predictions.map((prediction) => prediction.label);
  const confidences = predictions.map((prediction) => prediction.confidence);
  const correct = predictions.map((prediction, index) => prediction.label === gold[index]);

  const metrics = classificationMetrics(gold, predicted, model.labels);
  const bins = reliabilityBins(confidences, correct, defaultCalibrationBins);
  const atThreshold = evaluateAtThreshold(confidences, correct, model.threshold);
  const exactCurve = exactCoverageCurve(confidences, correct);
  const curve = thinCoverageCurve(exactCurve, {
    maxPoints: 200,
    keepAccuracyTargets: standardAccuracyTargets,
    keepThresholds: [model.threshold],
  });
  const [at95, at97, at99] = standardAccuracyTargets.map((target) =>
    coverageAtAccuracy(exactCurve, target),
  ) as [number, number, number];

  return {
    task: "classify",
    model: model.reference,
    createdAt: new Date().toISOString(),
    n: inScope.length,
    accuracy: round(metrics.accuracy),
    macroF1: round(metrics.macroF1),
    perClass: Object.fromEntries(
      Object.entries(metrics.perClass).map(([label, scores]) => [
        label,
        {
          precision: round(scores.precision),
          recall: round(scores.recall),
          f1: round(scores.f1),
          support: scores.support,
        },
      ]),
    ),
    confusion: metrics.confusion,
    ece: round(expectedCalibrationErrorOfBins(bins)),
    reliability: bins.map((bin) => ({
      lower: round(bin.lower),
      upper: round(bin.upper),
      count: bin.count,
      meanConfidence: round(bin.meanConfidence),
      accuracy: round(bin.accuracy),
    })),
    threshold: model.threshold,
    targetAccuracy: model.info.targetAccuracy ?? null,
    coverage: round(atThreshold.coverage),
    acceptedAccuracy: atThreshold.acceptedAccuracy === null ? null : round(atThreshold.acceptedAccuracy),
    curve: curve.map((point) => ({
      threshold: point.threshold,
      coverage: round(point.coverage),
      accuracy: round(point.accuracy),
    })),
    coverageAt: { "0.95": round(at95), "0.97": round(at97), "0.99": round(at99) },
    outOfScope: summarizeOutOfScope(outOfScope, outOfScopePredictions, model.threshold),
    latencyMs: { p50: round(p50), p95: round(p95), p99: round(p99) },
    latencySamples: samples.length,
    // A clock that reads 0 elapsed (a trivial model on a coarse timer) must not give Infinity.
    throughputPerSec: round(texts.length / Math.max(batchedSeconds, 1e-9), 2),
    batchSize,
    modelBytes: model.info.modelBytes ?? null,
    trainSeconds: model.info.trainSeconds ?? null,
  };
}

async function predictInBatches(
  model: LabelModel,
  texts: readonly string[],
  batchSize: number,
  signal: AbortSignal | undefined,
): Promise<ClassPrediction[]> {
  const predictions: ClassPrediction[] = [];
  for (let start = 0; start < texts.length; start += batchSize) {
    signal?.throwIfAborted();
    predictions.push(...(await predictChecked(model, texts.slice(start, start + batchSize))));
  }
  return predictions;
}

/** A model that answers with the wrong number of predictions would silently misalign every metric. */
async function predictChecked(model: LabelModel, texts: readonly string[]): Promise<ClassPrediction[]> {
  const predictions = await model.predict(texts);
  if (predictions.length !== texts.length) {
    throw new SlmkitError(
      "MODEL_CORRUPT",
      `${model.reference} returned ${predictions.length} predictions for ${texts.length} texts; a model must answer each text once, in order.`,
    );
  }
  return predictions;
}

function summarizeOutOfScope(
  examples: readonly LabeledExample[],
  predictions: readonly ClassPrediction[],
  threshold: number,
): OutOfScopeSummary {
  const counts = new Map<string, number>();
  for (const example of examples) counts.set(example.label, (counts.get(example.label) ?? 0) + 1);
  const sorted = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return {
    n: examples.length,
    escalated: predictions.filter((prediction) => prediction.confidence < threshold).length,
    // fromEntries defines own properties, so a label such as "__proto__" stays an ordinary key.
    labels: Object.fromEntries(sorted),
  };
}

function noneInScope(model: LabelModel, examples: readonly LabeledExample[]): SlmkitError {
  if (examples.length === 0) {
    return new SlmkitError("EMPTY_DATA", "the test set is empty; give a file with labelled examples.");
  }
  const testLabels = [...new Set(examples.map((example) => example.label))];
  return new SlmkitError(
    "EMPTY_DATA",
    `none of the ${examples.length} test examples has a label the model knows (model: ${listSome(model.labels)}; test: ${listSome(testLabels)}). ` +
      "Check that the test file belongs to this model and that --label-field names the label column.",
  );
}

function listSome(labels: readonly string[]): string {
  const shown = labels.slice(0, 5).map((label) => JSON.stringify(label));
  return labels.length > 5 ? `${shown.join(", ")} and ${labels.length - 5} more` : shown.join(", ");
}

function checkPositiveInteger(value: number, field: string): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new SlmkitError("INVALID_OPTION", `${field} must be a positive integer, got ${value}.`, { field });
  }
}
