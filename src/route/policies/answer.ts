// The answer task in the pipeline: an FAQ intent accepted only when the answer model's whole gate passed
// (confidence, retrieval, slots); every answer is the FAQ's own text, an LLM's pick included.

import type { AnswerPrediction } from "../../models/task-model.js";
import { type LabelPolicyOptions, labelPolicyParts } from "./classify.js";
import type { TaskPolicy } from "./policy.js";

export function createAnswerPolicy(
  options: LabelPolicyOptions & { answerFor: (label: string, text: string) => string | null },
): TaskPolicy<AnswerPrediction> {
  const parts = labelPolicyParts(options);
  const { answerFor } = options;
  const policy: TaskPolicy<AnswerPrediction> = {
    ...parts.shared,
    read: (prediction) => prediction as AnswerPrediction,
    accepts: (view) => view.accepted && typeof view.answer === "string",
    unsure: (view, threshold, comparison) =>
      view.confidence >= threshold
        ? `${comparison} but ${view.refusal ?? "the answer gate refused"}`
        : comparison,
    answer: (view) => ({ label: view.label, answer: view.answer }),
    escalate: (text, apiKeyId) => parts.escalate(text, apiKeyId, answerFor),
    // The guessed intent's answer when the text fills it, else the holding answer.
    guess: (view, text, holdingAnswer) => ({
      label: view.label,
      answer: answerFor(view.label, text) ?? holdingAnswer,
    }),
  };
  if (parts.shadow !== undefined) policy.shadow = parts.shadow;
  return policy;
}
