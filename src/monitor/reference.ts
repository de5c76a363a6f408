// The drift reference: what normal traffic looks like for a model, from its data or a pinned window of the log.

import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { z } from "zod";
import { readClassificationData } from "../data/io.js";
import { SlmkitError } from "../errors.js";
import { writeFileAtomic } from "../internal/fs.js";
import type { NativeClassifier } from "../models/native/classifier.js";
import type { UseCase } from "../spec/schema.js";
import type { RequestLogEntry, Store } from "../store/types.js";
import { logFigures, mean } from "./log-figures.js";
import { binCount, categoryShares, confidenceBinEdges, histogramShares, lengthBinEdges } from "./psi.js";
import type { ReferenceFigure, ReferenceProfile } from "./types.js";

/** The file `writeReferenceProfile` writes into a model directory. */
export const referenceFileName = "monitor-reference.json";

/** Most rows a pinned window is read with: enough for any sensible window, bounded for memory. */
const pinnedWindowLimit = 100_000;

function labelSharesOf(labels: readonly string[], predicted: readonly string[]): Record<string, number> {
  const shares = categoryShares(predicted, labels);
  return Object.fromEntries(labels.map((label, index) => [label, shares[index] as number]));
}

/**
 * Profiles a model on texts it was built for (the validation split, else the training data): the mix of its
 * predicted labels, its confidence and the input lengths as histograms, the mean share of unseen n-grams, and
 * the share of texts below its threshold (the escalation rate to expect). Source "training".
 */
export function buildReferenceProfile(model: NativeClassifier, texts: readonly string[]): ReferenceProfile {
  if (texts.length === 0) {
    throw new SlmkitError(
      "EMPTY_DATA",
      "a drift reference needs texts the model was built for; got none. Give the validation or training texts.",
    );
  }
  const labels: string[] = [];
  const confidences: number[] = [];
  const lengths: number[] = [];
  const unknownShares: number[] = [];
  let below = 0;
  for (const text of texts) {
    const prediction = model.predictDetailed(text);
    labels.push(prediction.label);
    confidences.push(prediction.confidence);
    lengths.push(text.length);
    unknownShares.push(prediction.unknownShare);
    if (prediction.confidence < model.threshold) below += 1;
  }
  return {
    formatVersion: 1,
    source: "training",
    n: texts.length,
    labelShares: labelSharesOf(model.labels, labels),
    confidenceHistogram: histogramShares(confidences, confidenceBinEdges),
    lengthHistogram: histogramShares(lengths, lengthBinEdges),
    unknownShareMean: mean(unknownShares),
    escalationRate: below / texts.length,
    createdAt: new Date().toISOString(),
  };
}

/**
 * Profiles served traffic, for a pinned window of the request log (source "window"). `labels` are the model's
 * labels, each given a share (zeros included). A figure no row carries (e.g. `unknownShare` on rows logged
 * before it was recorded) is listed in `missing`, so its check says "insufficient" rather than compare with 0.
 */
export function profileFromLog(
  entries: readonly RequestLogEntry[],
  labels: readonly string[],
): ReferenceProfile {
  const figures = logFigures(entries);
  const missing: ReferenceFigure[] = [];
  if (figures.slmLabels.length === 0) missing.push("labels");
  if (figures.slmConfidences.length === 0) missing.push("confidence");
  if (figures.inputLengths.length === 0) missing.push("inputLength");
  if (figures.unknownShares.length === 0) missing.push("unknownTokens");
  if (figures.escalation.n === 0) missing.push("escalationRate");
  return {
    formatVersion: 1,
    source: "window",
    n: entries.length,
    labelShares: labelSharesOf(labels, figures.slmLabels),
    confidenceHistogram: histogramShares(figures.slmConfidences, confidenceBinEdges),
    lengthHistogram: histogramShares(figures.inputLengths, lengthBinEdges),
    unknownShareMean: mean(figures.unknownShares),
    escalationRate: figures.escalation.n === 0 ? 0 : figures.escalation.below / figures.escalation.n,
    createdAt: new Date().toISOString(),
    ...(missing.length > 0 ? { missing } : {}),
  };
}

/** Writes `monitor-reference.json` into a model directory, atomically. */
/**
 * The reference profile as a model directory file, for `ModelRecord.files`: written in the same atomic write
 * as the model, so a model and its reference never disagree.
 */
export function referenceFiles(model: NativeClassifier, texts: readonly string[]): Record<string, string> {
  if (texts.length === 0) return {};
  return { [referenceFileName]: `${JSON.stringify(buildReferenceProfile(model, texts), null, 2)}\n` };
}

