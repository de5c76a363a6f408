// The bundle manifest (the MANI section): what the model is, how it was calibrated and made, and what the bundle
// step changed. Checked by hand where it is read: the edge runtime carries no schema library.

import { SlmkitError } from "../../errors.js";
import type { FeatureConfig } from "../../text/features.js";
import type { ExtractFieldType } from "../../text/normalizers/index.js";
import type { TaskType } from "../../types.js";
import type { ExtractorFeatureConfig } from "../native/extractor-features.js";

/** What pruning did, measured on the validation split (and the test split when one was given). */
export interface BundlePruneReport {
  /** Largest share of validation predictions allowed to change (label or accepted), e.g. 0.002. */
  tolerance: number;
  featuresBefore: number;
  featuresAfter: number;
  /** Non-zero weights before and after. */
  weightsBefore: number;
  weightsAfter: number;
  /** Weights at or below this many 127ths of their row's largest were zeroed (int8: |value| ≤ cut). */
  cut: number;
  /** Bytes of the weights section before and after. */
  weightsBytesBefore: number;
  weightsBytesAfter: number;
  validation: PruneSplitFigures;
  test?: PruneSplitFigures;
}

export interface PruneSplitFigures {
  n: number;
  /** Predictions whose label or accepted flag differs from the unpruned model's. */
  changed: number;
  accuracyBefore: number;
  accuracyAfter: number;
}

export interface BundleManifest {
  task: TaskType;
  /** The use case the bundle was built for (`slmkit bundle --usecase`), or null. */
  useCase: string | null;
  /** classify and answer: the label set, in the output layer's order. Extract: the field names. */
  labels: string[];
  /** What each label (or field) means, from usecase.yaml; absent without a use case. */
  descriptions?: Record<string, string>;
  /** extract only: each field's value type, and the fields a record needs to be accepted. */
  fieldTypes?: Record<string, ExtractFieldType>;
  requiredFields?: string[];
  /** The featurizer's settings: `FeatureConfig` for classify and answer, `ExtractorFeatureConfig` for extract. */
  features: FeatureConfig | ExtractorFeatureConfig;
  calibration: { temperature: number; threshold: number; targetAccuracy: number };
  /** How the weights section stores weights. The extractor's are always float32. */
  precision: "int8" | "float32";
  /** The model directory the bundle was made from. */
  source: {
    formatVersion: number;
    dataHash: string;
    seed: number;
    createdAt: string;
    /** sha256 of its manifest.json: which model directory, exactly. */
    manifestSha256: string;
    validation: Record<string, unknown>;
  };
  /**
   * Present when the bundle step quantized a float32 model: the float32 threshold, and validation accuracy before
   * and after (null without validation data, when the threshold is kept as it was).
   */
  quantization?: {
    thresholdBefore: number;
    validationAccuracyBefore: number | null;
    validationAccuracyAfter: number | null;
  };
  prune?: BundlePruneReport;
  /** When the bundle was made (ISO 8601): a client keeps the newer of two bundles it holds. */
  createdAt: string;
  /** The slmkit that made it, e.g. "slmkit 0.1.0". */
  createdBy: string;
}

function invalid(field: string, expected: string): SlmkitError {
  return new SlmkitError(
    "MODEL_CORRUPT",
    `the bundle manifest's ${field} is not ${expected}. Rebuild the bundle with \`slmkit bundle\`.`,
    { field },
  );
}

type Json = Record<string, unknown>;

function record(value: unknown, field: string): Json {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw invalid(field, "an object");
  return value as Json;
}

function finite(value: unknown, field: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) throw invalid(field, "a number");
  return value;
}

function text(value: unknown, field: string): string {
  if (typeof value !== "string") throw invalid(field, "a string");
  return value;
}

function texts(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || value.some((item) => typeof item !== "string"))
    throw invalid(field, "a list of strings");
  return value as string[];
}

function textRecord(value: unknown, field: string): Record<string, string> {
  const object = record(value, field);
  for (const [key, item] of Object.entries(object)) text(item, `${field}.${key}`);
  return object as Record<string, string>;
}

const extractFieldTypes = new Set([
  "string",
  "date",
  "time",
  "integer",
  "number",
  "money",
  "quantity",
  "code",
]);

/** The numbers of a featurizer's settings, each a whole number in [0, 32]. */
function featureSettings(value: unknown, names: readonly string[]): Json {
  const object = record(value, "features");
  for (const name of names) {
    const setting = finite(object[name], `features.${name}`);
    if (!Number.isInteger(setting) || setting < 0 || setting > 32)
      throw invalid(`features.${name}`, "in [0, 32]");
  }
  return object;
}

/** Parses and checks the MANI section's JSON; anything off is MODEL_CORRUPT naming the field. */
export function parseBundleManifest(bytes: Uint8Array): BundleManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw invalid("text", "JSON");
  }
  const manifest = record(raw, "(root)");
  const task = manifest.task;
  if (task !== "classify" && task !== "answer" && task !== "extract") throw invalid("task", "a known task");
  const labels = texts(manifest.labels, "labels");
  if (labels.length < (task === "extract" ? 1 : 2)) throw invalid("labels", "long enough for the task");
  const calibration = record(manifest.calibration, "calibration");
  const temperature = finite(calibration.temperature, "calibration.temperature");
  if (temperature <= 0) throw invalid("calibration.temperature", "positive");
  finite(calibration.threshold, "calibration.threshold");
  finite(calibration.targetAccuracy, "calibration.targetAccuracy");
  if (manifest.precision !== "int8" && manifest.precision !== "float32")
    throw invalid("precision", "int8 or float32");
  if (task === "extract") {
    const features = featureSettings(manifest.features, ["hashBits", "window", "affixLength", "charNgram"]);
    // The extractor's table holds 2^hashBits rows: the directory format's own bound keeps it to 64 MB a tag.
    if ((features.hashBits as number) < 8 || (features.hashBits as number) > 24)
      throw invalid("features.hashBits", "in [8, 24]");
    const types = textRecord(manifest.fieldTypes ?? {}, "fieldTypes");
    for (const [field, type] of Object.entries(types))
      if (!extractFieldTypes.has(type)) throw invalid(`fieldTypes.${field}`, "a field type");
    texts(manifest.requiredFields ?? [], "requiredFields");
  } else {
    featureSettings(manifest.features, ["wordNgrams", "minCharNgram", "maxCharNgram"]);
  }
  if (manifest.useCase !== null) text(manifest.useCase, "useCase");
  if (manifest.descriptions !== undefined) textRecord(manifest.descriptions, "descriptions");
  record(manifest.source, "source");
  text(manifest.createdAt, "createdAt");
  return manifest as unknown as BundleManifest;
}
