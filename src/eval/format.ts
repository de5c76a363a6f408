// A short plain-text summary of an evaluation report, for the terminal.

import type { ClassificationEvalReport } from "./evaluate.js";
import {
  formatBytes,
  formatCount,
  formatDecimal,
  formatMilliseconds,
  formatPercent,
  formatQuantity,
  formatSeconds,
} from "./number-format.js";

/** The headline figures of `report` as a few aligned lines, ending with a newline. */
export function formatEvalSummary(report: ClassificationEvalReport): string {
  const outOfScope = report.outOfScope;
  const scope =
    outOfScope.n === 0 ? "" : ` (+${formatCount(outOfScope.n)} out of scope, left out of the figures)`;
  const target = report.targetAccuracy === null ? "" : ` (target ${formatPercent(report.targetAccuracy)})`;
  const accepted =
    report.coverage === 0
      ? "accepts nothing: every text is escalated"
      : `accepts ${formatPercent(report.coverage)} of texts at ${formatPercent(report.acceptedAccuracy)} accuracy`;
  const lines = [
    `Evaluation of ${report.model} on ${formatQuantity(report.n, "test text")}${scope}`,
    row(
      "accuracy",
      `${formatPercent(report.accuracy)}   macro-F1 ${formatDecimal(report.macroF1)}   ECE ${formatDecimal(report.ece)}`,
    ),
    row("threshold", `${formatDecimal(report.threshold, 4)}${target}: ${accepted}`),
    row(
      "coverage at",
      `95%: ${formatPercent(report.coverageAt["0.95"])}   97%: ${formatPercent(report.coverageAt["0.97"])}   99%: ${formatPercent(report.coverageAt["0.99"])} accuracy`,
    ),
  ];
  if (outOfScope.n > 0) {
    lines.push(
      row(
        "out of scope",
        `${formatQuantity(outOfScope.n, "text")}, ${formatCount(outOfScope.escalated)} escalated (${formatPercent(outOfScope.escalated / outOfScope.n)})`,
      ),
    );
  }
  const latency = report.latencyMs;
  lines.push(
    row(
      "latency",
      `p50 ${formatMilliseconds(latency.p50)}   p95 ${formatMilliseconds(latency.p95)}   p99 ${formatMilliseconds(latency.p99)} (one text per call, ${formatQuantity(report.latencySamples, "call")})`,
    ),
    row(
      "throughput",
      `${formatCount(report.throughputPerSec)} texts/s (batches of ${formatCount(report.batchSize)})`,
    ),
  );
  const modelFacts = [
    report.modelBytes === null ? undefined : formatBytes(report.modelBytes),
    report.trainSeconds === null ? undefined : `trained in ${formatSeconds(report.trainSeconds)}`,
  ].filter((fact) => fact !== undefined);
  if (modelFacts.length > 0) lines.push(row("model", modelFacts.join(", ")));
  return `${lines.join("\n")}\n`;
}

function row(name: string, value: string): string {
  return `  ${name.padEnd(14)}${value}`;
}
