// The model step of the router: an ordered list of tiers, each a model with its threshold and version,
// predicting through a micro-batcher, and swappable by hot reload.

import type { PredictOptions } from "../models/task-model.js";
import {
  createMicroBatcher,
  type MicroBatcher,
  type MicroBatcherOptions,
  type MicroBatcherStats,
} from "./micro-batcher.js";

/** What the router needs of a model of any task: predictions it reads through the task's policy. */
export interface RoutableModel {
  /** Calibrated-confidence threshold: predictions at or above it are accepted. */
  readonly threshold: number;
  predict(texts: readonly string[], options?: PredictOptions): Promise<readonly unknown[]>;
  /** Used instead of `predict` when present: the in-process fast path, no promise per batch. */
  predictSync?(texts: readonly string[], options?: PredictOptions): readonly unknown[];
  /** Sentence vectors for the semantic cache; without it only exact cache hits happen. */
  embed?(texts: readonly string[]): Float32Array[];
}

/** One tier's answer to one text: the prediction, and the threshold and version of the model that made it. */
export interface TierAnswer<Model extends RoutableModel = RoutableModel> {
  prediction: unknown;
  threshold: number;
  version: string | null;
  model: Model;
}

export interface Tier<Model extends RoutableModel = RoutableModel> {
  /** The model and version new requests use. */
  active(): { model: Model; version: string | null };
  predict(text: string): Promise<TierAnswer<Model>>;
  /** Swaps the model (hot reload); requests already predicted keep the old model's answer. */
  setModel(model: Model, version: string | null): void;
  stats(): MicroBatcherStats | null;
}

/**
 * A tier over `model`. With `batching` (default `{}`: 64 texts, one event-loop turn) concurrent requests share
 * one predict call; `false` predicts each request on its own. `predictOptions` is asked once per batch (an
 * extract model's "today").
 */
export function createTier<Model extends RoutableModel>(
  model: Model,
  version: string | null,
  batching: MicroBatcherOptions | false | undefined,
  predictOptions?: () => PredictOptions,
): Tier<Model> {
  let active = { model, version };
  const predictBatch = (texts: string[]): TierAnswer<Model>[] | Promise<TierAnswer<Model>[]> => {
    // One snapshot per batch: a hot reload between batches never mixes models within one answer.
    const { model: current, version: currentVersion } = active;
    const options = predictOptions?.();
    const pair = (predictions: readonly unknown[]) =>
      predictions.map((prediction) => ({
        prediction,
        threshold: current.threshold,
        version: currentVersion,
        model: current,
      }));
    return current.predictSync !== undefined
      ? pair(current.predictSync(texts, options))
      : current.predict(texts, options).then(pair);
  };
  const batcher: MicroBatcher<string, TierAnswer<Model>> | null =
    batching === false ? null : createMicroBatcher(predictBatch, batching ?? {});
  return {
    active: () => active,
    async predict(text) {
      if (batcher !== null) return batcher.submit(text);
      const [answer] = await predictBatch([text]);
      return answer as TierAnswer<Model>;
    },
    setModel(next, nextVersion) {
      active = { model: next, version: nextVersion };
    },
    stats: () => batcher?.stats() ?? null,
  };
}
