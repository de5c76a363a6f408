// The TCO text summary and HTML page: the chart, every input with its source and note, the formulas, escaping.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { formatMoney, formatTcoText, renderTcoChartSvg, renderTcoHtml } from "../../src/cost/report.js";
import { computeTco } from "../../src/cost/tco.js";
import type { TcoInput, TcoInputs } from "../../src/cost/types.js";

function inputs(changes: Partial<Record<string, number>> = {}): TcoInputs {
  const figures: Record<string, [number, TcoInput["source"]]> = {
    llmInputTokensPerCall: [412, "measured"],
    llmOutputTokensPerCall: [3, "measured"],
    llmPricePer1kInputUsd: [0.0025, "configured"],
    llmPricePer1kOutputUsd: [0.01, "configured"],
    escalationRate: [0.14, "measured"],
    llmCallRate: [0.13, "measured"],
    reviewRate: [0.004, "measured"],
    cacheHitRate: [0.08, "measured"],
    llmOnlyReviewRate: [0.002, "measured"],
    throughputPerSec: [30_000, "measured"],
    utilization: [0.08, "assumed"],
    machineUsdPerHour: [0.1, "assumed"],
    replicas: [2, "configured"],
    reviewCostUsdPerItem: [0.25, "assumed"],
    labelledItems: [2_000, "measured"],
    labelCostUsdPerItem: [0.08, "assumed"],
    teacherCostUsd: [3.5, "measured"],
    trainSeconds: [9.4, "measured"],
    amortizeMonths: [12, "assumed"],
    requestsPerMonth: [400_000, "measured"],
  };
  const result = { useCaseId: "support" } as TcoInputs;
  for (const [name, [value, source]] of Object.entries(figures)) {
    (result as unknown as Record<string, TcoInput>)[name] = {
      value: changes[name] ?? value,
      unit: "unit",
      source,
      note: `note of ${name} <from> "here" & there`,
    };
  }
  return result;
}

describe("TCO reports", () => {
  test("the HTML page holds the SVG chart, every input with its source and escaped note, and the formulas", () => {
    const report = computeTco(inputs(), { now: Date.UTC(2026, 10, 28) });
    const html = renderTcoHtml(report);
    assert.match(html, /^<!doctype html>/);
    assert.match(html, /<svg class="tco-chart"[^>]*role="img"/);
    for (const way of ["llmOnly", "slmOnly", "hybrid"])
      assert.match(html, new RegExp(`data-way="${way}" d="M`));
    assert.match(html, /<g class="break-even">/);
    assert.match(html, /<g class="current">/);
    for (const [name, input] of Object.entries(report.inputs)) {
      const rowPattern = new RegExp(
        `<code>${name}</code></th><td>[^<]+</td><td class="text">unit</td><td class="text"><span class="source source-${input.source}">${input.source}</span></td><td class="text">note of ${name} &lt;from&gt; &quot;here&quot; &amp; there</td>`,
      );
      assert.match(html, rowPattern, `row of ${name}`);
    }
    assert.ok(!html.includes("<from>"), "notes are escaped");
    for (const formula of report.formulas) {
      const escaped = formula.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
      assert.ok(html.includes(escaped), `formula shown: ${formula}`);
    }
    // Self-contained: no scripts, no fetched resources.
    assert.ok(!/<script|<link|src=|@import|url\(/i.test(html));
  });

  test("the chart puts the break-even where hybrid and LLM-only meet", () => {
    const report = computeTco(inputs(), { now: 0 });
    const svg = renderTcoChartSvg(report, { width: 700, height: 400, idPrefix: "dash" });
    assert.match(svg, /aria-labelledby="dash-title dash-desc"/);
    const marker = /<circle class="break-even-dot" cx="([\d.]+)" cy="([\d.]+)"/.exec(svg);
    assert.ok(marker !== null, "a break-even dot");
    // The dot lies on both lines: find each path's segment spanning its x and compare heights.
    const heightAt = (way: string) => {
      const path = new RegExp(`data-way="${way}" d="([^"]+)"`).exec(svg)?.[1] ?? "";
      const points = [...path.matchAll(/[ML]([\d.]+) ([\d.]+)/g)].map((match) => [
        Number(match[1]),
        Number(match[2]),
      ]);
      const x = Number(marker[1]);
      const index = points.findIndex(([pointX]) => (pointX as number) >= x);
      const [x1, y1] = points[index - 1] as number[];
      const [x2, y2] = points[index] as number[];
      return (
        (y1 as number) +
        (((y2 as number) - (y1 as number)) * (x - (x1 as number))) / ((x2 as number) - (x1 as number) || 1)
      );
    };
    const y = Number(marker[2]);
    assert.ok(
      Math.abs(heightAt("hybrid") - y) < 1.5,
      `hybrid line at the dot (${heightAt("hybrid")} vs ${y})`,
    );
    assert.ok(
      Math.abs(heightAt("llmOnly") - y) < 1.5,
      `LLM-only line at the dot (${heightAt("llmOnly")} vs ${y})`,
    );
  });

  test("without a break-even the chart has no marker and the text says never", () => {
    const report = computeTco(inputs({ reviewRate: 0.05 }), { now: 0 });
    assert.equal(report.breakEvenRequestsPerMonth, null);
    assert.ok(!renderTcoChartSvg(report).includes(`<circle class="break-even-dot"`));
    assert.match(formatTcoText(report), /Hybrid cheaper than LLM-only above: {3}never/);
  });

  test("the text summary lists cost per 1K, cost by volume, every input with its source, and the formulas", () => {
    const report = computeTco(inputs(), { now: 0 });
    const text = formatTcoText(report);
    assert.match(text, new RegExp(`Per 1,000 requests\\s+\\${formatMoney(report.perThousand.llmOnly)}`));
    assert.match(text, /^\s+100,000,000\s/m);
    assert.match(text, /break-even$/m);
    assert.match(text, /now$/m);
    for (const [name, input] of Object.entries(report.inputs)) {
      assert.match(
        text,
        new RegExp(`^  ${name}\\s+[\\d.,]+\\s+unit\\s+${input.source}\\s+note of ${name}`, "m"),
      );
    }
    for (const formula of report.formulas) assert.ok(text.includes(formula));
  });

  test("a curve from 0 requests a month still gives its tables, from the first positive decade", () => {
    // Volumes are the caller's (ComputeTcoOptions.volumes); 0 once made the tables loop until memory ran out.
    const report = computeTco(inputs(), { now: 0, volumes: [0, 1_000, 1_000_000] });
    const text = formatTcoText(report);
    assert.match(text, /^\s+1,000\s/m);
    assert.match(text, /^\s+1,000,000\s/m);
    assert.ok(renderTcoHtml(report).includes("<svg"));
  });

  test("money reads naturally at every size", () => {
    assert.equal(formatMoney(0), "$0");
    assert.equal(formatMoney(0.0585123), "$0.0585");
    assert.equal(formatMoney(12.345), "$12.35");
    assert.equal(formatMoney(123_456.7), "$123,457");
  });
});
