import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { NativeClassifier } from "../../../src/models/native/classifier.js";
import {
  computeLogits,
  createLinearWeights,
  type LinearWeights,
  softmaxInPlace,
} from "../../../src/models/native/linear.js";
import { Vectorizer } from "../../../src/models/native/vectorizer.js";
import { WasmLogits, wasmSimdAvailable } from "../../../src/models/native/wasm-logits.js";
import { trainClassifier } from "../../../src/train/train-classifier.js";
import { linearProblems } from "../../helpers/linear-problems.js";
import { syntheticExamples } from "../../helpers/synthetic.js";

function sameBits(actual: Float64Array, expected: Float64Array, what: string): void {
  assert.equal(actual.length, expected.length);
  for (let c = 0; c < expected.length; c++)
    assert.ok(Object.is(actual[c], expected[c]), `${what}: class ${c}: ${actual[c]} vs ${expected[c]}`);
}

function wasmOf(model: LinearWeights, scratchEntries?: number): WasmLogits {
  const wasm = WasmLogits.create(model, scratchEntries === undefined ? {} : { scratchEntries });
  assert.ok(wasm !== null, "WebAssembly SIMD runs on Node 20");
  return wasm;
}

describe("WasmLogits", () => {
  test("runs here: Node 20 has WebAssembly SIMD, so the classifier's fast path is the one tested", () => {
    assert.equal(wasmSimdAvailable(), true);
  });

  test("gives computeLogits' sums bit for bit, for every class-block shape and texts longer than its scratch area", () => {
    // 1-40 classes: blocks of 16, 8, 4 and 2 classes and a last odd one all occur.
    const problems = fc.tuple(linearProblems(40, 30), fc.integer({ min: 1, max: 12 }));
    fc.assert(
      fc.property(problems, ([{ model, indices, values, start }, scratchEntries]) => {
        const classCount = model.classCount;
        const wasm = wasmOf(model, scratchEntries);

        const expected = new Float64Array(classCount);
        computeLogits(model, indices, values, start, indices.length, expected);
        const out = new Float64Array(classCount).fill(Number.NaN);
        wasm.computeInto(indices, values, start, indices.length, out);
        sameBits(out, expected, "with bias");

        const zeroBias = { ...model, bias: new Float32Array(classCount) };
        computeLogits(zeroBias, indices, values, start, indices.length, expected);
        wasm.computeInto(indices, values, start, indices.length, out, false);
        sameBits(out, expected, "from zero");
      }),
      { numRuns: 400 },
    );
  });

  test("holds the only copy of the weights it scores with: a change through `weights` is scored", () => {
    const model = createLinearWeights(3, 5);
    model.weights.set(Array.from({ length: 15 }, (_, index) => index / 7));
    model.bias.set([1, 2, 3, 4, 5]);
    const wasm = wasmOf(model);
    assert.deepEqual([...wasm.weights.weights], [...model.weights]);
    assert.notEqual(wasm.weights.weights.buffer, model.weights.buffer);
    const indices = Int32Array.of(2, 0);
    const values = Float32Array.of(0.5, 2);
    wasm.weights.weights[2 * 5 + 4] = 100;
    const expected = new Float64Array(5);
    computeLogits(wasm.weights, indices, values, 0, 2, expected);
    const out = new Float64Array(5);
    wasm.computeInto(indices, values, 0, 2, out);
    sameBits(out, expected, "after the change");
    assert.equal(out[4], 5 + 0.5 * 100 + 2 * Math.fround(4 / 7));
  });
});

