// `slmkit baseline`: every configured model on one test set: accuracy, coverage, latency and cost per 1K requests.

import { type Command, InvalidArgumentError } from "commander";
import { readEnvironment } from "../config.js";
import { readClassificationData, readSpanData } from "../data/io.js";
import { SlmkitError } from "../errors.js";
import {
  type BaselineCandidate,
  type BaselineReport,
  formatBaselineTable,
  renderBaselineHtml,
  runBaseline,
  runExtractBaseline,
} from "../eval/baseline.js";
import type { ValueField } from "../eval/evaluate-extract-values.js";
import { writeFileAtomic } from "../internal/fs.js";
import { type LoadModelOptions, loadModel, taskOptionsFromUseCase } from "../models/load.js";
import type { LabelDefinition } from "../models/openai/openai-labeler.js";
import { formatOpenAiReference, parseOpenAiReference } from "../models/openai/reference.js";
import { type LoadedUseCase, loadUseCase } from "../spec/load.js";
import { parseIntegerOption, parseNumberOption } from "./options.js";
import { createProgress, writeJsonOutput } from "./output.js";

interface BaselineFlags {
  usecase?: string;
  test?: string;
  models?: string[];
  labels?: string[];
  apiKeyEnv?: string;
  concurrency: number;
  latencySamples?: number;
  machineUsdPerHour?: number;
  json?: string;
  html?: string;
  textField?: string;
  labelField?: string;
}

export function registerBaselineCommand(program: Command): void {
  program
    .command("baseline")
    .description(
      "Measure every configured model (the use case's native model and LLM, plus --models) on one test set: accuracy (extract: field-value precision/recall/F1 and record accuracy), coverage, p50/p95 latency, cost per 1K requests (local models: machine time over measured throughput), and for choosing a base model its parameters, file size, memory after load, context length and licence.",
    )
    .option(
      "--usecase <yaml>",
      "usecase.yaml: its `model`, its `llm` endpoint (with prices), labels and test file",
    )
    .option(
      "--test <file>",
      "labelled test data, JSONL or CSV; span JSONL for extract use cases (default: the use case's data.test)",
    )
    .option(
      "--models <references>",
      "more models, comma-separated: model directories, gguf:<file>, openai:<model>@<baseUrl>",
      parseList,
    )
    .option(
      "--labels <names>",
      "comma-separated label set for openai: models when there is no --usecase",
      parseList,
    )
    .option(
      "--api-key-env <name>",
      "environment variable with the API key of openai: models (default: the use case's llm.apiKeyEnv, else OPENAI_API_KEY)",
    )
    .option(
      "--concurrency <n>",
      "endpoint requests in flight at once (default 4)",
      parseIntegerOption("--concurrency", 1),
      4,
    )
    .option(
      "--latency-samples <n>",
      "texts timed one per call per model (default 200 local, 30 for endpoints)",
      parseIntegerOption("--latency-samples", 1),
    )
    .option(
      "--machine-usd-per-hour <x>",
      "price of the machine local models run on, in US dollars an hour: their cost per 1K requests is its time over their measured throughput (default 0.10, assumed: a small 2-vCPU cloud VM, as `slmkit tco` assumes)",
      parseNumberOption("--machine-usd-per-hour"),
    )
    .option("--json <file>", 'write the report as JSON to <file>; "-" prints only the JSON to stdout')
    .option("--html <file>", "write an HTML table to <file>", parseHtmlTarget)
    .option("--text-field <name>", 'field (or CSV column) holding the text (default: "text")')
    .option("--label-field <name>", 'field (or CSV column) holding the label (default: "label")')
    .action(async (flags: BaselineFlags) => {
      const useCase = flags.usecase === undefined ? undefined : await loadUseCase(flags.usecase);
      const testPath = flags.test ?? useCase?.paths.test;
      if (testPath === undefined) {
        throw new SlmkitError(
          "INVALID_OPTION",
          "baseline needs a labelled test file: pass --test <file> (or a --usecase with data.test).",
          {
            field: "test",
          },
        );
      }
      const extract = useCase?.spec.task === "extract";
      const candidates = baselineCandidates(flags, useCase);
      if (candidates.length === 0) {
        throw new SlmkitError(
          "INVALID_OPTION",
          "no model to measure: give --usecase with a `model` or an `llm` section, or --models <ref,ref…>.",
          { field: "models" },
        );
      }
      const jsonToStdout = flags.json === "-";
      const notes = jsonToStdout ? process.stderr : process.stdout;
      const progress = createProgress();
      const runOptions = {
        ...(flags.machineUsdPerHour === undefined ? {} : { machineUsdPerHour: flags.machineUsdPerHour }),
        ...(flags.latencySamples === undefined
          ? {}
          : { latencySamples: flags.latencySamples, endpointLatencySamples: flags.latencySamples }),
        onProgress: ({
          reference,
          index,
          models,
          done,
          total,
        }: {
          reference: string;
          index: number;
          models: number;
          done: number;
          total: number;
        }) => progress.update(`[${index + 1}/${models}] ${reference}: ${done}/${total} texts`),
      };
      let report: BaselineReport;
      if (useCase !== undefined && extract) {
        // Span data: the text field is the only one to rename; the spans are the gold values.
        const examples = await readSpanData(
          testPath,
          flags.textField === undefined ? {} : { textField: flags.textField },
        );
        report = await runExtractBaseline(candidates, extractFields(useCase), examples, runOptions);
      } else {
        const readOptions: { textField?: string; labelField?: string } = {};
        if (flags.textField !== undefined) readOptions.textField = flags.textField;
        if (flags.labelField !== undefined) readOptions.labelField = flags.labelField;
        const examples = await readClassificationData(testPath, readOptions);
        report = await runBaseline(candidates, examples, runOptions);
      }
      progress.done();
      if (!jsonToStdout) process.stdout.write(formatBaselineTable(report));
      if (flags.json !== undefined) {
        await writeJsonOutput(flags.json, report);
        if (!jsonToStdout) notes.write(`wrote ${flags.json}\n`);
      }
      if (flags.html !== undefined) {
        await writeFileAtomic(flags.html, renderBaselineHtml(report));
        notes.write(`wrote ${flags.html}\n`);
      }
      // Every row was attempted; a model that could not be measured still makes the run a failure.
      if (report.rows.some((row) => row.error !== undefined)) process.exitCode = 1;
    });
}

