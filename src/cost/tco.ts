// The total-cost-of-ownership model: cost per 1K requests, monthly cost against volume, and the break-even volume.

/*
 * The cost model, in plain terms (every figure is an input of `TcoInputs` or built from them below):
 *
 *   LLM cost per call      = inTok / 1000 · priceIn + outTok / 1000 · priceOut
 *   LLM-only per 1K        = (1 − cacheHitRate) · 1000 · LLM cost per call + llmOnlyReviewRate · 1000 · review cost
 *                            (the same response cache in front of the LLM: neither way is credited with it; and
 *                            people answer what the LLM fails on or is unsure of, in LLM-only as in hybrid)
 *   requests per machine   = throughputPerSec · utilization · 3600 · 730            (one machine, one month)
 *   machine per 1K         = machineUsdPerHour / (throughputPerSec · utilization · 3600) · 1000
 *   hybrid per 1K          = machine per 1K + llmCallRate · 1000 · LLM cost per call + reviewRate · 1000 · review cost
 *   SLM-only per 1K        = machine per 1K + escalationRate · 1000 · review cost
 *                            (people answer everything the small model is unsure of)
 *   cache hits             cost no LLM call and no review; the machine share is charged on every request.
 *   one-off                = labelledItems · label cost + teacher calls + trainSeconds / 3600 · machineUsdPerHour
 *   monthly fixed          = replicas · machineUsdPerHour · 730 + one-off / amortizeMonths
 *   machines(V)            = max(replicas, ⌈V / requests per machine⌉)            (capacity: add machines when full)
 *   LLM-only(V)            = V / 1000 · LLM-only per 1K                               (no fixed cost)
 *   hybrid(V)              = machines(V) · machineUsdPerHour · 730 + one-off / amortizeMonths
 *                            + V / 1000 · (hybrid LLM share + hybrid review share)
 *   SLM-only(V)            = the same with the SLM-only review share
 *   break-even V*          = the volume above which hybrid(V) ≤ LLM-only(V) at every volume; with the replicas
 *                            not yet full, V* = (replicas · machine month + one-off / months) / (saving per request),
 *                            saving per request = (LLM-only per 1K − hybrid LLM share − hybrid review share) / 1000.
 *                            Null when hybrid per 1K (machine share included) is not below LLM-only per 1K: as
 *                            machines(V) ≥ V / requests per machine, it is then never cheaper at any volume.
 *
 * "Per 1K" figures include the machine's share at planned utilization: the cost per request at scale. The
 * monthly curve instead charges whole machines, so below capacity the always-on replicas are a fixed cost.
 */

import { SlmkitError } from "../errors.js";
import { hoursPerMonth } from "./defaults.js";
import { assessSample, type CostsAt, defaultMinimumSample } from "./sample.js";
import type {
  TcoBreakdown,
  TcoCurvePoint,
  TcoInput,
  TcoInputName,
  TcoInputs,
  TcoPerThousand,
  TcoReport,
  TcoSample,
} from "./types.js";

type RequiredInputName = Exclude<TcoInputName, "requestsPerMonth" | "targetCostPer1kRequestsUsd">;

export interface ComputeTcoOptions {
  /** Milliseconds since the epoch stamped on the report. Default `Date.now()`. */
  now?: number;
  /**
   * Monthly volumes of the curve. Default: 4 a decade from 10K to 100M, widened to take in the break-even and
   * the volume served now, plus the break-even itself and the capacity steps when there are 60 or fewer.
   */
  volumes?: readonly number[];
  /**
   * Logged requests below which the report gives the interval of costs the local share allows instead of a
   * verdict. Default 200 (`defaultMinimumSample`).
   */
  minimumSample?: number;
}

/** The order inputs are listed in, in the report and its tables: LLM first, then traffic, machine, people, one-off. */
export const tcoInputOrder: readonly TcoInputName[] = [
  "llmInputTokensPerCall",
  "llmOutputTokensPerCall",
  "llmPricePer1kInputUsd",
  "llmPricePer1kOutputUsd",
  "escalationRate",
  "llmCallRate",
  "reviewRate",
  "cacheHitRate",
  "llmOnlyReviewRate",
  "requestsPerMonth",
  "throughputPerSec",
  "utilization",
  "machineUsdPerHour",
  "replicas",
  "reviewCostUsdPerItem",
  "labelledItems",
  "labelCostUsdPerItem",
  "teacherCostUsd",
  "trainSeconds",
  "amortizeMonths",
  "targetCostPer1kRequestsUsd",
];

