// Trains the native classifier: vocabulary → TF-IDF rows → SGD with early stopping → temperature → threshold.

import { SlmkitError } from "../errors.js";
import type { NativeClassifier } from "../models/native/classifier.js";
import { createLinearWeights, type LinearWeights } from "../models/native/linear.js";
import type { ModelRecord } from "../models/native/model-directory.js";
import type { SparseRows } from "../models/native/vectorizer.js";
import { defaultFeatureConfig, type FeatureConfig } from "../text/features.js";
import type { LabeledExample } from "../types.js";
import {
  calibrateClassifier,
  createInlineRunner,
  definedOnly,
  hashExamples,
  holdOutValidation,
  logSoftmaxParts,
  rowLogits,
  runEpochs,
  type ScoredRows,
  summarizeTraining,
  vectorizeSplits,
} from "./internal-steps.js";
import { type EpochRunner, startParallelSgd } from "./parallel-sgd.js";
import { sgdEpoch } from "./sgd.js";

/** Training hyperparameters. Every field has a default tuned on banking77 (see README, "Benchmarks"). */
export interface ClassifierHyperparameters {
  /** Word and character n-gram ranges. Default words 1-2, characters 2-5. */
  features: FeatureConfig;
  /** Largest number of passes over the training data. Default 15. */
  epochs: number;
  /** Initial SGD step, decayed linearly to 0 over `epochs`. Default 0.5. */
  learningRate: number;
  /** Stop after this many epochs without a better validation score. Default 4. */
  patience: number;
  /** Keep features seen in at least this many training texts. Default 2. */
  minCount: number;
  /** Keep at most this many features (the most frequent). Default 200,000. */
  maxFeatures: number;
}

/** Hyperparameters to override; unset ones keep their defaults (also inside `features`). */
export type HyperparameterOverrides = Partial<Omit<ClassifierHyperparameters, "features">> & {
  features?: Partial<FeatureConfig>;
};

export const defaultHyperparameters: ClassifierHyperparameters = {
  features: defaultFeatureConfig,
  epochs: 15,
  learningRate: 0.5,
  patience: 4,
  minCount: 2,
  maxFeatures: 200_000,
};

/** One line of training progress, reported after every epoch. */
export interface TrainProgress {
  epoch: number;
  epochs: number;
  trainLoss: number;
  validationAccuracy: number;
  validationLoss: number;
  elapsedSeconds: number;
}

export interface TrainClassifierOptions {
  /** Validation examples for early stopping, calibration and the threshold. Default: 10% of `train`, stratified. */
  valid?: readonly LabeledExample[];
  /** Seed for shuffling and the held-out split. Default 42. */
  seed?: number;
  /** Accepted accuracy the threshold is chosen for, on validation data. Default 0.97. */
  targetAccuracy?: number;
  /** Overrides of the default hyperparameters. */
  hyperparameters?: HyperparameterOverrides;
  /**
   * Worker threads for SGD. Default 1, the only setting whose weights are byte-identical run to run: with
   * more, workers update shared weights without locks (Hogwild!, like fastText) and the interleaving varies.
   */
  threads?: number;
  onProgress?: (progress: TrainProgress) => void;
  signal?: AbortSignal;
}

export interface TrainedClassifier {
  model: NativeClassifier;
  /** What `saveNativeModel` records in the manifest. */
  record: ModelRecord;
  /** Validation figures at the chosen epoch. */
  validation: ValidationFigures;
  /** The in-scope validation examples the figures, temperature and threshold come from. */
  validationExamples: readonly LabeledExample[];
  history: TrainProgress[];
}

export interface ValidationFigures {
  n: number;
  accuracy: number;
  loss: number;
  ece: number;
  coverage: number;
  acceptedAccuracy: number | null;
  bestEpoch: number;
  /** Validation items whose label is not among the training labels: left out of the figures. */
  outOfScope: number;
  heldOutFromTrain: boolean;
}

