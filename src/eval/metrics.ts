// Classification metrics from gold labels and predictions: accuracy, per-class precision/recall/F1, macro-F1, confusion.

import { SlmkitError } from "../errors.js";

/** Precision, recall and F1 of one label; `support` is how many gold items carry it. */
export interface ClassMetrics {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

/** Rows are gold labels, columns predicted labels, both in the order of `labels`. */
export interface ConfusionMatrix {
  labels: string[];
  matrix: number[][];
}

export interface ClassificationMetrics {
  accuracy: number;
  /** Unweighted mean of the per-class F1 over every label in `confusion.labels`. */
  macroF1: number;
  perClass: Record<string, ClassMetrics>;
  confusion: ConfusionMatrix;
}

/**
 * Computes the metrics of `predicted` against `gold` (same length, same order).
 *
 * The labels scored are those that occur in gold or in the predictions, ordered as in `labelOrder`
 * (the model's own label order), with any label missing from it appended in sorted order. A label
 * the model knows but that occurs nowhere in the test set is left out: it has no support and no
 * predictions, so it would only drag macro-F1 towards zero without saying anything.
 * Precision of a label never predicted, and recall of a label never in gold, are 0 (as scikit-learn's
 * `zero_division=0`). An empty input gives 0 everywhere rather than NaN.
 */
export function classificationMetrics(
  gold: readonly string[],
  predicted: readonly string[],
  labelOrder: readonly string[] = [],
): ClassificationMetrics {
  if (gold.length !== predicted.length) {
    throw new SlmkitError(
      "INVALID_INPUT",
      `gold labels and predictions differ in length (${gold.length} vs ${predicted.length}); pass one prediction per gold label.`,
    );
  }
  const labels = scoredLabels(gold, predicted, labelOrder);
  const indexOf = new Map(labels.map((label, index) => [label, index]));
  const matrix = labels.map(() => labels.map(() => 0));
  let correct = 0;
  for (let item = 0; item < gold.length; item++) {
    const goldIndex = indexOf.get(gold[item] as string) as number;
    const predictedIndex = indexOf.get(predicted[item] as string) as number;
    const row = matrix[goldIndex] as number[];
    row[predictedIndex] = (row[predictedIndex] ?? 0) + 1;
    if (goldIndex === predictedIndex) correct++;
  }

  const perClassEntries: [string, ClassMetrics][] = [];
  let f1Sum = 0;
  labels.forEach((label, index) => {
    const truePositives = (matrix[index] as number[])[index] ?? 0;
    const support = sum(matrix[index] as number[]);
    const predictedCount = matrix.reduce((total, row) => total + (row[index] ?? 0), 0);
    const precision = predictedCount === 0 ? 0 : truePositives / predictedCount;
    const recall = support === 0 ? 0 : truePositives / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    f1Sum += f1;
    perClassEntries.push([label, { precision, recall, f1, support }]);
  });

  return {
    accuracy: gold.length === 0 ? 0 : correct / gold.length,
    macroF1: labels.length === 0 ? 0 : f1Sum / labels.length,
    // fromEntries defines own properties, so a label such as "__proto__" stays an ordinary key.
    perClass: Object.fromEntries(perClassEntries),
    confusion: { labels, matrix },
  };
}

/** An off-diagonal confusion cell: how often `gold` was predicted as `predicted`. */
export interface ConfusedPair {
  gold: string;
  predicted: string;
  count: number;
  /** `count` as a share of all gold items of `gold`. */
  shareOfGold: number;
}

/** The most frequent confusions, largest first (ties by gold then predicted label), at most `limit`. */
export function topConfusedPairs(confusion: ConfusionMatrix, limit = 10): ConfusedPair[] {
  const pairs: ConfusedPair[] = [];
  confusion.matrix.forEach((row, goldIndex) => {
    const rowTotal = sum(row);
    row.forEach((count, predictedIndex) => {
      if (count === 0 || goldIndex === predictedIndex) return;
      pairs.push({
        gold: confusion.labels[goldIndex] as string,
        predicted: confusion.labels[predictedIndex] as string,
        count,
        shareOfGold: count / rowTotal,
      });
    });
  });
  pairs.sort(
    (a, b) => b.count - a.count || compareText(a.gold, b.gold) || compareText(a.predicted, b.predicted),
  );
  return pairs.slice(0, limit);
}

function scoredLabels(gold: readonly string[], predicted: readonly string[], labelOrder: readonly string[]) {
  const occurring = new Set<string>([...gold, ...predicted]);
  const ordered = [...new Set(labelOrder)].filter((label) => occurring.has(label));
  const known = new Set(ordered);
  const extra = [...occurring].filter((label) => !known.has(label)).sort(compareText);
  return [...ordered, ...extra];
}

/** Code-unit order: deterministic across locales, unlike `localeCompare`. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}

/** numerator / denominator, 0 when the denominator is 0 (a figure over no items). */
export function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}

/** F1 from precision and recall; 0 when both are 0. */
export function harmonic(precision: number, recall: number): number {
  return precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
}

/** Rounded to `decimals` places (default 6, as reports print ratios). */
export function round(value: number, decimals = 6): number {
  const scale = 10 ** decimals;
  return Math.round(value * scale) / scale;
}
