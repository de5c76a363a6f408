// The hybrid router's contract: small model first, escalate when unsure, a person when the LLM cannot help.

import type { AnsweredBy } from "../store/types.js";

/**
 * An LLM asked to choose one label of the use case's set. Implementations own their retries (the router does
 * not retry) and should stop when `signal` aborts; the router enforces its deadline either way.
 */
export interface LlmLabeler {
  /** The model id, for logs and responses. */
  readonly model: string;
  /** Resolves with the chosen label, or `label: null` when the LLM's reply is not one of the set (unsure). */
  classify(text: string, signal?: AbortSignal): Promise<LlmLabel>;
}

export interface LlmLabel {
  /** One of the use case's labels, or null when the reply was outside the set or empty. */
  label: string | null;
  /** The LLM's own confidence (from logprobs) when the server gives it; otherwise null. */
  confidence: number | null;
  /** The reply as received, for the review queue and logs (truncated to 200 characters). */
  raw: string;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  latencyMs: number;
}

/**
 * An LLM asked to extract the use case's fields from a text as JSON (structured output), validated against the
 * fields' types before it is returned. Implementations own their retries (a reply that does not validate may be
 * asked again, a bounded number of times) and should stop when `signal` aborts.
 */
export interface LlmExtractor {
  readonly model: string;
  /** Resolves with the validated fields, or `fields: null` when no valid JSON came back (unsure). */
  extract(text: string, signal?: AbortSignal): Promise<LlmExtraction>;
}

export interface LlmExtraction {
  /**
   * Field name → value (string, or number for integer/number/money/quantity fields), null for a field the text
   * does not hold; every field of the use case present. Null when the reply never validated.
   */
  fields: Record<string, string | number | null> | null;
  /** The last reply as received (truncated to 200 characters). */
  raw: string;
  /** Calls made, retries included. */
  attempts: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  latencyMs: number;
}

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
  /** Human-readable reason, e.g. "confidence 0.91 >= threshold 0.79" or "llm timed out after 10000 ms". */
  reason: string;
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
