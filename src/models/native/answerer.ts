// The native `answer` model: intent classifier + FAQ answer templates with slots, BM25 retrieval as a second opinion.

import { readFile, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { z } from "zod";
import { SlmkitError } from "../../errors.js";
import { writeDirectoryAtomic } from "../../internal/fs.js";
import { normalizeText, tokenize } from "../../text/normalize.js";
import type { ClassPrediction } from "../../types.js";
import type { ModelInfo, TaskModel } from "../task-model.js";
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

/** The FAQ file beside the classifier's files in an answer model directory. */
export const faqFileName = "faq.json";

/** How one `{slot}` of an answer is filled from the question. */
export interface AnswerSlot {
  /** JavaScript regular expression source, matched case-insensitively; group 1 (or the whole match) is the value. */
  pattern: string;
  /** Text used when the question holds no match. Absent: a missing value makes the answer unusable (escalated). */
  fallback?: string;
}

/** One FAQ entry: `{label, answer}` (DESIGN.md Contracts); `{name}` placeholders need a slot. */
export interface FaqAnswer {
  label: string;
  answer: string;
  slots?: Record<string, AnswerSlot>;
}

/** BM25 settings and the agreement rule. */
export interface RetrievalSettings {
  /** Term-frequency saturation. Default 1.2. */
  k1: number;
  /** Length normalization. Default 0.75. */
  b: number;
  /**
   * BM25 agrees with the classifier when its top label is the classifier's, or when the classifier's label
   * scores at least this share of BM25's top score (a near tie). Default 0.9.
   */
  agreementRatio: number;
}

export const defaultRetrievalSettings: RetrievalSettings = { k1: 1.2, b: 0.75, agreementRatio: 0.9 };

/** A retrievable text: a training question or an FAQ answer, with its intent. */
export interface RetrievalDocument {
  label: string;
  text: string;
}

/** What the answer model says about one question. */
export interface AnswerResult {
  /** The classifier's intent. */
  label: string;
  /** The filled answer when accepted; null otherwise: an unsure model never makes an answer up. */
  answer: string | null;
  /** The classifier's calibrated confidence in `label`. */
  confidence: number;
  /** Confident classifier, agreeing BM25 and every slot filled: the answer may be sent without escalation. */
  accepted: boolean;
  /** BM25's top intent and its score (0 when no word of the question is in the index). */
  bm25: { label: string | null; score: number };
  /** Why an answer was not accepted. */
  reason?: "low-confidence" | "retrieval-disagrees" | "missing-slot";
}

const wordToken = /^[\p{L}\p{N}]/u;

/** Words for BM25: normalized word tokens, a plural "s" dropped so "orders" finds "order". */
export function retrievalTerms(text: string): string[] {
  return tokenize(normalizeText(text))
    .filter((token) => wordToken.test(token))
    .map((token) =>
      token.length > 3 && token.endsWith("s") && !token.endsWith("ss") ? token.slice(0, -1) : token,
    );
}

/** An Okapi BM25 index over documents; a label's score is its best document's score. */
export class Bm25Index {
  private readonly documents: { label: string; terms: Map<string, number>; length: number }[];
  private readonly documentFrequency = new Map<string, number>();
  private readonly averageLength: number;

  constructor(
    documents: readonly RetrievalDocument[],
    private readonly settings: RetrievalSettings,
  ) {
    this.documents = documents.map((document) => {
      const terms = new Map<string, number>();
      const words = retrievalTerms(document.text);
      for (const word of words) terms.set(word, (terms.get(word) ?? 0) + 1);
      for (const word of terms.keys())
        this.documentFrequency.set(word, (this.documentFrequency.get(word) ?? 0) + 1);
      return { label: document.label, terms, length: words.length };
    });
    const total = this.documents.reduce((sum, document) => sum + document.length, 0);
    this.averageLength = this.documents.length === 0 ? 1 : Math.max(total / this.documents.length, 1);
  }

  /** Best BM25 score per label for `text`; labels with no shared word are absent. */
  scoreLabels(text: string): Map<string, number> {
    const query = [...new Set(retrievalTerms(text))];
    const count = this.documents.length;
    const { k1, b } = this.settings;
    const scores = new Map<string, number>();
    for (const document of this.documents) {
      let score = 0;
      for (const word of query) {
        const frequency = document.terms.get(word);
        if (frequency === undefined) continue;
        const containing = this.documentFrequency.get(word) ?? 0;
        const idf = Math.log(1 + (count - containing + 0.5) / (containing + 0.5));
        score +=
          (idf * frequency * (k1 + 1)) /
          (frequency + k1 * (1 - b + (b * document.length) / this.averageLength));
      }
      if (score > (scores.get(document.label) ?? 0)) scores.set(document.label, score);
    }
    return scores;
  }
}

export interface NativeAnswererParts {
  classifier: NativeClassifier;
  faq: readonly FaqAnswer[];
  documents: readonly RetrievalDocument[];
  retrieval?: RetrievalSettings;
  reference?: string;
  info?: ModelInfo;
}

/** Placeholders in an answer: `{name}`. */
const placeholderPattern = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * Answers questions from an FAQ. An answer is accepted only when (1) the intent classifier's calibrated
 * confidence reaches its threshold, (2) BM25 retrieval over the training questions and FAQ answers agrees
 * (see `RetrievalSettings.agreementRatio`) and (3) every `{slot}` of the answer is filled from the question
 * or has a fallback. Otherwise `answer` is null and the request should be escalated.
 */
export class NativeAnswerer implements TaskModel {
  readonly task = "answer" as const;
  readonly reference: string;
  readonly classifier: NativeClassifier;
  readonly faq: readonly FaqAnswer[];
  readonly documents: readonly RetrievalDocument[];
  readonly retrieval: RetrievalSettings;
  readonly info: ModelInfo;
  private readonly index: Bm25Index;
  private readonly answers: Map<string, { entry: FaqAnswer; patterns: Map<string, RegExp> }>;

  constructor(parts: NativeAnswererParts) {
    this.classifier = parts.classifier;
    this.faq = parts.faq;
    this.documents = parts.documents;
    this.retrieval = parts.retrieval ?? defaultRetrievalSettings;
    this.reference = parts.reference ?? "native:in-memory";
    this.info = parts.info ?? parts.classifier.info;
    this.index = new Bm25Index(parts.documents, this.retrieval);
    this.answers = new Map(parts.faq.map((entry) => [entry.label, { entry, patterns: compileSlots(entry) }]));
  }

  get labels(): readonly string[] {
    return this.classifier.labels;
  }

  get threshold(): number {
    return this.classifier.threshold;
  }

  /** Answers each question; see the class comment for when an answer is accepted. */
  answer(texts: readonly string[]): AnswerResult[] {
    return texts.map((text) => this.answerOne(text));
  }

  private answerOne(text: string): AnswerResult {
    const [prediction] = this.classifier.predictSync([text]);
    const { label, confidence } = prediction as ClassPrediction;
    const scores = this.index.scoreLabels(text);
    let topLabel: string | null = null;
    let topScore = 0;
    for (const [candidate, score] of scores) {
      if (score > topScore) {
        topScore = score;
        topLabel = candidate;
      }
    }
    const bm25 = { label: topLabel, score: topScore };
    const agrees =
      topLabel !== null &&
      (topLabel === label || (scores.get(label) ?? 0) >= this.retrieval.agreementRatio * topScore);
    if (confidence < this.classifier.threshold)
      return { label, answer: null, confidence, accepted: false, bm25, reason: "low-confidence" };
    if (!agrees)
      return { label, answer: null, confidence, accepted: false, bm25, reason: "retrieval-disagrees" };
    const filled = this.fillAnswer(label, text);
    if (filled === null)
      return { label, answer: null, confidence, accepted: false, bm25, reason: "missing-slot" };
    return { label, answer: filled, confidence, accepted: true, bm25 };
  }

  /**
   * The answer of `label` with its slots filled from `text`; null when the label has no answer or a slot has
   * neither a match nor a fallback. The gateway uses it for a label the LLM picked.
   */
  fillAnswer(label: string, text: string): string | null {
    const found = this.answers.get(label);
    return found === undefined ? null : fillPlaceholders(found.entry, found.patterns, text);
  }

  /** Intent predictions with `accepted` meaning the whole answer gate passed, for evaluation and routing. */
  async predict(texts: readonly string[]): Promise<ClassPrediction[]> {
    return this.answer(texts).map(({ label, confidence, accepted }) => ({ label, confidence, accepted }));
  }

  async dispose(): Promise<void> {
    // Nothing to release: plain arrays and maps.
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}

/**
 * An FAQ answer with every `{slot}` filled: `preferred(name)` when it gives a value, else the slot's pattern
 * matched on `text` (group 1, or the whole match), else the slot's fallback. Null when a placeholder stays empty.
 * The one definition of slot filling, for the native answerer and for an LLM's picks.
 */
export function fillPlaceholders(
  entry: FaqAnswer,
  patterns: ReadonlyMap<string, RegExp>,
  text: string,
  preferred: (name: string) => string | undefined = () => undefined,
): string | null {
  let missing = false;
  const answer = entry.answer.replace(placeholderPattern, (placeholder, name: string) => {
    const match = patterns.get(name)?.exec(text);
    const value = preferred(name) ?? match?.[1] ?? match?.[0] ?? entry.slots?.[name]?.fallback;
    if (value === undefined) {
      missing = true;
      return placeholder;
    }
    return value;
  });
  return missing ? null : answer;
}

/** The placeholder names of an FAQ answer, each once, in order of appearance. */
export function placeholdersOf(entry: FaqAnswer): string[] {
  return [...new Set([...entry.answer.matchAll(placeholderPattern)].map((match) => match[1] as string))];
}

/** Each slot's pattern compiled (case-insensitive, Unicode); an invalid one is INVALID_DATA naming the slot. */
export function compileSlots(entry: FaqAnswer): Map<string, RegExp> {
  const patterns = new Map<string, RegExp>();
  for (const [name, slot] of Object.entries(entry.slots ?? {})) {
    try {
      patterns.set(name, new RegExp(slot.pattern, "iu"));
    } catch (error) {
      throw new SlmkitError(
        "INVALID_DATA",
        `the slot {${name}} of FAQ answer "${entry.label}" has an invalid pattern (${(error as Error).message}); fix its regular expression.`,
        { field: `slots.${name}.pattern`, cause: error },
      );
    }
  }
  return patterns;
}

/** Placeholders of an FAQ answer that have no slot pattern; training refuses such an FAQ. */
export function unfillablePlaceholders(entry: FaqAnswer): string[] {
  return [...entry.answer.matchAll(placeholderPattern)]
    .map((match) => match[1] as string)
    .filter((name) => entry.slots?.[name] === undefined);
}

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
