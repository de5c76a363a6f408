// Trains the native classifier: vocabulary → TF-IDF rows → SGD with early stopping → temperature → threshold.

import { SlmkitError } from "../errors.js";
import { expectedCalibrationError } from "../eval/calibration.js";
import { chooseThreshold } from "../eval/selective.js";
import { goldenSectionMinimum } from "../internal/golden-section.js";
import { createRandom } from "../internal/random.js";
import { NativeClassifier } from "../models/native/classifier.js";
import { computeLogits, createLinearWeights, type LinearWeights } from "../models/native/linear.js";
import type { ModelRecord } from "../models/native/model-directory.js";
import { sha256 } from "../models/native/model-directory.js";
import { buildVocabulary, type SparseRows, Vectorizer } from "../models/native/vectorizer.js";
import { defaultFeatureConfig, type FeatureConfig } from "../text/features.js";
import type { LabeledExample } from "../types.js";
import { type EpochRunner, startParallelSgd } from "./parallel-sgd.js";
import { sgdEpoch, shuffledOrder } from "./sgd.js";

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
  if (heldOutFromTrain) [trainSet, validSet] = holdOut(train, 0.1, seed);
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

  const vocabulary = buildVocabulary(
    trainSet.map((example) => example.text),
    hyperparameters.features,
    { minCount: hyperparameters.minCount, maxFeatures: hyperparameters.maxFeatures },
  );
  if (vocabulary.hashes.length === 0) {
    throw new SlmkitError(
      "TRAINING_FAILED",
      `no feature occurs in ${hyperparameters.minCount} or more training texts; lower minCount or add data.`,
      { field: "minCount" },
    );
  }
  const vectorizer = new Vectorizer(vocabulary);
  const trainRows = vectorizer.transformAll(trainSet.map((example) => example.text));
  const validRows = vectorizer.transformAll(inScopeValid.map((example) => example.text));
  const trainTargets = Int32Array.from(trainSet, (example) => labelIndex.get(example.label) as number);
  const validTargets = Int32Array.from(inScopeValid, (example) => labelIndex.get(example.label) as number);

  const initial = createLinearWeights(vocabulary.hashes.length, labels.length);
  const runner: EpochRunner =
    threads > 1
      ? await startParallelSgd(initial, trainRows, trainTargets, threads)
      : {
          weights: initial,
          runEpoch: async (order, learningRate) =>
            sgdEpoch(initial, trainRows, trainTargets, order, { learningRate }),
          close: async () => {},
        };
  const weights = runner.weights;
  let best = {
    epoch: 0,
    accuracy: -1,
    loss: Number.POSITIVE_INFINITY,
    weights: weights.weights.slice(),
    bias: weights.bias.slice(),
  };
  const history: TrainProgress[] = [];
  const epochs = hyperparameters.epochs;
  try {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      if (options.signal?.aborted)
        throw new SlmkitError("TRAINING_FAILED", "training was cancelled.", { cause: options.signal.reason });
      const learningRate = hyperparameters.learningRate * (1 - (epoch - 1) / epochs);
      const trainLoss = await runner.runEpoch(shuffledOrder(trainSet.length, seed + epoch), learningRate);
      if (!Number.isFinite(trainLoss)) {
        throw new SlmkitError("TRAINING_FAILED", `training diverged at epoch ${epoch}; lower learningRate.`, {
          field: "learningRate",
        });
      }
      const scored = scoreRows(weights, validRows, validTargets, 1);
      const progress: TrainProgress = {
        epoch,
        epochs,
        trainLoss,
        validationAccuracy: scored.accuracy,
        validationLoss: scored.loss,
        elapsedSeconds: (performance.now() - started) / 1000,
      };
      history.push(progress);
      options.onProgress?.(progress);
      if (scored.accuracy > best.accuracy || (scored.accuracy === best.accuracy && scored.loss < best.loss)) {
        best = {
          epoch,
          accuracy: scored.accuracy,
          loss: scored.loss,
          weights: weights.weights.slice(),
          bias: weights.bias.slice(),
        };
      } else if (epoch - best.epoch >= hyperparameters.patience) {
        break;
      }
    }
  } finally {
    await runner.close();
  }
  // The best epoch's weights, in ordinary (not shared) memory.
  const finalWeights: LinearWeights = { ...initial, weights: best.weights, bias: best.bias };

  const temperature = fitTemperature(finalWeights, validRows, validTargets);
  const calibrated = scoreRows(finalWeights, validRows, validTargets, temperature);
  const choice = chooseThreshold(calibrated.confidences, calibrated.correct, targetAccuracy);
  const model = new NativeClassifier({
    labels,
    vocabulary,
    weights: finalWeights,
    temperature,
    threshold: choice.threshold,
  });
  const trainSeconds = (performance.now() - started) / 1000;
  const validation: ValidationFigures = {
    n: inScopeValid.length,
    accuracy: calibrated.accuracy,
    loss: calibrated.loss,
    ece: expectedCalibrationError(calibrated.confidences, calibrated.correct, 15),
    coverage: choice.coverage,
    acceptedAccuracy: choice.accuracy,
    bestEpoch: best.epoch,
    outOfScope: validSet.length - inScopeValid.length,
    heldOutFromTrain,
  };
  const record: ModelRecord = {
    hyperparameters: { ...hyperparameters, epochsRun: history.length, bestEpoch: best.epoch, threads },
    seed,
    dataHash: hashData(train, options.valid),
    targetAccuracy,
    validation: { ...validation },
    trainSeconds,
  };
  return { model, record, validation, validationExamples: inScopeValid, history };
}

