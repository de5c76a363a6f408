// Builds a model bundle from a native model directory (Node): int8 by default, optionally pruned and signed,
// checked by opening it again, and written atomically. `slmkit bundle` is this plus flags.

import { createPrivateKey, createPublicKey, type KeyObject, sign } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { SlmkitError } from "../../errors.js";
import { writeFileAtomic } from "../../internal/fs.js";
import type { FeatureConfig } from "../../text/features.js";
import type { LabeledExample } from "../../types.js";
import { faqFileName, NativeAnswerer } from "../native/answerer.js";
import { NativeClassifier } from "../native/classifier.js";
import { loadModelDirectory, type NativeModel } from "../native/load-directory.js";
import {
  manifestFileName,
  readRawManifest,
  readVerifiedFile,
  sha256,
  weightsFileName,
} from "../native/model-directory.js";
import { decodeWeights, encodeWeights, type WeightsPrecision } from "../native/weights-file.js";
import { chooseThreshold } from "../threshold.js";
import { fromBase64 } from "./digest.js";
import { type BundleSection, type BundleSigner, encodeBundle, sectionKinds } from "./layout.js";
import type { BundleManifest, BundlePruneReport, PruneSplitFigures } from "./manifest.js";
import { openBundle } from "./open.js";
import { pruneClassifierWeights } from "./prune.js";

/** The drift monitor's reference file in a model directory (written by training; optional). */
const monitorReferenceFileName = "monitor-reference.json";

export interface BuildBundleOptions {
  /** How classifier and answerer weights are stored. Default "int8" (about 4× smaller); extractors stay float32. */
  precision?: WeightsPrecision;
  /** Drop the feature rows that change no validation prediction beyond `tolerance` (needs `valid`). Default false. */
  prune?: boolean;
  /** Largest share of validation predictions pruning may change (label or accepted), in [0, 1). Default 0.002. */
  tolerance?: number;
  /**
   * Validation examples (`{text, label}`): quantizing a float32 model re-chooses its threshold on them (as
   * `slmkit quantize` does), and pruning measures against them. Default none.
   */
  valid?: readonly LabeledExample[];
  /** Test examples: pruning reports its accuracy change on them too. Default none. */
  test?: readonly LabeledExample[];
  /** The use case: its id, and what each label or field means. Default none. */
  useCase?: { id: string; descriptions?: Record<string, string> };
  /** An Ed25519 private key (PKCS#8 PEM, as `openssl genpkey -algorithm ed25519` writes) to sign with. Default unsigned. */
  signingKey?: string;
}

export interface BuiltBundle {
  bytes: Uint8Array;
  /** The content's sha256 (hex): the bundle's identity and ETag. */
  sha256: string;
  manifest: BundleManifest;
  /** Bytes of each section, by kind. */
  sectionBytes: Record<string, number>;
  /** The base64 Ed25519 public key the bundle is signed with (give it to `loadEdgeModel`), or null. */
  signedBy: string | null;
  /** The extractor has no int8 form: set when int8 was asked for an extractor, which stays float32. */
  notice: string | null;
}

async function slmkitVersion(): Promise<string> {
  try {
    const text = await readFile(new URL("../../../package.json", import.meta.url), "utf8");
    return `slmkit ${(JSON.parse(text) as { version?: string }).version ?? "?"}`;
  } catch {
    return "slmkit";
  }
}

/** An Ed25519 signer over a private key file's text; the key's kind is checked before anything is signed. */
export function ed25519Signer(privateKeyText: string): BundleSigner {
  let key: KeyObject;
  try {
    key = createPrivateKey(privateKeyText);
  } catch (error) {
    throw new SlmkitError(
      "INVALID_INPUT",
      "the signing key is not a private key in PEM; make one with `openssl genpkey -algorithm ed25519 -out bundle-key.pem`.",
      { field: "sign", cause: error },
    );
  }
  if (key.asymmetricKeyType !== "ed25519")
    throw new SlmkitError(
      "INVALID_INPUT",
      `the signing key is ${key.asymmetricKeyType ?? "not asymmetric"}, not Ed25519; make one with \`openssl genpkey -algorithm ed25519\`.`,
      { field: "sign" },
    );
  const jwk = createPublicKey(key).export({ format: "jwk" });
  const publicKey = fromBase64(String(jwk.x)) as Uint8Array;
  return async (message) => ({ publicKey, signature: new Uint8Array(sign(null, message, key)) });
}

