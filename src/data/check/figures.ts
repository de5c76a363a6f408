// The data report's counts: examples per label and their imbalance, and text lengths, empty and overlong texts.

import type { DataProblem } from "../io.js";
import type { CheckedSplits, CheckRecord } from "./splits.js";
import { compareCodeUnits, round } from "./wording.js";

/** Examples (or spans) per label. */
export interface LabelFigures {
  counts: Map<string, number>;
  /** The counts sorted by label, for the report. */
  sorted: Record<string, number>;
  /** Largest over smallest count; null without labels. */
  imbalanceRatio: number | null;
}

/** Label figures from `counts` (span data counts spans), else from the checked split's record keys. */
export function labelFigures(records: readonly CheckRecord[], counts?: Map<string, number>): LabelFigures {
  const labelCounts = counts ?? countBy(records.map((record) => record.key));
  const values = [...labelCounts.values()];
  return {
    counts: labelCounts,
    sorted: Object.fromEntries([...labelCounts.entries()].sort(([a], [b]) => compareCodeUnits(a, b))),
    imbalanceRatio: values.length === 0 ? null : round(Math.max(...values) / Math.min(...values), 3),
  };
}

export interface TextFigures {
  /** Problems the readers found, in the checked file and then the others. */
  problems: DataProblem[];
  /** Empty texts of the checked split, from its examples and its reader's problems. */
  emptyTexts: number;
  /** Empty texts of the other splits, likewise. */
  emptyElsewhere: number;
  overlong: CheckRecord[];
  /** Text lengths of the checked split, ascending. */
  lengths: number[];
}

export function isEmptyTextProblem(problem: DataProblem): boolean {
  return problem.kind === "empty-text";
}

export function textFigures(
  splits: CheckedSplits,
  problems: readonly DataProblem[],
  maxChars: number,
): TextFigures {
  const { records, others } = splits;
  const isBlank = (record: CheckRecord): boolean => record.text.trim() === "";
  const emptyElsewhere =
    others.reduce((total, other) => total + other.records.filter(isBlank).length, 0) +
    others.flatMap((other) => other.problems).filter(isEmptyTextProblem).length;
  return {
    problems: [...problems, ...others.flatMap((other) => other.problems)],
    emptyTexts: records.filter(isBlank).length + problems.filter(isEmptyTextProblem).length,
    emptyElsewhere,
    overlong: records.filter((record) => record.text.length > maxChars),
    lengths: records.map((record) => record.text.length).sort((a, b) => a - b),
  };
}

/** min, median, p95 and max of ascending `lengths`; null without any. */
export function lengthSummary(
  lengths: readonly number[],
): { min: number; median: number; p95: number; max: number } | null {
  if (lengths.length === 0) return null;
  return {
    min: lengths[0] ?? 0,
    median: quantile(lengths, 0.5),
    p95: quantile(lengths, 0.95),
    max: lengths[lengths.length - 1] ?? 0,
  };
}

function countBy(values: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}
