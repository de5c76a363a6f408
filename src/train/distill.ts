// Distillation: a teacher (native, GGUF or LLM) labels unlabelled texts, cached on disk; a native student learns them.

import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { writeJsonl } from "../data/io.js";
import { stratifiedSplit } from "../data/split.js";
import { SlmkitError } from "../errors.js";
import { writeFileAtomic } from "../internal/fs.js";
import { createRandom, type Random } from "../internal/random.js";
import type { NativeClassifier } from "../models/native/classifier.js";
import { saveNativeModel } from "../models/native/model-directory.js";
import type { LabeledExample } from "../types.js";
import {
  type BulkLabeller,
  type BulkLabellingResult,
  type CacheEntry,
  type DistillProgress,
  hasDistribution,
  type LabelAllOptions,
  type LabelAllResult,
  labelAll,
  teacherCacheFileName,
  teacherCacheKey,
} from "./distill/labelling.js";
import { perturbedCopies } from "./distill/perturbed-copies.js";
import type { Teacher } from "./distill/teachers.js";
import {
  type HyperparameterOverrides,
  type TrainedClassifier,
  trainClassifier,
  validateNumber,
} from "./train-classifier.js";
import {
  defaultDistillationTemperature,
  defaultHardLabelWeight,
  type SoftExample,
  trainSoftClassifier,
} from "./train-soft-classifier.js";

// The parts live in distill/; their public names are reached through this module, as before.
export {
  type BulkLabeller,
  type BulkLabellingResult,
  type DistillProgress,
  teacherCacheFileName,
  teacherCacheKey,
} from "./distill/labelling.js";
export { perturbedCopies } from "./distill/perturbed-copies.js";
export {
  type Teacher,
  type TeacherAnswer,
  teacherFromLabeler,
  teacherFromModel,
} from "./distill/teachers.js";

export interface DistillOptions {
  teacher: Teacher;
  /** The unlabelled texts; duplicates are labelled once. */
  texts: readonly string[];
  /** Output folder: teacher-labels.jsonl, model/, report.json and the teacher cache. */
  out: string;
  /** A gold-labelled test set: adds `studentAccuracy` and `teacherAccuracy` to the report (the teacher labels it too). */
  test?: readonly LabeledExample[];
  /** Teacher labels below this confidence are not trained on. Default 0 (keep all). */
  minConfidence?: number;
  /**
   * Answers asked per text; the majority label wins and its share of the votes is the confidence. Default 1.
   * Skipped (1 is used) for deterministic teachers, where every answer would be the same.
   */
  selfConsistency?: number;
  /** Teacher calls in flight at once. Default 4. */
  concurrency?: number;
  /**
   * Train on the teacher's distribution where it gives one (native and GGUF teachers do), by cross-entropy
   * against it (`trainSoftClassifier`); texts without one count as certain of their label. Default true.
   */
  softLabels?: boolean;
  /**
   * With soft labels: the teacher's distribution p is softened to p^(1/T), renormalised, before the student
   * learns it (classic knowledge distillation: the teacher's ranking of the labels it did not pick is what a
   * hard label lacks). 1 keeps the distribution as the teacher gave it. Default 3.
   */
  distillationTemperature?: number;
  /**
   * With soft labels: share of each target put on the teacher's top label, the rest on its softened
   * distribution (classic knowledge distillation's mix of hard and soft loss). Default 0.1.
   */
  hardLabelWeight?: number;
  /**
   * Perturbed copies of each training text (word dropout, an adjacent-word swap; seeded) that the teacher also
   * labels, so the student sees more of the teacher's function. Costs up to this many extra teacher calls per
   * training text (cached like the others). Default 0 (none).
   */
  augment?: number;
  /** Share of teacher-labelled texts held out from training to measure student-teacher agreement. Default 0.1. */
  heldOutFraction?: number;
  /** Share of the remaining (confident) texts the student validates on: early stopping, calibration, threshold. Default 0.1. */
  validFraction?: number;
  /** Seed for the held-out split and the student's training. Default 42. */
  seed?: number;
  /** Accepted accuracy (against the teacher's labels) the student's threshold is chosen for. Default 0.97. */
  targetAccuracy?: number;
  /**
   * Student hyperparameter overrides. Soft labels start from `defaultSoftHyperparameters` (30 epochs, step 2),
   * hard labels from `trainClassifier`'s defaults (15 epochs, step 0.5).
   */
  hyperparameters?: HyperparameterOverrides;
  /** Student SGD threads with hard labels. Default 1 (deterministic). Soft-label training runs on one thread. */
  threads?: number;
  onProgress?: (progress: DistillProgress) => void;
  /**
   * Labels each pass's texts in bulk first, into the same cache (`distill --batch`: the OpenAI Batch API, see
   * `createBatchLabeller`); the interactive pass then finds them answered. Its reference must be the teacher's.
   * Needs `selfConsistency` 1. Default none: every text is asked interactively.
   */
  bulk?: BulkLabeller;
  /** Stops labelling (answers received so far stay cached) and throws the signal's reason. */
  signal?: AbortSignal;
}

