// Saves and loads a native model directory: manifest.json, weights.bin and model-card.md (DESIGN.md Contracts).

import { createHash } from "node:crypto";
import { readFile, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { z } from "zod";
import { SlmkitError } from "../../errors.js";
import { writeDirectoryAtomic } from "../../internal/fs.js";
import { fieldTypes } from "../../spec/schema.js";
import { NativeClassifier } from "./classifier.js";
import { renderModelCard } from "./model-card.js";
import { decodeWeights, encodeWeights, type WeightsPrecision } from "./weights-file.js";

/** The model directory format this slmkit writes; it reads this version and older ones. */
export const modelFormatVersion = 1;
export const weightsFileName = "weights.bin";
export const manifestFileName = "manifest.json";
export const modelCardFileName = "model-card.md";

const featureConfigSchema = z.object({
  wordNgrams: z.number().int().min(1).max(5),
  minCharNgram: z.number().int().min(0).max(10),
  maxCharNgram: z.number().int().min(0).max(10),
});

const manifestSchema = z
  .object({
    formatVersion: z.number().int().positive(),
    task: z.literal("classify"),
    labels: z.array(z.string()).min(2),
    hyperparameters: z.object({ features: featureConfigSchema }).passthrough(),
    seed: z.number().int(),
    dataHash: z.string(),
    calibration: z.object({
      temperature: z.number().positive(),
      threshold: z.number(),
      targetAccuracy: z.number(),
    }),
    validation: z.record(z.string(), z.unknown()),
    files: z.record(z.string(), z.string()),
    createdAt: z.string(),
    precision: z.enum(["float32", "int8"]).default("float32"),
    trainSeconds: z.number().optional(),
  })
  .passthrough();

/** The parsed manifest of a native classifier's model directory. */
export type ModelManifest = z.infer<typeof manifestSchema>;

const extractorFeatureSchema = z.object({
  hashBits: z.number().int().min(8).max(24),
  window: z.number().int().min(0).max(5),
  affixLength: z.number().int().min(0).max(8),
  charNgram: z.number().int().min(0).max(6),
});

/** The manifest of an extractor (`task: "extract"`): `fields` instead of `labels`, and their types. */
const extractorManifestSchema = z
  .object({
    formatVersion: z.number().int().positive(),
    task: z.literal("extract"),
    fields: z.array(z.string()).min(1),
    fieldTypes: z.record(z.string(), z.enum(fieldTypes)).default({}),
    requiredFields: z.array(z.string()).default([]),
    hyperparameters: z.object({ features: extractorFeatureSchema }).passthrough(),
    seed: z.number().int(),
    dataHash: z.string(),
    calibration: z.object({
      temperature: z.number().positive(),
      threshold: z.number(),
      targetAccuracy: z.number(),
    }),
    validation: z.record(z.string(), z.unknown()),
    files: z.record(z.string(), z.string()),
    createdAt: z.string(),
    precision: z.literal("float32").default("float32"),
    trainSeconds: z.number().optional(),
  })
  .passthrough();

/** The parsed manifest of a native extractor's model directory. */
export type ExtractorManifest = z.infer<typeof extractorManifestSchema>;

/** Either native manifest. */
export type NativeManifest = ModelManifest | ExtractorManifest;

/** Everything besides weights that a saved model records about its training. */
export interface ModelRecord {
  hyperparameters: Record<string, unknown>;
  seed: number;
  dataHash: string;
  targetAccuracy: number;
  validation: Record<string, unknown>;
  trainSeconds?: number;
  /** Extra manifest fields (e.g. `quantization` with the accuracy change). */
  extra?: Record<string, unknown>;
  /**
   * Extra files written into the directory in the same atomic write, by name (e.g. the drift monitor's
   * `monitor-reference.json`); each is listed with its sha256 in the manifest's `files`.
   */
  files?: Record<string, string>;
}

export function sha256(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Writes the model directory atomically: on any failure nothing (or the previous model) remains at `dir`. */
export async function saveNativeModel(
  model: NativeClassifier,
  dir: string,
  record: ModelRecord,
  precision: WeightsPrecision = "float32",
): Promise<ModelManifest> {
  const weights = encodeWeights(model.vocabulary, model.weights, precision);
  const manifest: ModelManifest = {
    formatVersion: modelFormatVersion,
    task: "classify",
    labels: [...model.labels],
    hyperparameters: { ...record.hyperparameters, features: model.vocabulary.config },
    seed: record.seed,
    dataHash: record.dataHash,
    calibration: {
      temperature: model.temperature,
      threshold: model.threshold,
      targetAccuracy: record.targetAccuracy,
    },
    validation: record.validation,
    files: {},
    createdAt: new Date().toISOString(),
    precision,
    ...(record.trainSeconds === undefined ? {} : { trainSeconds: record.trainSeconds }),
    featureCount: model.weights.featureCount,
    ...record.extra,
  };
  const card = renderModelCard(manifest, weights.byteLength);
  const extraFiles = Object.entries(record.files ?? {});
  manifest.files = {
    [weightsFileName]: sha256(weights),
    [modelCardFileName]: sha256(card),
    ...Object.fromEntries(extraFiles.map(([name, content]) => [name, sha256(content)])),
  };
  await writeDirectoryAtomic(dir, async (temporary) => {
    await writeFile(join(temporary, weightsFileName), weights);
    await writeFile(join(temporary, modelCardFileName), card);
    for (const [name, content] of extraFiles) await writeFile(join(temporary, name), content);
    await writeFile(join(temporary, manifestFileName), `${JSON.stringify(manifest, null, 2)}\n`);
  });
  return manifest;
}

/** Reads `manifest.json` as JSON and checks its format version; the task-specific schema is checked by the caller. */
async function readManifestJson(dir: string): Promise<{ raw: unknown; path: string }> {
  const path = join(dir, manifestFileName);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new SlmkitError(
      "MODEL_NOT_FOUND",
      `no model at ${dir} (missing ${manifestFileName}). Train one with \`slmkit train --train <file> --out ${dir}\`.`,
      { file: path, cause: error },
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new SlmkitError("MODEL_CORRUPT", "manifest.json is not valid JSON. Train the model again.", {
      file: path,
      cause: error,
    });
  }
  const version = (raw as { formatVersion?: unknown } | null)?.formatVersion;
  if (typeof version === "number" && version > modelFormatVersion) {
    throw new SlmkitError(
      "MODEL_VERSION",
      `this model has format version ${version}, made by a newer slmkit; this one reads up to version ${modelFormatVersion}. Upgrade slmkit.`,
      { file: path },
    );
  }
  return { raw, path };
}

function parseWith<T>(schema: z.ZodType<T>, raw: unknown, path: string): T {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`)
      .join("; ");
    throw new SlmkitError(
      "MODEL_CORRUPT",
      `manifest.json is not an slmkit native model manifest (${problems}).`,
      { file: path },
    );
  }
  return parsed.data;
}

function taskOf(raw: unknown): unknown {
  return (raw as { task?: unknown } | null)?.task;
}

/** Reads and validates `manifest.json` of a classifier's model directory. */
export async function readManifest(dir: string): Promise<ModelManifest> {
  const { raw, path } = await readManifestJson(dir);
  if (taskOf(raw) === "extract") {
    throw new SlmkitError(
      "NOT_SUPPORTED",
      "this is an extraction model (task extract), not a classifier; load it with loadNativeExtractor, or use `slmkit eval`, which handles both.",
      { file: path },
    );
  }
  return parseWith(manifestSchema, raw, path);
}

/** Reads and validates `manifest.json` of an extractor's model directory. */
export async function readExtractorManifest(dir: string): Promise<ExtractorManifest> {
  const { raw, path } = await readManifestJson(dir);
  if (taskOf(raw) !== "extract") {
    throw new SlmkitError(
      "NOT_SUPPORTED",
      `this model's task is ${JSON.stringify(taskOf(raw))}, not extract; load it with loadModel.`,
      { file: path },
    );
  }
  return parseWith(extractorManifestSchema, raw, path);
}

