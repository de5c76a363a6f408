// `slmkit distill`: a teacher model labels unlabelled texts (cached, resumable); a native student learns them.

import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import type { Command } from "commander";
import { readEnvironment } from "../config.js";
import { readClassificationData } from "../data/io.js";
import { SlmkitError } from "../errors.js";
import { asLabelModel, loadModel } from "../models/load.js";
import { createOpenAiJobsApi, type OpenAiJobsApi } from "../models/openai/jobs-api.js";
import {
  createOpenAiLabeler,
  type LabelDefinition,
  type OpenAiLabeler,
} from "../models/openai/openai-labeler.js";
import { parseOpenAiReference } from "../models/openai/reference.js";
import type { LabelModel } from "../models/task-model.js";
import { loadUseCase } from "../spec/load.js";
import {
  type BatchEvent,
  cancelPendingBatches,
  createBatchLabeller,
  defaultBatchPriceFactor,
} from "../train/distill/batch-labelling.js";
import {
  type DistillOptions,
  type DistillResult,
  distill,
  type Teacher,
  teacherFromLabeler,
  teacherFromModel,
} from "../train/distill.js";
import { parseIntegerOption, parseNumberOption } from "./options.js";
import { createProgress } from "./output.js";

interface DistillFlags {
  teacher: string;
  unlabeled: string;
  out: string;
  usecase?: string;
  test?: string;
  labels?: string;
  apiKeyEnv?: string;
  minConfidence: number;
  selfConsistency: number;
  concurrency: number;
  hardLabels?: boolean;
  distillationTemperature?: number;
  hardLabelWeight?: number;
  augment: number;
  epochs?: number;
  learningRate?: number;
  seed: number;
  targetAccuracy?: number;
  textField?: string;
  batch?: boolean;
  batchCancel?: boolean;
  batchPriceFactor?: number;
  batchMaxRequests?: number;
  batchRetries: number;
  pollInterval: number;
}

export function registerDistillCommand(program: Command): void {
  const command = program
    .command("distill")
    .description(
      "Label unlabelled texts with a teacher model (answers cached in <out>/.teacher-cache.jsonl, so an interrupted run resumes), train a native student on them; writes <out>/teacher-labels.jsonl, <out>/model/ and <out>/report.json. With --batch an openai: teacher answers through the OpenAI Batch API (half the price, within 24 h; batches kept in <out>/.teacher-batches.json, so a rerun resumes them).",
    );
  addBatchOptions(addDistillOptions(command)).action(runDistill);
}

/** The flags of `slmkit distill`, with their help and defaults. */
function addDistillOptions(command: Command): Command {
  return command
    .requiredOption(
      "--teacher <reference>",
      "teacher: model directory, gguf:<file> or openai:<model>@<baseUrl>",
    )
    .requiredOption(
      "--unlabeled <file>",
      'JSONL of {"text"} lines ({"text","label"} works too: the label is ignored)',
    )
    .requiredOption("--out <dir>", "output folder")
    .option(
      "--usecase <yaml>",
      "usecase.yaml: labels for an LLM teacher, its prices, API key variable and target accuracy",
    )
    .option(
      "--test <file>",
      "gold-labelled test data: adds studentAccuracy and teacherAccuracy to the report",
    )
    .option("--labels <names>", "comma-separated label set for an openai: teacher when there is no --usecase")
    .option(
      "--api-key-env <name>",
      "environment variable with an openai: teacher's API key (default OPENAI_API_KEY)",
    )
    .option(
      "--min-confidence <x>",
      "train only on teacher labels with at least this confidence (default 0: all)",
      parseNumberOption("--min-confidence"),
      0,
    )
    .option(
      "--self-consistency <k>",
      "ask the teacher k times per text and keep the majority (confidence = agreement); pointless for deterministic teachers, which are asked once",
      parseIntegerOption("--self-consistency", 1),
      1,
    )
    .option(
      "--concurrency <n>",
      "teacher calls in flight at once (default 4)",
      parseIntegerOption("--concurrency", 1),
      4,
    )
    .option("--hard-labels", "train on the teacher's top label only, even when it gives probabilities")
    .option(
      "--distillation-temperature <t>",
      "soften the teacher's probabilities to p^(1/t) before the student learns them; 1 keeps them as given (default 3)",
      parseNumberOption("--distillation-temperature"),
    )
    .option(
      "--hard-label-weight <w>",
      "share of each soft target put on the teacher's top label, the rest on its softened probabilities (default 0.1)",
      parseNumberOption("--hard-label-weight"),
    )
    .option(
      "--augment <n>",
      "the teacher also labels n perturbed copies of each training text (word dropout, word swap): up to n extra teacher calls per text (default 0)",
      parseIntegerOption("--augment", 0),
      0,
    )
    .option(
      "--epochs <n>",
      "student training epochs at most (default 30 with soft labels, 15 with hard labels)",
      parseIntegerOption("--epochs", 1),
    )
    .option(
      "--learning-rate <x>",
      "student's initial SGD step (default 2 with soft labels, 0.5 with hard labels)",
      parseNumberOption("--learning-rate"),
    )
    .option(
      "--seed <n>",
      "seed for the held-out split and the student (default 42)",
      parseIntegerOption("--seed"),
      42,
    )
    .option(
      "--target-accuracy <x>",
      "accepted accuracy the student's threshold is chosen for (default: the use case's, else 0.97)",
      parseNumberOption("--target-accuracy"),
    )
    .option("--text-field <name>", 'JSONL key holding the text (default: "text")');
}

