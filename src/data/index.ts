// The data pipeline's public face: reading, checking, splitting and redacting data files.

export type {
  CheckDataOptions,
  DataIssue,
  DataReport,
  DuplicateGroup,
  LeakedPair,
  NearDuplicatePair,
  OtherSplit,
  SpanStatistics,
  SplitLeakage,
} from "./check.js";
export { checkClassificationData, checkSpanData, formatDataReport } from "./check.js";
export type {
  ContentSource,
  DataFormat,
  DataProblem,
  DataProblemKind,
  DataReadResult,
  ReadDataOptions,
  ReadSpanDataOptions,
} from "./io.js";
export {
  defaultMaxTextLength,
  detectFileTask,
  detectTask,
  formatFromPath,
  formatJsonl,
  parseClassificationData,
  parseSpanData,
  readClassificationData,
  readClassificationDataLenient,
  readSpanData,
  readSpanDataLenient,
  writeJsonl,
} from "./io.js";
export type { PiiKind, PiiMatch } from "./pii.js";
export { findPii, passesIbanCheck, passesLuhn, piiKinds, piiPlaceholders, redactPii } from "./pii.js";
export type { SimilarPair } from "./similarity.js";
export { findSimilarPairs } from "./similarity.js";
export { resolveOverlaps } from "./spans.js";
export type {
  DatasetSplits,
  SplitOptions,
  SplitRatios,
  StratifiedSplitOptions,
  StratumDeal,
} from "./split.js";
export { defaultSplitRatios, splitDataset, stratifiedSplit, validateRatios } from "./split.js";