/**
 * The use case's native model, its prebuilt GGUF file and its LLM, then every --models reference, each once:
 * every one loaded by `loadModel` for the use case's task (labels, fields or FAQ from the use case; labels from
 * --labels without one), so a row never depends on where its model comes from.
 */
export function baselineCandidates(
  flags: BaselineFlags,
  useCase: LoadedUseCase | undefined,
): BaselineCandidate[] {
  const flagLabels: LabelDefinition[] | undefined = flags.labels?.map((name) => ({ name }));
  const llm = useCase?.spec.llm;
  const environment = readEnvironment();
  const apiKeyEnv = flags.apiKeyEnv ?? llm?.apiKeyEnv ?? "OPENAI_API_KEY";
  const candidates: BaselineCandidate[] = [];
  const seen = new Set<string>();
  const taskOptions = async (): Promise<LoadModelOptions> =>
    useCase === undefined
      ? flagLabels === undefined
        ? {}
        : { labels: flagLabels }
      : await taskOptionsFromUseCase(useCase);
  const add = (reference: string, source: string, license?: string) => {
    if (seen.has(reference)) return;
    seen.add(reference);
    if (reference.startsWith("openai:")) {
      const parsed = parseOpenAiReference(reference);
      const own = llm !== undefined && parsed.model === llm.model;
      // The use case's prices belong to its own LLM; another endpoint model is left unpriced rather than guessed.
      const priced = own && llm?.pricePer1kInputUsd !== undefined && llm.pricePer1kOutputUsd !== undefined;
      const load = async () =>
        loadModel(reference, {
          apiKeyEnv,
          environment,
          concurrency: flags.concurrency,
          ...(priced && llm?.pricePer1kInputUsd !== undefined
            ? { pricePer1kInputUsd: llm.pricePer1kInputUsd }
            : {}),
          ...(priced && llm?.pricePer1kOutputUsd !== undefined
            ? { pricePer1kOutputUsd: llm.pricePer1kOutputUsd }
            : {}),
          ...(own && llm !== undefined ? { timeoutMs: llm.timeoutMs } : {}),
          ...(await taskOptions()),
        });
      // The use case's licence belongs to its own LLM, as its prices do.
      const configured = license ?? (own ? llm?.license : undefined);
      candidates.push({
        reference,
        source,
        load,
        priced,
        local: false,
        ...(configured === undefined ? {} : { license: configured }),
      });
      return;
    }
    const load = async () =>
      loadModel(reference, { ...(await taskOptions()), ...(await ggufSettings(reference, useCase)) });
    // A native model directory is the user's own model, trained on their data.
    const configured = license ?? (reference.startsWith("gguf:") ? undefined : "own");
    candidates.push({
      reference,
      source,
      load,
      priced: true,
      local: true,
      ...(configured === undefined ? {} : { license: configured }),
    });
  };
  if (useCase?.paths.model !== undefined) add(useCase.paths.model, "usecase model");
  if (useCase?.paths.prebuilt !== undefined)
    add(`gguf:${useCase.paths.prebuilt.gguf}`, "usecase prebuilt", useCase.spec.prebuilt?.license);
  if (llm !== undefined) add(formatOpenAiReference(llm.model, llm.baseUrl), "usecase llm");
  for (const reference of flags.models ?? []) add(reference, "--models");
  return candidates;
}