/** The flags of `distill --batch`. */
function addBatchOptions(command: Command): Command {
  return command
    .option(
      "--batch",
      "an openai: teacher answers through the OpenAI Batch API: half the price, results within 24 h; for large sets (the interactive path stays the default for small ones)",
    )
    .option("--batch-cancel", "cancel the Batch API batches still pending for --out, then stop")
    .option(
      "--batch-price-factor <x>",
      `batch price as a share of the interactive price (default ${defaultBatchPriceFactor}, assumed: the Batch API's 50% discount)`,
      parseNumberOption("--batch-price-factor"),
    )
    .option(
      "--batch-max-requests <n>",
      "requests per batch at most (default 50,000, the API's limit; batches are also split at 200 MB)",
      parseIntegerOption("--batch-max-requests", 1),
    )
    .option(
      "--batch-retries <n>",
      "resubmissions, within the run, of requests that failed for a passing reason (429, 5xx, expired) (default 1)",
      parseIntegerOption("--batch-retries", 0),
      1,
    )
    .option(
      "--poll-interval <seconds>",
      "--batch: first wait between polls of the batches, growing to 5 min while nothing changes (default 10)",
      parseNumberOption("--poll-interval"),
      10,
    );
}

/** Reads the inputs, resolves the teacher, distills (Ctrl-C stops it, resumable) and prints the summary. */
async function runDistill(flags: DistillFlags): Promise<void> {
  const useCase = flags.usecase === undefined ? undefined : await loadUseCase(flags.usecase);
  if (flags.batchCancel === true) {
    await cancelBatches(flags, useCase?.spec.llm?.apiKeyEnv);
    return;
  }
  const texts = await readUnlabeledTexts(flags.unlabeled, flags.textField ?? "text");
  const test = flags.test === undefined ? undefined : await readClassificationData(flags.test);
  const labels: LabelDefinition[] | undefined =
    useCase?.spec.labels ?? flags.labels?.split(",").map((name) => ({ name: name.trim() }));
  const { teacher, model, labeler } = await resolveTeacher(flags, labels, useCase?.spec.llm);
  const bulk = flags.batch === true ? batchLabeller(flags, labeler, useCase?.spec.llm?.apiKeyEnv) : undefined;
  const controller = new AbortController();
  // Ctrl-C stops asking the teacher; answers so far are already cached, so the next run resumes.
  const onInterrupt = () =>
    controller.abort(
      new SlmkitError(
        "INVALID_INPUT",
        "interrupted; run the same command again to resume (answers so far are cached).",
      ),
    );
  process.once("SIGINT", onInterrupt);
  const progress = createProgress();
  try {
    const result = await distill({
      ...distillOptionsFrom(flags, useCase?.spec.routing.targetAccuracy),
      teacher,
      texts,
      ...(test === undefined ? {} : { test }),
      ...(bulk === undefined ? {} : { bulk }),
      signal: controller.signal,
      onProgress: ({ stage, done, total, cached, calls, costUsd }) =>
        progress.update(
          `teacher: ${done}/${total} ${stage === "augmented" ? "perturbed copies" : "texts"} (${cached} from cache, ${calls} calls${costUsd > 0 ? `, $${costUsd.toFixed(4)}` : ""})`,
        ),
    });
    progress.done();
    process.stdout.write(`${formatDistillSummary(result).join("\n")}\n`);
  } finally {
    progress.done();
    process.off("SIGINT", onInterrupt);
    await model?.dispose();
  }
}

