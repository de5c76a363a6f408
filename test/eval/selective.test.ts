import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { SlmkitError } from "../../src/errors.js";
import {
  acceptNothingMargin,
  chooseThreshold,
  coverageAtAccuracy,
  coverageCurve,
  evaluateAtThreshold,
  exactCoverageCurve,
  standardAccuracyTargets,
  thinCoverageCurve,
} from "../../src/eval/selective.js";

const close = (actual: number | null | undefined, expected: number) =>
  assert.ok(
    typeof actual === "number" && Math.abs(actual - expected) < 1e-9,
    `expected ${expected}, got ${actual}`,
  );

// Sorted: 0.9 right; 0.8 right and wrong (a tie); 0.6 right; 0.4 wrong.
const confidences = [0.8, 0.9, 0.4, 0.8, 0.6];
const correct = [false, true, false, true, true];

describe("exactCoverageCurve", () => {
  test("has one point per distinct confidence, ties accepted together, by descending threshold", () => {
    const curve = exactCoverageCurve(confidences, correct);
    assert.deepEqual(
      curve.map((point) => point.threshold),
      [0.9, 0.8, 0.6, 0.4],
    );
    const expected = [
      [1 / 5, 1],
      [3 / 5, 2 / 3],
      [4 / 5, 3 / 4],
      [1, 3 / 5],
    ];
    curve.forEach((point, index) => {
      close(point.coverage, expected[index]?.[0] ?? Number.NaN);
      close(point.accuracy, expected[index]?.[1] ?? Number.NaN);
    });
  });

  test("is empty for no data", () => {
    assert.deepEqual(exactCoverageCurve([], []), []);
  });
});

describe("coverageAtAccuracy", () => {
  const curve = exactCoverageCurve(confidences, correct);
  test("reads the largest coverage whose accepted accuracy reaches the target", () => {
    close(coverageAtAccuracy(curve, 0.95), 0.2);
    close(coverageAtAccuracy(curve, 0.7), 0.8);
    // 3/4 meets 0.75 exactly.
    close(coverageAtAccuracy(curve, 0.75), 0.8);
    close(coverageAtAccuracy(curve, 0.5), 1);
    close(coverageAtAccuracy(curve, 1), 0.2);
  });

  test("is 0 when no point reaches the target", () => {
    const allWrong = exactCoverageCurve([0.9, 0.5], [false, false]);
    assert.equal(coverageAtAccuracy(allWrong, 0.5), 0);
    assert.equal(coverageAtAccuracy([], 0.5), 0);
  });
});

describe("evaluateAtThreshold", () => {
  test("accepts confidence >= threshold", () => {
    const atTie = evaluateAtThreshold(confidences, correct, 0.8);
    close(atTie.coverage, 0.6);
    close(atTie.acceptedAccuracy, 2 / 3);
    const high = evaluateAtThreshold(confidences, correct, 0.85);
    close(high.coverage, 0.2);
    close(high.acceptedAccuracy, 1);
  });

  test("reports a null accuracy when nothing is accepted", () => {
    assert.deepEqual(evaluateAtThreshold(confidences, correct, 0.95), {
      coverage: 0,
      acceptedAccuracy: null,
    });
    assert.deepEqual(evaluateAtThreshold([], [], 0.5), { coverage: 0, acceptedAccuracy: null });
  });
});

