// The hybrid router's contract: small model first, escalate when unsure, a person when the LLM cannot help.

import type { AnsweredBy } from "../types.js";

export interface RouteRequest {
  useCaseId: string;
  text: string;
  /** Caller's API key id: scopes the cache and the per-key budget. Null for local, keyless use. */
  apiKeyId: string | null;
  /** Given by the server; generated when absent. */
  requestId?: string;
}

/** What the router decided, and why. Every field is also logged. */
export interface RouteResult {
  requestId: string;
  useCaseId: string;
  answeredBy: AnsweredBy;
  /**
   * Why, as a client may read it: e.g. "confidence 0.91 >= threshold 0.79", or for a failure its kind
   * ("…; llm_timeout; queued for review", "llm_error 500", "llm_error connection", "(not queued: store_unavailable)").
   */
  reason: string;
  /**
   * The same reason with what only operators may read (the LLM's URL and its error, a database error), as the log
   * row and the server log keep it; null when `reason` says it all.
   */
  reasonDetail: string | null;
  /** The label returned to the client (extract: the fields as compact JSON); null when the fallback is a holding answer. */
  label: string | null;
  /** For `answer` use cases, or the holding answer when nothing could answer. */
  answer: string | null;
  /**
   * For `extract` use cases: every field of the use case → its value (null when the text does not hold it);
   * `label` then holds the same as compact JSON. Null when the fallback is a holding answer; absent for
   * classify and answer.
   */
  fields?: Record<string, string | number | null> | null;
  /** Confidence of `label` (calibrated for the small model); null when unknown. */
  confidence: number | null;
  threshold: number;
  slm: { label: string; confidence: number };
  llm: { label: string | null; model: string } | null;
  /** True when the answer is an unverified fallback (the small model's best guess below threshold). */
  flagged: boolean;
  /** Set when the request was queued for human review. */
  reviewId: string | null;
  latencyMs: number;
  costUsd: number;
  inputTokens: number;
  outputTokens: number;
  modelVersion: string | null;
}
