// Random sparse scoring problems for property tests of the native classifier's logits (JavaScript and WebAssembly).

import fc from "fast-check";
import { createLinearWeights, type LinearWeights } from "../../src/models/native/linear.js";

/** Finite float32 weights and values, small enough that no sum overflows. */
const float = fc.float({ noNaN: true, noDefaultInfinity: true, min: -8, max: 8 });

export interface LinearProblem {
  model: LinearWeights;
  indices: Int32Array;
  values: Float32Array;
  /** The row to score spans `start .. indices.length`; the `start` entries before it belong to another row. */
  start: number;
}

/** Weights of 1..`maxClasses` classes over 1..`maxFeatures` features, and a sparse row of up to 40 entries. */
export function linearProblems(maxClasses: number, maxFeatures: number): fc.Arbitrary<LinearProblem> {
  return fc
    .record({
      classCount: fc.integer({ min: 1, max: maxClasses }),
      featureCount: fc.integer({ min: 1, max: maxFeatures }),
      start: fc.integer({ min: 0, max: 3 }),
    })
    .chain(({ classCount, featureCount, start }) =>
      fc.record({
        classCount: fc.constant(classCount),
        start: fc.constant(start),
        entries: fc.array(fc.tuple(fc.integer({ min: 0, max: featureCount - 1 }), float), { maxLength: 40 }),
        weights: fc.array(float, {
          minLength: featureCount * classCount,
          maxLength: featureCount * classCount,
        }),
        bias: fc.array(float, { minLength: classCount, maxLength: classCount }),
      }),
    )
    .map(({ classCount, start, entries, weights, bias }) => {
      const model = createLinearWeights(weights.length / classCount, classCount);
      model.weights.set(weights);
      model.bias.set(bias);
      return {
        model,
        indices: Int32Array.from([...Array(start).fill(0), ...entries.map(([index]) => index)]),
        values: Float32Array.from([...Array(start).fill(9), ...entries.map(([, value]) => value)]),
        start,
      };
    });
}
