// The edge runtime's model: a bundle's bytes in, one text's prediction out, synchronously, with the same code and
// the same bits as `slmkit predict` in Node.

import type { BundleManifest } from "../models/bundle/manifest.js";
import { openBundle } from "../models/bundle/open.js";
import type { NativeAnswerer } from "../models/native/answerer.js";
import type { NativeClassifier } from "../models/native/classifier.js";
import type { NativeExtractor } from "../models/native/extractor.js";
import type { FieldValues } from "../models/task-model.js";

/** A classify model's prediction. */
export interface EdgeClassification {
  label: string;
  /** Calibrated probability of `label`, in [0, 1]. */
  confidence: number;
  /** `confidence >= threshold`: the label may be used without escalation. */
  accepted: boolean;
  /** Share of the text's n-grams the model has never seen, in [0, 1]: a drift signal the client logs. */
  unknownShare?: number;
}

/** An answer (FAQ) model's prediction. */
export interface EdgeAnswer {
  /** The FAQ answer with its slots filled when `accepted`; null otherwise (an unsure model makes nothing up). */
  answer: string | null;
  /** The question's intent. */
  label: string;
  confidence: number;
  /** Confident intent, agreeing retrieval and every slot filled. */
  accepted: boolean;
  /** Why a prediction at or above the threshold was still refused, e.g. "retrieval (BM25) disagrees". */
  refusal?: string;
}

/** An extract model's prediction: one record of fields. */
export interface EdgeExtraction {
  /** Every field → its value (text, or a number for integer, number, money and quantity fields), null when absent. */
  fields: FieldValues;
  /** Calibrated confidence that the whole record is right, in [0, 1]. */
  confidence: number;
  /** `confidence >= threshold` and every required field found. */
  accepted: boolean;
  refusal?: string;
}

export interface EdgeExtractOptions {
  /** "Today", for relative dates ("tomorrow", "next Friday"). Default: now. */
  referenceDate?: Date;
}

interface EdgeModelBase {
  /** The bundle's sha256 (hex): its identity, and the ETag the gateway serves it under. */
  readonly sha256: string;
  readonly manifest: BundleManifest;
  /** Classify and answer: the labels, in the model's order. Extract: the field names. */
  readonly labels: readonly string[];
  /** Predictions at or above this calibrated confidence are accepted. */
  readonly threshold: number;
  /** Bytes of the bundle. */
  readonly byteLength: number;
  /** The base64 Ed25519 public key that signed the bundle, or null when unsigned. */
  readonly signedBy: string | null;
  /** Where the classifier's logits run ("webassembly", or "javascript" without it); null for extract models. */
  readonly backend: "webassembly" | "javascript" | null;
  /** The drift monitor's reference profile the bundle carries, or null. */
  readonly monitorReference: unknown;
}

export interface EdgeClassifyModel extends EdgeModelBase {
  readonly task: "classify";
  predict(text: string): EdgeClassification;
}

export interface EdgeAnswerModel extends EdgeModelBase {
  readonly task: "answer";
  predict(text: string): EdgeAnswer;
  /** The FAQ answer of `label` with its slots filled from `text`, or null when a slot cannot be filled. */
  answerFor(label: string, text: string): string | null;
}

export interface EdgeExtractModel extends EdgeModelBase {
  readonly task: "extract";
  predict(text: string, options?: EdgeExtractOptions): EdgeExtraction;
}

/** A bundle's model, by task; narrow on `task`. */
export type EdgeModel = EdgeClassifyModel | EdgeAnswerModel | EdgeExtractModel;

export interface LoadEdgeModelOptions {
  /**
   * The Ed25519 public key (32 raw bytes, or their base64, as `slmkit bundle --sign` prints it) the bundle must be
   * signed with. Default none: any intact bundle loads (a signed one is still checked against the key it carries).
   */
  publicKey?: Uint8Array | string;
}

/**
 * Checks a bundle (size, format version, sha256, signature) and returns its model. A damaged, cut-short, tampered
 * or wrongly signed bundle is a SlmkitError MODEL_CORRUPT; one from a newer slmkit is MODEL_VERSION.
 */
export async function loadEdgeModel(
  bytes: Uint8Array | ArrayBuffer,
  options: LoadEdgeModelOptions = {},
): Promise<EdgeModel> {
  const opened = await openBundle(bytes, options);
  const { model } = opened;
  const base = {
    sha256: opened.sha256,
    manifest: opened.manifest,
    labels: model.labels,
    threshold: model.threshold,
    byteLength: opened.byteLength,
    signedBy: opened.signedBy,
    monitorReference: opened.monitorReference,
  };
  if (model.task === "classify") {
    const classifier = model as NativeClassifier;
    return {
      ...base,
      task: "classify",
      backend: classifier.logitsBackend,
      predict: (text) => classifier.predictSync([text])[0] as EdgeClassification,
    };
  }
  if (model.task === "answer") {
    const answerer = model as NativeAnswerer;
    return {
      ...base,
      task: "answer",
      backend: answerer.classifier.logitsBackend,
      predict: (text) => answerer.predictSync([text])[0] as EdgeAnswer,
      answerFor: (label, text) => answerer.answerFor(label, text),
    };
  }
  const extractor = model as NativeExtractor;
  return {
    ...base,
    task: "extract",
    backend: null,
    predict: (text, predictOptions = {}) => {
      const { fields, confidence, accepted, refusal } = extractor.predictSync(
        [text],
        predictOptions,
      )[0] as EdgeExtraction;
      return refusal === undefined
        ? { fields, confidence, accepted }
        : { fields, confidence, accepted, refusal };
    },
  };
}
