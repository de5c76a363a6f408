// Turns texts into sparse TF-IDF vectors over a fixed dictionary of hashed n-gram features.

import { extractFeatures, type FeatureConfig } from "../../text/features.js";

/** A dictionary of feature hashes with their inverse document frequencies and groups. */
export interface Vocabulary {
  config: FeatureConfig;
  /** Feature hashes, ascending: row `i` of the weights belongs to `hashes[i]`. */
  hashes: Uint32Array;
  idf: Float32Array;
  groups: Uint8Array;
}

/** Sparse vectors of many texts in compressed-row form. */
export interface SparseRows {
  /** Row `r` spans `indices[offsets[r]] .. indices[offsets[r + 1] - 1]`. */
  offsets: Int32Array;
  indices: Int32Array;
  values: Float32Array;
}

export interface BuildVocabularyOptions {
  /** A feature must occur in at least this many training texts to be kept. Default 2. */
  minCount?: number;
  /** Keep at most this many features, the most frequent first. Default 200,000. */
  maxFeatures?: number;
}

/** Counts document frequencies over `texts` and keeps the frequent features. Deterministic for the same texts. */
export function buildVocabulary(
  texts: readonly string[],
  config: FeatureConfig,
  options: BuildVocabularyOptions = {},
): Vocabulary {
  const minCount = options.minCount ?? 2;
  const maxFeatures = options.maxFeatures ?? 200_000;
  const documentFrequency = new Map<number, number>();
  const groupOf = new Map<number, number>();
  const hashes: number[] = [];
  const groups: number[] = [];
  const seen = new Set<number>();
  for (const text of texts) {
    hashes.length = 0;
    groups.length = 0;
    seen.clear();
    extractFeatures(text, config, hashes, groups);
    for (let i = 0; i < hashes.length; i++) {
      const hash = hashes[i] as number;
      if (seen.has(hash)) continue;
      seen.add(hash);
      documentFrequency.set(hash, (documentFrequency.get(hash) ?? 0) + 1);
      if (!groupOf.has(hash)) groupOf.set(hash, groups[i] as number);
    }
  }
  let kept = [...documentFrequency].filter(([, count]) => count >= minCount);
  if (kept.length > maxFeatures) {
    kept.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    kept = kept.slice(0, maxFeatures);
  }
  kept.sort((a, b) => a[0] - b[0]);
  const documents = texts.length;
  const vocabulary: Vocabulary = {
    config,
    hashes: new Uint32Array(kept.length),
    idf: new Float32Array(kept.length),
    groups: new Uint8Array(kept.length),
  };
  kept.forEach(([hash, count], index) => {
    vocabulary.hashes[index] = hash;
    // Smoothed idf, as scikit-learn's TfidfVectorizer: never zero, so common features still count a little.
    vocabulary.idf[index] = Math.log((1 + documents) / (1 + count)) + 1;
    vocabulary.groups[index] = groupOf.get(hash) ?? 0;
  });
  return vocabulary;
}

/** Open-addressing table from feature hash to row index: several times faster than a Map on the hot path. */
class HashIndex {
  private readonly keys: Uint32Array;
  private readonly slots: Int32Array;
  private readonly mask: number;

  constructor(hashes: Uint32Array) {
    let capacity = 16;
    while (capacity < hashes.length * 2) capacity *= 2;
    this.keys = new Uint32Array(capacity);
    this.slots = new Int32Array(capacity).fill(-1);
    this.mask = capacity - 1;
    hashes.forEach((hash, index) => {
      let slot = hash & this.mask;
      while (this.slots[slot] !== -1) slot = (slot + 1) & this.mask;
      this.keys[slot] = hash;
      this.slots[slot] = index;
    });
  }

  /** The row of `hash`, or -1 when the feature is not in the vocabulary. */
  get(hash: number): number {
    let slot = hash & this.mask;
    for (;;) {
      const index = this.slots[slot] as number;
      if (index === -1 || this.keys[slot] === hash) return index;
      slot = (slot + 1) & this.mask;
    }
  }
}

/** Counts of unknown n-grams, the share of input the model has never seen (a drift signal). */
export interface UnknownFeatures {
  count: number;
  total: number;
}

