// OpenAI-compatible endpoints as labelers, extractors, FAQ answerers and task models; explicit re-exports.

export { createHttpFetch, type HttpFetch, type HttpFetchOptions } from "./http-transport.js";
export {
  createOpenAiAnswerModel,
  type OpenAiAnswerModel,
  type OpenAiAnswerModelOptions,
} from "./openai-answer-model.js";
export {
  type AnswererParameter,
  type AnswerUnsureReason,
  answererOptionsFromUseCase,
  createOpenAiAnswerer,
  noAnswerLabel,
  type OpenAiAnswer,
  type OpenAiAnswerer,
  type OpenAiAnswererOptions,
} from "./openai-answerer.js";
export {
  createOpenAiClassifierModel,
  type OpenAiClassifierModel,
  type OpenAiClassifierModelOptions,
  type OpenAiUsage,
} from "./openai-classifier-model.js";
export {
  createOpenAiExtractor,
  type ExtractorField,
  type ExtractorParameter,
  extractorOptionsFromUseCase,
  type OpenAiExtraction,
  type OpenAiExtractor,
  type OpenAiExtractorOptions,
} from "./openai-extractor.js";
export {
  createOpenAiExtractorModel,
  type OpenAiExtractionResult,
  type OpenAiExtractorModel,
  type OpenAiExtractorModelOptions,
} from "./openai-extractor-model.js";
export {
  createOpenAiLabeler,
  type LabelDefinition,
  labelerOptionsFromUseCase,
  type OpenAiLabeler,
  type OpenAiLabelerOptions,
  type OptionalParameter,
} from "./openai-labeler.js";
export {
  defaultOpenAiBaseUrl,
  formatOpenAiReference,
  isAzureHost,
  type OpenAiReference,
  parseOpenAiReference,
} from "./reference.js";
