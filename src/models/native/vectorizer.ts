// Turns texts into sparse TF-IDF vectors over a fixed dictionary of hashed n-gram features.

import {
  extractFeatures,
  extractFeaturesInto,
  FeatureBuffer,
  type FeatureConfig,
} from "../../text/features.js";
import { portableLog } from "./portable-math.js";

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
  const buffer = new FeatureBuffer();
  for (const text of texts) {
    hashes.length = 0;
    groups.length = 0;
    seen.clear();
    extractFeatures(text, config, hashes, groups, buffer);
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
    vocabulary.idf[index] = portableLog((1 + documents) / (1 + count)) + 1;
    vocabulary.groups[index] = groupOf.get(hash) ?? 0;
  });
  return vocabulary;
}

/**
 * Open-addressing table from feature hash to row index: several times faster than a Map on the hot path.
 * Each slot holds its key and its row side by side, so a lookup touches one cache line, not two.
 */
class HashIndex {
  /** Slot `s` is `entries[2s]` (the hash, as int32 bits) and `entries[2s + 1]` (its row, -1 when empty). */
  private readonly entries: Int32Array;
  private readonly mask: number;

  constructor(hashes: Uint32Array) {
    let capacity = 16;
    while (capacity < hashes.length * 2) capacity *= 2;
    // Every row -1 (empty); the keys of empty slots are never read, so one native fill does it, not a loop.
    const entries = new Int32Array(capacity * 2).fill(-1);
    const mask = capacity - 1;
    this.mask = mask;
    // A plain loop, not forEach: a bundle's model is built once per page, in code not yet optimized, where a
    // callback per feature cost 17 ms of banking77's first load in Chromium.
    for (let index = 0; index < hashes.length; index++) {
      const hash = hashes[index] as number;
      let slot = hash & mask;
      while (entries[2 * slot + 1] !== -1) slot = (slot + 1) & mask;
      entries[2 * slot] = hash;
      entries[2 * slot + 1] = index;
    }
    this.entries = entries;
  }

  /** The row of `hash`, or -1 when the feature is not in the vocabulary. */
  get(hash: number): number {
    const { entries, mask } = this;
    const key = hash | 0;
    let slot = hash & mask;
    for (;;) {
      const index = entries[2 * slot + 1] as number;
      if (index === -1 || entries[2 * slot] === key) return index;
      slot = (slot + 1) & mask;
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
  private readonly features = new FeatureBuffer();
  /** Row of each feature of the last text (-1 when unknown), parallel to `features.hashes`. */
  private rows = new Int32Array(512);
  /** Per-feature counts for the text being featurized; reset through the written indices, not a full pass. */
  private readonly counts: Int32Array;
  /** Float64 values before normalization: the rounding to float32 happens once, after scaling. */
  private unscaled = new Float64Array(512);
  private indexBuffer = new Int32Array(512);
  private valueBuffer = new Float32Array(512);

  constructor(vocabulary: Vocabulary) {
    this.vocabulary = vocabulary;
    this.index = new HashIndex(vocabulary.hashes);
    this.counts = new Int32Array(vocabulary.hashes.length);
  }

  get size(): number {
    return this.vocabulary.hashes.length;
  }

  /** Rows of the last sparse vector of `transformInto`, valid up to its returned size and until the next call. */
  get indices(): Int32Array {
    return this.indexBuffer;
  }

  /** Values of the last sparse vector of `transformInto`, parallel to `indices`. */
  get values(): Float32Array {
    return this.valueBuffer;
  }

  /**
   * Featurizes `text` into `this.indices`/`this.values` (overwritten by the next call; read them after this
   * one, as they are replaced when they grow) and returns how many entries it wrote, in first-occurrence
   * order. Values are computed in float64 and rounded to float32 once, at the end. `unknown` receives how
   * many n-grams were outside the vocabulary.
   */
  transformInto(text: string, unknown?: UnknownFeatures): number {
    const { features, counts } = this;
    extractFeaturesInto(text, this.vocabulary.config, features);
    const total = features.length;
    if (this.rows.length < total) this.rows = new Int32Array(total * 2);
    if (this.indexBuffer.length < total) {
      this.indexBuffer = new Int32Array(total * 2);
      this.valueBuffer = new Float32Array(total * 2);
      this.unscaled = new Float64Array(total * 2);
    }
    const { hashes } = features;
    const { rows, indexBuffer: indices, valueBuffer: values, unscaled } = this;
    let missing = 0;
    let size = 0;
    for (let i = 0; i < total; i++) {
      const index = this.index.get(hashes[i] as number);
      rows[i] = index;
      if (index === -1) missing++;
      else {
        const count = counts[index] as number;
        if (count === 0) indices[size++] = index;
        counts[index] = count + 1;
      }
    }
    if (unknown) {
      unknown.count = missing;
      unknown.total = total;
    }
    const { idf, groups: groupOfIndex } = this.vocabulary;
    let wordNorm = 0;
    let charNorm = 0;
    for (let k = 0; k < size; k++) {
      const index = indices[k] as number;
      const count = counts[index] as number;
      counts[index] = 0;
      // Nearly every feature occurs once, and 1 + log(1) is exactly 1: the same value without the logarithm.
      const value = count === 1 ? (idf[index] as number) : (1 + portableLog(count)) * (idf[index] as number);
      unscaled[k] = value;
      if (groupOfIndex[index] === 0) wordNorm += value * value;
      else charNorm += value * value;
    }
    const wordScale = wordNorm > 0 ? 1 / Math.sqrt(wordNorm) : 0;
    const charScale = charNorm > 0 ? 1 / Math.sqrt(charNorm) : 0;
    for (let k = 0; k < size; k++) {
      values[k] =
        (unscaled[k] as number) * (groupOfIndex[indices[k] as number] === 0 ? wordScale : charScale);
    }
    return size;
  }

  /**
   * Adds a signed feature-hashing projection of the n-grams of the text `transformInto` featurized last into
   * `out` (its length is the dimension): every n-gram counts, known ones weighted by their idf, unknown ones
   * by the largest idf (they are rarer than anything seen), so words the model has never seen still tell two
   * texts apart.
   */
  projectLastInto(out: Float64Array): void {
    const { features, rows } = this;
    const { hashes } = features;
    const dimensions = out.length;
    const unknownWeight = this.maxIdf();
    for (let i = 0; i < features.length; i++) {
      const hash = hashes[i] as number;
      const index = rows[i] as number;
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
    // Room for about 64 entries a text to begin with (banking77 averages 150); doubled when full.
    let indices = new Int32Array(Math.max(1024, texts.length * 64));
    let values = new Float32Array(indices.length);
    let length = 0;
    texts.forEach((text, row) => {
      const size = this.transformInto(text);
      if (length + size > indices.length) {
        const capacity = Math.max(length + size, indices.length * 2);
        const grownIndices = new Int32Array(capacity);
        const grownValues = new Float32Array(capacity);
        grownIndices.set(indices.subarray(0, length));
        grownValues.set(values.subarray(0, length));
        indices = grownIndices;
        values = grownValues;
      }
      indices.set(this.indexBuffer.subarray(0, size), length);
      values.set(this.valueBuffer.subarray(0, size), length);
      length += size;
      offsets[row + 1] = length;
    });
    return { offsets, indices: indices.slice(0, length), values: values.slice(0, length) };
  }
}
