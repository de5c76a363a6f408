import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { splitDataset, stratifiedSplit } from "../../src/data/split.js";
import { SlmkitError } from "../../src/errors.js";
import { createRandom } from "../../src/internal/random.js";
import { normalizeText } from "../../src/text/normalize.js";
import type { LabeledExample, SpanExample } from "../../src/types.js";

/** `counts[label]` distinct examples per label, interleaved the way real files mix labels. */
function dataset(counts: Record<string, number>): LabeledExample[] {
  const result: LabeledExample[] = [];
  for (const [label, count] of Object.entries(counts)) {
    for (let index = 0; index < count; index++)
      result.push({ text: `${label} request number ${index}`, label });
  }
  return result;
}

const labelCount = (examples: readonly LabeledExample[], label: string): number =>
  examples.filter((example) => example.label === label).length;

describe("splitDataset", () => {
  test("is deterministic for a seed, and another seed gives another split", () => {
    const data = dataset({ billing: 50, shipping: 30, returns: 20 });
    const first = splitDataset(data, { seed: 7 });
    const again = splitDataset(data, { seed: 7 });
    assert.deepEqual(again, first);
    const other = splitDataset(data, { seed: 8 });
    assert.notDeepEqual(other.test, first.test);
  });

  test("stratifies: each label's share of each split is within one example of the target", () => {
    const data = dataset({ billing: 101, shipping: 37, returns: 12, other: 3 });
    const ratios = { train: 0.7, valid: 0.2, test: 0.1 };
    const splits = splitDataset(data, { ratios, seed: 1 });
    for (const label of ["billing", "shipping", "returns", "other"]) {
      const total = labelCount(data, label);
      for (const name of ["train", "valid", "test"] as const) {
        const actual = labelCount(splits[name], label);
        assert.ok(Math.abs(actual - total * ratios[name]) <= 1, `${label} in ${name}: ${actual} of ${total}`);
      }
    }
    assert.equal(splits.train.length + splits.valid.length + splits.test.length, data.length);
  });

  test("stays within one example of each label's target for any counts and usual ratios", () => {
    const ratios = fc.constantFrom(
      { train: 0.8, valid: 0.1, test: 0.1 },
      { train: 0.7, valid: 0.15, test: 0.15 },
      { train: 0.6, valid: 0.2, test: 0.2 },
      { train: 0.9, valid: 0.1, test: 0 },
    );
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 6 }),
        ratios,
        fc.integer(),
        (counts, shares, seed) => {
          const data = dataset(Object.fromEntries(counts.map((count, index) => [`label${index}`, count])));
          const splits = splitDataset(data, { ratios: shares, seed });
          counts.forEach((total, index) => {
            for (const name of ["train", "valid", "test"] as const) {
              const actual = labelCount(splits[name], `label${index}`);
              assert.ok(
                Math.abs(actual - total * shares[name]) <= 1,
                `label${index} in ${name}: ${actual} of ${total}`,
              );
            }
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  test("keeps normalized duplicates in one split", () => {
    const data = dataset({ billing: 40, shipping: 40 });
    for (let copy = 0; copy < 10; copy++) {
      data.push({ text: `  BILLING request number ${copy}  `, label: "billing" });
      data.push({ text: `shipping Request   number ${copy * 2}`, label: "shipping" });
    }
    const splits = splitDataset(data, { seed: 3 });
    const home = new Map<string, string>();
    for (const name of ["train", "valid", "test"] as const) {
      for (const example of splits[name]) {
        const key = normalizeText(example.text);
        const seen = home.get(key);
        assert.ok(seen === undefined || seen === name, `"${key}" is in ${seen} and ${name}`);
        home.set(key, name);
      }
    }
  });

  test("puts tiny labels in train first, and every label with 3 or more examples in train", () => {
    const data = dataset({ big: 60, three: 3, two: 2, one: 1 });
    const splits = splitDataset(data, { seed: 11, ratios: { train: 0.34, valid: 0.33, test: 0.33 } });
    for (const label of ["big", "three", "two", "one"])
      assert.ok(labelCount(splits.train, label) >= 1, label);
    assert.equal(labelCount(splits.train, "one"), 1);
  });

  test("keeps the original order within each split", () => {
    const data = dataset({ billing: 20, shipping: 20 });
    const splits = splitDataset(data, { seed: 5 });
    for (const name of ["train", "valid", "test"] as const) {
      const positions = splits[name].map((example) => data.indexOf(example));
      assert.deepEqual(
        positions,
        [...positions].sort((a, b) => a - b),
      );
    }
  });

  test("a zero ratio leaves that split empty", () => {
    const splits = splitDataset(dataset({ a: 10, b: 10 }), { ratios: { train: 0.9, valid: 0.1, test: 0 } });
    assert.equal(splits.test.length, 0);
    assert.equal(splits.valid.length, 2);
  });

  test("stratifies span data by a custom key", () => {
    const data: SpanExample[] = Array.from({ length: 40 }, (_, index) => ({
      text: `booking ${index}`,
      spans: index % 4 === 0 ? [{ start: 0, end: 7, label: "date" }] : [],
    }));
    const splits = splitDataset(data, {
      seed: 2,
      stratifyBy: (example) => example.spans.map((span) => span.label).join("+"),
    });
    assert.equal(splits.test.filter((example) => example.spans.length > 0).length, 1);
  });

  test("rejects bad ratios and seeds with INVALID_OPTION naming the option", () => {
    const data = dataset({ a: 5, b: 5 });
    const cases: Array<[Parameters<typeof splitDataset>[1], string]> = [
      [{ ratios: { train: 0.8, valid: 0.3, test: 0.1 } }, "ratios"],
      [{ ratios: { train: 0.9, valid: -0.1, test: 0.2 } }, "ratios.valid"],
      [{ ratios: { train: 0, valid: 0.5, test: 0.5 } }, "ratios.train"],
      [{ ratios: { train: Number.NaN, valid: 0.5, test: 0.5 } }, "ratios.train"],
      [{ seed: 1.5 }, "seed"],
    ];
    for (const [options, field] of cases) {
      assert.throws(
        () => splitDataset(data, options),
        (error: unknown) =>
          SlmkitError.isInstance(error) && error.code === "INVALID_OPTION" && error.field === field,
        field,
      );
    }
  });

  test("accepts ratios that sum to 1 within 1e-6", () => {
    assert.doesNotThrow(() =>
      splitDataset(dataset({ a: 5 }), { ratios: { train: 0.7, valid: 0.2, test: 0.1000005 } }),
    );
  });

  test("never loses or repeats an example, whatever the data", () => {
    const example = fc.record({
      text: fc.constantFrom("a", "b", "c", "d", "e", "A ", "f"),
      label: fc.constantFrom("x", "y", "z"),
    });
    fc.assert(
      fc.property(fc.array(example, { maxLength: 60 }), fc.integer(), (data, seed) => {
        const splits = splitDataset(data, { seed });
        const all = [...splits.train, ...splits.valid, ...splits.test];
        assert.equal(all.length, data.length);
        assert.equal(new Set(all).size, data.length);
      }),
      { numRuns: 200 },
    );
  });
});

describe("stratifiedSplit", () => {
  // Seven of b, five of a, one of c: texts name their label and position.
  const small = Object.entries({ b: 7, a: 5, c: 1 }).flatMap(([label, count]) =>
    Array.from({ length: count }, (_, index) => ({ text: `${label}${index}`, label })),
  );
  const texts = (list: readonly { text: string }[] | undefined): string =>
    (list ?? []).map((example) => example.text).join(" ");
  const holdOut = (fraction: number) => ({
    firstPartSize: (size: number) => (size >= 2 ? Math.max(1, Math.round(size * fraction)) : 0),
  });

  // Pinned to what the four splits it replaced gave: the banking77 and distillation figures depend on them.
  test("deals exactly as the splits it replaced did, for the same seed", () => {
    const [held, kept] = stratifiedSplit(small, {
      stratumOf: (example) => example.label,
      random: createRandom(42 ^ 0x5eed),
      deal: holdOut(0.3),
    });
    assert.equal(texts(held), "a3 a2 b5 b2");
    assert.equal(texts(kept), "a1 a4 a0 b4 b0 b1 b3 b6 c0");
    const splits = splitDataset(small, { seed: 42, ratios: { train: 0.6, valid: 0.2, test: 0.2 } });
    assert.deepEqual(
      [texts(splits.train), texts(splits.valid), texts(splits.test)],
      ["b0 b4 b5 b6 a0 a2 a4 c0", "b2 b3 a1", "b1 a3"],
    );
  });

  test("a caller's stream goes on where the split left it, so two splits in a row are pinned too", () => {
    const random = createRandom(7);
    const rounded = { firstPartSize: (size: number) => (size >= 2 ? Math.round(size * 0.3) : 0) };
    const [taken, rest = []] = stratifiedSplit(small, { stratumOf: (e) => e.label, random, deal: rounded });
    const [again, left] = stratifiedSplit(rest, { stratumOf: (e) => e.label, random, deal: rounded });
    assert.deepEqual(
      [texts(taken), texts(rest), texts(again), texts(left)],
      ["a3 a1 b6 b4", "a2 a4 a0 b1 b0 b5 b2 b3 c0", "a4 b0 b3", "a0 a2 b1 b5 b2 c0"],
    );
  });

  test("visits numeric strata by value, not as text", () => {
    const items = [10, 2, 10, 2, 1].map((stratum, index) => ({ stratum, index }));
    const [first, second] = stratifiedSplit(items, {
      stratumOf: (item) => item.stratum,
      random: createRandom(1),
      deal: { firstPartSize: () => 1 },
    });
    assert.deepEqual(
      [...(first ?? []), ...(second ?? [])].map((item) => item.stratum),
      [1, 2, 10, 2, 10],
    );
  });

  test("keeps a unit's items in one part under either deal, and loses or repeats none", () => {
    const example = fc.record({
      text: fc.constantFrom("a", "b", "c", "d", "e", "f", "g", "h"),
      label: fc.constantFrom("x", "y", "z"),
    });
    fc.assert(
      fc.property(
        fc.array(example, { maxLength: 60 }),
        fc.integer(),
        fc.boolean(),
        (data, seed, byShares) => {
          const parts = stratifiedSplit(data, {
            stratumOf: (item) => item.label,
            unitOf: (item) => item.text,
            random: createRandom(seed),
            deal: byShares ? { shares: [0.6, 0.2, 0.2] } : { firstPartSize: (size) => Math.round(size / 3) },
          });
          assert.equal(parts.length, byShares ? 3 : 2);
          const all = parts.flat();
          assert.equal(all.length, data.length);
          assert.equal(new Set(all).size, data.length);
          const home = new Map<string, number>();
          parts.forEach((part, index) => {
            for (const item of part) {
              assert.ok((home.get(item.text) ?? index) === index, `"${item.text}" is in two parts`);
              home.set(item.text, index);
            }
          });
        },
      ),
      { numRuns: 200 },
    );
  });
});
