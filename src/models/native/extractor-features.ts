// Token features of the extractor, hashed into a fixed table: word, shape, affixes, character n-grams, neighbours.

import type { Token } from "./extractor-tokens.js";

/** Feature settings; stored in the manifest so inference featurizes exactly as training did. */
export interface ExtractorFeatureConfig {
  /** log2 of the hashed feature table's rows. Default 20 (1,048,576 rows). */
  hashBits: number;
  /** Neighbouring words on each side used as features. Default 4 (best exact span F1 on restaurant8k validation). */
  window: number;
  /** Longest prefix and suffix used as features. Default 4. */
  affixLength: number;
  /** Character n-gram length inside the word (0 = none), a cheap stand-in for word clusters. Default 3. */
  charNgram: number;
}

export const defaultExtractorFeatures: ExtractorFeatureConfig = {
  hashBits: 20,
  window: 4,
  affixLength: 4,
  charNgram: 3,
};

/** Hashed feature rows of one text: token `i`'s rows are `rows[offsets[i] .. offsets[i + 1])`. */
export interface TokenFeatures {
  rows: Int32Array;
  offsets: Int32Array;
}

const fnvOffset = 0x811c9dc5;
const fnvPrime = 0x01000193;

/** FNV-1a over the UTF-16 units of `value`, started from `seed` (the feature template). */
function hashString(seed: number, value: string): number {
  let hash = (fnvOffset ^ Math.imul(seed, 0x9e3779b1)) >>> 0;
  for (let index = 0; index < value.length; index++) {
    hash ^= value.charCodeAt(index);
    hash = Math.imul(hash, fnvPrime);
  }
  return hash >>> 0;
}

/** Combines hashes (murmur3's finalizer over a running mix), so pair features do not collide with singles. */
function mix(a: number, b: number): number {
  let hash = Math.imul(a ^ Math.imul(b, 0x85ebca6b), 0xc2b2ae35);
  hash ^= hash >>> 15;
  hash = Math.imul(hash, 0x27d4eb2f);
  hash ^= hash >>> 13;
  return hash >>> 0;
}

/** Word shape: letters → x/X, digits → d, other kept; repeats collapsed after 2 ("Xxx", "dd:dd"). */
function wordShape(word: string, short: boolean): string {
  let shape = "";
  let previous = "";
  let run = 0;
  for (const character of word) {
    let kind: string;
    if (/\p{Lu}/u.test(character)) kind = "X";
    else if (/\p{L}/u.test(character)) kind = "x";
    else if (/\p{N}/u.test(character)) kind = "d";
    else kind = character;
    run = kind === previous ? run + 1 : 1;
    previous = kind;
    if (run <= (short ? 1 : 2)) shape += kind;
  }
  return shape;
}

/** Coarse class of a number token, so "for 12" and "for 14" share evidence: by digits and value range. */
function numberClass(word: string): string {
  if (!/^\p{N}+$/u.test(word)) return /\p{N}/u.test(word) ? "mixed" : "none";
  const value = Number(word);
  if (!Number.isFinite(value)) return `digits${word.length}`;
  if (value <= 12) return "le12";
  if (value <= 24) return "le24";
  if (value <= 31) return "le31";
  if (value <= 59) return "le59";
  if (value <= 99) return "le99";
  if (value >= 1900 && value <= 2100) return "year";
  return `digits${word.length}`;
}

// Template ids: stable numbers, because the hashes of a saved model depend on them.
enum Template {
  Bias = 1,
  Word,
  Shape,
  ShortShape,
  Prefix,
  Suffix,
  CharNgram,
  Number,
  Left,
  Right,
  LeftPair,
  RightPair,
  LeftShape,
  RightShape,
  ShapeTriple,
  Position,
  LeftSuffix,
  RightSuffix,
  LeftWordShape,
  WordRightShape,
  LeftLeftPair,
  RightRightPair,
  Raw,
  LeftNumber,
  RightNumber,
}

const boundary = "\u0002";

/** Per-token values the features are built from, computed once per text. */
interface TokenView {
  word: number[];
  shape: number[];
  shortShape: number[];
  suffix3: number[];
  numberClass: number[];
}

