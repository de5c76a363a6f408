// Population stability index and fixed-bin histograms: the arithmetic every distribution check of drift uses.

import { SlmkitError } from "../errors.js";

/**
 * Shares below this are raised to it before the logarithm of the PSI: an empty bin on either side would
 * otherwise make the index infinite. 1e-4 keeps a bin that went from empty to 30% clearly alerting
 * (0.3 · ln(0.3 / 1e-4) ≈ 2.4) while an empty bin that gets 0.5% of a window adds only about 0.02.
 */
export const psiEpsilon = 1e-4;

/** Ten equal confidence bins on [0, 1]; the last bin includes 1. */
export const confidenceBinEdges: readonly number[] = Object.freeze([
  0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1,
]);

/**
 * Input-length bins in characters (UTF-16 code units), doubling from 10 so short tickets and long e-mails each
 * get resolution: [0, 10), [10, 20), [20, 40), … [640, 1280), [1280, ∞).
 */
export const lengthBinEdges: readonly number[] = Object.freeze([
  0,
  10,
  20,
  40,
  80,
  160,
  320,
  640,
  1280,
  Number.POSITIVE_INFINITY,
]);

/** Number of bins `edges` define: one fewer than the edges. */
export function binCount(edges: readonly number[]): number {
  return edges.length - 1;
}

/**
 * The bin `value` falls in: bin i is [edges[i], edges[i + 1]), except the last, which also holds its upper edge
 * (a confidence of exactly 1). Values below the first edge go to the first bin, above the last to the last one,
 * so a histogram never loses an item.
 */
export function binIndex(value: number, edges: readonly number[]): number {
  const last = binCount(edges) - 1;
  for (let bin = 0; bin < last; bin++) {
    if (value < (edges[bin + 1] as number)) return bin;
  }
  return last;
}

/** Counts of `values` per bin of `edges`. NaN values are skipped. */
export function histogramCounts(values: Iterable<number>, edges: readonly number[]): number[] {
  const counts = new Array<number>(binCount(edges)).fill(0);
  for (const value of values) {
    if (Number.isNaN(value)) continue;
    const bin = binIndex(value, edges);
    counts[bin] = (counts[bin] as number) + 1;
  }
  return counts;
}

/** Counts as shares summing to 1; all zeros when the counts sum to 0. */
export function toShares(counts: readonly number[]): number[] {
  const total = counts.reduce((sum, count) => sum + count, 0);
  return counts.map((count) => (total === 0 ? 0 : count / total));
}

/** Shares of `values` per bin of `edges`: `toShares(histogramCounts(values, edges))`. */
export function histogramShares(values: Iterable<number>, edges: readonly number[]): number[] {
  return toShares(histogramCounts(values, edges));
}

/**
 * Population stability index of `actual` against `expected`, two share vectors over the same bins:
 *
 *   PSI = Σᵢ (aᵢ − eᵢ) · ln(aᵢ / eᵢ), with aᵢ = max(actualᵢ, ε) and eᵢ = max(expectedᵢ, ε), ε = `psiEpsilon`.
 *
 * 0 for identical vectors; each term is ≥ 0, so the index only grows as bins move apart. Common reading:
 * below 0.1 stable, 0.1–0.2 a moderate shift, above 0.2 a significant one.
 */
export function populationStabilityIndex(
  actual: readonly number[],
  expected: readonly number[],
  epsilon: number = psiEpsilon,
): number {
  if (actual.length !== expected.length) {
    throw new SlmkitError(
      "INVALID_INPUT",
      `the PSI compares share vectors over the same bins; got ${actual.length} and ${expected.length} bins.`,
    );
  }
  let index = 0;
  for (let bin = 0; bin < actual.length; bin++) {
    const a = Math.max(actual[bin] as number, epsilon);
    const e = Math.max(expected[bin] as number, epsilon);
    index += (a - e) * Math.log(a / e);
  }
  return index;
}

/** Shares of `values` per category, in the order of `categories`; values outside them are ignored. */
export function categoryShares(values: Iterable<string>, categories: readonly string[]): number[] {
  const position = new Map(categories.map((category, index) => [category, index]));
  const counts = new Array<number>(categories.length).fill(0);
  for (const value of values) {
    const index = position.get(value);
    if (index !== undefined) counts[index] = (counts[index] as number) + 1;
  }
  return toShares(counts);
}
