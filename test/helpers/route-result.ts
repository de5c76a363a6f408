// A router's decision as tests of the HTTP layer need one: a small-model answer, with any field overridden.

import type { RouteResult } from "../../src/route/types.js";

export function routeResult(overrides: Partial<RouteResult> = {}): RouteResult {
  return {
    requestId: "id-1",
    useCaseId: "support",
    answeredBy: "slm",
    reason: "confidence 0.900 >= threshold 0.500",
    reasonDetail: null,
    label: "order_status",
    answer: null,
    confidence: 0.9,
    llm: null,
    flagged: false,
    reviewId: null,
    costUsd: 0,
    inputTokens: 0,
    outputTokens: 0,
    threshold: 0.5,
    slm: { label: "order_status", confidence: 0.9 },
    latencyMs: 0.2,
    modelVersion: "v1",
    ...overrides,
  };
}