/** Reads either kind of native manifest; branch on `task`. */
export async function readAnyManifest(dir: string): Promise<NativeManifest> {
  const { raw, path } = await readManifestJson(dir);
  return taskOf(raw) === "extract"
    ? parseWith(extractorManifestSchema, raw, path)
    : parseWith(manifestSchema, raw, path);
}

/**
 * Reads `weights.bin` of a model directory and checks it against the sha256 its manifest lists: a missing,
 * changed or truncated file is MODEL_CORRUPT, naming the file.
 */
export async function readVerifiedWeights(
  dir: string,
  files: Readonly<Record<string, string>>,
): Promise<{ bytes: Buffer; path: string }> {
  return readVerifiedFile(dir, files, weightsFileName);
}

/** Reads the file `name` of a model directory, checked against the sha256 its manifest lists (MODEL_CORRUPT). */
export async function readVerifiedFile(
  dir: string,
  files: Readonly<Record<string, string>>,
  name: string,
): Promise<{ bytes: Buffer; path: string }> {
  const path = join(dir, name);
  const expected = files[name];
  if (expected === undefined) {
    throw new SlmkitError("MODEL_CORRUPT", `manifest.json lists no ${name}. Train the model again.`, {
      file: join(dir, manifestFileName),
    });
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new SlmkitError("MODEL_CORRUPT", `${name} is missing. Train the model again.`, {
      file: path,
      cause: error,
    });
  }
  if (sha256(bytes) !== expected) {
    throw new SlmkitError(
      "MODEL_CORRUPT",
      `checksum mismatch: ${name} was changed or truncated after training. Train the model again or restore the file.`,
      { file: path },
    );
  }
  return { bytes, path };
}

