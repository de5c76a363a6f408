// Compares a window of served traffic with a reference profile: seven checks, each with a figure and a verdict.

import type { UseCase } from "../spec/schema.js";
import type { LabelledRequest, RequestLogEntry, ShadowResult } from "../store/types.js";
import { type LogFigures, logFigures, mean } from "./log-figures.js";
import {
  categoryShares,
  confidenceBinEdges,
  histogramShares,
  lengthBinEdges,
  populationStabilityIndex,
} from "./psi.js";
import type { DriftCheck, DriftReport, ReferenceFigure, ReferenceProfile } from "./types.js";

/** Fewest feedback items, and fewest shadow comparisons, an accuracy is judged on. */
export const minAccuracyItems = 30;

export interface ComputeDriftOptions {
  /** The validated use case: its `monitor` settings and `routing.targetAccuracy`. */
  useCase: UseCase;
  reference: ReferenceProfile;
  /** The most recent request-log rows of the use case (any order). */
  window: readonly RequestLogEntry[];
  /** Feedback on requests of the window's time range. Default none: the check reports "insufficient". */
  labelled?: readonly LabelledRequest[];
  /** Shadow comparisons of the window's time range. Default none. */
  shadow?: readonly ShadowResult[];
  /** The version being monitored, for the report. */
  modelVersion: string | null;
  /** ms since the epoch: the report's `computedAt`. */
  now: number;
}

const percent = (share: number): string => `${(share * 100).toFixed(1)}%`;
const fixed = (value: number): string => value.toFixed(2);

/**
 * Runs every drift check on a window of traffic. A window check with fewer usable rows than
 * `monitor.minRequests` (rows missing that figure are skipped) is "insufficient", with a null value. The report is
 * "drift" when any check alerts, else "insufficient" when the window holds fewer than `monitor.minRequests` rows,
 * else "ok".
 */
export function computeDrift(options: ComputeDriftOptions): DriftReport {
  const { useCase, reference, window } = options;
  const monitor = useCase.monitor;
  const figures = logFigures(window);
  const context: CheckContext = { minRequests: monitor.minRequests, reference };
  const accuracyBound = monitor.minAccuracy ?? useCase.routing.targetAccuracy;
  const checks: DriftCheck[] = [
    labelsCheck(figures, context, monitor.psiThreshold),
    confidenceCheck(figures, context, monitor.psiThreshold),
    inputLengthCheck(figures, context, monitor.psiThreshold),
    unknownTokensCheck(figures, context, monitor.unknownShareIncrease),
    escalationRateCheck(figures, context, monitor.escalationRateIncrease),
    feedbackAccuracyCheck(options.labelled ?? [], accuracyBound, monitor.minAccuracy !== undefined),
    shadowAgreementCheck(options.shadow ?? [], accuracyBound, monitor.minAccuracy !== undefined),
  ];
  let from: number | null = null;
  let to: number | null = null;
  for (const entry of window) {
    if (from === null || entry.createdAt < from) from = entry.createdAt;
    if (to === null || entry.createdAt > to) to = entry.createdAt;
  }
  const status = checks.some((check) => check.status === "alert")
    ? "drift"
    : window.length < monitor.minRequests
      ? "insufficient"
      : "ok";
  return {
    useCaseId: useCase.id,
    modelVersion: options.modelVersion,
    status,
    window: { n: window.length, from, to },
    reference: { source: reference.source, n: reference.n, createdAt: reference.createdAt },
    checks,
    computedAt: options.now,
  };
}

interface CheckContext {
  minRequests: number;
  reference: ReferenceProfile;
}

type CheckBase = Pick<DriftCheck, "name" | "metric" | "threshold" | "direction">;

/** The "insufficient" verdict of a window check, or undefined when it has enough rows and reference data. */
function insufficientWindowCheck(
  base: CheckBase,
  n: number,
  what: string,
  context: CheckContext,
): DriftCheck | undefined {
  const figure = base.name as ReferenceFigure;
  if (context.reference.missing?.includes(figure) === true) {
    return {
      ...base,
      value: null,
      reference: null,
      status: "insufficient",
      n,
      detail: `the reference (${context.reference.source}) holds no rows with ${what}; pin a more recent window, or drop monitor.pinnedWindow to compare with the training data`,
    };
  }
  if (n >= context.minRequests) return undefined;
  return {
    ...base,
    value: null,
    reference: null,
    status: "insufficient",
    n,
    detail: `${n} requests with ${what} in the window; ${context.minRequests} needed (monitor.minRequests)`,
  };
}

function psiCheck(
  base: CheckBase,
  n: number,
  actual: readonly number[],
  expected: readonly number[],
  explain: (alert: boolean) => string,
): DriftCheck {
  const psi = populationStabilityIndex(actual, expected);
  const alert = psi > base.threshold;
  const comparison = alert
    ? `PSI ${fixed(psi)} > ${fixed(base.threshold)}`
    : `PSI ${fixed(psi)} ≤ ${fixed(base.threshold)}`;
  return {
    ...base,
    value: psi,
    reference: null,
    status: alert ? "alert" : "ok",
    n,
    detail: `${comparison}: ${explain(alert)}`,
  };
}

