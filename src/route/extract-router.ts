// The hybrid router of extract use cases: cache → extractor → accept, or the LLM's validated fields → else human review.

import type { CacheHit } from "../cache/types.js";
import { SlmkitError } from "../errors.js";
import type { LlmExtraction, LlmExtractor } from "../models/llm.js";
import type { ExtractedField, ExtractPrediction } from "../models/native/extractor.js";
import { createMicroBatcher, type MicroBatcher } from "./micro-batcher.js";
import { createRequestId } from "./request-id.js";
import type { Router, RouterOptions } from "./router.js";
import { createRouterCore, defaultHoldingAnswer, formatComparison, requestText } from "./router-core.js";
import type { RouteRequest, RouteResult } from "./types.js";

/** Field name → value: a string, a number (integer, number, money and quantity fields), or null when absent. */
export type FieldValues = Record<string, string | number | null>;

/** What the extract router needs of the small model; `NativeExtractor` fits. */
export interface ExtractRouterModel {
  readonly fields: readonly string[];
  /** Fields a record needs to be accepted, named in the reason when missing. Default none. */
  readonly requiredFields?: readonly string[];
  /** Calibrated record-confidence threshold. */
  readonly threshold: number;
  /** `accepted` must mean: record confidence ≥ threshold and every required field found. */
  extract(texts: readonly string[], options?: { referenceDate?: Date }): ExtractPrediction[];
}

export interface ExtractRouterOptions extends Omit<RouterOptions, "model" | "llm" | "random"> {
  model: ExtractRouterModel;
  /** The escalation LLM (see `LlmExtractor`); absent: escalations go straight to review. */
  llm?: LlmExtractor;
}

/** What the log keeps of field values when `privacy.storeText` is false: which fields were found, not what. */
export const redactedFieldValue = "[REDACTED]";

interface SmallModelRecord {
  prediction: ExtractPrediction;
  threshold: number;
  version: string | null;
  requiredFields: readonly string[];
}

/**
 * Creates the router of one extract use case, with the policy of `createRouter`:
 * 1. Cache: an exact hit of an earlier LLM answer (scope `<useCaseId>:<apiKeyId or "local">`) answers.
 * 2. Extractor (micro-batched): an `accepted` record (confidence ≥ threshold, required fields found) answers,
 *    `answeredBy: "slm"`.
 * 3. Otherwise, when `routing.fallback` is "llm" and the budget and circuit allow, the LLM extracts (PII
 *    redacted when `privacy.redactPii`, within `llmTimeoutMs`); fields that fit the schema answer,
 *    `answeredBy: "llm"`, and are cached as compact JSON.
 * 4. Otherwise review: the item's `slmLabel` holds the extractor's fields as compact JSON; the reply is those
 *    fields flagged ("llm", "slm") or the holding answer ("review").
 * The reply's `fields` hold every field of the use case (null when absent) and `label` the same as compact
 * JSON. One log row per call, with that JSON as label, slm label and LLM label; when `privacy.storeText` is
 * false the logged values are replaced by "[REDACTED]" (null stays null): they are words of the text.
 * Record confidence is the logged confidence. Invalid requests throw INVALID_INPUT and log nothing.
 */
