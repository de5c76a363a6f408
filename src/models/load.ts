// Resolves a model reference (DESIGN.md "Model references") to a loaded TaskModel.

import { readEnvironment } from "../config.js";
import type { FaqAnswer } from "../data/faq.js";
import { readFaqFile } from "../data/faq-file.js";
import { SlmkitError } from "../errors.js";
import type { LoadedUseCase } from "../spec/load.js";
import type { TaskType } from "../types.js";
import { answerModelFromClassifier } from "./answer-from-labels.js";
import {
  type ExtractionField,
  type GgufModelOptions,
  ggufExtractModel,
  loadGgufModel,
} from "./gguf/index.js";
import { loadModelDirectory } from "./native/load-directory.js";
import { createOpenAiAnswerModel } from "./openai/openai-answer-model.js";
import { createOpenAiClassifierModel } from "./openai/openai-classifier-model.js";
import type { ExtractorField } from "./openai/openai-extractor.js";
import { createOpenAiExtractorModel } from "./openai/openai-extractor-model.js";
import type { LabelDefinition } from "./openai/openai-labeler.js";
import { parseOpenAiReference } from "./openai/reference.js";
import type { LabelModel, TaskModel } from "./task-model.js";

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
 * Native directories are verified (format version and checksums) and answer the task their manifest names.
 * A prebuilt reference answers `task`: a classifier over `labels`, an extractor of `fields`, or an FAQ answerer
 * over `faq` (see `taskOptionsFromUseCase` for all three from a use case).
 */
export async function loadModel(reference: string, options: LoadModelOptions = {}): Promise<TaskModel> {
  if (reference.startsWith("gguf:")) return loadGgufReference(reference, options);
  if (reference.startsWith("openai:")) return loadOpenAiModel(reference, options);
  return loadModelDirectory(reference);
}

/** The task a prebuilt model answers: `task`, else the one its options imply. */
function taskOf(options: LoadModelOptions): TaskType {
  return (
    options.task ??
    (options.fields !== undefined ? "extract" : options.faq !== undefined ? "answer" : "classify")
  );
}

/** A GGUF model by task: it scores labels (classify, and an answer model's intents) or fills fields by grammar. */
async function loadGgufReference(reference: string, options: LoadModelOptions): Promise<TaskModel> {
  const path = reference.slice("gguf:".length);
  const task = taskOf(options);
  // node-llama-cpp itself is imported only inside loadGgufModel, so these imports cost nothing without it.
  if (task === "extract") {
    const fields = requireFields(reference, options, "a GGUF extract model");
    // Extraction takes the fields, not labels; the classifier half of the model is left unused.
    const model = await loadGgufModel(path, { ...options.gguf, labels: placeholderLabels });
    return ggufExtractModel(model, fields.map(extractionFieldOf));
  }
  const labels =
    task === "answer"
      ? requireFaq(reference, options, "a GGUF answer model").map((entry) => ({ name: entry.label }))
      : requireLabels(reference, options, "a GGUF model scores the use case's labels;");
  const model = await loadGgufModel(path, { ...options.gguf, labels });
  return task === "answer" ? answerModelFromClassifier(model, options.faq ?? []) : model;
}

/** Labels for a GGUF model loaded only to extract: node-llama-cpp needs a label set to build its scorer. */
const placeholderLabels = [{ name: "record" }, { name: "no record" }];

function extractionFieldOf(field: ExtractorField): ExtractionField {
  return {
    name: field.name,
    type: field.type,
    ...(field.required === undefined ? {} : { required: field.required }),
    ...(field.description === undefined ? {} : { description: field.description }),
  };
}

function requireLabels(
  reference: string,
  options: LoadModelOptions,
  what: string,
): { name: string; description?: string }[] {
  if (options.labels === undefined || options.labels.length < 2) {
    throw new SlmkitError(
      "INVALID_OPTION",
      `model reference "${reference}": ${what} pass --usecase <yaml> (its \`labels\`) or --labels a,b,c.`,
      { field: "labels" },
    );
  }
  return options.labels.map((label) =>
    label.description === undefined
      ? { name: label.name }
      : { name: label.name, description: label.description },
  );
}

function requireFields(
  reference: string,
  options: LoadModelOptions,
  what: string,
): readonly ExtractorField[] {
  if (options.fields === undefined || options.fields.length === 0) {
    throw new SlmkitError(
      "INVALID_OPTION",
      `model reference "${reference}": ${what} needs the fields to extract; pass --usecase <yaml> (its \`schema.fields\`).`,
      { field: "fields" },
    );
  }
  return options.fields;
}

function requireFaq(reference: string, options: LoadModelOptions, what: string): readonly FaqAnswer[] {
  if (options.faq === undefined || options.faq.length === 0) {
    throw new SlmkitError(
      "INVALID_OPTION",
      `model reference "${reference}": ${what} needs the FAQ to answer from; pass --usecase <yaml> (its \`faq\` file).`,
      { field: "faq" },
    );
  }
  return options.faq;
}

function loadOpenAiModel(reference: string, options: LoadModelOptions): TaskModel {
  const parsed = parseOpenAiReference(reference);
  const task = taskOf(options);
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
    const fields = requireFields(reference, options, "an OpenAI-compatible extract model");
    return createOpenAiExtractorModel({ ...common, fields });
  }
  if (task === "answer") {
    const faq = requireFaq(reference, options, "an OpenAI-compatible answer model");
    return createOpenAiAnswerModel({ ...common, faq });
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

/**
 * `model` as a model that predicts labels (classify or answer), for uses that need labels (a distillation
 * teacher, label metrics); an extract model is refused with NOT_SUPPORTED naming `use`. The model is left open.
 */
export function asLabelModel(model: TaskModel, use: string): LabelModel {
  if (model.task === "extract") {
    throw new SlmkitError(
      "NOT_SUPPORTED",
      `${model.reference} is an extraction model: ${use} needs a model that predicts labels (a classify or answer model).`,
    );
  }
  return model;
}
