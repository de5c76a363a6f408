// Figures the classifier bench and its native training worker both compute, and the JSON shape they exchange.

import { expectedCalibrationError } from "../src/eval/calibration.js";
import {
  chooseThreshold,
  coverageAtAccuracy,
  evaluateAtThreshold,
  exactCoverageCurve,
  standardAccuracyTargets,
} from "../src/eval/selective.js";

/** Coverage at 95/97/99% accepted accuracy, read off the test set's exact coverage curve. */
export interface CoverageAtTargets {
  "0.95": number;
  "0.97": number;
  "0.99": number;
}

/** Accuracy, calibration and selective-prediction figures of one system on one labelled set. */
export interface SelectiveFigures {
  n: number;
  accuracy: number;
  /** Expected calibration error, 15 equal-width bins. */
  ece: number;
  coverageAt: CoverageAtTargets;
}

/** What accepting confidence >= a threshold chosen elsewhere (on validation data) does on the test set. */
export interface AtThresholdFigures {
  threshold: number;
  coverage: number;
  /** Null when nothing is accepted. */
  acceptedAccuracy: number | null;
}

/** Scores predictions with slmkit's own selective-prediction functions, so both systems are read alike. */
export function selectiveFigures(
  confidences: readonly number[],
  correct: readonly boolean[],
): SelectiveFigures {
  const curve = exactCoverageCurve(confidences, correct);
  const [at95, at97, at99] = standardAccuracyTargets.map((target) => coverageAtAccuracy(curve, target)) as [
    number,
    number,
    number,
  ];
  const right = correct.filter(Boolean).length;
  return {
    n: correct.length,
    accuracy: correct.length === 0 ? 0 : right / correct.length,
    ece: expectedCalibrationError(confidences, correct, 15),
    coverageAt: { "0.95": at95, "0.97": at97, "0.99": at99 },
  };
}

export function atThresholdFigures(
  confidences: readonly number[],
  correct: readonly boolean[],
  threshold: number,
): AtThresholdFigures {
  const outcome = evaluateAtThreshold(confidences, correct, threshold);
  return { threshold, coverage: outcome.coverage, acceptedAccuracy: outcome.acceptedAccuracy };
}

/** Labelled predictions of one system on one set: the top label's confidence and whether it was right. */
export interface Scored {
  confidences: number[];
  correct: boolean[];
}

/**
 * What a deployment gets: for each accepted-accuracy target, the threshold chosen on the VALIDATION predictions
 * (slmkit's own `chooseThreshold`, the rule `train` uses) and what it does on the test set. Both systems are
 * read this way, so neither is credited with thresholds read off the test set.
 */
export type AtValidationThresholds = Record<keyof CoverageAtTargets, AtThresholdFigures>;

export function atValidationThresholds(validation: Scored, test: Scored): AtValidationThresholds {
  const at = (target: number) =>
    atThresholdFigures(
      test.confidences,
      test.correct,
      chooseThreshold(validation.confidences, validation.correct, target).threshold,
    );
  return { "0.95": at(0.95), "0.97": at(0.97), "0.99": at(0.99) };
}

/** Figures of the worker's main run: the default native model trained on train, calibrated on valid. */
export interface NativeMainFigures {
  mode: "main";
  labels: number;
  trainExamples: number;
  validExamples: number;
  /** Seconds inside `trainClassifier` (vocabulary, featurization, SGD, temperature, threshold). */
  trainSeconds: number;
  /** CPU seconds (user + system) during `trainClassifier`; more than `trainSeconds` = helper threads. */
  trainCpuSeconds: number;
  /** Seconds reading train and valid JSONL before training. */
  readSeconds: number;
  /** Seconds writing the float32 model directory. */
  saveSeconds: number;
  /**
   * Seconds from process start until the float32 model directory is written: Node and tsx start, reading,
   * training, saving. The like-for-like counterpart of fastText's process wall time.
   */
  processSecondsToSaved: number;
  /** The process's peak resident memory when training had finished (`process.resourceUsage().maxRSS`). */
  peakRssAfterTrainBytes: number;
  epochsRun: number;
  bestEpoch: number;
  featureCount: number;
  validation: {
    accuracy: number;
    temperature: number;
    threshold: number;
    coverage: number;
    acceptedAccuracy: number | null;
  };
  test: SelectiveFigures & {
    /** Null when `evaluateClassifier` could not be loaded or failed (see `notes`). */
    macroF1: number | null;
    atThreshold: AtThresholdFigures;
    /** Thresholds chosen on valid for 95/97/99% (the 97% one is the model's own), read on test. */
    atValidationThresholds: AtValidationThresholds;
  };
  /** With `--autotune`: the search's budget, its trials and the hyperparameters it chose; null without. */
  autotune: { seconds: number; trials: number; chosen: Record<string, unknown> } | null;
  int8: {
    test: SelectiveFigures & { atThreshold: AtThresholdFigures };
    /** int8 minus float32 test accuracy, in points (1 point = 0.01). */
    accuracyChangePoints: number;
    /** The same on validation, as `quantizeWithReport` measures it. */
    validationAccuracyChangePoints: number;
    throughputPerSec: number;
  };
  modelBytes: {
    float32Weights: number;
    float32Directory: number;
    int8Weights: number;
    int8Directory: number;
  };
  /** One text per `predictSync` call over the whole test set, after a warm-up. */
  latencyMs: { p50: number; p95: number; p99: number; calls: number; warmUpCalls: number };
  /** Texts per second, `predictSync` in batches of `batchSize`: median of `passes` passes over test. */
  throughputPerSec: number;
  /**
   * The logits of one text (its sparse vector made beforehand), µs: `computeLogits` in JavaScript and the
   * WebAssembly SIMD path the classifier uses, in alternating passes over the test set (median of `passes`).
   * Null where WebAssembly SIMD cannot run.
   */
  logitsMicroseconds: { javascript: number; webAssembly: number | null };
  batchSize: number;
  passes: number;
  notes: string[];
}

/** Figures of the worker's unknown-intents run: some labels held out of train and valid, met only in test. */
export interface NativeUnknownFigures {
  mode: "unknown";
  heldOutLabels: string[];
  trainExamples: number;
  validExamples: number;
  trainSeconds: number;
  threshold: number;
  /** Test items with a label the model knows. */
  inScope: SelectiveFigures & { atThreshold: AtThresholdFigures };
  /** Test items of the held-out labels: `escalated` of them fall below the threshold. */
  outOfScope: { n: number; escalated: number; escalatedShare: number; byLabel: HeldOutLabelFigures[] };
}

/** One held-out label's test items: how many were escalated, and which known label took most of the rest. */
export interface HeldOutLabelFigures {
  label: string;
  n: number;
  escalated: number;
  /** The known label most of its accepted (not escalated) items were given; null when all were escalated. */
  mostAcceptedAs: string | null;
  mostAcceptedCount: number;
}

/** The worker's `--baseline` run: nothing but the modules loaded, for the memory floor. */
export interface NativeBaselineFigures {
  mode: "baseline";
}

export type NativeWorkerFigures = NativeMainFigures | NativeUnknownFigures | NativeBaselineFigures;
