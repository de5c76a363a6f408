// The state file of `slmkit finetune` beside the use case: what was uploaded and which job runs, so a rerun resumes.

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { SlmkitError } from "../../errors.js";
import { writeFileAtomic } from "../../internal/fs.js";

/** Where a use case's fine-tuning files live: `<usecase dir>/.slmkit/`. */
export function fineTuneFolder(useCaseDir: string): string {
  return join(useCaseDir, ".slmkit");
}

export const fineTuneStateFileName = "finetune.json";
export const fineTuneReportFileName = "finetune-report.json";

const uploadedFileSchema = z.object({
  /** The service's file id. */
  id: z.string(),
  /** The exported JSONL, relative to the use case's folder. */
  path: z.string(),
  examples: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
});

const jobErrorSchema = z.object({ code: z.string(), message: z.string(), param: z.string().nullable() });

/**
 * Stages before the job exists, then the job's own statuses (OpenAI's and Azure's current API). The state keeps
 * whatever status the service reports, so an older API's ("pending", "created") reads back as well.
 */
export const fineTuneStatuses = [
  "exported",
  "uploaded",
  "validating_files",
  "queued",
  "running",
  "succeeded",
  "failed",
  "cancelled",
] as const;
export type FineTuneStatus = (typeof fineTuneStatuses)[number] | (string & {});

const stateSchema = z.object({
  formatVersion: z.literal(1),
  /** The use case's id. */
  usecase: z.string(),
  provider: z.enum(["openai", "azure"]),
  baseUrl: z.string(),
  /** The base model fine-tuned. */
  base: z.string(),
  suffix: z.string().nullable(),
  epochs: z.number().int().positive().nullable(),
  /** sha256 of the exported train and validation JSONL: the same data is never uploaded twice. */
  dataHash: z.string(),
  files: z.object({ train: uploadedFileSchema.nullable(), valid: uploadedFileSchema.nullable() }),
  /** slmkit's estimate of one epoch of the training file (~4 characters a token), for the cost record. */
  estimatedTokensPerEpoch: z.number().int().nonnegative(),
  jobId: z.string().nullable(),
  status: z.string().min(1),
  /** The newest job event already reported, so a resumed follow prints only what is new. */
  lastEventId: z.string().nullable(),
  fineTunedModel: z.string().nullable(),
  /** `openai:<fine-tuned model>@<baseUrl>`, once the job succeeded. */
  reference: z.string().nullable(),
  trainedTokens: z.number().nonnegative().nullable(),
  error: jobErrorSchema.nullable(),
  /** The report of the finished job, relative to the use case's folder. */
  report: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

/**
 * `<usecase dir>/.slmkit/finetune.json`: one fine-tuning run of the use case, rewritten atomically at every step
 * (export, each upload, job created, each status change and new event), so an interrupted run picks up where it
 * stopped: uploaded files are reused while the data is unchanged, and a job that exists is followed, not
 * created again.
 */
export type FineTuneState = z.output<typeof stateSchema>;
export type UploadedTrainingFile = z.output<typeof uploadedFileSchema>;

/** True for the job statuses after which nothing changes. */
export function isFinished(status: FineTuneStatus): boolean {
  return status === "succeeded" || status === "failed" || status === "cancelled";
}

/** The state file's contents, or undefined when there is none. Throws INVALID_INPUT naming the file when it is not one. */
export async function readFineTuneState(path: string): Promise<FineTuneState | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new SlmkitError("IO_ERROR", `cannot read the fine-tuning state: ${(error as Error).message}`, {
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
    "this is not a fine-tuning state file slmkit wrote. Delete it to start over (a job it named keeps running; `slmkit finetune --list` shows it).",
    { file: path, cause },
  );
}

/** Writes the state atomically with a fresh `updatedAt`. */
export async function writeFineTuneState(path: string, state: FineTuneState): Promise<FineTuneState> {
  const written = { ...state, updatedAt: new Date().toISOString() };
  await writeFileAtomic(path, `${JSON.stringify(written, null, 2)}\n`);
  return written;
}
