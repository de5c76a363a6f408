// The native in-process classifier: featurize → linear softmax → temperature-calibrated confidence.

import type { ClassPrediction } from "../../types.js";
import type { ModelInfo, TaskModel } from "../task-model.js";
import { computeLogits, type LinearWeights, softmaxInPlace } from "./linear.js";
import { type UnknownFeatures, Vectorizer, type Vocabulary } from "./vectorizer.js";

/** Dimensions of the content half of `embed`'s sentence vectors. */
const projectionDimensions = 128;

/** The factor that makes a half of a sentence vector have length √½ (zero stays zero). */
function halfScale(values: Float64Array): number {
  let norm = 0;
  for (const value of values) norm += value * value;
  return norm > 0 ? Math.SQRT1_2 / Math.sqrt(norm) : 0;
}

export interface NativeClassifierParts {
  labels: readonly string[];
  vocabulary: Vocabulary;
  weights: LinearWeights;
  /** Softmax temperature fitted on validation data; 1 means uncalibrated. */
  temperature: number;
  /** Confidence threshold for accepting a prediction. */
  threshold: number;
  reference?: string;
  info?: ModelInfo;
}

/** A prediction with the full calibrated distribution, for callers that need more than the top label. */
export interface DetailedPrediction extends ClassPrediction {
  /** Index of `label` in the model's labels. */
  labelIndex: number;
  probabilities: Float64Array;
  /** Share of the text's n-grams the model has never seen, in [0, 1]: a drift signal. */
  unknownShare: number;
}

export class NativeClassifier implements TaskModel {
  readonly task = "classify" as const;
  readonly reference: string;
  readonly labels: readonly string[];
  readonly vocabulary: Vocabulary;
  readonly weights: LinearWeights;
  readonly temperature: number;
  readonly threshold: number;
  readonly info: ModelInfo;
  private readonly vectorizer: Vectorizer;
  private readonly indices: number[] = [];
  private readonly values: number[] = [];
  private readonly indexBuffer: Int32Array;
  private readonly valueBuffer: Float32Array;
  private readonly unknown: UnknownFeatures = { count: 0, total: 0 };

  constructor(parts: NativeClassifierParts) {
    this.labels = parts.labels;
    this.vocabulary = parts.vocabulary;
    this.weights = parts.weights;
    this.temperature = parts.temperature;
    this.threshold = parts.threshold;
    this.reference = parts.reference ?? "native:in-memory";
    this.info = parts.info ?? {};
    this.vectorizer = new Vectorizer(parts.vocabulary);
    this.indexBuffer = new Int32Array(1024);
    this.valueBuffer = new Float32Array(1024);
  }

  /** Raw (uncalibrated) logits of one text into `out`; returns the unknown-n-gram share. */
  logitsInto(text: string, out: Float64Array): number {
    const size = this.vectorizer.transformInto(text, this.indices, this.values, this.unknown);
    let indexBuffer = this.indexBuffer;
    let valueBuffer = this.valueBuffer;
    if (size > indexBuffer.length) {
      indexBuffer = new Int32Array(size);
      valueBuffer = new Float32Array(size);
    }
    for (let k = 0; k < size; k++) {
      indexBuffer[k] = this.indices[k] as number;
      valueBuffer[k] = this.values[k] as number;
    }
    computeLogits(this.weights, indexBuffer, valueBuffer, 0, size, out);
    return this.unknown.total === 0 ? 1 : this.unknown.count / this.unknown.total;
  }

  /** Full calibrated prediction of one text. */
  predictDetailed(text: string): DetailedPrediction {
    const probabilities = new Float64Array(this.labels.length);
    const unknownShare = this.logitsInto(text, probabilities);
    const best = softmaxInPlace(probabilities, this.labels.length, this.temperature);
    const confidence = probabilities[best] as number;
    return {
      label: this.labels[best] as string,
      labelIndex: best,
      confidence,
      accepted: confidence >= this.threshold,
      probabilities,
      unknownShare,
    };
  }

  /** Synchronous batch prediction: the in-process fast path. */
  predictSync(texts: readonly string[]): ClassPrediction[] {
    const scratch = new Float64Array(this.labels.length);
    return texts.map((text) => {
      const unknownShare = this.logitsInto(text, scratch);
      const best = softmaxInPlace(scratch, this.labels.length, this.temperature);
      const confidence = scratch[best] as number;
      return {
        label: this.labels[best] as string,
        confidence,
        accepted: confidence >= this.threshold,
        unknownShare,
      };
    });
  }

  async predict(texts: readonly string[]): Promise<ClassPrediction[]> {
    return this.predictSync(texts);
  }

  /**
   * Sentence vectors for semantic caching, unit length, `labels.length + 128` numbers:
   * - the model's pooled hidden vector: the TF-IDF-weighted sum of the feature rows without the bias (each
   *   feature's learned class affinities), which says what the model makes of the text;
   * - a signed feature-hashing projection of all the text's n-grams, unknown ones included (an unbiased
   *   random projection of its idf-weighted bag of n-grams), which says what the text contains.
   * Each half is normalized and weighted equally, so the cosine of two vectors is the mean of the two halves'
   * cosines: two texts are close only when both their content and the model's reading of it agree. The
   * pooled half alone is not enough: every text the model is unsure about pools to a near-uniform vector.
   */
  embed(texts: readonly string[]): Float32Array[] {
    const classCount = this.labels.length;
    const pooled = new Float64Array(classCount);
    const projected = new Float64Array(projectionDimensions);
    const zeroBias: LinearWeights = { ...this.weights, bias: new Float32Array(classCount) };
    return texts.map((text) => {
      const size = this.vectorizer.transformInto(text, this.indices, this.values);
      const indices = Int32Array.from(this.indices.slice(0, size));
      const values = Float32Array.from(this.values.slice(0, size));
      computeLogits(zeroBias, indices, values, 0, size, pooled);
      projected.fill(0);
      this.vectorizer.projectInto(text, projected);
      const vector = new Float32Array(classCount + projectionDimensions);
      const pooledScale = halfScale(pooled);
      const projectedScale = halfScale(projected);
      for (let c = 0; c < classCount; c++) vector[c] = (pooled[c] as number) * pooledScale;
      for (let d = 0; d < projectionDimensions; d++)
        vector[classCount + d] = (projected[d] as number) * projectedScale;
      return vector;
    });
  }

  /** Returns a copy that uses another threshold (e.g. a use case's own target). */
  withThreshold(threshold: number): NativeClassifier {
    return new NativeClassifier({ ...this.parts(), threshold });
  }

  parts(): NativeClassifierParts {
    return {
      labels: this.labels,
      vocabulary: this.vocabulary,
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
