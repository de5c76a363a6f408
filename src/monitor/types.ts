// Drift monitoring types: a reference profile of what the model was built for, and a report comparing live traffic with it.

/**
 * What "normal" looks like for one model: written as `monitor-reference.json` into the model directory at train
 * time (from the validation split, else the training data), or taken from a pinned window of served traffic.
 */
export interface ReferenceProfile {
  formatVersion: 1;
  /** "training": the model's own data at train time; "window": a pinned window of the request log. */
  source: "training" | "window";
  /** Items the profile was computed from. */
  n: number;
  /** Share of items per predicted label (every model label present, zeros included). */
  labelShares: Record<string, number>;
  /** Share of items per confidence bin; bin edges are `confidenceBinEdges`. */
  confidenceHistogram: number[];
  /** Share of items per input-length bin (characters); bin edges are `lengthBinEdges`. */
  lengthHistogram: number[];
  /** Mean share of unseen n-grams per item, in [0, 1]. */
  unknownShareMean: number;
  /** Share of items below the model's threshold: the escalation rate to expect. */
  escalationRate: number;
  /** ISO 8601 time the profile was made. */
  createdAt: string;
  /**
   * Figures the profile has no data for (e.g. a pinned window of rows logged before `unknownShare` was
   * recorded): their checks report "insufficient" instead of comparing with a zero. Absent: all measured.
   */
  missing?: ReferenceFigure[];
}

/** The checks that compare the window with a reference profile (the others compare with a fixed bound). */
export type ReferenceFigure = "labels" | "confidence" | "inputLength" | "unknownTokens" | "escalationRate";

export type DriftCheckName =
  | "labels"
  | "confidence"
  | "inputLength"
  | "unknownTokens"
  | "escalationRate"
  | "feedbackAccuracy"
  | "shadowAgreement";

export type DriftStatus = "ok" | "alert" | "insufficient";

export interface DriftCheck {
  name: DriftCheckName;
  /** What is compared, e.g. "PSI of predicted labels" or "accuracy on feedback". */
  metric: string;
  /** The window's figure (a PSI, a share or an accuracy); null when there is not enough data. */
  value: number | null;
  /** The reference's figure, when the check compares two levels (e.g. escalation rate); null for PSI checks. */
  reference: number | null;
  /** The alert threshold; `direction` says which side alerts. */
  threshold: number;
  direction: "above" | "below";
  status: DriftStatus;
  /** Items behind `value`. */
  n: number;
  /** One line a person can act on, e.g. "PSI 0.41 > 0.20: the mix of predicted labels changed". */
  detail: string;
}

export interface DriftReport {
  useCaseId: string;
  modelVersion: string | null;
  /** "drift" when any check alerts; "insufficient" when the window is below `monitor.minRequests`. */
  status: "ok" | "drift" | "insufficient";
  window: { n: number; from: number | null; to: number | null };
  reference: { source: ReferenceProfile["source"]; n: number; createdAt: string };
  checks: DriftCheck[];
  /** ms since the epoch. */
  computedAt: number;
}
