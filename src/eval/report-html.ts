// Renders an evaluation report as one self-contained HTML page: inline CSS and hand-drawn inline SVG, no scripts.

import type { ClassificationEvalReport } from "./evaluate.js";
import { topConfusedPairs } from "./metrics.js";
import {
  formatBytes,
  formatCount,
  formatDecimal,
  formatMilliseconds,
  formatPercent,
  formatQuantity,
  formatSeconds,
} from "./number-format.js";
import { standardAccuracyTargets } from "./selective.js";

/**
 * One HTML file that opens offline and anywhere (no CDN, fonts or scripts): headline figures, a
 * reliability diagram, the coverage-vs-accuracy curve, a confusion heat map with the top confused
 * pairs, a per-class table, out-of-scope figures and latency. Every label is HTML-escaped: labels
 * come from user data.
 */
export function renderEvalHtml(report: ClassificationEvalReport): string {
  const title = `slmkit evaluation: ${report.model}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="slmkit">
<title>${escapeHtml(title)}</title>
<style>${styles}</style>
</head>
<body>
<main>
<header>
<h1>Evaluation of <code>${escapeHtml(report.model)}</code></h1>
<p class="muted">${formatQuantity(report.n, "in-scope test text")}${report.outOfScope.n > 0 ? `, ${formatCount(report.outOfScope.n)} out of scope` : ""} · created ${escapeHtml(report.createdAt)}</p>
</header>
${headlineSection(report)}
<div class="charts">
${reliabilitySection(report)}
${coverageSection(report)}
</div>
${confusionSection(report)}
${perClassSection(report)}
${outOfScopeSection(report)}
${performanceSection(report)}
</main>
</body>
</html>
`;
}

/** Escapes text for HTML element content and quoted attribute values alike. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => htmlEntities[character] ?? character);
}

const htmlEntities: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

// Colours checked for at least 4.5:1 contrast on white where they carry text.
const styles = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #ffffff; color: #111827; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 1.5rem; margin: 0 0 4px; overflow-wrap: anywhere; }
h2 { font-size: 1.15rem; margin: 32px 0 8px; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 0.95em; }
.muted { color: #4b5563; margin: 0; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(160px, 1fr)); gap: 12px; margin: 20px 0 0; padding: 0; list-style: none; }
.card { border: 1px solid #d1d5db; border-radius: 8px; padding: 10px 12px; }
.card .value { display: block; font-size: 1.4rem; font-weight: 600; }
.card .name { display: block; color: #4b5563; font-size: 0.85rem; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(340px, 1fr)); gap: 24px; }
figure { margin: 0; }
figcaption { color: #4b5563; font-size: 0.9rem; margin-top: 4px; }
svg { max-width: 100%; height: auto; display: block; }
svg text { font: 11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; fill: #374151; }
svg .grid { stroke: #e5e7eb; stroke-width: 1; }
svg .axis { stroke: #6b7280; stroke-width: 1; }
svg .diagonal { stroke: #6b7280; stroke-width: 1.5; stroke-dasharray: 5 4; }
svg .bar { fill: #2563eb; }
svg .count { fill: #6b7280; }
svg .mean { stroke: #b91c1c; stroke-width: 2; }
svg .curve { fill: none; stroke: #1d4ed8; stroke-width: 2; }
svg .target { stroke: #9ca3af; stroke-width: 1; stroke-dasharray: 3 3; }
svg .target-mark { fill: #ffffff; stroke: #374151; stroke-width: 1.5; }
svg .threshold { fill: #b91c1c; stroke: #ffffff; stroke-width: 1.5; }
svg .matrix { fill: #f9fafb; stroke: #d1d5db; }
svg .cell-text { font-size: 10px; font-weight: 600; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
caption { text-align: left; color: #4b5563; padding-bottom: 6px; }
th, td { padding: 4px 8px; border-bottom: 1px solid #e5e7eb; text-align: right; }
th:first-child, td:first-child { text-align: left; overflow-wrap: anywhere; }
thead th { border-bottom: 2px solid #d1d5db; }
.table-scroll { max-height: 480px; overflow: auto; border: 1px solid #e5e7eb; border-radius: 6px; }
.pairs { padding-left: 1.5em; }
.legend { display: flex; gap: 16px; flex-wrap: wrap; color: #4b5563; font-size: 0.9rem; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; vertical-align: -1px; margin-right: 4px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; }
dl.facts dt { color: #4b5563; }
dl.facts dd { margin: 0; }
`;

function headlineSection(report: ClassificationEvalReport): string {
  const cards: [string, string][] = [
    ["Accuracy", formatPercent(report.accuracy)],
    ["Macro-F1", formatDecimal(report.macroF1)],
    ["ECE (15 bins)", formatDecimal(report.ece)],
    [
      `Threshold${report.targetAccuracy === null ? "" : ` (target ${formatPercent(report.targetAccuracy)})`}`,
      formatDecimal(report.threshold, 4),
    ],
    ["Coverage at threshold", formatPercent(report.coverage)],
    ["Accepted accuracy", formatPercent(report.acceptedAccuracy)],
    ...standardAccuracyTargets.map((target): [string, string] => [
      `Coverage at ${formatPercent(target, 0)} accuracy`,
      formatPercent(report.coverageAt[coverageKey(target)]),
    ]),
    ["Latency p95 (1 text)", formatMilliseconds(report.latencyMs.p95)],
    ["Throughput", `${formatCount(report.throughputPerSec)}/s`],
  ];
  if (report.modelBytes !== null) cards.push(["Model size", formatBytes(report.modelBytes)]);
  const items = cards
    .map(
      ([name, value]) =>
        `<li class="card"><span class="value">${escapeHtml(value)}</span><span class="name">${escapeHtml(name)}</span></li>`,
    )
    .join("\n");
  return `<section aria-labelledby="headline-heading">
<h2 id="headline-heading">Headline figures</h2>
<ul class="cards">
${items}
</ul>
</section>`;
}

interface PlotFrame {
  width: number;
  height: number;
  left: number;
  top: number;
  plotWidth: number;
  plotHeight: number;
}

/** `top` leaves room above the plot, e.g. for a marginal histogram. */
function plotFrame(width: number, height: number, top = 16): PlotFrame {
  const left = 56;
  return { width, height, left, top, plotWidth: width - left - 40, plotHeight: height - top - 52 };
}

