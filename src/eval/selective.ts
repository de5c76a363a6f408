// Selective prediction: accept a prediction only when its confidence clears a threshold; coverage vs accuracy.

import { SlmkitError } from "../errors.js";
import { accuracyTolerance, checkConfidences, cumulativePoints } from "../models/threshold.js";

export {
  acceptNothingMargin,
  type ChooseThresholdOptions,
  chooseThreshold,
  type ThresholdChoice,
} from "../models/threshold.js";

/** The accepted-accuracy targets every report reads coverage at (`coverageAt` keys). */
export const standardAccuracyTargets = [0.95, 0.97, 0.99] as const;

/**
 * Accepting the items with confidence >= `threshold` keeps `coverage` of them (a share in [0, 1]),
 * and `accuracy` of those accepted are correct.
 */
export interface CoveragePoint {
  threshold: number;
  coverage: number;
  accuracy: number;
}

/**
 * The full coverage-vs-accuracy curve: one point per distinct confidence, by descending threshold
 * (so by ascending coverage), the last point accepting everything. Read figures such as
 * `coverageAtAccuracy` off this exact curve, not off a thinned one.
 */
export function exactCoverageCurve(
  confidences: readonly number[],
  correct: readonly boolean[],
): CoveragePoint[] {
  const total = confidences.length;
  return cumulativePoints(confidences, correct).map((point) => ({
    threshold: point.threshold,
    coverage: point.accepted / total,
    accuracy: point.correct / point.accepted,
  }));
}

export interface CoverageCurveOptions {
  /** At most this many points are kept (an integer >= 2). Default 200: enough for a smooth plot, small JSON. */
  maxPoints?: number;
  /**
   * For each of these accuracy targets, the point `coverageAtAccuracy` would pick on the full curve is
   * kept, so reading the thinned curve gives the same figure. Default `standardAccuracyTargets`.
   */
  keepAccuracyTargets?: readonly number[];
  /**
   * For each of these thresholds, the point that accepts the same items is kept (e.g. the model's own
   * threshold, so its marker lies on the plotted curve). Default none.
   */
  keepThresholds?: readonly number[];
}

/**
 * Thins a curve from `exactCoverageCurve` to at most `maxPoints` points, evenly spaced in coverage,
 * always keeping the first and last points and the points named by `keepAccuracyTargets` and
 * `keepThresholds` (those take precedence over the even spacing).
 */
export function thinCoverageCurve(
  curve: readonly CoveragePoint[],
  options: CoverageCurveOptions = {},
): CoveragePoint[] {
  const maxPoints = options.maxPoints ?? 200;
  if (!Number.isInteger(maxPoints) || maxPoints < 2) {
    throw new SlmkitError("INVALID_OPTION", `maxPoints must be an integer >= 2, got ${maxPoints}.`, {
      field: "maxPoints",
    });
  }
  if (curve.length <= maxPoints) return curve.slice();

  const keep = new Set<number>([0, curve.length - 1]);
  for (const target of options.keepAccuracyTargets ?? standardAccuracyTargets) {
    const index = curve.findLastIndex((point) => point.accuracy >= target - accuracyTolerance);
    if (index >= 0) keep.add(index);
  }
  for (const threshold of options.keepThresholds ?? []) {
    const index = curve.findLastIndex((point) => point.threshold >= threshold);
    if (index >= 0) keep.add(index);
  }

  const budget = maxPoints - keep.size;
  const first = (curve[0] as CoveragePoint).coverage;
  let cursor = 0;
  for (let step = 1; step <= budget; step++) {
    const wanted = first + ((1 - first) * step) / (budget + 1);
    while (cursor < curve.length - 1 && (curve[cursor] as CoveragePoint).coverage < wanted) cursor++;
    keep.add(cursor);
  }
  return [...keep].sort((a, b) => a - b).map((index) => curve[index] as CoveragePoint);
}

/**
 * The coverage-vs-accuracy curve of the data, thinned for reports (see `thinCoverageCurve`):
 * by descending threshold, one point per distinct confidence until there are more than `maxPoints`.
 */
export function coverageCurve(
  confidences: readonly number[],
  correct: readonly boolean[],
  options: CoverageCurveOptions = {},
): CoveragePoint[] {
  return thinCoverageCurve(exactCoverageCurve(confidences, correct), options);
}

/** The largest coverage among the curve's points whose accepted accuracy is at least `target`; 0 if none. */
export function coverageAtAccuracy(curve: readonly CoveragePoint[], target: number): number {
  let best = 0;
  for (const point of curve) {
    if (point.accuracy >= target - accuracyTolerance && point.coverage > best) best = point.coverage;
  }
  return best;
}

export interface SelectiveOutcome {
  /** Share of items with confidence >= threshold. */
  coverage: number;
  /** Accuracy of the accepted items; null when nothing is accepted (the accuracy of no items is undefined). */
  acceptedAccuracy: number | null;
}

/** What accepting confidence >= `threshold` does on this data. An empty input gives coverage 0. */
export function evaluateAtThreshold(
  confidences: readonly number[],
  correct: readonly boolean[],
  threshold: number,
): SelectiveOutcome {
  checkConfidences(confidences, correct);
  if (Number.isNaN(threshold)) {
    throw new SlmkitError("INVALID_OPTION", "threshold is NaN; pass a number in [0, 1].", {
      field: "threshold",
    });
  }
  let accepted = 0;
  let right = 0;
  confidences.forEach((confidence, index) => {
    if (confidence < threshold) return;
    accepted++;
    if (correct[index]) right++;
  });
  return {
    coverage: confidences.length === 0 ? 0 : accepted / confidences.length,
    acceptedAccuracy: accepted === 0 ? null : right / accepted,
  };
}
