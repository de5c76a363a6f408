// A TaskModel over an OpenAI-compatible FAQ answerer: intent predictions for eval and baseline, answers on demand.

import { createFaqFiller } from "../../data/faq.js";
import type { AnswerModel, AnswerPrediction, ModelInfo } from "../task-model.js";
import { createUsageTally, mapConcurrently } from "./batch.js";
import {
  createOpenAiAnswerer,
  type OpenAiAnswer,
  type OpenAiAnswerer,
  type OpenAiAnswererOptions,
} from "./openai-answerer.js";
import type { OpenAiUsage } from "./openai-classifier-model.js";

export interface OpenAiAnswerModelOptions extends OpenAiAnswererOptions {
  /** Confidence at or above which an answer counts as accepted. Default 0.5. */
  threshold?: number;
  /** Requests in flight at once during `predict` and `answer`. Default 4. */
  concurrency?: number;
  /** An answerer to use instead of creating one from the options (tests, custom prompts). */
  answerer?: OpenAiAnswerer;
}

export interface OpenAiAnswerModel extends AnswerModel {
  /** Answers every question, in order, with bounded concurrency; a call that fails after its retries fails the batch. */
  answer(texts: readonly string[]): Promise<OpenAiAnswer[]>;
  /** The token usage and cost of every call so far; `unsure` counts questions left without an answer. */
  usage(): OpenAiUsage;
}

/**
 * Answers from the FAQ with an LLM. `predict` gives the chosen entry as the label, like the native answer
 * model: accepted when the answer is complete and the confidence (from logprobs, else 1) reaches the
 * threshold; an unsure reply is the empty label "" with confidence 0, never counted as right.
 */
export function createOpenAiAnswerModel(options: OpenAiAnswerModelOptions): OpenAiAnswerModel {
  const answerer = options.answerer ?? createOpenAiAnswerer(options);
  const threshold = options.threshold ?? 0.5;
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 4));
  const tally = createUsageTally();
  const info: ModelInfo = {};

  const answerOne = async (text: string): Promise<OpenAiAnswer> => {
    const reply = await answerer.answer(text);
    tally.record(reply, reply.answer === null);
    return reply;
  };

  const toPrediction = (reply: OpenAiAnswer): AnswerPrediction => {
    if (reply.label === null) return { label: "", confidence: 0, accepted: false, answer: null };
    const confidence = reply.confidence ?? 1;
    const accepted = reply.answer !== null && confidence >= threshold;
    const prediction: AnswerPrediction = {
      label: reply.label,
      confidence,
      accepted,
      answer: accepted ? reply.answer : null,
    };
    if (!accepted && confidence >= threshold)
      prediction.refusal = "the text does not fill the answer's slots";
    return prediction;
  };
  const answerFor = createFaqFiller(options.faq);

  return {
    task: "answer",
    reference: answerer.reference,
    labels: answerer.labels,
    threshold,
    info,
    usage: tally.usage,
    answer: (texts) => mapConcurrently(texts, concurrency, answerOne),
    answerFor,
    predict: async (texts) => (await mapConcurrently(texts, concurrency, answerOne)).map(toPrediction),
    async dispose() {
      // The SDK client holds no connections of its own beyond fetch's pool.
    },
    async [Symbol.asyncDispose]() {
      await this.dispose();
    },
  };
}
