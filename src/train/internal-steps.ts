// Steps the hard-label and the soft-target classifier trainers share, so each lives once: split, vectorize, epochs, calibrate, record.

import { stratifiedSplit } from "../data/split.js";
import { SlmkitError } from "../errors.js";
import { expectedCalibrationError } from "../eval/calibration.js";
import { chooseThreshold, type ThresholdChoice } from "../eval/selective.js";
import { goldenSectionMinimum } from "../internal/golden-section.js";
import { createRandom } from "../internal/random.js";
import { NativeClassifier } from "../models/native/classifier.js";
import { computeLogits, type LinearWeights } from "../models/native/linear.js";
import { type ModelRecord, sha256 } from "../models/native/model-directory.js";
import {
  buildVocabulary,
  type SparseRows,
  Vectorizer,
  type Vocabulary,
} from "../models/native/vectorizer.js";
import type { EpochRunner } from "./parallel-sgd.js";
import { shuffledOrder } from "./sgd.js";
// Types only: train-classifier.ts imports this module, so a value import back would be a cycle.
import type { ClassifierHyperparameters, TrainProgress, ValidationFigures } from "./train-classifier.js";

/**
 * The trainers' validation set when none is given: about `fraction` of each stratum (by `stratumOf`) with 2+
 * examples, at least one, held out by `stratifiedSplit` over a stream seeded `seed ^ 0x5eed`. Returns
 * [train, valid], each stratum after stratum in shuffled order.
 */
export function holdOutValidation<Example>(
  examples: readonly Example[],
  stratumOf: (example: Example) => string | number,
  fraction: number,
  seed: number,
): [Example[], Example[]] {
  const [valid = [], train = []] = stratifiedSplit(examples, {
    stratumOf,
    random: createRandom(seed ^ 0x5eed),
    deal: { firstPartSize: (size) => (size >= 2 ? Math.max(1, Math.round(size * fraction)) : 0) },
  });
  return [train, valid];
}

export interface VectorizedSplits {
  vocabulary: Vocabulary;
  trainRows: SparseRows;
  validRows: SparseRows;
}

/** Builds the vocabulary on the training texts and turns both splits into TF-IDF rows over it. */
export function vectorizeSplits(
  trainTexts: readonly string[],
  validTexts: readonly string[],
  hyperparameters: ClassifierHyperparameters,
): VectorizedSplits {
  const vocabulary = buildVocabulary(trainTexts, hyperparameters.features, {
    minCount: hyperparameters.minCount,
    maxFeatures: hyperparameters.maxFeatures,
  });
  if (vocabulary.hashes.length === 0) {
    throw new SlmkitError(
      "TRAINING_FAILED",
      `no feature occurs in ${hyperparameters.minCount} or more training texts; lower minCount or add data.`,
      { field: "minCount" },
    );
  }
  const vectorizer = new Vectorizer(vocabulary);
  return {
    vocabulary,
    trainRows: vectorizer.transformAll(trainTexts),
    validRows: vectorizer.transformAll(validTexts),
  };
}

/** An epoch runner on the calling thread: `epoch` updates `weights` in place and returns the mean loss. */
export function createInlineRunner(
  weights: LinearWeights,
  epoch: (order: Int32Array, learningRate: number) => number,
): EpochRunner {
  return {
    weights,
    runEpoch: async (order, learningRate) => epoch(order, learningRate),
    close: async () => {},
  };
}

/** The epoch kept so far, with a copy of its weights. */
export interface BestEpoch {
  epoch: number;
  accuracy: number;
  loss: number;
  weights: Float32Array;
  bias: Float32Array;
}

