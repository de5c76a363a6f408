// Hashed n-gram features (words, word n-grams, character n-grams within words), shared by training and inference.

import { normalizeText, tokenize } from "./normalize.js";

/** Which n-grams a text yields. Stored in the model's manifest so inference featurizes as training did. */
export interface FeatureConfig {
  /** Longest word n-gram (1 = words only). Default 2. */
  wordNgrams: number;
  /** Shortest character n-gram inside a word padded as `<word>`; 0 disables character n-grams. Default 2. */
  minCharNgram: number;
  /** Longest character n-gram. Default 5. */
  maxCharNgram: number;
}

export const defaultFeatureConfig: FeatureConfig = { wordNgrams: 2, minCharNgram: 2, maxCharNgram: 5 };

/** Feature groups are weighted and normalized separately, so long words do not drown the word features. */
export const featureGroup = { word: 0, char: 1 } as const;

const wordSeed = 0x811c9dc5;
const charSeed = 0x01000193 ^ 0x5bd1e995;
/** `<` and `>`, the markers around a token for its character n-grams. */
const openMarker = 0x3c;
const closeMarker = 0x3e;
const apostrophe = 0x27;

/** murmur3's 32-bit finalizer: spreads FNV's weak low bits so that keys are near-uniform. */
function finalize(hash: number): number {
  let h = hash >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Reusable output of `extractFeaturesInto`, with its scratch space: typed arrays that grow and never shrink,
 * so featurizing a plain ASCII text on the hot path allocates nothing.
 */
export class FeatureBuffer {
  /** Feature hashes, valid up to `length`, in extraction order (the order sums over features follow). */
  hashes = new Uint32Array(512);
  length = 0;
  /** The first `wordCount` hashes are word features (`featureGroup.word`), the rest character features. */
  wordCount = 0;
  /** Scratch: the text's tokens spelled `<token>` one after the other, as UTF-16 code units. */
  codes = new Uint16Array(512);
  /** Scratch: token `t` spans `codes[tokenStarts[t] .. tokenStarts[t + 1] - 1]`, markers included. */
  tokenStarts = new Int32Array(128);
  /** Scratch: hashes of the tokens, before finalization, for the word n-grams. */
  wordHashes = new Int32Array(128);

  /** Makes room for `extra` more hashes. */
  reserveHashes(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.hashes.length) return;
    const grown = new Uint32Array(Math.max(needed, this.hashes.length * 2));
    grown.set(this.hashes.subarray(0, this.length));
    this.hashes = grown;
  }

  /** Makes room for the tokens of a text with at most `tokens` tokens of `codes` code units in all. */
  reserveTokens(tokens: number, codes: number): void {
    if (this.codes.length < codes) this.codes = new Uint16Array(codes * 2);
    if (this.tokenStarts.length <= tokens) {
      this.tokenStarts = new Int32Array((tokens + 1) * 2);
      this.wordHashes = new Int32Array((tokens + 1) * 2);
    }
  }
}

/**
 * Spells the tokens of an ASCII `text` into `buffer` as `tokenize(normalizeText(text))` would find them, and
 * returns how many there are, or -1 when the text is not ASCII. For ASCII, NFKC changes nothing, lower case
 * only maps A-Z, and collapsing whitespace cannot join or split tokens (whitespace only separates them), so
 * the tokenizer's pattern reduces to: runs of [a-z0-9] with inner apostrophes followed by letters, and single
 * characters that are neither whitespace nor letters nor digits. This skips two regular expressions and every
 * intermediate string.
 */
function spellAsciiTokens(text: string, buffer: FeatureBuffer): number {
  const length = text.length;
  // Worst case: every character its own token, three code units each with its markers.
  buffer.reserveTokens(length, length * 3);
  const { codes, tokenStarts } = buffer;
  let tokens = 0;
  let position = 0;
  let i = 0;
  while (i < length) {
    let code = text.charCodeAt(i);
    if (code >= 0x80) return -1;
    // \s in ASCII: tab, line feed, vertical tab, form feed, carriage return and space.
    if (code === 0x20 || (code >= 0x09 && code <= 0x0d)) {
      i++;
      continue;
    }
    if (code >= 0x41 && code <= 0x5a) code |= 0x20;
    tokenStarts[tokens++] = position;
    codes[position++] = openMarker;
    codes[position++] = code;
    i++;
    if ((code >= 0x61 && code <= 0x7a) || (code >= 0x30 && code <= 0x39)) {
      // [\p{L}\p{M}\p{N}]+ then (?:['’][\p{L}\p{M}]+)*, restricted to ASCII.
      for (; i < length; i++) {
        code = text.charCodeAt(i);
        if (code >= 0x41 && code <= 0x5a) code |= 0x20;
        if ((code >= 0x61 && code <= 0x7a) || (code >= 0x30 && code <= 0x39)) codes[position++] = code;
        else break;
      }
      while (i + 1 < length && text.charCodeAt(i) === apostrophe) {
        code = text.charCodeAt(i + 1) | 0x20;
        if (code < 0x61 || code > 0x7a) break;
        codes[position++] = apostrophe;
        i++;
        for (; i < length; i++) {
          code = text.charCodeAt(i);
          if (code >= 0x41 && code <= 0x5a) code |= 0x20;
          if (code >= 0x61 && code <= 0x7a) codes[position++] = code;
          else break;
        }
      }
    }
    codes[position++] = closeMarker;
  }
  tokenStarts[tokens] = position;
  return tokens;
}

