// A deterministic TaskModel double for eval tests: a keyword picks the label, a number in the text is the confidence.

import type { ClassifyModel, ModelInfo } from "../../src/models/task-model.js";
import type { ClassPrediction, TaskType } from "../../src/types.js";

const keywords: Record<string, string> = { invoice: "billing", parcel: "shipping", refund: "returns" };

export interface KeywordModelOptions {
  labels?: readonly string[];
  threshold?: number;
  info?: ModelInfo;
  task?: TaskType;
  /** Keyword → label overrides, e.g. to predict a label with markup in it. */
  keywords?: Record<string, string>;
  /**
   * What a call with exactly one text returns instead of the keyword answer, so a test can tell
   * predictions of the batched pass from those of the single-text latency calls.
   */
  singleTextAnswer?: ClassPrediction;
}

/**
 * "invoice 0.9" → billing at 0.9; "parcel 0.6" → shipping at 0.6; no keyword → the first label.
 * Records the size of every `predict` call.
 */
export class KeywordModel implements ClassifyModel {
  /** "classify" unless a test makes it claim another task (to check that callers refuse it at run time). */
  readonly task: "classify";
  readonly reference = "test:keyword";
  readonly labels: readonly string[];
  readonly threshold: number;
  readonly info: ModelInfo;
  readonly callSizes: number[] = [];
  disposed = false;
  readonly #keywords: Record<string, string>;
  readonly #singleTextAnswer: ClassPrediction | undefined;

  constructor(options: KeywordModelOptions = {}) {
    this.task = (options.task ?? "classify") as "classify";
    this.labels = options.labels ?? ["billing", "shipping", "returns"];
    this.threshold = options.threshold ?? 0.7;
    this.info = options.info ?? { modelBytes: 1234, trainSeconds: 1.5, targetAccuracy: 0.97 };
    this.#keywords = { ...keywords, ...options.keywords };
    this.#singleTextAnswer = options.singleTextAnswer;
  }

  async predict(texts: readonly string[]): Promise<ClassPrediction[]> {
    this.callSizes.push(texts.length);
    if (texts.length === 1 && this.#singleTextAnswer !== undefined) return [{ ...this.#singleTextAnswer }];
    return texts.map((text) => {
      const words = text.split(/\s+/);
      const keyword = words.find((word) => Object.hasOwn(this.#keywords, word));
      const label = keyword === undefined ? (this.labels[0] as string) : (this.#keywords[keyword] as string);
      const number = words.map(Number).find((value) => Number.isFinite(value));
      const confidence = number ?? 0.5;
      return { label, confidence, accepted: confidence >= this.threshold };
    });
  }

  async dispose(): Promise<void> {
    this.disposed = true;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}

/** The hand-computed case of evaluate.test.ts: 7 in scope (5 right), 3 out of scope (2 below 0.7). */
export const keywordExamples = [
  { text: "invoice 0.95", label: "billing" },
  { text: "invoice 0.9", label: "billing" },
  { text: "parcel 0.6", label: "billing" },
  { text: "parcel 0.85", label: "shipping" },
  { text: "parcel 0.8", label: "shipping" },
  { text: "refund 0.75", label: "returns" },
  { text: "invoice 0.65", label: "returns" },
  { text: "sunny 0.3", label: "weather" },
  { text: "invoice 0.92", label: "weather" },
  { text: "goal 0.1", label: "sports" },
];
