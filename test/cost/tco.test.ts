// The TCO model: every figure reproduces by hand from the inputs shown, break-even, capacity steps, properties.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { computeTco, tcoMonthlyCostAt } from "../../src/cost/tco.js";
import type { TcoInput, TcoInputs, TcoReport } from "../../src/cost/types.js";
import { SlmkitError } from "../../src/errors.js";

function input(value: number, source: TcoInput["source"] = "measured"): TcoInput {
  return { value, unit: "unit", source, note: "test" };
}

/** A hybrid that pays off: gpt-4o prices, a 14% escalation rate, a few reviews. */
function sampleInputs(
  changes: Partial<Record<Exclude<keyof TcoInputs, "useCaseId">, number>> = {},
): TcoInputs {
  const figures = {
    llmInputTokensPerCall: 412,
    llmOutputTokensPerCall: 3,
    llmPricePer1kInputUsd: 0.0025,
    llmPricePer1kOutputUsd: 0.01,
    escalationRate: 0.14,
    llmCallRate: 0.13,
    reviewRate: 0.004,
    cacheHitRate: 0.08,
    llmOnlyReviewRate: 0.002,
    throughputPerSec: 30_000,
    utilization: 0.08,
    machineUsdPerHour: 0.1,
    replicas: 2,
    reviewCostUsdPerItem: 0.25,
    labelledItems: 2_000,
    labelCostUsdPerItem: 0.08,
    teacherCostUsd: 3.5,
    trainSeconds: 9.4,
    amortizeMonths: 12,
    ...changes,
  };
  const inputs: TcoInputs = { useCaseId: "support" } as TcoInputs;
  for (const [name, value] of Object.entries(figures)) {
    (inputs as unknown as Record<string, TcoInput>)[name] = input(value);
  }
  return inputs;
}

