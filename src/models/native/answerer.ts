// The native `answer` model: intent classifier + FAQ answer templates with slots, BM25 retrieval as a second opinion.

import { createFaqFiller, type FaqAnswer } from "../../data/faq.js";
import { normalizeText, tokenize } from "../../text/normalize.js";
import type { ClassPrediction } from "../../types.js";
import type { AnswerModel, AnswerPrediction, ModelInfo } from "../task-model.js";
import type { NativeClassifier } from "./classifier.js";
import { portableLog } from "./portable-math.js";

export type { AnswerSlot, FaqAnswer } from "../../data/faq.js";

/** The FAQ file beside the classifier's files in an answer model directory. */
export const faqFileName = "faq.json";

/** BM25 settings and the agreement rule. */
export interface RetrievalSettings {
  /** Term-frequency saturation. Default 1.2. */
  k1: number;
  /** Length normalization. Default 0.75. */
  b: number;
  /**
   * BM25 agrees with the classifier when its top label is the classifier's, or when the classifier's label
   * scores at least this share of BM25's top score (a near tie). Default 0.9.
   */
  agreementRatio: number;
}

export const defaultRetrievalSettings: RetrievalSettings = { k1: 1.2, b: 0.75, agreementRatio: 0.9 };

/** A retrievable text: a training question or an FAQ answer, with its intent. */
export interface RetrievalDocument {
  label: string;
  text: string;
}

/** What the answer model says about one question. */
export interface AnswerResult {
  /** The classifier's intent. */
  label: string;
  /** The filled answer when accepted; null otherwise: an unsure model never makes an answer up. */
  answer: string | null;
  /** The classifier's calibrated confidence in `label`. */
  confidence: number;
  /** Confident classifier, agreeing BM25 and every slot filled: the answer may be sent without escalation. */
  accepted: boolean;
  /** BM25's top intent and its score (0 when no word of the question is in the index). */
  bm25: { label: string | null; score: number };
  /** Why an answer was not accepted. */
  reason?: "low-confidence" | "retrieval-disagrees" | "missing-slot";
}

const wordToken = /^[\p{L}\p{N}]/u;

/** Words for BM25: normalized word tokens, a plural "s" dropped so "orders" finds "order". */
export function retrievalTerms(text: string): string[] {
  return tokenize(normalizeText(text))
    .filter((token) => wordToken.test(token))
    .map((token) =>
      token.length > 3 && token.endsWith("s") && !token.endsWith("ss") ? token.slice(0, -1) : token,
    );
}

/** An Okapi BM25 index over documents; a label's score is its best document's score. */
export class Bm25Index {
  private readonly documents: { label: string; terms: Map<string, number>; length: number }[];
  private readonly documentFrequency = new Map<string, number>();
  private readonly averageLength: number;

  constructor(
    documents: readonly RetrievalDocument[],
    private readonly settings: RetrievalSettings,
  ) {
    this.documents = documents.map((document) => {
      const terms = new Map<string, number>();
      const words = retrievalTerms(document.text);
      for (const word of words) terms.set(word, (terms.get(word) ?? 0) + 1);
      for (const word of terms.keys())
        this.documentFrequency.set(word, (this.documentFrequency.get(word) ?? 0) + 1);
      return { label: document.label, terms, length: words.length };
    });
    const total = this.documents.reduce((sum, document) => sum + document.length, 0);
    this.averageLength = this.documents.length === 0 ? 1 : Math.max(total / this.documents.length, 1);
  }

  /** Best BM25 score per label for `text`; labels with no shared word are absent. */
  scoreLabels(text: string): Map<string, number> {
    const query = [...new Set(retrievalTerms(text))];
    const count = this.documents.length;
    const { k1, b } = this.settings;
    const scores = new Map<string, number>();
    for (const document of this.documents) {
      let score = 0;
      for (const word of query) {
        const frequency = document.terms.get(word);
        if (frequency === undefined) continue;
        const containing = this.documentFrequency.get(word) ?? 0;
        const idf = portableLog(1 + (count - containing + 0.5) / (containing + 0.5));
        score +=
          (idf * frequency * (k1 + 1)) /
          (frequency + k1 * (1 - b + (b * document.length) / this.averageLength));
      }
      if (score > (scores.get(document.label) ?? 0)) scores.set(document.label, score);
    }
    return scores;
  }
}

