// Fine-tuning jobs run for the user: export, upload, start, follow and resume a job on OpenAI or Azure OpenAI.

import { readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { SlmkitError } from "../errors.js";
import { writeFileAtomic } from "../internal/fs.js";
import {
  createOpenAiJobsApi,
  type FineTuningJobInfo,
  type OpenAiJobsApi,
} from "../models/openai/jobs-api.js";
import {
  defaultOpenAiBaseUrl,
  formatOpenAiReference,
  isAzureHost,
  parseOpenAiReference,
} from "../models/openai/reference.js";
import type { LoadedUseCase } from "../spec/load.js";
import { type FineTuneEvent, followJob } from "./finetune/follow.js";
import { type ExportedTrainingData, exportTrainingData } from "./finetune/prepare.js";
import { buildFineTuneReport, type FineTuneReport } from "./finetune/report.js";
import {
  type FineTuneState,
  fineTuneFolder,
  fineTuneReportFileName,
  fineTuneStateFileName,
  isFinished,
  readFineTuneState,
  writeFineTuneState,
} from "./finetune/state.js";
import { validateNumber } from "./train-classifier.js";

export type { FineTuneEvent } from "./finetune/follow.js";
export {
  defaultPricePer1mTrainedTokensUsd,
  type FineTuneCostRecord,
  type FineTuneReport,
} from "./finetune/report.js";
export type { FineTuneState, FineTuneStatus } from "./finetune/state.js";

export interface FineTuneOptions {
  /** The use case whose `data.train` (and `data.valid`) the model learns; its folder keeps the state and report. */
  useCase: LoadedUseCase;
  /** The base model: a name (`gpt-4o-mini-2024-07-18`) or a reference `openai:<model>@<baseUrl>`. */
  base: string;
  /** The service's base URL. Default: the reference's, else the use case's `llm.baseUrl`, else OpenAI's. */
  baseUrl?: string;
  /** The API key. Default none (a local server); the CLI reads it from the environment. */
  apiKey?: string;
  /** Added to the fine-tuned model's name, at most 64 characters. Default: the use case's id. */
  suffix?: string;
  /** Training epochs. Default: the service's choice ("auto"). */
  epochs?: number;
  /** The job's seed. Default: the service's. */
  seed?: number;
  /** US dollars per 1M trained tokens for the cost record. Default 3.00 (gpt-4o-mini's list price), marked assumed. */
  pricePer1mTrainedTokensUsd?: number;
  /** Only resume a job an earlier run started; throw when there is none. Default false (resume, or start one). */
  resumeOnly?: boolean;
  /** Examples estimated over this many tokens are left out of the export. Default 4096. */
  maxTokensPerExample?: number;
  /** First delay between polls (and after any change), in milliseconds. Default 5,000. */
  pollIntervalMs?: number;
  /** Longest delay between polls, in milliseconds. Default 60,000. */
  maxPollIntervalMs?: number;
  /** Polls in a row that may fail for a passing reason (429, 5xx, network) before giving up. Default 10. */
  maxConsecutiveFailures?: number;
  onEvent?: (event: FineTuneEvent) => void;
  /** Stops following (the job keeps running on the service; a rerun resumes) and throws the signal's reason. */
  signal?: AbortSignal;
  /** The service's API. Default: `createOpenAiJobsApi` for the base URL and key (`fetch` passed on). */
  api?: OpenAiJobsApi;
  fetch?: typeof globalThis.fetch;
}

export interface FineTuneResult {
  state: FineTuneState;
  report: FineTuneReport;
  /** `openai:<fine-tuned model>@<baseUrl>`. */
  reference: string;
  /** True when an earlier run had already finished this job for the same data and settings: nothing was started. */
  alreadyDone: boolean;
  paths: { state: string; report: string; train: string; valid: string | null };
}

/** The settings of a run, checked. */
interface RunSettings {
  model: string;
  baseUrl: string;
  provider: "openai" | "azure";
  suffix: string;
  epochs: number | null;
  statePath: string;
  reportPath: string;
}

/**
 * Fine-tunes `base` on the use case's data and follows the job to its end. The state file
 * (`<usecase dir>/.slmkit/finetune.json`, see `FineTuneState`) makes it resumable: a rerun follows a job still
 * running instead of uploading again, reuses uploaded files while the exported data is unchanged, adopts a job an
 * interrupted run created, and returns the finished result of the same data and settings without a new job. On
 * success it writes `<usecase dir>/.slmkit/finetune-report.json` and returns the model reference; a job that
 * failed or was cancelled writes its report too, then throws TRAINING_FAILED with the service's error.
 */
export async function runFineTune(options: FineTuneOptions): Promise<FineTuneResult> {
  const settings = resolveSettings(options);
  const api = options.api ?? apiFor(settings.baseUrl, options);
  const emit = options.onEvent ?? (() => {});
  let state = await readFineTuneState(settings.statePath);
  if (state !== undefined && state.jobId !== null && !isFinished(state.status)) {
    assertSameRun(state, settings);
    emit({ kind: "job", jobId: state.jobId, how: "resumed" });
  } else {
    if (options.resumeOnly === true) {
      throw new SlmkitError(
        "INVALID_OPTION",
        `no fine-tuning job of use case "${options.useCase.spec.id}" is in progress to resume (${settings.statePath}); run without --resume to start one.`,
        { field: "resume" },
      );
    }
    const data = await exportTrainingData(options.useCase, options.maxTokensPerExample ?? 4096);
    emit({
      kind: "exported",
      train: data.train.examples,
      valid: data.valid?.examples ?? 0,
      dropped: data.train.summary.dropped.length + (data.valid?.summary.dropped.length ?? 0),
      warnings: [...data.train.summary.warnings],
    });
    if (state !== undefined && state.status === "succeeded" && sameRun(state, settings, data.dataHash))
      return await finishedResult(state, settings, options.useCase);
    state = await startJob(state, data, settings, options, api, emit);
  }
  const followed = await followJob(state, {
    api,
    statePath: settings.statePath,
    pollIntervalMs: options.pollIntervalMs ?? 5000,
    maxPollIntervalMs: options.maxPollIntervalMs ?? 60_000,
    maxConsecutiveFailures: options.maxConsecutiveFailures ?? 10,
    onEvent: emit,
    signal: options.signal,
  });
  return finishJob(followed.state, followed.job, settings, options);
}

export interface CancelFineTuneOptions {
  jobId: string;
  /** The use case whose state names the job: its state and report are brought up to date. Default none. */
  useCase?: LoadedUseCase;
  /** US dollars per 1M trained tokens for a cancelled job's cost record. Default 3.00, assumed. */
  pricePer1mTrainedTokensUsd?: number;
  api: OpenAiJobsApi;
  signal?: AbortSignal;
}

/**
 * Cancels a fine-tuning job. When the use case's state file names it, its status is written there, and once the
 * service reports it cancelled, the report (with the tokens trained until then) too.
 */
export async function cancelFineTune(options: CancelFineTuneOptions): Promise<FineTuningJobInfo> {
  const job = await options.api.cancelFineTuningJob(options.jobId, options.signal);
  if (options.useCase === undefined) return job;
  const folder = fineTuneFolder(options.useCase.dir);
  const statePath = join(folder, fineTuneStateFileName);
  const state = await readFineTuneState(statePath);
  if (state?.jobId !== options.jobId) return job;
  const updated = await writeFineTuneState(statePath, { ...state, status: job.status });
  if (isFinished(job.status)) {
    await writeReport(updated, job, join(folder, fineTuneReportFileName), options.useCase.dir, {
      pricePer1mTrainedTokensUsd: options.pricePer1mTrainedTokensUsd,
    });
  }
  return job;
}

/** The account's fine-tuning jobs, newest first (at most `limit`, default 20). */
export function listFineTuneJobs(api: OpenAiJobsApi, limit = 20, signal?: AbortSignal) {
  return api.listFineTuningJobs(limit, signal);
}

/** The jobs API of a base URL with the run's key and transport. */
export function apiFor(
  baseUrl: string,
  options: { apiKey?: string; fetch?: typeof globalThis.fetch },
): OpenAiJobsApi {
  return createOpenAiJobsApi({
    baseUrl,
    ...(options.apiKey === undefined ? {} : { apiKey: options.apiKey }),
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  });
}

/** The base model and URL a `base` names: a reference carries its URL; a name takes the flag's or the use case's. */
export function resolveFineTuneEndpoint(
  base: string,
  baseUrl: string | undefined,
  useCase: LoadedUseCase | undefined,
): { model: string; baseUrl: string } {
  if (base.startsWith("openai:")) {
    const parsed = parseOpenAiReference(base);
    const named = base.includes("@http");
    if (baseUrl !== undefined && named && baseUrl !== parsed.baseUrl) {
      throw new SlmkitError(
        "INVALID_OPTION",
        `--base ${base} names ${parsed.baseUrl} but --base-url says ${baseUrl}; give the URL once.`,
        { field: "base-url" },
      );
    }
    return { model: parsed.model, baseUrl: named ? parsed.baseUrl : (baseUrl ?? parsed.baseUrl) };
  }
  return { model: base, baseUrl: baseUrl ?? useCase?.spec.llm?.baseUrl ?? defaultOpenAiBaseUrl };
}

function resolveSettings(options: FineTuneOptions): RunSettings {
  const { model, baseUrl } = resolveFineTuneEndpoint(options.base, options.baseUrl, options.useCase);
  if (model.trim() === "")
    throw new SlmkitError("INVALID_OPTION", "--base names no model, e.g. gpt-4o-mini-2024-07-18.", {
      field: "base",
    });
  const suffix = options.suffix ?? options.useCase.spec.id.slice(0, 40);
  if (suffix.length === 0 || suffix.length > 64) {
    throw new SlmkitError("INVALID_OPTION", `--suffix must be 1 to 64 characters, got ${suffix.length}.`, {
      field: "suffix",
    });
  }
  if (options.epochs !== undefined)
    validateNumber("epochs", options.epochs, { integer: true, minimum: 1, maximum: 50 });
  if (options.pricePer1mTrainedTokensUsd !== undefined)
    validateNumber("pricePer1mTrainedTokensUsd", options.pricePer1mTrainedTokensUsd, { minimum: 0 });
  const folder = fineTuneFolder(options.useCase.dir);
  return {
    model,
    baseUrl,
    provider: isAzureHost(new URL(baseUrl).hostname) ? "azure" : "openai",
    suffix,
    epochs: options.epochs ?? null,
    statePath: join(folder, fineTuneStateFileName),
    reportPath: join(folder, fineTuneReportFileName),
  };
}

/** A job still running must be the one asked for: following another base model's job silently would surprise. */
function assertSameRun(state: FineTuneState, settings: RunSettings): void {
  if (state.base === settings.model && state.baseUrl === settings.baseUrl) return;
  throw new SlmkitError(
    "INVALID_OPTION",
    `fine-tuning job ${state.jobId} of ${state.base} at ${state.baseUrl} is still ${state.status} for this use case; rerun with --base ${state.base} to follow it, or stop it with --cancel ${state.jobId}.`,
    { field: "base" },
  );
}

function sameRun(state: FineTuneState, settings: RunSettings, dataHash: string): boolean {
  return (
    state.base === settings.model &&
    state.baseUrl === settings.baseUrl &&
    state.suffix === settings.suffix &&
    state.epochs === settings.epochs &&
    state.dataHash === dataHash
  );
}

/**
 * Uploads what is not uploaded yet and starts the job, writing the state after each step. Files are reused when
 * the earlier run sent the same data to the same service; a job that run created (the state was written just
 * before the create) is adopted rather than created twice.
 */
async function startJob(
  previous: FineTuneState | undefined,
  data: ExportedTrainingData,
  settings: RunSettings,
  options: FineTuneOptions,
  api: OpenAiJobsApi,
  emit: (event: FineTuneEvent) => void,
): Promise<FineTuneState> {
  const reuse =
    previous !== undefined && previous.baseUrl === settings.baseUrl && previous.dataHash === data.dataHash;
  const now = new Date().toISOString();
  let state: FineTuneState = {
    formatVersion: 1,
    usecase: options.useCase.spec.id,
    provider: settings.provider,
    baseUrl: settings.baseUrl,
    base: settings.model,
    suffix: settings.suffix,
    epochs: settings.epochs,
    dataHash: data.dataHash,
    files: reuse ? previous.files : { train: null, valid: null },
    estimatedTokensPerEpoch: data.estimatedTokensPerEpoch,
    jobId: null,
    status: "exported",
    lastEventId: null,
    fineTunedModel: null,
    reference: null,
    trainedTokens: null,
    error: null,
    report: null,
    createdAt: now,
    updatedAt: now,
  };
  state = await writeFineTuneState(settings.statePath, state);
  for (const which of ["train", "valid"] as const) {
    const file = data[which];
    if (file === undefined) continue;
    const kept = state.files[which];
    if (kept !== null) {
      emit({ kind: "uploaded", which, fileId: kept.id, reused: true });
      continue;
    }
    const uploaded = await api.uploadFile(file.path, "fine-tune", options.signal);
    emit({ kind: "uploaded", which, fileId: uploaded.id, reused: false });
    const record = { id: uploaded.id, path: file.relativePath, examples: file.examples, bytes: file.bytes };
    state = await writeFineTuneState(settings.statePath, {
      ...state,
      files: { ...state.files, [which]: record },
    });
  }
  state = await writeFineTuneState(settings.statePath, { ...state, status: "uploaded" });
  const trainingFile = state.files.train?.id as string;
  const found =
    reuse && previous.status === "uploaded" && previous.jobId === null
      ? await findJobOf(
          api,
          trainingFile,
          settings.model,
          Date.parse(previous.createdAt) / 1000,
          options.signal,
        )
      : undefined;
  const job =
    found ??
    (await api.createFineTuningJob(
      {
        model: settings.model,
        trainingFile,
        ...(state.files.valid === null ? {} : { validationFile: state.files.valid.id }),
        suffix: settings.suffix,
        ...(settings.epochs === null ? {} : { epochs: settings.epochs }),
        ...(options.seed === undefined ? {} : { seed: options.seed }),
      },
      options.signal,
    ));
  state = await writeFineTuneState(settings.statePath, { ...state, jobId: job.id, status: job.status });
  emit({ kind: "job", jobId: job.id, how: found === undefined ? "created" : "found" });
  return state;
}

/** The newest job of this training file and base model created since `since` (Unix seconds), if any. */
async function findJobOf(
  api: OpenAiJobsApi,
  trainingFile: string,
  model: string,
  since: number,
  signal: AbortSignal | undefined,
): Promise<FineTuningJobInfo | undefined> {
  const jobs = await api.listFineTuningJobs(50, signal);
  return jobs.find(
    (job) =>
      job.trainingFile === trainingFile && job.model === model && job.createdAt >= Math.floor(since) - 60,
  );
}

/** Writes the report and the final state; returns the result of a success, throws TRAINING_FAILED otherwise. */
async function finishJob(
  state: FineTuneState,
  job: FineTuningJobInfo,
  settings: RunSettings,
  options: FineTuneOptions,
): Promise<FineTuneResult> {
  const reference =
    job.status === "succeeded" && job.fineTunedModel !== null
      ? formatOpenAiReference(job.fineTunedModel, settings.baseUrl)
      : null;
  const finished = await writeFineTuneState(settings.statePath, {
    ...state,
    status: job.status,
    fineTunedModel: job.fineTunedModel,
    reference,
    trainedTokens: job.trainedTokens,
    error: job.error,
  });
  const { state: reported, report } = await writeReport(
    finished,
    job,
    settings.reportPath,
    options.useCase.dir,
    {
      pricePer1mTrainedTokensUsd: options.pricePer1mTrainedTokensUsd,
    },
  );
  if (reference === null) {
    const why =
      job.status === "cancelled"
        ? "was cancelled; no model was made"
        : `failed${job.error === null ? "" : `: ${job.error.code === "" ? "" : `${job.error.code}: `}${job.error.message}`}`;
    throw new SlmkitError(
      "TRAINING_FAILED",
      `fine-tuning job ${job.id} of ${job.model} ${why}. Report: ${settings.reportPath}. Run again to start a new job (the uploaded files are reused while the data is unchanged).`,
    );
  }
  return {
    state: reported,
    report,
    reference,
    alreadyDone: false,
    paths: pathsOf(reported, settings, options.useCase),
  };
}

/** Writes the report of a finished job and records its path in the state. */
async function writeReport(
  state: FineTuneState,
  job: FineTuningJobInfo,
  reportPath: string,
  useCaseDir: string,
  reportSettings: Parameters<typeof buildFineTuneReport>[2],
): Promise<{ state: FineTuneState; report: FineTuneReport }> {
  const report = buildFineTuneReport(state, job, reportSettings);
  await writeFileAtomic(reportPath, `${JSON.stringify(report, null, 2)}\n`);
  const statePath = join(fineTuneFolder(useCaseDir), fineTuneStateFileName);
  const written = await writeFineTuneState(statePath, { ...state, report: relative(useCaseDir, reportPath) });
  return { state: written, report };
}

/** The result of a job an earlier run finished, from its state and report. */
async function finishedResult(
  state: FineTuneState,
  settings: RunSettings,
  useCase: LoadedUseCase,
): Promise<FineTuneResult> {
  let report: FineTuneReport;
  try {
    report = JSON.parse(await readFile(settings.reportPath, "utf8")) as FineTuneReport;
  } catch (error) {
    throw new SlmkitError(
      "IO_ERROR",
      `job ${state.jobId} finished, but its report cannot be read: ${(error as Error).message}. Delete ${settings.statePath} to fine-tune again.`,
      { file: settings.reportPath, cause: error },
    );
  }
  return {
    state,
    report,
    reference: state.reference as string,
    alreadyDone: true,
    paths: pathsOf(state, settings, useCase),
  };
}

function pathsOf(
  state: FineTuneState,
  settings: RunSettings,
  useCase: LoadedUseCase,
): FineTuneResult["paths"] {
  return {
    state: settings.statePath,
    report: settings.reportPath,
    train: join(useCase.dir, state.files.train?.path ?? ""),
    valid: state.files.valid === null ? null : join(useCase.dir, state.files.valid.path),
  };
}
