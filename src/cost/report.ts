// Renders a TCO report: a plain-text summary for the terminal and one self-contained HTML page with an SVG chart.

import { escapeHtml } from "../eval/report-html.js";
import { formatFigure, tcoMonthlyCostAt } from "./tco.js";
import type { TcoCurvePoint, TcoInputSource, TcoReport } from "./types.js";

/** The three ways to serve a use case, in the order tables and the chart list them. */
const ways = [
  { key: "llmOnly", name: "LLM-only", colour: "#b91c1c", dash: "" },
  { key: "slmOnly", name: "SLM-only", colour: "#047857", dash: "8 4" },
  { key: "hybrid", name: "Hybrid", colour: "#1d4ed8", dash: "" },
] as const;

/** The chart draws SLM-only last: its dashed line stays visible where it runs along hybrid's. */
const drawingOrder = [ways[0], ways[2], ways[1]] as const;

/** Money for people to read: "$0", "$0.0585", "$12.35", "$12,345". Formulas keep 6 significant digits. */
export function formatMoney(value: number): string {
  if (value === 0) return "$0";
  const sign = value < 0 ? "−" : "";
  const size = Math.abs(value);
  if (size >= 1000) return `${sign}$${Math.round(size).toLocaleString("en-US")}`;
  if (size >= 1) return `${sign}$${size.toFixed(2)}`;
  return `${sign}$${Number(size.toPrecision(3))}`;
}

/** A volume in short form: 10K, 1.5M, 100M. */
export function formatVolume(volume: number): string {
  const units: [number, string][] = [
    [1e9, "B"],
    [1e6, "M"],
    [1e3, "K"],
  ];
  for (const [size, suffix] of units) {
    if (volume >= size) return `${Number((volume / size).toPrecision(3))}${suffix}`;
  }
  return String(Number(volume.toPrecision(3)));
}

/** The volumes tables show: each decade of the curve, the break-even and the volume served now. */
function tableVolumes(report: TcoReport): { volume: number; label: string }[] {
  // Decades of positive volumes only: log10(0) is -Infinity, and a loop from there would never end.
  const curveVolumes = report.curve.map((point) => point.requestsPerMonth).filter((volume) => volume > 0);
  const lowest = Math.min(...curveVolumes);
  const highest = Math.max(...curveVolumes);
  const rows: { volume: number; label: string }[] = [];
  for (let exponent = Math.ceil(Math.log10(lowest)); 10 ** exponent <= highest; exponent++) {
    rows.push({ volume: 10 ** exponent, label: "" });
  }
  if (report.breakEvenRequestsPerMonth !== null && report.breakEvenRequestsPerMonth > 0) {
    // Below the minimum sample it is one point of a range, not a verdict.
    const label = report.sample?.sufficient === false ? "break-even at the measured share" : "break-even";
    rows.push({ volume: report.breakEvenRequestsPerMonth, label });
  }
  if (report.atCurrentVolume !== null)
    rows.push({ volume: report.atCurrentVolume.requestsPerMonth, label: "now" });
  return rows.sort((a, b) => a.volume - b.volume);
}

function breakEvenText(volume: number | null): string {
  return volume === null ? "never" : `${formatFigure(Math.round(volume))} requests/month`;
}

