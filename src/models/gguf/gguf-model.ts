// A prebuilt GGUF model (Phi-3-mini and friends) as a TaskModel: label-likelihood classification, JSON extraction, FAQ answers.

import { open, stat } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import type {
  ChatWrapper,
  ControlledEvaluateInputItem,
  LlamaContext,
  LlamaContextSequence,
  LlamaGrammar,
  LlamaModel,
  Token,
} from "node-llama-cpp";
import { SlmkitError } from "../../errors.js";
import type { ClassPrediction } from "../../types.js";
import type { ClassifyModel, ModelInfo } from "../task-model.js";
import { chooseThreshold } from "../threshold.js";
import { type ExtractionField, extractionJsonSchema, extractionValidator } from "./extraction-schema.js";
import { type GgufHeader, readGgufHeader } from "./gguf-header.js";
import {
  classificationPrefix,
  classificationQuery,
  type FaqEntry,
  faqSystemPrompt,
  type GgufExample,
  type GgufLabel,
  labelContinuation,
} from "./prompt.js";
import { addLogListener, getSharedLlama, importNodeLlamaCpp, type NodeLlamaCpp } from "./runtime.js";

/** Receives node-llama-cpp's (llama.cpp's) log lines; the library itself never prints. */
export type GgufLogListener = (level: string, message: string) => void;

export interface GgufModelOptions {
  /** The label set, at least two, in the model's order; descriptions go into the prompt. */
  labels: readonly GgufLabel[];
  /** The task `predict` answers. Only "classify" (the default): extraction and answers have their own methods. */
  task?: "classify";
  /**
   * CPU threads for evaluation. Default 1 when the machine has ≤ 2 cores (llama.cpp's spinning threads
   * collapse throughput 50-90x when they contend with the rest of the process), else cores - 1.
   */
  threads?: number;
  /** Context size in tokens, capped at the model's training context. Default 512. */
  contextSize?: number;
  /** LoRA adapter files (GGUF) applied on top of the model, scale 1 each. Default none. */
  loraAdapters?: readonly string[];
  /**
   * Chat template (Jinja) for `extract` and `answer`. Default: the template in the GGUF file's metadata,
   * or a general one when it has none. Classification uses a plain completion prompt either way.
   */
  chatTemplate?: string;
  /** Labelled examples shown in the classification prompt (few-shot), in this order. Default none. */
  examples?: readonly GgufExample[];
  /** Softmax temperature over the label scores; `calibrate` fits it. Default 1. */
  temperature?: number;
  /**
   * Confidence at or above which a prediction is accepted. Default 1: an uncalibrated prebuilt model's
   * confidence means little, so nothing is accepted until `calibrate` (or this option) sets a threshold.
   */
  threshold?: number;
  /** Receives llama.cpp's log lines (warnings and errors). Default: dropped; the library never prints. */
  onLog?: GgufLogListener;
}

/** What a GGUF model reports about itself, on top of `ModelInfo`. */
export interface GgufModelInfo extends ModelInfo {
  /** Seconds from the call to a model ready to evaluate (file load and context creation). */
  loadSeconds: number;
  /** Growth of the process's resident memory across the load, in bytes: the model's real memory cost. */
  memoryBytes: number;
  /** Tokens evaluated (prompts and generations) since load. */
  evaluatedTokens: number;
  /** Evaluated tokens per second of evaluation time since load; 0 before the first evaluation. */
  tokensPerSecond: number;
  threads: number;
  contextSize: number;
}

/** A classification with the full distribution over the label set. */
export interface GgufClassPrediction extends ClassPrediction {
  /** Calibrated probabilities, one per label in the model's order; they sum to 1. */
  probabilities: number[];
  /** Raw label scores: the summed log-probability of each label's tokens after the prompt. */
  scores: number[];
}

export interface CalibrationResult {
  temperature: number;
  threshold: number;
  /** Share of the (in-scope) validation items accepted at the threshold. */
  coverage: number;
  /** Accuracy of the accepted items; null when none is accepted. */
  accuracy: number | null;
  /** Validation items whose label the model does not know, left out. */
  outOfScope: number;
}

export type ExtractionResult =
  | { status: "ok"; value: Record<string, unknown>; attempts: number }
  /** No attempt produced a record that validates: escalate, never guess. */
  | { status: "unsure"; reason: string; attempts: number; lastOutput: string };