/** Inputs a report may lack: the rest are required. */
const optionalInputs: ReadonlySet<TcoInputName> = new Set(["requestsPerMonth", "targetCostPer1kRequestsUsd"]);

/** Inputs that are shares of requests, in [0, 1]. */
const shares: readonly (
  | "escalationRate"
  | "llmCallRate"
  | "reviewRate"
  | "cacheHitRate"
  | "llmOnlyReviewRate"
)[] = ["escalationRate", "llmCallRate", "reviewRate", "cacheHitRate", "llmOnlyReviewRate"];

/**
 * Computes the total cost of ownership of serving a use case LLM-only, SLM-only and hybrid: a pure function
 * of `inputs` (see the module comment for the model). Throws INVALID_OPTION naming the input when one is
 * negative, not finite, a share outside [0, 1], or a throughput, utilization, replica count or amortization
 * period that cannot be used.
 */
export function computeTco(inputs: TcoInputs, options: ComputeTcoOptions = {}): TcoReport {
  checkInputs(inputs);
  const replicas = inputs.replicas.value;
  const breakdown = costBreakdown(inputs);
  const perThousand = perThousandOf(breakdown);
  const monthlyFixedUsd = breakdown.replicasMonthlyUsd + breakdown.amortizedOneOffMonthlyUsd;
  const hybridBreakEven = breakEvenVolume(
    breakdown,
    replicas,
    perThousand.llmOnly,
    breakdown.hybridLlmUsdPerThousand + breakdown.hybridReviewUsdPerThousand,
    perThousand.hybrid,
  );
  const slmOnlyBreakEven = breakEvenVolume(
    breakdown,
    replicas,
    perThousand.llmOnly,
    breakdown.slmOnlyReviewUsdPerThousand,
    perThousand.slmOnly,
  );
  const current = inputs.requestsPerMonth?.value;
  const volumes =
    options.volumes ??
    defaultVolumes(breakdown.requestsPerMachinePerMonth, replicas, [
      ...(hybridBreakEven === null ? [] : [hybridBreakEven]),
      ...(current === undefined ? [] : [current]),
    ]);
  const pointAt = (volume: number) => curvePoint(breakdown, replicas, perThousand.llmOnly, volume);
  const costTarget = costTargetOf(inputs.targetCostPer1kRequestsUsd?.value, perThousand);
  const sample = assessSample(inputs, options.minimumSample ?? defaultMinimumSample, (adjusted) =>
    costsOf(adjusted),
  );

  const inputsByName: Record<string, TcoInput> = {};
  for (const name of tcoInputOrder) {
    const input = inputs[name];
    if (input !== undefined) inputsByName[name] = { ...input };
  }

  return {
    useCaseId: inputs.useCaseId,
    inputs: inputsByName,
    perThousand,
    monthlyFixedUsd,
    breakEvenRequestsPerMonth: hybridBreakEven,
    breakEvenSlmOnlyRequestsPerMonth: slmOnlyBreakEven,
    curve: volumes.map(pointAt),
    formulas: formulas(inputs, breakdown, perThousand, monthlyFixedUsd, hybridBreakEven),
    computedAt: options.now ?? Date.now(),
    breakdown,
    atCurrentVolume: current === undefined ? null : pointAt(current),
    costTarget,
    sample,
    verdict: verdictOf(sample, hybridBreakEven, perThousand),
    notes: [
      ...(inputs.notes ?? []),
      ...tcoNotes({ inputs, breakdown, perThousand, hybridBreakEven, volumes, costTarget }),
    ],
  };
}

/** Hybrid's and SLM-only's cost per 1K and hybrid's break-even for one set of inputs. */
function costsOf(inputs: TcoInputs): CostsAt {
  const breakdown = costBreakdown(inputs);
  const perThousand = perThousandOf(breakdown);
  return {
    hybridPerThousand: perThousand.hybrid,
    slmOnlyPerThousand: perThousand.slmOnly,
    breakEvenRequestsPerMonth: breakEvenVolume(
      breakdown,
      inputs.replicas.value,
      perThousand.llmOnly,
      breakdown.hybridLlmUsdPerThousand + breakdown.hybridReviewUsdPerThousand,
      perThousand.hybrid,
    ),
  };
}

