// Choosing the confidence threshold a model accepts at: the calibration step every model shares (native,
// GGUF, tiers), kept below eval/ and train/ so that models can calibrate themselves.

import { SlmkitError } from "../errors.js";

/** Throws unless both arrays have the same length and every confidence is a finite number. */
export function checkConfidences(confidences: readonly number[], correct: readonly boolean[]): void {
  if (confidences.length !== correct.length) {
    throw new SlmkitError(
      "INVALID_INPUT",
      `confidences and correctness flags differ in length (${confidences.length} vs ${correct.length}); pass one flag per confidence.`,
    );
  }
  for (let index = 0; index < confidences.length; index++) {
    const confidence = confidences[index] as number;
    if (!Number.isFinite(confidence)) {
      throw new SlmkitError(
        "INVALID_INPUT",
        `confidence #${index + 1} is ${confidence}, not a number in [0, 1]; the model must return finite confidences.`,
      );
    }
  }
}

/**
 * Slack when comparing an accuracy with a target: 19/20 and the literal 0.95 are the same double,
 * but an accuracy computed another way may differ in the last bit and must not flip the decision.
 */
export const accuracyTolerance = 1e-12;

/** Added to the highest confidence to get a threshold that accepts nothing of the data it was chosen on. */
export const acceptNothingMargin = 1e-6;

export interface CumulativePoint {
  threshold: number;
  accepted: number;
  correct: number;
}

/** One point per distinct confidence, highest first, with the counts accepted at that threshold. */
export function cumulativePoints(
  confidences: readonly number[],
  correct: readonly boolean[],
): CumulativePoint[] {
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
