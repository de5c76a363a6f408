// `slmkit finetune`: export, upload, start and follow a fine-tuning job on OpenAI or Azure OpenAI; cancel; list.

import { join } from "node:path";
import type { Command } from "commander";
import { readEnvironment } from "../config.js";
import { SlmkitError } from "../errors.js";
import { formatCount, formatSeconds } from "../eval/number-format.js";
import type { FineTuningEventInfo, FineTuningJobInfo, OpenAiJobsApi } from "../models/openai/jobs-api.js";
import { type LoadedUseCase, loadUseCase } from "../spec/load.js";
import { fineTuneFolder, fineTuneStateFileName, readFineTuneState } from "../train/finetune/state.js";
import {
  apiFor,
  cancelFineTune,
  type FineTuneEvent,
  type FineTuneResult,
  listFineTuneJobs,
  resolveFineTuneEndpoint,
  runFineTune,
} from "../train/finetune.js";
import { parseIntegerOption, parseNumberOption } from "./options.js";
import { createProgress, writeJsonOutput } from "./output.js";

interface FineTuneFlags {
  usecase?: string;
  base?: string;
  baseUrl?: string;
  apiKeyEnv?: string;
  suffix?: string;
  epochs?: number;
  seed?: number;
  resume?: boolean;
  cancel?: string;
  list?: boolean;
  pricePer1mTrainedTokens?: number;
  pollInterval: number;
  json?: string;
}

export function registerFineTuneCommand(program: Command): void {
  program
    .command("finetune")
    .description(
      "Fine-tune a model on the use case's data with OpenAI or Azure OpenAI (by --base-url): export and validate the chat JSONL, upload it, start the job and follow it (status and events on stderr). Interrupted, a rerun resumes following (state in <usecase dir>/.slmkit/finetune.json); on success prints the model reference openai:<fine-tuned model>@<baseUrl> and writes <usecase dir>/.slmkit/finetune-report.json with the trained tokens and their cost.",
    )
    .option("--usecase <yaml>", "usecase.yaml: its data.train (and data.valid), labels and llm section")
    .option(
      "--base <model>",
      "base model to fine-tune, e.g. gpt-4o-mini-2024-07-18, or openai:<model>@<baseUrl>",
    )
    .option(
      "--base-url <url>",
      "the service: https://api.openai.com/v1 (default, or the use case's llm.baseUrl) or an Azure OpenAI resource, e.g. https://<name>.openai.azure.com",
    )
    .option(
      "--api-key-env <name>",
      "environment variable with the API key (default: the use case's llm.apiKeyEnv, else OPENAI_API_KEY)",
    )
    .option(
      "--suffix <text>",
      "added to the fine-tuned model's name, up to 64 characters (default: the use case's id)",
    )
    .option(
      "--epochs <n>",
      "training epochs (default: the service chooses)",
      parseIntegerOption("--epochs", 1),
    )
    .option("--seed <n>", "the job's seed (default: the service's)", parseIntegerOption("--seed"))
    .option("--resume", "only resume following a job an earlier run started; fail when there is none")
    .option(
      "--cancel <job id>",
      "cancel a fine-tuning job (and record it in the use case's state when it is its job)",
    )
    .option("--list", "list the account's fine-tuning jobs, newest first")
    .option(
      "--price-per-1m-trained-tokens <usd>",
      "US dollars per 1M trained tokens for the cost record (default 3.00, assumed: OpenAI's list price for gpt-4o-mini; Azure and other base models differ)",
      parseNumberOption("--price-per-1m-trained-tokens"),
    )
    .option(
      "--poll-interval <seconds>",
      "first wait between polls of the job, growing to 60 s while nothing changes (default 5)",
      parseNumberOption("--poll-interval"),
      5,
    )
    .option("--json <file>", 'write the report as JSON to <file>; "-" prints only the JSON to stdout')
    .action(runFineTuneCommand);
}