/** One line of teacher-labels.jsonl. */
export interface TeacherLabel {
  text: string;
  label: string;
  confidence: number;
  teacher: string;
  /** With self-consistency: how many of the k answers named `label`, and k. */
  votes?: { agree: number; of: number };
  /** With `augment`: the given text this one is a perturbed copy of. */
  augmentedFrom?: string;
}

/** report.json of a distillation run. */
export interface DistillReport {
  teacher: string;
  createdAt: string;
  /** Unique unlabelled texts given. */
  texts: number;
  /** Texts the teacher gave a label of its set. */
  labelled: number;
  /** Texts the teacher answered outside its label set: never trained on. */
  unsure: number;
  minConfidence: number;
  /** Teacher labels under `minConfidence`, left out of training. */
  belowMinConfidence: number;
  selfConsistency: number;
  softLabels: boolean;
  /** The distillation temperature the soft labels were softened with; absent with hard labels. */
  distillationTemperature?: number;
  /** The weight of the teacher's top label in each soft target; absent with hard labels. */
  hardLabelWeight?: number;
  /** Perturbed copies asked per training text (0: none). */
  augment: number;
  /** Perturbed copies the student trained on (teacher-labelled, past the confidence filter), in `trainTexts`. */
  augmentedTexts: number;
  /** Of `teacherCalls`, the calls that labelled perturbed copies. */
  augmentTeacherCalls: number;
  /** Distinct texts the student trained on, perturbed copies included. */
  trainTexts: number;
  validTexts: number;
  /** Held-out teacher-labelled texts `agreement` is measured on (never trained on, whatever their confidence). */
  heldOut: number;
  /** Share of held-out texts where the student's label equals the teacher's. */
  agreement: number;
  studentAccuracy?: number;
  teacherAccuracy?: number;
  /** studentAccuracy / teacherAccuracy. */
  accuracyRatio?: number;
  testSize?: number;
  /** Teacher calls made by this run (0 for texts answered from the cache), the `test` texts' included. */
  teacherCalls: number;
  /**
   * With a bulk labeller (`--batch`): what the Batch API did in this run, both passes together. Its cost is in
   * `teacherCostUsd`, its tokens in `teacherInputTokens` / `teacherOutputTokens`, its interactive probe in
   * `teacherCalls`; its answers are not counted in `teacherCachedAnswers`.
   */
  teacherBatch?: Omit<BulkLabellingResult, "seconds">;
  /** Texts answered from the cache of an earlier, interrupted run. */
  teacherCachedAnswers: number;
  /** US dollars the teacher cost in this run; 0 for local teachers. */
  teacherCostUsd: number;
  teacherInputTokens: number;
  teacherOutputTokens: number;
  labellingSeconds: number;
  trainSeconds: number;
  /** Things a reader should know, e.g. that self-consistency was skipped for a deterministic teacher. */
  notes: string[];
}

export interface DistillResult {
  report: DistillReport;
  labels: TeacherLabel[];
  student: NativeClassifier;
  /** The files written. */
  paths: { teacherLabels: string; model: string; report: string; cache: string };
}

/**
 * Runs a distillation: labels every text with the teacher (cached in `<out>/.teacher-cache.jsonl` as answers
 * arrive, so an interrupted run resumes without asking again), writes `<out>/teacher-labels.jsonl`, trains
 * the native student into `<out>/model/` and writes `<out>/report.json`. Each step is a function below.
 */
