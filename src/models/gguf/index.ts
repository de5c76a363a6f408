// Prebuilt GGUF models through node-llama-cpp (an optional dependency, imported lazily); explicit re-exports.

export type { ExtractionField, ExtractionFieldType } from "./extraction-schema.js";
export { ggufExtractModel } from "./gguf-extract-model.js";
export {
  type GgufHeader,
  type GgufValue,
  type GgufValueTypeName,
  type ReadGgufHeaderOptions,
  readGgufHeader,
} from "./gguf-header.js";
export {
  type AnswerOptions,
  type CalibrationResult,
  defaultGgufThreads,
  type ExtractionResult,
  type ExtractOptions,
  type GgufClassPrediction,
  type GgufLogListener,
  type GgufModelInfo,
  type GgufModelOptions,
  type GgufTaskModel,
  type GroundedAnswer,
  loadGgufModel,
} from "./gguf-model.js";
export type { FaqEntry, GgufExample, GgufLabel } from "./prompt.js";