async function runFineTuneCommand(flags: FineTuneFlags): Promise<void> {
  const useCase = flags.usecase === undefined ? undefined : await loadUseCase(flags.usecase);
  const environment = readEnvironment();
  const apiKey = environment.get(flags.apiKeyEnv ?? useCase?.spec.llm?.apiKeyEnv ?? "OPENAI_API_KEY");
  const endpoint =
    flags.base === undefined
      ? { baseUrl: flags.baseUrl ?? useCase?.spec.llm?.baseUrl ?? "https://api.openai.com/v1" }
      : resolveFineTuneEndpoint(flags.base, flags.baseUrl, useCase);
  const api = apiFor(endpoint.baseUrl, apiKey === undefined ? {} : { apiKey });
  if (flags.list === true) {
    await listJobs(api, useCase);
    return;
  }
  if (flags.cancel !== undefined) {
    const job = await cancelFineTune({
      jobId: flags.cancel,
      api,
      ...(useCase === undefined ? {} : { useCase }),
      ...(flags.pricePer1mTrainedTokens === undefined
        ? {}
        : { pricePer1mTrainedTokensUsd: flags.pricePer1mTrainedTokens }),
    });
    process.stdout.write(`fine-tuning job ${job.id} of ${job.model}: ${job.status}\n`);
    return;
  }
  if (useCase === undefined || flags.base === undefined) {
    throw new SlmkitError(
      "INVALID_OPTION",
      "finetune needs --usecase <yaml> and --base <model> (or --list, or --cancel <job id>).",
      { field: useCase === undefined ? "usecase" : "base" },
    );
  }
  const result = await followWithInterrupt(flags, useCase, api);
  if (flags.json === "-") {
    await writeJsonOutput("-", result.report);
    return;
  }
  process.stdout.write(`${formatResult(result, flags.usecase ?? "").join("\n")}\n`);
  if (flags.json !== undefined) await writeJsonOutput(flags.json, result.report);
}

/** Runs the fine-tuning with progress on stderr; Ctrl-C stops following (the job keeps running) and says how to resume. */
async function followWithInterrupt(
  flags: FineTuneFlags,
  useCase: LoadedUseCase,
  api: OpenAiJobsApi,
): Promise<FineTuneResult> {
  const controller = new AbortController();
  let jobId: string | undefined;
  const onInterrupt = () =>
    controller.abort(
      new SlmkitError(
        "INVALID_INPUT",
        jobId === undefined
          ? "interrupted before a job was started; run the same command again (uploaded files are reused)."
          : `stopped following fine-tuning job ${jobId}; it keeps running on the service. Run the same command again to resume following it, or --cancel ${jobId} to stop it.`,
      ),
    );
  process.once("SIGINT", onInterrupt);
  const progress = createProgress();
  const report = createEventPrinter(progress);
  try {
    return await runFineTune({
      useCase,
      base: flags.base as string,
      ...(flags.baseUrl === undefined ? {} : { baseUrl: flags.baseUrl }),
      api,
      ...(flags.suffix === undefined ? {} : { suffix: flags.suffix }),
      ...(flags.epochs === undefined ? {} : { epochs: flags.epochs }),
      ...(flags.seed === undefined ? {} : { seed: flags.seed }),
      ...(flags.pricePer1mTrainedTokens === undefined
        ? {}
        : { pricePer1mTrainedTokensUsd: flags.pricePer1mTrainedTokens }),
      resumeOnly: flags.resume === true,
      pollIntervalMs: Math.max(1, Math.round(flags.pollInterval * 1000)),
      maxPollIntervalMs: Math.max(60_000, Math.round(flags.pollInterval * 1000)),
      signal: controller.signal,
      onEvent: (event) => {
        if (event.kind === "job") jobId = event.jobId;
        report(event);
      },
    });
  } finally {
    progress.done();
    process.off("SIGINT", onInterrupt);
  }
}

/**
 * Prints a run's events on stderr: stages and status changes as lines; the job's log as timestamped lines, its
 * training steps on one rewritten progress line on a terminal (every step a line in a pipe, as the log has it).
 */