function labelsCheck(figures: LogFigures, context: CheckContext, threshold: number): DriftCheck {
  const base: CheckBase = {
    name: "labels",
    metric: "PSI of predicted labels",
    threshold,
    direction: "above",
  };
  const n = figures.slmLabels.length;
  const insufficient = insufficientWindowCheck(base, n, "a small-model label", context);
  if (insufficient !== undefined) return insufficient;
  // Labels the reference never saw (another model version wrote the rows) get their own bins, expected at 0.
  const labels = Object.keys(context.reference.labelShares);
  for (const label of new Set(figures.slmLabels))
    if (!(label in context.reference.labelShares)) labels.push(label);
  const actual = categoryShares(figures.slmLabels, labels);
  const expected = labels.map((label) => context.reference.labelShares[label] ?? 0);
  return psiCheck(base, n, actual, expected, (alert) => {
    // The label whose share moved most tells a person where to look.
    let moved = 0;
    for (let index = 1; index < labels.length; index++) {
      const change = Math.abs((actual[index] as number) - (expected[index] as number));
      if (change > Math.abs((actual[moved] as number) - (expected[moved] as number))) moved = index;
    }
    const shift = `${labels[moved]} ${percent(expected[moved] as number)} → ${percent(actual[moved] as number)}`;
    return alert
      ? `the mix of predicted labels changed (largest move: ${shift}); check for a new kind of request, then label recent traffic and retrain`
      : `the mix of predicted labels is as in the reference (largest move: ${shift})`;
  });
}

/** Mean of a histogram's bin midpoints weighted by its shares: a readable summary of where its mass sits. */
function histogramMean(shares: readonly number[], edges: readonly number[]): number {
  let total = 0;
  for (let bin = 0; bin < shares.length; bin++) {
    total += (shares[bin] as number) * (((edges[bin] as number) + (edges[bin + 1] as number)) / 2);
  }
  return total;
}

function confidenceCheck(figures: LogFigures, context: CheckContext, threshold: number): DriftCheck {
  const base: CheckBase = {
    name: "confidence",
    metric: "PSI of small-model confidence",
    threshold,
    direction: "above",
  };
  const n = figures.slmConfidences.length;
  const insufficient = insufficientWindowCheck(base, n, "a small-model confidence", context);
  if (insufficient !== undefined) return insufficient;
  const actual = histogramShares(figures.slmConfidences, confidenceBinEdges);
  const expected = context.reference.confidenceHistogram;
  return psiCheck(base, n, actual, expected, (alert) => {
    // Both from the histograms, so equal distributions read as equal (the reference keeps only bins).
    const now = histogramMean(actual, confidenceBinEdges);
    const before = histogramMean(expected, confidenceBinEdges);
    const summary = `mean about ${fixed(now)} vs ${fixed(before)} in the reference`;
    return alert
      ? `the model's confidence moved (${summary}); review a sample of recent requests for new topics or wording`
      : `the model's confidence is as in the reference (${summary})`;
  });
}

/** Index of the bin holding the median of a histogram. */
function medianBin(shares: readonly number[]): number {
  let cumulative = 0;
  let bin = 0;
  for (; bin < shares.length - 1; bin++) {
    cumulative += shares[bin] as number;
    if (cumulative >= 0.5) break;
  }
  return bin;
}

function lengthBinText(bin: number): string {
  const upper = lengthBinEdges[bin + 1] as number;
  return Number.isFinite(upper) ? `${lengthBinEdges[bin]}–${upper} chars` : `≥ ${lengthBinEdges[bin]} chars`;
}

/** Length bin edges with the open last bin closed at twice its start, so bin midpoints can be averaged. */
const closedLengthBinEdges = [...lengthBinEdges.slice(0, -1), 2 * (lengthBinEdges.at(-2) as number)];

function inputLengthCheck(figures: LogFigures, context: CheckContext, threshold: number): DriftCheck {
  const base: CheckBase = {
    name: "inputLength",
    metric: "PSI of input length",
    threshold,
    direction: "above",
  };
  const n = figures.inputLengths.length;
  const insufficient = insufficientWindowCheck(base, n, "an input length", context);
  if (insufficient !== undefined) return insufficient;
  const actual = histogramShares(figures.inputLengths, lengthBinEdges);
  const expected = context.reference.lengthHistogram;
  return psiCheck(base, n, actual, expected, (alert) => {
    const [now, before] = [medianBin(actual), medianBin(expected)];
    const summary = `median in ${lengthBinText(now)} vs ${lengthBinText(before)} in the reference`;
    const longer =
      now === before
        ? histogramMean(actual, closedLengthBinEdges) > histogramMean(expected, closedLengthBinEdges)
        : now > before;
    const direction = longer ? "longer" : "shorter";
    return alert
      ? `inputs are ${direction} than the model was built for (${summary}); check what clients send (whole e-mail threads, forms, other languages)`
      : `input lengths are as in the reference (${summary})`;
  });
}

