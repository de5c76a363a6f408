// What the router asks of an escalation LLM: a label of the set, or the fields as validated JSON.
// Implemented by the OpenAI-compatible endpoints (models/openai/) and by stand-ins in tests.

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