/** A plain-text summary: cost per 1K, fixed cost, break-even, cost by volume, inputs with sources, formulas. */
export function formatTcoText(report: TcoReport): string {
  const lines: string[] = [];
  lines.push(`Total cost of ownership: ${report.useCaseId}`);
  lines.push("");
  lines.push(
    table(
      ["", ...ways.map((way) => way.name)],
      [
        ["Per 1,000 requests", ...ways.map((way) => formatMoney(report.perThousand[way.key]))],
        ["Monthly fixed", "$0", formatMoney(report.monthlyFixedUsd), formatMoney(report.monthlyFixedUsd)],
      ],
    ),
  );
  lines.push("");
  lines.push(...verdictLines(report));
  lines.push("");
  lines.push("Monthly cost by volume");
  lines.push(
    table(
      ["Requests/month", ...ways.map((way) => way.name), "Machines", ""],
      tableVolumes(report).map(({ volume, label }) => {
        const point = tcoMonthlyCostAt(report, volume);
        return [
          formatFigure(Math.round(volume)),
          ...ways.map((way) => formatMoney(point[way.key])),
          String(point.machines),
          label,
        ];
      }),
    ),
  );
  lines.push("");
  lines.push("Inputs");
  lines.push(
    table(
      ["Name", "Value", "Unit", "Source", "Where from"],
      Object.entries(report.inputs).map(([name, input]) => [
        name,
        formatFigure(input.value),
        input.unit,
        input.source,
        input.note,
      ]),
      [false, true, false, false, false],
    ),
  );
  lines.push("");
  lines.push("Formulas");
  for (const formula of report.formulas) lines.push(`  ${formula}`);
  if (report.notes.length > 0) {
    lines.push("");
    lines.push("Notes");
    for (const note of report.notes) lines.push(`  - ${note}`);
  }
  return `${lines.join("\n")}\n`;
}

const percentOf = (share: number) => `${(share * 100).toFixed(1)}%`;

/**
 * The break-evens when the log holds enough requests; below the minimum sample, no verdict but the local
 * share's interval and what hybrid and SLM-only cost across it.
 */
function verdictLines(report: TcoReport): string[] {
  const sample = report.sample;
  if (sample === undefined || sample.sufficient || sample.localShare === null || sample.range === null) {
    return [
      `Hybrid cheaper than LLM-only above:   ${breakEvenText(report.breakEvenRequestsPerMonth)}`,
      `SLM-only cheaper than LLM-only above: ${breakEvenText(report.breakEvenSlmOnlyRequestsPerMonth)}`,
    ];
  }
  const share = sample.localShare;
  const range = sample.range;
  const between = (pair: { low: number; high: number }) =>
    `${formatMoney(pair.low)} to ${formatMoney(pair.high)}`;
  const { low, high } = range.breakEvenRequestsPerMonth;
  return [
    share.n === 0
      ? `No verdict: no requests logged yet (a verdict needs ${formatFigure(sample.minimum)}).`
      : `No verdict: too few requests logged (${formatFigure(share.n)} of the ${formatFigure(sample.minimum)} needed).`,
    share.n === 0
      ? `  Local share:          estimated at ${percentOf(share.value)} (from the model's validation data or a default); anything from 0% to 100% until traffic is logged`
      : `  Local share:          ${formatFigure(Math.round(share.value * share.n))} of ${formatFigure(share.n)} = ${percentOf(share.value)}; 95% interval ${percentOf(share.low)} to ${percentOf(share.high)} (${share.method})`,
    `  Hybrid per 1,000:     ${between(range.hybridPerThousand)} across that interval (LLM-only ${formatMoney(report.perThousand.llmOnly)})`,
    `  SLM-only per 1,000:   ${between(range.slmOnlyPerThousand)}`,
    `  Hybrid break-even:    ${breakEvenText(low)} at best, ${breakEvenText(high)} at worst`,
    "  The figures below are at the measured share; read them as one point of that range.",
  ];
}