const percentOf = (share: number) => `${(share * 100).toFixed(1)}%`;
const breakEvenPhrase = (volume: number | null) =>
  volume === null ? "never" : `${formatFigure(Math.round(volume))} requests/month`;

/**
 * The report's one-sentence answer. With enough logged requests: the break-even, or that there is none. With
 * too few: no verdict, but what the local share's interval allows, so a small demo's traffic is not read as
 * proof either way.
 */
export function verdictOf(sample: TcoSample, breakEven: number | null, perThousand: TcoPerThousand): string {
  if (sample.sufficient || sample.localShare === null || sample.range === null) {
    return breakEven === null
      ? `Hybrid is never cheaper than LLM-only at these prices: ${formatUsd(perThousand.hybrid)} against ${formatUsd(perThousand.llmOnly)} per 1,000 requests.`
      : `Hybrid is cheaper than LLM-only above ${breakEvenPhrase(breakEven)} (${formatUsd(perThousand.hybrid)} against ${formatUsd(perThousand.llmOnly)} per 1,000 requests at scale).`;
  }
  const share = sample.localShare;
  const range = sample.range;
  const measured =
    share.n === 0
      ? `No requests logged yet, and a verdict needs ${formatFigure(sample.minimum)}: the local share is estimated at ${percentOf(share.value)} and could be anything from 0% to 100%`
      : `Too few requests logged for a verdict (${formatFigure(share.n)} of the ${formatFigure(sample.minimum)} needed): the local share ${percentOf(share.value)} lies between ${percentOf(share.low)} and ${percentOf(share.high)} (95% interval)`;
  const { low, high } = range.breakEvenRequestsPerMonth;
  const breakEvenRange =
    low === null
      ? "never breaks even with it at either end"
      : low === high
        ? `breaks even above ${breakEvenPhrase(low)}`
        : `breaks even above ${breakEvenPhrase(low)} at best, ${high === null ? "never" : breakEvenPhrase(high)} at worst`;
  return `${measured}, so hybrid costs ${formatUsd(range.hybridPerThousand.low)} to ${formatUsd(range.hybridPerThousand.high)} per 1,000 requests against LLM-only's ${formatUsd(perThousand.llmOnly)}, and ${breakEvenRange}.`;
}

/** Every cost of the model (see the module comment) from the checked inputs. */
function costBreakdown(inputs: TcoInputs): TcoBreakdown {
  const value = (name: RequiredInputName): number => inputs[name].value;
  const throughput = value("throughputPerSec");
  const utilization = value("utilization");
  const machineUsdPerHour = value("machineUsdPerHour");
  const reviewCost = value("reviewCostUsdPerItem");
  const llmCostPerCallUsd =
    (value("llmInputTokensPerCall") / 1000) * value("llmPricePer1kInputUsd") +
    (value("llmOutputTokensPerCall") / 1000) * value("llmPricePer1kOutputUsd");
  const machineMonthlyUsd = machineUsdPerHour * hoursPerMonth;
  const labellingUsd = value("labelledItems") * value("labelCostUsdPerItem");
  const teacherUsd = value("teacherCostUsd");
  const trainingUsd = (value("trainSeconds") / 3600) * machineUsdPerHour;
  const oneOffTotal = labellingUsd + teacherUsd + trainingUsd;
  return {
    llmCostPerCallUsd,
    requestsPerMachinePerMonth: throughput * utilization * 3600 * hoursPerMonth,
    llmOnlyLlmUsdPerThousand: (1 - value("cacheHitRate")) * 1000 * llmCostPerCallUsd,
    llmOnlyReviewUsdPerThousand: value("llmOnlyReviewRate") * 1000 * reviewCost,
    machineUsdPerThousand: (machineUsdPerHour / (throughput * utilization * 3600)) * 1000,
    hybridLlmUsdPerThousand: value("llmCallRate") * 1000 * llmCostPerCallUsd,
    hybridReviewUsdPerThousand: value("reviewRate") * 1000 * reviewCost,
    slmOnlyReviewUsdPerThousand: value("escalationRate") * 1000 * reviewCost,
    machineMonthlyUsd,
    replicasMonthlyUsd: value("replicas") * machineMonthlyUsd,
    oneOff: { labellingUsd, teacherUsd, trainingUsd, totalUsd: oneOffTotal },
    amortizedOneOffMonthlyUsd: oneOffTotal / value("amortizeMonths"),
  };
}