interface ScoredRows {
  accuracy: number;
  loss: number;
  confidences: number[];
  correct: boolean[];
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
    computeLogits(
      weights,
      rows.indices,
      rows.values,
      rows.offsets[row] as number,
      rows.offsets[row + 1] as number,
      logits,
    );
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

function logSoftmaxParts(logits: Float64Array, classCount: number, temperature: number) {
  let best = 0;
  let maximum = Number.NEGATIVE_INFINITY;
  for (let c = 0; c < classCount; c++) {
    const value = (logits[c] as number) / temperature;
    if (value > maximum) {
      maximum = value;
      best = c;
    }
  }
  let sum = 0;
  for (let c = 0; c < classCount; c++) sum += Math.exp((logits[c] as number) / temperature - maximum);
  return { best, maximum, logSumExp: Math.log(sum) };
}

/** Temperature minimizing validation negative log-likelihood: golden-section search over log T in [1/20, 20]. */
export function fitTemperature(weights: LinearWeights, rows: SparseRows, targets: Int32Array): number {
  const classCount = weights.classCount;
  const logits: Float64Array[] = [];
  const scratch = new Float64Array(classCount);
  for (let row = 0; row < targets.length; row++) {
    computeLogits(
      weights,
      rows.indices,
      rows.values,
      rows.offsets[row] as number,
      rows.offsets[row + 1] as number,
      scratch,
    );
    logits.push(scratch.slice());
  }
  const nll = (logTemperature: number): number => {
    const temperature = Math.exp(logTemperature);
    let loss = 0;
    logits.forEach((row, index) => {
      const { logSumExp, maximum } = logSoftmaxParts(row, classCount, temperature);
      loss += logSumExp - ((row[targets[index] as number] as number) / temperature - maximum);
    });
    return loss;
  };
  return Math.exp(goldenSectionMinimum(nll, Math.log(1 / 20), Math.log(20), 40));
}

/** Stratified hold-out: about `fraction` of each label with 2+ examples goes to validation. */
function holdOut(
  examples: readonly LabeledExample[],
  fraction: number,
  seed: number,
): [LabeledExample[], LabeledExample[]] {
  const byLabel = new Map<string, LabeledExample[]>();
  for (const example of examples) {
    const group = byLabel.get(example.label) ?? [];
    group.push(example);
    byLabel.set(example.label, group);
  }
  const random = createRandom(seed ^ 0x5eed);
  const kept: LabeledExample[] = [];
  const held: LabeledExample[] = [];
  for (const label of [...byLabel.keys()].sort()) {
    const group = random.shuffle([...(byLabel.get(label) as LabeledExample[])]);
    const count = group.length >= 2 ? Math.max(1, Math.round(group.length * fraction)) : 0;
    held.push(...group.slice(0, count));
    kept.push(...group.slice(count));
  }
  return [kept, held];
}

/** sha256 over the training (and validation) examples, in order: identifies the data a model was trained on. */
export function hashData(train: readonly LabeledExample[], valid?: readonly LabeledExample[]): string {
  const lines = train.map((example) => JSON.stringify([example.text, example.label]));
  lines.push("--valid--");
  for (const example of valid ?? []) lines.push(JSON.stringify([example.text, example.label]));
  return sha256(lines.join("\n"));
}

export function resolveHyperparameters(overrides: HyperparameterOverrides = {}): ClassifierHyperparameters {
  const merged: ClassifierHyperparameters = {
    ...defaultHyperparameters,
    ...Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined)),
    features: {
      ...defaultHyperparameters.features,
      ...Object.fromEntries(
        Object.entries(overrides.features ?? {}).filter(([, value]) => value !== undefined),
      ),
    },
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
