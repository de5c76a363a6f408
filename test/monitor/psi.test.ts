import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { SlmkitError } from "../../src/errors.js";
import {
  binIndex,
  categoryShares,
  confidenceBinEdges,
  histogramCounts,
  histogramShares,
  lengthBinEdges,
  populationStabilityIndex,
  psiEpsilon,
} from "../../src/monitor/psi.js";

describe("population stability index", () => {
  test("is 0 for identical share vectors, empty bins included", () => {
    assert.equal(populationStabilityIndex([0.2, 0.3, 0.5], [0.2, 0.3, 0.5]), 0);
    assert.equal(populationStabilityIndex([0, 0.4, 0.6, 0], [0, 0.4, 0.6, 0]), 0);
  });

  test("matches a hand-computed case: 0.25·ln 2 + 0.25·ln 1.5", () => {
    // (0.5 − 0.25)·ln(0.5/0.25) + (0.5 − 0.75)·ln(0.5/0.75)
    const expected = 0.25 * Math.log(2) + 0.25 * Math.log(1.5);
    assert.ok(Math.abs(populationStabilityIndex([0.5, 0.5], [0.25, 0.75]) - expected) < 1e-12);
    assert.ok(Math.abs(expected - 0.274653) < 1e-6);
  });

  test("raises empty bins to epsilon instead of going infinite", () => {
    const psi = populationStabilityIndex([1, 0], [0.5, 0.5]);
    const expected = 0.5 * Math.log(2) + (psiEpsilon - 0.5) * Math.log(psiEpsilon / 0.5);
    assert.ok(Number.isFinite(psi));
    assert.ok(Math.abs(psi - expected) < 1e-12);
    assert.ok(psi > 4, "a bin emptied out is a large shift");
  });

  test("grows as the distributions move apart", () => {
    const reference = [0.25, 0.25, 0.25, 0.25];
    const small = populationStabilityIndex([0.3, 0.2, 0.25, 0.25], reference);
    const large = populationStabilityIndex([0.7, 0.1, 0.1, 0.1], reference);
    assert.ok(small > 0 && small < 0.1);
    assert.ok(large > 0.2);
  });

  test("refuses vectors of different lengths", () => {
    assert.throws(
      () => populationStabilityIndex([0.5, 0.5], [1]),
      (error) => SlmkitError.isInstance(error) && error.code === "INVALID_INPUT",
    );
  });
});

describe("bins and histograms", () => {
  test("confidence has 10 equal bins, 1 falling in the last", () => {
    assert.equal(confidenceBinEdges.length, 11);
    assert.equal(binIndex(0, confidenceBinEdges), 0);
    assert.equal(binIndex(0.0999, confidenceBinEdges), 0);
    assert.equal(binIndex(0.1, confidenceBinEdges), 1);
    assert.equal(binIndex(0.95, confidenceBinEdges), 9);
    assert.equal(binIndex(1, confidenceBinEdges), 9);
  });

  test("length bins double from 10 characters and end open", () => {
    assert.equal(lengthBinEdges[0], 0);
    assert.equal(lengthBinEdges.at(-1), Number.POSITIVE_INFINITY);
    assert.equal(binIndex(9, lengthBinEdges), 0);
    assert.equal(binIndex(55, lengthBinEdges), 3);
    assert.equal(binIndex(1279, lengthBinEdges), 7);
    assert.equal(binIndex(50_000, lengthBinEdges), 8);
  });

  test("histograms count every value and share to 1", () => {
    assert.deepEqual(
      histogramCounts([0.05, 0.15, 0.15, 1, Number.NaN], confidenceBinEdges),
      [1, 2, 0, 0, 0, 0, 0, 0, 0, 1],
    );
    const shares = histogramShares([5, 15, 25, 2000], lengthBinEdges);
    assert.deepEqual(shares, [0.25, 0.25, 0.25, 0, 0, 0, 0, 0, 0.25]);
    assert.deepEqual(histogramShares([], lengthBinEdges), new Array(9).fill(0));
  });

  test("category shares follow the order given and ignore other values", () => {
    assert.deepEqual(categoryShares(["b", "a", "b", "zzz"], ["a", "b", "c"]), [1 / 3, 2 / 3, 0]);
  });
});