/** Each way's cost per 1K requests at scale, the machine's share included. */
function perThousandOf(breakdown: TcoBreakdown): TcoPerThousand {
  return {
    llmOnly: breakdown.llmOnlyLlmUsdPerThousand + breakdown.llmOnlyReviewUsdPerThousand,
    slmOnly: breakdown.machineUsdPerThousand + breakdown.slmOnlyReviewUsdPerThousand,
    hybrid:
      breakdown.machineUsdPerThousand +
      breakdown.hybridLlmUsdPerThousand +
      breakdown.hybridReviewUsdPerThousand,
  };
}

function costTargetOf(target: number | undefined, perThousand: TcoPerThousand): TcoReport["costTarget"] {
  if (target === undefined) return null;
  return {
    perThousandUsd: target,
    met: {
      llmOnly: perThousand.llmOnly <= target,
      slmOnly: perThousand.slmOnly <= target,
      hybrid: perThousand.hybrid <= target,
    },
  };
}

interface NotesInput {
  inputs: TcoInputs;
  breakdown: TcoBreakdown;
  perThousand: TcoPerThousand;
  hybridBreakEven: number | null;
  volumes: readonly number[];
  costTarget: TcoReport["costTarget"];
}

/** What a reader should know about the figures: capacity, people's share, assumed inputs, the target. */
function tcoNotes(input: NotesInput): string[] {
  const { inputs, breakdown, perThousand, hybridBreakEven, volumes, costTarget } = input;
  const replicas = inputs.replicas.value;
  const capacity = breakdown.requestsPerMachinePerMonth;
  const notes: string[] = [];
  if (hybridBreakEven !== null && hybridBreakEven > replicas * capacity) {
    notes.push(
      `At the break-even volume the replicas are full: hybrid needs ${machinesAt(hybridBreakEven, capacity, replicas)} machines there (${formatFigure(capacity)} requests/month each); below it, hybrid may be cheaper between machine steps.`,
    );
  }
  const largest = volumes.length === 0 ? 0 : Math.max(...volumes);
  const machinesAtLargest = machinesAt(largest, capacity, replicas);
  if (machinesAtLargest > replicas) {
    notes.push(
      `Capacity: one machine serves ${formatFigure(capacity)} requests/month at ${formatFigure(inputs.utilization.value)} utilization; above ${formatFigure(replicas * capacity)} requests/month machines are added (${machinesAtLargest} at ${formatFigure(largest)}).`,
    );
  }
  const peopleLlmOnly = breakdown.llmOnlyReviewUsdPerThousand;
  const peopleHybrid = breakdown.hybridReviewUsdPerThousand;
  if (peopleLlmOnly + peopleHybrid > 0) {
    // People's time often outweighs tokens, and its share in LLM-only is the least certain input: show the
    // break-even on LLM calls and machines alone as well, so a reader sees how much hangs on it.
    const withoutPeople = breakEvenVolume(
      breakdown,
      replicas,
      breakdown.llmOnlyLlmUsdPerThousand,
      breakdown.hybridLlmUsdPerThousand,
      breakdown.machineUsdPerThousand + breakdown.hybridLlmUsdPerThousand,
    );
    notes.push(
      `People answering requests cost ${formatUsd(peopleLlmOnly)} of LLM-only's ${formatUsd(perThousand.llmOnly)} and ${formatUsd(peopleHybrid)} of hybrid's ${formatUsd(perThousand.hybrid)} per 1K. On LLM calls and machines alone, hybrid would ${withoutPeople === null ? "never be cheaper than LLM-only" : `be cheaper than LLM-only above ${formatFigure(Math.round(withoutPeople))} requests/month`}.`,
    );
  }
  const assumedNames = tcoInputOrder.filter((name) => inputs[name]?.source === "assumed");
  if (assumedNames.length > 0) {
    notes.push(
      `${assumedNames.length} of the inputs are assumed (${assumedNames.join(", ")}): each note says why and which flag replaces it.`,
    );
  }
  if (costTarget !== null) {
    notes.push(
      `Target cost ${formatUsd(costTarget.perThousandUsd)} per 1K requests: hybrid ${formatUsd(perThousand.hybrid)} ${costTarget.met.hybrid ? "meets" : "misses"} it, LLM-only ${formatUsd(perThousand.llmOnly)} ${costTarget.met.llmOnly ? "meets" : "misses"} it (per 1K at scale, fixed costs aside).`,
    );
  }
  return notes;
}

