import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { expectedCalibrationError, reliabilityBins } from "../../src/eval/calibration.js";

const close = (actual: number, expected: number) =>
  assert.ok(Math.abs(actual - expected) < 1e-9, `expected ${expected}, got ${actual}`);

describe("expectedCalibrationError", () => {
  test("weights each bin's |accuracy - confidence| by its size", () => {
    // Bin (0.8667, 0.9333]: 4 items at 0.9, 3 right → gap 0.15. Bin (0.2667, 0.3333]: 2 at 0.3, 1 right → 0.2.
    const confidences = [0.9, 0.9, 0.9, 0.9, 0.3, 0.3];
    const correct = [true, true, true, false, false, true];
    close(expectedCalibrationError(confidences, correct), (4 * 0.15 + 2 * 0.2) / 6);
  });

  test("is 0 for a perfectly calibrated set and for no data", () => {
    close(expectedCalibrationError([0.5, 0.5, 1, 1], [true, false, true, true]), 0);
    assert.equal(expectedCalibrationError([], []), 0);
  });

  test("depends on the bin count", () => {
    // With one bin everything is pooled: mean confidence 0.5, accuracy 0.5.
    close(expectedCalibrationError([0.1, 0.9], [false, true], 1), 0);
    close(expectedCalibrationError([0.1, 0.9], [false, true], 15), 0.1);
  });
});

describe("reliabilityBins", () => {
  test("has 15 equal-width bins with counts, mean confidence and accuracy", () => {
    const bins = reliabilityBins([0.9, 0.9, 0.9, 0.9, 0.3, 0.3], [true, true, true, false, false, true]);
    assert.equal(bins.length, 15);
    const high = bins[13];
    assert.ok(high);
    close(high.lower, 13 / 15);
    close(high.upper, 14 / 15);
    assert.equal(high.count, 4);
    close(high.meanConfidence, 0.9);
    close(high.accuracy, 0.75);
    assert.equal(bins[4]?.count, 2);
    assert.equal(
      bins.reduce((total, bin) => total + bin.count, 0),
      6,
    );
    assert.deepEqual(
      { count: bins[0]?.count, meanConfidence: bins[0]?.meanConfidence, accuracy: bins[0]?.accuracy },
      { count: 0, meanConfidence: 0, accuracy: 0 },
    );
  });

  test("puts 0 in the first bin, 1 and a float hair above it in the last", () => {
    const bins = reliabilityBins([0, 1, 1.0000000000000002], [false, true, true]);
    assert.equal(bins[0]?.count, 1);
    assert.equal(bins[14]?.count, 2);
  });

  test("rejects non-finite confidences, mismatched lengths and a bad bin count", () => {
    assert.throws(() => reliabilityBins([Number.NaN], [true]), /confidence #1 is NaN/);
    assert.throws(() => reliabilityBins([0.5], []), /differ in length/);
    assert.throws(() => reliabilityBins([0.5], [true], 0), /bins must be a positive integer/);
  });
});