/** The flags as distill options (the teacher, texts and test data aside); the use case's target when no flag. */
function distillOptionsFrom(
  flags: DistillFlags,
  useCaseTargetAccuracy: number | undefined,
): Omit<DistillOptions, "teacher" | "texts"> {
  return {
    out: flags.out,
    minConfidence: flags.minConfidence,
    selfConsistency: flags.selfConsistency,
    concurrency: flags.concurrency,
    softLabels: flags.hardLabels !== true,
    ...(flags.distillationTemperature === undefined
      ? {}
      : { distillationTemperature: flags.distillationTemperature }),
    ...(flags.hardLabelWeight === undefined ? {} : { hardLabelWeight: flags.hardLabelWeight }),
    augment: flags.augment,
    ...(flags.epochs === undefined && flags.learningRate === undefined
      ? {}
      : {
          hyperparameters: {
            ...(flags.epochs === undefined ? {} : { epochs: flags.epochs }),
            ...(flags.learningRate === undefined ? {} : { learningRate: flags.learningRate }),
          },
        }),
    seed: flags.seed,
    ...(flags.targetAccuracy !== undefined
      ? { targetAccuracy: flags.targetAccuracy }
      : useCaseTargetAccuracy === undefined
        ? {}
        : { targetAccuracy: useCaseTargetAccuracy }),
  };
}

/** What the run did, one line a figure. */
function formatDistillSummary(result: DistillResult): string[] {
  const report = result.report;
  return [
    `Distilled ${report.teacher} into ${result.paths.model}`,
    `  teacher labels   ${report.labelled} of ${report.texts} texts (${report.unsure} unsure, ${report.belowMinConfidence} below --min-confidence) → ${result.paths.teacherLabels}`,
    `  student          trained on ${report.trainTexts} texts${report.augmentedTexts > 0 ? ` (${report.augmentedTexts} perturbed copies)` : ""}, ${report.softLabels ? `soft labels at temperature ${report.distillationTemperature}` : "hard labels"}, validated on ${report.validTexts}`,
    `  agreement        ${percent(report.agreement)} with the teacher on ${report.heldOut} held-out texts`,
    ...(report.studentAccuracy === undefined
      ? []
      : [
          `  test accuracy    student ${percent(report.studentAccuracy)}, teacher ${percent(report.teacherAccuracy ?? 0)} (${report.testSize} texts)`,
        ]),
    `  teacher calls    ${report.teacherCalls}${report.augmentTeacherCalls > 0 ? `, ${report.augmentTeacherCalls} of them for perturbed copies` : ""} (${report.teacherCachedAnswers} answers from cache), $${report.teacherCostUsd.toFixed(4)}`,
    ...(report.teacherBatch === undefined
      ? []
      : [
          `  batch API        ${report.teacherBatch.requests} requests in ${report.teacherBatch.batches} batches: ${report.teacherBatch.answered} labelled, ${report.teacherBatch.unsure} unsure, ${report.teacherBatch.failed} without an answer; $${report.teacherBatch.costUsd.toFixed(4)} at ${report.teacherBatch.priceFactor}× the interactive price`,
        ]),
    ...report.notes.map((note) => `  note: ${note}`),
    `wrote ${result.paths.report}`,
  ];
}

