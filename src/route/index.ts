// The router's public face: the hybrid policy and its parts (breaker, budget, retries, micro-batching); explicit re-exports.

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
export { LlmError, type LlmErrorOptions } from "./llm-error.js";
export {
  createMicroBatcher,
  type MicroBatcher,
  type MicroBatcherOptions,
  type MicroBatcherStats,
} from "./micro-batcher.js";
export {
  isRetryableError,
  parseRetryAfterMs,
  type RetryEvent,
  type RetryOptions,
  withRetries,
} from "./retry.js";
export {
  createRouter,
  defaultHoldingAnswer,
  formatComparison,
  hashInput,
  type Router,
  type RouterLogger,
  type RouterModel,
  type RouterOptions,
  type RouterStats,
  type RouterStore,
  type ShadowStats,
} from "./router.js";
export type { LlmLabel, LlmLabeler, RouteRequest, RouteResult } from "./types.js";