function close(actual: number, expected: number, what: string, relative = 1e-9): void {
  const tolerance = relative * Math.max(1, Math.abs(expected));
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} != ${expected}`);
}

/** The cost model written again from the report's inputs alone, independently of src/cost/tco.ts. */
function byHand(report: TcoReport) {
  const v = (name: string): number => {
    const found = report.inputs[name];
    assert.ok(found !== undefined, `the report shows input ${name}`);
    return found.value;
  };
  const perCall =
    (v("llmInputTokensPerCall") * v("llmPricePer1kInputUsd") +
      v("llmOutputTokensPerCall") * v("llmPricePer1kOutputUsd")) /
    1000;
  const review = v("reviewCostUsdPerItem");
  const llmOnly = 1000 * (1 - v("cacheHitRate")) * perCall + 1000 * v("llmOnlyReviewRate") * review;
  const requestsPerHour = v("throughputPerSec") * v("utilization") * 3600;
  const machinePer1k = (1000 * v("machineUsdPerHour")) / requestsPerHour;
  const hybridVariable = 1000 * v("llmCallRate") * perCall + 1000 * v("reviewRate") * review;
  const slmVariable = 1000 * v("escalationRate") * review;
  const machineMonth = v("machineUsdPerHour") * 730;
  const oneOff =
    v("labelledItems") * v("labelCostUsdPerItem") +
    v("teacherCostUsd") +
    (v("trainSeconds") * v("machineUsdPerHour")) / 3600;
  const amortized = oneOff / v("amortizeMonths");
  const perMachine = requestsPerHour * 730;
  const machines = (volume: number) => Math.max(v("replicas"), Math.ceil(volume / perMachine - 1e-9));
  return {
    perCall,
    llmOnly,
    hybrid: machinePer1k + hybridVariable,
    slmOnly: machinePer1k + slmVariable,
    fixed: v("replicas") * machineMonth + amortized,
    breakEvenWhileReplicasSuffice:
      (v("replicas") * machineMonth + amortized) / ((llmOnly - hybridVariable) / 1000),
    monthly(volume: number) {
      const fixed = machines(volume) * machineMonth + amortized;
      return {
        llmOnly: (volume / 1000) * llmOnly,
        hybrid: fixed + (volume / 1000) * hybridVariable,
        slmOnly: fixed + (volume / 1000) * slmVariable,
        machines: machines(volume),
      };
    },
  };
}

/** The numbers on the right of a formula's first " = ", commas dropped: "… = 412 × $0.0025 = $1.03" → [412, 0.0025, 1.03]. */
function numbersAfterEquals<T extends number[]>(formula: string, count: T["length"]): T {
  const right = formula.slice(formula.indexOf(" = ") + 3);
  const numbers = (right.match(/\d[\d,]*(?:\.\d+)?/g) ?? []).map((text) => Number(text.replaceAll(",", "")));
  assert.equal(numbers.length, count, `${count} numbers in "${formula}"`);
  return numbers as T;
}

type Numbers<N extends number, Collected extends number[] = []> = Collected["length"] extends N
  ? Collected
  : Numbers<N, [...Collected, number]>;

function formulaStarting(report: TcoReport, start: string): string {
  const found = report.formulas.find((formula) => formula.startsWith(start));
  assert.ok(found !== undefined, `a formula starts with "${start}"`);
  return found;
}

describe("computeTco", () => {
  test("every figure reproduces by hand from the inputs the report shows", () => {
    const report = computeTco(sampleInputs(), { now: 0 });
    const hand = byHand(report);
    close(report.breakdown.llmCostPerCallUsd, hand.perCall, "LLM cost per call");
    close(report.perThousand.llmOnly, hand.llmOnly, "LLM-only per 1K");
    close(report.perThousand.hybrid, hand.hybrid, "hybrid per 1K");
    close(report.perThousand.slmOnly, hand.slmOnly, "SLM-only per 1K");
    close(report.monthlyFixedUsd, hand.fixed, "monthly fixed");
    assert.ok(report.breakEvenRequestsPerMonth !== null);
    close(report.breakEvenRequestsPerMonth, hand.breakEvenWhileReplicasSuffice, "break-even");
    assert.ok(report.curve.length >= 17, "4 volumes a decade from 10K to 100M at least");
    for (const point of report.curve) {
      const expected = hand.monthly(point.requestsPerMonth);
      close(point.llmOnly, expected.llmOnly, `LLM-only at ${point.requestsPerMonth}`);
      close(point.hybrid, expected.hybrid, `hybrid at ${point.requestsPerMonth}`);
      close(point.slmOnly, expected.slmOnly, `SLM-only at ${point.requestsPerMonth}`);
      assert.equal(point.machines, expected.machines);
    }
  });

  test("the formulas carry the numbers: each one's result follows from the figures written in it", () => {
    const report = computeTco(sampleInputs(), { now: 0 });
    // 6 significant digits are written, so a hand calculation from the text agrees to about 1e-5.
    const loose = 2e-5;
    const [inTokens, , priceIn, outTokens, , priceOut, perCall] = numbersAfterEquals<Numbers<7>>(
      formulaStarting(report, "LLM cost per call"),
      7,
    );
    assert.equal(inTokens, 412);
    assert.equal(priceIn, 0.0025);
    close((inTokens / 1000) * priceIn + (outTokens / 1000) * priceOut, perCall, "per call", loose);
    const [llmShare, reviewShare, llmOnly] = numbersAfterEquals<Numbers<3>>(
      formulaStarting(report, "LLM-only per 1K"),
      3,
    );
    close(llmShare + reviewShare, llmOnly, "LLM-only per 1K from its parts", loose);
    const [machine, llm, review, hybrid] = numbersAfterEquals<Numbers<4>>(
      formulaStarting(report, "Hybrid per 1K"),
      4,
    );
    close(machine + llm + review, hybrid, "hybrid per 1K from its parts", loose);
    close(hybrid, report.perThousand.hybrid, "hybrid per 1K as reported", loose);
    const [replicas, hourly, hours, oneOff, months, fixed] = numbersAfterEquals<Numbers<6>>(
      formulaStarting(report, "Monthly fixed"),
      6,
    );
    assert.equal(hours, 730);
    close(replicas * hourly * hours + oneOff / months, fixed, "monthly fixed", loose);
    const [machines, machineMonth, amortized, llmOnlyAgain, variable, , breakEven] = numbersAfterEquals<
      Numbers<7>
    >(formulaStarting(report, "Break-even V*"), 7);
    close(
      (machines * machineMonth + amortized) / ((llmOnlyAgain - variable) / 1000),
      breakEven,
      "break-even from its formula",
      1e-4,
    );
  });

  test("at the break-even both cost the same; below it LLM-only is cheaper, above it hybrid", () => {
    const report = computeTco(sampleInputs(), { now: 0 });
    const breakEven = report.breakEvenRequestsPerMonth;
    assert.ok(breakEven !== null && breakEven > 10_000);
    const at = tcoMonthlyCostAt(report, breakEven);
    close(at.hybrid, at.llmOnly, "costs at the break-even", 1e-9);
    for (const factor of [0.01, 0.5, 0.99]) {
      const below = tcoMonthlyCostAt(report, breakEven * factor);
      assert.ok(below.llmOnly < below.hybrid, `LLM-only cheaper at ${factor} × break-even`);
    }
    for (const factor of [1.01, 2, 100]) {
      const above = tcoMonthlyCostAt(report, breakEven * factor);
      assert.ok(above.hybrid < above.llmOnly, `hybrid cheaper at ${factor} × break-even`);
    }
    assert.ok(
      report.curve.some((point) => point.requestsPerMonth === breakEven),
      "the curve includes the break-even",
    );
  });

  test("no break-even when hybrid's variable cost per 1K is not below LLM-only's", () => {
    // Reviews at 1% of requests cost $2.50 per 1K, far more than gpt-4o-mini's LLM calls.
    const report = computeTco(
      sampleInputs({
        llmPricePer1kInputUsd: 0.00015,
        llmPricePer1kOutputUsd: 0.0006,
        reviewRate: 0.01,
        llmOnlyReviewRate: 0,
      }),
      { now: 0 },
    );
    assert.ok(report.perThousand.hybrid >= report.perThousand.llmOnly);
    assert.equal(report.breakEvenRequestsPerMonth, null);
    assert.match(formulaStarting(report, "Break-even"), /none/);
    for (const point of report.curve) assert.ok(point.hybrid > point.llmOnly);
  });

  test("SLM-only breaks even too when people cost less than the LLM calls they replace", () => {
    const report = computeTco(sampleInputs({ reviewCostUsdPerItem: 0.001 }), { now: 0 });
    const breakEven = report.breakEvenSlmOnlyRequestsPerMonth;
    assert.ok(breakEven !== null);
    const at = tcoMonthlyCostAt(report, breakEven);
    close(at.slmOnly, at.llmOnly, "SLM-only and LLM-only at their break-even");
  });

  test("capacity: past what the replicas serve, machines are added and the cost steps up by a machine-month", () => {
    const report = computeTco(sampleInputs({ throughputPerSec: 1, utilization: 1, replicas: 1 }), { now: 0 });
    const perMachine = 3600 * 730;
    assert.equal(report.breakdown.requestsPerMachinePerMonth, perMachine);
    const full = tcoMonthlyCostAt(report, perMachine);
    const over = tcoMonthlyCostAt(report, perMachine + 1);
    assert.equal(full.machines, 1);
    assert.equal(over.machines, 2);
    close(
      over.hybrid - full.hybrid,
      0.1 * 730 +
        report.breakdown.hybridLlmUsdPerThousand / 1000 +
        report.breakdown.hybridReviewUsdPerThousand / 1000,
      "step",
    );
    assert.equal(tcoMonthlyCostAt(report, 10 * perMachine).machines, 10);
    assert.ok(
      report.notes.some((note) => /machines are added/.test(note)),
      "a note says machines are added",
    );
    // The chart shows the jump: the curve holds the last volume of a machine and one request more.
    assert.ok(report.curve.some((point) => point.requestsPerMonth === perMachine));
    assert.ok(report.curve.some((point) => point.requestsPerMonth === perMachine + 1));
  });

  test("the break-even past the replicas' capacity is where hybrid stays cheaper for good", () => {
    // A machine serves 2.6M requests a month and costs $73; at $0.03 saved per 1K requests it pays for itself
    // only from 2.4M requests: the first volume past which hybrid never costs more again sits in a later band.
    const inputs = sampleInputs({
      throughputPerSec: 1,
      utilization: 1,
      replicas: 1,
      llmPricePer1kInputUsd: 0.0002,
      llmPricePer1kOutputUsd: 0.0008,
      reviewRate: 0,
      llmOnlyReviewRate: 0,
      labelledItems: 20_000,
    });
    const report = computeTco(inputs, { now: 0 });
    const breakEven = report.breakEvenRequestsPerMonth;
    assert.ok(breakEven !== null);
    const perMachine = report.breakdown.requestsPerMachinePerMonth;
    assert.ok(breakEven > perMachine, `break-even ${breakEven} is past one machine's ${perMachine}`);
    const at = tcoMonthlyCostAt(report, breakEven);
    close(at.hybrid, at.llmOnly, "costs at the break-even");
    for (let volume = breakEven * 1.0001; volume < breakEven * 50; volume *= 1.05) {
      const point = tcoMonthlyCostAt(report, volume);
      assert.ok(point.hybrid <= point.llmOnly * (1 + 1e-12), `hybrid not dearer at ${volume}`);
    }
    const justBelow = tcoMonthlyCostAt(report, breakEven * 0.999);
    assert.ok(justBelow.llmOnly < justBelow.hybrid);
    assert.ok(report.notes.some((note) => /replicas are full/.test(note)));
  });

  test("no break-even when the machines hybrid needs cost more per 1K than the LLM calls it saves", () => {
    // $2/h machines serving 1 request/s: $0.556 per 1K, against $0.325 per 1K of LLM calls saved.
    const report = computeTco(
      sampleInputs({
        throughputPerSec: 1,
        utilization: 1,
        replicas: 1,
        machineUsdPerHour: 2,
        llmPricePer1kInputUsd: 0.001,
        llmPricePer1kOutputUsd: 0,
        reviewRate: 0,
        llmOnlyReviewRate: 0,
        labelledItems: 0,
        teacherCostUsd: 0,
        trainSeconds: 0,
      }),
      { now: 0 },
    );
    const saved = report.perThousand.llmOnly - report.breakdown.hybridLlmUsdPerThousand;
    assert.ok(saved > 0 && report.breakdown.machineUsdPerThousand > saved);
    assert.equal(report.breakEvenRequestsPerMonth, null);
    assert.match(formulaStarting(report, "Break-even"), /machine share included/);
    for (let volume = 1000; volume < 1e9; volume *= 1.3) {
      const point = tcoMonthlyCostAt(report, volume);
      assert.ok(point.hybrid > point.llmOnly, `hybrid dearer at ${volume}`);
    }
  });

  test("inputs keep their source and note; assumed ones are listed in the notes", () => {
    const inputs = sampleInputs();
    inputs.machineUsdPerHour = { value: 0.1, unit: "USD per hour", source: "assumed", note: "a small VM" };
    inputs.llmPricePer1kInputUsd = {
      value: 0.0025,
      unit: "USD per 1K tokens",
      source: "configured",
      note: "usecase.yaml",
    };
    const report = computeTco(inputs, { now: 0 });
    assert.deepEqual(report.inputs.machineUsdPerHour, inputs.machineUsdPerHour);
    assert.equal(report.inputs.llmPricePer1kInputUsd?.source, "configured");
    assert.equal(report.inputs.escalationRate?.source, "measured");
    const assumedNote = report.notes.find((note) => /inputs are assumed/.test(note));
    assert.ok(assumedNote !== undefined);
    assert.match(assumedNote, /^1 of the inputs are assumed \(machineUsdPerHour\)/);
  });

  test("a note gives the break-even on LLM calls and machines alone, people's time left out of both ways", () => {
    const report = computeTco(sampleInputs(), { now: 0 });
    const hand = byHand(report);
    const v = (name: string) => report.inputs[name]?.value as number;
    const saved = 1000 * (1 - v("cacheHitRate")) * hand.perCall - 1000 * v("llmCallRate") * hand.perCall;
    const withoutPeople = Math.round(hand.fixed / (saved / 1000));
    const note = report.notes.find((text) => text.startsWith("People answering requests cost"));
    assert.ok(note !== undefined);
    assert.ok(
      note.includes(`above ${withoutPeople.toLocaleString("en-US")} requests/month`),
      `${note} names ${withoutPeople}`,
    );
    const noPeople = computeTco(sampleInputs({ reviewRate: 0, llmOnlyReviewRate: 0 }), { now: 0 });
    assert.ok(!noPeople.notes.some((text) => text.startsWith("People answering requests cost")));
  });

  test("the use case's cost target is compared with each way's cost per 1K", () => {
    const inputs = sampleInputs();
    inputs.targetCostPer1kRequestsUsd = input(0.5, "configured");
    const report = computeTco(inputs, { now: 0 });
    assert.ok(report.costTarget !== null);
    assert.equal(report.costTarget.perThousandUsd, 0.5);
    // Hybrid: $0.138 of LLM calls + $1 of reviews; LLM-only: $0.97 of calls + $0.50 of reviews.
    assert.deepEqual(report.costTarget.met, { llmOnly: false, slmOnly: false, hybrid: false });
    inputs.targetCostPer1kRequestsUsd = input(1.2, "configured");
    assert.deepEqual(computeTco(inputs, { now: 0 }).costTarget?.met, {
      llmOnly: false,
      slmOnly: false,
      hybrid: true,
    });
    assert.equal(computeTco(sampleInputs(), { now: 0 }).costTarget, null);
  });

  test("the volume served now gets its own costs and a place on the curve", () => {
    const inputs = sampleInputs();
    inputs.requestsPerMonth = input(250_000);
    const report = computeTco(inputs, { now: 0 });
    assert.ok(report.atCurrentVolume !== null);
    assert.equal(report.atCurrentVolume.requestsPerMonth, 250_000);
    close(report.atCurrentVolume.hybrid, byHand(report).monthly(250_000).hybrid, "hybrid now");
    assert.ok(report.curve.some((point) => point.requestsPerMonth === 250_000));
    assert.equal(computeTco(sampleInputs(), { now: 0 }).atCurrentVolume, null);
  });

  test("unusable inputs are INVALID_OPTION errors naming the input", () => {
    const cases: [Partial<Record<Exclude<keyof TcoInputs, "useCaseId">, number>>, string][] = [
      [{ escalationRate: 1.2 }, "escalationRate"],
      [{ machineUsdPerHour: -1 }, "machineUsdPerHour"],
      [{ throughputPerSec: 0 }, "throughputPerSec"],
      [{ utilization: 0 }, "utilization"],
      [{ replicas: 1.5 }, "replicas"],
      [{ amortizeMonths: 0 }, "amortizeMonths"],
      [{ labelledItems: Number.NaN }, "labelledItems"],
    ];
    for (const [changes, field] of cases) {
      assert.throws(
        () => computeTco(sampleInputs(changes)),
        (error: unknown) =>
          SlmkitError.isInstance(error) && error.code === "INVALID_OPTION" && error.field === field,
        field,
      );
    }
  });

  test("property: costs are non-negative and never fall as volume grows; above the break-even hybrid never costs more", () => {
    const share = fc.double({ min: 0, max: 1, noNaN: true });
    const amount = (max: number) => fc.double({ min: 0, max, noNaN: true });
    fc.assert(
      fc.property(
        fc.record({
          llmInputTokensPerCall: amount(5000),
          llmOutputTokensPerCall: amount(500),
          llmPricePer1kInputUsd: amount(0.05),
          llmPricePer1kOutputUsd: amount(0.1),
          escalationRate: share,
          llmCallRate: share,
          reviewRate: share,
          cacheHitRate: share,
          llmOnlyReviewRate: share,
          throughputPerSec: fc.double({ min: 0.01, max: 1e6, noNaN: true }),
          utilization: fc.double({ min: 0.001, max: 1, noNaN: true }),
          machineUsdPerHour: amount(10),
          replicas: fc.integer({ min: 1, max: 8 }),
          reviewCostUsdPerItem: amount(2),
          labelledItems: fc.integer({ min: 0, max: 1_000_000 }),
          labelCostUsdPerItem: amount(1),
          teacherCostUsd: amount(10_000),
          trainSeconds: amount(100_000),
          amortizeMonths: fc.double({ min: 0.5, max: 60, noNaN: true }),
        }),
        (figures) => {
          const report = computeTco(sampleInputs(figures), { now: 0 });
          for (const value of Object.values(report.perThousand)) assert.ok(value >= 0);
          assert.ok(report.monthlyFixedUsd >= 0);
          let previous: TcoReport["curve"][number] | undefined;
          for (const point of report.curve) {
            for (const way of ["llmOnly", "slmOnly", "hybrid"] as const) {
              assert.ok(point[way] >= 0, `${way} ≥ 0`);
              if (previous !== undefined)
                assert.ok(point[way] >= previous[way] - 1e-9 * Math.abs(previous[way]));
            }
            previous = point;
          }
          const breakEven = report.breakEvenRequestsPerMonth;
          if (breakEven !== null) {
            for (const factor of [1.001, 1.5, 10, 1000]) {
              const point = tcoMonthlyCostAt(report, breakEven * factor);
              assert.ok(
                point.hybrid <= point.llmOnly * (1 + 1e-9) + 1e-9,
                `hybrid ≤ LLM-only at ${factor} × V*`,
              );
            }
          }
        },
      ),
      { numRuns: 300, seed: 20261128 },
    );
  });
});