/** Left-aligned first column, right-aligned figures unless `rightAligned` says otherwise; two spaces apart. */
function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  rightAligned?: readonly boolean[],
): string {
  const widths = header.map((cell, column) =>
    Math.max(cell.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const alignRight = (column: number) => rightAligned?.[column] ?? column > 0;
  const render = (row: readonly string[]) =>
    row
      .map((cell, column) => {
        const width = widths[column] ?? 0;
        // The last column is free text: padding it would only add trailing spaces.
        if (column === row.length - 1 && !alignRight(column)) return cell;
        return alignRight(column) ? cell.padStart(width) : cell.padEnd(width);
      })
      .join("  ")
      .trimEnd();
  return [header, ...rows].map((row) => `  ${render(row)}`).join("\n");
}

export interface TcoChartOptions {
  /** Default 760. */
  width?: number;
  /** Default 420. */
  height?: number;
  /** Prefix of the SVG's element ids, so several charts can share a page. Default "tco". */
  idPrefix?: string;
}

/**
 * An inline SVG line chart of monthly cost against monthly volume, both axes logarithmic: one line per way,
 * the break-even marked with a dashed line and a dot, the volume served now with a dotted line. Costs of $0
 * sit on the bottom axis (a log scale has no zero). No scripts; every label escaped.
 */
export function renderTcoChartSvg(report: TcoReport, options: TcoChartOptions = {}): string {
  const width = options.width ?? 760;
  const height = options.height ?? 420;
  const id = options.idPrefix ?? "tco";
  const left = 70;
  const right = 24;
  const top = 16;
  const bottom = 52;
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  const points = report.curve.filter((point) => point.requestsPerMonth > 0);
  if (points.length < 2) {
    return `<svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="No volumes to chart"><text x="${left}" y="${top + 20}">No volumes to chart.</text></svg>`;
  }
  const volumes = points.map((point) => point.requestsPerMonth);
  const xMin = 10 ** Math.floor(Math.log10(Math.min(...volumes)));
  const xMax = 10 ** Math.ceil(Math.log10(Math.max(...volumes)));
  const costs = points.flatMap((point) => ways.map((way) => point[way.key])).filter((cost) => cost > 0);
  const yMin = 10 ** Math.floor(Math.log10(costs.length === 0 ? 1 : Math.min(...costs)));
  const yMax = Math.max(yMin * 10, 10 ** Math.ceil(Math.log10(costs.length === 0 ? 10 : Math.max(...costs))));
  const x = (volume: number) =>
    left + ((Math.log10(volume) - Math.log10(xMin)) / (Math.log10(xMax) - Math.log10(xMin))) * plotWidth;
  const y = (cost: number) =>
    top +
    plotHeight -
    ((Math.log10(Math.max(cost, yMin)) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) *
      plotHeight;

  const parts: string[] = [];
  for (let exponent = Math.log10(xMin); exponent <= Math.log10(xMax) + 1e-9; exponent++) {
    const position = coordinate(x(10 ** exponent));
    parts.push(`<line class="grid" x1="${position}" y1="${top}" x2="${position}" y2="${top + plotHeight}"/>`);
    parts.push(
      `<text x="${position}" y="${top + plotHeight + 16}" text-anchor="middle">${formatVolume(10 ** exponent)}</text>`,
    );
  }
  for (let exponent = Math.log10(yMin); exponent <= Math.log10(yMax) + 1e-9; exponent++) {
    const position = coordinate(y(10 ** exponent));
    parts.push(
      `<line class="grid" x1="${left}" y1="${position}" x2="${left + plotWidth}" y2="${position}"/>`,
    );
    parts.push(
      `<text x="${left - 6}" y="${coordinate(y(10 ** exponent) + 4)}" text-anchor="end">${escapeHtml(compactMoney(10 ** exponent))}</text>`,
    );
  }
  parts.push(
    `<line class="axis" x1="${left}" y1="${top + plotHeight}" x2="${left + plotWidth}" y2="${top + plotHeight}"/>`,
    `<line class="axis" x1="${left}" y1="${top}" x2="${left}" y2="${top + plotHeight}"/>`,
    `<text x="${coordinate(left + plotWidth / 2)}" y="${height - 12}" text-anchor="middle">Requests per month (log scale)</text>`,
    `<text x="16" y="${coordinate(top + plotHeight / 2)}" text-anchor="middle" transform="rotate(-90 16 ${coordinate(top + plotHeight / 2)})">Monthly cost, USD (log scale)</text>`,
  );
  for (const way of drawingOrder) {
    const path = points
      .map(
        (point, index) =>
          `${index === 0 ? "M" : "L"}${coordinate(x(point.requestsPerMonth))} ${coordinate(y(point[way.key]))}`,
      )
      .join(" ");
    parts.push(
      `<path class="cost-line" data-way="${way.key}" d="${path}" stroke="${way.colour}"${way.dash === "" ? "" : ` stroke-dasharray="${way.dash}"`}><title>${escapeHtml(`${way.name}: ${formatMoney(report.perThousand[way.key])} per 1,000 requests`)}</title></path>`,
    );
  }
  const breakEven = report.breakEvenRequestsPerMonth;
  if (breakEven !== null && breakEven >= xMin && breakEven <= xMax) {
    const at = tcoMonthlyCostAt(report, breakEven);
    const position = coordinate(x(breakEven));
    const anchor = x(breakEven) > left + plotWidth * 0.75 ? "end" : "start";
    const offset = anchor === "end" ? -6 : 6;
    parts.push(
      `<g class="break-even"><title>${escapeHtml(`Break-even: ${formatFigure(Math.round(breakEven))} requests/month, where hybrid and LLM-only both cost ${formatMoney(at.hybrid)} a month`)}</title>`,
      `<line class="marker" x1="${position}" y1="${top}" x2="${position}" y2="${top + plotHeight}"/>`,
      `<circle class="break-even-dot" cx="${position}" cy="${coordinate(y(at.hybrid))}" r="5"/>`,
      `<text x="${coordinate(x(breakEven) + offset)}" y="${top + 14}" text-anchor="${anchor}">break-even ${escapeHtml(formatVolume(breakEven))}/month</text></g>`,
    );
  }
  const current = report.atCurrentVolume;
  if (current !== null && current.requestsPerMonth >= xMin && current.requestsPerMonth <= xMax) {
    const position = coordinate(x(current.requestsPerMonth));
    parts.push(
      `<g class="current"><title>${escapeHtml(`Now: ${formatFigure(Math.round(current.requestsPerMonth))} requests/month`)}</title>`,
      `<line class="now" x1="${position}" y1="${top}" x2="${position}" y2="${top + plotHeight}"/>`,
      `<text x="${coordinate(x(current.requestsPerMonth) + 6)}" y="${top + 30}">now ${escapeHtml(formatVolume(current.requestsPerMonth))}/month</text></g>`,
    );
  }
  // Bottom right: costs rise with volume, so that corner of the plot stays clear of the lines.
  ways.forEach((way, index) => {
    const legendY = top + plotHeight - 12 - (ways.length - 1 - index) * 18;
    const legendX = left + plotWidth - 100;
    parts.push(
      `<line x1="${legendX}" y1="${legendY - 4}" x2="${legendX + 28}" y2="${legendY - 4}" stroke="${way.colour}" stroke-width="2.5"${way.dash === "" ? "" : ` stroke-dasharray="${way.dash}"`}/>`,
      `<text x="${legendX + 34}" y="${legendY}">${escapeHtml(way.name)}</text>`,
    );
  });
  const description = `Monthly cost of LLM-only, SLM-only and hybrid serving of ${report.useCaseId} against monthly volume, both axes on log scales. ${
    breakEven === null
      ? "Hybrid never becomes cheaper than LLM-only."
      : `Hybrid is cheaper than LLM-only above ${formatFigure(Math.round(breakEven))} requests a month.`
  }`;
  return `<svg class="tco-chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="${id}-title ${id}-desc">
<style>
.tco-chart text { font: 11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; fill: #374151; }
.tco-chart .grid { stroke: #e5e7eb; stroke-width: 1; }
.tco-chart .axis { stroke: #6b7280; stroke-width: 1; }
.tco-chart .cost-line { fill: none; stroke-width: 2.5; }
.tco-chart .marker { stroke: #111827; stroke-width: 1.5; stroke-dasharray: 5 4; }
.tco-chart .now { stroke: #6b7280; stroke-width: 1.5; stroke-dasharray: 2 3; }
.tco-chart .break-even-dot { fill: #111827; stroke: #ffffff; stroke-width: 1.5; }
</style>
<title id="${id}-title">Monthly cost against volume</title>
<desc id="${id}-desc">${escapeHtml(description)}</desc>
${parts.join("\n")}
</svg>`;
}

function compactMoney(value: number): string {
  if (value >= 1000) return `$${formatVolume(value)}`;
  return `$${Number(value.toPrecision(3))}`;
}

/** A coordinate to one decimal, keeping the SVG small. */
function coordinate(value: number): string {
  return String(Number(value.toFixed(1)));
}

const sourceLabels: Record<TcoInputSource, string> = {
  measured: "measured",
  configured: "configured",
  assumed: "assumed",
};

/**
 * One HTML page that opens offline (no CDN, fonts or scripts): cost per 1K and fixed cost of each way, the
 * break-even, the chart, monthly cost by volume, every input with its source, the formulas and notes.
 */
export function renderTcoHtml(report: TcoReport): string {
  const title = `slmkit total cost of ownership: ${report.useCaseId}`;
  const cards: [string, string][] = [
    ...ways.map((way): [string, string] => [
      `${way.name} per 1,000 requests`,
      formatMoney(report.perThousand[way.key]),
    ]),
    ["Monthly fixed (SLM-only, hybrid)", formatMoney(report.monthlyFixedUsd)],
    report.sample?.sufficient === false
      ? [
          "Hybrid break-even",
          `no verdict (${formatFigure(report.sample.requests ?? 0)} of ${formatFigure(report.sample.minimum)} requests)`,
        ]
      : ["Hybrid break-even", breakEvenText(report.breakEvenRequestsPerMonth)],
  ];
  if (report.costTarget !== null) {
    cards.push([
      `Target per 1,000 requests (hybrid ${report.costTarget.met.hybrid ? "meets" : "misses"} it)`,
      formatMoney(report.costTarget.perThousandUsd),
    ]);
  }
  const cardItems = cards
    .map(
      ([name, value]) =>
        `<li class="card"><span class="value">${escapeHtml(value)}</span><span class="name">${escapeHtml(name)}</span></li>`,
    )
    .join("\n");
  const volumeRows = tableVolumes(report)
    .map(({ volume, label }) => {
      const point: TcoCurvePoint = tcoMonthlyCostAt(report, volume);
      const cheapest = Math.min(point.llmOnly, point.slmOnly, point.hybrid);
      const cells = ways
        .map((way) => {
          const cost = point[way.key];
          return cost === cheapest
            ? `<td><strong>${escapeHtml(formatMoney(cost))}</strong></td>`
            : `<td>${escapeHtml(formatMoney(cost))}</td>`;
        })
        .join("");
      return `<tr><th scope="row">${escapeHtml(formatFigure(Math.round(volume)))}${label === "" ? "" : ` <span class="muted">(${escapeHtml(label)})</span>`}</th>${cells}<td>${point.machines}</td></tr>`;
    })
    .join("\n");
  const inputRows = Object.entries(report.inputs)
    .map(
      ([name, input]) =>
        `<tr><th scope="row"><code>${escapeHtml(name)}</code></th><td>${escapeHtml(formatFigure(input.value))}</td><td class="text">${escapeHtml(input.unit)}</td><td class="text"><span class="source source-${input.source}">${sourceLabels[input.source]}</span></td><td class="text">${escapeHtml(input.note)}</td></tr>`,
    )
    .join("\n");
  const formulas = report.formulas
    .map((formula) => `<li><code>${escapeHtml(formula)}</code></li>`)
    .join("\n");
  const notes =
    report.notes.length === 0
      ? ""
      : `<section aria-labelledby="notes-heading">
<h2 id="notes-heading">Notes</h2>
<ul>
${report.notes.map((note) => `<li>${escapeHtml(note)}</li>`).join("\n")}
</ul>
</section>`;
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
<h1>Total cost of ownership: <code>${escapeHtml(report.useCaseId)}</code></h1>
<p class="muted">LLM-only, SLM-only and hybrid serving, from the figures below · computed ${escapeHtml(new Date(report.computedAt).toISOString())}</p>
</header>
<section aria-labelledby="headline-heading">
<h2 id="headline-heading">Headline figures</h2>
${report.verdict === undefined ? "" : `<p class="verdict">${escapeHtml(report.verdict)}</p>\n`}<ul class="cards">
${cardItems}
</ul>
</section>
<section aria-labelledby="chart-heading">
<h2 id="chart-heading">Monthly cost against volume</h2>
<figure>
${renderTcoChartSvg(report)}
<figcaption>Each line is one way to serve the use case. SLM-only and hybrid pay for always-on machines and amortized one-off costs at any volume, and step up when more machines are needed; LLM-only pays per request only. Hover a line or marker for its figures.</figcaption>
</figure>
</section>
<section aria-labelledby="volume-heading">
<h2 id="volume-heading">Monthly cost by volume</h2>
<table>
<caption>USD a month; the cheapest way at each volume in bold.</caption>
<thead><tr><th scope="col">Requests/month</th>${ways.map((way) => `<th scope="col">${way.name}</th>`).join("")}<th scope="col">Machines</th></tr></thead>
<tbody>
${volumeRows}
</tbody>
</table>
</section>
<section aria-labelledby="inputs-heading">
<h2 id="inputs-heading">Inputs</h2>
<table>
<caption>Every figure the costs are computed from. Measured: from the gateway's log, the model or a run's report. Configured: from usecase.yaml or a flag. Assumed: a stated default; replace it with the flag named in its note.</caption>
<thead><tr><th scope="col">Input</th><th scope="col">Value</th><th scope="col" class="text">Unit</th><th scope="col" class="text">Source</th><th scope="col" class="text">Where from</th></tr></thead>
<tbody>
${inputRows}
</tbody>
</table>
</section>
<section aria-labelledby="formulas-heading">
<h2 id="formulas-heading">Formulas</h2>
<p class="muted">Each figure with the inputs put in, so it can be reproduced by hand.</p>
<ol class="formulas">
${formulas}
</ol>
</section>
${notes}
</main>
</body>
</html>
`;
}

// Colours checked for at least 4.5:1 contrast on their backgrounds where they carry text.
const styles = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #ffffff; color: #111827; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 1.5rem; margin: 0 0 4px; overflow-wrap: anywhere; }
h2 { font-size: 1.15rem; margin: 32px 0 8px; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 0.9em; }
.muted { color: #4b5563; margin: 0; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(180px, 1fr)); gap: 12px; margin: 12px 0 0; padding: 0; list-style: none; }
.card { border: 1px solid #d1d5db; border-radius: 8px; padding: 10px 12px; }
.card .value { display: block; font-size: 1.3rem; font-weight: 600; }
.card .name { display: block; color: #4b5563; font-size: 0.85rem; }
figure { margin: 0; }
figcaption { color: #4b5563; font-size: 0.9rem; margin-top: 4px; }
svg { max-width: 100%; height: auto; display: block; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
caption { text-align: left; color: #4b5563; padding-bottom: 6px; }
th, td { padding: 4px 8px; border-bottom: 1px solid #e5e7eb; text-align: right; vertical-align: top; }
th:first-child, td:first-child, .text { text-align: left; }
thead th { border-bottom: 2px solid #d1d5db; }
.source { display: inline-block; border-radius: 4px; padding: 0 6px; font-size: 0.8rem; font-weight: 600; }
.source-measured { background: #d1fae5; color: #065f46; }
.source-configured { background: #dbeafe; color: #1e40af; }
.source-assumed { background: #fef3c7; color: #92400e; }
.formulas li { margin: 2px 0; overflow-wrap: anywhere; }
`;
