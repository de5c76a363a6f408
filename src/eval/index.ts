// The public face of evaluation: metrics, calibration, selective prediction, latency, reports.

export type { ReliabilityBin } from "./calibration.js";
export {
  defaultCalibrationBins,
  expectedCalibrationError,
  expectedCalibrationErrorOfBins,
  reliabilityBins,
} from "./calibration.js";
export type {
  ClassificationEvalReport,
  CoverageAtTargets,
  EvaluateClassifierOptions,
  LatencyPercentiles,
  OutOfScopeSummary,
} from "./evaluate.js";
export { evaluateClassifier } from "./evaluate.js";
export { formatEvalSummary } from "./format.js";
export { millisecondsSince, percentiles, startTimer, timeCall } from "./latency.js";
export type { ClassificationMetrics, ClassMetrics, ConfusedPair, ConfusionMatrix } from "./metrics.js";
export { classificationMetrics, topConfusedPairs } from "./metrics.js";
export { renderEvalHtml } from "./report-html.js";
export type {
  ChooseThresholdOptions,
  CoverageCurveOptions,
  CoveragePoint,
  SelectiveOutcome,
  ThresholdChoice,
} from "./selective.js";
export {
  acceptNothingMargin,
  chooseThreshold,
  coverageAtAccuracy,
  coverageCurve,
  evaluateAtThreshold,
  exactCoverageCurve,
  standardAccuracyTargets,
  thinCoverageCurve,
} from "./selective.js";