export interface ExtractOptions {
  /** Generated tokens per attempt at most. Default 256. */
  maxTokens?: number;
  /** Attempts after the first when the output does not validate. Default 2. */
  retries?: number;
}

export interface AnswerOptions {
  /** Generated tokens at most. Default 160. */
  maxTokens?: number;
}

export interface GroundedAnswer {
  text: string;
  /** Why generation stopped: a natural end, or the token limit. */
  stopReason: "end" | "maxTokens";
}

/** A GGUF model loaded through node-llama-cpp. Holds native memory: call `dispose()`. */
export interface GgufTaskModel extends ClassifyModel {
  readonly task: "classify";
  readonly info: GgufModelInfo;
  /** The softmax temperature over label scores (1 until calibrated). */
  readonly temperature: number;
  /** Like `predict`, with every label's probability and raw score. */
  classify(texts: readonly string[]): Promise<GgufClassPrediction[]>;
  /** Fits the temperature and picks the threshold for `targetAccuracy` on validation data, like the native model. */
  calibrate(valid: readonly GgufExample[], targetAccuracy: number): Promise<CalibrationResult>;
  /** JSON-schema-constrained extraction, validated with zod; an output that never validates is "unsure". */
  extract(
    texts: readonly string[],
    fields: readonly ExtractionField[],
    options?: ExtractOptions,
  ): Promise<ExtractionResult[]>;
  /** An answer generated from the FAQ entries only. */
  answer(question: string, faq: readonly FaqEntry[], options?: AnswerOptions): Promise<GroundedAnswer>;
}

/** Probabilities are floored before the log so an underflowed token costs a large finite score, not -Infinity. */
const minimumProbability = 1e-30;

/** The default evaluation threads: see `GgufModelOptions.threads`. */
export function defaultGgufThreads(): number {
  const cores = availableParallelism();
  return cores <= 2 ? 1 : cores - 1;
}

/** Softmax of `scores / temperature`, stable for any scale. */
export function softmax(scores: readonly number[], temperature: number): number[] {
  let max = Number.NEGATIVE_INFINITY;
  for (const score of scores) if (score > max) max = score;
  const exps = scores.map((score) => Math.exp((score - max) / temperature));
  let sum = 0;
  for (const value of exps) sum += value;
  return exps.map((value) => value / sum);
}

/** The temperature minimising the validation negative log-likelihood (golden-section search over log T). */
export function fitTemperature(scores: readonly (readonly number[])[], gold: readonly number[]): number {
  const loss = (logTemperature: number): number => {
    const temperature = Math.exp(logTemperature);
    let total = 0;
    scores.forEach((row, index) => {
      const probability = softmax(row, temperature)[gold[index] as number] as number;
      total -= Math.log(Math.max(probability, minimumProbability));
    });
    return total;
  };
  // T in [0.01, 100] covers scores from nearly tied to far apart; the loss is unimodal in log T.
  let low = Math.log(0.01);
  let high = Math.log(100);
  const ratio = (Math.sqrt(5) - 1) / 2;
  for (let step = 0; step < 60; step++) {
    const left = high - ratio * (high - low);
    const right = low + ratio * (high - low);
    if (loss(left) <= loss(right)) high = right;
    else low = left;
  }
  return Math.exp((low + high) / 2);
}

async function assertFile(path: string, what: string, field: string): Promise<void> {
  try {
    const found = await stat(path);
    if (!found.isFile()) throw new Error("not a file");
  } catch (error) {
    throw new SlmkitError(
      "MODEL_NOT_FOUND",
      `${what} ${path} does not exist or is not a file; check the path.`,
      {
        field,
        cause: error,
      },
    );
  }
}

async function assertGgufMagic(path: string): Promise<void> {
  const handle = await open(path, "r");
  try {
    const magic = Buffer.alloc(4);
    await handle.read(magic, 0, 4, 0);
    if (magic.toString("latin1") !== "GGUF") {
      throw new SlmkitError(
        "MODEL_CORRUPT",
        `${path} is not a GGUF file (it does not start with "GGUF"); convert the model with llama.cpp's convert_hf_to_gguf.py.`,
        { file: path },
      );
    }
  } finally {
    await handle.close();
  }
}

