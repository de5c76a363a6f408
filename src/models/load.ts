// Resolves a model reference (DESIGN.md "Model references") to a loaded TaskModel.

import { readEnvironment } from "../config.js";
import { readFaqFile } from "../data/faq-file.js";
import { SlmkitError } from "../errors.js";
import type { LoadedUseCase } from "../spec/load.js";
import type { TaskType } from "../types.js";
import { type GgufModelOptions, loadGgufModel } from "./gguf/index.js";
import type { FaqAnswer } from "./native/answerer.js";
import { loadNativeAnswerer } from "./native/answerer-directory.js";
import { loadNativeModel, readRawManifest } from "./native/model-directory.js";
import { createOpenAiAnswerModel } from "./openai/openai-answer-model.js";
import { createOpenAiClassifierModel } from "./openai/openai-classifier-model.js";
import type { ExtractorField } from "./openai/openai-extractor.js";
import { createOpenAiExtractorModel } from "./openai/openai-extractor-model.js";
import type { LabelDefinition } from "./openai/openai-labeler.js";
import { parseOpenAiReference } from "./openai/reference.js";
import type { TaskModel } from "./task-model.js";

export interface LoadModelOptions {
  /**
   * The task an `openai:` model answers. Default: "extract" when `fields` is given, "answer" when `faq` is,
   * otherwise "classify". Native models read their task from their manifest.
   */
  task?: TaskType;
  /** The fields an `openai:` extract model pulls out (usecase.yaml `schema.fields`). Required for that task. */
  fields?: readonly ExtractorField[];
  /** The FAQ an `openai:` answer model chooses among (the use case's `faq` file). Required for that task. */
  faq?: readonly FaqAnswer[];
  /**
   * The label set an `openai:` or `gguf:` model chooses from (a prebuilt model has no labels of its own).
   * Required for those references; ignored by native models, which know their labels.
   */
  labels?: readonly LabelDefinition[];
  /** Environment variable holding the API key of an `openai:` model. Default "OPENAI_API_KEY". */
  apiKeyEnv?: string;
  /** US dollars per 1,000 input / output tokens of an `openai:` model. Default: unpriced (cost 0, `priced` false). */
  pricePer1kInputUsd?: number;
  pricePer1kOutputUsd?: number;
  /** Time allowed for one attempt of an `openai:` call, in milliseconds. Default 10,000. */
  timeoutMs?: number;
  /** Requests in flight at once during an `openai:` model's `predict`. Default 4. */
  concurrency?: number;
  /** Where `apiKeyEnv` is read from. Default: the process environment (through src/config.ts). */
  environment?: { get(name: string): string | undefined };
  /** Settings of a `gguf:` model (threads, context size, LoRA adapters, few-shot examples, threshold). */
  gguf?: Partial<Omit<GgufModelOptions, "labels">>;
}

/**
 * Loads a model by reference: a native model directory path, `gguf:<file>` or `openai:<model>@<baseUrl>`.
 * Native directories are verified (format version and checksums) before use. An `openai:` reference becomes
 * a classifier over `labels` (from `--usecase` or `--labels`), an extractor of `fields`, or an FAQ answerer
 * over `faq`, by `task` (see `taskOptionsFromUseCase` for all three from a use case).
 */
export async function loadModel(reference: string, options: LoadModelOptions = {}): Promise<TaskModel> {
  if (reference.startsWith("gguf:")) {
    if (options.task === "extract" || (options.task === undefined && options.fields !== undefined)) {
      throw new SlmkitError(
        "NOT_SUPPORTED",
        `model reference "${reference}": a GGUF model loads as a classifier; extract with loadGgufModel(…).extract(texts, fields).`,
        { field: "task" },
      );
    }
    if (options.labels === undefined || options.labels.length < 2) {
      throw new SlmkitError(
        "INVALID_OPTION",
        `model reference "${reference}": a GGUF model scores the use case's labels; pass --usecase <yaml> (its \`labels\`) or --labels a,b,c.`,
        { field: "labels" },
      );
    }
    // node-llama-cpp itself is imported only inside loadGgufModel, so this import costs nothing without it.
    const labels = options.labels.map((label) =>
      label.description === undefined
        ? { name: label.name }
        : { name: label.name, description: label.description },
    );
    return loadGgufModel(reference.slice("gguf:".length), { ...options.gguf, labels });
  }
  if (reference.startsWith("openai:")) return loadOpenAiModel(reference, options);
  return loadNativeDirectory(reference);
}

