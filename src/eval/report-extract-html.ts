// The extraction eval report as terminal text and as a self-contained HTML page with the coverage curve.

import type { ExtractionEvalReport } from "./evaluate-extract.js";
import { escapeHtml } from "./report-html.js";

const percent = (value: number | null): string => (value === null ? "n/a" : `${(value * 100).toFixed(1)}%`);
const decimal = (value: number): string => value.toFixed(4);

/** The headline figures of an extraction report as a few lines, ending with a newline. */
export function formatExtractSummary(report: ExtractionEvalReport): string {
  const lines = [
    `Evaluation of ${report.model} on ${report.n} test records`,
    `  exact spans     P ${decimal(report.spanPrecision)}  R ${decimal(report.spanRecall)}  F1 ${decimal(report.spanF1)}   overlap F1 ${decimal(report.spanF1Overlap)}`,
    `  records right   ${percent(report.recordAccuracy)}`,
    `  threshold       ${report.threshold.toFixed(4)}: accepts ${percent(report.coverage)} of records at ${percent(report.acceptedAccuracy)} all-right`,
    `  coverage at     95%: ${percent(report.coverageAt["0.95"])}   97%: ${percent(report.coverageAt["0.97"])}   99%: ${percent(report.coverageAt["0.99"])}`,
    ...Object.entries(report.perField).map(
      ([field, metrics]) =>
        `  ${field.padEnd(15)} P ${decimal(metrics.precision)}  R ${decimal(metrics.recall)}  F1 ${decimal(metrics.f1)}  n ${metrics.support}  value ${percent(metrics.valueAccuracy)}`,
    ),
    `  latency         p50 ${report.latencyMs.p50.toFixed(3)} ms  p95 ${report.latencyMs.p95.toFixed(3)} ms  p99 ${report.latencyMs.p99.toFixed(3)} ms   ${Math.round(report.throughputPerSec)} records/s batched`,
  ];
  if (report.modelBytes !== null) lines.push(`  model           ${(report.modelBytes / 1e6).toFixed(2)} MB`);
  if (report.outOfScope.n > 0)
    lines.push(`  out of scope    ${report.outOfScope.n} gold spans with labels the model does not extract`);
  return `${lines.join("\n")}\n`;
}

/** A self-contained HTML page: headline figures, per-field table and the whole-record coverage curve. */
export function renderExtractHtml(report: ExtractionEvalReport): string {
  const width = 520;
  const height = 300;
  const margin = 40;
  const x = (coverage: number): number => margin + coverage * (width - 2 * margin);
  const minimum = Math.min(0.8, ...report.curve.map((point) => point.accuracy));
  const y = (accuracy: number): number =>
    height - margin - ((accuracy - minimum) / Math.max(1e-9, 1 - minimum)) * (height - 2 * margin);
  const points = report.curve
    .map((point) => `${x(point.coverage).toFixed(1)},${y(point.accuracy).toFixed(1)}`)
    .join(" ");
  const fields = Object.entries(report.perField)
    .map(
      ([field, metrics]) =>
        `<tr><td>${escapeHtml(field)}</td><td>${decimal(metrics.precision)}</td><td>${decimal(metrics.recall)}</td><td>${decimal(metrics.f1)}</td><td>${metrics.support}</td><td>${percent(metrics.valueAccuracy)}</td></tr>`,
    )
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Extraction evaluation</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}table{border-collapse:collapse}td,th{padding:.25rem .75rem;border-bottom:1px solid #ddd;text-align:right}td:first-child,th:first-child{text-align:left}svg{border:1px solid #eee}</style>
</head><body>
<h1>Evaluation of <code>${escapeHtml(report.model)}</code></h1>
<p>${report.n} test records · created ${escapeHtml(report.createdAt)}</p>
<table>
<tr><th>exact span F1</th><td>${decimal(report.spanF1)}</td></tr>
<tr><th>precision / recall</th><td>${decimal(report.spanPrecision)} / ${decimal(report.spanRecall)}</td></tr>
<tr><th>overlap span F1</th><td>${decimal(report.spanF1Overlap)}</td></tr>
<tr><th>records entirely right</th><td>${percent(report.recordAccuracy)}</td></tr>
<tr><th>threshold ${report.threshold.toFixed(4)}: coverage / accepted accuracy</th><td>${percent(report.coverage)} / ${percent(report.acceptedAccuracy)}</td></tr>
<tr><th>coverage at 95 / 97 / 99% record accuracy</th><td>${percent(report.coverageAt["0.95"])} / ${percent(report.coverageAt["0.97"])} / ${percent(report.coverageAt["0.99"])}</td></tr>
<tr><th>latency p50 / p95 / p99</th><td>${report.latencyMs.p50.toFixed(3)} / ${report.latencyMs.p95.toFixed(3)} / ${report.latencyMs.p99.toFixed(3)} ms</td></tr>
</table>
<h2>Fields</h2>
<table><tr><th>field</th><th>precision</th><th>recall</th><th>F1</th><th>support</th><th>value accuracy</th></tr>
${fields}
</table>
<h2>Whole records: coverage vs accuracy</h2>
<svg width="${width}" height="${height}" role="img" aria-label="Coverage versus whole-record accuracy">
<line x1="${margin}" y1="${height - margin}" x2="${width - margin}" y2="${height - margin}" stroke="#999"/>
<line x1="${margin}" y1="${margin}" x2="${margin}" y2="${height - margin}" stroke="#999"/>
<text x="${width / 2}" y="${height - 8}" text-anchor="middle">coverage</text>
<text x="12" y="${margin - 10}">accuracy (from ${(minimum * 100).toFixed(0)}%)</text>
<polyline fill="none" stroke="#2563eb" stroke-width="2" points="${points}"/>
</svg>
</body></html>
`;
}
