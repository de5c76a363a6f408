import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  computeLogits,
  type LinearWeights,
  softmaxInPlace,
  softmaxTop,
  type TopClass,
} from "../../../src/models/native/linear.js";
import { linearProblems } from "../../helpers/linear-problems.js";

/** The definition `computeLogits` unrolls: each class adds its terms one by one, in feature order. */
function plainLogits(
  model: LinearWeights,
  indices: Int32Array,
  values: Float32Array,
  start: number,
  end: number,
): Float64Array {
  const out = new Float64Array(model.classCount);
  for (let c = 0; c < model.classCount; c++) out[c] = model.bias[c] as number;
  for (let k = start; k < end; k++) {
    for (let c = 0; c < model.classCount; c++) {
      out[c] =
        (out[c] as number) +
        (values[k] as number) * (model.weights[(indices[k] as number) * model.classCount + c] as number);
    }
  }
  return out;
}

describe("computeLogits", () => {
  test("gives the plain per-feature sum bit for bit, whatever the number of features and classes", () => {
    fc.assert(
      fc.property(linearProblems(9, 40), ({ model, indices, values, start }) => {
        const out = new Float64Array(model.classCount).fill(Number.NaN);
        computeLogits(model, indices, values, start, indices.length, out);
        const expected = plainLogits(model, indices, values, start, indices.length);
        for (let c = 0; c < model.classCount; c++) assert.ok(Object.is(out[c], expected[c]), `class ${c}`);
      }),
      { numRuns: 500 },
    );
  });
});

describe("softmaxTop", () => {
  test("finds the class and probability softmaxInPlace does, bit for bit", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ noNaN: true, min: -50, max: 50 }), { minLength: 1, maxLength: 80 }),
        fc.double({ noNaN: true, min: 0.05, max: 20 }),
        (logits, temperature) => {
          const distribution = Float64Array.from(logits);
          const best = softmaxInPlace(distribution, logits.length, temperature);
          const top: TopClass = { index: -1, probability: Number.NaN };
          const untouched = Float64Array.from(logits);
          softmaxTop(untouched, logits.length, temperature, top);
          assert.equal(top.index, best);
          assert.ok(Object.is(top.probability, distribution[best]));
          assert.deepEqual([...untouched], logits, "the logits are left as they were");
        },
      ),
      { numRuns: 1000 },
    );
  });
});
