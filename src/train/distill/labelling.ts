// The teacher's answers: asked `concurrency` at a time, with self-consistency votes, and cached on disk as they arrive.

import { createHash } from "node:crypto";
import { appendFile, readFile } from "node:fs/promises";
import { SlmkitError } from "../../errors.js";
import type { Teacher, TeacherAnswer } from "./teachers.js";

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

export const teacherCacheFileName = ".teacher-cache.jsonl";

/** One line of the append-only teacher cache. */
export interface CacheEntry {
  key: string;
  teacher: string;
  label: string | null;
  confidence: number;
  probabilities?: Record<string, number>;
  votes?: { agree: number; of: number };
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  /**
   * Set when no answer came (a Batch API request that failed): the text counts as unsure (`label` null). A
   * `retryable` failure (429, 5xx, expired) is asked again by the next `distill --batch` run; one that is not
   * (another 4xx) never is.
   */
  error?: string;
  retryable?: boolean;
  /** "batch": answered through the Batch API (at its price). Absent: an interactive call. */
  via?: "batch";
}

/** The cache key of a text for a teacher: sha256 of the teacher reference and the text. */
export function teacherCacheKey(teacher: string, text: string): string {
  return createHash("sha256").update(teacher).update("\u0000").update(text).digest("hex");
}

/** What a bulk labeller did in one stage: requests sent, answers cached, what it cost. */
export interface BulkLabellingResult {
  /** Batches created in this run. */
  batches: number;
  /** Requests of the batches collected in this run (resubmissions counted again). */
  requests: number;
  /** Texts given a label of the set in this run. */
  answered: number;
  /** Texts whose answer named no label of the set. */
  unsure: number;
  /** Texts that got no answer (cached as unsure with their error). */
  failed: number;
  /** US dollars of this run's answers: the batches' at `priceFactor` of the interactive price, the probe's in full. */
  costUsd: number;
  inputTokens: number;
  outputTokens: number;
  /** Interactive calls made (the probe before the first batch). */
  interactiveCalls: number;
  seconds: number;
  /** The batch price as a share of the interactive one. */
  priceFactor: number;
}

/**
 * Labels texts in bulk before the interactive pass, into the same cache, which then finds them answered (`distill
 * --batch`: the Batch API). Texts it leaves unanswered are simply asked interactively.
 */
export interface BulkLabeller {
  /** The teacher's reference: the cache's entries are keyed by it. */
  readonly reference: string;
  readonly priceFactor: number;
  label(
    texts: readonly string[],
    options: { cachePath: string; stage: DistillProgress["stage"]; signal?: AbortSignal | undefined },
  ): Promise<BulkLabellingResult>;
}

export interface LabelAllOptions {
  cachePath: string;
  k: number;
  concurrency: number;
  stage: DistillProgress["stage"];
  totalForProgress: number;
  onProgress?: (progress: DistillProgress) => void;
  signal?: AbortSignal;
}

export interface LabelAllResult {
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
export async function labelAll(
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

/**
 * Appends entries to the cache, one line each, in one write (after making sure the file ends with a newline, so
 * a line cut off by a crash is not glued to the first new one).
 */
export async function appendCacheEntries(path: string, entries: readonly CacheEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await ensureEndsWithNewline(path);
  await appendFile(path, `${entries.map((entry) => JSON.stringify(entry)).join("\n")}\n`);
}

/** Reads the cache, skipping a line cut off by a crash and entries of other teachers; a later line wins. */
export async function readCache(path: string, teacher: string): Promise<Map<string, CacheEntry>> {
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

/** Whether the teacher gave a distribution over two labels or more (soft labels need one). */
export function hasDistribution(entry: CacheEntry): boolean {
  return entry.probabilities !== undefined && Object.keys(entry.probabilities).length > 1;
}