function validateOptions(options: GgufModelOptions): void {
  const names = options.labels.map((label) => label.name);
  if (names.length < 2 || new Set(names).size !== names.length) {
    throw new SlmkitError(
      "INVALID_OPTION",
      "a GGUF classifier needs at least two labels with distinct names.",
      {
        field: "labels",
      },
    );
  }
  if (names.some((name) => name.trim() === "")) {
    throw new SlmkitError("INVALID_OPTION", "label names must not be empty.", { field: "labels" });
  }
  const positiveInteger = (value: number | undefined, field: string) => {
    if (value !== undefined && !(Number.isInteger(value) && value >= 1)) {
      throw new SlmkitError("INVALID_OPTION", `${field} must be a positive integer, got ${value}.`, {
        field,
      });
    }
  };
  positiveInteger(options.threads, "threads");
  positiveInteger(options.contextSize, "contextSize");
  if (
    options.temperature !== undefined &&
    !(options.temperature > 0 && Number.isFinite(options.temperature))
  ) {
    throw new SlmkitError(
      "INVALID_OPTION",
      `temperature must be a positive number, got ${options.temperature}.`,
      {
        field: "temperature",
      },
    );
  }
  for (const example of options.examples ?? []) {
    if (!names.includes(example.label)) {
      throw new SlmkitError("INVALID_OPTION", `example label "${example.label}" is not one of the labels.`, {
        field: "examples",
      });
    }
  }
}

/**
 * Loads a GGUF file as a classifier (and extractor / FAQ answerer). Checks the files before loading
 * node-llama-cpp, which is imported only now: it is an optional dependency.
 */
export async function loadGgufModel(path: string, options: GgufModelOptions): Promise<GgufTaskModel> {
  validateOptions(options);
  const modelPath = resolve(path);
  await assertFile(modelPath, "GGUF model file", "model");
  const adapterPaths = (options.loraAdapters ?? []).map((adapter) => resolve(adapter));
  for (const [index, adapter] of adapterPaths.entries()) {
    await assertFile(adapter, "LoRA adapter file", `loraAdapters[${index}]`);
  }
  await assertGgufMagic(modelPath);
  // The header's figures (parameters, training context, licence) for reports; a header this reader cannot parse
  // never blocks a load that node-llama-cpp may still manage.
  const header = await readGgufHeader(modelPath).catch(() => undefined);

  const nodeLlamaCpp = await importNodeLlamaCpp();
  const started = performance.now();
  const rssBefore = process.memoryUsage.rss();
  const llama = await getSharedLlama();
  const removeLogListener = options.onLog ? addLogListener(options.onLog) : () => false;
  let model: LlamaModel | undefined;
  try {
    model = await llama.loadModel({ modelPath });
    const threads = options.threads ?? defaultGgufThreads();
    const contextSize = Math.min(options.contextSize ?? 512, model.trainContextSize);
    const context = await model.createContext({
      contextSize,
      // One sequence scores labels (keeping the shared prompt prefix cached), one generates.
      sequences: 2,
      threads,
      ...(adapterPaths.length > 0
        ? { lora: { adapters: adapterPaths.map((filePath) => ({ filePath })) } }
        : {}),
    });
    const chatWrapper: ChatWrapper | "auto" =
      options.chatTemplate === undefined
        ? "auto"
        : new nodeLlamaCpp.JinjaTemplateChatWrapper({ template: options.chatTemplate });
    const fileBytes = (await stat(modelPath)).size;
    const loadSeconds = (performance.now() - started) / 1000;
    const memoryBytes = Math.max(0, process.memoryUsage.rss() - rssBefore);
    return new GgufModel({
      nodeLlamaCpp,
      model,
      context,
      chatWrapper,
      options,
      reference: `gguf:${path}`,
      staticInfo: {
        modelBytes: fileBytes,
        loadSeconds,
        memoryBytes,
        threads,
        contextSize: context.contextSize,
        ...headerFigures(header),
      },
      removeLogListener,
    });
  } catch (error) {
    removeLogListener();
    await model?.dispose();
    if (SlmkitError.isInstance(error)) throw error;
    throw new SlmkitError(
      "MODEL_CORRUPT",
      `node-llama-cpp could not load ${modelPath}${adapterPaths.length > 0 ? " with its LoRA adapters" : ""}: ${error instanceof Error ? error.message : String(error)}`,
      { file: modelPath, cause: error },
    );
  }
}

