// Renders a drift report as a plain-text table for people: one row per check, then the verdict.

import type { DriftCheck, DriftReport } from "./types.js";

const psiChecks = new Set<DriftCheck["name"]>(["labels", "confidence", "inputLength"]);

function formatFigure(check: DriftCheck, value: number | null): string {
  if (value === null) return "-";
  return psiChecks.has(check.name) ? value.toFixed(3) : `${(value * 100).toFixed(1)}%`;
}

function formatThreshold(check: DriftCheck): string {
  return `${check.direction === "above" ? ">" : "<"} ${formatFigure(check, check.threshold)}`;
}

function time(ms: number | null): string {
  return ms === null ? "-" : new Date(ms).toISOString();
}

/**
 * A drift report as text: a header naming the use case, model version, window and reference, a table of
 * check, value, reference, alert threshold, status and detail, and a last line with the verdict.
 */
export function formatDriftReport(report: DriftReport): string {
  const header = [
    `drift of use case ${report.useCaseId} (model ${report.modelVersion ?? "any version"})`,
    `window: ${report.window.n} requests, ${time(report.window.from)} to ${time(report.window.to)}`,
    `reference: ${report.reference.source === "training" ? "training data" : "pinned window"}, ${report.reference.n} items, made ${report.reference.createdAt}`,
  ];
  const rows = [
    ["check", "value", "reference", "alert", "status", "detail"],
    ...report.checks.map((check) => [
      check.name,
      formatFigure(check, check.value),
      formatFigure(check, check.reference),
      formatThreshold(check),
      check.status,
      check.detail,
    ]),
  ];
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? "").length))) ?? [];
  const table = rows.map((row) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join("  "),
  );
  const alerting = report.checks.filter((check) => check.status === "alert").map((check) => check.name);
  const verdict =
    report.status === "drift"
      ? `status: drift (${alerting.join(", ")})`
      : report.status === "insufficient"
        ? `status: insufficient (fewer requests than monitor.minRequests in the window)`
        : "status: ok";
  return `${[...header, "", ...table, "", verdict].join("\n")}\n`;
}