/** Grid lines, tick labels and axis titles of a plot with x in [0, 1] and y in [yMin, 1]. */
function axes(frame: PlotFrame, yMin: number, xTitle: string, yTitle: string, percentTicks: boolean): string {
  const parts: string[] = [];
  const bottom = frame.top + frame.plotHeight;
  const right = frame.left + frame.plotWidth;
  const tickText = (value: number) => (percentTicks ? formatPercent(value, 0) : value.toFixed(1));
  for (let step = 0; step <= 5; step++) {
    const value = step / 5;
    const x = frame.left + value * frame.plotWidth;
    parts.push(
      `<line class="grid" x1="${coordinate(x)}" y1="${frame.top}" x2="${coordinate(x)}" y2="${bottom}"/>`,
    );
    parts.push(
      `<text x="${coordinate(x)}" y="${bottom + 16}" text-anchor="middle">${tickText(value)}</text>`,
    );
  }
  // A round step (1%, 2%, 5%, 10% or 20%) giving at most 6 intervals, so tick labels read naturally.
  const yStep = [0.01, 0.02, 0.05, 0.1, 0.2].find((step) => (1 - yMin) / step <= 6.000001) ?? 0.2;
  const yTicks = Math.floor((1 - yMin) / yStep + 1e-9);
  for (let step = 0; step <= yTicks; step++) {
    const value = yMin + step * yStep;
    const y = bottom - ((value - yMin) / (1 - yMin)) * frame.plotHeight;
    parts.push(
      `<line class="grid" x1="${frame.left}" y1="${coordinate(y)}" x2="${right}" y2="${coordinate(y)}"/>`,
    );
    const label = percentTicks ? formatPercent(value, 0) : value.toFixed(1);
    parts.push(`<text x="${frame.left - 6}" y="${coordinate(y + 4)}" text-anchor="end">${label}</text>`);
  }
  parts.push(`<line class="axis" x1="${frame.left}" y1="${bottom}" x2="${right}" y2="${bottom}"/>`);
  parts.push(`<line class="axis" x1="${frame.left}" y1="${frame.top}" x2="${frame.left}" y2="${bottom}"/>`);
  parts.push(
    `<text x="${coordinate(frame.left + frame.plotWidth / 2)}" y="${frame.height - 10}" text-anchor="middle">${escapeHtml(xTitle)}</text>`,
  );
  const middle = frame.top + frame.plotHeight / 2;
  parts.push(
    `<text x="14" y="${coordinate(middle)}" text-anchor="middle" transform="rotate(-90 14 ${coordinate(middle)})">${escapeHtml(yTitle)}</text>`,
  );
  return parts.join("\n");
}