/** Trains a calibrated native classifier. Deterministic: same data, options and seed give identical weights. */
export async function trainClassifier(
  train: readonly LabeledExample[],
  options: TrainClassifierOptions = {},
): Promise<TrainedClassifier> {
  const started = performance.now();
  const seed = options.seed ?? 42;
  const threads = options.threads ?? 1;
  validateNumber("threads", threads, { integer: true, minimum: 1, maximum: 256 });
  const targetAccuracy = options.targetAccuracy ?? 0.97;
  const hyperparameters = resolveHyperparameters(options.hyperparameters);
  validateNumber("seed", seed, { integer: true, minimum: 0 });
  validateNumber("targetAccuracy", targetAccuracy, { minimum: 0, exclusiveMinimum: true, maximum: 1 });
  if (train.length === 0)
    throw new SlmkitError("EMPTY_DATA", "the training set is empty; give at least two labels with examples.");

  let trainSet: readonly LabeledExample[] = train;
  let validSet: readonly LabeledExample[];
  const heldOutFromTrain = options.valid === undefined || options.valid.length === 0;
  if (heldOutFromTrain)
    [trainSet, validSet] = holdOutValidation(train, (example) => example.label, 0.1, seed);
  else validSet = options.valid as readonly LabeledExample[];

  const labels = [...new Set(trainSet.map((example) => example.label))].sort();
  if (labels.length < 2) {
    throw new SlmkitError(
      "ONE_CLASS",
      `the training data has only one label (${JSON.stringify(labels[0])}); a classifier needs at least two.`,
    );
  }
  const labelIndex = new Map(labels.map((label, index) => [label, index]));
  const inScopeValid = validSet.filter((example) => labelIndex.has(example.label));
  if (inScopeValid.length === 0) {
    throw new SlmkitError(
      "EMPTY_DATA",
      "no validation example has a label seen in training; check the validation file.",
    );
  }

  const { vocabulary, trainRows, validRows } = vectorizeSplits(
    trainSet.map((example) => example.text),
    inScopeValid.map((example) => example.text),
    hyperparameters,
  );
  const trainTargets = Int32Array.from(trainSet, (example) => labelIndex.get(example.label) as number);
  const validTargets = Int32Array.from(inScopeValid, (example) => labelIndex.get(example.label) as number);

  const initial = createLinearWeights(vocabulary.hashes.length, labels.length);
  const runner: EpochRunner =
    threads > 1
      ? await startParallelSgd(initial, trainRows, trainTargets, threads)
      : createInlineRunner(initial, (order, learningRate) =>
          sgdEpoch(initial, trainRows, trainTargets, order, { learningRate }),
        );
  const { best, history } = await runEpochs({
    runner,
    hyperparameters,
    exampleCount: trainSet.length,
    seed,
    started,
    score: () => scoreRows(runner.weights, validRows, validTargets, 1),
    isBetter: (scored, kept) =>
      scored.accuracy > kept.accuracy || (scored.accuracy === kept.accuracy && scored.loss < kept.loss),
    onProgress: options.onProgress,
    signal: options.signal,
  });
  // The best epoch's weights, in ordinary (not shared) memory.
  const finalWeights: LinearWeights = { ...initial, weights: best.weights, bias: best.bias };

  const { model, calibrated, choice } = calibrateClassifier({
    labels,
    vocabulary,
    weights: finalWeights,
    validRows,
    validLabels: validTargets,
    targetAccuracy,
    score: scoreRows,
  });
  const { validation, record } = summarizeTraining({
    calibrated,
    choice,
    best,
    history,
    validationCount: inScopeValid.length,
    outOfScope: validSet.length - inScopeValid.length,
    heldOutFromTrain,
    hyperparameters,
    threads,
    seed,
    dataHash: hashData(train, options.valid),
    targetAccuracy,
    started,
  });
  return { model, record, validation, validationExamples: inScopeValid, history };
}

