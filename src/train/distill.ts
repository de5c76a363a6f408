// Distillation: a teacher (native, GGUF or LLM) labels unlabelled texts, cached on disk; a native student learns them.

import { createHash } from "node:crypto";
import { appendFile, mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeJsonl } from "../data/io.js";
import { stratifiedSplit } from "../data/split.js";
import { SlmkitError } from "../errors.js";
import { writeFileAtomic } from "../internal/fs.js";
import { createRandom, type Random } from "../internal/random.js";
import { NativeClassifier } from "../models/native/classifier.js";
import { saveNativeModel } from "../models/native/model-directory.js";
import type { OpenAiLabeler } from "../models/openai/openai-labeler.js";
import type { TaskModel } from "../models/task-model.js";
import type { ClassPrediction, LabeledExample } from "../types.js";
import { type HyperparameterOverrides, trainClassifier, validateNumber } from "./train-classifier.js";
import {
  defaultDistillationTemperature,
  defaultHardLabelWeight,
  type SoftExample,
  trainSoftClassifier,
} from "./train-soft-classifier.js";

/** One answer of a teacher about one text. */
export interface TeacherAnswer {
  /** A label of the teacher's set, or null when the teacher named none (an LLM's reply outside the set). */
  label: string | null;
  /** The teacher's confidence in `label`, in [0, 1]; 0 when `label` is null. */
  confidence: number;
  /** The full distribution over labels, when the teacher gives one (the native model does). */
  probabilities?: Record<string, number>;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

/** Anything that can label a text: adapters below wrap a TaskModel or an OpenAI-compatible labeler. */
export interface Teacher {
  /** The model reference, recorded as provenance in every teacher label and in the cache key. */
  readonly reference: string;
  readonly labels: readonly string[];
  /** True when asking again gives the same answer (native models, GGUF at temperature 0): self-consistency is then skipped. */
  readonly deterministic: boolean;
  label(text: string, signal?: AbortSignal): Promise<TeacherAnswer>;
}

/** A model that gives every label's probability through `classify` (a GGUF model does). */
interface DistributionModel {
  classify(texts: readonly string[]): Promise<Array<ClassPrediction & { probabilities?: readonly number[] }>>;
}

function givesDistributions(model: TaskModel): model is TaskModel & DistributionModel {
  return model.task === "classify" && typeof (model as Partial<DistributionModel>).classify === "function";
}

/**
 * A teacher over a loaded TaskModel. A native or GGUF model gives its full calibrated distribution (used as
 * soft labels); other models give their top label and confidence. Local models cost nothing.
 */
export function teacherFromModel(model: TaskModel): Teacher {
  if (model instanceof NativeClassifier) {
    return {
      reference: model.reference,
      labels: model.labels,
      deterministic: true,
      async label(text) {
        const detailed = model.predictDetailed(text);
        const probabilities: Record<string, number> = {};
        model.labels.forEach((name, index) => {
          probabilities[name] = detailed.probabilities[index] as number;
        });
        return {
          label: detailed.label,
          confidence: detailed.confidence,
          probabilities,
          inputTokens: 0,
          outputTokens: 0,
          costUsd: 0,
        };
      },
    };
  }
  if (givesDistributions(model)) {
    return {
      reference: model.reference,
      labels: model.labels,
      // Scoring every label's likelihood samples nothing, but a model of unknown kind is not trusted to repeat.
      deterministic: false,
      async label(text) {
        const [prediction] = await model.classify([text]);
        if (prediction === undefined || !model.labels.includes(prediction.label)) {
          return { label: null, confidence: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };
        }
        const distribution = prediction.probabilities;
        const probabilities: Record<string, number> = {};
        if (distribution !== undefined && distribution.length === model.labels.length) {
          model.labels.forEach((name, index) => {
            probabilities[name] = distribution[index] as number;
          });
        }
        return {
          label: prediction.label,
          confidence: prediction.confidence,
          ...(Object.keys(probabilities).length === 0 ? {} : { probabilities }),
          inputTokens: 0,
          outputTokens: 0,
          costUsd: 0,
        };
      },
    };
  }
  return {
    reference: model.reference,
    labels: model.labels,
    // A TaskModel of unknown kind may sample; assume it can disagree with itself.
    deterministic: false,
    async label(text) {
      const [prediction] = await model.predict([text]);
      if (prediction === undefined || prediction.label === "" || !model.labels.includes(prediction.label)) {
        return { label: null, confidence: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };
      }
      return {
        label: prediction.label,
        confidence: prediction.confidence,
        inputTokens: 0,
        outputTokens: 0,
        costUsd: 0,
      };
    },
  };
}

/**
 * A teacher over an OpenAI-compatible labeler, with the exact tokens and cost of every call. Confidence is
 * the label's probability from logprobs when the server gives them, otherwise 1. The labeler asks at
 * temperature 0, so answers repeat on most servers; self-consistency still runs (servers are not
 * guaranteed deterministic) but usually agrees with itself.
 */
export function teacherFromLabeler(labeler: OpenAiLabeler): Teacher {
  return {
    reference: labeler.reference,
    labels: labeler.labels,
    deterministic: false,
    async label(text, signal) {
      const reply = await labeler.classify(text, signal);
      return {
        label: reply.label,
        confidence: reply.label === null ? 0 : (reply.confidence ?? 1),
        inputTokens: reply.inputTokens,
        outputTokens: reply.outputTokens,
        costUsd: reply.costUsd,
      };
    },
  };
}

/** Progress of a labelling pass, reported after every answer. */
export interface DistillProgress {
  /** "texts": the given texts (and test texts); "augmented": the perturbed copies of `augment`, a second pass. */
  stage: "texts" | "augmented";
  /** Texts answered so far in this stage, from the cache or the teacher. */
  done: number;
  total: number;
  /** Of `done`, answered from the cache of an earlier run. */
  cached: number;
  /** Teacher calls made by this run (self-consistency makes several per text). */
  calls: number;
  costUsd: number;
}

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

export const teacherCacheFileName = ".teacher-cache.jsonl";

/** One line of the append-only teacher cache. */
interface CacheEntry {
  key: string;
  teacher: string;
  label: string | null;
  confidence: number;
  probabilities?: Record<string, number>;
  votes?: { agree: number; of: number };
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

/** The cache key of a text for a teacher: sha256 of the teacher reference and the text. */
export function teacherCacheKey(teacher: string, text: string): string {
  return createHash("sha256").update(teacher).update("\u0000").update(text).digest("hex");
}

/**
 * Runs a distillation: labels every text with the teacher (cached in `<out>/.teacher-cache.jsonl` as answers
 * arrive, so an interrupted run resumes without asking again), writes `<out>/teacher-labels.jsonl`, trains
 * the native student into `<out>/model/` and writes `<out>/report.json`.
 */
export async function distill(options: DistillOptions): Promise<DistillResult> {
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
  const k = teacher.deterministic ? 1 : requestedK;
  if (requestedK > 1 && teacher.deterministic) {
    notes.push(
      `self-consistency ${requestedK} skipped: ${teacher.reference} is deterministic, so every answer would be the same.`,
    );
  }

  const texts = [...new Set(options.texts)];
  if (texts.length === 0)
    throw new SlmkitError("EMPTY_DATA", 'no unlabelled texts to distill; give a file of {"text"} lines.');
  const testTexts = (options.test ?? []).map((example) => example.text);
  const toLabel = [...new Set([...texts, ...testTexts])];

  await mkdir(options.out, { recursive: true });
  const cachePath = join(options.out, teacherCacheFileName);
  const labelOptions = (stage: DistillProgress["stage"]): Omit<LabelAllOptions, "totalForProgress"> => ({
    cachePath,
    k,
    concurrency,
    stage,
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
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

  // Held out first, from every teacher label, so agreement speaks for the whole distribution, not the filtered part.
  const random = createRandom(seed ^ 0xd157);
  const [heldOut, rest] = splitOffByLabel(teacherLabels, heldOutFraction, random);
  const confident = rest.filter((label) => label.confidence >= minConfidence);
  const belowMinConfidence = rest.length - confident.length;
  const [valid, originalTrain] = splitOffByLabel(confident, validFraction, random);
  if (originalTrain.length === 0 || new Set(originalTrain.map((label) => label.label)).size < 2) {
    throw new SlmkitError(
      "EMPTY_DATA",
      `after the confidence filter (${minConfidence}) the teacher's labels leave ${originalTrain.length} training texts with ${new Set(originalTrain.map((label) => label.label)).size} label(s); a student needs two labels or more. Lower --min-confidence or give more texts.`,
    );
  }

  // Perturbed copies of the training texts only: held-out and validation texts stay untouched by training.
  const augmentedLabels: TeacherLabel[] = [];
  let augmentation: LabelAllResult | undefined;
  if (augment > 0) {
    const known = new Set(toLabel);
    const copies: Array<{ text: string; from: string }> = [];
    for (const label of originalTrain) {
      for (const text of perturbedCopies(label.text, augment, seed)) {
        if (known.has(text)) continue;
        known.add(text);
        copies.push({ text, from: label.text });
      }
    }
    augmentation = await labelAll(
      teacher,
      copies.map((copy) => copy.text),
      { ...labelOptions("augmented"), totalForProgress: copies.length },
    );
    for (const [key, entry] of augmentation.answers) answers.set(key, entry);
    for (const copy of copies) {
      const label = teacherLabelOf(teacher.reference, copy.text, answerOf(copy.text));
      if (label !== undefined && label.confidence >= minConfidence) {
        augmentedLabels.push({ ...label, augmentedFrom: copy.from });
      }
    }
  }
  const train = [...originalTrain, ...augmentedLabels];
  const teacherLabelsPath = join(options.out, "teacher-labels.jsonl");
  await writeJsonl(teacherLabelsPath, [...teacherLabels, ...augmentedLabels]);

  const softLabels =
    (options.softLabels ?? true) && train.some((label) => hasDistribution(answerOf(label.text)));
  // How soft targets are made; absent with hard labels.
  const softTargets = softLabels
    ? {
        distillationTemperature: options.distillationTemperature ?? defaultDistillationTemperature,
        hardLabelWeight: options.hardLabelWeight ?? defaultHardLabelWeight,
      }
    : undefined;
  const common = {
    seed,
    ...(options.targetAccuracy === undefined ? {} : { targetAccuracy: options.targetAccuracy }),
    ...(options.hyperparameters === undefined ? {} : { hyperparameters: options.hyperparameters }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  };
  let trained: Awaited<ReturnType<typeof trainClassifier>>;
  if (softTargets !== undefined) {
    const softExample = (label: TeacherLabel): SoftExample => ({
      text: label.text,
      probabilities: distributionOf(teacher.labels, label.label, answerOf(label.text)),
    });
    trained = await trainSoftClassifier(train.map(softExample), {
      ...common,
      labels: teacher.labels,
      ...(valid.length === 0 ? {} : { valid: valid.map(softExample) }),
      ...softTargets,
    });
    if ((options.threads ?? 1) > 1) notes.push("threads ignored: soft-label training runs on one thread.");
  } else {
    const validExamples = valid.map((label) => ({ text: label.text, label: label.label }));
    trained = await trainClassifier(
      train.map((label) => ({ text: label.text, label: label.label })),
      {
        ...common,
        ...(validExamples.length === 0 ? {} : { valid: validExamples }),
        ...(options.threads === undefined ? {} : { threads: options.threads }),
      },
    );
  }
  const student = trained.model;
  const modelPath = join(options.out, "model");
  trained.record.extra = {
    ...trained.record.extra,
    distillation: {
      teacher: teacher.reference,
      minConfidence,
      selfConsistency: k,
      softLabels,
      ...softTargets,
      augment,
    },
  };
  await saveNativeModel(student, modelPath, trained.record);

  const agreement = heldOut.length === 0 ? 1 : agreementOf(student, heldOut);
  const augmentCalls = augmentation?.calls ?? 0;
  const report: DistillReport = {
    teacher: teacher.reference,
    createdAt: new Date().toISOString(),
    texts: texts.length,
    labelled: teacherLabels.length,
    unsure,
    minConfidence,
    belowMinConfidence,
    selfConsistency: k,
    softLabels,
    ...softTargets,
    augment,
    augmentedTexts: augmentedLabels.length,
    augmentTeacherCalls: augmentCalls,
    trainTexts: train.length,
    validTexts: valid.length,
    heldOut: heldOut.length,
    agreement: round(agreement),
    teacherCalls: labelling.calls + augmentCalls,
    teacherCachedAnswers: labelling.cached + (augmentation?.cached ?? 0),
    teacherCostUsd: round(labelling.costUsd + (augmentation?.costUsd ?? 0), 8),
    teacherInputTokens: labelling.inputTokens + (augmentation?.inputTokens ?? 0),
    teacherOutputTokens: labelling.outputTokens + (augmentation?.outputTokens ?? 0),
    labellingSeconds: round(labelling.seconds + (augmentation?.seconds ?? 0), 3),
    trainSeconds: round(trained.record.trainSeconds ?? 0, 3),
    notes,
  };
  if (heldOut.length === 0)
    notes.push("too few texts to hold any out: agreement is not measured (reported as 1).");
  if (!softLabels)
    notes.push(
      "trained on the teacher's hard labels (it gave no probability distribution, or softLabels was off).",
    );
  if (options.test !== undefined && options.test.length > 0) {
    const test = options.test;
    const studentPredictions = student.predictSync(test.map((example) => example.text));
    const studentRight = studentPredictions.filter(
      (prediction, index) => prediction.label === test[index]?.label,
    ).length;
    const teacherRight = test.filter((example) => answerOf(example.text).label === example.label).length;
    report.testSize = test.length;
    report.studentAccuracy = round(studentRight / test.length);
    report.teacherAccuracy = round(teacherRight / test.length);
    if (teacherRight > 0) report.accuracyRatio = round(studentRight / teacherRight);
  }
  const reportPath = join(options.out, "report.json");
  await writeFileAtomic(reportPath, `${JSON.stringify(report, null, 2)}\n`);
  return {
    report,
    labels: [...teacherLabels, ...augmentedLabels],
    student,
    paths: { teacherLabels: teacherLabelsPath, model: modelPath, report: reportPath, cache: cachePath },
  };
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

/**
 * Up to `count` distinct perturbed copies of `text`, none equal to it: each drops every word with probability
 * 0.1 (keeping two or more) and, half the time, swaps two adjacent words. Seeded by `seed` and the text itself,
 * so a text gets the same copies whatever else is distilled with it. Texts under three words get none.
 */
export function perturbedCopies(text: string, count: number, seed: number): string[] {
  const words = text.split(/\s+/).filter((word) => word !== "");
  if (words.length < 3 || count <= 0) return [];
  const random = createRandom(
    (seed ^ Number.parseInt(createHash("sha256").update(text).digest("hex").slice(0, 8), 16)) >>> 0,
  );
  const copies = new Set<string>();
  // A few tries per copy: a draw that drops nothing and swaps nothing gives the text back.
  for (let attempt = 0; attempt < count * 4 && copies.size < count; attempt++) {
    const copy = perturbWords(words, random).join(" ");
    if (copy !== words.join(" ") && copy !== text) copies.add(copy);
  }
  return [...copies];
}

function perturbWords(words: readonly string[], random: Random): string[] {
  const kept = words.filter(() => random.next() >= 0.1);
  const out = kept.length >= 2 ? kept : [...words];
  if (random.next() < 0.5) {
    const index = random.int(out.length - 1);
    const held = out[index] as string;
    out[index] = out[index + 1] as string;
    out[index + 1] = held;
  }
  return out;
}

interface LabelAllOptions {
  cachePath: string;
  k: number;
  concurrency: number;
  stage: DistillProgress["stage"];
  totalForProgress: number;
  onProgress?: (progress: DistillProgress) => void;
  signal?: AbortSignal;
}

interface LabelAllResult {
  answers: Map<string, CacheEntry>;
  calls: number;
  cached: number;
  costUsd: number;
  inputTokens: number;
  outputTokens: number;
  seconds: number;
}

/**
 * Answers every text from the cache or the teacher, `concurrency` at a time. Each new answer is appended to
 * the cache as one line the moment it arrives, so a crash or Ctrl-C loses at most the answers in flight.
 */
async function labelAll(
  teacher: Teacher,
  texts: readonly string[],
  options: LabelAllOptions,
): Promise<LabelAllResult> {
  const started = performance.now();
  const answers = await readCache(options.cachePath, teacher.reference);
  const missing = texts.filter((text) => !answers.has(teacherCacheKey(teacher.reference, text)));
  const result: LabelAllResult = {
    answers,
    calls: 0,
    cached: texts.length - missing.length,
    costUsd: 0,
    inputTokens: 0,
    outputTokens: 0,
    seconds: 0,
  };
  let done = result.cached;
  const report = () =>
    options.onProgress?.({
      stage: options.stage,
      done,
      total: options.totalForProgress,
      cached: result.cached,
      calls: result.calls,
      costUsd: result.costUsd,
    });
  report();
  // Appends run one after another so lines never interleave, whatever order the answers come in.
  let appending: Promise<void> = Promise.resolve();
  const append = (entry: CacheEntry) => {
    appending = appending.then(() => appendFile(options.cachePath, `${JSON.stringify(entry)}\n`));
    return appending;
  };
  let next = 0;
  const signal = options.signal;
  const worker = async (): Promise<void> => {
    for (let index = next++; index < missing.length; index = next++) {
      signal?.throwIfAborted();
      const text = missing[index] as string;
      const votes: TeacherAnswer[] = [];
      for (let round = 0; round < options.k; round++) {
        const answer = await teacher.label(text, signal);
        result.calls++;
        result.costUsd += answer.costUsd;
        result.inputTokens += answer.inputTokens;
        result.outputTokens += answer.outputTokens;
        votes.push(answer);
      }
      const entry = combineVotes(teacher.reference, teacherCacheKey(teacher.reference, text), votes);
      answers.set(entry.key, entry);
      await append(entry);
      done++;
      report();
    }
  };
  await ensureEndsWithNewline(options.cachePath);
  const workers = Array.from({ length: Math.min(options.concurrency, missing.length) }, worker);
  const settled = await Promise.allSettled(workers);
  await appending;
  const failure = settled.find((outcome) => outcome.status === "rejected");
  if (failure !== undefined) throw (failure as PromiseRejectedResult).reason;
  result.seconds = (performance.now() - started) / 1000;
  return result;
}

/** The majority label of k answers; its vote share is the confidence (k = 1: the teacher's own confidence). */
function combineVotes(teacher: string, key: string, votes: readonly TeacherAnswer[]): CacheEntry {
  const costs = {
    inputTokens: votes.reduce((sum, vote) => sum + vote.inputTokens, 0),
    outputTokens: votes.reduce((sum, vote) => sum + vote.outputTokens, 0),
    costUsd: votes.reduce((sum, vote) => sum + vote.costUsd, 0),
  };
  const first = votes[0] as TeacherAnswer;
  if (votes.length === 1) {
    return {
      key,
      teacher,
      label: first.label,
      confidence: first.confidence,
      ...(first.probabilities === undefined ? {} : { probabilities: first.probabilities }),
      ...costs,
    };
  }
  // Several distributions: their mean is the soft label (the vote share stays the confidence).
  const distributions = votes.map((vote) => vote.probabilities);
  let probabilities: Record<string, number> | undefined;
  if (distributions.every((distribution) => distribution !== undefined)) {
    probabilities = {};
    for (const distribution of distributions as Array<Record<string, number>>) {
      for (const [name, probability] of Object.entries(distribution)) {
        probabilities[name] = (probabilities[name] ?? 0) + probability / votes.length;
      }
    }
  }
  const counts = new Map<string | null, number>();
  for (const vote of votes) counts.set(vote.label, (counts.get(vote.label) ?? 0) + 1);
  // Ties go to the label answered first, so the outcome does not depend on Map iteration quirks.
  let best: string | null = first.label;
  for (const vote of votes) if ((counts.get(vote.label) ?? 0) > (counts.get(best) ?? 0)) best = vote.label;
  const agree = counts.get(best) ?? 0;
  return {
    key,
    teacher,
    label: best,
    confidence: best === null ? 0 : agree / votes.length,
    ...(probabilities === undefined ? {} : { probabilities }),
    votes: { agree, of: votes.length },
    ...costs,
  };
}

/** Reads the cache, skipping a line cut off by a crash and entries of other teachers. */
async function readCache(path: string, teacher: string): Promise<Map<string, CacheEntry>> {
  const answers = new Map<string, CacheEntry>();
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return answers;
    throw new SlmkitError("IO_ERROR", `cannot read the teacher cache: ${(error as Error).message}`, {
      file: path,
      cause: error,
    });
  }
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    let entry: unknown;
    try {
      entry = JSON.parse(line);
    } catch {
      continue;
    }
    if (isCacheEntry(entry) && entry.teacher === teacher) answers.set(entry.key, entry);
  }
  return answers;
}

/** A run killed mid-write leaves a line without its newline; the next append must not glue onto it. */
async function ensureEndsWithNewline(path: string): Promise<void> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    return;
  }
  if (text.length > 0 && !text.endsWith("\n")) await appendFile(path, "\n");
}

function isCacheEntry(value: unknown): value is CacheEntry {
  if (typeof value !== "object" || value === null) return false;
  const entry = value as Record<string, unknown>;
  return (
    typeof entry.key === "string" &&
    typeof entry.teacher === "string" &&
    (entry.label === null || typeof entry.label === "string") &&
    typeof entry.confidence === "number" &&
    typeof entry.inputTokens === "number" &&
    typeof entry.outputTokens === "number" &&
    typeof entry.costUsd === "number"
  );
}

function hasDistribution(entry: CacheEntry): boolean {
  return entry.probabilities !== undefined && Object.keys(entry.probabilities).length > 1;
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

function agreementOf(student: NativeClassifier, heldOut: readonly TeacherLabel[]): number {
  const predictions = student.predictSync(heldOut.map((label) => label.text));
  const same = predictions.filter((prediction, index) => prediction.label === heldOut[index]?.label).length;
  return same / heldOut.length;
}

function round(value: number, decimals = 6): number {
  const scale = 10 ** decimals;
  return Math.round(value * scale) / scale;
}