describe("chooseThreshold", () => {
  test("with the plain rule, picks the lowest threshold whose accepted set meets the target", () => {
    const plain = { minAccepted: 1, pseudoErrors: 0 };
    // At 0.8 the accepted accuracy is 2/3, but at 0.6 it is back to 3/4: the lower one wins.
    assert.deepEqual(chooseThreshold(confidences, correct, 0.75, plain), {
      threshold: 0.6,
      coverage: 0.8,
      accuracy: 0.75,
    });
    assert.deepEqual(chooseThreshold(confidences, correct, 0.9, plain), {
      threshold: 0.9,
      coverage: 0.2,
      accuracy: 1,
    });
  });

  // 40 items, confidence (99 - i) / 100: the top 30 right, then 1 wrong, 5 right, 4 wrong.
  const crafted = Array.from({ length: 40 }, (_, index) => ({
    confidence: (99 - index) / 100,
    correct: index < 30 || (index > 30 && index < 36),
  }));
  const craftedConfidences = crafted.map((item) => item.confidence);
  const craftedCorrect = crafted.map((item) => item.correct);

  test("by default counts one pseudo-error, so a lucky run after a mistake does not lower the threshold", () => {
    // Top 30: 30/31 >= 0.95. After the mistake at most 35 right of 36 accepted: 35/37 < 0.95.
    assert.deepEqual(chooseThreshold(craftedConfidences, craftedCorrect, 0.95), {
      threshold: 0.7,
      coverage: 0.75,
      accuracy: 1,
    });
    // The plain rule takes 35/36 = 0.972 at confidence 0.64.
    const plain = chooseThreshold(craftedConfidences, craftedCorrect, 0.95, {
      minAccepted: 1,
      pseudoErrors: 0,
    });
    assert.equal(plain.threshold, 0.64);
    close(plain.coverage, 0.9);
    close(plain.accuracy, 35 / 36);
  });

  test("needs more evidence for a stricter target", () => {
    // 0.97 with one pseudo-error needs 33 right in a row: the top 30 are not enough, so nothing is accepted.
    const strict = chooseThreshold(craftedConfidences, craftedCorrect, 0.97);
    assert.deepEqual(strict, { threshold: 0.99 + acceptNothingMargin, coverage: 0, accuracy: null });
  });

  test("ignores thresholds that accept fewer than minAccepted items", () => {
    const few = [0.99, 0.98, 0.97, 0.96, 0.95];
    const allRight = few.map(() => true);
    assert.equal(chooseThreshold(few, allRight, 0.8).coverage, 0);
    assert.deepEqual(chooseThreshold(few, allRight, 0.8, { minAccepted: 5 }), {
      threshold: 0.95,
      coverage: 1,
      accuracy: 1,
    });
  });

  test("accepts nothing of the data when no threshold qualifies", () => {
    const none = chooseThreshold([0.6, 0.9], [false, false], 0.5, { minAccepted: 1 });
    assert.deepEqual(none, { threshold: 0.9 + acceptNothingMargin, coverage: 0, accuracy: null });
    assert.equal(evaluateAtThreshold([0.6, 0.9], [false, false], none.threshold).coverage, 0);
  });

  test("rejects a target outside (0, 1], bad options and empty data", () => {
    const isCode = (code: string) => (error: unknown) => SlmkitError.isInstance(error) && error.code === code;
    assert.throws(() => chooseThreshold([0.5], [true], 0), isCode("INVALID_OPTION"));
    assert.throws(() => chooseThreshold([0.5], [true], 97), isCode("INVALID_OPTION"));
    assert.throws(() => chooseThreshold([0.5], [true], Number.NaN), isCode("INVALID_OPTION"));
    assert.throws(() => chooseThreshold([0.5], [true], 0.9, { minAccepted: 0 }), isCode("INVALID_OPTION"));
    assert.throws(() => chooseThreshold([0.5], [true], 0.9, { pseudoErrors: -1 }), isCode("INVALID_OPTION"));
    assert.throws(() => chooseThreshold([], [], 0.9), isCode("EMPTY_DATA"));
  });
});