/**
 * An `openai:` teacher goes through the labeler itself (exact tokens and cost per call, prices from the use
 * case when its `llm.model` is the same); any other reference is loaded as a model.
 */
async function resolveTeacher(
  flags: DistillFlags,
  labels: LabelDefinition[] | undefined,
  llm:
    | {
        model: string;
        apiKeyEnv: string;
        pricePer1kInputUsd?: number | undefined;
        pricePer1kOutputUsd?: number | undefined;
        timeoutMs: number;
      }
    | undefined,
): Promise<{ teacher: Teacher; model?: LabelModel; labeler?: OpenAiLabeler }> {
  if (!flags.teacher.startsWith("openai:")) {
    const loaded = await loadModel(flags.teacher, labels === undefined ? {} : { labels });
    let model: LabelModel;
    try {
      model = asLabelModel(loaded, "a distillation teacher");
    } catch (error) {
      await loaded.dispose();
      throw error;
    }
    return { teacher: teacherFromModel(model), model };
  }
  const parsed = parseOpenAiReference(flags.teacher);
  if (labels === undefined) {
    throw new SlmkitError(
      "INVALID_OPTION",
      `teacher "${flags.teacher}": an OpenAI-compatible teacher needs the label set to choose from; pass --usecase <yaml> (its \`labels\`) or --labels a,b,c.`,
      { field: "labels" },
    );
  }
  const same = llm !== undefined && llm.model === parsed.model;
  const labeler = createOpenAiLabeler({
    baseUrl: parsed.baseUrl,
    model: parsed.model,
    apiKey: readEnvironment().get(flags.apiKeyEnv ?? llm?.apiKeyEnv ?? "OPENAI_API_KEY"),
    labels,
    pricePer1kInputUsd: same ? llm?.pricePer1kInputUsd : undefined,
    pricePer1kOutputUsd: same ? llm?.pricePer1kOutputUsd : undefined,
    ...(same && llm !== undefined ? { timeoutMs: llm.timeoutMs } : {}),
  });
  return { teacher: teacherFromLabeler(labeler), labeler };
}

/** The API key variable of an openai: teacher: the flag's, the use case's, else OPENAI_API_KEY. */
function apiKeyOf(flags: DistillFlags, useCaseKeyEnv: string | undefined): string | undefined {
  return readEnvironment().get(flags.apiKeyEnv ?? useCaseKeyEnv ?? "OPENAI_API_KEY");
}

function jobsApiOf(flags: DistillFlags, useCaseKeyEnv: string | undefined): OpenAiJobsApi {
  const apiKey = apiKeyOf(flags, useCaseKeyEnv);
  return createOpenAiJobsApi({
    baseUrl: parseOpenAiReference(flags.teacher).baseUrl,
    ...(apiKey === undefined ? {} : { apiKey }),
  });
}

/** The Batch API labeller of `--batch`, its progress on stderr; only an openai: teacher has one. */
function batchLabeller(
  flags: DistillFlags,
  labeler: OpenAiLabeler | undefined,
  useCaseKeyEnv: string | undefined,
) {
  if (labeler === undefined) {
    throw new SlmkitError(
      "INVALID_OPTION",
      `--batch sends the teacher's requests through the OpenAI Batch API, so the teacher must be openai:<model>@<baseUrl>, not ${flags.teacher}.`,
      { field: "batch" },
    );
  }
  if (flags.batchPriceFactor !== undefined && !(flags.batchPriceFactor >= 0 && flags.batchPriceFactor <= 1)) {
    throw new SlmkitError(
      "INVALID_OPTION",
      `--batch-price-factor is a share of the interactive price in [0, 1], got ${flags.batchPriceFactor}.`,
      { field: "batch-price-factor" },
    );
  }
  const pollIntervalMs = Math.max(1, Math.round(flags.pollInterval * 1000));
  return createBatchLabeller({
    labeler,
    api: jobsApiOf(flags, useCaseKeyEnv),
    out: flags.out,
    ...(flags.batchMaxRequests === undefined ? {} : { maxRequestsPerBatch: flags.batchMaxRequests }),
    ...(flags.batchPriceFactor === undefined ? {} : { priceFactor: flags.batchPriceFactor }),
    retryRounds: flags.batchRetries,
    pollIntervalMs,
    maxPollIntervalMs: Math.max(pollIntervalMs, 300_000),
    onEvent: (event) => process.stderr.write(`${batchEventLine(event)}\n`),
  });
}

