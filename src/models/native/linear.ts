// The native classifier's scoring core: a full-rank linear softmax layer over sparse feature vectors.

/** Weights of a linear softmax layer: row-major `featureCount × classCount`, plus one bias per class. */
export interface LinearWeights {
  featureCount: number;
  classCount: number;
  weights: Float32Array;
  bias: Float32Array;
}

export function createLinearWeights(featureCount: number, classCount: number): LinearWeights {
  return {
    featureCount,
    classCount,
    weights: new Float32Array(featureCount * classCount),
    bias: new Float32Array(classCount),
  };
}

/**
 * `out = bias + Σ values[k] · weights[indices[k]]` (the logits). No allocation: this is the hot path.
 * Four feature rows per pass over the classes: V8 keeps `out` in memory, not registers, so this cuts the
 * loads and stores of `out` by four (measured 2.4× faster on banking77's shapes). The summation order is
 * fixed, so results are deterministic.
 */
export function computeLogits(
  model: LinearWeights,
  indices: Int32Array,
  values: Float32Array,
  start: number,
  end: number,
  out: Float64Array,
): void {
  const { weights, bias, classCount } = model;
  for (let c = 0; c < classCount; c++) out[c] = bias[c] as number;
  let k = start;
  for (; k + 3 < end; k += 4) {
    const v0 = values[k] as number;
    const v1 = values[k + 1] as number;
    const v2 = values[k + 2] as number;
    const v3 = values[k + 3] as number;
    const b0 = (indices[k] as number) * classCount;
    const b1 = (indices[k + 1] as number) * classCount;
    const b2 = (indices[k + 2] as number) * classCount;
    const b3 = (indices[k + 3] as number) * classCount;
    for (let c = 0; c < classCount; c++) {
      out[c] =
        (out[c] as number) +
        v0 * (weights[b0 + c] as number) +
        v1 * (weights[b1 + c] as number) +
        v2 * (weights[b2 + c] as number) +
        v3 * (weights[b3 + c] as number);
    }
  }
  for (; k < end; k++) {
    const value = values[k] as number;
    const base = (indices[k] as number) * classCount;
    for (let c = 0; c < classCount; c++) out[c] = (out[c] as number) + value * (weights[base + c] as number);
  }
}

/** In-place softmax of `logits / temperature`; returns the index of the largest probability. */
export function softmaxInPlace(logits: Float64Array, classCount: number, temperature = 1): number {
  let best = 0;
  let maximum = Number.NEGATIVE_INFINITY;
  for (let c = 0; c < classCount; c++) {
    const value = logits[c] as number;
    if (value > maximum) {
      maximum = value;
      best = c;
    }
  }
  let sum = 0;
  for (let c = 0; c < classCount; c++) {
    const e = Math.exp(((logits[c] as number) - maximum) / temperature);
    logits[c] = e;
    sum += e;
  }
  for (let c = 0; c < classCount; c++) logits[c] = (logits[c] as number) / sum;
  return best;
}