export async function distill(options: DistillOptions): Promise<DistillResult> {
  const settings = resolveSettings(options);
  const { teacher, notes } = settings;
  const texts = [...new Set(options.texts)];
  if (texts.length === 0)
    throw new SlmkitError("EMPTY_DATA", 'no unlabelled texts to distill; give a file of {"text"} lines.');
  const testTexts = (options.test ?? []).map((example) => example.text);
  const toLabel = [...new Set([...texts, ...testTexts])];

  await mkdir(options.out, { recursive: true });
  const cachePath = join(options.out, teacherCacheFileName);
  const labelOptions = (stage: DistillProgress["stage"]): Omit<LabelAllOptions, "totalForProgress"> => ({
    cachePath,
    k: settings.k,
    concurrency: settings.concurrency,
    stage,
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  const bulk = await bulkLabel(options, toLabel, cachePath, "texts");
  const labelling = await labelAll(teacher, toLabel, {
    ...labelOptions("texts"),
    totalForProgress: toLabel.length,
  });
  const answers = labelling.answers;
  const answerOf = (text: string): CacheEntry =>
    answers.get(teacherCacheKey(teacher.reference, text)) as CacheEntry;

  const teacherLabels: TeacherLabel[] = [];
  let unsure = 0;
  for (const text of texts) {
    const label = teacherLabelOf(teacher.reference, text, answerOf(text));
    if (label === undefined) unsure++;
    else teacherLabels.push(label);
  }
  const splits = splitTeacherLabels(teacherLabels, settings);

  // Perturbed copies of the training texts only: held-out and validation texts stay untouched by training.
  let augmentation: LabelAllResult | undefined;
  let augmentedLabels: TeacherLabel[] = [];
  if (settings.augment > 0) {
    const copies = copiesToLabel(splits.originalTrain, new Set(toLabel), settings);
    addBulk(
      bulk,
      await bulkLabel(
        options,
        copies.map((copy) => copy.text),
        cachePath,
        "augmented",
      ),
    );
    augmentation = await labelAll(
      teacher,
      copies.map((copy) => copy.text),
      { ...labelOptions("augmented"), totalForProgress: copies.length },
    );
    for (const [key, entry] of augmentation.answers) answers.set(key, entry);
    augmentedLabels = augmentedLabelsOf(copies, answerOf, settings);
  }
  const train = [...splits.originalTrain, ...augmentedLabels];
  const teacherLabelsPath = join(options.out, "teacher-labels.jsonl");
  await writeJsonl(teacherLabelsPath, [...teacherLabels, ...augmentedLabels]);

  const { trained, softLabels, softTargets } = await trainStudent(
    train,
    splits.valid,
    answerOf,
    options,
    settings,
  );
  const student = trained.model;
  const modelPath = join(options.out, "model");
  trained.record.extra = {
    ...trained.record.extra,
    distillation: {
      teacher: teacher.reference,
      minConfidence: settings.minConfidence,
      selfConsistency: settings.k,
      softLabels,
      ...softTargets,
      augment: settings.augment,
    },
  };
  await saveNativeModel(student, modelPath, trained.record);

  const augmentCalls = augmentation?.calls ?? 0;
  const report: DistillReport = {
    teacher: teacher.reference,
    createdAt: new Date().toISOString(),
    texts: texts.length,
    labelled: teacherLabels.length,
    unsure,
    minConfidence: settings.minConfidence,
    belowMinConfidence: splits.belowMinConfidence,
    selfConsistency: settings.k,
    softLabels,
    ...softTargets,
    augment: settings.augment,
    augmentedTexts: augmentedLabels.length,
    augmentTeacherCalls: augmentCalls,
    trainTexts: train.length,
    validTexts: splits.valid.length,
    heldOut: splits.heldOut.length,
    agreement: round(splits.heldOut.length === 0 ? 1 : agreementOf(student, splits.heldOut)),
    teacherCalls: labelling.calls + augmentCalls + (bulk?.interactiveCalls ?? 0),
    teacherCachedAnswers: Math.max(
      0,
      labelling.cached + (augmentation?.cached ?? 0) - (bulk === undefined ? 0 : bulkAnswers(bulk)),
    ),
    teacherCostUsd: round(labelling.costUsd + (augmentation?.costUsd ?? 0) + (bulk?.costUsd ?? 0), 8),
    teacherInputTokens: labelling.inputTokens + (augmentation?.inputTokens ?? 0) + (bulk?.inputTokens ?? 0),
    teacherOutputTokens:
      labelling.outputTokens + (augmentation?.outputTokens ?? 0) + (bulk?.outputTokens ?? 0),
    labellingSeconds: round(labelling.seconds + (augmentation?.seconds ?? 0) + (bulk?.seconds ?? 0), 3),
    ...(bulk === undefined ? {} : { teacherBatch: withoutSeconds(bulk) }),
    trainSeconds: round(trained.record.trainSeconds ?? 0, 3),
    notes,
  };
  if (splits.heldOut.length === 0)
    notes.push("too few texts to hold any out: agreement is not measured (reported as 1).");
  if (!softLabels)
    notes.push(
      "trained on the teacher's hard labels (it gave no probability distribution, or softLabels was off).",
    );
  if (options.test !== undefined && options.test.length > 0)
    Object.assign(report, testAccuracy(student, options.test, answerOf));
  const reportPath = join(options.out, "report.json");
  await writeFileAtomic(reportPath, `${JSON.stringify(report, null, 2)}\n`);
  return {
    report,
    labels: [...teacherLabels, ...augmentedLabels],
    student,
    paths: { teacherLabels: teacherLabelsPath, model: modelPath, report: reportPath, cache: cachePath },
  };
}

/** A pass's texts through the bulk labeller, when there is one. */
async function bulkLabel(
  options: DistillOptions,
  texts: readonly string[],
  cachePath: string,
  stage: DistillProgress["stage"],
): Promise<BulkLabellingResult | undefined> {
  if (options.bulk === undefined || texts.length === 0) return undefined;
  return options.bulk.label(texts, { cachePath, stage, signal: options.signal });
}

/** Adds the second pass's bulk figures to the first's (in place). */
function addBulk(total: BulkLabellingResult | undefined, more: BulkLabellingResult | undefined): void {
  if (total === undefined || more === undefined) return;
  for (const name of [
    "batches",
    "requests",
    "answered",
    "unsure",
    "failed",
    "costUsd",
    "inputTokens",
    "outputTokens",
    "interactiveCalls",
    "seconds",
  ] as const) {
    total[name] += more[name];
  }
}

/** Texts the bulk labeller answered (or settled as unanswerable) in this run: all of them are now in the cache. */
function bulkAnswers(bulk: BulkLabellingResult): number {
  return bulk.answered + bulk.unsure + bulk.failed;
}

function withoutSeconds(bulk: BulkLabellingResult): Omit<BulkLabellingResult, "seconds"> {
  const { seconds: _seconds, ...rest } = bulk;
  return { ...rest, costUsd: round(rest.costUsd, 8) };
}

/** The options of a run, checked, with their defaults; and its first note. */
interface DistillSettings {
  teacher: Teacher;
  minConfidence: number;
  /** Answers asked per text: 1 for a deterministic teacher, whatever was asked. */
  k: number;
  concurrency: number;
  heldOutFraction: number;
  validFraction: number;
  augment: number;
  seed: number;
  /** The report's notes, filled as the run goes. */
  notes: string[];
}

/** Throws INVALID_OPTION naming the first option out of its range. */
function resolveSettings(options: DistillOptions): DistillSettings {
  const teacher = options.teacher;
  const minConfidence = options.minConfidence ?? 0;
  const requestedK = options.selfConsistency ?? 1;
  const concurrency = options.concurrency ?? 4;
  const heldOutFraction = options.heldOutFraction ?? 0.1;
  const validFraction = options.validFraction ?? 0.1;
  const augment = options.augment ?? 0;
  const seed = options.seed ?? 42;
  validateNumber("minConfidence", minConfidence, { minimum: 0, maximum: 1 });
  validateNumber("selfConsistency", requestedK, { integer: true, minimum: 1, maximum: 100 });
  validateNumber("concurrency", concurrency, { integer: true, minimum: 1, maximum: 1024 });
  validateNumber("heldOutFraction", heldOutFraction, { minimum: 0, exclusiveMinimum: true, maximum: 0.5 });
  validateNumber("validFraction", validFraction, { minimum: 0, maximum: 0.5 });
  validateNumber("augment", augment, { integer: true, minimum: 0, maximum: 20 });
  validateNumber("seed", seed, { integer: true, minimum: 0 });
  if (options.hardLabelWeight !== undefined) {
    validateNumber("hardLabelWeight", options.hardLabelWeight, { minimum: 0, maximum: 1 });
  }
  if (options.distillationTemperature !== undefined) {
    validateNumber("distillationTemperature", options.distillationTemperature, {
      minimum: 0,
      exclusiveMinimum: true,
      maximum: 100,
    });
  }
  const notes: string[] = [];
  if (requestedK > 1 && teacher.deterministic) {
    notes.push(
      `self-consistency ${requestedK} skipped: ${teacher.reference} is deterministic, so every answer would be the same.`,
    );
  }
  if (options.bulk !== undefined) {
    if (requestedK > 1) {
      throw new SlmkitError(
        "INVALID_OPTION",
        "--batch asks the teacher once per text; self-consistency needs the interactive path (drop --batch or --self-consistency).",
        { field: "selfConsistency" },
      );
    }
    if (options.bulk.reference !== teacher.reference) {
      throw new SlmkitError(
        "INVALID_OPTION",
        `the bulk labeller answers for ${options.bulk.reference}, not the teacher ${teacher.reference}.`,
        { field: "bulk" },
      );
    }
  }
  const k = teacher.deterministic ? 1 : requestedK;
  return { teacher, minConfidence, k, concurrency, heldOutFraction, validFraction, augment, seed, notes };
}

/** The teacher label of a text, or undefined when the teacher named no label of its set. */
function teacherLabelOf(teacher: string, text: string, entry: CacheEntry): TeacherLabel | undefined {
  if (entry.label === null) return undefined;
  return {
    text,
    label: entry.label,
    confidence: entry.confidence,
    teacher,
    ...(entry.votes === undefined ? {} : { votes: entry.votes }),
  };
}

interface TeacherLabelSplits {
  /** Never trained on, whatever their confidence: agreement is measured on them. */
  heldOut: TeacherLabel[];
  valid: TeacherLabel[];
  /** The training labels before any perturbed copy. */
  originalTrain: TeacherLabel[];
  belowMinConfidence: number;
}

/**
 * Held out first, from every teacher label, so agreement speaks for the whole distribution, not the filtered
 * part; then the confident rest split into validation and training, both splits drawing from one stream.
 * Throws EMPTY_DATA when training would have fewer than two labels.
 */
function splitTeacherLabels(
  teacherLabels: readonly TeacherLabel[],
  settings: DistillSettings,
): TeacherLabelSplits {
  const { minConfidence } = settings;
  const random = createRandom(settings.seed ^ 0xd157);
  const [heldOut, rest] = splitOffByLabel(teacherLabels, settings.heldOutFraction, random);
  const confident = rest.filter((label) => label.confidence >= minConfidence);
  const [valid, originalTrain] = splitOffByLabel(confident, settings.validFraction, random);
  if (originalTrain.length === 0 || new Set(originalTrain.map((label) => label.label)).size < 2) {
    throw new SlmkitError(
      "EMPTY_DATA",
      `after the confidence filter (${minConfidence}) the teacher's labels leave ${originalTrain.length} training texts with ${new Set(originalTrain.map((label) => label.label)).size} label(s); a student needs two labels or more. Lower --min-confidence or give more texts.`,
    );
  }
  return { heldOut, valid, originalTrain, belowMinConfidence: rest.length - confident.length };
}

/**
 * Splits off about `fraction` of each label's items (rounded; labels with one item stay whole) by
 * `stratifiedSplit`, drawing from `random`, which the caller shares between its two splits. Returns [taken, kept].
 */
function splitOffByLabel<T extends { label: string }>(
  items: readonly T[],
  fraction: number,
  random: Random,
): [T[], T[]] {
  const [taken = [], kept = []] = stratifiedSplit(items, {
    stratumOf: (item) => item.label,
    random,
    deal: { firstPartSize: (size) => (size >= 2 ? Math.round(size * fraction) : 0) },
  });
  return [taken, kept];
}

/** The perturbed copies of the training texts, each new text once, with the text it came from. */
function copiesToLabel(
  originalTrain: readonly TeacherLabel[],
  known: Set<string>,
  settings: DistillSettings,
): Array<{ text: string; from: string }> {
  const copies: Array<{ text: string; from: string }> = [];
  for (const label of originalTrain) {
    for (const text of perturbedCopies(label.text, settings.augment, settings.seed)) {
      if (known.has(text)) continue;
      known.add(text);
      copies.push({ text, from: label.text });
    }
  }
  return copies;
}

/** The teacher's labels of the copies that pass the confidence filter, marked with the text each came from. */
function augmentedLabelsOf(
  copies: ReadonlyArray<{ text: string; from: string }>,
  answerOf: (text: string) => CacheEntry,
  settings: DistillSettings,
): TeacherLabel[] {
  const labels: TeacherLabel[] = [];
  for (const copy of copies) {
    const label = teacherLabelOf(settings.teacher.reference, copy.text, answerOf(copy.text));
    if (label !== undefined && label.confidence >= settings.minConfidence) {
      labels.push({ ...label, augmentedFrom: copy.from });
    }
  }
  return labels;
}

/**
 * Trains the student: on the teacher's softened distributions when any training text has one (and soft labels
 * are on), else on its hard labels. Returns how soft targets were made (undefined with hard labels).
 */
async function trainStudent(
  train: readonly TeacherLabel[],
  valid: readonly TeacherLabel[],
  answerOf: (text: string) => CacheEntry,
  options: DistillOptions,
  settings: DistillSettings,
): Promise<{
  trained: TrainedClassifier;
  softLabels: boolean;
  softTargets: { distillationTemperature: number; hardLabelWeight: number } | undefined;
}> {
  const teacher = settings.teacher;
  const softLabels =
    (options.softLabels ?? true) && train.some((label) => hasDistribution(answerOf(label.text)));
  const softTargets = softLabels
    ? {
        distillationTemperature: options.distillationTemperature ?? defaultDistillationTemperature,
        hardLabelWeight: options.hardLabelWeight ?? defaultHardLabelWeight,
      }
    : undefined;
  const common = {
    seed: settings.seed,
    ...(options.targetAccuracy === undefined ? {} : { targetAccuracy: options.targetAccuracy }),
    ...(options.hyperparameters === undefined ? {} : { hyperparameters: options.hyperparameters }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  };
  if (softTargets !== undefined) {
    const softExample = (label: TeacherLabel): SoftExample => ({
      text: label.text,
      probabilities: distributionOf(teacher.labels, label.label, answerOf(label.text)),
    });
    const trained = await trainSoftClassifier(train.map(softExample), {
      ...common,
      labels: teacher.labels,
      ...(valid.length === 0 ? {} : { valid: valid.map(softExample) }),
      ...softTargets,
    });
    if ((options.threads ?? 1) > 1)
      settings.notes.push("threads ignored: soft-label training runs on one thread.");
    return { trained, softLabels, softTargets };
  }
  const validExamples = valid.map((label) => ({ text: label.text, label: label.label }));
  const trained = await trainClassifier(
    train.map((label) => ({ text: label.text, label: label.label })),
    {
      ...common,
      ...(validExamples.length === 0 ? {} : { valid: validExamples }),
      ...(options.threads === undefined ? {} : { threads: options.threads }),
    },
  );
  return { trained, softLabels, softTargets };
}

/** The student's and the teacher's accuracy on a gold test set, and their ratio when the teacher got any right. */
function testAccuracy(
  student: NativeClassifier,
  test: readonly LabeledExample[],
  answerOf: (text: string) => CacheEntry,
): Pick<DistillReport, "testSize" | "studentAccuracy" | "teacherAccuracy" | "accuracyRatio"> {
  const studentPredictions = student.predictSync(test.map((example) => example.text));
  const studentRight = studentPredictions.filter(
    (prediction, index) => prediction.label === test[index]?.label,
  ).length;
  const teacherRight = test.filter((example) => answerOf(example.text).label === example.label).length;
  return {
    testSize: test.length,
    studentAccuracy: round(studentRight / test.length),
    teacherAccuracy: round(teacherRight / test.length),
    ...(teacherRight > 0 ? { accuracyRatio: round(studentRight / teacherRight) } : {}),
  };
}

/**
 * The teacher's distribution over `labels`, in that order: its probabilities when it gave them (a label it
 * did not mention counts 0), else certainty on its label.
 */
function distributionOf(labels: readonly string[], label: string, entry: CacheEntry): number[] {
  const probabilities = entry.probabilities;
  if (probabilities === undefined || !hasDistribution(entry))
    return labels.map((name) => (name === label ? 1 : 0));
  const distribution = labels.map((name) => {
    const probability = probabilities[name];
    return typeof probability === "number" && Number.isFinite(probability) && probability > 0
      ? probability
      : 0;
  });
  return distribution.some((probability) => probability > 0)
    ? distribution
    : labels.map((name) => (name === label ? 1 : 0));
}

function agreementOf(student: NativeClassifier, heldOut: readonly TeacherLabel[]): number {
  const predictions = student.predictSync(heldOut.map((label) => label.text));
  const same = predictions.filter((prediction, index) => prediction.label === heldOut[index]?.label).length;
  return same / heldOut.length;
}

function round(value: number, decimals = 6): number {
  const scale = 10 ** decimals;
  return Math.round(value * scale) / scale;
}
