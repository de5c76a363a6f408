// A TaskModel over an OpenAI-compatible extractor, so load, baseline and eval code can hold an LLM extract model.

import { recordPrediction } from "../records.js";
import type { ExtractModel, FieldsPrediction, ModelInfo } from "../task-model.js";
import { createUsageTally, mapConcurrently } from "./batch.js";
import type { OpenAiUsage } from "./openai-classifier-model.js";
import {
  createOpenAiExtractor,
  type ExtractorField,
  type OpenAiExtractor,
  type OpenAiExtractorOptions,
} from "./openai-extractor.js";

export interface OpenAiExtractorModelOptions extends OpenAiExtractorOptions {
  /** Requests in flight at once during `extract`. Default 4. */
  concurrency?: number;
  /** An extractor to use instead of creating one from the options (tests, custom prompts). */
  extractor?: OpenAiExtractor;
}

/**
 * One text's extraction, shaped like the GGUF model's `ExtractionResult` so callers handle both alike: a record
 * that validated, or "unsure" with the reason and the last reply (never a guess).
 */
export type OpenAiExtractionResult =
  | { status: "ok"; value: Record<string, string | number | null>; attempts: number }
  | { status: "unsure"; reason: string; attempts: number; lastOutput: string };

export interface OpenAiExtractorModel extends ExtractModel {
  /** The fields with their types, in the use case's order. */
  readonly fieldDefinitions: readonly ExtractorField[];
  /** Extracts every text, in order, with bounded concurrency; a call that fails after its retries fails the batch. */
  extract(texts: readonly string[]): Promise<OpenAiExtractionResult[]>;
  /** The token usage and cost of every extraction so far; `unsure` counts the ones that never validated. */
  usage(): OpenAiUsage;
}

/**
 * Extracts with an LLM. `predict` gives each text's record (see `recordPrediction`: used as it is when every
 * required field has a value; the model has no calibrated record confidence, so its threshold is 0); `extract`
 * gives the raw results.
 */
export function createOpenAiExtractorModel(options: OpenAiExtractorModelOptions): OpenAiExtractorModel {
  const extractor = options.extractor ?? createOpenAiExtractor(options);
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 4));
  const tally = createUsageTally();
  const info: ModelInfo = {};

  const extractOne = async (text: string): Promise<OpenAiExtractionResult> => {
    const reply = await extractor.extract(text);
    tally.record(reply, reply.fields === null);
    if (reply.fields === null) {
      return {
        status: "unsure",
        reason: reply.problem ?? "the reply did not validate",
        attempts: reply.attempts,
        lastOutput: reply.raw,
      };
    }
    return { status: "ok", value: reply.fields, attempts: reply.attempts };
  };

  const fieldNames = extractor.fields.map((field) => field.name);
  const requiredFields = extractor.fields
    .filter((field) => field.required === true)
    .map((field) => field.name);
  const extract = (texts: readonly string[]) => mapConcurrently(texts, concurrency, extractOne);
  const toPrediction = (result: OpenAiExtractionResult): FieldsPrediction =>
    recordPrediction(result, fieldNames, requiredFields);

  return {
    task: "extract",
    reference: extractor.reference,
    labels: fieldNames,
    fields: fieldNames,
    requiredFields,
    fieldDefinitions: extractor.fields,
    // Every record that validates is used as it is: there is no calibrated confidence to cut at.
    threshold: 0,
    info,
    usage: tally.usage,
    extract,
    predict: async (texts) => (await extract(texts)).map(toPrediction),
    async dispose() {
      // The SDK client holds no connections of its own beyond fetch's pool.
    },
    async [Symbol.asyncDispose]() {
      await this.dispose();
    },
  };
}
