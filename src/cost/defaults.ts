// The assumed figures of the cost model, each with the reason behind it, in one place so reports can quote them.

/** An assumed default: its value, unit and the reasoning a reader can check or replace. */
export interface TcoDefault {
  value: number;
  unit: string;
  note: string;
}

/** Hours in an average month (8,760 h a year / 12): the unit cloud providers bill always-on machines in. */
export const hoursPerMonth = 730;

/**
 * Defaults used when neither the log, the use case, the model nor a flag gives a figure. They are meant to
 * be replaced: every one is shown in the report marked "assumed", with the flag that overrides it.
 */
export const tcoDefaults = {
  machineUsdPerHour: {
    value: 0.1,
    unit: "USD per hour",
    note: "a small on-demand 2-vCPU, 8 GB cloud VM (general-purpose 2-vCPU list prices are roughly $0.04-$0.10/h); --machine-usd-per-hour",
  },
  utilization: {
    value: 0.08,
    unit: "share",
    note: "the HTTP gateway peaks at about a sixth of the model's in-process throughput on 2 cores (npm run bench:serve: peak req/s against the classifier bench's texts/s), halved for headroom at peaks; --utilization",
  },
  replicas: {
    value: 1,
    unit: "machines",
    note: "one machine always on; --replicas 2 for failover",
  },
  reviewCostUsdPerItem: {
    value: 0.25,
    unit: "USD per request",
    note: "about 30 s of a person's time at $30/h; --review-cost-usd",
  },
  labelCostUsdPerItem: {
    value: 0.08,
    unit: "USD per example",
    note: "about 10 s of a person's time at $30/h to label one short text; --label-cost-usd",
  },
  amortizeMonths: {
    value: 12,
    unit: "months",
    note: "one-off costs spread over a year of use; --amortize-months",
  },
  escalationRate: {
    value: 0.2,
    unit: "share",
    note: "no log and no model validation figures to measure it from; --escalation-rate",
  },
  throughputPerSec: {
    value: 1000,
    unit: "requests/s",
    note: "no model to measure (train one, or pass --throughput); a conservative figure for a native model on one core",
  },
  trainSeconds: {
    value: 3600,
    unit: "seconds",
    note: "the model records no training time; one machine-hour assumed",
  },
  /** Chat-format tokens around the system and user messages of one call (role markers, reply priming). */
  chatOverheadTokens: 10,
  /** Characters per token of English text with OpenAI's tokenizers: the usual rule of thumb. */
  charactersPerToken: 4,
} as const;
