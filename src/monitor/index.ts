// The drift monitor's public face: reference profiles, drift checks, the periodic monitor and its formatting.

export { type ComputeDriftOptions, computeDrift, minAccuracyItems } from "./drift.js";
export {
  createDriftMonitor,
  type DriftGaugeValue,
  type DriftMonitor,
  type DriftMonitorOptions,
  type DriftMonitorUseCase,
  driftGaugeValues,
} from "./drift-monitor.js";
export { formatDriftReport } from "./format.js";
export { inputLengthOf } from "./log-figures.js";
export { readModelVersion } from "./model-version.js";
export {
  binIndex,
  categoryShares,
  confidenceBinEdges,
  histogramCounts,
  histogramShares,
  lengthBinEdges,
  populationStabilityIndex,
  psiEpsilon,
  toShares,
} from "./psi.js";
export {
  buildReferenceProfile,
  type LoadReferenceOptions,
  loadReference,
  profileFromLog,
  readReferenceProfile,
  referenceFileName,
  referenceFiles,
  writeReferenceProfile,
} from "./reference.js";
export type {
  DriftCheck,
  DriftCheckName,
  DriftReport,
  DriftStatus,
  ReferenceFigure,
  ReferenceProfile,
} from "./types.js";
