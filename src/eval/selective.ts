// Selective prediction: accept a prediction only when its confidence clears a threshold; coverage vs accuracy.

import { SlmkitError } from "../errors.js";
import { checkConfidences } from "./input-checks.js";

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
 * Slack when comparing an accuracy with a target: 19/20 and the literal 0.95 are the same double,
 * but an accuracy computed another way may differ in the last bit and must not flip the decision.
 */
const accuracyTolerance = 1e-12;

/** Added to the highest confidence to get a threshold that accepts nothing of the data it was chosen on. */
export const acceptNothingMargin = 1e-6;

interface CumulativePoint {
  threshold: number;
  accepted: number;
  correct: number;
}

/** One point per distinct confidence, highest first, with the counts accepted at that threshold. */
function cumulativePoints(confidences: readonly number[], correct: readonly boolean[]): CumulativePoint[] {
  checkConfidences(confidences, correct);
  const order = confidences.map((_, index) => index);
  order.sort((a, b) => (confidences[b] as number) - (confidences[a] as number));
  const points: CumulativePoint[] = [];
  let accepted = 0;
  let right = 0;
  for (let position = 0; position < order.length; position++) {
    const index = order[position] as number;
    accepted++;
    if (correct[index]) right++;
    const confidence = confidences[index] as number;
    const next = order[position + 1];
    // Ties are accepted together: a threshold cannot separate equal confidences.
    if (next === undefined || (confidences[next] as number) !== confidence) {
      points.push({ threshold: confidence, accepted, correct: right });
    }
  }
  return points;
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

export interface ChooseThresholdOptions {
  /**
   * Thresholds that accept fewer validation items than this are never chosen: an accuracy measured
   * on a handful of items says little. Default 10.
   */
  minAccepted?: number;
  /**
   * Errors assumed on top of the observed ones when testing a threshold: it qualifies when
   * correct / (accepted + pseudoErrors) >= target. Default 1. This asks a small accepted set for more
   * evidence (at target 0.97 and no observed error, at least 33 accepted items) while costing a large
   * one almost nothing; 0 gives the plain rule. With the default, a target of 1 accepts nothing.
   */
  pseudoErrors?: number;
}

/** A threshold and what it does on the data it was chosen on. */
export interface ThresholdChoice {
  threshold: number;
  /** Share of the items accepted at `threshold`. */
  coverage: number;
  /** Plain accuracy of the accepted items; null when nothing is accepted. */
  accuracy: number | null;
}

/**
 * Picks the confidence threshold for a target accepted accuracy on VALIDATION data (never on the
 * test set that will judge it).
 *
 * Candidates are the distinct confidences t; accepting confidence >= t accepts `accepted` items of
 * which `correct` are right. A candidate qualifies when accepted >= `minAccepted` and
 * correct / (accepted + `pseudoErrors`) >= `targetAccuracy` (defaults 10 and 1, see the options).
 * The lowest qualifying t is returned (the largest coverage that still meets the target), even if
 * some higher t does not qualify, because the accepted set at t as a whole meets the target.
 * When none qualifies, the threshold is the highest confidence + `acceptNothingMargin`: nothing of
 * this data is accepted, and `coverage` is 0 with `accuracy` null.
 */
export function chooseThreshold(
  confidences: readonly number[],
  correct: readonly boolean[],
  targetAccuracy: number,
  options: ChooseThresholdOptions = {},
): ThresholdChoice {
  const minAccepted = options.minAccepted ?? 10;
  const pseudoErrors = options.pseudoErrors ?? 1;
  if (!(targetAccuracy > 0 && targetAccuracy <= 1)) {
    throw new SlmkitError(
      "INVALID_OPTION",
      `target accuracy must be in (0, 1], got ${targetAccuracy}; e.g. 0.97 for 97%.`,
      { field: "targetAccuracy" },
    );
  }
  if (!Number.isInteger(minAccepted) || minAccepted < 1) {
    throw new SlmkitError("INVALID_OPTION", `minAccepted must be a positive integer, got ${minAccepted}.`, {
      field: "minAccepted",
    });
  }
  if (!(Number.isFinite(pseudoErrors) && pseudoErrors >= 0)) {
    throw new SlmkitError("INVALID_OPTION", `pseudoErrors must be a number >= 0, got ${pseudoErrors}.`, {
      field: "pseudoErrors",
    });
  }
  if (confidences.length === 0) {
    throw new SlmkitError(
      "EMPTY_DATA",
      "cannot choose a threshold on an empty validation set; provide validation data (or a training set large enough to hold some back).",
    );
  }
  const points = cumulativePoints(confidences, correct);
  let chosen: CumulativePoint | undefined;
  for (const point of points) {
    if (point.accepted < minAccepted) continue;
    if (point.correct / (point.accepted + pseudoErrors) >= targetAccuracy - accuracyTolerance) chosen = point;
  }
  if (chosen === undefined) {
    return {
      threshold: (points[0] as CumulativePoint).threshold + acceptNothingMargin,
      coverage: 0,
      accuracy: null,
    };
  }
  return {
    threshold: chosen.threshold,
    coverage: chosen.accepted / confidences.length,
    accuracy: chosen.correct / chosen.accepted,
  };
}