function createEventPrinter(progress: ReturnType<typeof createProgress>): (event: FineTuneEvent) => void {
  const line = (text: string) => {
    progress.done();
    process.stderr.write(`${text}\n`);
  };
  const terminal = process.stderr.isTTY === true;
  return (event) => {
    switch (event.kind) {
      case "exported":
        line(
          `exported ${formatCount(event.train)} training and ${formatCount(event.valid)} validation examples (${event.dropped} dropped)`,
        );
        for (const warning of event.warnings) line(`  warning: ${warning}`);
        return;
      case "uploaded":
        line(
          event.reused
            ? `reusing the uploaded ${event.which === "train" ? "training" : "validation"} file ${event.fileId} (same data)`
            : `uploaded the ${event.which === "train" ? "training" : "validation"} file as ${event.fileId}`,
        );
        return;
      case "job":
        line(
          event.how === "created"
            ? `started fine-tuning job ${event.jobId}`
            : event.how === "found"
              ? `following fine-tuning job ${event.jobId}, started by an interrupted run`
              : `resuming fine-tuning job ${event.jobId}`,
        );
        return;
      case "status":
        line(`${event.job.id}: ${event.status}${estimate(event.job)}`);
        return;
      case "log":
        if (event.event.type === "metrics" && terminal) progress.update(logLine(event.event));
        else line(logLine(event.event));
        return;
      case "retry":
        line(`  a poll failed (${event.message}); trying again in ${formatSeconds(event.delayMs / 1000)}`);
        return;
    }
  };
}

function logLine(event: FineTuningEventInfo): string {
  const time = new Date(event.createdAt * 1000).toISOString().slice(11, 19);
  return `  [${time}]${event.level === "info" ? "" : ` ${event.level}:`} ${event.message}`;
}

function estimate(job: FineTuningJobInfo): string {
  if (job.estimatedFinish === null || job.status !== "running") return "";
  return ` (estimated to finish at ${new Date(job.estimatedFinish * 1000).toISOString()})`;
}

function formatResult(result: FineTuneResult, useCasePath: string): string[] {
  const report = result.report;
  const cost = report.cost;
  return [
    `${result.alreadyDone ? "already fine-tuned" : "fine-tuned"} ${report.base} into ${report.fineTunedModel ?? ""}`,
    `  reference   ${result.reference}`,
    `  job         ${report.jobId} ${report.status}${report.seconds === null ? "" : ` in ${formatSeconds(report.seconds)}`}, ${report.files.train?.examples ?? 0} training examples${report.hyperparameters.nEpochs === null ? "" : `, ${report.hyperparameters.nEpochs} epochs`}`,
    `  cost        ${formatCount(cost.trainedTokens)} trained tokens × $${cost.pricePer1mTrainedTokensUsd.toFixed(2)}/1M (${cost.priceSource === "assumed" ? "assumed; --price-per-1m-trained-tokens" : "configured"}) = $${cost.trainingCostUsd.toFixed(2)}`,
    ...report.notes.map((note) => `  note: ${note}`),
    `  measure it  slmkit baseline --usecase ${useCasePath} --models ${result.reference}`,
    `wrote ${result.paths.report}`,
  ];
}

/** The account's jobs as a table; the use case's own job is marked with "*". */
async function listJobs(api: OpenAiJobsApi, useCase: LoadedUseCase | undefined): Promise<void> {
  const state =
    useCase === undefined
      ? undefined
      : await readFineTuneState(join(fineTuneFolder(useCase.dir), fineTuneStateFileName));
  const jobs = await listFineTuneJobs(api);
  if (jobs.length === 0) {
    process.stdout.write("no fine-tuning jobs\n");
    return;
  }
  const rows = jobs.map((job) => [
    `${job.id === state?.jobId ? "*" : " "} ${job.id}`,
    job.model,
    job.status,
    new Date(job.createdAt * 1000).toISOString().slice(0, 16).replace("T", " "),
    job.fineTunedModel ?? (job.error === null ? "" : `error: ${job.error.message}`),
  ]);
  const header = ["  job", "base", "status", "created (UTC)", "fine-tuned model"];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)),
  );
  const format = (cells: readonly string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join("  ")
      .trimEnd();
  process.stdout.write(`${[header, ...rows].map(format).join("\n")}\n`);
}