function levelCheck(
  base: Omit<CheckBase, "threshold" | "direction">,
  n: number,
  value: number,
  referenceValue: number,
  increase: number,
  explain: (alert: boolean, comparison: string) => string,
): DriftCheck {
  const threshold = referenceValue + increase;
  const alert = value > threshold;
  const comparison = `${percent(value)} vs ${percent(referenceValue)} in the reference, alert above ${percent(threshold)}`;
  return {
    ...base,
    threshold,
    direction: "above",
    value,
    reference: referenceValue,
    status: alert ? "alert" : "ok",
    n,
    detail: explain(alert, comparison),
  };
}

function unknownTokensCheck(figures: LogFigures, context: CheckContext, increase: number): DriftCheck {
  const base = { name: "unknownTokens", metric: "mean share of unseen n-grams" } as const;
  const n = figures.unknownShares.length;
  const referenceValue = context.reference.unknownShareMean;
  const insufficient = insufficientWindowCheck(
    { ...base, threshold: referenceValue + increase, direction: "above" },
    n,
    "an unseen-n-gram share",
    context,
  );
  if (insufficient !== undefined) return insufficient;
  return levelCheck(base, n, mean(figures.unknownShares), referenceValue, increase, (alert, comparison) =>
    alert
      ? `unseen n-grams rose (${comparison}): new vocabulary such as new products, codes or a language; label recent requests and retrain`
      : `unseen n-grams as expected (${comparison})`,
  );
}

function escalationRateCheck(figures: LogFigures, context: CheckContext, increase: number): DriftCheck {
  const base = { name: "escalationRate", metric: "share below the confidence threshold" } as const;
  const { n, below } = figures.escalation;
  const referenceValue = context.reference.escalationRate;
  const insufficient = insufficientWindowCheck(
    { ...base, threshold: referenceValue + increase, direction: "above" },
    n,
    "a confidence and threshold",
    context,
  );
  if (insufficient !== undefined) return insufficient;
  return levelCheck(base, n, below / n, referenceValue, increase, (alert, comparison) =>
    alert
      ? `more requests escalate (${comparison}): LLM or review load and cost rise; retrain on recent labelled traffic`
      : `the escalation rate is as expected (${comparison})`,
  );
}

function accuracyCheck(
  base: Pick<DriftCheck, "name" | "metric">,
  n: number,
  right: number,
  bound: number,
  boundSetting: string,
  what: { items: string; insufficient: string; alert: string; ok: string },
): DriftCheck {
  const common = { ...base, threshold: bound, direction: "below" as const, reference: null, n };
  if (n < minAccuracyItems) {
    return {
      ...common,
      value: null,
      status: "insufficient",
      detail: `${n} ${what.items} in the window; ${minAccuracyItems} needed (${what.insufficient})`,
    };
  }
  const value = right / n;
  const alert = value < bound;
  const comparison = `${percent(value)} of ${n} ${what.items} ${alert ? "<" : "≥"} ${percent(bound)} (${boundSetting})`;
  return {
    ...common,
    value,
    status: alert ? "alert" : "ok",
    detail: `${comparison}: ${alert ? what.alert : what.ok}`,
  };
}

function boundName(explicit: boolean): string {
  return explicit ? "monitor.minAccuracy" : "routing.targetAccuracy";
}

/** Feedback whose request was served no label (a review holding answer) says nothing about accuracy: skipped. */
function feedbackAccuracyCheck(
  labelled: readonly LabelledRequest[],
  bound: number,
  explicit: boolean,
): DriftCheck {
  const judged = labelled.filter((item) => item.servedLabel !== null);
  const right = judged.filter((item) => item.servedLabel === item.correct).length;
  return accuracyCheck(
    { name: "feedbackAccuracy", metric: "accuracy on feedback" },
    judged.length,
    right,
    bound,
    boundName(explicit),
    {
      items: "feedback items",
      insufficient: "send feedback on served answers to measure accuracy",
      alert:
        "served answers are wrong more often than the target; look at the corrected requests and retrain on them",
      ok: "served answers meet the target",
    },
  );
}

/** Only comparisons that ended in a verdict count: "unsure" and "failed" LLM calls say nothing either way. */
function shadowAgreementCheck(shadow: readonly ShadowResult[], bound: number, explicit: boolean): DriftCheck {
  let agreed = 0;
  let disagreed = 0;
  for (const result of shadow) {
    if (result.outcome === "agreed") agreed += 1;
    else if (result.outcome === "disagreed") disagreed += 1;
  }
  return accuracyCheck(
    { name: "shadowAgreement", metric: "agreement with the LLM on shadowed requests" },
    agreed + disagreed,
    agreed,
    bound,
    boundName(explicit),
    {
      items: "shadow comparisons",
      insufficient: "raise routing.shadowRate to compare accepted answers with the LLM",
      alert:
        "the LLM disagrees with accepted answers more than the target allows; review the disagreements and retrain",
      ok: "the LLM agrees with accepted answers",
    },
  );
}
