// Resolves a model reference (DESIGN.md "Model references") to a loaded TaskModel.

import { readEnvironment } from "../config.js";
import { SlmkitError } from "../errors.js";
import { type GgufModelOptions, loadGgufModel } from "./gguf/index.js";
import { loadNativeAnswerer } from "./native/answerer.js";
import { loadNativeModel, readRawManifest } from "./native/model-directory.js";
import { createOpenAiClassifierModel } from "./openai/openai-classifier-model.js";
import type { LabelDefinition } from "./openai/openai-labeler.js";
import { parseOpenAiReference } from "./openai/reference.js";
import type { TaskModel } from "./task-model.js";

export interface LoadModelOptions {
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
 * Native directories are verified (format version and checksums) before use. An `openai:` reference needs
 * `labels` (from `--usecase` or `--labels`): the endpoint is asked to choose one of them.
 */
export async function loadModel(reference: string, options: LoadModelOptions = {}): Promise<TaskModel> {
  if (reference.startsWith("gguf:")) {
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
  if (options.labels === undefined || options.labels.length < 2) {
    throw new SlmkitError(
      "INVALID_OPTION",
      `model reference "${reference}": an OpenAI-compatible model needs the label set to choose from; pass --usecase <yaml> (its \`labels\`) or --labels a,b,c.`,
      { field: "labels" },
    );
  }
  const environment = options.environment ?? readEnvironment();
  const apiKeyEnv = options.apiKeyEnv ?? "OPENAI_API_KEY";
  return createOpenAiClassifierModel({
    baseUrl: parsed.baseUrl,
    model: parsed.model,
    apiKey: environment.get(apiKeyEnv),
    labels: options.labels,
    pricePer1kInputUsd: options.pricePer1kInputUsd,
    pricePer1kOutputUsd: options.pricePer1kOutputUsd,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
  });
}
