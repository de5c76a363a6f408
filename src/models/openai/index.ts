// OpenAI-compatible endpoints as labelers and task models; explicit re-exports.

export { createHttpFetch, type HttpFetch, type HttpFetchOptions } from "./http-transport.js";
export {
  createOpenAiClassifierModel,
  type OpenAiClassifierModel,
  type OpenAiClassifierModelOptions,
  type OpenAiUsage,
} from "./openai-classifier-model.js";
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
