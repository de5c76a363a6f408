// What one task contributes to the router's pipeline: how it reads a prediction, accepts it, asks the LLM,
// answers from the cache, guesses for review, and what its log row keeps. The steps are in ../router.ts.

import type { CachedAnswer, CacheHit } from "../../cache/types.js";
import type { FieldValues } from "../../models/task-model.js";
import type { LoggedLabels } from "../request-log.js";

/** What the client is answered with. */
export interface Reply {
  /** The label (extract: the record as compact JSON); null with a holding answer. */
  label: string | null;
  /** Answer use cases' FAQ text, or the holding answer; null otherwise. */
  answer: string | null;
  /** Extract use cases only: the record (null with a holding answer). Absent for classify and answer. */
  fields?: FieldValues | null;
}

/** How an escalation ended. */
export interface Escalation {
  /** The result's `llm` field: the LLM's label (extract: its record as JSON) and model; null when not asked. */
  llm: { label: string | null; model: string } | null;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  /** Set when the LLM answered with something usable. */
  answered?: {
    reply: Reply;
    /** The LLM's own confidence, when it gives one. */
    confidence: number | null;
    /** Appended to the unsure reason, e.g. `llm answered "refund"`. */
    reason: string;
    /** What the cache keeps for the next identical (or similar) request. */
    cached: CachedAnswer;
  };
  /**
   * Why nobody could answer, when `answered` is absent (undefined: the LLM gave nothing, said by `noAnswer`), as a
   * client may read it.
   */
  failure?: string;
  /** `failure` with what only operators may read (the LLM's URL and error), when there is more to it. */
  failureDetail?: string;
  /**
   * The LLM's label as a review item keeps it (classify: even one outside the set, PII-redacted when
   * `privacy.redactPii`); null for extract.
   */
  reviewLabel: string | null;
}

/** One task's part of the pipeline. `View` is the policy's reading of one small-model prediction. */
export interface TaskPolicy<View> {
  /** Completes "the text to … is empty". */
  readonly verb: string;
  /** The failure named in a review reason when the LLM answered nothing usable, e.g. "llm gave no label". */
  readonly noAnswer: string;
  /** Reads a model's prediction once per request. */
  read(prediction: unknown): View;
  /** The small model's answer as the result's `slm.label`: its label, or its record as JSON. */
  slmLabel(view: View): string;
  confidence(view: View): number;
  /** Whether the small model's answer may be used as it is. */
  accepts(view: View, threshold: number): boolean;
  /** Why it was not accepted, starting from the confidence comparison. */
  unsure(view: View, threshold: number, comparison: string): string;
  /** The reply when the small model answers. */
  answer(view: View): Reply;
  /** The reply a cached answer gives, or undefined when the entry does not fit this use case (ignored). */
  fromCache(hit: CacheHit): Reply | undefined;
  /** Asks the LLM (through the router's gate); never throws. */
  escalate(text: string, apiKeyId: string | null): Promise<Escalation>;
  /** The small model's flagged guess when the request goes to review (fallback "llm" or "slm"). */
  guess(view: View, text: string, holdingAnswer: string): Reply;
  /** The reply with the holding answer (fallback "review"). */
  holding(holdingAnswer: string): Reply;
  /** The small model's answer as a review item keeps it; `text` is the request's (extract redacts values in it). */
  reviewLabel(view: View, text: string): string;
  /** What the log row keeps of the reply, the small model's answer and the LLM's, for the request's `text`. */
  logged(reply: Reply, view: View, escalation: Escalation | null, text: string): LoggedLabels;
  /**
   * Asks the LLM too about an accepted answer, in the background, to measure agreement (`routing.shadowRate`);
   * absent where the task has no comparison (extract).
   */
  shadow?(
    view: View,
    text: string,
    requestId: string,
    apiKeyId: string | null,
    version: string | null,
  ): Promise<void>;
  /** The shadow comparisons so far. */
  shadowStats(): ShadowStats;
}

/** Agreement of the LLM with accepted small-model answers, on the sampled share `routing.shadowRate`. */
export interface ShadowStats {
  sent: number;
  agreed: number;
  disagreed: number;
  /** The LLM named no label of the set. */
  unsure: number;
  failed: number;
  /** Sampled but not sent: the circuit was not closed or the budget was spent. */
  skipped: number;
  /** agreed / (agreed + disagreed); null before the first comparison. */
  agreement: number | null;
}