/** Machines the small model needs for `volume` requests a month: the replicas, more once they are full. */
export function machinesAt(volume: number, requestsPerMachinePerMonth: number, replicas: number): number {
  // A hair of tolerance: volume = k · capacity must not round up to k + 1 machines.
  const needed = Math.ceil(volume / requestsPerMachinePerMonth - 1e-9);
  return Math.max(replicas, needed);
}

/** Monthly cost of each way at `volume` requests a month, from a report's breakdown (the curve's formula). */
export function tcoMonthlyCostAt(report: TcoReport, volume: number): TcoCurvePoint {
  const replicas = report.inputs.replicas?.value ?? 1;
  return curvePoint(report.breakdown, replicas, report.perThousand.llmOnly, volume);
}

function curvePoint(
  breakdown: TcoBreakdown,
  replicas: number,
  llmOnlyPerThousand: number,
  volume: number,
): TcoCurvePoint {
  const machines = machinesAt(volume, breakdown.requestsPerMachinePerMonth, replicas);
  const fixed = machines * breakdown.machineMonthlyUsd + breakdown.amortizedOneOffMonthlyUsd;
  const thousands = volume / 1000;
  return {
    requestsPerMonth: volume,
    llmOnly: thousands * llmOnlyPerThousand,
    slmOnly: fixed + thousands * breakdown.slmOnlyReviewUsdPerThousand,
    hybrid: fixed + thousands * (breakdown.hybridLlmUsdPerThousand + breakdown.hybridReviewUsdPerThousand),
    machines,
  };
}

/**
 * The volume above which a way with machines costs no more than LLM-only at every volume, or null when it
 * never does. Its monthly cost minus LLM-only's is diff(V) = machines(V) · M + A − V · d (M a machine month,
 * A the amortized one-off, d the saving per request before machines, C a machine's requests a month):
 * falling within each band of one machine count, jumping up by M at each step. Since machines(V) ≥ V / C,
 * diff(V) ≥ V · (M / C − d) + A: when the way's per-1K cost (machine share M / C included) is not below
 * LLM-only's, it is never cheaper. Otherwise band k > replicas (volumes ((k−1)·C, k·C]) is cheaper throughout
 * iff diff at its start ≤ 0, i.e. k ≥ (A + C·d) / (C·d − M); that holds for every band from some k0 on, so V*
 * is the crossing in band k0 − 1: V* = ((k0 − 1) · M + A) / d. No loop over bands: k0 may be in the millions.
 */
function breakEvenVolume(
  breakdown: TcoBreakdown,
  replicas: number,
  llmOnlyPerThousand: number,
  wayVariablePerThousand: number,
  wayPerThousand: number,
): number | null {
  const machineMonth = breakdown.machineMonthlyUsd;
  const amortized = breakdown.amortizedOneOffMonthlyUsd;
  const capacity = breakdown.requestsPerMachinePerMonth;
  const saving = (llmOnlyPerThousand - wayVariablePerThousand) / 1000;
  if (!(saving > 0) || !(wayPerThousand < llmOnlyPerThousand)) return null;
  if (replicas * machineMonth + amortized <= 0) return 0;
  const perBand = capacity * saving - machineMonth;
  // Mathematically positive here (the way's per 1K is below LLM-only's); guards against rounding at the edge.
  if (!(perBand > 0)) return null;
  const threshold = (amortized + capacity * saving) / perBand;
  const firstCheaperBand = Math.max(replicas + 1, Math.ceil(threshold - 1e-9));
  return ((firstCheaperBand - 1) * machineMonth + amortized) / saving;
}

/** 4 volumes a decade over 10K..100M (widened to take in `marks`), the marks, and the capacity steps. */
function defaultVolumes(capacity: number, replicas: number, marks: readonly number[]): number[] {
  const positive = marks.filter((mark) => mark > 0 && Number.isFinite(mark));
  const lowest = Math.min(4, ...positive.map((mark) => Math.floor(Math.log10(mark))));
  const highest = Math.max(8, ...positive.map((mark) => Math.ceil(Math.log10(mark))));
  const volumes = new Set<number>();
  for (let step = lowest * 4; step <= highest * 4; step++) volumes.add(roundVolume(10 ** (step / 4)));
  for (const mark of positive) volumes.add(mark);
  const top = 10 ** highest;
  const firstStep = replicas * capacity;
  if (firstStep < top && Math.ceil(top / capacity) - replicas <= 60) {
    // Each step twice: the last volume the machines serve, and one request more, so the chart shows the jump.
    for (let machines = replicas; machines * capacity < top; machines++) {
      const edge = machines * capacity;
      if (edge >= 10 ** lowest) {
        volumes.add(edge);
        volumes.add(edge + 1);
      }
    }
  }
  return [...volumes].sort((a, b) => a - b);
}

