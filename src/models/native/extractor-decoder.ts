// The extractor's linear-chain scoring: emissions from hashed features, constrained Viterbi and forward-backward marginals.

import type { TokenFeatures } from "./extractor-features.js";
import { portableExp, portableLog } from "./portable-math.js";

/** Weights of the tagger: per feature row one score per tag, plus tag-to-tag transitions. */
export interface ChainWeights {
  tagCount: number;
  /** `rows × tagCount`, row-major: the score of tag t for feature row r is `emission[r * tagCount + t]`. */
  emission: Float32Array;
  /**
   * `(tagCount + 1) × tagCount` transition scores (row `tagCount` is the start of the text), then `tagCount`
   * end scores: the score of ending on tag t is `transition[(tagCount + 1) * tagCount + t]`.
   */
  transition: Float32Array;
}

/** Tags: 0 = outside, 1 + 2k = B-field k, 2 + 2k = I-field k. */
export function tagCountFor(fieldCount: number): number {
  return 1 + 2 * fieldCount;
}

/** Transition scores' length for `tagCount` tags. */
export function transitionLength(tagCount: number): number {
  return (tagCount + 1) * tagCount + tagCount;
}

/**
 * Whether BIO allows tag `next` after `previous` (`previous === tagCount` is the start): I-k only continues
 * B-k or I-k. Decoding under this rule never yields a malformed span.
 */
export function transitionAllowed(previous: number, next: number, tagCount: number): boolean {
  if (next === 0 || (next & 1) === 1) return true;
  if (previous === tagCount || previous === 0) return false;
  return (previous - 1) >> 1 === (next - 1) >> 1;
}

/**
 * Reusable buffers for decoding one text at a time: sized to the longest text seen so far, so decoding
 * allocates nothing once warm.
 */
export class ChainDecoder {
  readonly tagCount: number;
  private readonly allowed: Uint8Array;
  private capacity = 0;
  emissions = new Float64Array(0);
  private delta = new Float64Array(0);
  private back = new Int32Array(0);
  private alpha = new Float64Array(0);
  private beta = new Float64Array(0);
  /** Marginal probability of each tag at each token after `marginals()`: `[token * tagCount + tag]`. */
  marginal = new Float64Array(0);
  /** The best tag path after `viterbi()`. */
  path = new Int32Array(0);
  private readonly terms: Float64Array;

  constructor(tagCount: number) {
    this.tagCount = tagCount;
    this.allowed = new Uint8Array((tagCount + 1) * tagCount);
    for (let previous = 0; previous <= tagCount; previous++)
      for (let next = 0; next < tagCount; next++)
        this.allowed[previous * tagCount + next] = transitionAllowed(previous, next, tagCount) ? 1 : 0;
    this.terms = new Float64Array(tagCount + 1);
  }

  private ensure(length: number): void {
    if (length <= this.capacity) return;
    const capacity = Math.max(length, this.capacity * 2, 64);
    const cells = capacity * this.tagCount;
    this.emissions = new Float64Array(cells);
    this.delta = new Float64Array(cells);
    this.back = new Int32Array(cells);
    this.alpha = new Float64Array(cells);
    this.beta = new Float64Array(cells);
    this.marginal = new Float64Array(cells);
    this.path = new Int32Array(capacity);
    this.capacity = capacity;
  }

  /** Fills `emissions` for a text of `length` tokens from its feature rows. */
  score(weights: ChainWeights, features: TokenFeatures, length: number): void {
    this.ensure(length);
    const tagCount = this.tagCount;
    const emission = weights.emission;
    const emissions = this.emissions;
    for (let token = 0; token < length; token++) {
      const base = token * tagCount;
      for (let tag = 0; tag < tagCount; tag++) emissions[base + tag] = 0;
      const end = features.offsets[token + 1] as number;
      for (let position = features.offsets[token] as number; position < end; position++) {
        const row = (features.rows[position] as number) * tagCount;
        for (let tag = 0; tag < tagCount; tag++)
          emissions[base + tag] = (emissions[base + tag] as number) + (emission[row + tag] as number);
      }
    }
  }

  /** Loads emissions saved from an earlier `score` (`emissions.slice(0, length * tagCount)`). */
  loadEmissions(values: Float64Array, length: number): void {
    this.ensure(length);
    this.emissions.set(values);
  }

