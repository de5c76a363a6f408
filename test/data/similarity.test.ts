import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { findSimilarPairs } from "../../src/data/similarity.js";

/** The definition, computed the slow way: Jaccard similarity of the sets of character 4-grams. */
function naiveSimilarity(a: string, b: string): number {
  const grams = (text: string): Set<string> => {
    if (text.length < 4) return new Set(text.length === 0 ? [] : [text]);
    const set = new Set<string>();
    for (let index = 0; index + 4 <= text.length; index++) set.add(text.slice(index, index + 4));
    return set;
  };
  const x = grams(a);
  const y = grams(b);
  if (x.size === 0 || y.size === 0) return 0;
  let shared = 0;
  for (const gram of x) if (y.has(gram)) shared += 1;
  return shared / (x.size + y.size - shared);
}

describe("findSimilarPairs", () => {
  test("finds exactly the pairs the naive definition finds, at several thresholds", () => {
    // Small alphabets make near duplicates common, so the filters are really exercised.
    const text = fc.string({
      unit: fc.constantFrom("a", "b", "c", " ", "é", "😀"),
      minLength: 0,
      maxLength: 24,
    });
    fc.assert(
      fc.property(
        fc.array(text, { maxLength: 25 }),
        fc.constantFrom(0.5, 0.7, 0.9, 1),
        (texts, threshold) => {
          const distinct = [...new Set(texts)];
          const expected: string[] = [];
          for (let i = 0; i < distinct.length; i++) {
            for (let j = i + 1; j < distinct.length; j++) {
              if (naiveSimilarity(distinct[i] ?? "", distinct[j] ?? "") >= threshold - 1e-9)
                expected.push(`${i}-${j}`);
            }
          }
          const found = findSimilarPairs(distinct, threshold);
          assert.deepEqual(
            found.map((pair) => `${pair.first}-${pair.second}`),
            expected,
          );
          for (const pair of found) {
            const similarity = naiveSimilarity(distinct[pair.first] ?? "", distinct[pair.second] ?? "");
            assert.ok(Math.abs(pair.similarity - similarity) < 1e-12);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  test("pairs a text with its copy that differs by one trailing character", () => {
    const pairs = findSimilarPairs(
      ["how do i reset my password please", "how do i reset my password please?", "where is my parcel"],
      0.9,
    );
    assert.deepEqual(
      pairs.map((pair) => [pair.first, pair.second]),
      [[0, 1]],
    );
  });
});