/** What a report wants from the header: parameters, the training context and the declared licence. */
function headerFigures(
  header: GgufHeader | undefined,
): Pick<ModelInfo, "parameters" | "contextLength" | "license"> {
  if (header === undefined) return {};
  return {
    parameters: header.parameters,
    ...(header.contextLength === undefined ? {} : { contextLength: header.contextLength }),
    ...(header.license === undefined ? {} : { license: header.license }),
  };
}

interface GgufModelParts {
  nodeLlamaCpp: NodeLlamaCpp;
  model: LlamaModel;
  context: LlamaContext;
  chatWrapper: ChatWrapper | "auto";
  options: GgufModelOptions;
  reference: string;
  staticInfo: Omit<GgufModelInfo, "evaluatedTokens" | "tokensPerSecond">;
  removeLogListener: () => void;
}

class GgufModel implements GgufTaskModel {
  readonly task = "classify" as const;
  readonly reference: string;
  readonly labels: readonly string[];
  #temperature: number;
  #threshold: number;
  #targetAccuracy: number | undefined;
  readonly #parts: GgufModelParts;
  readonly #scoring: LlamaContextSequence;
  readonly #generation: LlamaContextSequence;
  /** BOS (when the model wants one) + the shared prompt prefix: evaluated once, kept in the scoring sequence. */
  readonly #prefixTokens: Token[];
  readonly #labelTokens: Token[][];
  #evaluatedTokens = 0;
  #evaluationMilliseconds = 0;
  /** Every evaluation runs after the previous one: a sequence holds one conversation state at a time. */
  #queue: Promise<unknown> = Promise.resolve();
  #disposed = false;

  constructor(parts: GgufModelParts) {
    this.#parts = parts;
    this.reference = parts.reference;
    this.labels = parts.options.labels.map((label) => label.name);
    this.#temperature = parts.options.temperature ?? 1;
    this.#threshold = parts.options.threshold ?? 1;
    this.#scoring = parts.context.getSequence();
    this.#generation = parts.context.getSequence();
    const model = parts.model;
    const bos = model.tokens.bos;
    const prefix = model.tokenize(classificationPrefix(parts.options.labels, parts.options.examples ?? []));
    this.#prefixTokens = bos !== null && model.tokens.shouldPrependBosToken ? [bos, ...prefix] : prefix;
    this.#labelTokens = this.labels.map((label) => model.tokenize(labelContinuation(label)));
    const longestLabel = Math.max(...this.#labelTokens.map((tokens) => tokens.length));
    if (this.#prefixTokens.length + longestLabel + 16 > parts.context.contextSize) {
      throw new SlmkitError(
        "INVALID_OPTION",
        `the classification prompt (${this.#prefixTokens.length} tokens of labels and examples) does not fit the ${parts.context.contextSize}-token context; pass fewer examples or a larger contextSize.`,
        { field: "examples" },
      );
    }
  }

  get threshold(): number {
    return this.#threshold;
  }

  get temperature(): number {
    return this.#temperature;
  }

  get info(): GgufModelInfo {
    const seconds = this.#evaluationMilliseconds / 1000;
    return {
      ...this.#parts.staticInfo,
      ...(this.#targetAccuracy === undefined ? {} : { targetAccuracy: this.#targetAccuracy }),
      evaluatedTokens: this.#evaluatedTokens,
      tokensPerSecond: seconds > 0 ? this.#evaluatedTokens / seconds : 0,
    };
  }

  #serialize<T>(work: () => Promise<T>): Promise<T> {
    if (this.#disposed) {
      return Promise.reject(
        new SlmkitError("INVALID_INPUT", `${this.reference} was disposed; load it again.`),
      );
    }
    const run = this.#queue.then(work, work);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #evaluate(
    sequence: LlamaContextSequence,
    input: ControlledEvaluateInputItem[],
  ): Promise<Awaited<ReturnType<LlamaContextSequence["controlledEvaluate"]>>> {
    const started = performance.now();
    const output = await sequence.controlledEvaluate(input);
    this.#evaluationMilliseconds += performance.now() - started;
    this.#evaluatedTokens += input.length;
    return output;
  }

  /** Keeps the first `length` tokens of the scoring sequence, dropping the rest. */
  async #truncateScoring(length: number): Promise<void> {
    const end = this.#scoring.nextTokenIndex;
    if (end > length) await this.#scoring.eraseContextTokenRanges([{ start: length, end }]);
  }