/** Accuracy of a classifier's labels on examples whose label it knows. */
function accuracyOf(model: NativeClassifier, examples: readonly LabeledExample[]): number {
  const predictions = model.predictSync(examples.map((example) => example.text));
  let correct = 0;
  predictions.forEach((prediction, index) => {
    if (prediction.label === examples[index]?.label) correct++;
  });
  return examples.length === 0 ? 0 : correct / examples.length;
}

function splitFigures(
  before: NativeClassifier,
  after: NativeClassifier,
  examples: readonly LabeledExample[],
): PruneSplitFigures {
  const texts = examples.map((example) => example.text);
  const old = before.predictSync(texts);
  const next = after.predictSync(texts);
  const changed = old.filter(
    (prediction, index) =>
      prediction.label !== next[index]?.label || prediction.accepted !== next[index]?.accepted,
  ).length;
  return {
    n: examples.length,
    changed,
    accuracyBefore: accuracyOf(before, examples),
    accuracyAfter: accuracyOf(after, examples),
  };
}

interface ClassifierStage {
  weights: Uint8Array;
  classifier: NativeClassifier;
  quantization?: BundleManifest["quantization"];
  prune?: BundlePruneReport;
}

/** The classifier's weights in the bundle's precision, re-thresholded and pruned as asked. */
function classifierStage(
  source: NativeClassifier,
  sourceBytes: Uint8Array,
  sourcePrecision: WeightsPrecision,
  targetAccuracy: number,
  options: BuildBundleOptions & { precision: WeightsPrecision },
): ClassifierStage {
  const known = (examples: readonly LabeledExample[] = []) =>
    examples.filter((example) => source.labels.includes(example.label));
  const valid = known(options.valid);
  const test = known(options.test);
  // The same precision as the directory: its weights byte for byte, so the bundle predicts exactly as it does.
  let weights =
    options.precision === sourcePrecision
      ? sourceBytes
      : encodeWeights(source.vocabulary, source.weights, options.precision);
  const features = source.vocabulary.config;
  const decoded = decodeWeights(weights, "(bundle)", features);
  let classifier = new NativeClassifier({
    ...source.parts(),
    vocabulary: decoded.vocabulary,
    weights: decoded.model,
  });
  const stage: ClassifierStage = { weights, classifier };
  if (sourcePrecision === "float32" && options.precision === "int8") {
    let threshold = source.threshold;
    // As `slmkit quantize`: the threshold is chosen again for the int8 model, when there is data to choose on.
    if (valid.length > 0) {
      const predictions = classifier.predictSync(valid.map((example) => example.text));
      threshold = chooseThreshold(
        predictions.map((prediction) => prediction.confidence),
        predictions.map((prediction, index) => prediction.label === valid[index]?.label),
        targetAccuracy,
      ).threshold;
      classifier = classifier.withThreshold(threshold);
    }
    stage.classifier = classifier;
    stage.quantization = {
      thresholdBefore: source.threshold,
      validationAccuracyBefore: valid.length > 0 ? accuracyOf(source, valid) : null,
      validationAccuracyAfter: valid.length > 0 ? accuracyOf(classifier, valid) : null,
    };
  }
  if (options.prune === true) {
    if (valid.length === 0)
      throw new SlmkitError(
        "INVALID_OPTION",
        "--prune measures what it may drop on validation data: give --valid <file> or --usecase <yaml> with data.valid.",
        { field: "valid" },
      );
    const pruned = pruneClassifierWeights({
      weights,
      features: features as FeatureConfig,
      labels: classifier.labels,
      temperature: classifier.temperature,
      threshold: classifier.threshold,
      texts: valid.map((example) => example.text),
      ...(options.tolerance === undefined ? {} : { tolerance: options.tolerance }),
    });
    stage.prune = {
      tolerance: options.tolerance ?? 0.002,
      featuresBefore: pruned.featuresBefore,
      featuresAfter: pruned.featuresAfter,
      weightsBefore: pruned.weightsBefore,
      weightsAfter: pruned.weightsAfter,
      cut: pruned.cut,
      weightsBytesBefore: weights.length,
      weightsBytesAfter: pruned.weights.length,
      validation: splitFigures(classifier, pruned.model, valid),
      ...(test.length > 0 ? { test: splitFigures(classifier, pruned.model, test) } : {}),
    };
    weights = pruned.weights;
    stage.weights = weights;
    stage.classifier = pruned.model;
  }
  return stage;
}

/**
 * Builds the bundle of the model directory `modelDir` (checked on loading: format version, every file's sha256)
 * and opens the result again before returning it, so a bundle that would not load is never handed out.
 */
