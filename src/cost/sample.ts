// How far the log's traffic shares can be trusted: below a minimum of logged requests a cost report gives the
// interval the local share may lie in, and the costs across it, instead of a verdict.

import type { TcoInputs, TcoSample, TcoShareInterval } from "./types.js";

/**
 * Logged requests below which the local share is too uncertain for a verdict. At 200 requests and a local share
 * near 90%, the 95% interval is about ±4 points: narrow enough that hybrid's cost per 1K moves by less than a
 * tenth of the LLM's share of it. At 9 requests it spans 57-98%.
 */
export const defaultMinimumSample = 200;

/** z of a two-sided 95% interval. */
const z95 = 1.959963984540054;

/**
 * The Wilson score interval of a share `successes / n` at 95%: unlike the normal approximation it stays inside
 * [0, 1] and is not zero-width at 0% or 100%, which small samples hit. With n = 0 it is the whole [0, 1].
 */
export function wilsonInterval(successes: number, n: number): TcoShareInterval {
  if (n <= 0) return { value: 0, low: 0, high: 1, n: 0, confidence: 0.95, method: "Wilson score" };
  const share = successes / n;
  const z2 = z95 * z95;
  const denominator = 1 + z2 / n;
  const centre = (share + z2 / (2 * n)) / denominator;
  const half = (z95 * Math.sqrt((share * (1 - share)) / n + z2 / (4 * n * n))) / denominator;
  return {
    value: share,
    low: Math.max(0, centre - half),
    high: Math.min(1, centre + half),
    n,
    confidence: 0.95,
    method: "Wilson score",
  };
}

/**
 * The inputs with the small model's escalation rate set to `escalationRate`: the hybrid's LLM calls and people's
 * answers move with it, in the split the log showed (LLM calls and reviews per escalation); with no escalation
 * logged, every escalation is priced as an LLM call, as LLM-only prices every request. Cache hits, LLM-only's
 * own review share and everything else stay as measured.
 */
export function withEscalationRate(inputs: TcoInputs, escalationRate: number): TcoInputs {
  const measured = inputs.escalationRate.value;
  const llmPerEscalation = measured > 0 ? inputs.llmCallRate.value / measured : 1;
  const reviewPerEscalation = measured > 0 ? inputs.reviewRate.value / measured : 0;
  const scaled = (input: TcoInputs["llmCallRate"], perEscalation: number) => ({
    ...input,
    value: Math.min(1, escalationRate * perEscalation),
  });
  return {
    ...inputs,
    escalationRate: { ...inputs.escalationRate, value: escalationRate },
    llmCallRate: scaled(inputs.llmCallRate, llmPerEscalation),
    reviewRate: scaled(inputs.reviewRate, reviewPerEscalation),
  };
}

/** What one set of inputs costs per 1K, and where hybrid breaks even: `computeTco`'s own figures. */
export interface CostsAt {
  hybridPerThousand: number;
  slmOnlyPerThousand: number;
  breakEvenRequestsPerMonth: number | null;
}

/**
 * Whether the traffic shares rest on enough logged requests for a verdict. They do when `minimum` requests were
 * logged, when the escalation rate was given outright, or when the inputs name no sample (given by hand).
 * Otherwise the local share's 95% interval is computed (the whole [0, 1] with no request logged) and the costs
 * at its two ends by `costsAt`.
 */
export function assessSample(
  inputs: TcoInputs,
  minimum: number,
  costsAt: (inputs: TcoInputs) => CostsAt,
): TcoSample {
  const traffic = inputs.trafficSample;
  const requests = traffic?.requests ?? null;
  const sufficient =
    traffic === undefined || inputs.escalationRate.source === "configured" || traffic.requests >= minimum;
  if (sufficient) return { requests, minimum, sufficient, localShare: null, range: null };
  const interval = wilsonInterval(traffic.local, traffic.requests);
  // With no request logged, the point estimate is the model's (validation coverage) or a default.
  const localShare =
    traffic.requests === 0 ? { ...interval, value: 1 - inputs.escalationRate.value } : interval;
  const best = costsAt(withEscalationRate(inputs, 1 - localShare.high));
  const worst = costsAt(withEscalationRate(inputs, 1 - localShare.low));
  return {
    requests,
    minimum,
    sufficient,
    localShare,
    range: {
      hybridPerThousand: { low: best.hybridPerThousand, high: worst.hybridPerThousand },
      slmOnlyPerThousand: { low: best.slmOnlyPerThousand, high: worst.slmOnlyPerThousand },
      breakEvenRequestsPerMonth: {
        low: best.breakEvenRequestsPerMonth,
        high: worst.breakEvenRequestsPerMonth,
      },
    },
  };
}