export function createExtractRouter(options: ExtractRouterOptions): Router<ExtractRouterModel> {
  const { useCase, llm } = options;
  if (useCase.task !== "extract") {
    throw new SlmkitError(
      "NOT_SUPPORTED",
      `use case "${useCase.id}" is a ${useCase.task} task; route it with createRouter.`,
    );
  }
  const core = createRouterCore(options);
  const { fallback, breaker, counters, now } = core;
  const storeText = useCase.privacy.storeText;
  const holdingAnswer = options.holdingAnswer ?? defaultHoldingAnswer;
  // The fields clients get: the use case's schema, or the model's when the use case lists none.
  const fieldNames: readonly string[] = useCase.schema?.fields.map((field) => field.name) ?? [
    ...options.model.fields,
  ];

  let active = { model: options.model, version: options.modelVersion ?? null };
  const predictBatch = (texts: string[]): SmallModelRecord[] => {
    // One snapshot per batch: a hot reload between batches never mixes models within one answer.
    const { model, version } = active;
    const requiredFields = model.requiredFields ?? [];
    return model
      .extract(texts, { referenceDate: new Date(now()) })
      .map((prediction) => ({ prediction, threshold: model.threshold, version, requiredFields }));
  };
  const batcher: MicroBatcher<string, SmallModelRecord> | null =
    options.batching === false ? null : createMicroBatcher(predictBatch, options.batching ?? {});
  const predict = async (text: string): Promise<SmallModelRecord> => {
    if (batcher !== null) return batcher.submit(text);
    return predictBatch([text])[0] as SmallModelRecord;
  };

  /** The LLM's fields when they fit the schema; otherwise why not (field names only: values are the text's). */
  const escalate = async (
    text: string,
    apiKeyId: string | null,
  ): Promise<{ llm: LlmExtraction | null; fields?: FieldValues; failure?: string }> => {
    const refused = await core.refuseEscalation(llm !== undefined, apiKeyId);
    if (refused !== undefined || llm === undefined)
      return { llm: null, failure: refused ?? "no LLM configured" };
    let reply: LlmExtraction;
    try {
      reply = await core.callLlm(
        llm.model,
        (outgoing, signal) => llm.extract(outgoing, signal),
        text,
        apiKeyId,
      );
    } catch (error) {
      return { llm: null, failure: core.describeFailure(error) };
    }
    const checked = reply.fields === null ? undefined : checkFieldValues(reply.fields, fieldNames);
    if (checked !== undefined && "fields" in checked) return { llm: reply, fields: checked.fields };
    counters.llm.unsure += 1;
    const why =
      checked === undefined
        ? `no valid fields after ${reply.attempts} attempt${reply.attempts === 1 ? "" : "s"}`
        : checked.problem;
    return { llm: reply, failure: `llm unsure (${why})` };
  };

  const logged = (fields: FieldValues | null): string | null => {
    if (fields === null) return null;
    return storeText ? JSON.stringify(fields) : JSON.stringify(redactFieldValues(fields));
  };

  const finish = (
    request: RouteRequest,
    requestId: string,
    started: number,
    text: string,
    slm: SmallModelRecord,
    slmFields: FieldValues,
    llmFields: FieldValues | null,
    outcome: Omit<
      RouteResult,
      "requestId" | "useCaseId" | "threshold" | "slm" | "latencyMs" | "modelVersion" | "label"
    > & { fields: FieldValues | null },
  ): RouteResult => {
    // Every field named, no spread, as in the classify router (V8's object spread is its slow path).
    const result: RouteResult = {
      requestId,
      useCaseId: useCase.id,
      answeredBy: outcome.answeredBy,
      reason: outcome.reason,
      answer: outcome.answer,
      fields: outcome.fields,
      confidence: outcome.confidence,
      llm: outcome.llm,
      flagged: outcome.flagged,
      reviewId: outcome.reviewId,
      costUsd: outcome.costUsd,
      inputTokens: outcome.inputTokens,
      outputTokens: outcome.outputTokens,
      label: outcome.fields === null ? null : JSON.stringify(outcome.fields),
      threshold: slm.threshold,
      slm: { label: JSON.stringify(slmFields), confidence: slm.prediction.confidence },
      latencyMs: performance.now() - started,
      modelVersion: slm.version,
    };
    core.log(result, request.apiKeyId, text, {
      label: logged(outcome.fields),
      slmLabel: logged(slmFields),
      llmLabel: logged(llmFields),
      unknownShare: null,
    });
    return result;
  };

  return {
    async route(request) {
      const started = performance.now();
      const text = requestText(useCase.id, request, "extract from");
      const requestId = request.requestId ?? createRequestId();
      const scope = core.cacheScope(request.apiKeyId);

      // The extraction runs while the cache is asked: the log wants the small model's view even on a hit.
      const predicted = predict(text);
      predicted.catch(() => undefined);
      const hit = await core.lookUp(scope, text, requestId);
      const slm = await predicted;
      const { prediction, threshold } = slm;
      const slmFields = fieldValuesOf(prediction, fieldNames);
      const common = { inputTokens: 0, outputTokens: 0, costUsd: 0, reviewId: null, flagged: false } as const;
      const comparison = formatComparison(prediction.confidence, threshold);

      const cached = hit === undefined ? undefined : cachedFields(hit, fieldNames);
      if (hit !== undefined && cached === undefined) {
        core.logger?.warn(
          { requestId, scope },
          "router: a cached extraction is not JSON of the fields; ignored",
        );
      }
      if (hit !== undefined && cached !== undefined) {
        const how = hit.kind === "exact" ? "exact" : `semantic, similarity ${hit.similarity.toFixed(3)}`;
        return finish(request, requestId, started, text, slm, slmFields, null, {
          ...common,
          answeredBy: "cache",
          reason: `cache hit (${how}) of an earlier ${hit.answer.answeredBy} answer`,
          fields: cached,
          answer: null,
          confidence: hit.answer.confidence,
          llm: null,
        });
      }

      if (prediction.accepted) {
        return finish(request, requestId, started, text, slm, slmFields, null, {
          ...common,
          answeredBy: "slm",
          reason: comparison,
          fields: slmFields,
          answer: null,
          confidence: prediction.confidence,
          llm: null,
        });
      }
      const missing = slm.requiredFields.filter((field) => prediction.fields[field] === undefined);
      const unsure =
        prediction.confidence < threshold
          ? comparison
          : `${comparison} but ${missing.length > 0 ? `required fields missing (${missing.join(", ")})` : "the record was not accepted"}`;

      const escalation = await escalate(text, request.apiKeyId);
      const reply = escalation.llm;
      const llmFields = escalation.fields ?? null;
      const spent = {
        inputTokens: reply?.inputTokens ?? 0,
        outputTokens: reply?.outputTokens ?? 0,
        costUsd: reply?.costUsd ?? 0,
      };
      const llmField =
        reply === null
          ? null
          : { label: llmFields === null ? null : JSON.stringify(llmFields), model: llm?.model ?? "" };

      if (llmFields !== null) {
        const json = JSON.stringify(llmFields);
        core.cacheLater(scope, text, { label: json, confidence: 1, answeredBy: "llm" }, requestId);
        const found = fieldNames.filter((field) => llmFields[field] !== null).length;
        return finish(request, requestId, started, text, slm, slmFields, llmFields, {
          ...spent,
          reviewId: null,
          flagged: false,
          answeredBy: "llm",
          reason: `${unsure}; llm answered (${found} of ${fieldNames.length} fields)`,
          fields: llmFields,
          answer: null,
          confidence: null,
          llm: llmField,
        });
      }

      const queued = await core.queueReview({
        requestId,
        useCaseId: useCase.id,
        // Reviewers need the words the customer wrote, not the redacted copy the LLM saw.
        inputText: text,
        slmLabel: JSON.stringify(slmFields),
        slmConfidence: prediction.confidence,
        llmLabel: null,
        reason: `${unsure}; ${escalation.failure ?? "llm gave no fields"}; queued for review`,
      });
      const holding = fallback === "review";
      return finish(request, requestId, started, text, slm, slmFields, null, {
        ...spent,
        reviewId: queued.reviewId,
        answeredBy: "review",
        reason: queued.reason,
        fields: holding ? null : slmFields,
        answer: holding ? holdingAnswer : null,
        confidence: holding ? null : prediction.confidence,
        flagged: !holding,
        llm: llmField,
      });
    },

    setModel(model, version) {
      active = { model, version };
    },

    stats() {
      return {
        requests: counters.requests,
        answeredBy: { ...counters.answeredBy },
        flagged: counters.flagged,
        llm: { ...counters.llm },
        // No shadow sampling for extraction: agreement of two records needs a field-by-field measure.
        shadow: { sent: 0, agreed: 0, disagreed: 0, unsure: 0, failed: 0, skipped: 0, agreement: null },
        breaker: breaker.stats(),
        batcher: batcher?.stats() ?? null,
      };
    },

    async warmUp() {
      await core.warmUp(llm);
    },

    async idle() {
      await core.idle();
    },

    async close() {
      await this.idle();
    },

    async [Symbol.asyncDispose]() {
      await this.close();
    },
  };
}

