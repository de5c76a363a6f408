// Time-bounded hyperparameter search on the validation data; records every trial and what it chose.

import { SlmkitError } from "../errors.js";
import { createRandom } from "../internal/random.js";
import type { LabeledExample } from "../types.js";
import {
  type ClassifierHyperparameters,
  type HyperparameterOverrides,
  resolveHyperparameters,
  type TrainClassifierOptions,
  type TrainedClassifier,
  trainClassifier,
} from "./train-classifier.js";

export interface AutotuneOptions extends Omit<TrainClassifierOptions, "hyperparameters"> {
  /** Wall-clock budget in seconds; the search stops starting trials once it is spent. */
  seconds: number;
  /** Values held fixed (not searched) where given. */
  base?: HyperparameterOverrides;
  onTrial?: (trial: AutotuneTrial) => void;
}

export interface AutotuneTrial {
  index: number;
  hyperparameters: ClassifierHyperparameters;
  validationAccuracy: number;
  validationLoss: number;
  /** Share of validation accepted at the target accuracy: the tie-breaker after accuracy. */
  validationCoverage: number;
  seconds: number;
}

/** The search space; the first trial is always the defaults, so autotune is never worse on validation. */
const space = {
  learningRate: [0.25, 0.5, 1, 2],
  epochs: [10, 15, 25],
  wordNgrams: [1, 2, 3],
  charRange: [
    [0, 0],
    [2, 4],
    [2, 5],
    [3, 6],
    [1, 5],
  ],
  minCount: [1, 2, 3],
} as const;

/**
 * Random search: trial 0 uses the defaults (with `base`), later trials draw from `space` with a seeded
 * generator. The best trial by validation accuracy, then coverage at the target, then loss, wins.
 * Trials run while the budget lasts; at least one always runs.
 */
export async function autotuneClassifier(
  train: readonly LabeledExample[],
  options: AutotuneOptions,
): Promise<{ best: TrainedClassifier; trials: AutotuneTrial[] }> {
  if (!(Number.isFinite(options.seconds) && options.seconds > 0)) {
    throw new SlmkitError(
      "INVALID_OPTION",
      `autotune seconds must be a positive number, got ${options.seconds}.`,
      {
        field: "autotune",
      },
    );
  }
  const random = createRandom((options.seed ?? 42) ^ 0xa5a5);
  const pick = <T>(values: readonly T[]): T => values[random.int(values.length)] as T;
  const deadline = performance.now() + options.seconds * 1000;
  const trials: AutotuneTrial[] = [];
  const seen = new Set<string>();
  let best: TrainedClassifier | undefined;
  let bestTrial: AutotuneTrial | undefined;
  for (let index = 0; index === 0 || performance.now() < deadline; index++) {
    const base = options.base ?? {};
    let candidate: ClassifierHyperparameters;
    if (index === 0) {
      candidate = resolveHyperparameters(base);
    } else {
      const [minCharNgram, maxCharNgram] = pick(space.charRange);
      const drawn: HyperparameterOverrides = {
        learningRate: pick(space.learningRate),
        epochs: pick(space.epochs),
        minCount: pick(space.minCount),
        features: { wordNgrams: pick(space.wordNgrams), minCharNgram, maxCharNgram },
      };
      candidate = resolveHyperparameters({
        ...drawn,
        ...base,
        features: { ...drawn.features, ...base.features },
      });
    }
    const key = JSON.stringify(candidate);
    if (seen.has(key)) {
      if (seen.size >= 500) break;
      continue;
    }
    seen.add(key);
    const started = performance.now();
    const { onProgress: _ignored, ...quiet } = options;
    const trained = await trainClassifier(train, { ...quiet, hyperparameters: candidate });
    const trial: AutotuneTrial = {
      index: trials.length,
      hyperparameters: candidate,
      validationAccuracy: trained.validation.accuracy,
      validationLoss: trained.validation.loss,
      validationCoverage: trained.validation.coverage,
      seconds: (performance.now() - started) / 1000,
    };
    trials.push(trial);
    options.onTrial?.(trial);
    if (bestTrial === undefined || better(trial, bestTrial)) {
      bestTrial = trial;
      best = trained;
    }
  }
  return { best: best as TrainedClassifier, trials };
}

function better(a: AutotuneTrial, b: AutotuneTrial): boolean {
  if (a.validationAccuracy !== b.validationAccuracy) return a.validationAccuracy > b.validationAccuracy;
  if (a.validationCoverage !== b.validationCoverage) return a.validationCoverage > b.validationCoverage;
  return a.validationLoss < b.validationLoss;
}
