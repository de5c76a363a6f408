// The router of extract use cases: `createRouter` with the extract policy. Kept as its own name for callers
// that want the extract types spelled out.

import { SlmkitError } from "../errors.js";
import type { LlmExtractor } from "../models/llm.js";
import { createRouter, type ExtractRouterModel, type Router, type RouterOptions } from "./router.js";

export { checkFieldValues, redactedFieldValue, redactFieldValues } from "../models/fields.js";
export type { FieldValues } from "../models/task-model.js";
export type { ExtractRouterModel } from "./router.js";

export interface ExtractRouterOptions
  extends Omit<RouterOptions<ExtractRouterModel>, "model" | "llm" | "random"> {
  model: ExtractRouterModel;
  /** The escalation LLM (see `LlmExtractor`); absent: escalations go straight to review. */
  llm?: LlmExtractor;
}

/** `createRouter` for an extract use case; another task is refused with NOT_SUPPORTED. */
export function createExtractRouter(options: ExtractRouterOptions): Router<ExtractRouterModel> {
  if (options.useCase.task !== "extract") {
    throw new SlmkitError(
      "NOT_SUPPORTED",
      `use case "${options.useCase.id}" is a ${options.useCase.task} task; route it with createRouter.`,
    );
  }
  return createRouter<ExtractRouterModel>(options);
}