  /** The highest-scoring allowed path into `path`; returns its score. Call `score` first. */
  viterbi(weights: ChainWeights, length: number): number {
    if (length === 0) return 0;
    const tagCount = this.tagCount;
    const transition = weights.transition;
    const { emissions, delta, back, allowed, path } = this;
    const endOffset = (tagCount + 1) * tagCount;
    for (let tag = 0; tag < tagCount; tag++) {
      delta[tag] = allowed[tagCount * tagCount + tag]
        ? (emissions[tag] as number) + (transition[tagCount * tagCount + tag] as number)
        : Number.NEGATIVE_INFINITY;
    }
    for (let token = 1; token < length; token++) {
      const base = token * tagCount;
      const previousBase = base - tagCount;
      for (let tag = 0; tag < tagCount; tag++) {
        let best = Number.NEGATIVE_INFINITY;
        let bestPrevious = 0;
        for (let previous = 0; previous < tagCount; previous++) {
          if (!allowed[previous * tagCount + tag]) continue;
          const value =
            (delta[previousBase + previous] as number) + (transition[previous * tagCount + tag] as number);
          if (value > best) {
            best = value;
            bestPrevious = previous;
          }
        }
        delta[base + tag] = best + (emissions[base + tag] as number);
        back[base + tag] = bestPrevious;
      }
    }
    const lastBase = (length - 1) * tagCount;
    let best = Number.NEGATIVE_INFINITY;
    let bestTag = 0;
    for (let tag = 0; tag < tagCount; tag++) {
      const value = (delta[lastBase + tag] as number) + (transition[endOffset + tag] as number);
      if (value > best) {
        best = value;
        bestTag = tag;
      }
    }
    path[length - 1] = bestTag;
    for (let token = length - 1; token > 0; token--) {
      bestTag = back[token * tagCount + bestTag] as number;
      path[token - 1] = bestTag;
    }
    return best;
  }

  /**
   * Forward-backward over scores divided by `temperature`: fills `marginal` and returns log Z. Call `score`
   * first. Disallowed transitions have probability 0.
   */
  marginals(weights: ChainWeights, length: number, temperature: number): number {
    if (length === 0) return 0;
    const tagCount = this.tagCount;
    const scale = 1 / temperature;
    const transition = weights.transition;
    const { emissions, alpha, beta, allowed, marginal, terms } = this;
    const endOffset = (tagCount + 1) * tagCount;
    for (let tag = 0; tag < tagCount; tag++) {
      alpha[tag] = allowed[tagCount * tagCount + tag]
        ? ((emissions[tag] as number) + (transition[tagCount * tagCount + tag] as number)) * scale
        : Number.NEGATIVE_INFINITY;
    }
    for (let token = 1; token < length; token++) {
      const base = token * tagCount;
      for (let tag = 0; tag < tagCount; tag++) {
        for (let previous = 0; previous < tagCount; previous++) {
          terms[previous] = allowed[previous * tagCount + tag]
            ? (alpha[base - tagCount + previous] as number) +
              (transition[previous * tagCount + tag] as number) * scale
            : Number.NEGATIVE_INFINITY;
        }
        alpha[base + tag] = logSumExp(terms, tagCount) + (emissions[base + tag] as number) * scale;
      }
    }
    const lastBase = (length - 1) * tagCount;
    for (let tag = 0; tag < tagCount; tag++) {
      beta[lastBase + tag] = (transition[endOffset + tag] as number) * scale;
      terms[tag] = (alpha[lastBase + tag] as number) + (beta[lastBase + tag] as number);
    }
    const logZ = logSumExp(terms, tagCount);
    for (let token = length - 2; token >= 0; token--) {
      const base = token * tagCount;
      const nextBase = base + tagCount;
      for (let tag = 0; tag < tagCount; tag++) {
        for (let next = 0; next < tagCount; next++) {
          terms[next] = allowed[tag * tagCount + next]
            ? (transition[tag * tagCount + next] as number) * scale +
              (emissions[nextBase + next] as number) * scale +
              (beta[nextBase + next] as number)
            : Number.NEGATIVE_INFINITY;
        }
        beta[base + tag] = logSumExp(terms, tagCount);
      }
    }
    for (let cell = 0; cell < length * tagCount; cell++) {
      marginal[cell] = portableExp((alpha[cell] as number) + (beta[cell] as number) - logZ);
    }
    return logZ;
  }

  /** Score of a given tag path (call `score` first), unscaled. */
  pathScore(weights: ChainWeights, tags: ArrayLike<number>, length: number): number {
    if (length === 0) return 0;
    const tagCount = this.tagCount;
    const transition = weights.transition;
    let previous = tagCount;
    let total = 0;
    for (let token = 0; token < length; token++) {
      const tag = tags[token] as number;
      total +=
        (transition[previous * tagCount + tag] as number) +
        (this.emissions[token * tagCount + tag] as number);
      previous = tag;
    }
    return total + (transition[(tagCount + 1) * tagCount + previous] as number);
  }
}

function logSumExp(values: Float64Array, count: number): number {
  let maximum = Number.NEGATIVE_INFINITY;
  for (let index = 0; index < count; index++)
    if ((values[index] as number) > maximum) maximum = values[index] as number;
  if (maximum === Number.NEGATIVE_INFINITY) return maximum;
  let sum = 0;
  for (let index = 0; index < count; index++) sum += portableExp((values[index] as number) - maximum);
  return maximum + portableLog(sum);
}
