// Trains the native classifier on soft targets (a teacher's distributions over labels): the distillation student.

import { SlmkitError } from "../errors.js";
import {
  computeLogits,
  createLinearWeights,
  type LinearWeights,
  softmaxInPlace,
} from "../models/native/linear.js";
import type { SparseRows } from "../models/native/vectorizer.js";
import type { LabeledExample } from "../types.js";
import {
  calibrateClassifier,
  createInlineRunner,
  definedOnly,
  hashExamples,
  holdOutValidation,
  rowLogits,
  runEpochs,
  type ScoredRows,
  summarizeTraining,
  vectorizeSplits,
} from "./internal-steps.js";
import {
  type HyperparameterOverrides,
  resolveHyperparameters,
  type TrainedClassifier,
  type TrainProgress,
  validateNumber,
} from "./train-classifier.js";

/** A text and the teacher's distribution over the labels. */
export interface SoftExample {
  text: string;
  /** One probability per label of `labels`, in that order; they sum to 1. */
  probabilities: ArrayLike<number>;
}

/**
 * Student hyperparameters where they differ from `trainClassifier`'s. Soft targets carry no label noise to
 * memorise, so the student gains from fitting them closely: on banking77 (teacher on half of train, bench/
 * distill.ts) the student reached 97.5% of the teacher's test accuracy at the hard-label schedule (15 epochs,
 * step 0.5) and 99.2% at this one; 50 epochs gave about a quarter point more for two thirds more time.
 */
export const defaultSoftHyperparameters: HyperparameterOverrides = { epochs: 30, learningRate: 2 };

/**
 * Default distillation temperature. On banking77 (bench/distill.ts) the student reached 97.4% of the teacher
 * at T = 1 (seed 42) and, over three seeds, 98.5-99.0% at T = 2, 99.2-99.3% at T = 3, 98.9-99.3% at T = 4.
 */
export const defaultDistillationTemperature = 3;

/**
 * Default weight of the hard label in each target. On banking77 0.1 and 0 are within noise of each other
 * (99.2-99.3% against 98.7-99.5% of the teacher over three seeds) and 0.3 was worse (98.6%, seed 42); 0.1 is
 * kept because it holds the student's top label on the teacher's where softening brings two labels close.
 */
export const defaultHardLabelWeight = 0.1;

export interface TrainSoftClassifierOptions {
  /** The label set, in the order of every example's `probabilities`. */
  labels: readonly string[];
  /**
   * Validation examples, never trained on: the epoch kept is the one with the lowest cross-entropy to their
   * (softened) targets; the temperature and threshold are fitted against their most probable labels.
   * Default: 10% of `train`, stratified by most probable label.
   */
  valid?: readonly SoftExample[];
  /**
   * Distillation temperature T: each target p becomes p^(1/T), renormalised (the teacher's logits divided by
   * T), so the student also learns how the teacher ranks the labels it did not pick. 1 keeps the targets as
   * given. Default 3.
   */
  distillationTemperature?: number;
  /**
   * Share of each target given to its most probable label as a hard label: the target is
   * (1 - w) · softened + w · one-hot (classic knowledge distillation's mix of the soft and the hard loss).
   * Keeps the student's top label on the teacher's when softening brings two labels close. Default 0.1.
   */
  hardLabelWeight?: number;
  /** Seed for shuffling and the validation split. Default 42. */
  seed?: number;
  /** Accepted accuracy (against the teacher's top labels) the threshold is chosen for. Default 0.97. */
  targetAccuracy?: number;
  /** Overrides of `defaultSoftHyperparameters`, then of `trainClassifier`'s defaults. */
  hyperparameters?: HyperparameterOverrides;
  onProgress?: (progress: TrainProgress) => void;
  signal?: AbortSignal;
}

/**
 * Trains a calibrated native classifier by SGD on the cross-entropy to soft targets (knowledge distillation).
 * One thread, so deterministic: the same data, options and seed give byte-identical weights.
 */