/** A native model directory: a classifier, or an FAQ answerer (a classifier plus its answers). */
async function loadNativeDirectory(dir: string): Promise<TaskModel> {
  const task = (await readRawManifest(dir))?.task;
  if (task === "answer") return loadNativeAnswerer(dir);
  if (task === "extract") {
    throw new SlmkitError(
      "NOT_SUPPORTED",
      `${dir} holds an extraction model: evaluate it with \`slmkit eval\` (which reads its task), or load it with loadNativeExtractor.`,
    );
  }
  return loadNativeModel(dir);
}

function loadOpenAiModel(reference: string, options: LoadModelOptions): TaskModel {
  const parsed = parseOpenAiReference(reference);
  const task =
    options.task ??
    (options.fields !== undefined ? "extract" : options.faq !== undefined ? "answer" : "classify");
  const environment = options.environment ?? readEnvironment();
  const apiKeyEnv = options.apiKeyEnv ?? "OPENAI_API_KEY";
  const common = {
    baseUrl: parsed.baseUrl,
    model: parsed.model,
    apiKey: environment.get(apiKeyEnv),
    pricePer1kInputUsd: options.pricePer1kInputUsd,
    pricePer1kOutputUsd: options.pricePer1kOutputUsd,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
  };
  if (task === "extract") {
    if (options.fields === undefined || options.fields.length === 0) {
      throw new SlmkitError(
        "INVALID_OPTION",
        `model reference "${reference}": an OpenAI-compatible extract model needs the fields to extract; pass --usecase <yaml> (its \`schema.fields\`).`,
        { field: "fields" },
      );
    }
    return createOpenAiExtractorModel({ ...common, fields: options.fields });
  }
  if (task === "answer") {
    if (options.faq === undefined || options.faq.length === 0) {
      throw new SlmkitError(
        "INVALID_OPTION",
        `model reference "${reference}": an OpenAI-compatible answer model needs the FAQ to answer from; pass --usecase <yaml> (its \`faq\` file).`,
        { field: "faq" },
      );
    }
    return createOpenAiAnswerModel({ ...common, faq: options.faq });
  }
  if (options.labels === undefined || options.labels.length < 2) {
    throw new SlmkitError(
      "INVALID_OPTION",
      `model reference "${reference}": an OpenAI-compatible model needs the label set to choose from; pass --usecase <yaml> (its \`labels\`) or --labels a,b,c.`,
      { field: "labels" },
    );
  }
  return createOpenAiClassifierModel({ ...common, labels: options.labels });
}

/**
 * The task-related load options of a use case: its task, its labels, and its `schema.fields` (extract) or FAQ
 * entries, read from its `faq` file (answer). Spread into `loadModel`'s options so that an `openai:` model
 * answers the use case's own task.
 */
export async function taskOptionsFromUseCase(
  useCase: LoadedUseCase,
): Promise<Pick<LoadModelOptions, "task" | "labels" | "fields" | "faq">> {
  const spec = useCase.spec;
  const options: Pick<LoadModelOptions, "task" | "labels" | "fields" | "faq"> = { task: spec.task };
  if (spec.labels !== undefined) options.labels = spec.labels;
  if (spec.task === "extract" && spec.schema !== undefined) options.fields = spec.schema.fields;
  if (spec.task === "answer" && useCase.paths.faq !== undefined) {
    options.faq = await readFaqFile(useCase.paths.faq);
  }
  return options;
}
