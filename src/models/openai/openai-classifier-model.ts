// A TaskModel over an OpenAI-compatible endpoint, so eval, baseline and distillation can measure or use an LLM.

import type { ClassPrediction } from "../../types.js";
import type { ClassifyModel, ModelInfo } from "../task-model.js";
import { createUsageTally, mapConcurrently } from "./batch.js";
import { createOpenAiLabeler, type OpenAiLabeler, type OpenAiLabelerOptions } from "./openai-labeler.js";

export interface OpenAiClassifierModelOptions extends OpenAiLabelerOptions {
  /** Confidence at or above which a prediction counts as accepted. Default 0.5. */
  threshold?: number;
  /** Requests in flight at once during `predict`. Default 4. */
  concurrency?: number;
  /** A labeler to use instead of creating one from the options (tests, custom prompts). */
  labeler?: OpenAiLabeler;
}

/** What the endpoint has cost so far, for baseline and distillation reports. */
export interface OpenAiUsage {
  calls: number;
  /** Replies that named no label of the set. */
  unsure: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  /** Summed latency of the calls, in milliseconds. */
  latencyMs: number;
}

export interface OpenAiClassifierModel extends ClassifyModel {
  readonly task: "classify";
  /** The token usage and cost of every call so far. */
  usage(): OpenAiUsage;
}

/**
 * Classifies with an LLM. Confidence: the label's probability from logprobs when the server gives them,
 * otherwise 1 for a label of the set; a reply outside the set is an unsure prediction with confidence 0 and the
 * empty label "" (so it is never counted as right). A call that fails after its retries fails `predict`.
 */
export function createOpenAiClassifierModel(options: OpenAiClassifierModelOptions): OpenAiClassifierModel {
  const labeler = options.labeler ?? createOpenAiLabeler(options);
  const threshold = options.threshold ?? 0.5;
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 4));
  const tally = createUsageTally();
  const info: ModelInfo = {};

  const predictOne = async (text: string): Promise<ClassPrediction> => {
    const reply = await labeler.classify(text);
    tally.record(reply, reply.label === null);
    if (reply.label === null) {
      return { label: "", confidence: 0, accepted: false };
    }
    const confidence = reply.confidence ?? 1;
    return { label: reply.label, confidence, accepted: confidence >= threshold };
  };

  return {
    task: "classify",
    reference: labeler.reference,
    labels: labeler.labels,
    threshold,
    info,
    usage: tally.usage,
    predict: (texts) => mapConcurrently(texts, concurrency, predictOne),
    async dispose() {
      // The SDK client holds no connections of its own beyond fetch's pool.
    },
    async [Symbol.asyncDispose]() {
      await this.dispose();
    },
  };
}
