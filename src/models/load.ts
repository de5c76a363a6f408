// Resolves a model reference (DESIGN.md "Model references") to a loaded TaskModel.

import { SlmkitError } from "../errors.js";
import { loadNativeModel } from "./native/model-directory.js";
import type { TaskModel } from "./task-model.js";

/**
 * Loads a model by reference: a native model directory path, `gguf:<file>` or `openai:<model>@<baseUrl>`.
 * Native directories are verified (format version and checksums) before use.
 */
export async function loadModel(reference: string): Promise<TaskModel> {
  if (reference.startsWith("gguf:") || reference.startsWith("openai:")) {
    throw new SlmkitError(
      "NOT_SUPPORTED",
      `model reference "${reference}": GGUF and OpenAI-compatible models are not available in this version yet; use a native model directory trained with \`slmkit train\`.`,
    );
  }
  return loadNativeModel(reference);
}
