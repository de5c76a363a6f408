// The whole `slmkit train` job as a library call: read data, train (or autotune), optionally quantize, save; also for span data.

import { readClassificationData, readSpanData } from "../data/io.js";
import { chooseThreshold, evaluateAtThreshold } from "../eval/selective.js";
import type { NativeClassifier } from "../models/native/classifier.js";
import { saveNativeExtractor } from "../models/native/extractor-directory.js";
import {
  type ExtractorManifest,
  type ModelManifest,
  saveNativeModel,
} from "../models/native/model-directory.js";
import { quantizeClassifier } from "../models/native/quantize.js";
import { referenceFiles } from "../monitor/reference.js";
import type { ExtractFieldType } from "../text/normalizers/index.js";
import type { LabeledExample } from "../types.js";
import { type AutotuneTrial, autotuneClassifier } from "./autotune.js";
import {
  type HyperparameterOverrides,
  type TrainedClassifier,
  type TrainProgress,
  trainClassifier,
} from "./train-classifier.js";
import { type ExtractorProgress, type TrainedExtractor, trainExtractor } from "./train-extractor.js";

export interface TrainRunOptions {
  train: string;
  valid?: string;
  out: string;
  /** JSONL key / CSV column of the text and label. Defaults "text" and "label". */
  textField?: string;
  labelField?: string;
  seed?: number;
  targetAccuracy?: number;
  hyperparameters?: HyperparameterOverrides;
  /** Seconds of hyperparameter search on the validation data; 0 or absent trains once with the given values. */
  autotuneSeconds?: number;
  /** SGD worker threads; 1 (default) is deterministic. */
  threads?: number;
  quantize?: "int8";
  onProgress?: (progress: TrainProgress) => void;
  onTrial?: (trial: AutotuneTrial) => void;
}

export interface QuantizationReport {
  precision: "int8";
  validationAccuracyBefore: number;
  validationAccuracyAfter: number;
  /** After minus before, in accuracy points (0.01 = one point). */
  accuracyChange: number;
}

export interface TrainRunResult {
  out: string;
  manifest: ModelManifest;
  trained: TrainedClassifier;
  trials: AutotuneTrial[];
  quantization?: QuantizationReport;
}

export async function runTraining(options: TrainRunOptions): Promise<TrainRunResult> {
  const readOptions = {
    ...(options.textField === undefined ? {} : { textField: options.textField }),
    ...(options.labelField === undefined ? {} : { labelField: options.labelField }),
  };
  const train = await readClassificationData(options.train, readOptions);
  const valid =
    options.valid === undefined ? undefined : await readClassificationData(options.valid, readOptions);
  const common = {
    ...(valid === undefined ? {} : { valid }),
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.targetAccuracy === undefined ? {} : { targetAccuracy: options.targetAccuracy }),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    ...(options.threads === undefined ? {} : { threads: options.threads }),
  };
  let trained: TrainedClassifier;
  let trials: AutotuneTrial[] = [];
  if (options.autotuneSeconds !== undefined && options.autotuneSeconds > 0) {
    const tuned = await autotuneClassifier(train, {
      ...common,
      seconds: options.autotuneSeconds,
      ...(options.hyperparameters === undefined ? {} : { base: options.hyperparameters }),
      ...(options.onTrial === undefined ? {} : { onTrial: options.onTrial }),
    });
    trained = tuned.best;
    trials = tuned.trials;
    // A copy: `chosen` inside the very object it is added to made the manifest a circle JSON cannot write.
    const { autotune: _previous, ...chosen } = trained.record.hyperparameters;
    trained.record.hyperparameters.autotune = {
      seconds: options.autotuneSeconds,
      trials: trials.length,
      chosen,
    };
  } else {
    trained = await trainClassifier(train, {
      ...common,
      ...(options.hyperparameters === undefined ? {} : { hyperparameters: options.hyperparameters }),
    });
  }
  let model: NativeClassifier = trained.model;
  let quantization: QuantizationReport | undefined;
  if (options.quantize === "int8") {
    const result = quantizeWithReport(trained);
    model = result.model;
    quantization = result.report;
    trained.record.extra = { ...trained.record.extra, quantization };
  }
  const manifest = await saveNativeModel(
    model,
    options.out,
    {
      ...trained.record,
      files: referenceFiles(
        model,
        trained.validationExamples.map((example) => example.text),
      ),
    },
    options.quantize === "int8" ? "int8" : "float32",
  );
  return {
    out: options.out,
    manifest,
    trained: { ...trained, model },
    trials,
    ...(quantization ? { quantization } : {}),
  };
}

