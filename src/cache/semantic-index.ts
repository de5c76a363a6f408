// A bounded index of sentence vectors for one scope: a contiguous Float32Array ring searched by brute force.

import { compareGuardSignatures, extractGuardSignature, type GuardSignature } from "./guards.js";
import type { CachedAnswer } from "./types.js";

/** What the index keeps beside each vector. */
export interface SemanticEntry {
  /** The normalized text: one slot per text, so setting a text again replaces its vector. */
  normalized: string;
  /** The guard signature of the original text, extracted once when stored. */
  signature: GuardSignature;
  answer: CachedAnswer;
  /** Milliseconds since the epoch (on the cache's clock) after which the entry no longer answers. */
  expiresAt: number;
}

export interface SemanticMatch {
  entry: SemanticEntry;
  /** Cosine similarity to the query. */
  similarity: number;
}

export interface SemanticSearchOptions {
  /** Minimum cosine similarity of a hit. */
  threshold: number;
  /** The current time on the cache's clock: expired entries never answer. */
  now: number;
  /** Accepts or refuses a candidate (the false-hit guards); called best candidate first. */
  accept: (entry: SemanticEntry) => boolean;
}

/**
 * How many of the most similar vectors are checked against the guards. A refused best candidate (a different
 * amount, say) often has a passing neighbour just below it; checking every vector would cost guard work per row.
 */
const candidateCount = 8;
/** Rows allocated at first: a scope that sees few texts should not cost `capacity × dimension` floats. */
const initialRows = 64;

/**
 * Vectors are stored L2-normalized in one Float32Array (row-major), so similarity is a dot product over
 * contiguous memory, and a search can drop a far row after a few of its dimensions. When full, the oldest is overwritten.
 */
export class SemanticIndex {
  readonly capacity: number;
  private vectors = new Float32Array(0);
  private entries: (SemanticEntry | undefined)[] = [];
  private readonly slotByText = new Map<string, number>();
  private dimensionValue = 0;
  private count = 0;
  private next = 0;
  private readonly topSlots = new Int32Array(candidateCount);
  private readonly topDistances = new Float64Array(candidateCount);
  /** The normalized query, reused between searches. */
  private query = new Float64Array(0);

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  /** Vectors held. */
  get size(): number {
    return this.count;
  }

  /** Length of the vectors held; 0 before the first. */
  get dimension(): number {
    return this.dimensionValue;
  }

  /** Adds (or replaces) the vector of `entry.normalized`. A zero vector (an all-unknown text) is not stored. */
  add(vector: Float32Array, entry: SemanticEntry): void {
    const inverseNorm = inverseNormOf(vector);
    if (inverseNorm === 0) return;
    // Another length means another model: its vectors cannot be compared with the old ones.
    if (vector.length !== this.dimensionValue) this.reset(vector.length);
    let slot = this.slotByText.get(entry.normalized);
    if (slot === undefined) {
      slot = this.next;
      if (slot >= this.entries.length) this.grow();
      const evicted = this.entries[slot];
      if (evicted !== undefined && this.slotByText.get(evicted.normalized) === slot) {
        this.slotByText.delete(evicted.normalized);
      }
      this.next = (slot + 1) % this.capacity;
      if (this.count < this.capacity) this.count++;
      this.slotByText.set(entry.normalized, slot);
    }
    this.entries[slot] = entry;
    const base = slot * this.dimensionValue;
    for (let index = 0; index < vector.length; index++) {
      this.vectors[base + index] = (vector[index] as number) * inverseNorm;
    }
  }

  /** The most similar live entry at or above the threshold that `accept` takes, or undefined. */
  search(vector: Float32Array, options: SemanticSearchOptions): SemanticMatch | undefined {
    const dimension = this.dimensionValue;
    if (this.count === 0 || vector.length !== dimension) return undefined;
    const inverseNorm = inverseNormOf(vector);
    if (inverseNorm === 0) return undefined;
    let query = this.query;
    if (query.length !== dimension) query = this.query = new Float64Array(dimension);
    for (let index = 0; index < dimension; index++) query[index] = (vector[index] as number) * inverseNorm;
    // For unit vectors cosine = 1 - distance² / 2, so "cosine ≥ threshold" is "distance² ≤ 2 (1 - threshold)".
    // A partial sum of squared differences only grows, so a row is dropped as soon as it exceeds the bound:
    // most rows are far and cost a few of their dimensions instead of all. Exact, not approximate.
    let bound = 2 * (1 - options.threshold);
    const vectors = this.vectors;
    const topSlots = this.topSlots;
    const topDistances = this.topDistances;
    const blockEnd = dimension - (dimension % 8);
    let found = 0;
    for (let slot = 0; slot < this.count; slot++) {
      const base = slot * dimension;
      let distance = 0;
      let index = 0;
      while (index < blockEnd && distance <= bound) {
        const offset = base + index;
        const d0 = (vectors[offset] as number) - (query[index] as number);
        const d1 = (vectors[offset + 1] as number) - (query[index + 1] as number);
        const d2 = (vectors[offset + 2] as number) - (query[index + 2] as number);
        const d3 = (vectors[offset + 3] as number) - (query[index + 3] as number);
        const d4 = (vectors[offset + 4] as number) - (query[index + 4] as number);
        const d5 = (vectors[offset + 5] as number) - (query[index + 5] as number);
        const d6 = (vectors[offset + 6] as number) - (query[index + 6] as number);
        const d7 = (vectors[offset + 7] as number) - (query[index + 7] as number);
        distance += d0 * d0 + d1 * d1 + d2 * d2 + d3 * d3 + d4 * d4 + d5 * d5 + d6 * d6 + d7 * d7;
        index += 8;
      }
      if (distance > bound) continue;
      for (; index < dimension; index++) {
        const difference = (vectors[base + index] as number) - (query[index] as number);
        distance += difference * difference;
      }
      if (distance > bound) continue;
      // Insertion into the short sorted candidate list, nearest first; once full, only nearer rows count.
      let position = found < candidateCount ? found++ : found - 1;
      while (position > 0 && (topDistances[position - 1] as number) > distance) {
        topDistances[position] = topDistances[position - 1] as number;
        topSlots[position] = topSlots[position - 1] as number;
        position--;
      }
      topDistances[position] = distance;
      topSlots[position] = slot;
      if (found === candidateCount) bound = topDistances[found - 1] as number;
    }
    for (let rank = 0; rank < found; rank++) {
      const entry = this.entries[topSlots[rank] as number];
      if (entry === undefined || entry.expiresAt <= options.now) continue;
      if (!options.accept(entry)) continue;
      const similarity = 1 - (topDistances[rank] as number) / 2;
      return { entry, similarity: Math.max(-1, Math.min(1, similarity)) };
    }
    return undefined;
  }

