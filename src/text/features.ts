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

function hashString(text: string, seed: number): number {
  let h = seed;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
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
): void {
  const tokens = tokenize(normalizeText(text));
  const wordHashes: number[] = new Array(tokens.length);
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    const h = hashString(token, wordSeed);
    wordHashes[i] = h;
    hashes.push(finalize(h));
    groups.push(featureGroup.word);
  }
  for (let n = 2; n <= config.wordNgrams; n++) {
    for (let i = 0; i + n <= tokens.length; i++) {
      let h = Math.imul(n, 0x9e3779b1);
      for (let j = i; j < i + n; j++) h = Math.imul(h ^ (wordHashes[j] as number), 0x01000193) + 0x7f4a7c15;
      hashes.push(finalize(h));
      groups.push(featureGroup.word);
    }
  }
  if (config.minCharNgram <= 0) return;
  const minimum = config.minCharNgram;
  const maximum = config.maxCharNgram;
  for (const token of tokens) {
    // Character n-grams of `<token>`: the markers let prefixes and suffixes differ from inner n-grams.
    const padded = `<${token}>`;
    const length = padded.length;
    for (let start = 0; start < length; start++) {
      let h = charSeed;
      for (let end = start; end < length && end - start < maximum; end++) {
        h = Math.imul(h ^ padded.charCodeAt(end), 0x01000193);
        const size = end - start + 1;
        // A lone marker pair or the whole padded token adds nothing the word feature lacks.
        if (size >= minimum && !(start === 0 && end === length - 1)) {
          hashes.push(finalize(h));
          groups.push(featureGroup.char);
        }
      }
    }
  }
}
