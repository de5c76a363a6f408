// TCO inputs from the gateway's request log: the traffic's shares and volume, with the routing as a fallback.

import type { UseCase } from "../../spec/schema.js";
import type { RequestTotals } from "../../store/types.js";
import { hoursPerMonth, tcoDefaults } from "../defaults.js";
import type { TcoInput, TcoTrafficSample } from "../types.js";
import { assumed, type FigurePicker, type TcoOverrides, tcoOverrideFlags } from "./figures.js";

const dayMs = 86_400_000;

/** The log's totals over the range read, and how to cite them in notes. */
export interface LogSummary {
  totals: RequestTotals;
  /** "request log, 12,400 requests 2026-11-01..2026-11-28". */
  note: string;
}

/** "request log, 12,400 requests 2026-11-01..2026-11-28" or "request log, 0 requests". */
export function describeLog(totals: RequestTotals, since?: number, until?: number): string {
  const first = since ?? totals.firstAt;
  const last = until ?? totals.lastAt;
  const range = first === null || last === null ? "" : ` ${isoDay(first)}..${isoDay(last)}`;
  return `request log, ${totals.requests.toLocaleString("en-US")} requests${range}`;
}

export interface TrafficShares {
  escalationRate: TcoInput;
  llmCallRate: TcoInput;
  reviewRate: TcoInput;
  cacheHitRate: TcoInput;
  llmOnlyReviewRate: TcoInput;
}

/**
 * Whether the configured LLM was never reached: the fallback is "llm" and an LLM is configured, yet no LLM call
 * is logged while people answered escalations (the gateway had no API key, or the LLM was down). Hybrid's
 * measured shares then describe a deployment without its LLM, while LLM-only would be priced with one.
 */
export function llmWasUnreachable(
  totals: RequestTotals,
  routing: UseCase["routing"],
  llmConfigured: boolean,
): boolean {
  return routing.fallback === "llm" && llmConfigured && totals.llmCalls === 0 && totals.answeredBy.review > 0;
}

/** The sample the traffic shares were measured on: every logged request of the range, and the local ones. */
export function trafficSampleOf(log: LogSummary): TcoTrafficSample {
  const { totals } = log;
  return {
    requests: totals.requests,
    local: totals.answeredBy.slm + totals.answeredBy.cache,
    note: log.note,
  };
}

/**
 * Traffic shares: from the log when it has rows; else the escalation rate from the model's validation
 * coverage (or a default), and the rest from the routing of usecase.yaml. When the LLM was unreachable
 * (`llmWasUnreachable`), hybrid is priced as it would run with its LLM, as LLM-only is: the requests people
 * answered count as LLM calls, and people answer only what either way would send them, which is unknown
 * without one LLM answer, so none.
 */
export function gatherTrafficShares(
  figures: FigurePicker,
  log: LogSummary,
  routing: UseCase["routing"],
  validationCoverage: number | undefined,
  llmUnreachable = false,
): TrafficShares {
  const { totals, note: logNote } = log;
  const requests = totals.requests;
  const shadowCalls = Object.values(totals.shadow).reduce((sum, count) => sum + count, 0);
  const escalationRate = figures.pick("escalationRate", "share", () => {
    if (requests > 0) {
      return {
        value: (totals.answeredBy.llm + totals.answeredBy.review) / requests,
        unit: "share",
        source: "measured",
        note: `(llm ${totals.answeredBy.llm} + review ${totals.answeredBy.review}) / ${requests} requests; ${logNote}`,
      };
    }
    if (validationCoverage !== undefined) {
      return {
        value: 1 - validationCoverage,
        unit: "share",
        source: "measured",
        note: `1 − coverage ${validationCoverage} at the threshold on validation data (model manifest); no requests logged, and traffic is usually harder than validation data: serve for a while to measure it`,
      };
    }
    return assumed(tcoDefaults.escalationRate);
  });
  const fallback = routing.fallback;
  const shadowRate = routing.shadowRate;
  const llmCallRate = figures.pick("llmCallRate", "LLM calls per request", () => {
    if (requests > 0) {
      return {
        value: Math.min(1, (totals.llmCalls + shadowCalls) / requests),
        unit: "LLM calls per request",
        source: "measured",
        note: `(${totals.llmCalls} logged LLM calls + ${shadowCalls} shadow comparisons) / ${requests} requests; ${logNote}`,
      };
    }
    const escalated = fallback === "llm" ? escalationRate.value : 0;
    return {
      value: Math.min(1, escalated + shadowRate * (1 - escalationRate.value)),
      unit: "LLM calls per request",
      source: "assumed",
      note: `no requests logged: escalation rate × (routing.fallback "${fallback}" ${fallback === "llm" ? "asks the LLM" : "never asks it"}) + routing.shadowRate ${shadowRate} × the rest`,
    };
  });
  const reviewRate = figures.pick("reviewRate", "share", () => {
    if (requests > 0) {
      return {
        value: totals.answeredBy.review / requests,
        unit: "share",
        source: "measured",
        note: `review ${totals.answeredBy.review} / ${requests} requests; ${logNote}`,
      };
    }
    return {
      value: fallback === "review" ? escalationRate.value : 0,
      unit: "share",
      source: "assumed",
      note: `no requests logged: routing.fallback "${fallback}" ${fallback === "review" ? "sends every escalation to a person" : "sends none to a person unless the LLM fails"}`,
    };
  });
  const cacheHitRate = figures.pick("cacheHitRate", "share", () =>
    requests > 0
      ? {
          value: totals.answeredBy.cache / requests,
          unit: "share",
          source: "measured",
          note: `cache ${totals.answeredBy.cache} / ${requests} requests; ${logNote}`,
        }
      : { value: 0, unit: "share", source: "assumed", note: "no requests logged: no cache hits counted on" },
  );
  const llmOnlyReviewRate = gatherLlmOnlyReviewRate(figures, log, fallback);
  const shares = { escalationRate, llmCallRate, reviewRate, cacheHitRate, llmOnlyReviewRate };
  return requests > 0 && llmUnreachable
    ? { ...shares, ...unreachableShares(figures, log, shadowCalls) }
    : shares;
}