function reliabilitySection(report: ClassificationEvalReport): string {
  // A marginal histogram above the plot shows how many texts each bar stands on: a 100% bar of 1 text means little.
  const histogramHeight = 44;
  const frame = plotFrame(400, 340 + histogramHeight + 12, 16 + histogramHeight + 12);
  const x = (value: number) => frame.left + value * frame.plotWidth;
  const y = (value: number) => frame.top + (1 - value) * frame.plotHeight;
  const histogramBase = 16 + histogramHeight;
  const largest = Math.max(1, ...report.reliability.map((bin) => bin.count));
  const histogram = report.reliability
    .filter((bin) => bin.count > 0)
    .map((bin) => {
      const left = x(bin.lower) + 1;
      const width = Math.max(1, x(bin.upper) - x(bin.lower) - 2);
      const height = Math.max(1, (bin.count / largest) * histogramHeight);
      return `<rect class="count" x="${coordinate(left)}" y="${coordinate(histogramBase - height)}" width="${coordinate(width)}" height="${coordinate(height)}"><title>${escapeHtml(`${formatQuantity(bin.count, "text")} with confidence ${formatDecimal(bin.lower, 2)} to ${formatDecimal(bin.upper, 2)}`)}</title></rect>`;
    })
    .join("\n");
  const bars = report.reliability
    .filter((bin) => bin.count > 0)
    .map((bin) => {
      const left = x(bin.lower) + 1;
      const width = Math.max(1, x(bin.upper) - x(bin.lower) - 2);
      const label = `Confidence ${formatDecimal(bin.lower, 2)} to ${formatDecimal(bin.upper, 2)}: ${formatQuantity(bin.count, "text")}, mean confidence ${formatPercent(bin.meanConfidence)}, accuracy ${formatPercent(bin.accuracy)}`;
      return `<g><title>${escapeHtml(label)}</title>
<rect class="bar" x="${coordinate(left)}" y="${coordinate(y(bin.accuracy))}" width="${coordinate(width)}" height="${coordinate(y(0) - y(bin.accuracy))}"/>
<line class="mean" x1="${coordinate(left)}" y1="${coordinate(y(bin.meanConfidence))}" x2="${coordinate(left + width)}" y2="${coordinate(y(bin.meanConfidence))}"/></g>`;
    })
    .join("\n");
  const description = `Accuracy of each of 15 confidence bins (blue bars) against the mean confidence of the bin (red marks) and the diagonal of perfect calibration; the grey bars above show how many texts fall in each bin. Expected calibration error ${formatDecimal(report.ece)}.`;
  return `<section aria-labelledby="reliability-heading">
<h2 id="reliability-heading">Calibration</h2>
<figure>
<svg viewBox="0 0 ${frame.width} ${frame.height}" width="${frame.width}" height="${frame.height}" role="img" aria-labelledby="reliability-title reliability-desc">
<title id="reliability-title">Reliability diagram</title>
<desc id="reliability-desc">${escapeHtml(description)}</desc>
${axes(frame, 0, "Confidence", "Accuracy", false)}
<text x="${frame.left - 6}" y="${histogramBase - 4}" text-anchor="end">texts</text>
<line class="axis" x1="${frame.left}" y1="${histogramBase}" x2="${frame.left + frame.plotWidth}" y2="${histogramBase}"/>
${histogram}
${bars}
<line class="diagonal" x1="${coordinate(x(0))}" y1="${coordinate(y(0))}" x2="${coordinate(x(1))}" y2="${coordinate(y(1))}"/>
</svg>
<figcaption>${escapeHtml(description)} Bars above the diagonal are under-confident, below it over-confident. Hover a bar for its figures.</figcaption>
</figure>
</section>`;
}

