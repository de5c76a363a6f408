// Total cost of ownership types: every input carries where it came from, so a report can be checked by hand.

/** "measured": from the gateway's log or a benchmark; "configured": from usecase.yaml or a flag; "assumed": a default. */
export type TcoInputSource = "measured" | "configured" | "assumed";

export interface TcoInput {
  value: number;
  /** Unit, e.g. "USD per 1K tokens", "requests/s", "share". */
  unit: string;
  source: TcoInputSource;
  /** Where exactly, e.g. "request log, 12,400 requests 2026-11-01..2026-11-28" or "--machine-usd-per-hour". */
  note: string;
}

/** Cost in US dollars per 1,000 requests of each way to serve the use case. */
export interface TcoPerThousand {
  llmOnly: number;
  slmOnly: number;
  hybrid: number;
}

/** One point of monthly cost against monthly volume. */
export interface TcoCurvePoint {
  requestsPerMonth: number;
  llmOnly: number;
  slmOnly: number;
  hybrid: number;
  /** Machines the small model needs at this volume (the always-on replicas, more once they are full). */
  machines: number;
}

export interface TcoReport {
  useCaseId: string;
  /** Every input by name, e.g. `escalationRate`, `machineUsdPerHour`, `llmInputTokensPerCall`. */
  inputs: Record<string, TcoInput>;
  /** Variable cost per 1K requests (the machine's share at full use included), USD. */
  perThousand: TcoPerThousand;
  /** Fixed monthly cost of hybrid and SLM-only (machines always on, one-off costs amortized), USD. */
  monthlyFixedUsd: number;
  /** Monthly volume above which hybrid is cheaper than LLM-only; null when it never is. */
  breakEvenRequestsPerMonth: number | null;
  /** Monthly cost against volume, for a chart; volumes on a log scale. */
  curve: TcoCurvePoint[];
  /** Each figure's formula with the numbers put in, so it reproduces by hand. */
  formulas: string[];
  computedAt: number;
  /** The intermediate figures the totals are built from. */
  breakdown: TcoBreakdown;
  /** Monthly volume above which SLM-only is cheaper than LLM-only; null when it never is. */
  breakEvenSlmOnlyRequestsPerMonth: number | null;
  /**
   * The logged requests the traffic shares come from, and whether they are enough for a verdict. Always set by
   * `computeTco`; optional for reports written before it existed.
   */
  sample?: TcoSample;
  /**
   * One sentence a reader can act on: where hybrid breaks even with LLM-only, that it never does, or, below the
   * minimum sample, the range of costs the local share's interval allows instead of a verdict. Always set by
   * `computeTco`; optional for reports written before it existed.
   */
  verdict?: string;
  /** Monthly cost of each way at `inputs.requestsPerMonth`; null when the volume served now is unknown. */
  atCurrentVolume: TcoCurvePoint | null;
  /** The use case's cost target per 1K requests and which ways meet it at scale; null when it sets none. */
  costTarget: { perThousandUsd: number; met: Record<keyof TcoPerThousand, boolean> } | null;
  /** What a reader should know: capacity steps, assumed inputs, estimates. */
  notes: string[];
}

/** A share and its 95% interval (Wilson score), with the requests it was measured on. */
export interface TcoShareInterval {
  value: number;
  low: number;
  high: number;
  n: number;
  confidence: number;
  method: "Wilson score";
}

/** How much traffic the shares were measured on, and what the costs would be across its uncertainty. */
export interface TcoSample {
  /** Requests logged over the range read; null when the inputs do not say (given outright). */
  requests: number | null;
  /** Requests needed for a verdict (`ComputeTcoOptions.minimumSample`, default 200). */
  minimum: number;
  /** Enough requests, or an escalation rate given outright: the break-even is a verdict. */
  sufficient: boolean;
  /** Below the minimum: the local share (1 − escalation rate) and its interval; null otherwise. */
  localShare: TcoShareInterval | null;
  /** Below the minimum: each figure at the interval's two ends (low = the higher local share); null otherwise. */
  range: {
    hybridPerThousand: { low: number; high: number };
    slmOnlyPerThousand: { low: number; high: number };
    breakEvenRequestsPerMonth: { low: number | null; high: number | null };
  } | null;
}

/** The log's requests over the range read: the sample every traffic share was measured on. */
export interface TcoTrafficSample {
  requests: number;
  /** Of them, answered by the small model or the cache. */
  local: number;
  /** Where they were read, e.g. "request log, 9 requests 2026-12-01..2026-12-01". */
  note: string;
}

