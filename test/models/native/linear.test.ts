import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  computeLogits,
  createLinearWeights,
  type LinearWeights,
  softmaxInPlace,
  softmaxTop,
  type TopClass,
} from "../../../src/models/native/linear.js";

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

const float = fc.float({ noNaN: true, noDefaultInfinity: true, min: -8, max: 8 });

describe("computeLogits", () => {
  test("gives the plain per-feature sum bit for bit, whatever the number of features and classes", () => {
    const problem = fc
      .record({
        classCount: fc.integer({ min: 1, max: 9 }),
        featureCount: fc.integer({ min: 1, max: 40 }),
        start: fc.integer({ min: 0, max: 3 }),
      })
      .chain(({ classCount, featureCount, start }) =>
        fc.record({
          classCount: fc.constant(classCount),
          start: fc.constant(start),
          entries: fc.array(fc.tuple(fc.integer({ min: 0, max: featureCount - 1 }), float), {
            maxLength: 40,
          }),
          weights: fc.array(float, {
            minLength: featureCount * classCount,
            maxLength: featureCount * classCount,
          }),
          bias: fc.array(float, { minLength: classCount, maxLength: classCount }),
        }),
      );
    fc.assert(
      fc.property(problem, ({ classCount, start, entries, weights, bias }) => {
        const model = createLinearWeights(weights.length / classCount, classCount);
        model.weights.set(weights);
        model.bias.set(bias);
        // `start` entries before the row belong to another row and must not count.
        const indices = Int32Array.from([...Array(start).fill(0), ...entries.map(([index]) => index)]);
        const values = Float32Array.from([...Array(start).fill(9), ...entries.map(([, value]) => value)]);
        const out = new Float64Array(classCount).fill(Number.NaN);
        computeLogits(model, indices, values, start, indices.length, out);
        const expected = plainLogits(model, indices, values, start, indices.length);
        for (let c = 0; c < classCount; c++) assert.ok(Object.is(out[c], expected[c]), `class ${c}`);
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