function coverageSection(report: ClassificationEvalReport): string {
  const frame = plotFrame(400, 340);
  const lowest = Math.min(
    0.9,
    ...report.curve.map((point) => point.accuracy),
    ...(report.acceptedAccuracy === null ? [] : [report.acceptedAccuracy]),
  );
  const yMin = Math.max(0, Math.floor(lowest * 20) / 20);
  const x = (value: number) => frame.left + value * frame.plotWidth;
  const y = (value: number) => frame.top + ((1 - value) / (1 - yMin)) * frame.plotHeight;
  const path = report.curve
    .map(
      (point, index) =>
        `${index === 0 ? "M" : "L"}${coordinate(x(point.coverage))} ${coordinate(y(point.accuracy))}`,
    )
    .join(" ");
  const targets = standardAccuracyTargets
    .map((target) => {
      const coverage = report.coverageAt[coverageKey(target)];
      const label = `Coverage at ${formatPercent(target, 0)} accuracy: ${formatPercent(coverage)}`;
      return `<line class="target" x1="${frame.left}" y1="${coordinate(y(target))}" x2="${coordinate(x(1))}" y2="${coordinate(y(target))}"/>
<text x="${coordinate(x(1) + 2)}" y="${coordinate(y(target) + 4)}">${formatPercent(target, 0)}</text>
<g><title>${escapeHtml(label)}</title><circle class="target-mark" cx="${coordinate(x(coverage))}" cy="${coordinate(y(target))}" r="3.5"/></g>`;
    })
    .join("\n");
  const threshold =
    report.acceptedAccuracy === null
      ? ""
      : `<g><title>${escapeHtml(`Model threshold ${formatDecimal(report.threshold, 4)}: coverage ${formatPercent(report.coverage)}, accepted accuracy ${formatPercent(report.acceptedAccuracy)}`)}</title>
<circle class="threshold" cx="${coordinate(x(report.coverage))}" cy="${coordinate(y(report.acceptedAccuracy))}" r="6"/></g>`;
  const atThreshold =
    report.acceptedAccuracy === null
      ? `The model's threshold ${formatDecimal(report.threshold, 4)} accepts no test text.`
      : `The red dot is the model's threshold ${formatDecimal(report.threshold, 4)}: it accepts ${formatPercent(report.coverage)} of texts at ${formatPercent(report.acceptedAccuracy)} accuracy.`;
  const description = `Accuracy of the accepted texts against the share accepted, as the confidence threshold falls. Dashed lines mark 95%, 97% and 99% accuracy; circles mark the largest coverage that reaches each. ${atThreshold}`;
  return `<section aria-labelledby="coverage-heading">
<h2 id="coverage-heading">Coverage vs accuracy</h2>
<figure>
<svg viewBox="0 0 ${frame.width} ${frame.height}" width="${frame.width}" height="${frame.height}" role="img" aria-labelledby="coverage-title coverage-desc">
<title id="coverage-title">Coverage versus accepted accuracy</title>
<desc id="coverage-desc">${escapeHtml(description)}</desc>
${axes(frame, yMin, "Coverage (share of texts the small model answers)", "Accuracy of accepted texts", true)}
${targets}
<path class="curve" d="${path}"/>
${threshold}
</svg>
<figcaption>${escapeHtml(description)}</figcaption>
</figure>
</section>`;
}