function scoreRows(
  weights: LinearWeights,
  rows: SparseRows,
  targets: Int32Array,
  temperature: number,
): ScoredRows {
  const classCount = weights.classCount;
  const logits = new Float64Array(classCount);
  const confidences: number[] = [];
  const correct: boolean[] = [];
  let right = 0;
  let loss = 0;
  for (let row = 0; row < targets.length; row++) {
    rowLogits(weights, rows, row, logits);
    const target = targets[row] as number;
    const { best, logSumExp, maximum } = logSoftmaxParts(logits, classCount, temperature);
    loss += logSumExp - ((logits[target] as number) / temperature - maximum);
    const confidence = Math.exp((logits[best] as number) / temperature - maximum - logSumExp);
    confidences.push(confidence);
    correct.push(best === target);
    if (best === target) right++;
  }
  const n = Math.max(targets.length, 1);
  return { accuracy: right / n, loss: loss / n, confidences, correct };
}

// Lives with the other shared steps; still exported here, where it has always been.
export { fitTemperature } from "./internal-steps.js";

/** sha256 over the training (and validation) examples, in order: identifies the data a model was trained on. */
export function hashData(train: readonly LabeledExample[], valid?: readonly LabeledExample[]): string {
  return hashExamples(train, valid, (example) => JSON.stringify([example.text, example.label]));
}

export function resolveHyperparameters(overrides: HyperparameterOverrides = {}): ClassifierHyperparameters {
  const merged: ClassifierHyperparameters = {
    ...defaultHyperparameters,
    ...definedOnly(overrides),
    features: { ...defaultHyperparameters.features, ...definedOnly(overrides.features ?? {}) },
  };
  validateNumber("epochs", merged.epochs, { integer: true, minimum: 1, maximum: 1000 });
  validateNumber("learningRate", merged.learningRate, { minimum: 0, exclusiveMinimum: true, maximum: 100 });
  validateNumber("patience", merged.patience, { integer: true, minimum: 1 });
  validateNumber("minCount", merged.minCount, { integer: true, minimum: 1 });
  validateNumber("maxFeatures", merged.maxFeatures, { integer: true, minimum: 1, maximum: 50_000_000 });
  validateNumber("wordNgrams", merged.features.wordNgrams, { integer: true, minimum: 1, maximum: 5 });
  validateNumber("minCharNgram", merged.features.minCharNgram, { integer: true, minimum: 0, maximum: 10 });
  validateNumber("maxCharNgram", merged.features.maxCharNgram, { integer: true, minimum: 0, maximum: 10 });
  if (merged.features.minCharNgram > merged.features.maxCharNgram) {
    throw new SlmkitError(
      "INVALID_OPTION",
      `minCharNgram (${merged.features.minCharNgram}) must not exceed maxCharNgram (${merged.features.maxCharNgram}).`,
      { field: "minCharNgram" },
    );
  }
  return merged;
}

/** Rejects NaN, infinities and out-of-range values with an error that names the option. */
export function validateNumber(
  name: string,
  value: number,
  rule: { integer?: boolean; minimum?: number; exclusiveMinimum?: boolean; maximum?: number },
): void {
  const problems: string[] = [];
  if (typeof value !== "number" || !Number.isFinite(value)) problems.push("must be a finite number");
  else {
    if (rule.integer && !Number.isInteger(value)) problems.push("must be an integer");
    if (
      rule.minimum !== undefined &&
      (rule.exclusiveMinimum ? value <= rule.minimum : value < rule.minimum)
    ) {
      problems.push(`must be ${rule.exclusiveMinimum ? ">" : ">="} ${rule.minimum}`);
    }
    if (rule.maximum !== undefined && value > rule.maximum) problems.push(`must be <= ${rule.maximum}`);
  }
  if (problems.length > 0) {
    throw new SlmkitError("INVALID_OPTION", `${name} ${problems.join(" and ")}, got ${String(value)}.`, {
      field: name,
    });
  }
}
