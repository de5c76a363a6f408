import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  defaultFeatureConfig,
  extractFeatures,
  extractFeaturesInto,
  FeatureBuffer,
  type FeatureConfig,
} from "../../src/text/features.js";
import { normalizeText, tokenize } from "../../src/text/normalize.js";

// The definitions the fast paths must reproduce exactly: normalization as one chain of Unicode operations,
// and features hashed from the regular-expression tokens and padded strings. A model trained before the fast
// paths existed must featurize every text to the same hashes, in the same order.
function referenceNormalize(text: string): string {
  return text.normalize("NFKC").toLowerCase().replace(/\s+/gu, " ").trim();
}

function finalize(hash: number): number {
  let h = hash >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function hashString(text: string, seed: number): number {
  let h = seed;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function referenceFeatures(text: string, config: FeatureConfig): { hashes: number[]; groups: number[] } {
  const hashes: number[] = [];
  const groups: number[] = [];
  const tokens = tokenize(referenceNormalize(text));
  const wordHashes = tokens.map((token) => hashString(token, 0x811c9dc5));
  for (const h of wordHashes) {
    hashes.push(finalize(h));
    groups.push(0);
  }
  for (let n = 2; n <= config.wordNgrams; n++) {
    for (let i = 0; i + n <= tokens.length; i++) {
      let h = Math.imul(n, 0x9e3779b1);
      for (let j = i; j < i + n; j++) h = Math.imul(h ^ (wordHashes[j] as number), 0x01000193) + 0x7f4a7c15;
      hashes.push(finalize(h));
      groups.push(0);
    }
  }
  if (config.minCharNgram <= 0) return { hashes, groups };
  for (const token of tokens) {
    const padded = `<${token}>`;
    for (let start = 0; start < padded.length; start++) {
      let h = 0x01000193 ^ 0x5bd1e995;
      for (let end = start; end < padded.length && end - start < config.maxCharNgram; end++) {
        h = Math.imul(h ^ padded.charCodeAt(end), 0x01000193);
        if (end - start + 1 >= config.minCharNgram && !(start === 0 && end === padded.length - 1)) {
          hashes.push(finalize(h));
          groups.push(1);
        }
      }
    }
  }
  return { hashes, groups };
}

// Characters chosen to hit every branch of the ASCII fast paths and their borders: letters of both cases,
// digits, apostrophes (ASCII and typographic), every ASCII whitespace, punctuation next to the letter ranges
// ("@", "[", "`", "{"), control characters, and non-ASCII letters, spaces, marks and surrogate pairs.
const interestingCharacters = [
  ..."aZz09Mq'’ \t\n\v\f\r@[`{/-?!.,$<>\u0000\u001f\u007f",
  "\u00a0",
  "\u2003",
  "\u3000",
  "\u200b",
  "\ufeff",
  "é",
  "İ",
  "ß",
  "ﬁ",
  "Ｈ",
  "\u0301",
  "€",
  "😀",
  "\ud800",
];
const mixedText = fc
  .array(fc.oneof(fc.constantFrom(...interestingCharacters), fc.constantFrom("card", "Don't", "TOP-UP")), {
    maxLength: 40,
  })
  .map((parts) => parts.join(""));
const asciiText = fc
  .array(fc.constantFrom(..."aAbZz0189'' \t\n\v\f\r@[`{?!-.\u0000\u007f"), { maxLength: 60 })
  .map((parts) => parts.join(""));
const anyText = fc.oneof(mixedText, asciiText, fc.string({ unit: "binary", maxLength: 60 }));
const config = fc.record({
  wordNgrams: fc.integer({ min: 1, max: 3 }),
  minCharNgram: fc.integer({ min: 0, max: 3 }),
  maxCharNgram: fc.integer({ min: 1, max: 6 }),
});

describe("normalizeText", () => {
  test("the plain-ASCII shortcut gives the same text as NFKC, lower case and whitespace collapsing", () => {
    fc.assert(
      fc.property(anyText, (text) => {
        assert.equal(normalizeText(text), referenceNormalize(text));
      }),
      { numRuns: 2000 },
    );
    for (const text of ["", " ", "a", " a", "a ", "a  b", "A\tB", "Hello World", "x\u00a0y", "Café"]) {
      assert.equal(normalizeText(text), referenceNormalize(text), JSON.stringify(text));
    }
  });
});

describe("extractFeatures", () => {
  test("hashes the same features in the same order as the regular-expression tokenizer and padded strings", () => {
    fc.assert(
      fc.property(anyText, config, (text, featureConfig) => {
        const hashes: number[] = [];
        const groups: number[] = [];
        extractFeatures(text, featureConfig, hashes, groups);
        assert.deepEqual({ hashes, groups }, referenceFeatures(text, featureConfig));
      }),
      { numRuns: 2000 },
    );
  });

  test("a reused buffer gives the same features as a fresh one, for long and short texts alike", () => {
    const buffer = new FeatureBuffer();
    const texts = ["a".repeat(3000), "Where is my card?", "", "ünïcödé ".repeat(200), "don't  stop!"];
    for (const text of [...texts, ...texts.reverse()]) {
      extractFeaturesInto(text, defaultFeatureConfig, buffer);
      const expected = referenceFeatures(text, defaultFeatureConfig);
      assert.deepEqual([...buffer.hashes.subarray(0, buffer.length)], expected.hashes);
      assert.equal(buffer.wordCount, expected.groups.filter((group) => group === 0).length);
    }
  });
});
