// Seeded, stratified splits: one primitive behind the dataset's train/valid/test split and every hold-out.

import { SlmkitError } from "../errors.js";
import { createRandom, type Random } from "../internal/random.js";
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
  const [train = [], valid = [], test = []] = stratifiedSplit(examples, {
    stratumOf: options.stratifyBy ?? ((example: T) => example.label ?? ""),
    unitOf: (example) => normalizeText(example.text),
    random: createRandom(seed),
    deal: { shares: splitNames.map((name) => ratios[name]) },
    keepOrder: true,
  });
  return { train, valid, test };
}

/** How `stratifiedSplit` deals each stratum's shuffled units to the parts. */
export type StratumDeal =
  | {
      /**
       * One part per share (each >= 0, the first above 0). A part's quota of a stratum is its share of the
       * stratum's items, rounded by largest remainder (ties to the earlier part). The largest unit goes to the
       * first part, each next one to the part furthest below its quota (ties to the earlier part; a part whose
       * share is 0 gets none): every stratum is in the first part, and each quota is met within one unit.
       */
      shares: readonly number[];
    }
  | {
      /**
       * Two parts: the stratum's units, in their shuffled order, go to the first part until it holds
       * `firstPartSize(items in the stratum)` items; the rest go to the second. A hold-out of a fraction.
       */
      firstPartSize: (stratumSize: number) => number;
    };

export interface StratifiedSplitOptions<T, Stratum extends string | number> {
  /** Each item's stratum. Strata are split one at a time, in ascending order (strings by UTF-16 code units). */
  stratumOf: (item: T) => Stratum;
  /**
   * The stream every stratum is shuffled with, one after another in that order. The caller owns it: the same
   * stream may go on to draw something else (a second split, a shuffle), and the seed says where it started.
   */
  random: Random;
  deal: StratumDeal;
  /**
   * Items with the same key form one unit that always lands in one part (e.g. duplicate texts); a unit's
   * stratum is its members' most common one (ties: the one seen first). Default: every item is a unit alone.
   */
  unitOf?: (item: T) => string;
  /**
   * True: each part keeps the items' original order. Default false: each part is in the order dealt, stratum
   * after stratum, each in its shuffled order.
   */
  keepOrder?: boolean;
}

/**
 * The one stratified split behind `splitDataset` and the hold-outs of the trainers and the distiller: groups the
 * items into units and the units by stratum, shuffles each stratum's units with `random` (then, stably, the
 * largest first), and deals them to the parts by `deal`. Deterministic: the same items, options and stream
 * state give the same parts. Returns one array per part (two with `firstPartSize`).
 */
export function stratifiedSplit<T, Stratum extends string | number>(
  items: readonly T[],
  options: StratifiedSplitOptions<T, Stratum>,
): T[][] {
  const { deal, random } = options;
  const strata = unitsByStratum(items, options.stratumOf, options.unitOf);
  const parts: number[][] = Array.from({ length: "shares" in deal ? deal.shares.length : 2 }, () => []);
  for (const stratum of [...strata.keys()].sort(compareAscending)) {
    const units = random.shuffle([...(strata.get(stratum) ?? [])]);
    // Stable: equal sizes keep their shuffled order (so units of one item are not reordered at all).
    units.sort((a, b) => b.length - a.length);
    const dealt =
      "shares" in deal ? dealByShares(units, deal.shares) : dealFirstPart(units, deal.firstPartSize);
    units.forEach((unit, index) => {
      parts[dealt[index] ?? 0]?.push(...unit);
    });
  }
  if (options.keepOrder === true) for (const part of parts) part.sort((a, b) => a - b);
  return parts.map((part) => part.map((index) => items[index] as T));
}

/** The items' positions grouped into units (in order of first appearance), and the units by stratum. */
function unitsByStratum<T, Stratum extends string | number>(
  items: readonly T[],
  stratumOf: (item: T) => Stratum,
  unitOf: ((item: T) => string) | undefined,
): Map<Stratum, number[][]> {
  const strata = new Map<Stratum, number[][]>();
  const addUnit = (stratum: Stratum, unit: number[]): void => {
    const units = strata.get(stratum);
    if (units === undefined) strata.set(stratum, [unit]);
    else units.push(unit);
  };
  if (unitOf === undefined) {
    items.forEach((item, index) => {
      addUnit(stratumOf(item), [index]);
    });
    return strata;
  }
  // Remembering each unit's first position, so the grouping does not depend on Map order.
  const units = new Map<string, { members: number[]; strataCounts: Map<Stratum, number> }>();
  items.forEach((item, index) => {
    const key = unitOf(item);
    let unit = units.get(key);
    if (unit === undefined) {
      unit = { members: [], strataCounts: new Map() };
      units.set(key, unit);
    }
    unit.members.push(index);
    const stratum = stratumOf(item);
    unit.strataCounts.set(stratum, (unit.strataCounts.get(stratum) ?? 0) + 1);
  });
  for (const unit of units.values()) addUnit(mostCommon(unit.strataCounts), unit.members);
  return strata;
}

/** The part of each unit under a `shares` deal (see `StratumDeal`). */
function dealByShares(units: readonly number[][], shares: readonly number[]): number[] {
  const size = units.reduce((total, unit) => total + unit.length, 0);
  const quotas = apportion(size, shares);
  const filled = shares.map(() => 0);
  return units.map((unit, index) => {
    const part = index === 0 ? 0 : neediestPart(quotas, filled, shares);
    filled[part] = (filled[part] ?? 0) + unit.length;
    return part;
  });
}

/** The part of each unit under a `firstPartSize` deal (see `StratumDeal`). */
function dealFirstPart(units: readonly number[][], firstPartSize: (stratumSize: number) => number): number[] {
  const size = units.reduce((total, unit) => total + unit.length, 0);
  const wanted = firstPartSize(size);
  let filled = 0;
  return units.map((unit) => {
    if (filled >= wanted) return 1;
    filled += unit.length;
    return 0;
  });
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

function mostCommon<Stratum>(counts: ReadonlyMap<Stratum, number>): Stratum {
  let best: Stratum | undefined;
  let bestCount = -1;
  // Map order is insertion order, so ties go to the stratum seen first.
  for (const [name, count] of counts) {
    if (count > bestCount) {
      best = name;
      bestCount = count;
    }
  }
  return best as Stratum;
}

/** Integer quotas summing to `size`, each within 1 of `size * share` (largest remainder; ties favour the first). */
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

/** The part furthest below its quota (ties favour the earlier part); parts with a zero share never. */
function neediestPart(
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

/** Ascending: numbers by value, strings by UTF-16 code units (as `Array.prototype.sort` without a comparator). */
function compareAscending<Value extends string | number>(a: Value, b: Value): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