/** Featurizes texts against a vocabulary: sublinear TF × IDF, each feature group L2-normalized on its own. */
export class Vectorizer {
  readonly vocabulary: Vocabulary;
  private readonly index: HashIndex;
  private readonly hashes: number[] = [];
  private readonly groups: number[] = [];
  /** Per-feature counts for the text being featurized; reset through `touched` so no pass over all features. */
  private readonly counts: Float64Array;
  private readonly touched: number[] = [];

  constructor(vocabulary: Vocabulary) {
    this.vocabulary = vocabulary;
    this.index = new HashIndex(vocabulary.hashes);
    this.counts = new Float64Array(vocabulary.hashes.length);
  }

  get size(): number {
    return this.vocabulary.hashes.length;
  }

  /**
   * Writes the sparse vector of `text` into `indices`/`values` (caller-owned) and returns how many entries it
   * wrote, in first-occurrence order. `unknown` receives how many n-grams were outside the vocabulary.
   */
  transformInto(text: string, indices: number[], values: number[], unknown?: UnknownFeatures): number {
    const { hashes, groups, counts, touched } = this;
    hashes.length = 0;
    groups.length = 0;
    touched.length = 0;
    extractFeatures(text, this.vocabulary.config, hashes, groups);
    let missing = 0;
    for (let i = 0; i < hashes.length; i++) {
      const index = this.index.get(hashes[i] as number);
      if (index === -1) missing++;
      else {
        if (counts[index] === 0) touched.push(index);
        counts[index] = (counts[index] as number) + 1;
      }
    }
    if (unknown) {
      unknown.count = missing;
      unknown.total = hashes.length;
    }
    const { idf, groups: groupOfIndex } = this.vocabulary;
    let wordNorm = 0;
    let charNorm = 0;
    for (let k = 0; k < touched.length; k++) {
      const index = touched[k] as number;
      const value = (1 + Math.log(counts[index] as number)) * (idf[index] as number);
      counts[index] = 0;
      indices[k] = index;
      values[k] = value;
      if (groupOfIndex[index] === 0) wordNorm += value * value;
      else charNorm += value * value;
    }
    const wordScale = wordNorm > 0 ? 1 / Math.sqrt(wordNorm) : 0;
    const charScale = charNorm > 0 ? 1 / Math.sqrt(charNorm) : 0;
    for (let k = 0; k < touched.length; k++) {
      values[k] = (values[k] as number) * (groupOfIndex[indices[k] as number] === 0 ? wordScale : charScale);
    }
    return touched.length;
  }

  /**
   * Adds a signed feature-hashing projection of the text's n-grams into `out` (its length is the dimension):
   * every n-gram counts, known ones weighted by their idf, unknown ones by the largest idf (they are rarer
   * than anything seen), so words the model has never seen still tell two texts apart.
   */
  projectInto(text: string, out: Float64Array): void {
    const { hashes, groups } = this;
    hashes.length = 0;
    groups.length = 0;
    extractFeatures(text, this.vocabulary.config, hashes, groups);
    const dimensions = out.length;
    const unknownWeight = this.maxIdf();
    for (const hash of hashes) {
      const index = this.index.get(hash);
      const weight = index === -1 ? unknownWeight : (this.vocabulary.idf[index] as number);
      const slot = hash % dimensions;
      out[slot] = (out[slot] as number) + (hash & 0x80000000 ? -weight : weight);
    }
  }

  private largestIdf: number | undefined;
  private maxIdf(): number {
    if (this.largestIdf === undefined) {
      let largest = 1;
      for (const value of this.vocabulary.idf) largest = Math.max(largest, value);
      this.largestIdf = largest;
    }
    return this.largestIdf;
  }

  /** Featurizes many texts into compressed rows. */
  transformAll(texts: readonly string[]): SparseRows {
    const offsets = new Int32Array(texts.length + 1);
    const allIndices: number[] = [];
    const allValues: number[] = [];
    const indices: number[] = [];
    const values: number[] = [];
    texts.forEach((text, row) => {
      const size = this.transformInto(text, indices, values);
      for (let k = 0; k < size; k++) {
        allIndices.push(indices[k] as number);
        allValues.push(values[k] as number);
      }
      offsets[row + 1] = allIndices.length;
    });
    return { offsets, indices: Int32Array.from(allIndices), values: Float32Array.from(allValues) };
  }
}