/** Every field of `fieldNames` → the extractor's value for it, null when it found none. */
export function fieldValuesOf(prediction: ExtractPrediction, fieldNames: readonly string[]): FieldValues {
  const values: FieldValues = {};
  for (const name of fieldNames) {
    const found = prediction.fields[name];
    values[name] = found === undefined ? null : flatValue(found);
  }
  return values;
}

/**
 * A typed value as the LLM contract has it: money's amount and a quantity's value as numbers, dates and times
 * as their normalized strings. Text its type could not read keeps its words, so nothing found is lost.
 */
function flatValue(field: ExtractedField): string | number {
  const value = field.value;
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "object" && value !== null) {
    const typed = value as { amount?: unknown; value?: unknown };
    if (typeof typed.amount === "number") return typed.amount;
    if (typeof typed.value === "number") return typed.value;
  }
  return field.text;
}

/**
 * Checks that `value` is an object whose keys are all field names and whose values are strings, finite
 * numbers or null; returns it with every field present (absent ones null), or the first problem found.
 */
export function checkFieldValues(
  value: unknown,
  fieldNames: readonly string[],
): { fields: FieldValues } | { problem: string } {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return { problem: "not a JSON object of the fields" };
  const known = new Set(fieldNames);
  const entries = Object.entries(value as Record<string, unknown>);
  const unknown = entries.map(([key]) => key).filter((key) => !known.has(key));
  if (unknown.length > 0) {
    return {
      problem: `${unknown.map((key) => JSON.stringify(key)).join(", ")} ${unknown.length === 1 ? "is not a field" : "are not fields"}; the fields are ${fieldNames.join(", ")}`,
    };
  }
  const fields: FieldValues = {};
  for (const name of fieldNames) fields[name] = null;
  for (const [key, item] of entries) {
    if (item === null || typeof item === "string" || (typeof item === "number" && Number.isFinite(item)))
      fields[key] = item;
    else return { problem: `the value of "${key}" must be a string, a number or null` };
  }
  return { fields };
}

/** The fields as the log keeps them without text: found values replaced, absent ones null. */
export function redactFieldValues(fields: FieldValues): FieldValues {
  const redacted: FieldValues = {};
  for (const [name, value] of Object.entries(fields))
    redacted[name] = value === null ? null : redactedFieldValue;
  return redacted;
}

function cachedFields(hit: CacheHit, fieldNames: readonly string[]): FieldValues | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(hit.answer.label);
  } catch {
    return undefined;
  }
  const checked = checkFieldValues(parsed, fieldNames);
  return "fields" in checked ? checked.fields : undefined;
}
