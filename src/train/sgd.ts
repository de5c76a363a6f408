// Stochastic gradient descent for the linear softmax layer over sparse rows: deterministic for a seed.

import { createRandom } from "../internal/random.js";
import { computeLogits, type LinearWeights, softmaxInPlace } from "../models/native/linear.js";
import type { SparseRows } from "../models/native/vectorizer.js";

export interface SgdEpochOptions {
  learningRate: number;
}

/**
 * Gradients smaller than this are skipped: once a class is confidently ruled out its update is noise, and
 * skipping it makes later epochs several times faster. Deterministic, as the skip depends only on the values.
 */
const negligibleGradient = 1e-4;

/**
 * One pass over `order` (indices into `rows`), updating `model` in place; returns the mean training loss.
 * The gradient of softmax cross-entropy for one example is `(p - onehot(y)) ⊗ x`.
 */
export function sgdEpoch(
  model: LinearWeights,
  rows: SparseRows,
  targets: Int32Array,
  order: Int32Array,
  options: SgdEpochOptions,
): number {
  const { weights, bias, classCount } = model;
  const { offsets, indices, values } = rows;
  const probabilities = new Float64Array(classCount);
  const active = new Int32Array(classCount);
  const rate = options.learningRate;
  let loss = 0;
  for (let o = 0; o < order.length; o++) {
    const row = order[o] as number;
    const start = offsets[row] as number;
    const end = offsets[row + 1] as number;
    const target = targets[row] as number;
    computeLogits(model, indices, values, start, end, probabilities);
    softmaxInPlace(probabilities, classCount);
    loss -= Math.log(Math.max(probabilities[target] as number, 1e-12));
    probabilities[target] = (probabilities[target] as number) - 1;
    let activeCount = 0;
    for (let c = 0; c < classCount; c++) {
      const gradient = probabilities[c] as number;
      if (gradient > negligibleGradient || gradient < -negligibleGradient) {
        active[activeCount++] = c;
        bias[c] = (bias[c] as number) - rate * gradient;
      }
    }
    for (let k = start; k < end; k++) {
      const step = rate * (values[k] as number);
      const base = (indices[k] as number) * classCount;
      for (let a = 0; a < activeCount; a++) {
        const c = active[a] as number;
        weights[base + c] = (weights[base + c] as number) - step * (probabilities[c] as number);
      }
    }
  }
  return loss / Math.max(order.length, 1);
}

/** A seeded permutation of `0 .. count-1`. */
export function shuffledOrder(count: number, seed: number): Int32Array {
  const items = Array.from({ length: count }, (_, i) => i);
  createRandom(seed).shuffle(items);
  return Int32Array.from(items);
}
