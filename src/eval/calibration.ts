// Calibration: how well confidences match observed accuracy (expected calibration error, reliability bins).

import { SlmkitError } from "../errors.js";
import { checkConfidences } from "../models/threshold.js";

/** The number of equal-width bins the reports use (the DESIGN.md contract for `ece`). */
export const defaultCalibrationBins = 15;

/** One equal-width confidence bin of a reliability diagram. */
export interface ReliabilityBin {
  /** Exclusive lower edge (the first bin also holds confidence 0). */
  lower: number;
  /** Inclusive upper edge. */
  upper: number;
  /** How many items fell in the bin. */
  count: number;
  /** Mean confidence of the bin's items; 0 when `count` is 0. */
  meanConfidence: number;
  /** Share of the bin's items that were correct; 0 when `count` is 0. */
  accuracy: number;
}

/**
 * Splits [0, 1] into `bins` equal-width bins, (lower, upper] as in Guo et al. 2017 (confidence 0 goes
 * to the first bin), and reports each bin's size, mean confidence and accuracy. Confidences a hair
 * outside [0, 1] (float rounding in a softmax) are clamped into the end bins.
 */
export function reliabilityBins(
  confidences: readonly number[],
  correct: readonly boolean[],
  bins = defaultCalibrationBins,
): ReliabilityBin[] {
  checkConfidences(confidences, correct);
  if (!Number.isInteger(bins) || bins < 1) {
    throw new SlmkitError("INVALID_OPTION", `bins must be a positive integer, got ${bins}.`, {
      field: "bins",
    });
  }
  const counts = new Array<number>(bins).fill(0);
  const confidenceSums = new Array<number>(bins).fill(0);
  const correctCounts = new Array<number>(bins).fill(0);
  for (let index = 0; index < confidences.length; index++) {
    const confidence = confidences[index] as number;
    const bin = Math.min(bins - 1, Math.max(0, Math.ceil(confidence * bins) - 1));
    counts[bin] = (counts[bin] as number) + 1;
    confidenceSums[bin] = (confidenceSums[bin] as number) + confidence;
    if (correct[index]) correctCounts[bin] = (correctCounts[bin] as number) + 1;
  }
  return counts.map((count, bin) => ({
    lower: bin / bins,
    upper: (bin + 1) / bins,
    count,
    meanConfidence: count === 0 ? 0 : (confidenceSums[bin] as number) / count,
    accuracy: count === 0 ? 0 : (correctCounts[bin] as number) / count,
  }));
}

/**
 * Expected calibration error: the bin-size-weighted mean of |accuracy - mean confidence| over
 * `bins` equal-width bins (default 15). 0 is perfect calibration; an empty input gives 0.
 */
export function expectedCalibrationError(
  confidences: readonly number[],
  correct: readonly boolean[],
  bins = defaultCalibrationBins,
): number {
  return expectedCalibrationErrorOfBins(reliabilityBins(confidences, correct, bins));
}

/** The ECE of already computed bins, so a report that shows the bins need not bin twice. */
export function expectedCalibrationErrorOfBins(bins: readonly ReliabilityBin[]): number {
  let total = 0;
  let weighted = 0;
  for (const bin of bins) {
    total += bin.count;
    weighted += bin.count * Math.abs(bin.accuracy - bin.meanConfidence);
  }
  return total === 0 ? 0 : weighted / total;
}