/** 10^(k/4) to 3 significant digits, so the curve's volumes read as round numbers (17,800 not 17,782.79). */
function roundVolume(volume: number): number {
  return Number(volume.toPrecision(3));
}

function checkInputs(inputs: TcoInputs): void {
  for (const name of tcoInputOrder) {
    const input = inputs[name];
    if (input === undefined) {
      if (optionalInputs.has(name)) continue;
      throw invalid(name, "is missing");
    }
    const value = input.value;
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0)
      throw invalid(name, `must be a finite number ≥ 0, got ${String(value)}`);
  }
  for (const name of shares) {
    if (inputs[name].value > 1)
      throw invalid(name, `is a share and must be in [0, 1], got ${inputs[name].value}`);
  }
  if (inputs.throughputPerSec.value <= 0)
    throw invalid("throughputPerSec", "must be > 0 requests/s (measure it, or pass --throughput)");
  const utilization = inputs.utilization.value;
  if (utilization <= 0 || utilization > 1)
    throw invalid("utilization", `must be in (0, 1], got ${utilization}`);
  const replicas = inputs.replicas.value;
  if (!Number.isInteger(replicas) || replicas < 1)
    throw invalid("replicas", `must be a whole number ≥ 1, got ${replicas}`);
  if (inputs.amortizeMonths.value <= 0) throw invalid("amortizeMonths", "must be > 0 months");
}

function invalid(name: TcoInputName, problem: string): SlmkitError {
  return new SlmkitError(
    "INVALID_OPTION",
    `cost input ${name} ${problem}. Fix the flag or figure it comes from.`,
    {
      field: name,
    },
  );
}

