// Pulls the figures drift compares out of request-log rows, skipping per figure the rows that lack it.

import type { RequestLogEntry } from "../store/types.js";

/** What a set of log rows says about the small model's inputs and outputs; each list skips rows without it. */
export interface LogFigures {
  /** Rows in the set. */
  rows: number;
  slmLabels: string[];
  slmConfidences: number[];
  inputLengths: number[];
  unknownShares: number[];
  /** Rows with both a small-model confidence and a threshold, and how many of them fell below it. */
  escalation: { n: number; below: number };
}

/**
 * The input length of a row: `inputChars`, else the length of the kept text (rows logged before `inputChars`
 * was recorded), else null.
 */
export function inputLengthOf(entry: RequestLogEntry): number | null {
  if (entry.inputChars !== undefined && entry.inputChars !== null) return entry.inputChars;
  return entry.inputText === null ? null : entry.inputText.length;
}

/**
 * Collects the figures of `entries`. Rows answered by the cache count like the others: the small model still
 * predicted on them, so they describe the traffic as much as any row.
 */
export function logFigures(entries: readonly RequestLogEntry[]): LogFigures {
  const figures: LogFigures = {
    rows: entries.length,
    slmLabels: [],
    slmConfidences: [],
    inputLengths: [],
    unknownShares: [],
    escalation: { n: 0, below: 0 },
  };
  for (const entry of entries) {
    if (entry.slmLabel !== null) figures.slmLabels.push(entry.slmLabel);
    if (entry.slmConfidence !== null) {
      figures.slmConfidences.push(entry.slmConfidence);
      if (entry.threshold !== null) {
        figures.escalation.n += 1;
        if (entry.slmConfidence < entry.threshold) figures.escalation.below += 1;
      }
    }
    const length = inputLengthOf(entry);
    if (length !== null) figures.inputLengths.push(length);
    if (entry.unknownShare !== undefined && entry.unknownShare !== null)
      figures.unknownShares.push(entry.unknownShare);
  }
  return figures;
}

/** Mean of `values`; 0 when empty (callers check the count first). */
export function mean(values: readonly number[]): number {
  if (values.length === 0) return 0;
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}