/**
 * The manifest of a model directory of any task as plain JSON, unvalidated, or undefined when there is none
 * or it does not parse: for deciding which loader to use, or whether a saved model can be reused.
 */
export async function readRawManifest(dir: string): Promise<Record<string, unknown> | undefined> {
  try {
    const value: unknown = JSON.parse(await readFile(join(dir, manifestFileName), "utf8"));
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Loads a native model directory, verifying format version and every file's checksum. */
export async function loadNativeModel(dir: string): Promise<NativeClassifier> {
  const manifest = await readManifest(dir);
  const { bytes, path: weightsPath } = await readVerifiedWeights(dir, manifest.files);
  const { vocabulary, model } = decodeWeights(bytes, weightsPath, manifest.hyperparameters.features);
  if (model.classCount !== manifest.labels.length) {
    throw new SlmkitError(
      "MODEL_CORRUPT",
      `the weights have ${model.classCount} classes but the manifest lists ${manifest.labels.length} labels.`,
      { file: weightsPath },
    );
  }
  const modelBytes = await directoryBytes(dir, Object.keys(manifest.files).concat(manifestFileName));
  return new NativeClassifier({
    labels: manifest.labels,
    vocabulary,
    weights: model,
    temperature: manifest.calibration.temperature,
    threshold: manifest.calibration.threshold,
    reference: resolve(dir),
    info: {
      modelBytes,
      targetAccuracy: manifest.calibration.targetAccuracy,
      ...(manifest.trainSeconds === undefined ? {} : { trainSeconds: manifest.trainSeconds }),
    },
  });
}

/** Bytes on disk of the named files of a model directory. */
export async function directoryBytes(dir: string, names: readonly string[]): Promise<number> {
  let total = 0;
  for (const name of names) total += (await stat(join(dir, name))).size;
  return total;
}