  /** Summed log-probability of each label's tokens after the prompt for `text`. */
  async #scoreText(text: string): Promise<number[]> {
    const prefixLength = this.#prefixTokens.length;
    const scoring = this.#scoring;
    // The prefix is evaluated once; later texts reuse it unless something (a failure) disturbed it.
    const cached = scoring.contextTokens;
    const prefixIntact =
      cached.length >= prefixLength && this.#prefixTokens.every((token, index) => cached[index] === token);
    if (!prefixIntact) {
      await scoring.clearHistory();
      await this.#evaluate(scoring, this.#prefixTokens.slice());
    } else {
      await this.#truncateScoring(prefixLength);
    }

    const longestLabel = Math.max(...this.#labelTokens.map((tokens) => tokens.length));
    const room = scoring.contextSize - prefixLength - longestLabel;
    // An over-long text keeps its end: the "Label:" cue must stay right before the label.
    const queryTokens = this.#parts.model.tokenize(classificationQuery(text)).slice(-room);
    const queryInput: ControlledEvaluateInputItem[] = queryTokens.slice(0, -1);
    queryInput.push([queryTokens.at(-1) as Token, { generateNext: { probabilities: true } }]);
    const queryOutput = await this.#evaluate(scoring, queryInput);
    const firstDistribution = queryOutput.at(-1)?.next.probabilities;
    if (firstDistribution === undefined)
      throw new Error("node-llama-cpp returned no next-token probabilities");
    const textEnd = scoring.nextTokenIndex;

    const scores: number[] = [];
    for (const tokens of this.#labelTokens) {
      let score = Math.log(Math.max(firstDistribution.get(tokens[0] as Token) ?? 0, minimumProbability));
      if (tokens.length > 1) {
        const input: ControlledEvaluateInputItem[] = tokens
          .slice(0, -1)
          .map((token) => [token, { generateNext: { probabilities: true } }]);
        const output = await this.#evaluate(scoring, input);
        for (let index = 1; index < tokens.length; index++) {
          const probability = output[index - 1]?.next.probabilities?.get(tokens[index] as Token) ?? 0;
          score += Math.log(Math.max(probability, minimumProbability));
        }
        await this.#truncateScoring(textEnd);
      }
      scores.push(score);
    }
    return scores;
  }

  #toPrediction(scores: number[]): GgufClassPrediction {
    const probabilities = softmax(scores, this.#temperature);
    let best = 0;
    for (let index = 1; index < probabilities.length; index++) {
      if ((probabilities[index] as number) > (probabilities[best] as number)) best = index;
    }
    const confidence = probabilities[best] as number;
    return {
      label: this.labels[best] as string,
      confidence,
      accepted: confidence >= this.#threshold,
      probabilities,
      scores,
    };
  }

