// Below a minimum of logged requests a cost report gives the local share's interval and the costs across it,
// never a verdict.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  assessSample,
  defaultMinimumSample,
  wilsonInterval,
  withEscalationRate,
} from "../../src/cost/sample.js";
import { computeTco } from "../../src/cost/tco.js";
import type { TcoInput, TcoInputs } from "../../src/cost/types.js";

const input = (value: number, source: TcoInput["source"] = "assumed"): TcoInput => ({
  value,
  unit: "x",
  source,
  note: "test",
});

/** A deployment where hybrid wins at scale: cheap machine, an LLM call of $0.0005, a tenth escalated. */
function inputs(changes: Partial<TcoInputs> = {}): TcoInputs {
  return {
    useCaseId: "support",
    llmInputTokensPerCall: input(1000),
    llmOutputTokensPerCall: input(10),
    llmPricePer1kInputUsd: input(0.0004, "configured"),
    llmPricePer1kOutputUsd: input(0.01, "configured"),
    escalationRate: input(0.1, "measured"),
    llmCallRate: input(0.1, "measured"),
    reviewRate: input(0, "measured"),
    cacheHitRate: input(0, "measured"),
    llmOnlyReviewRate: input(0),
    throughputPerSec: input(10_000, "measured"),
    utilization: input(0.08),
    machineUsdPerHour: input(0.1),
    replicas: input(1),
    reviewCostUsdPerItem: input(0.25),
    labelledItems: input(0),
    labelCostUsdPerItem: input(0.08),
    teacherCostUsd: input(0),
    trainSeconds: input(60),
    amortizeMonths: input(12),
    ...changes,
  };
}

describe("the local share's interval", () => {
  test("is the Wilson score interval at 95%", () => {
    const nine = wilsonInterval(8, 9);
    assert.equal(nine.value, 8 / 9);
    assert.ok(Math.abs(nine.low - 0.565) < 5e-4, String(nine.low));
    assert.ok(Math.abs(nine.high - 0.9801) < 5e-4, String(nine.high));
    // All local: the interval still reaches below 100%, as a small sample must.
    const all = wilsonInterval(200, 200);
    assert.equal(all.high, 1);
    assert.ok(all.low > 0.98 && all.low < 0.99, String(all.low));
    assert.deepEqual([wilsonInterval(0, 0).low, wilsonInterval(0, 0).high], [0, 1]);
  });

  test("moves the hybrid's LLM calls and people's answers with the escalation rate, in the logged split", () => {
    const split = inputs({
      escalationRate: input(0.2, "measured"),
      llmCallRate: input(0.15, "measured"),
      reviewRate: input(0.05, "measured"),
    });
    const doubled = withEscalationRate(split, 0.4);
    assert.ok(Math.abs(doubled.llmCallRate.value - 0.3) < 1e-12);
    assert.ok(Math.abs(doubled.reviewRate.value - 0.1) < 1e-12);
    // Nothing escalated in the log: each escalation is priced as an LLM call.
    const none = withEscalationRate(inputs({ escalationRate: input(0, "measured") }), 0.25);
    assert.deepEqual([none.llmCallRate.value, none.reviewRate.value], [0.25, 0]);
  });
});

describe("a verdict needs enough logged requests", () => {
  test(`below ${defaultMinimumSample} requests: no break-even verdict, the range of costs instead`, () => {
    const report = computeTco(inputs({ trafficSample: { requests: 9, local: 8, note: "request log" } }));
    const sample = report.sample;
    assert.ok(sample !== undefined && !sample.sufficient);
    assert.equal(sample.requests, 9);
    assert.ok(sample.localShare !== null && sample.range !== null);
    assert.ok(sample.localShare.low < 8 / 9 && sample.localShare.high > 8 / 9);
    // The measured point lies inside the range of hybrid's cost per 1K.
    assert.ok(sample.range.hybridPerThousand.low <= report.perThousand.hybrid);
    assert.ok(sample.range.hybridPerThousand.high >= report.perThousand.hybrid);
    assert.match(
      report.verdict ?? "",
      /^Too few requests logged for a verdict \(9 of the 200 needed\): the local share 88\.9% lies between 56\.5% and 98\.0% \(95% interval\), so hybrid costs \$[\d.]+ to \$[\d.]+ per 1,000 requests against LLM-only's \$[\d.]+, and/,
    );
    assert.doesNotMatch(report.verdict ?? "", /never cheaper|is cheaper than LLM-only above/);
  });

  test("with enough requests, or an escalation rate given outright, the break-even is the verdict", () => {
    const logged = computeTco(inputs({ trafficSample: { requests: 500, local: 450, note: "request log" } }));
    assert.equal(logged.sample?.sufficient, true);
    assert.match(logged.verdict ?? "", /^Hybrid is cheaper than LLM-only above [\d,]+ requests\/month/);
    const given = computeTco(
      inputs({
        escalationRate: input(0.1, "configured"),
        trafficSample: { requests: 9, local: 8, note: "request log" },
      }),
    );
    assert.equal(given.sample?.sufficient, true);
    const lower = computeTco(inputs({ trafficSample: { requests: 9, local: 8, note: "log" } }), {
      minimumSample: 5,
    });
    assert.equal(lower.sample?.sufficient, true, "--min-sample lowers the bar");
  });

  test("no request logged: the share is the model's estimate, and anything from 0% to 100% until traffic comes", () => {
    const sample = assessSample(
      inputs({ trafficSample: { requests: 0, local: 0, note: "request log, 0 requests" } }),
      defaultMinimumSample,
      (adjusted) => ({
        hybridPerThousand: adjusted.escalationRate.value,
        slmOnlyPerThousand: 0,
        breakEvenRequestsPerMonth: null,
      }),
    );
    assert.deepEqual(
      [sample.localShare?.value, sample.localShare?.low, sample.localShare?.high],
      [0.9, 0, 1],
    );
    assert.deepEqual(sample.range?.hybridPerThousand, { low: 0, high: 1 });
    const report = computeTco(inputs({ trafficSample: { requests: 0, local: 0, note: "log" } }));
    assert.match(report.verdict ?? "", /^No requests logged yet, and a verdict needs 200/);
  });
});
