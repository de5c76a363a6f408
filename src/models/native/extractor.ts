// The native extraction model: BIO tagging by a linear-chain model over hashed token features, with calibrated confidences.

import { type ExtractFieldType, normalizeFieldValue } from "../../text/normalizers/index.js";
import type {
  ExtractModel,
  FieldsPrediction,
  FieldValue,
  FieldValues,
  ModelInfo,
  PredictOptions,
} from "../task-model.js";
import { ChainDecoder, type ChainWeights } from "./extractor-decoder.js";
import { type ExtractorFeatureConfig, featurizeTokens } from "./extractor-features.js";
import { type Token, tagsToTokenSpans, tokenizeWithOffsets, trimRange } from "./extractor-tokens.js";

/** One span the model found, with offsets into the input text (trimmed of surrounding whitespace/punctuation). */
export interface ExtractedSpan {
  start: number;
  end: number;
  label: string;
  text: string;
  /** Calibrated probability that this exact span is right, in [0, 1]. */
  confidence: number;
}

/** A field's value: the most confident span with that label, normalized by the field's type when known. */
export interface ExtractedField {
  text: string;
  /** The normalizer's value for typed fields (see `src/text/normalizers/`), otherwise the trimmed text. */
  value: unknown;
  confidence: number;
}

export interface ExtractPrediction {
  spans: ExtractedSpan[];
  fields: Record<string, ExtractedField>;
  /**
   * Confidence that the whole record is right: the minimum of the found fields' confidences and of the
   * model's confidence that every other token is outside any field (so a probably missed field lowers it
   * too; without that, an empty prediction would always look certain). 1 when nothing is found and nothing
   * is likely missed.
   */
  confidence: number;
  /** `confidence >= threshold` and every required field was found. */
  accepted: boolean;
}

export interface ExtractOptions {
  /** The "today" relative dates ("tomorrow", "next Friday") are resolved against. Default: the current date. */
  referenceDate?: Date;
}

export interface NativeExtractorParts {
  fields: readonly string[];
  /** Value type of each field, where known (from the use case's schema). Default: none (values are text). */
  fieldTypes?: Readonly<Record<string, ExtractFieldType>>;
  /** Fields a record must have to be accepted. Default none. */
  requiredFields?: readonly string[];
  features: ExtractorFeatureConfig;
  weights: ChainWeights;
  /** Divides path scores before forward-backward; fitted on validation data. 1 means uncalibrated. */
  temperature: number;
  threshold: number;
  reference?: string;
  info?: ModelInfo;
}

export class NativeExtractor implements ExtractModel {
  readonly task = "extract" as const;
  readonly reference: string;
  readonly fields: readonly string[];
  readonly fieldTypes: Readonly<Record<string, ExtractFieldType>>;
  readonly requiredFields: readonly string[];
  readonly features: ExtractorFeatureConfig;
  readonly weights: ChainWeights;
  readonly temperature: number;
  readonly threshold: number;
  readonly info: ModelInfo;
  private readonly decoder: ChainDecoder;

  constructor(parts: NativeExtractorParts) {
    this.fields = parts.fields;
    this.fieldTypes = parts.fieldTypes ?? {};
    this.requiredFields = parts.requiredFields ?? [];
    this.features = parts.features;
    this.weights = parts.weights;
    this.temperature = parts.temperature;
    this.threshold = parts.threshold;
    this.reference = parts.reference ?? "native:in-memory";
    // Parameters: every emission and transition score; memory: those tables as loaded.
    this.info = {
      parameters: parts.weights.emission.length + parts.weights.transition.length,
      memoryBytes: parts.weights.emission.byteLength + parts.weights.transition.byteLength,
      ...parts.info,
    };
    this.decoder = new ChainDecoder(parts.weights.tagCount);
  }

  /** The field names: what `labels` means for an extract model. */
  get labels(): readonly string[] {
    return this.fields;
  }

  /** Each text's record as every extract model gives it (see `FieldsPrediction`); `extract` has the spans too. */
  predictSync(texts: readonly string[], options: PredictOptions = {}): FieldsPrediction[] {
    return this.extract(texts, options).map((prediction) => this.toFieldsPrediction(prediction));
  }

  async predict(texts: readonly string[], options: PredictOptions = {}): Promise<FieldsPrediction[]> {
    return this.predictSync(texts, options);
  }

