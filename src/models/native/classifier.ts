// The native in-process classifier: featurize → linear softmax → temperature-calibrated confidence.

import type { ClassPrediction } from "../../types.js";
import type { ClassifyModel, ModelInfo } from "../task-model.js";
import { computeLogits, type LinearWeights, softmaxInPlace, softmaxTop, type TopClass } from "./linear.js";
import { type UnknownFeatures, Vectorizer, type Vocabulary } from "./vectorizer.js";
import { WasmLogits } from "./wasm-logits.js";

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

export class NativeClassifier implements ClassifyModel {
  readonly task = "classify" as const;
  readonly reference: string;
  readonly labels: readonly string[];
  readonly vocabulary: Vocabulary;
  readonly weights: LinearWeights;
  readonly temperature: number;
  readonly threshold: number;
  readonly info: ModelInfo;
  private readonly vectorizer: Vectorizer;
  /** The logits in WebAssembly SIMD (the same bits, 1.9-2.5× faster); null where it cannot run. */
  private readonly wasm: WasmLogits | null;
  private readonly unknown: UnknownFeatures = { count: 0, total: 0 };
  /** Scratch of `predictSync`, which reads it before returning: the class is not re-entered meanwhile. */
  private readonly logits: Float64Array;
  private readonly top: TopClass = { index: 0, probability: 0 };

  constructor(parts: NativeClassifierParts) {
    this.labels = parts.labels;
    this.vocabulary = parts.vocabulary;
    // The weights then live in the WebAssembly memory (the classifier keeps no second copy): `weights.weights`
    // is a view of it, stable for the classifier's life.
    this.wasm = WasmLogits.create(parts.weights);
    this.weights = this.wasm?.weights ?? parts.weights;
    this.temperature = parts.temperature;
    this.threshold = parts.threshold;
    this.reference = parts.reference ?? "native:in-memory";
    this.info = { ...linearFigures(this.weights, parts.vocabulary), ...parts.info };
    this.vectorizer = new Vectorizer(parts.vocabulary);
    this.logits = new Float64Array(parts.labels.length);
  }

  /** Where the logits run: WebAssembly SIMD, or JavaScript where it is missing (React Native, old runtimes). */
  get logitsBackend(): "webassembly" | "javascript" {
    return this.wasm === null ? "javascript" : "webassembly";
  }

  /** Raw (uncalibrated) logits of one text into `out`; returns the unknown-n-gram share. */
  logitsInto(text: string, out: Float64Array): number {
    const vectorizer = this.vectorizer;
    const size = vectorizer.transformInto(text, this.unknown);
    if (this.wasm !== null) this.wasm.computeInto(vectorizer.indices, vectorizer.values, 0, size, out);
    else computeLogits(this.weights, vectorizer.indices, vectorizer.values, 0, size, out);
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
    const { logits, top } = this;
    const predictions: ClassPrediction[] = [];
    for (const text of texts) {
      const unknownShare = this.logitsInto(text, logits);
      softmaxTop(logits, this.labels.length, this.temperature, top);
      predictions.push({
        label: this.labels[top.index] as string,
        confidence: top.probability,
        accepted: top.probability >= this.threshold,
        unknownShare,
      });
    }
    return predictions;
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
    // The JavaScript path's pooling: the weights without the bias (the WebAssembly path starts from zero).
    const zeroBias: LinearWeights | null =
      this.wasm === null ? { ...this.weights, bias: new Float32Array(classCount) } : null;
    return texts.map((text) => {
      const vectorizer = this.vectorizer;
      const size = vectorizer.transformInto(text);
      if (zeroBias === null)
        this.wasm?.computeInto(vectorizer.indices, vectorizer.values, 0, size, pooled, false);
      else computeLogits(zeroBias, vectorizer.indices, vectorizer.values, 0, size, pooled);
      projected.fill(0);
      vectorizer.projectLastInto(projected);
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
    // Nothing to release: the weights (typed arrays, or a WebAssembly memory) belong to the garbage collector.
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}

/** Parameters (weights and biases) and the bytes of the arrays a classifier holds (weights, biases, vocabulary). */
function linearFigures(
  weights: LinearWeights,
  vocabulary: Vocabulary,
): Required<Pick<ModelInfo, "parameters" | "memoryBytes">> {
  return {
    parameters: weights.weights.length + weights.bias.length,
    memoryBytes:
      weights.weights.byteLength +
      weights.bias.byteLength +
      vocabulary.hashes.byteLength +
      vocabulary.idf.byteLength +
      vocabulary.groups.byteLength,
  };
}
