// Scores any extractor (native, GGUF, OpenAI-compatible) by normalized field VALUES, since LLM replies have no spans.

import { isDeepStrictEqual } from "node:util";
import { SlmkitError } from "../errors.js";
import { goldSpans } from "../models/native/extractor-tokens.js";
import type { ExtractModel, FieldsPrediction } from "../models/task-model.js";
import { type ExtractFieldType, normalizeFieldValue } from "../text/normalizers/index.js";
import type { SpanExample } from "../types.js";
import type { LatencyPercentiles } from "./evaluate.js";
import { evenlySpacedIndices, millisecondsSince, percentiles, startTimer } from "./latency.js";
import { harmonic, ratio, round } from "./metrics.js";

/** A field as the value scorer needs it: the use case's `schema.fields[]`. */
export interface ValueField {
  name: string;
  type: ExtractFieldType;
  /** A record without this field is incomplete: an LLM's record is then not accepted. Default false. */
  required?: boolean | undefined;
}

export interface EvaluateExtractValuesOptions {
  /** Texts timed one per `extract` call for `latencyMs`, spread evenly. Default 200 (all when fewer). */
  latencySamples?: number;
  /** Texts per `extract` call in the scored pass. Default 256. */
  batchSize?: number;
  /** "Today" for relative dates, the same for gold and predicted values. Default: the current date. */
  referenceDate?: Date;
  /** Texts scored so far, after each batch. */
  onProgress?: (done: number) => void;
  signal?: AbortSignal;
}

export interface FieldValueMetrics {
  precision: number;
  recall: number;
  f1: number;
  /** Records with a gold value for this field. */
  support: number;
}

/** Value-level scores of one extractor. Ratios are rounded to 6 decimals. */
export interface ExtractValuesReport {
  task: "extract";
  model: string;
  /** Test records. */
  n: number;
  /** Micro precision, recall and F1 over (record, field) values. */
  fieldPrecision: number;
  fieldRecall: number;
  fieldF1: number;
  perField: Record<string, FieldValueMetrics>;
  /** Share of records that validated and whose every field is right (a value where gold has none is wrong). */
  recordAccuracy: number;
  /** Share of records the model accepted as they are. */
  coverage: number;
  /** Share of accepted records that are entirely right; null when none is accepted. */
  acceptedAccuracy: number | null;
  /** Records for which the model gave no valid record ("unsure": invalid replies). */
  unsure: number;
  latencyMs: LatencyPercentiles;
  latencySamples: number;
  /** Records per second over the batched pass. */
  throughputPerSec: number;
}

/**
 * A field's comparable value: the type's normalizer on the text (so "four" and "4" agree), falling back to the
 * trimmed text when the normalizer cannot read it, so an unreadable value still counts and can still match.
 * A bare number for money or quantity (the LLM prompt asks for the amount without currency or unit) stays a
 * number; `valuesMatch` compares it with the gold amount.
 */
export function normalizeValue(type: ExtractFieldType, value: unknown, referenceDate: Date): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === "number" && (type === "money" || type === "quantity")) return value;
  const text = typeof value === "string" ? value : String(value);
  if (text.trim() === "") return null;
  const normalized = normalizeFieldValue(type, text, { referenceDate });
  return normalized === null || normalized === undefined ? text.trim() : normalized;
}

/** True when a normalized prediction equals a normalized gold value (a bare number matches a money amount or quantity value). */
export function valuesMatch(predicted: unknown, gold: unknown): boolean {
  if (isDeepStrictEqual(predicted, gold)) return true;
  if (typeof predicted === "number" && typeof gold === "object" && gold !== null) {
    const numeric = gold as { amount?: unknown; value?: unknown };
    return numeric.amount === predicted || numeric.value === predicted;
  }
  return false;
}

/**
 * The gold values of one record: per field, the normalized values of its (trimmed) gold spans; a field with
 * several spans is right when the prediction equals any of them.
 */
export function goldFieldValues(
  example: SpanExample,
  fields: readonly ValueField[],
  referenceDate: Date,
): Map<string, unknown[]> {
  const types = new Map(fields.map((field) => [field.name, field.type]));
  const gold = new Map<string, unknown[]>();
  for (const span of goldSpans(example.text, example.spans)) {
    const type = types.get(span.label);
    if (type === undefined) continue;
    const value = normalizeValue(type, example.text.slice(span.start, span.end), referenceDate);
    if (value === null) continue;
    const values = gold.get(span.label) ?? [];
    if (!values.some((other) => isDeepStrictEqual(other, value))) values.push(value);
    gold.set(span.label, values);
  }
  return gold;
}

/**
 * Runs `model` over `examples` in batches, scores each record's normalized values against the gold spans'
 * normalized text, then times single-text calls. Counting, per field and record: a predicted value with gold
 * is a true positive when it matches, else both a false positive and a false negative; a value without gold
 * a false positive; gold without a value a false negative. An "unsure" record predicts nothing and is wrong.
 */