export async function trainSoftClassifier(
  train: readonly SoftExample[],
  options: TrainSoftClassifierOptions,
): Promise<TrainedClassifier> {
  const started = performance.now();
  const seed = options.seed ?? 42;
  const targetAccuracy = options.targetAccuracy ?? 0.97;
  const distillationTemperature = options.distillationTemperature ?? defaultDistillationTemperature;
  validateNumber("seed", seed, { integer: true, minimum: 0 });
  validateNumber("targetAccuracy", targetAccuracy, { minimum: 0, exclusiveMinimum: true, maximum: 1 });
  validateNumber("distillationTemperature", distillationTemperature, {
    minimum: 0,
    exclusiveMinimum: true,
    maximum: 100,
  });
  const hardLabelWeight = options.hardLabelWeight ?? defaultHardLabelWeight;
  validateNumber("hardLabelWeight", hardLabelWeight, { minimum: 0, maximum: 1 });
  const hyperparameters = resolveHyperparameters({
    ...defaultSoftHyperparameters,
    ...definedOnly(options.hyperparameters ?? {}),
    features: options.hyperparameters?.features ?? {},
  });
  // The student's labels are sorted like trainClassifier's; `order[i]` is the given index of sorted label i.
  const labels = [...options.labels].sort();
  if (new Set(labels).size !== labels.length || labels.length < 2) {
    throw new SlmkitError(
      "ONE_CLASS",
      "soft-target training needs two or more distinct labels; check the teacher's label set.",
    );
  }
  const order = labels.map((label) => options.labels.indexOf(label));
  for (const example of [...train, ...(options.valid ?? [])]) checkDistribution(example, labels.length);
  if (train.length === 0) throw new SlmkitError("EMPTY_DATA", "no training texts for the student.");

  let trainSet: readonly SoftExample[] = train;
  let validSet: readonly SoftExample[] = options.valid ?? [];
  if (validSet.length === 0) [trainSet, validSet] = holdOutByTopLabel(train, 0.1, seed);
  if (trainSet.length === 0 || validSet.length === 0) {
    throw new SlmkitError("EMPTY_DATA", "too few texts to both train and validate the student; give more.");
  }

  const { vocabulary, trainRows, validRows } = vectorizeSplits(
    trainSet.map((example) => example.text),
    validSet.map((example) => example.text),
    hyperparameters,
  );
  const classCount = labels.length;
  const trainTargets = softenedTargets(trainSet, order, distillationTemperature, hardLabelWeight);
  const validTargets = softenedTargets(validSet, order, distillationTemperature, hardLabelWeight);
  const validTopLabels = topLabels(validTargets, validSet.length, classCount);

  const weights = createLinearWeights(vocabulary.hashes.length, classCount);
  const { best, history } = await runEpochs({
    runner: createInlineRunner(weights, (epochOrder, learningRate) =>
      softSgdEpoch(weights, trainRows, trainTargets, epochOrder, learningRate),
    ),
    hyperparameters,
    exampleCount: trainSet.length,
    seed,
    started,
    score: () => scoreSoft(weights, validRows, validTargets, validTopLabels),
    // Kept by loss, not accuracy: against soft targets it is the quantity trained, and far less noisy.
    isBetter: (scored, kept) => scored.loss < kept.loss,
    onProgress: options.onProgress,
    signal: options.signal,
  });
  const finalWeights: LinearWeights = { ...weights, weights: best.weights, bias: best.bias };

  const { model, calibrated, choice } = calibrateClassifier({
    labels,
    vocabulary,
    weights: finalWeights,
    validRows,
    validLabels: validTopLabels,
    targetAccuracy,
    score: scoreTop,
  });
  const { validation, record } = summarizeTraining({
    calibrated,
    choice,
    best,
    history,
    validationCount: validSet.length,
    outOfScope: 0,
    heldOutFromTrain: options.valid === undefined || options.valid.length === 0,
    hyperparameters,
    threads: 1,
    extraHyperparameters: { loss: "soft-cross-entropy", distillationTemperature, hardLabelWeight },
    seed,
    dataHash: hashSoftData(train, options.valid),
    targetAccuracy,
    started,
  });
  const validationExamples: LabeledExample[] = validSet.map((example, index) => ({
    text: example.text,
    label: labels[validTopLabels[index] as number] as string,
  }));
  return { model, record, validation, validationExamples, history };
}

/**
 * One SGD pass over `order`, updating `model` in place; returns the mean cross-entropy to the targets. The
 * gradient of softmax cross-entropy against a distribution q is `(p - q) ⊗ x`; `targets` is row-major n × C.
 */
function softSgdEpoch(
  model: LinearWeights,
  rows: SparseRows,
  targets: Float32Array,
  order: Int32Array,
  learningRate: number,
): number {
  const { weights, bias, classCount } = model;
  const { offsets, indices, values } = rows;
  const gradient = new Float64Array(classCount);
  const active = new Int32Array(classCount);
  let loss = 0;
  for (let o = 0; o < order.length; o++) {
    const row = order[o] as number;
    const start = offsets[row] as number;
    const end = offsets[row + 1] as number;
    const base = row * classCount;
    computeLogits(model, indices, values, start, end, gradient);
    softmaxInPlace(gradient, classCount);
    let activeCount = 0;
    for (let c = 0; c < classCount; c++) {
      const target = targets[base + c] as number;
      const probability = gradient[c] as number;
      if (target > 0) loss -= target * Math.log(Math.max(probability, 1e-12));
      const step = probability - target;
      gradient[c] = step;
      // As in sgd.ts: a negligible gradient is noise, and skipping it keeps late epochs fast.
      if (step > 1e-4 || step < -1e-4) {
        active[activeCount++] = c;
        bias[c] = (bias[c] as number) - learningRate * step;
      }
    }
    for (let k = start; k < end; k++) {
      const scaled = learningRate * (values[k] as number);
      const offset = (indices[k] as number) * classCount;
      for (let a = 0; a < activeCount; a++) {
        const c = active[a] as number;
        weights[offset + c] = (weights[offset + c] as number) - scaled * (gradient[c] as number);
      }
    }
  }
  return loss / Math.max(order.length, 1);
}

