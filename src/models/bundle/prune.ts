// Pruning (the brief's "remove unnecessary weights"): zeroes the classifier's smallest weights and drops its least
// important feature rows, as far as the validation split allows without changing more than a stated share of its
// predictions, and stores what is left as sparse rows.

import type { FeatureConfig } from "../../text/features.js";
import type { ClassPrediction } from "../../types.js";
import { NativeClassifier } from "../native/classifier.js";
import {
  dequantizeWeights,
  readStoredWeights,
  type StoredWeights,
  writeStoredWeights,
} from "../native/weights-file.js";

export interface PruneInput {
  /** The weights file to prune (`weights.bin`, float32 or int8). */
  weights: Uint8Array;
  features: FeatureConfig;
  labels: readonly string[];
  temperature: number;
  threshold: number;
  /** Validation texts: the predictions that must not change beyond `tolerance`. */
  texts: readonly string[];
  /** Largest share of `texts` whose label or accepted flag may change, in [0, 1). Default 0.002. */
  tolerance?: number;
}

export interface PruneResult {
  /** The pruned weights file: sparse rows (layout 2) when that is smaller, in the input's precision. */
  weights: Uint8Array;
  featuresBefore: number;
  featuresAfter: number;
  /** Non-zero weights before and after. */
  weightsBefore: number;
  weightsAfter: number;
  /** Weights were zeroed where |weight| ≤ cut × (the row's largest |weight|) / 127 (int8: |value| ≤ cut). */
  cut: number;
  /** Validation predictions whose label or accepted flag changed. */
  changed: number;
  /** The pruned model, ready to predict. */
  model: NativeClassifier;
}

/** Largest cut tried, in 1/127ths of a row's largest weight: beyond a quarter of it, nothing useful is left. */
const maxCut = 32;

function nonZero(values: Int8Array | Float32Array): number {
  let count = 0;
  for (const value of values) if (value !== 0) count++;
  return count;
}

/** A copy with every weight at or below `cut`/127 of its row's largest zeroed (int8: |value| ≤ cut). */
function zeroSmall(stored: StoredWeights, cut: number): StoredWeights {
  const { featureCount, classCount } = stored;
  const values = stored.values.slice();
  for (let f = 0; f < featureCount; f++) {
    let limit = cut;
    if (stored.scales === null) {
      let largest = 0;
      for (let c = 0; c < classCount; c++)
        largest = Math.max(largest, Math.abs(values[f * classCount + c] as number));
      limit = (largest * cut) / 127;
    }
    for (let c = 0; c < classCount; c++)
      if (Math.abs(values[f * classCount + c] as number) <= limit) values[f * classCount + c] = 0;
  }
  return { ...stored, values };
}

/** A copy without the rows `keep` leaves at 0. */
function keepRows(stored: StoredWeights, keep: Uint8Array): StoredWeights {
  const { featureCount, classCount } = stored;
  const rows: number[] = [];
  for (let f = 0; f < featureCount; f++) if (keep[f] !== 0) rows.push(f);
  const pick = <T extends Uint32Array | Float32Array | Uint8Array>(
    array: T,
    make: (length: number) => T,
  ): T => {
    const out = make(rows.length);
    rows.forEach((f, i) => {
      out[i] = array[f] as number;
    });
    return out;
  };
  const values =
    stored.values instanceof Int8Array
      ? new Int8Array(rows.length * classCount)
      : new Float32Array(rows.length * classCount);
  rows.forEach((f, i) => {
    values.set(stored.values.subarray(f * classCount, (f + 1) * classCount), i * classCount);
  });
  return {
    ...stored,
    featureCount: rows.length,
    hashes: pick(stored.hashes, (length) => new Uint32Array(length)),
    idf: pick(stored.idf, (length) => new Float32Array(length)),
    groups: pick(stored.groups, (length) => new Uint8Array(length)),
    scales: stored.scales === null ? null : pick(stored.scales, (length) => new Float32Array(length)),
    values,
  };
}