export interface EpochLoopOptions {
  /** Closed when the loop ends, however it ends. */
  runner: EpochRunner;
  hyperparameters: ClassifierHyperparameters;
  /** Training examples, shuffled anew each epoch with `seed + epoch`. */
  exampleCount: number;
  seed: number;
  /** `performance.now()` when training began, for `elapsedSeconds`. */
  started: number;
  /** Validation accuracy and loss of the runner's current weights. */
  score: () => { accuracy: number; loss: number };
  /** Whether an epoch scoring `scored` replaces `best`; otherwise it counts towards `patience`. */
  isBetter: (scored: { accuracy: number; loss: number }, best: BestEpoch) => boolean;
  onProgress?: ((progress: TrainProgress) => void) | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * SGD epochs with a linearly decaying step and early stopping on validation; returns the best epoch (epoch 0,
 * the initial weights, if none was better) and one progress line per epoch run.
 */
export async function runEpochs(
  options: EpochLoopOptions,
): Promise<{ best: BestEpoch; history: TrainProgress[] }> {
  const { runner, hyperparameters, signal } = options;
  const weights = runner.weights;
  let best: BestEpoch = {
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
      if (signal?.aborted)
        throw new SlmkitError("TRAINING_FAILED", "training was cancelled.", { cause: signal.reason });
      const learningRate = hyperparameters.learningRate * (1 - (epoch - 1) / epochs);
      const trainLoss = await runner.runEpoch(
        shuffledOrder(options.exampleCount, options.seed + epoch),
        learningRate,
      );
      if (!Number.isFinite(trainLoss)) {
        throw new SlmkitError("TRAINING_FAILED", `training diverged at epoch ${epoch}; lower learningRate.`, {
          field: "learningRate",
        });
      }
      const scored = options.score();
      const progress: TrainProgress = {
        epoch,
        epochs,
        trainLoss,
        validationAccuracy: scored.accuracy,
        validationLoss: scored.loss,
        elapsedSeconds: (performance.now() - options.started) / 1000,
      };
      history.push(progress);
      options.onProgress?.(progress);
      if (options.isBetter(scored, best)) {
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
  return { best, history };
}

/** Validation rows scored against one label each, at a temperature. */
export interface ScoredRows {
  accuracy: number;
  loss: number;
  confidences: number[];
  correct: boolean[];
}

export interface CalibrationInput {
  labels: readonly string[];
  vocabulary: Vocabulary;
  weights: LinearWeights;
  validRows: SparseRows;
  /** The label index each validation row is scored against. */
  validLabels: Int32Array;
  targetAccuracy: number;
  /** Each trainer's own scoring, so its figures stay exactly what they were. */
  score: (weights: LinearWeights, rows: SparseRows, labels: Int32Array, temperature: number) => ScoredRows;
}

/** Fits the temperature and chooses the threshold on validation; returns the finished model and its scores. */
export function calibrateClassifier(input: CalibrationInput): {
  model: NativeClassifier;
  calibrated: ScoredRows;
  choice: ThresholdChoice;
} {
  const temperature = fitTemperature(input.weights, input.validRows, input.validLabels);
  const calibrated = input.score(input.weights, input.validRows, input.validLabels, temperature);
  const choice = chooseThreshold(calibrated.confidences, calibrated.correct, input.targetAccuracy);
  const model = new NativeClassifier({
    labels: input.labels,
    vocabulary: input.vocabulary,
    weights: input.weights,
    temperature,
    threshold: choice.threshold,
  });
  return { model, calibrated, choice };
}

export interface TrainingSummaryInput {
  calibrated: ScoredRows;
  choice: ThresholdChoice;
  best: BestEpoch;
  history: readonly TrainProgress[];
  /** In-scope validation examples. */
  validationCount: number;
  outOfScope: number;
  heldOutFromTrain: boolean;
  hyperparameters: ClassifierHyperparameters;
  threads: number;
  /** Further manifest hyperparameters, after the common ones. */
  extraHyperparameters?: Record<string, unknown>;
  seed: number;
  dataHash: string;
  targetAccuracy: number;
  started: number;
}

/** The validation figures and the manifest record of a finished training run. */
export function summarizeTraining(input: TrainingSummaryInput): {
  validation: ValidationFigures;
  record: ModelRecord;
} {
  const { calibrated, choice } = input;
  const validation: ValidationFigures = {
    n: input.validationCount,
    accuracy: calibrated.accuracy,
    loss: calibrated.loss,
    ece: expectedCalibrationError(calibrated.confidences, calibrated.correct, 15),
    coverage: choice.coverage,
    acceptedAccuracy: choice.accuracy,
    bestEpoch: input.best.epoch,
    outOfScope: input.outOfScope,
    heldOutFromTrain: input.heldOutFromTrain,
  };
  const record: ModelRecord = {
    hyperparameters: {
      ...input.hyperparameters,
      epochsRun: input.history.length,
      bestEpoch: input.best.epoch,
      threads: input.threads,
      ...input.extraHyperparameters,
    },
    seed: input.seed,
    dataHash: input.dataHash,
    targetAccuracy: input.targetAccuracy,
    validation: { ...validation },
    trainSeconds: (performance.now() - input.started) / 1000,
  };
  return { validation, record };
}

/** Temperature minimizing validation negative log-likelihood: golden-section search over log T in [1/20, 20]. */
export function fitTemperature(weights: LinearWeights, rows: SparseRows, targets: Int32Array): number {
  const classCount = weights.classCount;
  const logits: Float64Array[] = [];
  const scratch = new Float64Array(classCount);
  for (let row = 0; row < targets.length; row++) {
    rowLogits(weights, rows, row, scratch);
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

/** Writes the logits of row `row` of `rows` into `output`. */
export function rowLogits(weights: LinearWeights, rows: SparseRows, row: number, output: Float64Array): void {
  computeLogits(
    weights,
    rows.indices,
    rows.values,
    rows.offsets[row] as number,
    rows.offsets[row + 1] as number,
    output,
  );
}

/** The top class, the largest logit / T and log Σ exp(logit / T - that maximum). */
export function logSoftmaxParts(
  logits: Float64Array,
  classCount: number,
  temperature: number,
): { best: number; maximum: number; logSumExp: number } {
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

/** sha256 over the training (and validation) examples, one `line` each, in order: identifies the data. */
export function hashExamples<Example>(
  train: readonly Example[],
  valid: readonly Example[] | undefined,
  line: (example: Example) => string,
): string {
  const lines = train.map(line);
  lines.push("--valid--");
  for (const example of valid ?? []) lines.push(line(example));
  return sha256(lines.join("\n"));
}

/** `value` without its undefined entries, so spreading it does not overwrite defaults. */
export function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}