export interface NativeAnswererParts {
  classifier: NativeClassifier;
  faq: readonly FaqAnswer[];
  documents: readonly RetrievalDocument[];
  retrieval?: RetrievalSettings;
  reference?: string;
  info?: ModelInfo;
}

/** Placeholders in an answer: `{name}`. */
export class NativeAnswerer implements AnswerModel {
  readonly task = "answer" as const;
  readonly reference: string;
  readonly classifier: NativeClassifier;
  readonly faq: readonly FaqAnswer[];
  readonly documents: readonly RetrievalDocument[];
  readonly retrieval: RetrievalSettings;
  readonly info: ModelInfo;
  private readonly index: Bm25Index;
  private readonly filler: (label: string, text: string) => string | null;

  constructor(parts: NativeAnswererParts) {
    this.classifier = parts.classifier;
    this.faq = parts.faq;
    this.documents = parts.documents;
    this.retrieval = parts.retrieval ?? defaultRetrievalSettings;
    this.reference = parts.reference ?? "native:in-memory";
    // The classifier's figures (parameters, memory) hold for the answerer, whose FAQ and index add little.
    this.info = { ...parts.classifier.info, ...parts.info };
    this.index = new Bm25Index(parts.documents, this.retrieval);
    this.filler = createFaqFiller(parts.faq);
  }

  get labels(): readonly string[] {
    return this.classifier.labels;
  }

  get threshold(): number {
    return this.classifier.threshold;
  }

  /** Answers each question; see the class comment for when an answer is accepted. */
  answer(texts: readonly string[]): AnswerResult[] {
    return texts.map((text) => this.answerOne(text));
  }

  private answerOne(text: string): AnswerResult {
    const [prediction] = this.classifier.predictSync([text]);
    const { label, confidence } = prediction as ClassPrediction;
    const scores = this.index.scoreLabels(text);
    let topLabel: string | null = null;
    let topScore = 0;
    for (const [candidate, score] of scores) {
      if (score > topScore) {
        topScore = score;
        topLabel = candidate;
      }
    }
    const bm25 = { label: topLabel, score: topScore };
    const agrees =
      topLabel !== null &&
      (topLabel === label || (scores.get(label) ?? 0) >= this.retrieval.agreementRatio * topScore);
    if (confidence < this.classifier.threshold)
      return { label, answer: null, confidence, accepted: false, bm25, reason: "low-confidence" };
    if (!agrees)
      return { label, answer: null, confidence, accepted: false, bm25, reason: "retrieval-disagrees" };
    const filled = this.fillAnswer(label, text);
    if (filled === null)
      return { label, answer: null, confidence, accepted: false, bm25, reason: "missing-slot" };
    return { label, answer: filled, confidence, accepted: true, bm25 };
  }

  /**
   * The answer of `label` with its slots filled from `text`; null when the label has no answer or a slot has
   * neither a match nor a fallback. The gateway uses it for a label the LLM picked.
   */
  fillAnswer(label: string, text: string): string | null {
    return this.filler(label, text);
  }

  /** The answer of `label` filled from `text` (see `fillAnswer`): how the router answers an LLM's pick. */
  answerFor(label: string, text: string): string | null {
    return this.fillAnswer(label, text);
  }

  /**
   * Intent predictions with `accepted` meaning the whole answer gate passed, the filled answer, and why a
   * confident prediction was refused: for evaluation, routing and the edge runtime.
   */
  predictSync(texts: readonly string[]): AnswerPrediction[] {
    return this.answer(texts).map(toAnswerPrediction);
  }

  async predict(texts: readonly string[]): Promise<AnswerPrediction[]> {
    return this.predictSync(texts);
  }

  /** The intent classifier's sentence vectors, for the semantic cache. */
  embed(texts: readonly string[]): Float32Array[] {
    return this.classifier.embed(texts);
  }

  async dispose(): Promise<void> {
    // Nothing to release: plain arrays and maps.
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}

/** How each refusal of the answer gate reads in a reason. */
const refusals: Record<NonNullable<AnswerResult["reason"]>, string> = {
  "low-confidence": "the confidence is too low",
  "retrieval-disagrees": "retrieval (BM25) disagrees",
  "missing-slot": "the text does not fill the answer's slots",
};

function toAnswerPrediction(result: AnswerResult): AnswerPrediction {
  const prediction: AnswerPrediction = {
    label: result.label,
    confidence: result.confidence,
    accepted: result.accepted,
    answer: result.answer,
  };
  if (result.reason !== undefined) prediction.refusal = refusals[result.reason];
  return prediction;
}