function formulas(
  inputs: TcoInputs,
  breakdown: TcoBreakdown,
  perThousand: TcoPerThousand,
  monthlyFixedUsd: number,
  breakEven: number | null,
): string[] {
  const f = formatFigure;
  const usd = formatUsd;
  const value = (name: RequiredInputName) => inputs[name].value;
  const replicas = value("replicas");
  const machineHour = value("machineUsdPerHour");
  const variableHybrid = breakdown.hybridLlmUsdPerThousand + breakdown.hybridReviewUsdPerThousand;
  const lines = [
    `LLM cost per call = ${f(value("llmInputTokensPerCall"))} input tokens / 1000 × ${usd(value("llmPricePer1kInputUsd"))} + ${f(value("llmOutputTokensPerCall"))} output tokens / 1000 × ${usd(value("llmPricePer1kOutputUsd"))} = ${usd(breakdown.llmCostPerCallUsd)}`,
    `LLM-only LLM share per 1K = (1 − cache hit rate ${f(value("cacheHitRate"))}) × 1000 × ${usd(breakdown.llmCostPerCallUsd)} = ${usd(breakdown.llmOnlyLlmUsdPerThousand)}`,
    `LLM-only review share per 1K = LLM-only review rate ${f(value("llmOnlyReviewRate"))} × 1000 × ${usd(value("reviewCostUsdPerItem"))} = ${usd(breakdown.llmOnlyReviewUsdPerThousand)}`,
    `LLM-only per 1K = LLM ${usd(breakdown.llmOnlyLlmUsdPerThousand)} + review ${usd(breakdown.llmOnlyReviewUsdPerThousand)} = ${usd(perThousand.llmOnly)}`,
    `Requests one machine serves a month = ${f(value("throughputPerSec"))} requests/s × utilization ${f(value("utilization"))} × 3600 s × ${hoursPerMonth} h = ${f(breakdown.requestsPerMachinePerMonth)}`,
    `Machine per 1K = ${usd(machineHour)}/h ÷ (${f(value("throughputPerSec"))} requests/s × ${f(value("utilization"))} × 3600 s/h) × 1000 = ${usd(breakdown.machineUsdPerThousand)}`,
    `Hybrid LLM share per 1K = LLM call rate ${f(value("llmCallRate"))} × 1000 × ${usd(breakdown.llmCostPerCallUsd)} = ${usd(breakdown.hybridLlmUsdPerThousand)}`,
    `Hybrid review share per 1K = review rate ${f(value("reviewRate"))} × 1000 × ${usd(value("reviewCostUsdPerItem"))} = ${usd(breakdown.hybridReviewUsdPerThousand)}`,
    `Hybrid per 1K = machine ${usd(breakdown.machineUsdPerThousand)} + LLM ${usd(breakdown.hybridLlmUsdPerThousand)} + review ${usd(breakdown.hybridReviewUsdPerThousand)} = ${usd(perThousand.hybrid)}`,
    `SLM-only review share per 1K = escalation rate ${f(value("escalationRate"))} × 1000 × ${usd(value("reviewCostUsdPerItem"))} = ${usd(breakdown.slmOnlyReviewUsdPerThousand)}`,
    `SLM-only per 1K = machine ${usd(breakdown.machineUsdPerThousand)} + review ${usd(breakdown.slmOnlyReviewUsdPerThousand)} = ${usd(perThousand.slmOnly)}`,
    `Labelling = ${f(value("labelledItems"))} examples × ${usd(value("labelCostUsdPerItem"))} = ${usd(breakdown.oneOff.labellingUsd)}`,
    `Training = ${f(value("trainSeconds"))} s / 3600 × ${usd(machineHour)}/h = ${usd(breakdown.oneOff.trainingUsd)}`,
    `One-off = labelling ${usd(breakdown.oneOff.labellingUsd)} + teacher calls ${usd(breakdown.oneOff.teacherUsd)} + training ${usd(breakdown.oneOff.trainingUsd)} = ${usd(breakdown.oneOff.totalUsd)}`,
    `Monthly fixed = ${f(replicas)} replica${replicas === 1 ? "" : "s"} × ${usd(machineHour)}/h × ${hoursPerMonth} h + ${usd(breakdown.oneOff.totalUsd)} ÷ ${f(value("amortizeMonths"))} months = ${usd(monthlyFixedUsd)}`,
    `machines(V) = max(${f(replicas)}, ⌈V ÷ ${f(breakdown.requestsPerMachinePerMonth)}⌉)`,
    `LLM-only(V) = V / 1000 × ${usd(perThousand.llmOnly)}`,
    `Hybrid(V) = machines(V) × ${usd(breakdown.machineMonthlyUsd)} + ${usd(breakdown.amortizedOneOffMonthlyUsd)} + V / 1000 × (${usd(breakdown.hybridLlmUsdPerThousand)} + ${usd(breakdown.hybridReviewUsdPerThousand)})`,
    `SLM-only(V) = machines(V) × ${usd(breakdown.machineMonthlyUsd)} + ${usd(breakdown.amortizedOneOffMonthlyUsd)} + V / 1000 × ${usd(breakdown.slmOnlyReviewUsdPerThousand)}`,
  ];
  const saving = perThousand.llmOnly - variableHybrid;
  if (breakEven === null) {
    lines.push(
      saving > 0
        ? `Break-even: none. Hybrid per 1K ${usd(perThousand.hybrid)} (machine share included) is not below LLM-only per 1K ${usd(perThousand.llmOnly)}, so its machines cost at least what it saves at every volume`
        : `Break-even: none. Hybrid's LLM and review share per 1K ${usd(variableHybrid)} is not below LLM-only per 1K ${usd(perThousand.llmOnly)}`,
    );
  } else {
    const machines = machinesAt(breakEven, breakdown.requestsPerMachinePerMonth, replicas);
    lines.push(
      `Break-even V* = (${f(machines)} machine${machines === 1 ? "" : "s"} × ${usd(breakdown.machineMonthlyUsd)} + ${usd(breakdown.amortizedOneOffMonthlyUsd)}) ÷ ((${usd(perThousand.llmOnly)} − ${usd(variableHybrid)}) / 1000) = ${f(breakEven)} requests/month`,
    );
  }
  return lines;
}

const figureFormat = new Intl.NumberFormat("en-US", { maximumSignificantDigits: 6 });

/** A figure to 6 significant digits with thousands separators, never in exponent form: "12,400", "0.00015". */
export function formatFigure(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return figureFormat.format(value);
}

/** US dollars to 6 significant digits, e.g. "$0.0000636", "$73". */
export function formatUsd(value: number): string {
  return value < 0 ? `−$${formatFigure(-value)}` : `$${formatFigure(value)}`;
}