/** Spells the tokens of any text into `buffer` through `normalizeText` and `tokenize`; returns how many. */
function spellTokens(text: string, buffer: FeatureBuffer): number {
  const tokens = tokenize(normalizeText(text));
  let codeCount = 0;
  for (const token of tokens) codeCount += token.length + 2;
  buffer.reserveTokens(tokens.length, codeCount);
  const { codes, tokenStarts } = buffer;
  let position = 0;
  for (let t = 0; t < tokens.length; t++) {
    const token = tokens[t] as string;
    tokenStarts[t] = position;
    codes[position++] = openMarker;
    for (let i = 0; i < token.length; i++) codes[position++] = token.charCodeAt(i);
    codes[position++] = closeMarker;
  }
  tokenStarts[tokens.length] = position;
  return tokens.length;
}

/**
 * Replaces the contents of `buffer` with the feature hashes of `text`: word features first, then character
 * n-grams. A feature occurring twice is written twice: callers count term frequency.
 */
export function extractFeaturesInto(text: string, config: FeatureConfig, buffer: FeatureBuffer): void {
  let tokenCount = spellAsciiTokens(text, buffer);
  if (tokenCount === -1) tokenCount = spellTokens(text, buffer);
  const { codes, tokenStarts, wordHashes } = buffer;
  buffer.length = 0;
  buffer.reserveHashes(tokenCount * Math.max(1, config.wordNgrams));
  let hashes = buffer.hashes;
  let length = 0;
  for (let t = 0; t < tokenCount; t++) {
    const end = (tokenStarts[t + 1] as number) - 1;
    let h = wordSeed;
    for (let i = (tokenStarts[t] as number) + 1; i < end; i++)
      h = Math.imul(h ^ (codes[i] as number), 0x01000193);
    wordHashes[t] = h;
    hashes[length++] = finalize(h);
  }
  for (let n = 2; n <= config.wordNgrams; n++) {
    for (let i = 0; i + n <= tokenCount; i++) {
      let h = Math.imul(n, 0x9e3779b1);
      for (let j = i; j < i + n; j++) h = Math.imul(h ^ (wordHashes[j] as number), 0x01000193) + 0x7f4a7c15;
      hashes[length++] = finalize(h);
    }
  }
  buffer.wordCount = length;
  buffer.length = length;
  if (config.minCharNgram <= 0) return;
  const minimum = config.minCharNgram;
  const maximum = config.maxCharNgram;
  for (let t = 0; t < tokenCount; t++) {
    // Character n-grams of `<token>`: the markers let prefixes and suffixes differ from inner n-grams.
    const base = tokenStarts[t] as number;
    const paddedLength = (tokenStarts[t + 1] as number) - base;
    buffer.length = length;
    buffer.reserveHashes(paddedLength * Math.min(maximum, paddedLength));
    hashes = buffer.hashes;
    for (let start = 0; start < paddedLength; start++) {
      let h = charSeed;
      for (let end = start; end < paddedLength && end - start < maximum; end++) {
        h = Math.imul(h ^ (codes[base + end] as number), 0x01000193);
        // A lone marker pair or the whole padded token adds nothing the word feature lacks.
        if (end - start + 1 >= minimum && !(start === 0 && end === paddedLength - 1)) {
          hashes[length++] = finalize(h);
        }
      }
    }
  }
  buffer.length = length;
}

/**
 * Appends the feature hashes of `text` to `hashes` and their groups to `groups` (parallel arrays).
 * A feature occurring twice is appended twice: callers count term frequency.
 */
export function extractFeatures(
  text: string,
  config: FeatureConfig,
  hashes: number[],
  groups: number[],
  buffer: FeatureBuffer = new FeatureBuffer(),
): void {
  extractFeaturesInto(text, config, buffer);
  for (let i = 0; i < buffer.length; i++) {
    hashes.push(buffer.hashes[i] as number);
    groups.push(i < buffer.wordCount ? featureGroup.word : featureGroup.char);
  }
}
