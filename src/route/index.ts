// The router's public face: the hybrid policy and its parts (breaker, budget, retries, micro-batching); explicit re-exports.

export type { LlmExtraction, LlmExtractor, LlmLabel, LlmLabeler } from "../models/llm.js";

export { LlmError, type LlmErrorOptions } from "../models/llm-error.js";
export {
  isRetryableError,
  parseRetryAfterMs,
  type RetryEvent,
  type RetryOptions,
  withRetries,
} from "../models/retry.js";
export { createAnswerRouterModel } from "./answer-model.js";
export {
  type Budget,
  type BudgetDecision,
  type BudgetLimits,
  type BudgetOptions,
  createBudget,
} from "./budget.js";
export {
  type CircuitBreaker,
  type CircuitBreakerOptions,
  type CircuitBreakerStats,
  type CircuitState,
  createCircuitBreaker,
} from "./circuit-breaker.js";
export {
  checkFieldValues,
  createExtractRouter,
  type ExtractRouterModel,
  type ExtractRouterOptions,
  type FieldValues,
  redactedFieldValue,
  redactFieldValues,
} from "./extract-router.js";
export {
  createMicroBatcher,
  type MicroBatcher,
  type MicroBatcherOptions,
  type MicroBatcherStats,
} from "./micro-batcher.js";
export {
  createRouter,
  defaultHoldingAnswer,
  formatComparison,
  hashInput,
  type Router,
  type RouterModel,
  type RouterOptions,
  type RouterPrediction,
  type RouterStats,
  type RouterStore,
  type ShadowStats,
} from "./router.js";
export type { RouteRequest, RouteResult } from "./types.js";
