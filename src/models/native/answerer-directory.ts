// Reads and writes the native answer model's directory: the classifier's weights, faq.json, card and manifest.

import { readFile, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { z } from "zod";
import type { AnswerSlot, FaqAnswer } from "../../data/faq.js";
import { SlmkitError } from "../../errors.js";
import { writeDirectoryAtomic } from "../../internal/fs.js";
import type { ModelInfo } from "../task-model.js";
import { faqFileName, NativeAnswerer, type RetrievalSettings } from "./answerer.js";
import { NativeClassifier } from "./classifier.js";
import {
  type ModelRecord,
  manifestFileName,
  modelCardFileName,
  modelFormatVersion,
  sha256,
  weightsFileName,
} from "./model-directory.js";
import { decodeWeights, encodeWeights } from "./weights-file.js";

const slotSchema = z.object({ pattern: z.string().min(1), fallback: z.string().optional() }).strict();
const faqAnswerSchema = z
  .object({
    label: z.string().min(1),
    answer: z.string().min(1),
    slots: z.record(z.string(), slotSchema).optional(),
  })
  .strict();
const faqFileSchema = z
  .object({
    formatVersion: z.literal(1),
    faq: z.array(faqAnswerSchema),
    documents: z.array(z.object({ label: z.string(), text: z.string() }).strict()),
    retrieval: z.object({
      k1: z.number().positive(),
      b: z.number().min(0).max(1),
      agreementRatio: z.number().min(0).max(1),
    }),
  })
  .strict();

/**
 * Writes an answer model directory atomically: the classifier's `weights.bin`, `faq.json` (answers, slots,
 * retrieval documents and settings), `model-card.md` and `manifest.json` with `task: "answer"` and every
 * file's sha256 in `files`. Note that `faq.json` holds the training questions, which BM25 retrieves from.
 */
export async function saveNativeAnswerer(
  model: NativeAnswerer,
  dir: string,
  record: ModelRecord,
): Promise<void> {
  const { classifier } = model;
  const weights = encodeWeights(classifier.vocabulary, classifier.weights, "float32");
  const faqText = `${JSON.stringify(
    { formatVersion: 1, faq: model.faq, documents: model.documents, retrieval: model.retrieval },
    null,
    2,
  )}\n`;
  const manifest = {
    formatVersion: modelFormatVersion,
    task: "answer",
    labels: [...classifier.labels],
    hyperparameters: { ...record.hyperparameters, features: classifier.vocabulary.config },
    seed: record.seed,
    dataHash: record.dataHash,
    calibration: {
      temperature: classifier.temperature,
      threshold: classifier.threshold,
      targetAccuracy: record.targetAccuracy,
    },
    validation: record.validation,
    files: {} as Record<string, string>,
    createdAt: new Date().toISOString(),
    precision: "float32",
    ...(record.trainSeconds === undefined ? {} : { trainSeconds: record.trainSeconds }),
    featureCount: classifier.weights.featureCount,
    retrieval: model.retrieval,
    ...record.extra,
  };
  const card = renderAnswererCard(manifest.labels, record, classifier, model.retrieval);
  manifest.files = {
    [weightsFileName]: sha256(weights),
    [faqFileName]: sha256(faqText),
    [modelCardFileName]: sha256(card),
  };
  await writeDirectoryAtomic(dir, async (temporary) => {
    await writeFile(join(temporary, weightsFileName), weights);
    await writeFile(join(temporary, faqFileName), faqText);
    await writeFile(join(temporary, modelCardFileName), card);
    await writeFile(join(temporary, manifestFileName), `${JSON.stringify(manifest, null, 2)}\n`);
  });
}

const answerManifestSchema = z
  .object({
    formatVersion: z.number().int().positive(),
    task: z.literal("answer"),
    labels: z.array(z.string()).min(2),
    hyperparameters: z
      .object({
        features: z.object({
          wordNgrams: z.number().int().min(1).max(5),
          minCharNgram: z.number().int().min(0).max(10),
          maxCharNgram: z.number().int().min(0).max(10),
        }),
      })
      .passthrough(),
    calibration: z.object({
      temperature: z.number().positive(),
      threshold: z.number(),
      targetAccuracy: z.number(),
    }),
    files: z.record(z.string(), z.string()),
    trainSeconds: z.number().optional(),
  })
  .passthrough();

/** Loads an answer model directory, checking the format version, the task and every listed file's checksum. */
export async function loadNativeAnswerer(dir: string): Promise<NativeAnswerer> {
  const manifestPath = join(dir, manifestFileName);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(manifestPath, "utf8"));
  } catch (error) {
    throw new SlmkitError(
      "MODEL_NOT_FOUND",
      `no readable answer model at ${dir} (${manifestFileName} missing or not JSON). Train one first.`,
      { file: manifestPath, cause: error },
    );
  }
  const version = (raw as { formatVersion?: unknown } | null)?.formatVersion;
  if (typeof version === "number" && version > modelFormatVersion) {
    throw new SlmkitError(
      "MODEL_VERSION",
      `this model has format version ${version}, made by a newer slmkit; this one reads up to version ${modelFormatVersion}. Upgrade slmkit.`,
      { file: manifestPath },
    );
  }
  const parsed = answerManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`,
    );
    throw new SlmkitError(
      "MODEL_CORRUPT",
      `manifest.json is not an slmkit answer model manifest (${problems.join("; ")}).`,
      { file: manifestPath },
    );
  }
  const manifest = parsed.data;
  const readChecked = async (name: string): Promise<Buffer> => {
    const path = join(dir, name);
    const expected = manifest.files[name];
    if (expected === undefined)
      throw new SlmkitError("MODEL_CORRUPT", `manifest.json lists no ${name}. Train the model again.`, {
        file: manifestPath,
      });
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
        `checksum mismatch: ${name} was changed after training. Train the model again or restore the file.`,
        { file: path },
      );
    }
    return bytes;
  };
  const weightsBytes = await readChecked(weightsFileName);
  const faqBytes = await readChecked(faqFileName);
  const { vocabulary, model } = decodeWeights(
    weightsBytes,
    join(dir, weightsFileName),
    manifest.hyperparameters.features,
  );
  if (model.classCount !== manifest.labels.length) {
    throw new SlmkitError(
      "MODEL_CORRUPT",
      `the weights have ${model.classCount} classes but the manifest lists ${manifest.labels.length} labels.`,
      { file: join(dir, weightsFileName) },
    );
  }
  const faqParsed = faqFileSchema.safeParse(JSON.parse(faqBytes.toString("utf8")));
  if (!faqParsed.success) {
    throw new SlmkitError(
      "MODEL_CORRUPT",
      `${faqFileName} does not hold an slmkit FAQ. Train the model again.`,
      {
        file: join(dir, faqFileName),
      },
    );
  }
  let modelBytes = 0;
  for (const name of [...Object.keys(manifest.files), manifestFileName])
    modelBytes += (await stat(join(dir, name))).size;
  const info: ModelInfo = {
    modelBytes,
    targetAccuracy: manifest.calibration.targetAccuracy,
    ...(manifest.trainSeconds === undefined ? {} : { trainSeconds: manifest.trainSeconds }),
  };
  const reference = resolve(dir);
  const classifier = new NativeClassifier({
    labels: manifest.labels,
    vocabulary,
    weights: model,
    temperature: manifest.calibration.temperature,
    threshold: manifest.calibration.threshold,
    reference,
    info,
  });
  const { faq, documents, retrieval } = faqParsed.data;
  return new NativeAnswerer({
    classifier,
    faq: faq.map(toFaqAnswer),
    documents,
    retrieval,
    reference,
    info,
  });
}

/** Drops keys zod reports as `undefined`, which `exactOptionalPropertyTypes` does not allow. */
function toFaqAnswer(entry: z.output<typeof faqAnswerSchema>): FaqAnswer {
  if (entry.slots === undefined) return { label: entry.label, answer: entry.answer };
  const slots: Record<string, AnswerSlot> = {};
  for (const [name, slot] of Object.entries(entry.slots)) {
    slots[name] =
      slot.fallback === undefined
        ? { pattern: slot.pattern }
        : { pattern: slot.pattern, fallback: slot.fallback };
  }
  return { label: entry.label, answer: entry.answer, slots };
}

function renderAnswererCard(
  labels: readonly string[],
  record: ModelRecord,
  classifier: NativeClassifier,
  retrieval: RetrievalSettings,
): string {
  const figure = (key: string): string => {
    const value = record.validation[key];
    return typeof value === "number" ? value.toFixed(4) : "n/a";
  };
  return `# Model card: slmkit native answer model

- Task: answer, ${labels.length} FAQ intents; seed ${record.seed}; training data sha256 \`${record.dataHash}\`
- Architecture: the native n-gram classifier picks the intent (temperature-calibrated, threshold
  ${classifier.threshold.toFixed(4)} for ${record.targetAccuracy} accepted accuracy); BM25 (k1 ${retrieval.k1},
  b ${retrieval.b}) over the training questions and FAQ answers must agree (top intent, or within
  ${retrieval.agreementRatio} of the top score); the FAQ answer's \`{slots}\` are filled from the question.

## Validation
| metric | value |
|---|---|
| intent accuracy | ${figure("accuracy")} |
| answered (coverage) | ${figure("answerCoverage")} |
| accuracy of answered | ${figure("answerAcceptedAccuracy")} |

## Intended use and limits
- Answers only the intents in the FAQ, with the FAQ's own words; anything unsure is not answered
  (\`answer: null\`) and should go to a person or a large model.
- faq.json holds the training questions (BM25 retrieves from them): treat the model directory as data.
`;
}
