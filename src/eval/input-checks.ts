// Internal guards shared by the eval functions that take parallel arrays of confidences and outcomes.

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
