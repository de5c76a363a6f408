// Near-duplicate search: exact Jaccard similarity on character 4-grams, made fast by prefix filtering.

/** Texts longer than this are compared on their first this-many characters, to bound the work per text. */
export const maxComparedChars = 20_000;

/** A pair of texts (indices into the input) whose Jaccard similarity is at or above the threshold. */
export interface SimilarPair {
  first: number;
  second: number;
  similarity: number;
}

/**
 * The character 4-grams of an already-normalized text as sorted, distinct numeric keys (a text shorter than 4
 * characters is its own only gram). Character grams, unlike word shingles, also see a typo or a missing
 * punctuation mark in a short support message as a small change. Four code units below U+2000 pack exactly
 * into 52 bits; other grams are hashed into [2^52, 2^53), where a collision is vanishingly unlikely.
 */
function gramKeys(normalized: string): Float64Array {
  const length = Math.min(normalized.length, maxComparedChars);
  if (length === 0) return new Float64Array(0);
  const count = Math.max(1, length - 3);
  const keys = new Float64Array(count);
  for (let index = 0; index < count; index++) {
    const a = normalized.charCodeAt(index);
    const b = index + 1 < length ? normalized.charCodeAt(index + 1) : 0;
    const c = index + 2 < length ? normalized.charCodeAt(index + 2) : 0;
    const d = index + 3 < length ? normalized.charCodeAt(index + 3) : 0;
    if ((a | b | c | d) < 0x2000) {
      keys[index] = ((a * 0x2000 + b) * 0x2000 + c) * 0x2000 + d;
    } else {
      const high = Math.imul(a * 0x10000 + b, 0x9e3779b1) ^ Math.imul(c * 0x10000 + d, 0x85ebca77);
      const low = Math.imul((c * 0x10000 + d) ^ 0x27d4eb2f, 0xc2b2ae3d) ^ (a * 0x10000 + b);
      keys[index] = 2 ** 52 + ((high >>> 0) % 0x100000) * 2 ** 32 + (low >>> 0);
    }
  }
  keys.sort();
  let unique = 0;
  for (let index = 0; index < count; index++) {
    if (index === 0 || keys[index] !== keys[unique - 1]) keys[unique++] = keys[index]!;
  }
  return keys.subarray(0, unique);
}

/**
 * Every pair of distinct texts with Jaccard similarity >= `threshold` (0 < threshold <= 1) on character
 * 4-grams. Exact, not estimated: grams are ordered rarest first and two sets that reach the threshold must
 * share one of the first `|x| - ceil(threshold * |x|) + 1` grams of each (Bayardo et al., "Scaling up all
 * pairs similarity search", 2007), so only those few grams are indexed and probed, and a match found late in
 * both prefixes cannot leave enough grams to reach the threshold (Xiao et al., PPJoin, 2008). Pairs come sorted by
 * `first`, then `second`, with `first < second`.
 */
export function findSimilarPairs(normalizedTexts: readonly string[], threshold: number): SimilarPair[] {
  // Rank grams rarest first (ties by key) without a hash map: sort all keys once, count runs, binary-search.
  const keySets = normalizedTexts.map(gramKeys);
  const all = new Float64Array(keySets.reduce((total, keys) => total + keys.length, 0));
  let filled = 0;
  for (const keys of keySets) {
    all.set(keys, filled);
    filled += keys.length;
  }
  all.sort();
  const distinct: number[] = [];
  const frequency: number[] = [];
  for (let index = 0; index < all.length; index++) {
    if (index > 0 && all[index] === all[index - 1]) frequency[frequency.length - 1]! += 1;
    else {
      distinct.push(all[index]!);
      frequency.push(1);
    }
  }
  const byRarity = frequency.map((_, id) => id).sort((a, b) => frequency[a]! - frequency[b]! || a - b);
  const rank = new Int32Array(frequency.length);
  byRarity.forEach((id, position) => {
    rank[id] = position;
  });
  const ranked = keySets.map((keys) => {
    const ranks = new Int32Array(keys.length);
    for (let index = 0; index < keys.length; index++) ranks[index] = rank[findIndex(distinct, keys[index]!)]!;
    return ranks.sort();
  });

  const order = ranked
    .map((_, index) => index)
    .sort((a, b) => (ranked[a]?.length ?? 0) - (ranked[b]?.length ?? 0) || a - b);
  // postings[gram] holds (text, position of the gram in that text) pairs, flattened.
  const postings: Array<number[] | undefined> = new Array(frequency.length);
  const overlap = new Int32Array(ranked.length);
  const touched: number[] = [];
  const pruned = -1;
  const pairs: SimilarPair[] = [];
  const epsilon = 1e-9;
  const overlapFactor = threshold / (1 + threshold);
  for (const current of order) {
    const set = ranked[current]!;
    const size = set.length;
    if (size === 0) continue;
    const minimumSize = Math.ceil(threshold * size - epsilon);
    const prefix = size - minimumSize + 1;
    for (let position = 0; position < prefix; position++) {
      const list = postings[set[position]!];
      if (list === undefined) continue;
      for (let k = 0; k < list.length; k += 2) {
        const other = list[k]!;
        const seen = overlap[other]!;
        if (seen === pruned) continue;
        const otherSize = ranked[other]!.length;
        if (otherSize < minimumSize) continue;
        // Positional filter (Xiao et al., PPJoin, 2008): the overlap still reachable after this match.
        const required = Math.ceil(overlapFactor * (size + otherSize) - epsilon);
        const reachable = seen + 1 + Math.min(size - position - 1, otherSize - list[k + 1]! - 1);
        if (seen === 0) touched.push(other);
        overlap[other] = reachable >= required ? seen + 1 : pruned;
      }
    }
    for (const other of touched) {
      if (overlap[other]! > 0) {
        const similarity = boundedJaccard(set, ranked[other]!, threshold);
        if (similarity >= threshold - epsilon) {
          pairs.push({ first: Math.min(current, other), second: Math.max(current, other), similarity });
        }
      }
      overlap[other] = 0;
    }
    touched.length = 0;
    for (let position = 0; position < prefix; position++) {
      const gram = set[position]!;
      const list = postings[gram];
      if (list === undefined) postings[gram] = [current, position];
      else list.push(current, position);
    }
  }
  return pairs.sort((a, b) => a.first - b.first || a.second - b.second);
}

/** Index of `value` in the sorted `values` (it is there). */
function findIndex(values: readonly number[], value: number): number {
  let low = 0;
  let high = values.length - 1;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (values[middle]! < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Jaccard similarity of two sorted integer sets, or 0 as soon as it cannot reach `threshold`. */
function boundedJaccard(a: Int32Array, b: Int32Array, threshold: number): number {
  const required = Math.ceil((threshold / (1 + threshold)) * (a.length + b.length) - 1e-9);
  let shared = 0;
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (shared + Math.min(a.length - i, b.length - j) < required) return 0;
    const x = a[i]!;
    const y = b[j]!;
    if (x === y) {
      shared += 1;
      i += 1;
      j += 1;
    } else if (x < y) {
      i += 1;
    } else {
      j += 1;
    }
  }
  return shared / (a.length + b.length - shared);
}
