// The one interface every model implements, by task: native (in-process), GGUF and OpenAI-compatible alike.
// Eval, baseline, distillation, the router and the edge runtime read models through it, never by where they come from.

import type { ClassPrediction, TaskType } from "../types.js";

/** A field's value as clients get it: text (dates and times normalized), or a number (integer, number, money, quantity). */
export type FieldValue = string | number;

/** Every field of an extract use case → its value, null when the text does not hold it. */
export type FieldValues = Record<string, FieldValue | null>;

/** What a classify model says about one text. */
export type ClassifyPrediction = ClassPrediction;

/** What an answer model says about one question: its intent, and the FAQ answer when the whole gate passed. */
export interface AnswerPrediction extends ClassPrediction {
  /** The filled FAQ answer when the prediction is `accepted`; null otherwise: an unsure model makes nothing up. */
  answer: string | null;
  /** Why a prediction at or above the threshold was still refused, e.g. "retrieval (BM25) disagrees". */
  refusal?: string;
}

/** What an extract model says about one text: one record of fields. */
export interface FieldsPrediction {
  /** Every field of the model → its value, null when not found. */
  fields: FieldValues;
  /**
   * The record as the model wrote it, field → text (the span's words for the native extractor, the value as
   * replied for an LLM), for value-level scoring; null when the model gave no valid record (unsure).
   */
  raw: Record<string, unknown> | null;
  /** Calibrated confidence that the whole record is right, in [0, 1]; 0 without a valid record. */
  confidence: number;
  /** `confidence >= threshold` and every required field found: the record may be used without escalation. */
  accepted: boolean;
  /**
   * Why a record at or above the threshold was still not accepted (required fields missing), or why there is
   * no record (`raw` null: a reply that never validated). Absent otherwise.
   */
  refusal?: string;
}

/** Per-call settings every model takes; each ignores what its task does not need. */
export interface PredictOptions {
  /** "Today", for relative dates ("tomorrow", "next Friday") an extract model resolves. Default: now. */
  referenceDate?: Date;
}

/** What every model shares, whatever its task. Holders of resources release them in `dispose()`. */
interface ModelOf<Task extends TaskType, Prediction> extends AsyncDisposable {
  readonly task: Task;
  /** A human-readable reference: a model directory, `gguf:<file>` or `openai:<model>@<url>`. */
  readonly reference: string;
  /** Classify and answer: the label set, in the model's own order. Extract: the field names. */
  readonly labels: readonly string[];
  /** Calibrated-confidence threshold chosen on validation data; predictions at or above it are accepted. */
  readonly threshold: number;
  /** What the model knows about itself, for reports. */
  readonly info: ModelInfo;
  /** Predicts a batch of texts; one prediction per text, in order. */
  predict(texts: readonly string[], options?: PredictOptions): Promise<Prediction[]>;
  /** The same without a promise, for models that run in-process: the router's fast path. */
  predictSync?(texts: readonly string[], options?: PredictOptions): Prediction[];
  dispose(): Promise<void>;
}

/** text → label with a calibrated confidence. */
export interface ClassifyModel extends ModelOf<"classify", ClassifyPrediction> {
  /** Sentence vectors for the semantic cache; without it only exact cache hits happen. */
  embed?(texts: readonly string[]): Float32Array[];
}

/** question → FAQ intent, and its answer with the slots filled from the question. */
export interface AnswerModel extends ModelOf<"answer", AnswerPrediction> {
  /**
   * The FAQ answer of `label` with its slots filled from `text`; null when the label has no answer or a slot
   * cannot be filled. The router answers an LLM's pick with it, so every answer is the FAQ's own text.
   */
  answerFor(label: string, text: string): string | null;
  embed?(texts: readonly string[]): Float32Array[];
}

/** text → a record of typed fields. */
export interface ExtractModel extends ModelOf<"extract", FieldsPrediction> {
  /** The field names, in the model's order (the same as `labels`). */
  readonly fields: readonly string[];
  /** Fields a record needs to be accepted. */
  readonly requiredFields: readonly string[];
}

/** A loaded model that answers one task. Narrow on `task` for the task's predictions. */
export type TaskModel = ClassifyModel | AnswerModel | ExtractModel;

/** A model whose predictions carry a label: classify and answer models (an answer model's label is its intent). */
export type LabelModel = ClassifyModel | AnswerModel;

/** The prediction of a model of task `Task`. */
export type PredictionOf<Task extends TaskType> = Task extends "classify"
  ? ClassifyPrediction
  : Task extends "answer"
    ? AnswerPrediction
    : FieldsPrediction;

export interface ModelInfo {
  /** Bytes of the weights on disk (all files of the model directory), when known. */
  modelBytes?: number;
  /** Wall-clock seconds training took, when known. */
  trainSeconds?: number;
  /** The accepted-accuracy target the threshold was calibrated for. */
  targetAccuracy?: number;
  /**
   * Parameters (weights) of the model, when known: a GGUF file's `general.parameter_count` or the sum of its
   * tensor shapes; a native model's weights and biases.
   */
  parameters?: number;
  /**
   * Memory the loaded model holds, in bytes, when known: for a GGUF model the growth of the process's resident
   * memory across the load (measured); for a native model the bytes of its arrays (counted).
   */
  memoryBytes?: number;
  /** Tokens of context the model was trained for (GGUF `<architecture>.context_length`); absent when it has none. */
  contextLength?: number;
  /** The licence the model file declares (GGUF `general.license`); absent when it does not say. */
  license?: string;
}