/**
 * The named inputs of the cost model. `gatherTcoInputs` fills them from the gateway's log, the use case, the
 * model directory and flags; anything it cannot find is a stated default marked "assumed".
 */
export interface TcoInputs {
  useCaseId: string;
  /** Prompt tokens of one LLM call (system prompt and the request's text). */
  llmInputTokensPerCall: TcoInput;
  /** Completion tokens of one LLM call. */
  llmOutputTokensPerCall: TcoInput;
  /** US dollars per 1,000 input tokens. */
  llmPricePer1kInputUsd: TcoInput;
  /** US dollars per 1,000 output tokens. */
  llmPricePer1kOutputUsd: TcoInput;
  /** Share of requests the small model does not answer itself (answered by the LLM or a person), in [0, 1]. */
  escalationRate: TcoInput;
  /** LLM calls per request in the hybrid: escalations, shadow comparisons and failed calls with usage. */
  llmCallRate: TcoInput;
  /** Share of requests a person answers in the hybrid, in [0, 1]. */
  reviewRate: TcoInput;
  /** Share of requests answered from the response cache, in [0, 1]: no LLM call, no review. */
  cacheHitRate: TcoInput;
  /** Share of requests a person answers when the LLM answers everything (its failures and unsure replies), in [0, 1]. */
  llmOnlyReviewRate: TcoInput;
  /** Requests per second the small model serves on one machine, in-process and batched. */
  throughputPerSec: TcoInput;
  /** Average share of `throughputPerSec` a machine is planned to carry (HTTP overhead, headroom for peaks), in (0, 1]. */
  utilization: TcoInput;
  /** US dollars per hour of one machine that runs the small model (and trains it). */
  machineUsdPerHour: TcoInput;
  /** Machines always on, whatever the volume (a whole number ≥ 1). */
  replicas: TcoInput;
  /** US dollars a person costs to answer one request. */
  reviewCostUsdPerItem: TcoInput;
  /** Examples labelled by people to train the model. */
  labelledItems: TcoInput;
  /** US dollars to label one example. */
  labelCostUsdPerItem: TcoInput;
  /** US dollars spent on teacher (LLM) calls to label data by distillation. */
  teacherCostUsd: TcoInput;
  /** Wall-clock seconds of training on one machine. */
  trainSeconds: TcoInput;
  /** Months the one-off costs are spread over. */
  amortizeMonths: TcoInput;
  /** The volume served now, requests per month, when the log covers long enough to tell. */
  requestsPerMonth?: TcoInput;
  /** The use case's target cost per 1,000 requests (usecase.yaml `targets.costPer1kRequestsUsd`), when it has one. */
  targetCostPer1kRequestsUsd?: TcoInput;
  /** The logged requests the traffic shares come from; absent when they were not read from a log. */
  trafficSample?: TcoTrafficSample;
  /** What gathering the inputs found that a reader must know (e.g. the LLM was not reachable). */
  notes?: string[];
}

/** The names of `TcoInputs`' figures. */
export type TcoInputName = Exclude<keyof TcoInputs, "useCaseId" | "trafficSample" | "notes">;

/** The intermediate figures every total is built from, so each step can be checked on its own. */
export interface TcoBreakdown {
  /** inTok / 1000 · priceIn + outTok / 1000 · priceOut, USD. */
  llmCostPerCallUsd: number;
  /** Requests one machine serves in a month: throughput · utilization · 3600 · 730. */
  requestsPerMachinePerMonth: number;
  /** LLM calls of LLM-only per 1,000 requests (cache hits excepted), USD. */
  llmOnlyLlmUsdPerThousand: number;
  /** People answering what the LLM fails on in LLM-only, per 1,000 requests, USD. */
  llmOnlyReviewUsdPerThousand: number;
  /** Machine cost per 1,000 requests at planned utilization, USD. */
  machineUsdPerThousand: number;
  /** LLM calls of the hybrid per 1,000 requests, USD. */
  hybridLlmUsdPerThousand: number;
  /** People answering the hybrid's review share per 1,000 requests, USD. */
  hybridReviewUsdPerThousand: number;
  /** People answering everything the small model is unsure of, per 1,000 requests, USD. */
  slmOnlyReviewUsdPerThousand: number;
  /** One machine for a month (730 h), USD. */
  machineMonthlyUsd: number;
  /** The always-on replicas for a month, USD. */
  replicasMonthlyUsd: number;
  oneOff: { labellingUsd: number; teacherUsd: number; trainingUsd: number; totalUsd: number };
  /** One-off costs divided by the amortization months, USD per month. */
  amortizedOneOffMonthlyUsd: number;
}
