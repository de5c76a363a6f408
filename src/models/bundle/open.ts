// Opens a model bundle into the native model it holds (classifier, FAQ answerer or extractor). No Node API: the
// edge runtime opens bundles with this, and `slmkit` in Node with the very same code.

import type { AnswerSlot, FaqAnswer } from "../../data/faq.js";
import { SlmkitError } from "../../errors.js";
import type { FeatureConfig } from "../../text/features.js";
import { NativeAnswerer, type RetrievalDocument, type RetrievalSettings } from "../native/answerer.js";
import { NativeClassifier } from "../native/classifier.js";
import { NativeExtractor } from "../native/extractor.js";
import { tagCountFor } from "../native/extractor-decoder.js";
import type { ExtractorFeatureConfig } from "../native/extractor-features.js";
import { decodeExtractorWeights } from "../native/extractor-weights.js";
import type { NativeModel } from "../native/load-directory.js";
import { WasmLogits } from "../native/wasm-logits.js";
import { dequantizeWeights, readStoredWeights } from "../native/weights-file.js";
import { type BundleContainer, type ReadBundleOptions, readBundle, sectionKinds } from "./layout.js";
import { type BundleManifest, parseBundleManifest } from "./manifest.js";

/** A checked bundle and the model it holds. */
export interface OpenedBundle extends BundleContainer {
  manifest: BundleManifest;
  model: NativeModel;
  /** The drift monitor's reference profile (monitor-reference.json's JSON), or null when the bundle has none. */
  monitorReference: unknown;
}

function corrupt(why: string): SlmkitError {
  return new SlmkitError("MODEL_CORRUPT", `${why}. Rebuild the bundle with \`slmkit bundle\`.`);
}

function section(container: BundleContainer, kind: string): Uint8Array {
  const bytes = container.sections.get(kind);
  if (bytes === undefined) throw corrupt(`the bundle has no ${kind} section`);
  return bytes;
}

function json(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw corrupt(`the bundle's ${what} is not JSON`);
  }
}

/**
 * Checks `bytes` as a bundle (see `readBundle`: size, version, sha256, signature) and builds its model. Every
 * problem is a SlmkitError: MODEL_CORRUPT, or MODEL_VERSION for a bundle or weights layout newer than this slmkit.
 */
export async function openBundle(
  bytes: Uint8Array | ArrayBuffer,
  options: ReadBundleOptions = {},
): Promise<OpenedBundle> {
  const container = await readBundle(bytes, options);
  const manifest = parseBundleManifest(section(container, sectionKinds.manifest));
  const weights = section(container, sectionKinds.weights);
  const monitor = container.sections.get(sectionKinds.monitor);
  const reference = `bundle:${container.sha256.slice(0, 12)}`;
  const info = { modelBytes: container.byteLength, targetAccuracy: manifest.calibration.targetAccuracy };
  const { temperature, threshold } = manifest.calibration;
  let model: NativeModel;
  if (manifest.task === "extract") {
    const features = manifest.features as ExtractorFeatureConfig;
    model = new NativeExtractor({
      fields: manifest.labels,
      fieldTypes: manifest.fieldTypes ?? {},
      requiredFields: manifest.requiredFields ?? [],
      features,
      weights: decodeExtractorWeights(weights, "the bundle's weights", {
        hashBits: features.hashBits,
        tagCount: tagCountFor(manifest.labels.length),
      }),
      temperature,
      threshold,
      reference,
      info,
    });
  } else {
    const stored = readStoredWeights(weights, "the bundle's weights");
    if (stored.classCount !== manifest.labels.length)
      throw corrupt(`the weights have ${stored.classCount} classes for ${manifest.labels.length} labels`);
    // Dequantized straight into the WebAssembly memory the classifier will score from (where there is one).
    const placed = WasmLogits.allocate(stored.featureCount, stored.classCount, stored.bias);
    const decoded = dequantizeWeights(
      stored,
      manifest.features as FeatureConfig,
      placed?.weights.weights,
      placed === null ? undefined : (scales, values) => placed.dequantize(scales, values),
    );
    const classifier = new NativeClassifier({
      labels: manifest.labels,
      vocabulary: decoded.vocabulary,
      weights: decoded.model,
      temperature,
      threshold,
      reference,
      info,
    });
    model =
      manifest.task === "classify"
        ? classifier
        : new NativeAnswerer({
            classifier,
            ...parseFaq(section(container, sectionKinds.faq)),
            reference,
            info,
          });
  }
  return {
    ...container,
    manifest,
    model,
    monitorReference: monitor === undefined ? null : json(monitor, "monitor reference"),
  };
}

/** The FAQS section: `{faq, documents, retrieval}` as faq.json holds them, each checked. */
function parseFaq(bytes: Uint8Array): {
  faq: FaqAnswer[];
  documents: RetrievalDocument[];
  retrieval: RetrievalSettings;
} {
  const raw = json(bytes, "FAQ") as { faq?: unknown; documents?: unknown; retrieval?: unknown } | null;
  const isText = (value: unknown): value is string => typeof value === "string";
  const faq = Array.isArray(raw?.faq) ? raw.faq : [];
  const documents = Array.isArray(raw?.documents) ? raw.documents : [];
  const retrieval = raw?.retrieval as Partial<RetrievalSettings> | undefined;
  if (
    faq.length === 0 ||
    !faq.every((entry) => isText(entry?.label) && isText(entry?.answer)) ||
    !documents.every((document) => isText(document?.label) && isText(document?.text)) ||
    typeof retrieval?.k1 !== "number" ||
    typeof retrieval.b !== "number" ||
    typeof retrieval.agreementRatio !== "number"
  )
    throw corrupt("the bundle's FAQ section does not hold an FAQ");
  return {
    faq: faq.map((entry: { label: string; answer: string; slots?: unknown }) => {
      const slots = entry.slots as Record<string, AnswerSlot> | undefined;
      if (slots !== undefined && !Object.values(slots).every((slot) => isText(slot?.pattern)))
        throw corrupt(`the FAQ answer "${entry.label}" has a slot without a pattern`);
      return slots === undefined
        ? { label: entry.label, answer: entry.answer }
        : { label: entry.label, answer: entry.answer, slots };
    }),
    documents: documents.map((document: RetrievalDocument) => ({
      label: document.label,
      text: document.text,
    })),
    retrieval: { k1: retrieval.k1, b: retrieval.b, agreementRatio: retrieval.agreementRatio },
  };
}
