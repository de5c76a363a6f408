// Seeded, stratified train/valid/test split that keeps duplicate texts together so no split leaks into another.

import { SlmkitError } from "../errors.js";
import { createRandom } from "../internal/random.js";
import { normalizeText } from "../text/normalize.js";

/** Shares of the examples per split. */
export interface SplitRatios {
  train: number;
  valid: number;
  test: number;
}

export interface SplitOptions<T> {
  /**
   * Share of examples per split: `train` > 0, `valid` and `test` >= 0 (0 leaves that split empty), summing to
   * 1 ± 1e-6. Default: `{ train: 0.8, valid: 0.1, test: 0.1 }`.
   */
  ratios?: SplitRatios;
  /** Seed of the shuffle: the same data and seed always give the same split. Default: 42. */
  seed?: number;
  /**
   * The class each example is stratified by. Default: its `label` (examples without one form a single class).
   * For span data, e.g. the sorted set of its span labels.
   */
  stratifyBy?: (example: T) => string;
}

/** The three splits, each in the examples' original order. */
export interface DatasetSplits<T> {
  train: T[];
  valid: T[];
  test: T[];
}

/** Default for `ratios`. */
export const defaultSplitRatios: Readonly<SplitRatios> = { train: 0.8, valid: 0.1, test: 0.1 };

const splitNames = ["train", "valid", "test"] as const;

/**
 * Splits examples into train, valid and test, stratified per class and deterministic for a seed.
 * Examples with the same `normalizeText` form a group that always lands in one split (a group's class is its
 * most common label). Within each class, every split gets its share rounded by largest remainder, so each
 * share is within one example of the target when there are no duplicates; the largest group goes to train
 * first, so a class with only one or two examples is in train, and every class is in train.
 * Each split keeps the examples' original order (shuffle before order-sensitive training).
 */
export function splitDataset<T extends { text: string; label?: string }>(
  examples: readonly T[],
  options: SplitOptions<T> = {},
): DatasetSplits<T> {
  const ratios = options.ratios ?? defaultSplitRatios;
  validateRatios(ratios);
  const seed = options.seed ?? 42;
  if (!Number.isSafeInteger(seed)) {
    throw new SlmkitError("INVALID_OPTION", `seed must be an integer, got ${seed}.`, { field: "seed" });
  }
  const stratifyBy = options.stratifyBy ?? ((example: T) => example.label ?? "");

  // Group duplicates, remembering each group's first position so the grouping does not depend on Map order.
  const groupsByText = new Map<string, { members: number[]; classCounts: Map<string, number> }>();
  examples.forEach((example, index) => {
    const key = normalizeText(example.text);
    let group = groupsByText.get(key);
    if (group === undefined) {
      group = { members: [], classCounts: new Map() };
      groupsByText.set(key, group);
    }
    group.members.push(index);
    const stratum = stratifyBy(example);
    group.classCounts.set(stratum, (group.classCounts.get(stratum) ?? 0) + 1);
  });

  const strata = new Map<string, number[][]>();
  for (const group of groupsByText.values()) {
    const stratum = majorityClass(group.classCounts);
    let list = strata.get(stratum);
    if (list === undefined) {
      list = [];
      strata.set(stratum, list);
    }
    list.push(group.members);
  }

  const random = createRandom(seed);
  const assignment = new Int8Array(examples.length);
  const targetShares = splitNames.map((name) => ratios[name]);
  for (const stratum of [...strata.keys()].sort(compareCodeUnits)) {
    const groups = random.shuffle([...(strata.get(stratum) ?? [])]);
    // Stable: equal sizes keep their shuffled order.
    groups.sort((a, b) => b.length - a.length);
    const size = groups.reduce((total, group) => total + group.length, 0);
    const quotas = apportion(size, targetShares);
    const filled = [0, 0, 0];
    groups.forEach((group, index) => {
      const split = index === 0 ? 0 : neediestSplit(quotas, filled, targetShares);
      filled[split] = (filled[split] ?? 0) + group.length;
      for (const member of group) assignment[member] = split;
    });
  }

  const result: DatasetSplits<T> = { train: [], valid: [], test: [] };
  examples.forEach((example, index) => {
    result[splitNames[assignment[index] ?? 0] ?? "train"].push(example);
  });
  return result;
}

/** Throws `INVALID_OPTION` naming `ratios` unless the ratios are usable. */
export function validateRatios(ratios: SplitRatios): void {
  for (const name of splitNames) {
    const value = ratios[name];
    if (
      typeof value !== "number" ||
      !Number.isFinite(value) ||
      value < 0 ||
      (name === "train" && value === 0)
    ) {
      throw new SlmkitError(
        "INVALID_OPTION",
        `ratios.${name} must be a number ${name === "train" ? "above 0" : "of 0 or more"}, got ${String(value)}; e.g. ratios 0.8,0.1,0.1.`,
        { field: `ratios.${name}` },
      );
    }
  }
  const sum = ratios.train + ratios.valid + ratios.test;
  if (Math.abs(sum - 1) > 1e-6) {
    throw new SlmkitError(
      "INVALID_OPTION",
      `ratios must sum to 1, but ${ratios.train} + ${ratios.valid} + ${ratios.test} = ${Math.round(sum * 1e6) / 1e6}; e.g. ratios 0.8,0.1,0.1.`,
      { field: "ratios" },
    );
  }
}

function majorityClass(counts: ReadonlyMap<string, number>): string {
  let best = "";
  let bestCount = -1;
  // Map order is insertion order, so ties go to the class seen first.
  for (const [name, count] of counts) {
    if (count > bestCount) {
      best = name;
      bestCount = count;
    }
  }
  return best;
}

/** Integer quotas summing to `size`, each within 1 of `size * share` (largest remainder; ties favour train). */
function apportion(size: number, shares: readonly number[]): number[] {
  const exact = shares.map((share) => size * share);
  const quotas = exact.map((value) => Math.floor(value + 1e-9));
  let left = size - quotas.reduce((total, quota) => total + quota, 0);
  const order = exact
    .map((value, index) => ({ index, remainder: value - Math.floor(value + 1e-9) }))
    .filter(({ index }) => (shares[index] ?? 0) > 0)
    .sort((a, b) => b.remainder - a.remainder || a.index - b.index);
  for (let k = 0; left > 0 && order.length > 0; k = (k + 1) % order.length) {
    const index = order[k]!.index;
    quotas[index] = (quotas[index] ?? 0) + 1;
    left -= 1;
  }
  return quotas;
}

/** The split furthest below its quota (ties favour train, then valid); splits with a zero share never. */
function neediestSplit(
  quotas: readonly number[],
  filled: readonly number[],
  shares: readonly number[],
): number {
  let best = 0;
  let bestDeficit = Number.NEGATIVE_INFINITY;
  for (let split = 0; split < quotas.length; split++) {
    if ((shares[split] ?? 0) <= 0) continue;
    const deficit = (quotas[split] ?? 0) - (filled[split] ?? 0);
    if (deficit > bestDeficit) {
      best = split;
      bestDeficit = deficit;
    }
  }
  return best;
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
