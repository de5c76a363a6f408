// The state file of `distill --batch` in the output folder: every Batch API batch sent, so a rerun resumes them.

import { readFile } from "node:fs/promises";
import { z } from "zod";
import { SlmkitError } from "../../errors.js";
import { writeFileAtomic } from "../../internal/fs.js";

export const batchStateFileName = ".teacher-batches.json";
/** The folder (in the output folder) of the batches' input files. */
export const batchInputFolderName = ".teacher-batches";

const batchSchema = z.object({
  /** "texts" or "augmented": the labelling pass the batch belongs to. */
  stage: z.enum(["texts", "augmented"]),
  /** 0 for the first submission of a text, 1 for its resubmission after a passing failure, … */
  round: z.number().int().nonnegative(),
  /** Its place among the batches of its stage and round, from 1. */
  part: z.number().int().positive(),
  /** The input JSONL, relative to the output folder. */
  input: z.string(),
  requests: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  inputFileId: z.string().nullable(),
  batchId: z.string().nullable(),
  status: z.string(),
  counts: z.object({
    total: z.number().int().nonnegative(),
    completed: z.number().int().nonnegative(),
    failed: z.number().int().nonnegative(),
  }),
  /** True once its answers are in the teacher cache: a rerun never collects it again. */
  collected: z.boolean(),
  /** True when `distill --batch-cancel` asked to cancel it: its unanswered texts are sent again later. */
  cancelRequested: z.boolean(),
  createdAt: z.string(),
});

const stateSchema = z.object({
  formatVersion: z.literal(1),
  /** The teacher reference; its batches are answered into its cache entries only. */
  teacher: z.string(),
  baseUrl: z.string(),
  batches: z.array(batchSchema),
});

/**
 * `<out>/.teacher-batches.json`: the Batch API batches of a distillation's teacher, rewritten atomically whenever
 * one is written, uploaded, created, changes status or is collected into the teacher cache.
 */
export type BatchState = z.output<typeof stateSchema>;
export type BatchRecord = z.output<typeof batchSchema>;

/** The state, or undefined when there is none. Throws INVALID_INPUT naming the file when it is not one. */
export async function readBatchState(path: string): Promise<BatchState | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new SlmkitError("IO_ERROR", `cannot read the batch state: ${(error as Error).message}`, {
      file: path,
      cause: error,
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw unreadable(path, error);
  }
  const parsed = stateSchema.safeParse(value);
  if (!parsed.success) throw unreadable(path, parsed.error);
  return parsed.data;
}

function unreadable(path: string, cause: unknown): SlmkitError {
  return new SlmkitError(
    "INVALID_INPUT",
    "this is not a batch state file slmkit wrote. Delete it to start over (batches it named keep running on the service).",
    { file: path, cause },
  );
}

export async function writeBatchState(path: string, state: BatchState): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(state, null, 2)}\n`);
}

/** Statuses after which a batch changes no more. */
export function isBatchFinished(status: string): boolean {
  return status === "completed" || status === "failed" || status === "expired" || status === "cancelled";
}