/** The fields of an extract use case (`schema.fields`), as the value scorer reads them. */
function extractFields(useCase: LoadedUseCase): ValueField[] {
  return (useCase.spec.schema?.fields ?? []).map((field) => ({
    name: field.name,
    type: field.type,
    required: field.required,
  }));
}

/** The use case's `prebuilt` settings for its own GGUF file: adapters, chat template, threads, few-shot examples. */
async function ggufSettings(
  reference: string,
  useCase: LoadedUseCase | undefined,
): Promise<Pick<LoadModelOptions, "gguf">> {
  const prebuilt = useCase?.spec.prebuilt;
  const paths = useCase?.paths.prebuilt;
  if (
    useCase === undefined ||
    prebuilt === undefined ||
    paths === undefined ||
    reference !== `gguf:${paths.gguf}`
  )
    return {};
  // Few-shot examples: the first training example of each label in turn, so the prompt covers many labels.
  const examples: { text: string; label: string }[] = [];
  // Few-shot examples are labelled texts: an extract use case's training data has spans instead.
  if (prebuilt.fewShot > 0 && useCase.spec.task !== "extract") {
    const seenLabels = new Set<string>();
    for (const example of await readClassificationData(useCase.paths.train)) {
      if (examples.length >= prebuilt.fewShot) break;
      if (seenLabels.has(example.label)) continue;
      seenLabels.add(example.label);
      examples.push({ text: example.text, label: example.label });
    }
  }
  return {
    gguf: {
      ...(examples.length > 0 ? { examples } : {}),
      loraAdapters: paths.loraAdapters,
      ...(prebuilt.chatTemplate === undefined ? {} : { chatTemplate: prebuilt.chatTemplate }),
      ...(prebuilt.threads === undefined ? {} : { threads: prebuilt.threads }),
      ...(prebuilt.contextSize === undefined ? {} : { contextSize: prebuilt.contextSize }),
    },
  };
}

function parseList(value: string): string[] {
  const items = value
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
  if (items.length === 0) throw new InvalidArgumentError("expected a comma-separated list, got nothing.");
  return items;
}

function parseHtmlTarget(value: string): string {
  if (value === "-")
    throw new InvalidArgumentError("the HTML report goes to a file; name one, e.g. baseline.html.");
  return value;
}