describe("the native classifier on WebAssembly", () => {
  test("predicts and embeds exactly as the JavaScript scoring of the same weights does", async () => {
    const { model } = await trainClassifier(syntheticExamples(30, 1), {
      valid: syntheticExamples(10, 2),
      seed: 3,
    });
    const texts = [
      ...syntheticExamples(8, 5).map((example) => example.text),
      "",
      "Ünïcödé text with an unknown wörd",
      // A long text (slices of a text longer than the scratch area: the property test above).
      Array.from({ length: 1500 }, (_, index) => `word${index % 97} refund`).join(" "),
    ];
    const vectorizer = new Vectorizer(model.vocabulary);
    const classCount = model.labels.length;
    for (const text of texts) {
      const size = vectorizer.transformInto(text);
      const expected = new Float64Array(classCount);
      computeLogits(model.weights, vectorizer.indices, vectorizer.values, 0, size, expected);
      const best = softmaxInPlace(expected, classCount, model.temperature);
      const detailed = model.predictDetailed(text);
      sameBits(detailed.probabilities, expected, text.slice(0, 40));
      assert.equal(detailed.label, model.labels[best]);
    }

    // embed's first half (the pooled class affinities, scaled to length √½) recomputed in JavaScript.
    const pooled = new Float64Array(classCount);
    const zeroBias = { ...model.weights, bias: new Float32Array(classCount) };
    for (const text of texts) {
      const size = vectorizer.transformInto(text);
      computeLogits(zeroBias, vectorizer.indices, vectorizer.values, 0, size, pooled);
      const vector = model.embed([text])[0] as Float32Array;
      let norm = 0;
      for (const value of pooled) norm += value * value;
      const scale = norm > 0 ? Math.SQRT1_2 / Math.sqrt(norm) : 0;
      for (let c = 0; c < classCount; c++)
        assert.ok(Object.is(vector[c], Math.fround((pooled[c] as number) * scale)), `embed, class ${c}`);
    }
  });

  test("its JavaScript fallback (no WebAssembly SIMD) predicts and embeds the same bits", async () => {
    const { model } = await trainClassifier(syntheticExamples(30, 1), {
      valid: syntheticExamples(10, 2),
      seed: 3,
    });
    const fallback = new NativeClassifier(model.parts());
    // What a runtime without WebAssembly SIMD gets: `WasmLogits.create` returned null.
    (fallback as unknown as { wasm: WasmLogits | null }).wasm = null;
    const texts = [...syntheticExamples(8, 6).map((example) => example.text), "", "Ünïcödé wörd"];
    for (const text of texts) {
      sameBits(fallback.predictDetailed(text).probabilities, model.predictDetailed(text).probabilities, text);
    }
    assert.deepEqual(fallback.embed(texts), model.embed(texts));
    assert.deepEqual(fallback.predictSync(texts), model.predictSync(texts));
  });

  test("dequantizes int8 rows with the JavaScript loop's bits, any class count, across scratch chunks", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 64 }),
        fc.integer(),
        (classCount, featureCount, scratchEntries, seed) => {
          let state = seed | 0;
          const next = () => {
            state = (Math.imul(state, 1103515245) + 12345) | 0;
            return state;
          };
          const scales = Float32Array.from({ length: featureCount }, () => Math.abs(next()) / 2 ** 38);
          const values = Int8Array.from({ length: featureCount * classCount }, () => next() >> 24);
          const expected = new Float32Array(featureCount * classCount);
          for (let f = 0; f < featureCount; f++)
            for (let c = 0; c < classCount; c++)
              expected[f * classCount + c] = (scales[f] as number) * (values[f * classCount + c] as number);
          const bias = new Float32Array(classCount);
          const wasm = WasmLogits.allocate(featureCount, classCount, bias, { scratchEntries });
          assert.ok(wasm !== null);
          const fits = Math.floor((scratchEntries * 8) / (4 + classCount)) >= 1;
          assert.equal(wasm.dequantize(scales, values), fits);
          if (fits) assert.deepEqual(wasm.weights.weights, expected);
        },
      ),
      { numRuns: 150, seed: 11 },
    );
  });

  test("weights filled into an allocated memory are taken in place once, and copied for any later model", async () => {
    const { model } = await trainClassifier(syntheticExamples(20, 1), { seed: 4 });
    const { featureCount, classCount, bias } = model.weights;
    const placed = WasmLogits.allocate(featureCount, classCount, bias);
    assert.ok(placed !== null);
    placed.weights.weights.set(model.weights.weights);
    const parts = { ...model.parts(), weights: placed.weights };
    const first = new NativeClassifier(parts);
    assert.equal(first.weights.weights, placed.weights.weights, "no second copy");
    const second = new NativeClassifier(parts);
    assert.notEqual(second.weights.weights.buffer, placed.weights.weights.buffer);
    assert.deepEqual(first.predictSync(["refund please"]), model.predictSync(["refund please"]));
    assert.deepEqual(second.predictSync(["refund please"]), model.predictSync(["refund please"]));
  });

  test("keeps the weights it was given: copies and saved models hold the same numbers", async () => {
    const { model } = await trainClassifier(syntheticExamples(20, 1), { seed: 4 });
    const original = Float32Array.from(model.weights.weights);
    const copy = new NativeClassifier({ ...model.parts(), threshold: 0.5 });
    assert.deepEqual(copy.weights.weights, original);
    assert.notEqual(copy.weights.weights.buffer, model.weights.weights.buffer, "each model its own memory");
    assert.deepEqual(
      copy.predictSync(["refund please"]),
      model.withThreshold(0.5).predictSync(["refund please"]),
    );
  });
});