/**
 * A row's importance: its idf (the scale of its values) times the spread of its weights (how far it can move one
 * class against another; a shift of every class alike changes no softmax). Only the model decides this order;
 * the validation split decides only how far down it to cut, so what is kept does not bend to its texts.
 */
function rowOrder(stored: StoredWeights): number[] {
  const { featureCount, classCount, values, scales, idf } = stored;
  const scores = new Float64Array(featureCount);
  for (let f = 0; f < featureCount; f++) {
    let low = Number.POSITIVE_INFINITY;
    let high = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < classCount; c++) {
      const value = values[f * classCount + c] as number;
      low = Math.min(low, value);
      high = Math.max(high, value);
    }
    scores[f] = (idf[f] as number) * (high - low) * (scales === null ? 1 : (scales[f] as number));
  }
  return Array.from({ length: featureCount }, (_, index) => index).sort(
    (a, b) => (scores[a] as number) - (scores[b] as number) || a - b,
  );
}

/** The largest whole number in [low, high] that `fits`, or `low - 1`: a binary search (fitting is near-monotone). */
function largestFitting(low: number, high: number, fits: (value: number) => boolean): number {
  let best = low - 1;
  while (low <= high) {
    const middle = Math.floor((low + high) / 2);
    if (fits(middle)) {
      best = middle;
      low = middle + 1;
    } else high = middle - 1;
  }
  return best;
}

/**
 * Prunes in two steps, each the most the validation split allows with at most ⌊tolerance × n⌋ of its predictions
 * changed (label or accepted, against the unpruned weights): first the largest cut of small weights, then, on top,
 * the most rows of the least important features. About 20 probes, each a model built and the split predicted.
 */
export function pruneClassifierWeights(input: PruneInput): PruneResult {
  const tolerance = input.tolerance ?? 0.002;
  const build = (stored: StoredWeights): NativeClassifier => {
    const { vocabulary, model } = dequantizeWeights(stored, input.features);
    return new NativeClassifier({
      labels: input.labels,
      vocabulary,
      weights: model,
      temperature: input.temperature,
      threshold: input.threshold,
    });
  };
  const original = readStoredWeights(input.weights, "(pruning)");
  const reference = build(original).predictSync(input.texts);
  const allowed = Math.floor(tolerance * input.texts.length);
  const changedBy = (model: NativeClassifier): number => {
    const predictions = model.predictSync(input.texts);
    let changed = 0;
    reference.forEach((prediction: ClassPrediction, index) => {
      const other = predictions[index] as ClassPrediction;
      if (other.label !== prediction.label || other.accepted !== prediction.accepted) changed++;
    });
    return changed;
  };
  const cut = Math.max(
    0,
    largestFitting(1, maxCut, (candidate) => changedBy(build(zeroSmall(original, candidate))) <= allowed),
  );
  const thinned = cut === 0 ? original : zeroSmall(original, cut);
  const order = rowOrder(thinned);
  const withoutRows = (count: number): StoredWeights => {
    const keep = new Uint8Array(thinned.featureCount).fill(1);
    for (let i = 0; i < count; i++) keep[order[i] as number] = 0;
    return keepRows(thinned, keep);
  };
  // At least one row stays: an empty vocabulary would answer every text with the bias alone.
  const removed = Math.max(
    0,
    largestFitting(1, thinned.featureCount - 1, (count) => changedBy(build(withoutRows(count))) <= allowed),
  );
  const pruned = removed === 0 ? thinned : withoutRows(removed);
  const dense = writeStoredWeights(pruned, "dense");
  const sparse = writeStoredWeights(pruned, "sparse");
  const model = build(pruned);
  return {
    weights: sparse.length < dense.length ? sparse : dense,
    featuresBefore: original.featureCount,
    featuresAfter: pruned.featureCount,
    weightsBefore: nonZero(original.values),
    weightsAfter: nonZero(pruned.values),
    cut,
    changed: changedBy(model),
    model,
  };
}