export async function writeReferenceProfile(modelDir: string, profile: ReferenceProfile): Promise<void> {
  await writeFileAtomic(join(modelDir, referenceFileName), `${JSON.stringify(profile, null, 2)}\n`);
}

const share = z.number().gte(0).lte(1);
const figureNames = ["labels", "confidence", "inputLength", "unknownTokens", "escalationRate"] as const;
const profileSchema = z.object({
  formatVersion: z.literal(1),
  source: z.enum(["training", "window"]),
  n: z.int().gte(0),
  labelShares: z.record(z.string(), share),
  confidenceHistogram: z.array(share).length(binCount(confidenceBinEdges)),
  lengthHistogram: z.array(share).length(binCount(lengthBinEdges)),
  unknownShareMean: share,
  escalationRate: share,
  createdAt: z.string().min(1),
  missing: z.array(z.enum(figureNames)).optional(),
});

/**
 * Reads `monitor-reference.json` of a model directory; undefined when there is none. A file that is not a valid
 * profile is MODEL_CORRUPT, naming the file: delete it to fall back to the use case's data.
 */
export async function readReferenceProfile(modelDir: string): Promise<ReferenceProfile | undefined> {
  const path = join(modelDir, referenceFileName);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new SlmkitError("IO_ERROR", `cannot read the drift reference: ${(error as Error).message}`, {
      file: path,
      cause: error,
    });
  }
  const fix = `Delete ${referenceFileName} to compare with the use case's data instead, or train the model again.`;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new SlmkitError("MODEL_CORRUPT", `${referenceFileName} is not valid JSON. ${fix}`, {
      file: path,
      cause: error,
    });
  }
  const version = (raw as { formatVersion?: unknown } | null)?.formatVersion;
  if (typeof version === "number" && version > 1) {
    throw new SlmkitError(
      "MODEL_VERSION",
      `${referenceFileName} has format version ${version}, made by a newer slmkit; this one reads version 1. Upgrade slmkit.`,
      { file: path },
    );
  }
  const parsed = profileSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`)
      .join("; ");
    throw new SlmkitError(
      "MODEL_CORRUPT",
      `${referenceFileName} is not a drift reference (${problems}). ${fix}`,
      {
        file: path,
      },
    );
  }
  const { missing, ...profile } = parsed.data;
  return missing === undefined ? profile : { ...profile, missing };
}

export interface LoadReferenceOptions {
  /** The validated use case: its `monitor.pinnedWindow`, `data` paths and id are used. */
  useCase: UseCase;
  /** Folder of the usecase.yaml file: the base of its relative data paths. */
  useCaseDir: string;
  /** The model directory, searched for `monitor-reference.json`. Absent: go straight to the data. */
  modelDir?: string;
  /** The served model: profiles the use case's data when no reference file exists. */
  model: NativeClassifier;
  /** The request log; required when `monitor.pinnedWindow` is set. */
  store?: Pick<Store, "listRequests">;
}

/**
 * The reference to compare traffic with, first found of:
 * 1. the pinned window of served traffic (`monitor.pinnedWindow`), read from `store`;
 * 2. `monitor-reference.json` in the model directory, written at train time;
 * 3. a profile built now from the use case's `data.valid` (else `data.train`) texts.
 */
export async function loadReference(options: LoadReferenceOptions): Promise<ReferenceProfile> {
  const { useCase, model } = options;
  const pinned = useCase.monitor.pinnedWindow;
  if (pinned !== undefined) {
    if (options.store === undefined) {
      throw new SlmkitError(
        "INVALID_OPTION",
        "monitor.pinnedWindow compares with logged traffic, so the request log is needed; pass the store.",
        { field: "monitor.pinnedWindow" },
      );
    }
    const entries = await options.store.listRequests({
      useCaseId: useCase.id,
      since: Date.parse(pinned.from),
      until: Date.parse(pinned.to),
      order: "oldest",
      limit: pinnedWindowLimit,
    });
    if (entries.length < useCase.monitor.minRequests) {
      throw new SlmkitError(
        "INVALID_SPEC",
        `monitor.pinnedWindow (${pinned.from} to ${pinned.to}) holds ${entries.length} logged requests of "${useCase.id}"; a reference needs at least monitor.minRequests (${useCase.monitor.minRequests}). Widen the window, or remove it to compare with the training data.`,
        { field: "monitor.pinnedWindow" },
      );
    }
    return profileFromLog(entries, model.labels);
  }
  if (options.modelDir !== undefined) {
    const saved = await readReferenceProfile(options.modelDir);
    if (saved !== undefined) return saved;
  }
  const path = resolve(options.useCaseDir, useCase.data.valid ?? useCase.data.train);
  const examples = await readClassificationData(path);
  return buildReferenceProfile(
    model,
    examples.map((example) => example.text),
  );
}
