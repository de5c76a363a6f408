// slmkit's one public face: every name a library user may import, listed explicitly.

export type { DataReport } from "./data/check.js";
export { checkClassificationData, formatDataReport } from "./data/check.js";
export type { DataProblem, ReadDataOptions } from "./data/io.js";
export {
  readClassificationData,
  readClassificationDataLenient,
  readSpanData,
  writeJsonl,
} from "./data/io.js";
export type { PiiKind, PiiMatch } from "./data/pii.js";
export { findPii, redactPii } from "./data/pii.js";
export { resolveOverlaps } from "./data/spans.js";
export type { SplitOptions, SplitRatios } from "./data/split.js";
export { splitDataset } from "./data/split.js";
export type { SlmkitErrorCode, SlmkitErrorOptions } from "./errors.js";
export { SlmkitError } from "./errors.js";
export { expectedCalibrationError, reliabilityBins } from "./eval/calibration.js";
export type { ClassificationEvalReport, EvaluateClassifierOptions } from "./eval/evaluate.js";
export { evaluateClassifier } from "./eval/evaluate.js";
export { formatEvalSummary } from "./eval/format.js";
export { renderEvalHtml } from "./eval/report-html.js";
export type { CoveragePoint, ThresholdChoice } from "./eval/selective.js";
export { chooseThreshold, coverageAtAccuracy, coverageCurve, evaluateAtThreshold } from "./eval/selective.js";
export { loadModel } from "./models/load.js";
export type { DetailedPrediction } from "./models/native/classifier.js";
export { NativeClassifier } from "./models/native/classifier.js";
export type { ModelManifest } from "./models/native/model-directory.js";
export { loadNativeModel, readManifest, saveNativeModel } from "./models/native/model-directory.js";
export { quantizeClassifier } from "./models/native/quantize.js";
export type { ModelInfo, TaskModel } from "./models/task-model.js";
export { getTemplate, listTemplates } from "./spec/catalog/index.js";
export { generateSupportData } from "./spec/catalog/support.js";
export { writeTemplate } from "./spec/catalog/write-template.js";
export type { LoadedUseCase } from "./spec/load.js";
export { loadUseCase, parseUseCase } from "./spec/load.js";
export type { UseCase, UseCaseInput } from "./spec/schema.js";
export { validateUseCase } from "./spec/validate.js";
export { normalizeText, tokenize } from "./text/normalize.js";
export type { AutotuneOptions, AutotuneTrial } from "./train/autotune.js";
export { autotuneClassifier } from "./train/autotune.js";
export type { BuildResult, BuildUseCaseOptions } from "./train/build.js";
export { buildUseCase } from "./train/build.js";
export type {
  ClassifierHyperparameters,
  HyperparameterOverrides,
  TrainClassifierOptions,
  TrainedClassifier,
  TrainProgress,
} from "./train/train-classifier.js";
export { defaultHyperparameters, trainClassifier } from "./train/train-classifier.js";
export type { TrainRunOptions, TrainRunResult } from "./train/train-run.js";
export { runTraining } from "./train/train-run.js";
export type { ClassPrediction, LabeledExample, Span, SpanExample, TaskType } from "./types.js";