function confusionSection(report: ClassificationEvalReport): string {
  const { labels, matrix } = report.confusion;
  const count = labels.length;
  const cell = count <= 10 ? 40 : count <= 20 ? 28 : count <= 40 ? 14 : Math.max(5, Math.floor(640 / count));
  const showNames = count <= 40;
  const showCounts = count <= 20;
  const longest = Math.max(0, ...labels.map((label) => truncate(label, 24).length));
  const margin = showNames ? Math.min(170, 12 + longest * 6.5) : 22;
  const size = count * cell;
  const width = margin + size + 8;
  const height = margin + size + 8;
  const parts: string[] = [
    `<rect class="matrix" x="${margin}" y="${margin}" width="${size}" height="${size}"/>`,
  ];
  if (showNames) {
    labels.forEach((label, index) => {
      const center = margin + index * cell + cell / 2;
      const shown = escapeHtml(truncate(label, 24));
      parts.push(
        `<text x="${margin - 6}" y="${coordinate(center + 4)}" text-anchor="end"><title>${escapeHtml(label)}</title>${shown}</text>`,
      );
      parts.push(
        `<text x="${coordinate(center + 4)}" y="${margin - 6}" transform="rotate(-90 ${coordinate(center + 4)} ${margin - 6})"><title>${escapeHtml(label)}</title>${shown}</text>`,
      );
    });
  } else {
    parts.push(
      `<text x="${margin}" y="${margin - 8}">rows: gold label ↓ · columns: predicted label →</text>`,
    );
  }
  matrix.forEach((row, goldIndex) => {
    const rowTotal = row.reduce((total, value) => total + value, 0);
    row.forEach((value, predictedIndex) => {
      if (value === 0) return;
      const share = value / rowTotal;
      // A square-root scale keeps a 5% confusion visible next to a 90% diagonal.
      const scaled = 0.15 + 0.85 * Math.sqrt(share);
      const opacity = showCounts ? avoidContrastGap(scaled) : scaled;
      const gold = labels[goldIndex] as string;
      const predicted = labels[predictedIndex] as string;
      const colour = goldIndex === predictedIndex ? correctColour : confusedColour;
      const cellX = margin + predictedIndex * cell;
      const cellY = margin + goldIndex * cell;
      const text = showCounts
        ? `<text class="cell-text" x="${coordinate(cellX + cell / 2)}" y="${coordinate(cellY + cell / 2 + 3.5)}" text-anchor="middle" style="fill:${opacity >= 0.75 ? "#ffffff" : "#111827"}">${value}</text>`
        : "";
      parts.push(
        `<g><title>${escapeHtml(`gold ${gold} → predicted ${predicted}: ${formatCount(value)} (${formatPercent(share)} of ${gold})`)}</title><rect x="${cellX}" y="${cellY}" width="${cell}" height="${cell}" fill="${colour}" fill-opacity="${coordinate(opacity, 3)}"/>${text}</g>`,
      );
    });
  });
  const pairs = topConfusedPairs(report.confusion, 15);
  const pairItems =
    pairs.length === 0
      ? "<p>No confusions: every in-scope text got its gold label.</p>"
      : `<ol class="pairs">
${pairs
  .map(
    (pair) =>
      `<li><strong>${escapeHtml(pair.gold)}</strong> predicted as <strong>${escapeHtml(pair.predicted)}</strong>: ${formatCount(pair.count)} (${formatPercent(pair.shareOfGold)} of ${escapeHtml(pair.gold)})</li>`,
  )
  .join("\n")}
</ol>`;
  const description = `Confusion matrix of ${count} labels: rows are gold labels, columns predicted labels. Blue cells are correct predictions, red cells confusions; the darker a cell, the larger its share of the gold label's texts.${showNames ? "" : " Hover a cell for its labels."}`;
  return `<section aria-labelledby="confusion-heading">
<h2 id="confusion-heading">Confusions</h2>
<figure>
<svg viewBox="0 0 ${coordinate(width)} ${coordinate(height)}" width="${coordinate(width)}" height="${coordinate(height)}" role="img" aria-labelledby="confusion-title confusion-desc">
<title id="confusion-title">Confusion heat map</title>
<desc id="confusion-desc">${escapeHtml(description)}</desc>
${parts.join("\n")}
</svg>
<figcaption>${escapeHtml(description)}</figcaption>
</figure>
<p class="legend"><span><span class="swatch" style="background:${correctColour}"></span>correct</span><span><span class="swatch" style="background:${confusedColour}"></span>confused</span></p>
<h3>Most confused pairs</h3>
${pairItems}
</section>`;
}

