// Active learning: the unlabelled texts a person should label next, those the model is least sure of, kept diverse.

import { SlmkitError } from "../errors.js";
import type { NativeClassifier } from "../models/native/classifier.js";
import { validateNumber } from "./train-classifier.js";

export interface SelectOptions {
  /** How many texts to pick. */
  n: number;
  /** A candidate whose sentence vector has at least this cosine to an already picked one is skipped. Default 0.9. */
  maxSimilarity?: number;
}

export interface SelectedText {
  text: string;
  /** The model's current label. */
  predicted: string;
  /** Top-1 minus top-2 calibrated probability: 0 is a coin toss between two labels, 1 is certainty. */
  margin: number;
}

/**
 * Picks up to `n` texts by lowest margin (uncertainty sampling), greedily skipping any text too similar to one
 * already picked (`embed` cosine >= `maxSimilarity`), so the batch does not spend a person's time on ten
 * rewordings of one confusion. Duplicate texts count once. Fewer than `n` come back only when the pool runs out.
 */
export function selectInformative(
  model: NativeClassifier,
  pool: readonly string[],
  options: SelectOptions,
): SelectedText[] {
  const maxSimilarity = options.maxSimilarity ?? 0.9;
  validateNumber("n", options.n, { integer: true, minimum: 1 });
  validateNumber("maxSimilarity", maxSimilarity, { minimum: -1, maximum: 1 });
  if (model.labels.length < 2)
    throw new SlmkitError("INVALID_INPUT", "a model with fewer than two labels has no margin.");
  const texts = [...new Set(pool)];
  const scored = texts.map((text) => {
    const detailed = model.predictDetailed(text);
    let first = 0;
    let second = 0;
    for (const probability of detailed.probabilities) {
      if (probability > first) {
        second = first;
        first = probability;
      } else if (probability > second) second = probability;
    }
    return { text, predicted: detailed.label, margin: first - second };
  });
  // Ties broken by text, so the same pool always gives the same pick.
  scored.sort((a, b) => a.margin - b.margin || (a.text < b.text ? -1 : a.text > b.text ? 1 : 0));
  const picked: SelectedText[] = [];
  const vectors: Float32Array[] = [];
  for (const candidate of scored) {
    if (picked.length >= options.n) break;
    const [vector] = model.embed([candidate.text]);
    if (vector === undefined) continue;
    if (vectors.some((other) => dot(other, vector) >= maxSimilarity)) continue;
    vectors.push(vector);
    picked.push({
      text: candidate.text,
      predicted: candidate.predicted,
      margin: Math.round(candidate.margin * 1e6) / 1e6,
    });
  }
  return picked;
}

/** `embed` vectors are unit length, so their dot product is the cosine. */
function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let index = 0; index < a.length; index++) sum += (a[index] as number) * (b[index] as number);
  return sum;
}
