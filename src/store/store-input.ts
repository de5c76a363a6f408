// Checks on the few Store arguments a backend cannot check for itself (times and amounts), shared by both.

import { SlmkitError } from "../errors.js";

/** Rejects a time that is not a finite ms-since-epoch number: it would otherwise match nothing, silently. */
export function requireTime(field: string, value: number): void {
  if (typeof value !== "number" || !Number.isFinite(value) || Math.abs(value) > 8.64e15) {
    throw new SlmkitError("INVALID_INPUT", `${field} must be a time in ms since the epoch; got ${value}.`, {
      field,
    });
  }
}

export function requireSpendInput(usd: number, at: number): void {
  if (typeof usd !== "number" || !Number.isFinite(usd)) {
    throw new SlmkitError("INVALID_INPUT", `spend must be a finite number of USD; got ${usd}.`, {
      field: "usd",
    });
  }
  requireTime("at", at);
}
