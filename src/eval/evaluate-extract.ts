// Evaluates an extractor on span-annotated test data: the `slmkit eval` report for `extract` (DESIGN.md, "Contracts").

import { isDeepStrictEqual } from "node:util";
import { SlmkitError } from "../errors.js";
import type { ExtractPrediction, NativeExtractor } from "../models/native/extractor.js";
import { goldSpans, recordCorrect, spanKey } from "../models/native/extractor-tokens.js";
import { normalizeFieldValue } from "../text/normalizers/index.js";
import type { Span, SpanExample } from "../types.js";
import type { CoverageAtTargets, LatencyPercentiles } from "./evaluate.js";
import { evenlySpacedIndices, millisecondsSince, percentiles, startTimer } from "./latency.js";
import { harmonic, ratio, round } from "./metrics.js";
import {
  type CoveragePoint,
  coverageAtAccuracy,
  exactCoverageCurve,
  standardAccuracyTargets,
  thinCoverageCurve,
} from "./selective.js";

export interface EvaluateExtractorOptions {
  /** How many test texts to time one per `extract` call for `latencyMs`, spread evenly. Default 500 (all when fewer). */
  latencySamples?: number;
  /** "Today" for relative dates, the same for gold and predicted values. Default: the current date. */
  referenceDate?: Date;
}

export interface FieldMetrics {
  precision: number;
  recall: number;
  f1: number;
  /** Gold spans of this field. */
  support: number;
  /**
   * Of the records whose gold field value could be normalized (the field's type, or the trimmed text when
   * untyped), the share whose predicted field value equals it; null when there are none.
   */
  valueAccuracy: number | null;
  /** How many records `valueAccuracy` is over. */
  valueSupport: number;
}

/** The JSON of `slmkit eval` for an extractor. Ratios are rounded to 6 decimals; thresholds never are. */
export interface ExtractionEvalReport {
  task: "extract";
  model: string;
  createdAt: string;
  /** Test records. */
  n: number;
  /** Micro precision, recall and F1 of exact spans (start, end, label) after trimming on both sides. */
  spanPrecision: number;
  spanRecall: number;
  spanF1: number;
  /** Micro F1 where a span counts when it shares a character with one of the same label. */
  spanF1Overlap: number;
  perField: Record<string, FieldMetrics>;
  /** Share of records whose predicted spans exactly equal the gold spans. */
  recordAccuracy: number;
  /** The model's own threshold on record confidence, chosen on validation data. */
  threshold: number;
  targetAccuracy: number | null;
  /** Share of records accepted (confident and every required field found). */
  coverage: number;
  /** Share of accepted records that are entirely right; null when none is accepted. */
  acceptedAccuracy: number | null;
  /** Coverage vs whole-record accuracy by descending threshold, thinned to at most 200 points. */
  curve: CoveragePoint[];
  coverageAt: CoverageAtTargets;
  /** Gold spans whose label the model does not extract: left out of every figure above. */
  outOfScope: { n: number; labels: Record<string, number> };
  latencyMs: LatencyPercentiles;
  latencySamples: number;
  throughputPerSec: number;
  modelBytes: number | null;
  trainSeconds: number | null;
}

const warmUpCalls = 10;