  clear(): void {
    this.reset(0);
  }

  private reset(dimension: number): void {
    this.dimensionValue = dimension;
    this.vectors = new Float32Array(0);
    this.entries = [];
    this.slotByText.clear();
    this.count = 0;
    this.next = 0;
  }

  /** Doubles the rows up to `capacity`, so memory follows use rather than the bound. */
  private grow(): void {
    const rows = Math.min(this.capacity, Math.max(initialRows, this.entries.length * 2));
    const vectors = new Float32Array(rows * this.dimensionValue);
    vectors.set(this.vectors);
    this.vectors = vectors;
    while (this.entries.length < rows) this.entries.push(undefined);
  }
}

function inverseNormOf(vector: Float32Array): number {
  let sum = 0;
  for (let index = 0; index < vector.length; index++) sum += (vector[index] as number) ** 2;
  return sum > 0 && Number.isFinite(sum) ? 1 / Math.sqrt(sum) : 0;
}

/** The vector space of callers that name none. */
export const defaultVectorSpace = "";

export interface SemanticLookupOptions {
  /** Vectors kept per scope (oldest overwritten). */
  capacity: number;
  /** Minimum cosine similarity of a hit. */
  threshold: number;
  /** Lifetime of an entry in milliseconds. */
  ttlMs: number;
  /** Longer texts are neither stored nor looked up. */
  maxTextLength: number;
  now: () => number;
}

/** Counters a semantic lookup updates; shared with the cache's own stats. */
export interface SemanticCounters {
  guardRejections: number;
}

/**
 * One `SemanticIndex` per scope plus the guard check: the semantic half shared by the memory and Redis caches.
 * Each scope's vectors belong to one vector space (the model version that made them): a lookup with a vector of
 * another space finds nothing, and the first vector of a new space replaces the scope's old ones, so a
 * hot-reloaded model is never compared with its predecessor's vectors (their coordinates mean different things).
 */
export class ScopedSemanticIndex {
  private readonly indexes = new Map<string, { space: string; index: SemanticIndex }>();
  private readonly options: SemanticLookupOptions;

  constructor(options: SemanticLookupOptions) {
    this.options = options;
  }

  add(
    scope: string,
    text: string,
    normalized: string,
    answer: CachedAnswer,
    vector: Float32Array,
    space = defaultVectorSpace,
  ): void {
    if (text.length > this.options.maxTextLength) return;
    let scoped = this.indexes.get(scope);
    if (scoped === undefined || scoped.space !== space) {
      scoped = { space, index: new SemanticIndex(this.options.capacity) };
      this.indexes.set(scope, scoped);
    }
    const { index } = scoped;
    const expiresAt = this.options.now() + this.options.ttlMs;
    index.add(vector, {
      normalized,
      signature: extractGuardSignature(text),
      answer: { ...answer },
      expiresAt,
    });
  }

  find(
    scope: string,
    text: string,
    vector: Float32Array,
    counters: SemanticCounters,
    space = defaultVectorSpace,
  ): SemanticMatch | undefined {
    const scoped = this.indexes.get(scope);
    if (scoped === undefined || scoped.space !== space || text.length > this.options.maxTextLength)
      return undefined;
    const { index } = scoped;
    // The query's signature is extracted only once a vector is similar enough to need it.
    let signature: GuardSignature | undefined;
    return index.search(vector, {
      threshold: this.options.threshold,
      now: this.options.now(),
      accept: (entry) => {
        signature ??= extractGuardSignature(text);
        const verdict = compareGuardSignatures(signature, entry.signature);
        if (!verdict.ok) counters.guardRejections++;
        return verdict.ok;
      },
    });
  }

  size(scope?: string): number {
    if (scope !== undefined) return this.indexes.get(scope)?.index.size ?? 0;
    let total = 0;
    for (const { index } of this.indexes.values()) total += index.size;
    return total;
  }

  clear(): void {
    this.indexes.clear();
  }
}