function batchEventLine(event: BatchEvent): string {
  switch (event.kind) {
    case "probe":
      return `teacher: one interactive call first (it settles the request's parameters): ${event.label ?? "unsure"}`;
    case "resumed":
      return `batch: resuming ${event.batches} batch${event.batches === 1 ? "" : "es"} an earlier run sent`;
    case "submitted":
      return `batch: ${event.batchId} sent (${event.requests} requests, ${(event.bytes / 1e6).toFixed(1)} MB${event.round > 0 ? `, resubmission ${event.round}` : ""})`;
    case "status":
      return `batch: ${event.batchId} ${event.status}, ${event.completed + event.failed}/${event.total} done${event.failed > 0 ? ` (${event.failed} failed)` : ""}`;
    case "collected":
      return `batch: ${event.batchId} collected: ${event.answered} labelled, ${event.unsure} unsure, ${event.failed} refused${event.retrying > 0 ? `, ${event.retrying} to send again` : ""}`;
    case "retry":
      return `batch: a poll failed (${event.message}); trying again in ${(event.delayMs / 1000).toFixed(1)} s`;
  }
}

/** `--batch-cancel`: cancels the pending batches of --out and says which. */
async function cancelBatches(flags: DistillFlags, useCaseKeyEnv: string | undefined): Promise<void> {
  if (!flags.teacher.startsWith("openai:")) {
    throw new SlmkitError(
      "INVALID_OPTION",
      "--batch-cancel needs the openai: teacher whose batches to cancel.",
      {
        field: "teacher",
      },
    );
  }
  const cancelled = await cancelPendingBatches(flags.out, jobsApiOf(flags, useCaseKeyEnv));
  process.stdout.write(
    cancelled.length === 0
      ? `no pending batch in ${flags.out}\n`
      : `${cancelled.map((batch) => `cancelling ${batch.id} (${batch.status})`).join("\n")}\nthe next distill --batch run collects what they answered and sends the rest again\n`,
  );
}

/**
 * Texts of a JSONL file of `{"text"}` (any other field, such as a label, is ignored); blank lines skipped. Read
 * line by line as it streams, so a file of hundreds of thousands of texts is never held twice.
 */
export async function readUnlabeledTexts(path: string, textField = "text"): Promise<string[]> {
  const texts: string[] = [];
  let lineNumber = 0;
  try {
    const lines = createInterface({
      input: createReadStream(path, { encoding: "utf8" }),
      crlfDelay: Number.POSITIVE_INFINITY,
    });
    for await (const raw of lines) {
      lineNumber++;
      const line = lineNumber === 1 ? raw.replace(/^\uFEFF/, "") : raw;
      if (line.trim() !== "") texts.push(textOfLine(line, textField, path, lineNumber));
    }
  } catch (error) {
    if (SlmkitError.isInstance(error)) throw error;
    throw new SlmkitError("IO_ERROR", `cannot read the unlabelled file: ${(error as Error).message}`, {
      file: path,
      cause: error,
    });
  }
  if (texts.length === 0)
    throw new SlmkitError("EMPTY_DATA", "the unlabelled file holds no texts.", { file: path });
  return texts;
}

function textOfLine(line: string, textField: string, path: string, lineNumber: number): string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new SlmkitError(
      "INVALID_DATA",
      `line is not JSON; each line must be an object like {"text": "…"}.`,
      {
        file: path,
        line: lineNumber,
      },
    );
  }
  const text =
    typeof value === "object" && value !== null ? (value as Record<string, unknown>)[textField] : undefined;
  if (typeof text !== "string" || text.trim() === "") {
    throw new SlmkitError("INVALID_DATA", `no non-empty "${textField}" string on this line.`, {
      file: path,
      line: lineNumber,
    });
  }
  return text;
}

function percent(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}
