// The cost module's public face: the TCO model, its inputs from the gateway's log, and its text and HTML reports.

export type { TcoDefault } from "./defaults.js";
export { hoursPerMonth, tcoDefaults } from "./defaults.js";
export type { GatherTcoInputsOptions, TcoOverrides } from "./gather.js";
export { gatherTcoInputs, tcoOverrideFlags } from "./gather.js";
export type { TcoChartOptions } from "./report.js";
export { formatMoney, formatTcoText, formatVolume, renderTcoChartSvg, renderTcoHtml } from "./report.js";
export type { CostsAt } from "./sample.js";
export { assessSample, defaultMinimumSample, wilsonInterval, withEscalationRate } from "./sample.js";
export type { ComputeTcoOptions } from "./tco.js";
export {
  computeTco,
  formatFigure,
  formatUsd,
  machinesAt,
  tcoInputOrder,
  tcoMonthlyCostAt,
  verdictOf,
} from "./tco.js";
export type { ThroughputMeasurement, ThroughputOptions } from "./throughput.js";
export { measureModelThroughput } from "./throughput.js";
export type {
  TcoBreakdown,
  TcoCurvePoint,
  TcoInput,
  TcoInputName,
  TcoInputSource,
  TcoInputs,
  TcoPerThousand,
  TcoReport,
  TcoSample,
  TcoShareInterval,
  TcoTrafficSample,
} from "./types.js";
