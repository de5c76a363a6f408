// Saves and loads an extractor's model directory: manifest.json (task extract), weights.bin and model-card.md.

import { writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { writeDirectoryAtomic } from "../../internal/fs.js";
import { NativeExtractor } from "./extractor.js";
import { tagCountFor } from "./extractor-decoder.js";
import { decodeExtractorWeights, encodeExtractorWeights } from "./extractor-weights.js";
import {
  directoryBytes,
  type ExtractorManifest,
  type ModelRecord,
  manifestFileName,
  modelCardFileName,
  modelFormatVersion,
  readExtractorManifest,
  readVerifiedWeights,
  sha256,
  weightsFileName,
} from "./model-directory.js";

/** Writes the extractor's model directory atomically: on any failure nothing (or the previous model) remains. */
export async function saveNativeExtractor(
  model: NativeExtractor,
  dir: string,
  record: ModelRecord,
): Promise<ExtractorManifest> {
  const weights = encodeExtractorWeights(model.weights, model.features.hashBits);
  const manifest: ExtractorManifest = {
    formatVersion: modelFormatVersion,
    task: "extract",
    fields: [...model.fields],
    fieldTypes: { ...model.fieldTypes },
    requiredFields: [...model.requiredFields],
    hyperparameters: { ...record.hyperparameters, features: model.features },
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
    precision: "float32",
    ...(record.trainSeconds === undefined ? {} : { trainSeconds: record.trainSeconds }),
    ...record.extra,
  };
  const card = renderExtractorCard(manifest, weights.byteLength);
  manifest.files = { [weightsFileName]: sha256(weights), [modelCardFileName]: sha256(card) };
  await writeDirectoryAtomic(dir, async (temporary) => {
    await writeFile(join(temporary, weightsFileName), weights);
    await writeFile(join(temporary, modelCardFileName), card);
    await writeFile(join(temporary, manifestFileName), `${JSON.stringify(manifest, null, 2)}\n`);
  });
  return manifest;
}

/** Loads an extractor's model directory, verifying format version and the weights' checksum. */
export async function loadNativeExtractor(dir: string): Promise<NativeExtractor> {
  const manifest = await readExtractorManifest(dir);
  const { bytes, path: weightsPath } = await readVerifiedWeights(dir, manifest.files);
  const features = manifest.hyperparameters.features;
  const weights = decodeExtractorWeights(bytes, weightsPath, {
    hashBits: features.hashBits,
    tagCount: tagCountFor(manifest.fields.length),
  });
  const modelBytes = await directoryBytes(dir, Object.keys(manifest.files).concat(manifestFileName));
  return new NativeExtractor({
    fields: manifest.fields,
    fieldTypes: manifest.fieldTypes,
    requiredFields: manifest.requiredFields,
    features,
    weights,
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

function renderExtractorCard(manifest: ExtractorManifest, weightsBytes: number): string {
  const figure = (key: string): string => {
    const value = manifest.validation[key];
    return typeof value === "number" ? value.toFixed(4) : "n/a";
  };
  const fields = manifest.fields
    .map(
      (field) =>
        `| ${field} | ${manifest.fieldTypes[field] ?? "text"} | ${manifest.requiredFields.includes(field) ? "yes" : "no"} |`,
    )
    .join("\n");
  return `# Model card: slmkit native extractor

- Task: extract, ${manifest.fields.length} fields
- Created: ${manifest.createdAt}; seed ${manifest.seed}; training data sha256 \`${manifest.dataHash}\`
- Weights: ${(weightsBytes / 1e6).toFixed(2)} MB, float32
- Architecture: BIO tags over Unicode word tokens; hashed token features (word, shape, affixes, character
  n-grams, neighbouring words) scored by a linear-chain model trained as an averaged structured perceptron
  with Viterbi decoding and early stopping on validation span F1. Confidences are forward-backward
  marginals at a temperature fitted on validation data; a record's confidence is its least confident token.

## Validation
| metric | value |
|---|---|
| exact span F1 | ${figure("spanF1")} |
| whole records right | ${figure("recordAccuracy")} |
| threshold for ${manifest.calibration.targetAccuracy} accepted record accuracy | ${manifest.calibration.threshold.toFixed(4)} |
| coverage at that threshold | ${figure("coverage")} |
| temperature | ${manifest.calibration.temperature.toFixed(4)} |

## Fields
| field | type | required |
|---|---|---|
${fields}

## Intended use and limits
- Short texts like the training data (requests, messages). Words never seen near a field, other languages
  and long documents get low confidence and should be escalated.
- Spans are compared after trimming surrounding whitespace and punctuation; overlapping annotations are
  resolved by keeping the longest span, so one text position yields at most one field.
`;
}
