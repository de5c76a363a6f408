// Fine-tuning hand-off: labelled data as validated chat JSONL for OpenAI / Azure AI Foundry and Hugging Face TRL.

import type { LabeledExample } from "../types.js";
import type { DataProblem } from "./io.js";

/**
 * `openai-chat`: OpenAI and Azure AI Foundry fine-tuning (`{"messages": [system, user, assistant]}`).
 * `hf-chat`: TRL's conversational dataset format, which SFTTrainer accepts as is: the same `messages` list of
 * `{role, content}`, rendered through the model's own chat template at training time.
 */
export type ChatExportFormat = "openai-chat" | "hf-chat";

export const chatExportFormats: readonly ChatExportFormat[] = ["openai-chat", "hf-chat"];

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

export interface ChatExample {
  messages: ChatMessage[];
}

export interface ChatExportOptions {
  format: ChatExportFormat;
  /** The system prompt of every example. Default: `classificationSystemPrompt` over the data's labels. */
  systemPrompt?: string;
  /** Largest estimated tokens per example; longer ones are dropped. Default 4096. */
  maxTokens?: number;
  /**
   * The assistant's reply for a label, e.g. `{"label": "…"}` for a model that will be asked for JSON. Default: the
   * label as it is.
   */
  assistantContent?: (label: string) => string;
}

/** Why an example was left out of the export. */
export interface DroppedExample {
  /** 1-based line of the data file, when known. */
  line: number | null;
  reason: string;
}

export interface ChatExportSummary {
  format: ChatExportFormat;
  examples: number;
  /** Estimated tokens per example (see `estimateTokens`): approximate, ~4 characters a token. */
  tokens: { min: number; mean: number; max: number; total: number };
  maxTokens: number;
  dropped: DroppedExample[];
  /** Dropped examples counted by reason. */
  droppedByReason: Record<string, number>;
  /** Advice that does not stop the export, e.g. too few examples for a fine-tuning job. */
  warnings: string[];
  tokenEstimate: string;
}

export interface ChatExportResult {
  examples: ChatExample[];
  summary: ChatExportSummary;
}

/** OpenAI's fine-tuning jobs refuse files with fewer examples than this. */
const minimumFineTuningExamples = 10;
/** Tokens each message adds for its role and separators in chat templates (OpenAI counts about this). */
const tokensPerMessage = 4;

/** The prompt that asks for one label, listing each with its description when there is one. */
export function classificationSystemPrompt(
  labels: readonly { name: string; description?: string | undefined }[],
): string {
  return [
    "Classify the user's message. Reply with exactly one label from this list and nothing else:",
    ...labels.map((label) =>
      label.description === undefined || label.description === ""
        ? `- ${label.name}`
        : `- ${label.name}: ${label.description}`,
    ),
  ].join("\n");
}

/**
 * An approximate token count: ceil(characters / 4) per message plus 4 per message for its role and
 * separators. Real tokenizers differ by model (and count non-Latin scripts higher); this is a guard against
 * examples far over the limit, not an exact count.
 */
export function estimateTokens(messages: readonly ChatMessage[]): number {
  return messages.reduce((sum, message) => sum + Math.ceil(message.content.length / 4) + tokensPerMessage, 0);
}

/** Checks one chat example: roles system → user → assistant, each content a non-empty string. Returns the problems. */
export function validateChatExample(example: ChatExample): string[] {
  const problems: string[] = [];
  const expected = ["system", "user", "assistant"];
  const roles = example.messages.map((message) => message.role);
  if (roles.join(",") !== expected.join(",")) {
    problems.push(`roles must be system, user, assistant in that order, got ${roles.join(", ") || "none"}`);
  }
  for (const message of example.messages) {
    if (typeof message.content !== "string" || message.content.trim() === "")
      problems.push(`empty ${message.role} content`);
  }
  return problems;
}

/**
 * Turns labelled examples into validated chat examples: the system prompt, the text as the user's message,
 * the label as the assistant's. An example with an empty part or over `maxTokens` is dropped with its reason;
 * `readProblems` (lines the reader could not use) are reported as dropped too.
 */
export function buildChatExport(
  data: readonly LabeledExample[],
  options: ChatExportOptions,
  readProblems: readonly DataProblem[] = [],
): ChatExportResult {
  const maxTokens = options.maxTokens ?? 4096;
  const labels = [...new Set(data.map((example) => example.label))].sort().map((name) => ({ name }));
  const systemPrompt = options.systemPrompt ?? classificationSystemPrompt(labels);
  const dropped: DroppedExample[] = readProblems.map((problem) => ({
    line: problem.line,
    reason: `${problem.kind}: ${problem.message}`,
  }));
  const examples: ChatExample[] = [];
  const counts: number[] = [];
  for (const example of data) {
    const chat: ChatExample = {
      messages: [
        { role: "system", content: systemPrompt },
        { role: "user", content: example.text },
        { role: "assistant", content: options.assistantContent?.(example.label) ?? example.label },
      ],
    };
    const problems = validateChatExample(chat);
    const tokens = estimateTokens(chat.messages);
    if (tokens > maxTokens) problems.push(`about ${tokens} tokens, over the limit of ${maxTokens}`);
    if (problems.length > 0) {
      dropped.push({ line: example.line ?? null, reason: problems.join("; ") });
      continue;
    }
    examples.push(chat);
    counts.push(tokens);
  }
  const droppedByReason: Record<string, number> = {};
  for (const item of dropped) {
    // Counted by the kind of problem, without the numbers that make each message unique.
    const kind = item.reason.replace(/\d+/g, "N").split(":")[0] ?? item.reason;
    droppedByReason[kind] = (droppedByReason[kind] ?? 0) + 1;
  }
  const warnings: string[] = [];
  if (examples.length < minimumFineTuningExamples) {
    warnings.push(
      `only ${examples.length} examples: OpenAI and Azure fine-tuning need at least ${minimumFineTuningExamples}.`,
    );
  }
  const total = counts.reduce((sum, count) => sum + count, 0);
  return {
    examples,
    summary: {
      format: options.format,
      examples: examples.length,
      tokens: {
        min: counts.reduce((low, count) => Math.min(low, count), counts[0] ?? 0),
        mean: counts.length === 0 ? 0 : Math.round((total / counts.length) * 10) / 10,
        max: counts.reduce((high, count) => Math.max(high, count), 0),
        total,
      },
      maxTokens,
      dropped,
      droppedByReason,
      warnings,
      tokenEstimate: "approximate: ceil(characters / 4) + 4 per message",
    },
  };
}
