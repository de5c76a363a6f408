// The extractor's learner: an averaged structured perceptron over BIO tag paths, updated in place, allocation-free.

import { ChainDecoder, type ChainWeights, transitionLength } from "../models/native/extractor-decoder.js";
import type { TokenFeatures } from "../models/native/extractor-features.js";

/** One training text, featurized, with its gold tags. */
export interface PreparedExample {
  features: TokenFeatures;
  tags: Uint8Array;
  length: number;
}

/**
 * Weights learnt by perceptron updates, and their running average. Averaging by the usual trick: the average is
 * w - u / c, where u accumulates c × every update and c counts the examples seen (from 1).
 */
export class AveragedPerceptron {
  readonly decoder: ChainDecoder;
  private readonly current: ChainWeights;
  private readonly averaged: ChainWeights;
  private readonly emissionSums: Float64Array;
  private readonly transitionSums: Float64Array;
  private step = 1;

  constructor(
    private readonly tagCount: number,
    rows: number,
  ) {
    this.current = {
      tagCount,
      emission: new Float32Array(rows * tagCount),
      transition: new Float32Array(transitionLength(tagCount)),
    };
    this.emissionSums = new Float64Array(rows * tagCount);
    this.transitionSums = new Float64Array(transitionLength(tagCount));
    this.averaged = {
      tagCount,
      emission: new Float32Array(rows * tagCount),
      transition: new Float32Array(transitionLength(tagCount)),
    };
    this.decoder = new ChainDecoder(tagCount);
  }

  /**
   * Decodes one example with the current weights; where the Viterbi path differs from the gold tags, moves the
   * emissions of the wrong tokens and the transitions around them towards gold.
   */
  learn(example: PreparedExample): void {
    const { length, tags, features } = example;
    const { tagCount, current, decoder, emissionSums, transitionSums } = this;
    if (length > 0) {
      decoder.score(current, features, length);
      decoder.viterbi(current, length);
      const path = decoder.path;
      let wrong = false;
      for (let token = 0; token < length; token++) if (path[token] !== tags[token]) wrong = true;
      if (wrong) {
        let previousGold = tagCount;
        let previousPredicted = tagCount;
        for (let token = 0; token < length; token++) {
          const gold = tags[token] as number;
          const predicted = path[token] as number;
          if (gold !== predicted) {
            const end = features.offsets[token + 1] as number;
            for (let cursor = features.offsets[token] as number; cursor < end; cursor++) {
              const row = (features.rows[cursor] as number) * tagCount;
              this.update(row + gold, 1, current.emission, emissionSums);
              this.update(row + predicted, -1, current.emission, emissionSums);
            }
          }
          if (gold !== predicted || previousGold !== previousPredicted) {
            this.update(previousGold * tagCount + gold, 1, current.transition, transitionSums);
            this.update(previousPredicted * tagCount + predicted, -1, current.transition, transitionSums);
          }
          previousGold = gold;
          previousPredicted = predicted;
        }
        if (previousGold !== previousPredicted) {
          const endOffset = (tagCount + 1) * tagCount;
          this.update(endOffset + previousGold, 1, current.transition, transitionSums);
          this.update(endOffset + previousPredicted, -1, current.transition, transitionSums);
        }
      }
    }
    this.step++;
  }

  /** The average of the weights so far; the same object each call, overwritten. */
  average(): ChainWeights {
    averageInto(this.current.emission, this.emissionSums, this.step, this.averaged.emission);
    averageInto(this.current.transition, this.transitionSums, this.step, this.averaged.transition);
    return this.averaged;
  }

  private update(index: number, delta: number, weights: Float32Array, sums: Float64Array): void {
    weights[index] = (weights[index] as number) + delta;
    sums[index] = (sums[index] as number) + this.step * delta;
  }
}

function averageInto(weights: Float32Array, sums: Float64Array, step: number, out: Float32Array): void {
  for (let index = 0; index < weights.length; index++)
    out[index] = (weights[index] as number) - (sums[index] as number) / step;
}