  classify(texts: readonly string[]): Promise<GgufClassPrediction[]> {
    return this.#serialize(async () => {
      const predictions: GgufClassPrediction[] = [];
      for (const text of texts) predictions.push(this.#toPrediction(await this.#scoreText(text)));
      return predictions;
    });
  }

  async predict(texts: readonly string[]): Promise<ClassPrediction[]> {
    const detailed = await this.classify(texts);
    return detailed.map(({ label, confidence, accepted }) => ({ label, confidence, accepted }));
  }

  async calibrate(valid: readonly GgufExample[], targetAccuracy: number): Promise<CalibrationResult> {
    const inScope = valid.filter((example) => this.labels.includes(example.label));
    if (inScope.length === 0) {
      throw new SlmkitError(
        "EMPTY_DATA",
        "no validation example has one of the model's labels; calibrate on labelled data of this use case.",
      );
    }
    const scores = await this.#serialize(async () => {
      const rows: number[][] = [];
      for (const example of inScope) rows.push(await this.#scoreText(example.text));
      return rows;
    });
    const gold = inScope.map((example) => this.labels.indexOf(example.label));
    const temperature = fitTemperature(scores, gold);
    const confidences: number[] = [];
    const correct: boolean[] = [];
    scores.forEach((row, index) => {
      const probabilities = softmax(row, temperature);
      let best = 0;
      for (let label = 1; label < probabilities.length; label++) {
        if ((probabilities[label] as number) > (probabilities[best] as number)) best = label;
      }
      confidences.push(probabilities[best] as number);
      correct.push(best === gold[index]);
    });
    const choice = chooseThreshold(confidences, correct, targetAccuracy);
    this.#temperature = temperature;
    this.#threshold = choice.threshold;
    this.#targetAccuracy = targetAccuracy;
    return {
      temperature,
      threshold: choice.threshold,
      coverage: choice.coverage,
      accuracy: choice.accuracy,
      outOfScope: valid.length - inScope.length,
    };
  }

  /** One generation on the generation sequence from an empty state, through a short-lived chat session. */
  async #generate(
    systemPrompt: string,
    userPrompt: string,
    settings: {
      maxTokens: number;
      temperature: number;
      seed: number;
      grammar?: LlamaGrammar;
    },
  ): Promise<{ text: string; stopReason: string }> {
    const { LlamaChatSession } = this.#parts.nodeLlamaCpp;
    await this.#generation.clearHistory();
    const session = new LlamaChatSession({
      contextSequence: this.#generation,
      chatWrapper: this.#parts.chatWrapper,
      systemPrompt,
      autoDisposeSequence: false,
    });
    try {
      const started = performance.now();
      const result = await session.promptWithMeta(userPrompt, {
        maxTokens: settings.maxTokens,
        temperature: settings.temperature,
        seed: settings.seed,
        ...(settings.grammar === undefined ? {} : { grammar: settings.grammar }),
      });
      this.#evaluationMilliseconds += performance.now() - started;
      // The sequence started empty, so its length is every token evaluated: the prompt and the generated ones.
      this.#evaluatedTokens += this.#generation.nextTokenIndex;
      return { text: result.responseText, stopReason: result.stopReason };
    } finally {
      session.dispose({ disposeSequence: false });
    }
  }

  extract(
    texts: readonly string[],
    fields: readonly ExtractionField[],
    options: ExtractOptions = {},
  ): Promise<ExtractionResult[]> {
    if (fields.length === 0) {
      return Promise.reject(
        new SlmkitError("INVALID_OPTION", "extract needs at least one field.", { field: "fields" }),
      );
    }
    const maxTokens = options.maxTokens ?? 256;
    const retries = options.retries ?? 2;
    const validator = extractionValidator(fields);
    const fieldList = fields
      .map((field) => `- ${field.name} (${field.type})${field.description ? `: ${field.description}` : ""}`)
      .join("\n");
    const systemPrompt = `Extract these fields from the user's text as JSON; use null for a field the text does not state.\n${fieldList}`;
    return this.#serialize(async () => {
      const grammar = await this.#parts.model.llama.createGrammarForJsonSchema(extractionJsonSchema(fields));
      const results: ExtractionResult[] = [];
      for (const text of texts) {
        let lastOutput = "";
        let reason = "";
        let result: ExtractionResult | undefined;
        for (let attempt = 0; attempt <= retries && result === undefined; attempt++) {
          // Greedy first; a retry samples (seeded, so reruns agree) to leave the greedy path that failed.
          const generation = await this.#generate(systemPrompt, text, {
            maxTokens,
            temperature: attempt === 0 ? 0 : 0.7,
            seed: attempt,
            grammar,
          });
          lastOutput = generation.text;
          let parsed: unknown;
          try {
            parsed = JSON.parse(generation.text);
          } catch {
            reason =
              generation.stopReason === "maxTokens"
                ? `the output was cut at ${maxTokens} tokens before the JSON closed`
                : "the output is not valid JSON";
            continue;
          }
          const checked = validator.safeParse(parsed);
          if (checked.success) result = { status: "ok", value: checked.data, attempts: attempt + 1 };
          else
            reason = `the output does not match the fields: ${checked.error.issues[0]?.message ?? "invalid"}`;
        }
        results.push(result ?? { status: "unsure", reason, attempts: retries + 1, lastOutput });
      }
      return results;
    });
  }

  answer(question: string, faq: readonly FaqEntry[], options: AnswerOptions = {}): Promise<GroundedAnswer> {
    const maxTokens = options.maxTokens ?? 160;
    return this.#serialize(async () => {
      const generation = await this.#generate(faqSystemPrompt(faq), question, {
        maxTokens,
        temperature: 0,
        seed: 0,
      });
      return {
        text: generation.text.trim(),
        stopReason: generation.stopReason === "maxTokens" ? "maxTokens" : "end",
      };
    });
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    await this.#queue;
    this.#parts.removeLogListener();
    // The model disposes its contexts and their sequences; the shared Llama runtime stays for other models.
    await this.#parts.model.dispose();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}