export async function buildBundle(modelDir: string, options: BuildBundleOptions = {}): Promise<BuiltBundle> {
  const precision = options.precision ?? "int8";
  if (options.tolerance !== undefined && !(options.tolerance >= 0 && options.tolerance < 1))
    throw new SlmkitError(
      "INVALID_OPTION",
      `--tolerance must be in [0, 1), got ${options.tolerance}; e.g. 0.002.`,
      {
        field: "tolerance",
      },
    );
  const model: NativeModel = await loadModelDirectory(modelDir);
  const raw = (await readRawManifest(modelDir)) as Record<string, unknown>;
  const files = raw.files as Record<string, string>;
  const manifestBytes = await readFile(join(modelDir, manifestFileName));
  const calibration = raw.calibration as BundleManifest["calibration"];
  const sections: BundleSection[] = [];
  const { bytes: sourceWeights } = await readVerifiedFile(modelDir, files, weightsFileName);
  let notice: string | null = null;
  let manifest: BundleManifest;
  const base = {
    useCase: options.useCase?.id ?? null,
    ...(options.useCase?.descriptions === undefined ? {} : { descriptions: options.useCase.descriptions }),
    source: {
      formatVersion: raw.formatVersion as number,
      dataHash: raw.dataHash as string,
      seed: raw.seed as number,
      createdAt: raw.createdAt as string,
      manifestSha256: sha256(manifestBytes),
      validation: (raw.validation ?? {}) as Record<string, unknown>,
    },
    createdAt: new Date().toISOString(),
    createdBy: await slmkitVersion(),
  };
  if (model.task === "extract") {
    if (options.prune === true)
      throw new SlmkitError(
        "NOT_SUPPORTED",
        "--prune applies to classify and answer models; bundle the extractor without it.",
        {
          field: "prune",
        },
      );
    if (precision === "int8") notice = "the extractor's weights have no int8 form: they stay float32";
    sections.push({ kind: sectionKinds.weights, bytes: sourceWeights });
    manifest = {
      task: "extract",
      ...base,
      labels: [...model.fields],
      fieldTypes: { ...model.fieldTypes },
      requiredFields: [...model.requiredFields],
      features: model.features,
      calibration: {
        temperature: model.temperature,
        threshold: model.threshold,
        targetAccuracy: calibration.targetAccuracy,
      },
      precision: "float32",
    };
  } else {
    const classifier = model instanceof NativeAnswerer ? model.classifier : (model as NativeClassifier);
    const sourcePrecision = raw.precision === "int8" ? "int8" : "float32";
    const stage = classifierStage(classifier, sourceWeights, sourcePrecision, calibration.targetAccuracy, {
      ...options,
      precision,
    });
    sections.push({ kind: sectionKinds.weights, bytes: stage.weights });
    if (model.task === "answer")
      sections.push({
        kind: sectionKinds.faq,
        bytes: (await readVerifiedFile(modelDir, files, faqFileName)).bytes,
      });
    manifest = {
      task: model.task,
      ...base,
      labels: [...classifier.labels],
      features: classifier.vocabulary.config,
      calibration: {
        temperature: classifier.temperature,
        threshold: stage.classifier.threshold,
        targetAccuracy: calibration.targetAccuracy,
      },
      precision,
      ...(stage.quantization === undefined ? {} : { quantization: stage.quantization }),
      ...(stage.prune === undefined ? {} : { prune: stage.prune }),
    };
  }
  if (files[monitorReferenceFileName] !== undefined)
    sections.push({
      kind: sectionKinds.monitor,
      bytes: (await readVerifiedFile(modelDir, files, monitorReferenceFileName)).bytes,
    });
  sections.unshift({
    kind: sectionKinds.manifest,
    bytes: new TextEncoder().encode(JSON.stringify(manifest)),
  });
  const signer = options.signingKey === undefined ? undefined : ed25519Signer(options.signingKey);
  const bytes = await encodeBundle(sections, signer);
  const opened = await openBundle(bytes);
  return {
    bytes,
    sha256: opened.sha256,
    manifest,
    sectionBytes: Object.fromEntries(sections.map((section) => [section.kind, section.bytes.length])),
    signedBy: opened.signedBy,
    notice,
  };
}

/** Writes a bundle to `path` atomically (temporary sibling, then rename): no reader sees half a bundle. */
export async function writeBundle(path: string, bundle: Pick<BuiltBundle, "bytes">): Promise<void> {
  await writeFileAtomic(path, bundle.bytes);
}
