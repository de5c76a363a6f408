import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { SlmkitError } from "../../src/errors.js";
import { classificationMetrics, topConfusedPairs } from "../../src/eval/metrics.js";

const close = (actual: number, expected: number) =>
  assert.ok(Math.abs(actual - expected) < 1e-9, `expected ${expected}, got ${actual}`);

describe("classificationMetrics", () => {
  // gold a a a b b c, predicted a a b b c c; "d" is a model label absent from the test set.
  const metrics = classificationMetrics(
    ["a", "a", "a", "b", "b", "c"],
    ["a", "a", "b", "b", "c", "c"],
    ["c", "b", "a", "d"],
  );

  test("accuracy is the share of exact matches", () => {
    close(metrics.accuracy, 4 / 6);
  });

  test("per-class precision, recall, F1 and support match a hand computation", () => {
    assert.deepEqual(Object.keys(metrics.perClass), ["c", "b", "a"]);
    const { a, b, c } = metrics.perClass;
    assert.ok(a && b && c);
    close(a.precision, 1);
    close(a.recall, 2 / 3);
    close(a.f1, 0.8);
    assert.equal(a.support, 3);
    close(b.precision, 0.5);
    close(b.recall, 0.5);
    close(b.f1, 0.5);
    assert.equal(b.support, 2);
    close(c.precision, 0.5);
    close(c.recall, 1);
    close(c.f1, 2 / 3);
    assert.equal(c.support, 1);
  });

  test("macro-F1 averages over the labels that occur, in the model's order, skipping absent ones", () => {
    close(metrics.macroF1, (0.8 + 0.5 + 2 / 3) / 3);
    assert.deepEqual(metrics.confusion.labels, ["c", "b", "a"]);
  });

  test("the confusion matrix has gold rows and predicted columns", () => {
    assert.deepEqual(metrics.confusion.matrix, [
      [1, 0, 0],
      [1, 1, 0],
      [0, 1, 2],
    ]);
  });

  test("a predicted label the model order does not list is appended and scored 0 where undefined", () => {
    const odd = classificationMetrics(["a", "a"], ["z", "a"], ["a"]);
    assert.deepEqual(odd.confusion.labels, ["a", "z"]);
    assert.deepEqual(odd.confusion.matrix, [
      [1, 1],
      [0, 0],
    ]);
    assert.deepEqual(odd.perClass.z, { precision: 0, recall: 0, f1: 0, support: 0 });
    close(odd.macroF1, (2 / 3 + 0) / 2);
  });

  test("a label named __proto__ is an ordinary key", () => {
    const odd = classificationMetrics(["__proto__", "b"], ["__proto__", "b"]);
    assert.ok(Object.hasOwn(odd.perClass, "__proto__"));
    assert.equal(Object.getOwnPropertyDescriptor(odd.perClass, "__proto__")?.value.f1, 1);
  });

  test("empty input gives zeros, not NaN", () => {
    const empty = classificationMetrics([], []);
    assert.equal(empty.accuracy, 0);
    assert.equal(empty.macroF1, 0);
    assert.deepEqual(empty.confusion, { labels: [], matrix: [] });
  });

  test("inputs of different lengths are rejected", () => {
    assert.throws(
      () => classificationMetrics(["a"], []),
      (error: unknown) => SlmkitError.isInstance(error) && error.code === "INVALID_INPUT",
    );
  });
});

describe("topConfusedPairs", () => {
  test("lists off-diagonal cells, largest first, with the share of the gold label", () => {
    const { confusion } = classificationMetrics(
      ["a", "a", "a", "b", "b", "c"],
      ["b", "b", "a", "c", "b", "c"],
      ["a", "b", "c"],
    );
    assert.deepEqual(topConfusedPairs(confusion), [
      { gold: "a", predicted: "b", count: 2, shareOfGold: 2 / 3 },
      { gold: "b", predicted: "c", count: 1, shareOfGold: 0.5 },
    ]);
    assert.equal(topConfusedPairs(confusion, 1).length, 1);
  });
});