describe("coverageCurve (thinned)", () => {
  const size = 1000;
  const manyConfidences = Array.from({ length: size }, (_, index) => (index + 0.5) / size);
  // Mostly right at high confidence, mostly wrong at low: a deterministic pattern.
  const manyCorrect = manyConfidences.map((confidence, index) => confidence > 0.3 && index % 37 !== 0);

  test("keeps at most maxPoints points, the ends, and descending thresholds", () => {
    const curve = coverageCurve(manyConfidences, manyCorrect);
    assert.ok(curve.length <= 200 && curve.length > 150, `got ${curve.length} points`);
    const exact = exactCoverageCurve(manyConfidences, manyCorrect);
    assert.deepEqual(curve[0], exact[0]);
    assert.deepEqual(curve.at(-1), exact.at(-1));
    for (let index = 1; index < curve.length; index++) {
      assert.ok((curve[index]?.threshold ?? 0) < (curve[index - 1]?.threshold ?? 0));
    }
  });

  test("keeps the points that give coverageAt and the requested threshold", () => {
    const exact = exactCoverageCurve(manyConfidences, manyCorrect);
    const thin = thinCoverageCurve(exact, { maxPoints: 20, keepThresholds: [0.4321] });
    assert.ok(thin.length <= 20);
    for (const target of standardAccuracyTargets) {
      assert.equal(coverageAtAccuracy(thin, target), coverageAtAccuracy(exact, target));
    }
    const atThreshold = evaluateAtThreshold(manyConfidences, manyCorrect, 0.4321);
    assert.ok(thin.some((point) => point.coverage === atThreshold.coverage));
  });

  test("returns a short curve unchanged and rejects a tiny maxPoints", () => {
    const exact = exactCoverageCurve(confidences, correct);
    assert.deepEqual(thinCoverageCurve(exact), exact);
    assert.throws(() => thinCoverageCurve(exact, { maxPoints: 1 }), /maxPoints/);
  });
});

describe("selective prediction properties", () => {
  // Confidences on a coarse grid, so ties are common.
  const items = fc.array(
    fc.record({
      confidence: fc.integer({ min: 0, max: 20 }).map((step) => step / 20),
      correct: fc.boolean(),
    }),
    { minLength: 1, maxLength: 300 },
  );

  test("coverage never rises as the threshold rises", () => {
    fc.assert(
      fc.property(
        items,
        fc.array(fc.double({ min: -0.1, max: 1.1, noNaN: true }), { maxLength: 20 }),
        (data, thresholds) => {
          const confidenceList = data.map((item) => item.confidence);
          const correctList = data.map((item) => item.correct);
          const coverages = [...thresholds]
            .sort((a, b) => a - b)
            .map((threshold) => evaluateAtThreshold(confidenceList, correctList, threshold).coverage);
          for (let index = 1; index < coverages.length; index++) {
            assert.ok((coverages[index] as number) <= (coverages[index - 1] as number));
          }
          const curve = exactCoverageCurve(confidenceList, correctList);
          for (let index = 1; index < curve.length; index++) {
            assert.ok((curve[index]?.coverage as number) > (curve[index - 1]?.coverage as number));
          }
        },
      ),
    );
  });

  test("coverage at 97% is at most coverage at 95%, and at 99% at most at 97%, on exact and thinned curves", () => {
    fc.assert(
      fc.property(items, fc.integer({ min: 2, max: 30 }), (data, maxPoints) => {
        const confidenceList = data.map((item) => item.confidence);
        const correctList = data.map((item) => item.correct);
        const exact = exactCoverageCurve(confidenceList, correctList);
        const thin = thinCoverageCurve(exact, { maxPoints });
        assert.ok(coverageAtAccuracy(exact, 0.97) <= coverageAtAccuracy(exact, 0.95));
        assert.ok(coverageAtAccuracy(exact, 0.99) <= coverageAtAccuracy(exact, 0.97));
        for (const target of standardAccuracyTargets) {
          assert.equal(coverageAtAccuracy(thin, target), coverageAtAccuracy(exact, target));
        }
      }),
    );
  });

  test("a chosen threshold reproduces its coverage and meets the target on its data", () => {
    fc.assert(
      fc.property(items, fc.double({ min: 0.5, max: 0.99, noNaN: true }), (data, target) => {
        const confidenceList = data.map((item) => item.confidence);
        const correctList = data.map((item) => item.correct);
        const choice = chooseThreshold(confidenceList, correctList, target);
        const outcome = evaluateAtThreshold(confidenceList, correctList, choice.threshold);
        assert.equal(outcome.coverage, choice.coverage);
        assert.equal(outcome.acceptedAccuracy, choice.accuracy);
        if (choice.accuracy !== null) assert.ok(choice.accuracy >= target);
      }),
    );
  });
});