/**
 * Quantizes and measures the change on validation data (the training run's own held-out part when no
 * validation file was given: its accuracy is the one in `trained.validation`). The threshold is chosen again
 * on the quantized model, so it still meets the target.
 */
export function quantizeWithReport(trained: TrainedClassifier): {
  model: NativeClassifier;
  report: QuantizationReport;
} {
  const before = trained.model;
  const quantized = quantizeClassifier(before);
  const inScope = trained.validationExamples;
  const score = (model: NativeClassifier) => {
    const predictions = model.predictSync(inScope.map((example) => example.text));
    const correct = predictions.map(
      (prediction, index) => prediction.label === (inScope[index] as LabeledExample).label,
    );
    return { confidences: predictions.map((prediction) => prediction.confidence), correct };
  };
  const beforeScore = score(before);
  const afterScore = score(quantized);
  const accuracy = (correct: boolean[]) => correct.filter(Boolean).length / correct.length;
  const targetAccuracy = Number(trained.record.targetAccuracy);
  const choice = chooseThreshold(afterScore.confidences, afterScore.correct, targetAccuracy);
  const model = quantized.withThreshold(choice.threshold);
  const atThreshold = evaluateAtThreshold(afterScore.confidences, afterScore.correct, choice.threshold);
  trained.record.validation = {
    ...trained.record.validation,
    coverage: atThreshold.coverage,
    acceptedAccuracy: atThreshold.acceptedAccuracy,
    accuracy: accuracy(afterScore.correct),
  };
  const report: QuantizationReport = {
    precision: "int8",
    validationAccuracyBefore: accuracy(beforeScore.correct),
    validationAccuracyAfter: accuracy(afterScore.correct),
    accuracyChange: accuracy(afterScore.correct) - accuracy(beforeScore.correct),
  };
  return { model, report };
}

export interface ExtractTrainRunOptions {
  train: string;
  valid?: string;
  out: string;
  /** The use case's schema fields: span labels outside them are an error naming the line. Default: the data's labels. */
  fields?: readonly { name: string; type?: ExtractFieldType; required?: boolean }[];
  seed?: number;
  targetAccuracy?: number;
  epochs?: number;
  onProgress?: (progress: ExtractorProgress) => void;
}

export interface ExtractTrainRunResult {
  out: string;
  manifest: ExtractorManifest;
  trained: TrainedExtractor;
}

/** The `slmkit train` job for span data: read, train an extractor, save its model directory. */
export async function runExtractTraining(options: ExtractTrainRunOptions): Promise<ExtractTrainRunResult> {
  const names = options.fields?.map((field) => field.name);
  const readOptions = names === undefined ? {} : { allowedLabels: names };
  const train = await readSpanData(options.train, readOptions);
  const valid = options.valid === undefined ? undefined : await readSpanData(options.valid, readOptions);
  const fieldTypes: Record<string, ExtractFieldType> = {};
  for (const field of options.fields ?? [])
    if (field.type !== undefined && field.type !== "string") fieldTypes[field.name] = field.type;
  const requiredFields = (options.fields ?? [])
    .filter((field) => field.required === true)
    .map((field) => field.name);
  const trained = await trainExtractor(train, {
    ...(valid === undefined ? {} : { valid }),
    ...(names === undefined ? {} : { fields: names }),
    fieldTypes,
    requiredFields,
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.targetAccuracy === undefined ? {} : { targetAccuracy: options.targetAccuracy }),
    ...(options.epochs === undefined ? {} : { epochs: options.epochs }),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
  });
  const manifest = await saveNativeExtractor(trained.model, options.out, trained.record);
  return { out: options.out, manifest, trained };
}