/** Evaluates `model` on `examples`: span scores, per-field value accuracy, whole-record selective prediction, speed. */
export async function evaluateExtractor(
  model: NativeExtractor,
  examples: readonly SpanExample[],
  options: EvaluateExtractorOptions = {},
): Promise<ExtractionEvalReport> {
  const latencySamples = options.latencySamples ?? 500;
  if (!Number.isInteger(latencySamples) || latencySamples < 1) {
    throw new SlmkitError(
      "INVALID_OPTION",
      `latencySamples must be a positive integer, got ${latencySamples}.`,
      {
        field: "latencySamples",
      },
    );
  }
  if (examples.length === 0) {
    throw new SlmkitError(
      "EMPTY_DATA",
      "the test set is empty; give span-annotated examples to evaluate on.",
    );
  }
  const referenceDate = options.referenceDate ?? new Date();
  const known = new Set(model.fields);
  const outOfScope: Record<string, number> = {};
  let outOfScopeCount = 0;
  const gold = examples.map((example) =>
    goldSpans(example.text, example.spans).filter((span) => {
      if (known.has(span.label)) return true;
      outOfScope[span.label] = (outOfScope[span.label] ?? 0) + 1;
      outOfScopeCount++;
      return false;
    }),
  );
  const texts = examples.map((example) => example.text);

  const started = startTimer();
  const predictions = model.extract(texts, { referenceDate });
  const batchMilliseconds = millisecondsSince(started);

  const counts = new Map(
    model.fields.map((field) => [
      field,
      { truePositives: 0, predicted: 0, gold: 0, valueRight: 0, valueTotal: 0 },
    ]),
  );
  let truePositives = 0;
  let predictedCount = 0;
  let goldCount = 0;
  let overlapPrecisionHits = 0;
  let overlapRecallHits = 0;
  const correct: boolean[] = [];
  const confidences: number[] = [];
  for (const [index, prediction] of predictions.entries()) {
    const goldOfRecord = gold[index] as Span[];
    const goldKeys = new Set(goldOfRecord.map(spanKey));
    predictedCount += prediction.spans.length;
    goldCount += goldOfRecord.length;
    for (const span of prediction.spans) {
      const fieldCounts = counts.get(span.label);
      if (fieldCounts) fieldCounts.predicted++;
      if (goldKeys.has(spanKey(span))) {
        truePositives++;
        if (fieldCounts) fieldCounts.truePositives++;
      }
      if (goldOfRecord.some((other) => overlaps(span, other))) overlapPrecisionHits++;
    }
    for (const span of goldOfRecord) {
      const fieldCounts = counts.get(span.label);
      if (fieldCounts) fieldCounts.gold++;
      if (prediction.spans.some((other) => overlaps(span, other))) overlapRecallHits++;
    }
    scoreValues(model, examples[index] as SpanExample, goldOfRecord, prediction, counts, referenceDate);
    correct.push(recordCorrect(prediction.spans, goldOfRecord));
    const complete = model.requiredFields.every((field) => prediction.fields[field] !== undefined);
    confidences.push(complete ? prediction.confidence : 0);
  }

  const perField: Record<string, FieldMetrics> = {};
  for (const [field, fieldCounts] of counts) {
    const precision = ratio(fieldCounts.truePositives, fieldCounts.predicted);
    const recall = ratio(fieldCounts.truePositives, fieldCounts.gold);
    perField[field] = {
      precision: round(precision),
      recall: round(recall),
      f1: round(harmonic(precision, recall)),
      support: fieldCounts.gold,
      valueAccuracy:
        fieldCounts.valueTotal === 0 ? null : round(fieldCounts.valueRight / fieldCounts.valueTotal),
      valueSupport: fieldCounts.valueTotal,
    };
  }

  const accepted = predictions.map((prediction) => prediction.accepted);
  const acceptedCount = accepted.filter(Boolean).length;
  const acceptedRight = accepted.filter((isAccepted, index) => isAccepted && correct[index]).length;
  const exact = exactCoverageCurve(confidences, correct);
  const coverageAt = {
    "0.95": round(coverageAtAccuracy(exact, standardAccuracyTargets[0])),
    "0.97": round(coverageAtAccuracy(exact, standardAccuracyTargets[1])),
    "0.99": round(coverageAtAccuracy(exact, standardAccuracyTargets[2])),
  };
  const curve = thinCoverageCurve(exact, { keepThresholds: [model.threshold] }).map((point) => ({
    threshold: point.threshold,
    coverage: round(point.coverage),
    accuracy: round(point.accuracy),
  }));

  const samples = evenlySpacedIndices(texts.length, latencySamples);
  for (let call = 0; call < Math.min(warmUpCalls, texts.length); call++)
    model.extract([texts[call] as string], { referenceDate });
  const timings: number[] = [];
  for (const index of samples) {
    const start = startTimer();
    model.extract([texts[index] as string], { referenceDate });
    timings.push(millisecondsSince(start));
  }
  const [p50, p95, p99] = percentiles(timings, [50, 95, 99]) as [number, number, number];
  const spanPrecision = ratio(truePositives, predictedCount);
  const spanRecall = ratio(truePositives, goldCount);
  return {
    task: "extract",
    model: model.reference,
    createdAt: new Date().toISOString(),
    n: examples.length,
    spanPrecision: round(spanPrecision),
    spanRecall: round(spanRecall),
    spanF1: round(harmonic(spanPrecision, spanRecall)),
    spanF1Overlap: round(
      harmonic(ratio(overlapPrecisionHits, predictedCount), ratio(overlapRecallHits, goldCount)),
    ),
    perField,
    recordAccuracy: round(correct.filter(Boolean).length / correct.length),
    threshold: model.threshold,
    targetAccuracy: model.info.targetAccuracy ?? null,
    coverage: round(acceptedCount / examples.length),
    acceptedAccuracy: acceptedCount === 0 ? null : round(acceptedRight / acceptedCount),
    curve,
    coverageAt,
    outOfScope: { n: outOfScopeCount, labels: outOfScope },
    latencyMs: { p50: round(p50, 4), p95: round(p95, 4), p99: round(p99, 4) },
    latencySamples: samples.length,
    throughputPerSec: round(texts.length / Math.max(batchMilliseconds / 1000, 1e-9), 1),
    modelBytes: model.info.modelBytes ?? null,
    trainSeconds: model.info.trainSeconds ?? null,
  };
}

/** Compares the first gold span's normalized value of each field with the model's field value. */
function scoreValues(
  model: NativeExtractor,
  example: SpanExample,
  gold: readonly Span[],
  prediction: ExtractPrediction,
  counts: Map<string, { valueRight: number; valueTotal: number }>,
  referenceDate: Date,
): void {
  const seen = new Set<string>();
  for (const span of gold) {
    if (seen.has(span.label)) continue;
    seen.add(span.label);
    const fieldCounts = counts.get(span.label);
    if (fieldCounts === undefined) continue;
    const text = example.text.slice(span.start, span.end);
    const type = model.fieldTypes[span.label];
    const goldValue = type === undefined ? text : normalizeFieldValue(type, text, { referenceDate });
    if (goldValue === null || goldValue === undefined) continue;
    fieldCounts.valueTotal++;
    const predicted = prediction.fields[span.label];
    if (predicted !== undefined && isDeepStrictEqual(predicted.value, goldValue)) fieldCounts.valueRight++;
  }
}

function overlaps(a: Span, b: Span): boolean {
  return a.label === b.label && a.start < b.end && b.start < a.end;
}