/** Cross-entropy to the soft targets and accuracy against their top labels, at temperature 1. */
function scoreSoft(
  weights: LinearWeights,
  rows: SparseRows,
  targets: Float32Array,
  topLabels: Int32Array,
): { loss: number; accuracy: number } {
  const classCount = weights.classCount;
  const probabilities = new Float64Array(classCount);
  let loss = 0;
  let right = 0;
  for (let row = 0; row < topLabels.length; row++) {
    rowLogits(weights, rows, row, probabilities);
    const best = softmaxInPlace(probabilities, classCount);
    if (best === topLabels[row]) right++;
    for (let c = 0; c < classCount; c++) {
      const target = targets[row * classCount + c] as number;
      if (target > 0) loss -= target * Math.log(Math.max(probabilities[c] as number, 1e-12));
    }
  }
  const n = Math.max(topLabels.length, 1);
  return { loss: loss / n, accuracy: right / n };
}

/**
 * Calibrated confidences and correctness against the top labels, at `temperature`. The same figures as
 * trainClassifier's scoreRows, but by softmax rather than log-softmax: they can round differently in the last
 * bits, and sharing one would risk moving the threshold of students trained so far.
 */
function scoreTop(
  weights: LinearWeights,
  rows: SparseRows,
  topLabels: Int32Array,
  temperature: number,
): ScoredRows {
  const classCount = weights.classCount;
  const probabilities = new Float64Array(classCount);
  const confidences: number[] = [];
  const correct: boolean[] = [];
  let loss = 0;
  for (let row = 0; row < topLabels.length; row++) {
    rowLogits(weights, rows, row, probabilities);
    const best = softmaxInPlace(probabilities, classCount, temperature);
    const target = topLabels[row] as number;
    loss -= Math.log(Math.max(probabilities[target] as number, 1e-12));
    confidences.push(probabilities[best] as number);
    correct.push(best === target);
  }
  const n = Math.max(topLabels.length, 1);
  return { accuracy: correct.filter(Boolean).length / n, loss: loss / n, confidences, correct };
}

/**
 * Targets in sorted-label order as one n × C array: each softened by `temperature`, renormalised, then mixed
 * with the one-hot of its most probable label at `hardLabelWeight`.
 */
function softenedTargets(
  examples: readonly SoftExample[],
  order: readonly number[],
  temperature: number,
  hardLabelWeight: number,
): Float32Array {
  const classCount = order.length;
  const targets = new Float32Array(examples.length * classCount);
  const row = new Float64Array(classCount);
  examples.forEach((example, index) => {
    let sum = 0;
    let top = 0;
    for (let c = 0; c < classCount; c++) {
      const probability = Math.max(Number(example.probabilities[order[c] as number]), 0);
      const softened = temperature === 1 ? probability : probability ** (1 / temperature);
      row[c] = softened;
      sum += softened;
      if (softened > (row[top] as number)) top = c;
    }
    for (let c = 0; c < classCount; c++) {
      const soft = ((row[c] as number) / sum) * (1 - hardLabelWeight);
      targets[index * classCount + c] = c === top ? soft + hardLabelWeight : soft;
    }
  });
  return targets;
}

/** The most probable label of each target row (ties to the lower index: deterministic). */
function topLabels(targets: Float32Array, count: number, classCount: number): Int32Array {
  const top = new Int32Array(count);
  for (let row = 0; row < count; row++) {
    let best = 0;
    for (let c = 1; c < classCount; c++) {
      if ((targets[row * classCount + c] as number) > (targets[row * classCount + best] as number)) best = c;
    }
    top[row] = best;
  }
  return top;
}

function checkDistribution(example: SoftExample, classCount: number): void {
  const probabilities = example.probabilities;
  let sum = 0;
  let valid = probabilities.length === classCount;
  for (let c = 0; valid && c < classCount; c++) {
    const probability = Number(probabilities[c]);
    if (!Number.isFinite(probability) || probability < 0) valid = false;
    sum += probability;
  }
  if (!valid || !(sum > 0)) {
    throw new SlmkitError(
      "INVALID_DATA",
      `a soft target must hold ${classCount} finite, non-negative probabilities with a positive sum (text: ${JSON.stringify(example.text.slice(0, 60))}).`,
    );
  }
}

/** Stratified by top label: about `fraction` of each label with 2+ texts goes to validation. */
function holdOutByTopLabel(
  examples: readonly SoftExample[],
  fraction: number,
  seed: number,
): [SoftExample[], SoftExample[]] {
  const topLabel = (example: SoftExample): number => {
    let best = 0;
    for (let c = 1; c < example.probabilities.length; c++) {
      if (Number(example.probabilities[c]) > Number(example.probabilities[best])) best = c;
    }
    return best;
  };
  return holdOutValidation(examples, topLabel, fraction, seed);
}

/** sha256 over the texts and targets (and validation), in order: identifies the data a student learnt. */
function hashSoftData(train: readonly SoftExample[], valid?: readonly SoftExample[]): string {
  const line = (example: SoftExample) =>
    JSON.stringify([
      example.text,
      Array.from(example.probabilities, (value) => Number(value).toPrecision(9)),
    ]);
  return hashExamples(train, valid, line);
}
