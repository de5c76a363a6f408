// How each TCO input is chosen: a flag given outright wins ("configured"), else what a source gathered.

import { type TcoDefault, tcoDefaults } from "../defaults.js";
import type { TcoInput, TcoInputName } from "../types.js";

/** Figures given outright (flags): they win over everything gathered and are marked "configured". */
export type TcoOverrides = Partial<Record<TcoInputName, number>>;

/** The flag of `slmkit tco` that sets each input, named in notes so a reader knows how to change a figure. */
export const tcoOverrideFlags: Readonly<Record<TcoInputName, string>> = {
  llmInputTokensPerCall: "--llm-tokens-in",
  llmOutputTokensPerCall: "--llm-tokens-out",
  llmPricePer1kInputUsd: "--llm-price-in",
  llmPricePer1kOutputUsd: "--llm-price-out",
  escalationRate: "--escalation-rate",
  llmCallRate: "--llm-call-rate",
  reviewRate: "--review-rate",
  cacheHitRate: "--cache-hit-rate",
  llmOnlyReviewRate: "--llm-only-review-rate",
  throughputPerSec: "--throughput",
  utilization: "--utilization",
  machineUsdPerHour: "--machine-usd-per-hour",
  replicas: "--replicas",
  reviewCostUsdPerItem: "--review-cost-usd",
  labelledItems: "--labelled-items",
  labelCostUsdPerItem: "--label-cost-usd",
  teacherCostUsd: "--teacher-cost-usd",
  trainSeconds: "--train-seconds",
  amortizeMonths: "--amortize-months",
  requestsPerMonth: "--requests-per-month",
  targetCostPer1kRequestsUsd: "--target-cost-per-1k",
};

/** Chooses each input: the override when there is one, else the gathered figure. */
export interface FigurePicker {
  /** The override of `name`, marked "configured" and naming its flag; undefined without one. */
  given(name: TcoInputName, unit: string): TcoInput | undefined;
  /** The override of `name`, else `gathered()` (not called when overridden). */
  pick(name: TcoInputName, unit: string, gathered: () => TcoInput): TcoInput;
  /** The override of `name`, else its stated default, marked "assumed". */
  defaultFor(name: keyof typeof tcoDefaults & TcoInputName): TcoInput;
}

export function createFigurePicker(overrides: TcoOverrides): FigurePicker {
  const given = (name: TcoInputName, unit: string): TcoInput | undefined => {
    const value = overrides[name];
    return value === undefined
      ? undefined
      : { value, unit, source: "configured", note: `given with ${tcoOverrideFlags[name]}` };
  };
  const pick = (name: TcoInputName, unit: string, gathered: () => TcoInput): TcoInput =>
    given(name, unit) ?? gathered();
  return {
    given,
    pick,
    defaultFor(name) {
      const fallback = tcoDefaults[name] as TcoDefault;
      return pick(name, fallback.unit, () => assumed(fallback));
    },
  };
}

/** A stated default as an input, marked "assumed" with its reason. */
export function assumed(fallback: TcoDefault): TcoInput {
  return {
    value: fallback.value,
    unit: fallback.unit,
    source: "assumed",
    note: fallback.note,
  };
}