  private toFieldsPrediction(prediction: ExtractPrediction): FieldsPrediction {
    const fields: FieldValues = {};
    const raw: Record<string, unknown> = {};
    for (const name of this.fields) {
      const found = prediction.fields[name];
      fields[name] = found === undefined ? null : flatValue(found);
      if (found !== undefined) raw[name] = found.text;
    }
    const result: FieldsPrediction = {
      fields,
      raw,
      confidence: prediction.confidence,
      accepted: prediction.accepted,
    };
    if (!prediction.accepted && prediction.confidence >= this.threshold) {
      const missing = this.requiredFields.filter((field) => prediction.fields[field] === undefined);
      result.refusal =
        missing.length > 0
          ? `required fields missing (${missing.join(", ")})`
          : "the record was not accepted";
    }
    return result;
  }

  /** Extracts spans and fields from each text, synchronously (the in-process fast path). */
  extract(texts: readonly string[], options: ExtractOptions = {}): ExtractPrediction[] {
    const referenceDate = options.referenceDate ?? new Date();
    return texts.map((text) => this.extractOne(text, referenceDate));
  }

  private extractOne(text: string, referenceDate: Date): ExtractPrediction {
    const tokens = tokenizeWithOffsets(text);
    const length = tokens.length;
    const decoder = this.decoder;
    const tagCount = decoder.tagCount;
    decoder.score(this.weights, featurizeTokens(tokens, this.features), length);
    decoder.viterbi(this.weights, length);
    decoder.marginals(this.weights, length, this.temperature);
    const { path, marginal } = decoder;
    let confidence = 1;
    for (let token = 0; token < length; token++) {
      const probability = marginal[token * tagCount + (path[token] as number)] as number;
      if (probability < confidence) confidence = probability;
    }
    const spans: ExtractedSpan[] = [];
    for (const tokenSpan of tagsToTokenSpans(path, length)) {
      let spanConfidence = 1;
      for (let token = tokenSpan.first; token <= tokenSpan.last; token++) {
        spanConfidence = Math.min(
          spanConfidence,
          marginal[token * tagCount + (path[token] as number)] as number,
        );
      }
      // The span must also end here: the next token must not continue it.
      if (tokenSpan.last + 1 < length) {
        const continues = marginal[(tokenSpan.last + 1) * tagCount + 2 + 2 * tokenSpan.field] as number;
        spanConfidence = Math.min(spanConfidence, 1 - continues);
      }
      const range = trimRange(
        text,
        (tokens[tokenSpan.first] as Token).start,
        (tokens[tokenSpan.last] as Token).end,
      );
      if (range.start === range.end) continue;
      spans.push({
        start: range.start,
        end: range.end,
        label: this.fields[tokenSpan.field] as string,
        text: text.slice(range.start, range.end),
        confidence: spanConfidence,
      });
      if (spanConfidence < confidence) confidence = spanConfidence;
    }
    const fields: Record<string, ExtractedField> = {};
    for (const span of spans) {
      const existing = fields[span.label];
      if (existing !== undefined && existing.confidence >= span.confidence) continue;
      const type = this.fieldTypes[span.label];
      fields[span.label] = {
        text: span.text,
        value: type === undefined ? span.text : normalizeFieldValue(type, span.text, { referenceDate }),
        confidence: span.confidence,
      };
    }
    const complete = this.requiredFields.every((field) => fields[field] !== undefined);
    return { spans, fields, confidence, accepted: complete && confidence >= this.threshold };
  }

  /** A copy that uses another threshold (e.g. a use case's own target). */
  withThreshold(threshold: number): NativeExtractor {
    return new NativeExtractor({ ...this.parts(), threshold });
  }

  parts(): NativeExtractorParts {
    return {
      fields: this.fields,
      fieldTypes: this.fieldTypes,
      requiredFields: this.requiredFields,
      features: this.features,
      weights: this.weights,
      temperature: this.temperature,
      threshold: this.threshold,
      reference: this.reference,
      info: this.info,
    };
  }

  async dispose(): Promise<void> {
    // Nothing to release: weights are plain typed arrays owned by the garbage collector.
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}

/**
 * A typed value as clients get it: money's amount and a quantity's value as numbers, dates and times as their
 * normalized strings. Text its type could not read keeps its words, so nothing found is lost.
 */
function flatValue(field: ExtractedField): FieldValue {
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