export async function evaluateExtractValues(
  model: ExtractModel,
  fields: readonly ValueField[],
  examples: readonly SpanExample[],
  options: EvaluateExtractValuesOptions = {},
): Promise<ExtractValuesReport> {
  const latencySamples = options.latencySamples ?? 200;
  const batchSize = options.batchSize ?? 256;
  for (const [name, value] of [
    ["latencySamples", latencySamples],
    ["batchSize", batchSize],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new SlmkitError("INVALID_OPTION", `${name} must be a positive integer, got ${value}.`, {
        field: name,
      });
    }
  }
  if (examples.length === 0) {
    throw new SlmkitError(
      "EMPTY_DATA",
      "the test set is empty; give span-annotated examples to evaluate on.",
    );
  }
  if (fields.length === 0) {
    throw new SlmkitError("INVALID_OPTION", "give at least one field to score.", { field: "fields" });
  }
  const referenceDate = options.referenceDate ?? new Date();
  const texts = examples.map((example) => example.text);
  const extractions: FieldsPrediction[] = [];
  const batchedStart = startTimer();
  for (let start = 0; start < texts.length; start += batchSize) {
    options.signal?.throwIfAborted();
    const batch = texts.slice(start, start + batchSize);
    const results = await model.predict(batch, { referenceDate });
    if (results.length !== batch.length) {
      throw new SlmkitError(
        "INVALID_INPUT",
        `${model.reference} returned ${results.length} extractions for ${batch.length} texts; an extractor must answer every text.`,
      );
    }
    extractions.push(...results);
    options.onProgress?.(extractions.length);
  }

  const batchedSeconds = millisecondsSince(batchedStart) / 1000;
  const counts = new Map(fields.map((field) => [field.name, { truePositives: 0, predicted: 0, gold: 0 }]));
  let correctCount = 0;
  let acceptedCount = 0;
  let acceptedRight = 0;
  let unsure = 0;
  for (const [index, extraction] of extractions.entries()) {
    const gold = goldFieldValues(examples[index] as SpanExample, fields, referenceDate);
    // Each model's record as it wrote it: scored through the same normalizers as gold, whoever made it.
    const values = extraction.raw;
    if (values === null) unsure++;
    let recordRight = values !== null;
    for (const field of fields) {
      const fieldCounts = counts.get(field.name) as {
        truePositives: number;
        predicted: number;
        gold: number;
      };
      const goldValues = gold.get(field.name);
      const predicted =
        values === null ? null : normalizeValue(field.type, values[field.name], referenceDate);
      if (goldValues !== undefined) fieldCounts.gold++;
      if (predicted !== null) fieldCounts.predicted++;
      const right =
        goldValues === undefined
          ? predicted === null
          : predicted !== null && goldValues.some((value) => valuesMatch(predicted, value));
      if (right && predicted !== null) fieldCounts.truePositives++;
      if (!right) recordRight = false;
    }
    if (recordRight) correctCount++;
    if (values !== null && extraction.accepted) {
      acceptedCount++;
      if (recordRight) acceptedRight++;
    }
  }

  let truePositives = 0;
  let predictedCount = 0;
  let goldCount = 0;
  const perField: Record<string, FieldValueMetrics> = {};
  for (const [name, fieldCounts] of counts) {
    truePositives += fieldCounts.truePositives;
    predictedCount += fieldCounts.predicted;
    goldCount += fieldCounts.gold;
    const precision = ratio(fieldCounts.truePositives, fieldCounts.predicted);
    const recall = ratio(fieldCounts.truePositives, fieldCounts.gold);
    perField[name] = {
      precision: round(precision),
      recall: round(recall),
      f1: round(harmonic(precision, recall)),
      support: fieldCounts.gold,
    };
  }

  const timings: number[] = [];
  for (const index of evenlySpacedIndices(texts.length, latencySamples)) {
    options.signal?.throwIfAborted();
    const start = startTimer();
    await model.predict([texts[index] as string], { referenceDate });
    timings.push(millisecondsSince(start));
  }
  const [p50, p95, p99] = percentiles(timings, [50, 95, 99]) as [number, number, number];
  const precision = ratio(truePositives, predictedCount);
  const recall = ratio(truePositives, goldCount);
  return {
    task: "extract",
    model: model.reference,
    n: examples.length,
    fieldPrecision: round(precision),
    fieldRecall: round(recall),
    fieldF1: round(harmonic(precision, recall)),
    perField,
    recordAccuracy: round(correctCount / examples.length),
    coverage: round(acceptedCount / examples.length),
    acceptedAccuracy: acceptedCount === 0 ? null : round(acceptedRight / acceptedCount),
    unsure,
    latencyMs: { p50: round(p50, 4), p95: round(p95, 4), p99: round(p99, 4) },
    latencySamples: timings.length,
    throughputPerSec: round(texts.length / Math.max(batchedSeconds, 1e-9), 2),
  };
}
