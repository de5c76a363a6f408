import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  buildVocabulary,
  type UnknownFeatures,
  Vectorizer,
  type Vocabulary,
} from "../../../src/models/native/vectorizer.js";
import { defaultFeatureConfig, extractFeatures } from "../../../src/text/features.js";
import { syntheticExamples } from "../../helpers/synthetic.js";

/**
 * The definition the vectorizer's fast path must reproduce: sublinear TF × IDF in float64, each group
 * L2-normalized, entries in first-occurrence order, rounded to float32 once at the end.
 */
function referenceVector(vocabulary: Vocabulary, text: string) {
  const rowOf = new Map([...vocabulary.hashes].map((hash, row) => [hash, row]));
  const hashes: number[] = [];
  extractFeatures(text, vocabulary.config, hashes, []);
  const counts = new Map<number, number>();
  let unknown = 0;
  for (const hash of hashes) {
    const row = rowOf.get(hash);
    if (row === undefined) unknown++;
    else counts.set(row, (counts.get(row) ?? 0) + 1);
  }
  const indices = [...counts.keys()];
  const raw = indices.map(
    (row) => (1 + Math.log(counts.get(row) as number)) * (vocabulary.idf[row] as number),
  );
  const norms = [0, 0];
  indices.forEach((row, k) => {
    const group = vocabulary.groups[row] as number;
    norms[group] = (norms[group] as number) + (raw[k] as number) ** 2;
  });
  const scales = norms.map((norm) => (norm > 0 ? 1 / Math.sqrt(norm) : 0));
  const values = Float32Array.from(
    indices.map((row, k) => (raw[k] as number) * (scales[vocabulary.groups[row] as number] as number)),
  );
  return { indices, values: [...values], unknown: { count: unknown, total: hashes.length } };
}

const examples = syntheticExamples(40, 5);
const vocabulary = buildVocabulary(
  examples.map((example) => example.text),
  defaultFeatureConfig,
  { minCount: 1 },
);
const words = [...new Set(examples.flatMap((example) => example.text.split(" ")))];
// Known words (often repeated, so counts above one occur), unknown ones, punctuation and Unicode.
const text = fc
  .array(fc.oneof(fc.constantFrom(...words), fc.constantFrom("zebra", "Ünïcödé", "?", "don't", "INVOICE")), {
    maxLength: 30,
  })
  .map((parts) => parts.join(" "));

describe("Vectorizer", () => {
  test("transformInto gives the reference TF-IDF vector bit for bit, and counts unknown n-grams", () => {
    const vectorizer = new Vectorizer(vocabulary);
    fc.assert(
      fc.property(text, (sample) => {
        const unknown: UnknownFeatures = { count: -1, total: -1 };
        const size = vectorizer.transformInto(sample, unknown);
        const expected = referenceVector(vocabulary, sample);
        assert.deepEqual([...vectorizer.indices.subarray(0, size)], expected.indices);
        assert.deepEqual([...vectorizer.values.subarray(0, size)], expected.values);
        assert.deepEqual(unknown, expected.unknown);
      }),
      { numRuns: 300 },
    );
  });

  test("transformAll concatenates the vectors of each text, long ones included", () => {
    const texts = [...examples.slice(0, 20).map((example) => example.text), "", "invoice ".repeat(500)];
    const rows = new Vectorizer(vocabulary).transformAll(texts);
    texts.forEach((sample, row) => {
      const start = rows.offsets[row] as number;
      const end = rows.offsets[row + 1] as number;
      const expected = referenceVector(vocabulary, sample);
      assert.deepEqual([...rows.indices.subarray(start, end)], expected.indices);
      assert.deepEqual([...rows.values.subarray(start, end)], expected.values);
    });
  });
});
