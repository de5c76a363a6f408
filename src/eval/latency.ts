// Latency measurement: a monotonic nanosecond clock around calls, and nearest-rank percentiles of the samples.

import { SlmkitError } from "../errors.js";

/**
 * Nearest-rank percentiles: for each p in (0, 100], the smallest sample such that at least p% of the
 * samples are <= it (always an observed value, never an interpolation). Results follow `ranks`' order.
 */
export function percentiles(samplesMs: readonly number[], ranks: readonly number[]): number[] {
  if (samplesMs.length === 0) {
    throw new SlmkitError(
      "INVALID_INPUT",
      "cannot take percentiles of no samples; measure at least one call.",
    );
  }
  const sorted = [...samplesMs].sort((a, b) => a - b);
  return ranks.map((rank) => {
    if (!(rank > 0 && rank <= 100)) {
      throw new SlmkitError("INVALID_OPTION", `a percentile must be in (0, 100], got ${rank}.`, {
        field: "percentile",
      });
    }
    // p * n / 100 rather than p / 100 * n: 0.95 * 100 is 95.00000000000001 in floating point.
    const position = Math.ceil((rank * sorted.length) / 100 - 1e-9);
    return sorted[Math.min(sorted.length, Math.max(1, position)) - 1] as number;
  });
}

/** A reading of the monotonic high-resolution clock, immune to wall-clock adjustments. */
export function startTimer(): bigint {
  return process.hrtime.bigint();
}

/** Milliseconds (fractional, nanosecond resolution) since `start` from `startTimer()`. */
export function millisecondsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Runs `call` and reports how long it took, in milliseconds. */
export async function timeCall<T>(call: () => Promise<T>): Promise<{ result: T; milliseconds: number }> {
  const start = startTimer();
  const result = await call();
  return { result, milliseconds: millisecondsSince(start) };
}

/** `count` indices spread evenly over [0, length), all of them when `count >= length`: which items to time. */
export function evenlySpacedIndices(length: number, count: number): number[] {
  if (count >= length) return Array.from({ length }, (_, index) => index);
  return Array.from({ length: count }, (_, step) => Math.floor((step * length) / count));
}
