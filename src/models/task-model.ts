// The one interface every small model implements: native (in-process), GGUF and OpenAI-compatible.

import type { ClassPrediction, TaskType } from "../types.js";

/** A loaded model that answers one task. Holders of resources release them in `dispose()`. */
export interface TaskModel extends AsyncDisposable {
  readonly task: TaskType;
  /** A human-readable reference: a model directory, `gguf:<file>` or `openai:<model>@<url>`. */
  readonly reference: string;
  /** The label set, in the model's own order. */
  readonly labels: readonly string[];
  /** Calibrated-confidence threshold chosen on validation data; predictions at or above it are accepted. */
  readonly threshold: number;
  /** What the model knows about itself, for reports. */
  readonly info: ModelInfo;
  /** Predict a batch of texts; the result has one entry per text, in order. */
  predict(texts: readonly string[]): Promise<ClassPrediction[]>;
  dispose(): Promise<void>;
}

export interface ModelInfo {
  /** Bytes of the weights on disk (all files of the model directory), when known. */
  modelBytes?: number;
  /** Wall-clock seconds training took, when known. */
  trainSeconds?: number;
  /** The accepted-accuracy target the threshold was calibrated for. */
  targetAccuracy?: number;
}
