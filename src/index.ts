// slmkit's one public face: every name a library user may import, listed explicitly.

export { semanticGuard } from "./cache/guards.js";
export type { CacheConfig } from "./cache/index.js";
export { createCache } from "./cache/index.js";
export type { CachedAnswer, CacheHit, ResponseCache } from "./cache/types.js";
export type { GatherTcoInputsOptions, TcoOverrides } from "./cost/gather.js";
export { gatherTcoInputs } from "./cost/gather.js";
export { formatTcoText, renderTcoChartSvg, renderTcoHtml } from "./cost/report.js";
export { defaultMinimumSample, wilsonInterval } from "./cost/sample.js";
export { computeTco, tcoMonthlyCostAt } from "./cost/tco.js";
export type {
  TcoInput,
  TcoInputSource,
  TcoInputs,
  TcoReport,
  TcoSample,
  TcoShareInterval,
  TcoTrafficSample,
} from "./cost/types.js";
export type { DataReport } from "./data/check.js";
export { checkClassificationData, formatDataReport } from "./data/check.js";
export { buildChatExport } from "./data/export-chat.js";
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
export { createFileStorage } from "./edge/file-storage.js";
export type { SlmkitErrorCode, SlmkitErrorOptions } from "./errors.js";
export { SlmkitError } from "./errors.js";
export type { BaselineReport, BaselineRow } from "./eval/baseline.js";
export { computeCostPer1kRequests, defaultMachineUsdPerHour, runBaseline } from "./eval/baseline.js";
export { expectedCalibrationError, reliabilityBins } from "./eval/calibration.js";
export type { ClassificationEvalReport, EvaluateClassifierOptions } from "./eval/evaluate.js";
export { evaluateClassifier } from "./eval/evaluate.js";
export type { ExtractionEvalReport } from "./eval/evaluate-extract.js";
export { evaluateExtractor } from "./eval/evaluate-extract.js";
export { formatEvalSummary } from "./eval/format.js";
export { renderEvalHtml } from "./eval/report-html.js";
export type { CoveragePoint, ThresholdChoice } from "./eval/selective.js";
export { chooseThreshold, coverageAtAccuracy, coverageCurve, evaluateAtThreshold } from "./eval/selective.js";
export type { BundleManifest, BundlePruneReport } from "./models/bundle/manifest.js";
export type { OpenedBundle } from "./models/bundle/open.js";
export { openBundle } from "./models/bundle/open.js";
export type { BuildBundleOptions, BuiltBundle } from "./models/bundle/write.js";
export { buildBundle, writeBundle } from "./models/bundle/write.js";
export type { GgufHeader } from "./models/gguf/gguf-header.js";
export { readGgufHeader } from "./models/gguf/gguf-header.js";
export type { LlmExtraction, LlmExtractor, LlmLabel, LlmLabeler } from "./models/llm.js";
export { loadModel } from "./models/load.js";
export type { AnswerResult, FaqAnswer } from "./models/native/answerer.js";
export { NativeAnswerer } from "./models/native/answerer.js";
export { loadNativeAnswerer, saveNativeAnswerer } from "./models/native/answerer-directory.js";
export type { DetailedPrediction } from "./models/native/classifier.js";
export { NativeClassifier } from "./models/native/classifier.js";
export type { ExtractedSpan, ExtractPrediction } from "./models/native/extractor.js";
export { NativeExtractor } from "./models/native/extractor.js";
export { loadNativeExtractor, saveNativeExtractor } from "./models/native/extractor-directory.js";
export type { ModelManifest } from "./models/native/model-directory.js";
export { loadNativeModel, readManifest, saveNativeModel } from "./models/native/model-directory.js";
export { quantizeClassifier } from "./models/native/quantize.js";
export type {
  BatchInfo,
  FineTuningEventInfo,
  FineTuningJobInfo,
  OpenAiJobsApi,
  OpenAiJobsApiOptions,
} from "./models/openai/jobs-api.js";
export { createOpenAiJobsApi } from "./models/openai/jobs-api.js";
export { createOpenAiAnswerModel } from "./models/openai/openai-answer-model.js";
export { createOpenAiAnswerer } from "./models/openai/openai-answerer.js";
export { createOpenAiClassifierModel } from "./models/openai/openai-classifier-model.js";
export { createOpenAiExtractor } from "./models/openai/openai-extractor.js";
export { createOpenAiExtractorModel } from "./models/openai/openai-extractor-model.js";
export { createOpenAiLabeler } from "./models/openai/openai-labeler.js";
export type { GateRecord, RegistryVersion } from "./models/registry.js";
export { ModelRegistry } from "./models/registry.js";
export type { ModelInfo, TaskModel } from "./models/task-model.js";
export type { ComputeDriftOptions } from "./monitor/drift.js";
export { computeDrift } from "./monitor/drift.js";
export type { DriftMonitor, DriftMonitorOptions } from "./monitor/drift-monitor.js";
export { createDriftMonitor } from "./monitor/drift-monitor.js";
export { formatDriftReport } from "./monitor/format.js";
export { buildReferenceProfile, loadReference, readReferenceProfile } from "./monitor/reference.js";
export type { DriftCheck, DriftReport, ReferenceProfile } from "./monitor/types.js";
export { createAnswerRouterModel } from "./route/answer-model.js";
export type { ExtractRouterModel, ExtractRouterOptions } from "./route/extract-router.js";
export { createExtractRouter } from "./route/extract-router.js";
export type { Router, RouterOptions } from "./route/router.js";
export { createRouter } from "./route/router.js";
export type { RouteRequest, RouteResult } from "./route/types.js";
export type { ConnectionLimitOptions } from "./serve/middleware/limits.js";
export type { MetricsRouteOptions } from "./serve/routes/metrics.js";
export type { Gateway, GatewayOptions } from "./serve/server.js";
export { startGateway } from "./serve/server.js";
export { getTemplate, listTemplates } from "./spec/catalog/index.js";
export { generateSupportData } from "./spec/catalog/support.js";
export { writeTemplate } from "./spec/catalog/write-template.js";
export type { LoadedUseCase } from "./spec/load.js";
export { loadUseCase, parseUseCase } from "./spec/load.js";
export type { UseCase, UseCaseInput } from "./spec/schema.js";
export { validateUseCase } from "./spec/validate.js";
export type { StoreConfig } from "./store/index.js";
export { createStore } from "./store/index.js";
export type {
  ApiKeyRecord,
  ApiKeyRole,
  CreateApiKeyOptions,
  LabelledRequest,
  RequestLogEntry,
  RequestSummary,
  ReviewItem,
  ShadowResult,
  Store,
} from "./store/types.js";
export { normalizeText, tokenize } from "./text/normalize.js";
export { normalizeFieldValue } from "./text/normalizers/index.js";
export { selectInformative } from "./train/active-learning.js";
export type { AutotuneOptions, AutotuneTrial } from "./train/autotune.js";
export { autotuneClassifier } from "./train/autotune.js";
export type { BuildResult, BuildUseCaseOptions } from "./train/build.js";
export { buildUseCase } from "./train/build.js";
export type { BatchEvent, BatchLabellingOptions } from "./train/distill/batch-labelling.js";
export {
  cancelPendingBatches,
  createBatchLabeller,
  defaultBatchPriceFactor,
} from "./train/distill/batch-labelling.js";
export type { BulkLabeller, BulkLabellingResult, DistillOptions, DistillReport } from "./train/distill.js";
export { distill } from "./train/distill.js";
export type {
  CancelFineTuneOptions,
  FineTuneCostRecord,
  FineTuneEvent,
  FineTuneOptions,
  FineTuneReport,
  FineTuneResult,
  FineTuneState,
} from "./train/finetune.js";
export {
  cancelFineTune,
  defaultPricePer1mTrainedTokensUsd,
  listFineTuneJobs,
  runFineTune,
} from "./train/finetune.js";
export type { RetrainOptions, RetrainReport } from "./train/retrain.js";
export { decideGate, retrainUseCase, rollbackUseCase } from "./train/retrain.js";
export { trainAnswerer } from "./train/train-answerer.js";
export type {
  ClassifierHyperparameters,
  HyperparameterOverrides,
  TrainClassifierOptions,
  TrainedClassifier,
  TrainProgress,
} from "./train/train-classifier.js";
export { defaultHyperparameters, trainClassifier } from "./train/train-classifier.js";
export type { TrainExtractorOptions, TrainedExtractor } from "./train/train-extractor.js";
export { trainExtractor } from "./train/train-extractor.js";
export type { TrainRunOptions, TrainRunResult } from "./train/train-run.js";
export { runTraining } from "./train/train-run.js";
export type {
  AnsweredBy,
  ClassPrediction,
  LabeledExample,
  Logger,
  Span,
  SpanExample,
  TaskType,
} from "./types.js";