/** The LLM's and people's shares of a log whose escalations went to people because the LLM was not reached. */
function unreachableShares(
  figures: FigurePicker,
  log: LogSummary,
  shadowCalls: number,
): Pick<TrafficShares, "llmCallRate" | "reviewRate" | "llmOnlyReviewRate"> {
  const { totals, note: logNote } = log;
  const { requests } = totals;
  const { review, llm } = totals.answeredBy;
  const noPeople = (name: "reviewRate" | "llmOnlyReviewRate", way: string) =>
    figures.pick(name, "share", () => ({
      value: 0,
      unit: "share",
      source: "assumed",
      note: `the LLM was not reached, so how often it would leave a request to a person is unknown: none assumed ${way}; ${tcoOverrideFlags.reviewRate} and ${tcoOverrideFlags.llmOnlyReviewRate} set both ways`,
    }));
  return {
    llmCallRate: figures.pick("llmCallRate", "LLM calls per request", () => ({
      value: Math.min(1, (llm + review + shadowCalls) / requests),
      unit: "LLM calls per request",
      source: "measured",
      note: `(${llm + review} escalated + ${shadowCalls} shadow comparisons) / ${requests} requests: the LLM was not reached (no LLM call logged), so what people answered instead (${review}) is priced as the LLM calls hybrid would make, as LLM-only prices every request; ${logNote}`,
    })),
    reviewRate: noPeople("reviewRate", "in hybrid, as in LLM-only"),
    llmOnlyReviewRate: noPeople("llmOnlyReviewRate", "in LLM-only, as in hybrid"),
  };
}

/**
 * What the LLM could not answer in hybrid would go to people in LLM-only too; the easy requests the small
 * model answered, the LLM would answer as well. So LLM-only's review share is hybrid's (measured over all
 * requests): people's cost cancels out of the comparison instead of tilting it towards hybrid.
 */
function gatherLlmOnlyReviewRate(
  figures: FigurePicker,
  { totals, note: logNote }: LogSummary,
  fallback: UseCase["routing"]["fallback"],
): TcoInput {
  return figures.pick("llmOnlyReviewRate", "share", () =>
    fallback === "llm" && totals.llmCalls > 0 && totals.requests > 0
      ? {
          value: totals.answeredBy.review / totals.requests,
          unit: "share",
          source: "measured",
          note: `review ${totals.answeredBy.review} / ${totals.requests} requests: the requests the LLM left to a person in hybrid would be left to one in LLM-only too (--llm-only-review-rate); ${logNote}`,
        }
      : {
          value: 0,
          unit: "share",
          source: "assumed",
          note: "no LLM answers logged to tell how often the LLM fails: people are assumed to answer nothing in LLM-only",
        },
  );
}

/** The volume of the logged range scaled to a 730-hour month; only when the range spans a day or more. */
export function gatherRequestsPerMonth(
  totals: RequestTotals,
  range: { since?: number | undefined; until?: number | undefined },
  overrides: TcoOverrides,
): TcoInput | undefined {
  const given = overrides.requestsPerMonth;
  if (given !== undefined) {
    return {
      value: given,
      unit: "requests/month",
      source: "configured",
      note: `given with ${tcoOverrideFlags.requestsPerMonth}`,
    };
  }
  const start = range.since ?? totals.firstAt;
  const end = range.until ?? totals.lastAt;
  if (totals.requests === 0 || start === null || end === null || end - start < dayMs) return undefined;
  const months = (end - start) / (hoursPerMonth * 3_600_000);
  return {
    value: totals.requests / months,
    unit: "requests/month",
    source: "measured",
    note: `${totals.requests} requests over ${((end - start) / dayMs).toFixed(1)} days (${isoDay(start)}..${isoDay(end)}), scaled to ${hoursPerMonth} h`,
  };
}

function isoDay(milliseconds: number): string {
  return new Date(milliseconds).toISOString().slice(0, 10);
}