/**
 * Hashed feature rows of every token of one text. Words are NFKC-normalized and lower-cased per token, so
 * features are Unicode-aware while offsets still refer to the raw text.
 */
export function featurizeTokens(tokens: readonly Token[], config: ExtractorFeatureConfig): TokenFeatures {
  const count = tokens.length;
  const mask = (1 << config.hashBits) - 1;
  const lower = tokens.map((token) => token.text.normalize("NFKC").toLowerCase());
  const view: TokenView = {
    word: lower.map((word) => hashString(Template.Word, word)),
    shape: tokens.map((token) => hashString(Template.Shape, wordShape(token.text, false))),
    shortShape: tokens.map((token) => hashString(Template.ShortShape, wordShape(token.text, true))),
    suffix3: lower.map((word) => hashString(Template.Suffix, word.slice(-3))),
    numberClass: lower.map((word) => hashString(Template.Number, numberClass(word))),
  };
  const outside = hashString(Template.Word, boundary);
  const at = (values: number[], index: number): number =>
    index < 0 || index >= count ? mix(outside, index < 0 ? 1 : 2) : (values[index] as number);

  const rows: number[] = [];
  const offsets = new Int32Array(count + 1);
  const push = (template: number, hash: number): void => {
    rows.push(mix(template, hash) & mask);
  };
  for (let index = 0; index < count; index++) {
    offsets[index] = rows.length;
    const word = lower[index] as string;
    const raw = (tokens[index] as Token).text;
    push(Template.Bias, 0);
    push(Template.Word, at(view.word, index));
    if (raw !== word) push(Template.Raw, hashString(Template.Raw, raw));
    push(Template.Shape, at(view.shape, index));
    push(Template.ShortShape, at(view.shortShape, index));
    push(Template.Number, at(view.numberClass, index));
    const characters = [...word];
    for (let length = 1; length <= Math.min(config.affixLength, characters.length); length++) {
      push(Template.Prefix, hashString(length, characters.slice(0, length).join("")));
      push(Template.Suffix, hashString(length, characters.slice(-length).join("")));
    }
    if (config.charNgram > 0 && characters.length > config.charNgram) {
      const padded = [boundary, ...characters, boundary];
      for (let from = 0; from + config.charNgram <= padded.length; from++) {
        push(
          Template.CharNgram,
          hashString(config.charNgram, padded.slice(from, from + config.charNgram).join("")),
        );
      }
    }
    for (let distance = 1; distance <= config.window; distance++) {
      push(Template.Left, mix(distance, at(view.word, index - distance)));
      push(Template.Right, mix(distance, at(view.word, index + distance)));
    }
    const current = at(view.word, index);
    const left = at(view.word, index - 1);
    const right = at(view.word, index + 1);
    push(Template.LeftPair, mix(left, current));
    push(Template.RightPair, mix(current, right));
    push(Template.LeftLeftPair, mix(at(view.word, index - 2), left));
    push(Template.RightRightPair, mix(right, at(view.word, index + 2)));
    push(Template.LeftShape, at(view.shortShape, index - 1));
    push(Template.RightShape, at(view.shortShape, index + 1));
    push(
      Template.ShapeTriple,
      mix(mix(at(view.shortShape, index - 1), at(view.shortShape, index)), at(view.shortShape, index + 1)),
    );
    push(Template.LeftSuffix, at(view.suffix3, index - 1));
    push(Template.RightSuffix, at(view.suffix3, index + 1));
    push(Template.LeftWordShape, mix(left, at(view.shortShape, index)));
    push(Template.WordRightShape, mix(at(view.shortShape, index), right));
    push(Template.LeftNumber, mix(left, at(view.numberClass, index)));
    push(Template.RightNumber, mix(at(view.numberClass, index), right));
    push(Template.Position, index === 0 ? 1 : index === count - 1 ? 2 : index < 3 ? 3 : 4);
  }
  offsets[count] = rows.length;
  return { rows: Int32Array.from(rows), offsets };
}