function perClassSection(report: ClassificationEvalReport): string {
  const rows = Object.entries(report.perClass)
    .sort((a, b) => a[1].f1 - b[1].f1 || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(
      ([label, scores]) =>
        `<tr><th scope="row">${escapeHtml(label)}</th><td>${formatDecimal(scores.precision)}</td><td>${formatDecimal(scores.recall)}</td><td>${formatDecimal(scores.f1)}</td><td>${formatCount(scores.support)}</td></tr>`,
    )
    .join("\n");
  return `<section aria-labelledby="per-class-heading">
<h2 id="per-class-heading">Per class</h2>
<div class="table-scroll">
<table>
<caption>Precision, recall and F1 of each label, lowest F1 first; support is the number of gold test texts.</caption>
<thead><tr><th scope="col">Label</th><th scope="col">Precision</th><th scope="col">Recall</th><th scope="col">F1</th><th scope="col">Support</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</div>
</section>`;
}

function outOfScopeSection(report: ClassificationEvalReport): string {
  const outOfScope = report.outOfScope;
  if (outOfScope.n === 0) {
    return `<section aria-labelledby="out-of-scope-heading">
<h2 id="out-of-scope-heading">Out of scope</h2>
<p>Every test text has a label the model knows.</p>
</section>`;
  }
  const entries = Object.entries(outOfScope.labels);
  const shown = entries.slice(0, 50);
  const rows = shown
    .map(
      ([label, count]) => `<tr><th scope="row">${escapeHtml(label)}</th><td>${formatCount(count)}</td></tr>`,
    )
    .join("\n");
  const more =
    entries.length > shown.length
      ? `<p class="muted">and ${entries.length - shown.length} more labels.</p>`
      : "";
  return `<section aria-labelledby="out-of-scope-heading">
<h2 id="out-of-scope-heading">Out of scope</h2>
<p>${formatQuantity(outOfScope.n, "test text")} ${outOfScope.n === 1 ? "has" : "have"} a label the model does not know; they are left out of every figure above. At the model's threshold, ${formatCount(outOfScope.escalated)} of them (${formatPercent(outOfScope.escalated / outOfScope.n)}) would be escalated; the rest would get a known label by mistake.</p>
<div class="table-scroll">
<table>
<caption>Unknown gold labels, most frequent first.</caption>
<thead><tr><th scope="col">Label</th><th scope="col">Texts</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</div>
${more}
</section>`;
}

function performanceSection(report: ClassificationEvalReport): string {
  const facts: [string, string][] = [
    ["Latency p50", formatMilliseconds(report.latencyMs.p50)],
    ["Latency p95", formatMilliseconds(report.latencyMs.p95)],
    ["Latency p99", formatMilliseconds(report.latencyMs.p99)],
    [
      "Measured over",
      `${formatQuantity(report.latencySamples, "call")} of one text each, in-process, after a warm-up`,
    ],
    [
      "Throughput",
      `${formatCount(report.throughputPerSec)} texts/s in batches of ${formatCount(report.batchSize)}`,
    ],
  ];
  if (report.modelBytes !== null) facts.push(["Model size", formatBytes(report.modelBytes)]);
  if (report.trainSeconds !== null) facts.push(["Training time", formatSeconds(report.trainSeconds)]);
  const items = facts
    .map(([name, value]) => `<dt>${escapeHtml(name)}</dt><dd>${escapeHtml(value)}</dd>`)
    .join("\n");
  return `<section aria-labelledby="performance-heading">
<h2 id="performance-heading">Speed and size</h2>
<dl class="facts">
${items}
</dl>
</section>`;
}

const correctColour = "#1e40af";
const confusedColour = "#991b1b";

/**
 * Between opacity 0.65 and 0.75 of the heat map colours over the page, neither dark nor white text
 * reaches 4.5:1 contrast (WCAG AA), so cells that show a count snap to either side of that band.
 */
function avoidContrastGap(opacity: number): number {
  if (opacity <= 0.65 || opacity >= 0.75) return opacity;
  return opacity < 0.7 ? 0.65 : 0.75;
}

function coverageKey(
  target: (typeof standardAccuracyTargets)[number],
): keyof ClassificationEvalReport["coverageAt"] {
  return target === 0.95 ? "0.95" : target === 0.97 ? "0.97" : "0.99";
}

function truncate(text: string, length: number): string {
  const characters = [...text];
  return characters.length <= length ? text : `${characters.slice(0, length - 1).join("")}…`;
}

/** A coordinate with at most `decimals` decimals, keeping the SVG small. */
function coordinate(value: number, decimals = 1): string {
  return String(Number(value.toFixed(decimals)));
}
