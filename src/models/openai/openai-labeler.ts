// An LLM labeler over any OpenAI-compatible chat endpoint (OpenAI, Azure, Ollama, vLLM, Foundry Local).

import type { ChatCompletionCreateParamsNonStreaming } from "openai/resources/chat/completions";
import { SlmkitError } from "../../errors.js";
import type { UseCase } from "../../spec/schema.js";
import type { LlmLabel, LlmLabeler } from "../llm.js";
import {
  type ChatEndpointOptions,
  createChatEndpoint,
  defaultWarmUpTimeoutMs,
  endpointOptionsFromLlm,
  isRecord,
  type ParsedCompletion,
  parseCompletion,
  type RefusalRule,
  type TokenLogprob,
  truncateRaw,
} from "./chat-endpoint.js";

/** A class the LLM may choose, with the description the prompt shows it. */
export interface LabelDefinition {
  name: string;
  description?: string | undefined;
}

export interface OpenAiLabelerOptions extends ChatEndpointOptions {
  /** The label set the LLM must choose from; at least two. */
  labels: readonly LabelDefinition[];
  /** Ask for token log-probabilities, the source of `confidence`. Default true; dropped when the server refuses. */
  logprobs?: boolean;
  /** Constrain the reply to `{label}` with a strict JSON schema. Default true; dropped when the server refuses. */
  structuredOutput?: boolean;
}

/** The request parameters a server may refuse and the labeler can do without. */
export type OptionalParameter = "logprobs" | "response_format" | "temperature" | "max_tokens";

export interface OpenAiLabeler extends LlmLabeler {
  /** `openai:<model>@<baseUrl>`. */
  readonly reference: string;
  readonly labels: readonly string[];
  /** True when both token prices are known; otherwise `costUsd` leaves out the unpriced tokens. */
  readonly priced: boolean;
  /** The optional parameters still sent: those the server refused with a 400 are dropped for good. */
  parameters(): OptionalParameter[];
  /**
   * Readies the first call: runs the request and reply code once on a made-up reply and sends one
   * `GET <baseUrl>/models` (free; its answer, even an error, is ignored), which loads the HTTP client's code and
   * leaves a kept-alive connection for the first escalation. Never throws; gives up after `timeoutMs`
   * (default 2,000).
   */
  warmUp(timeoutMs?: number): Promise<void>;
  /**
   * The body `classify(text)` would send now (prompt, schema and the optional parameters the server still takes):
   * what a Batch API line asks, so a batch is answered exactly as the interactive calls are.
   */
  request(text: string): ChatCompletionCreateParamsNonStreaming;
  /**
   * Reads a chat.completion body (a Batch API output line's `response.body`) exactly as `classify` reads its reply:
   * the label, its confidence from logprobs, the tokens and their cost at the configured prices; `latencyMs` 0.
   * Throws an LlmError when the body is not a chat completion.
   */
  readCompletion(body: unknown): LlmLabel;
}

/** The labeler's refusal rules: which 400 messages name which of its optional parameters. */
const labelerRefusals: readonly RefusalRule<OptionalParameter>[] = [
  { pattern: /logprob/, parameters: ["logprobs"] },
  { pattern: /response_format|json_schema|structured output/, parameters: ["response_format"] },
  { pattern: /temperature/, parameters: ["temperature"] },
  { pattern: /max_tokens/, parameters: ["max_tokens"] },
];

/**
 * Creates a labeler that asks the model for exactly one label of the set: a system prompt listing labels and
 * descriptions, `temperature: 0`, a strict JSON schema whose `label` is an enum of the names, and logprobs for
 * a confidence. Servers differ in what they accept, so when a 400 names one of those parameters (or names none
 * while some are on) the request is sent once more without them, and they stay off only if that retry works.
 * Replies parse as JSON `{"label"}` or a bare label (trimmed, quotes and a final period removed, matched case-
 * insensitively); anything else is `label: null`, i.e. unsure. Retries are the labeler's own (the SDK's are
 * off) so that every attempt is counted and backed off alike.
 */
export function createOpenAiLabeler(options: OpenAiLabelerOptions): OpenAiLabeler {
  const labels = options.labels.map((label) => label.name);
  if (labels.length < 2) {
    throw new SlmkitError(
      "INVALID_OPTION",
      `an LLM labeler needs at least two labels to choose from, got ${labels.length}; list them under \`labels\`.`,
      { field: "labels" },
    );
  }
  const byLowerName = new Map(labels.map((name) => [name.toLowerCase(), name]));
  const parameters: OptionalParameter[] = ["temperature", "max_tokens"];
  if (options.logprobs ?? true) parameters.push("logprobs");
  if (options.structuredOutput ?? true) parameters.push("response_format");
  const endpoint = createChatEndpoint<OptionalParameter>(options, {
    parameters,
    refusals: labelerRefusals,
    // A 400 that names nothing while logprobs or structured output are on most likely refuses one of them.
    blamedWhenUnnamed: [["logprobs"], ["response_format"]],
  });
  // Enough for `{"label": "<longest name>"}` even at one token per character, small enough to cap a chatty reply.
  const maxTokens = 16 + Math.max(...labels.map((name) => name.length));
  // The prompt (every label with its description) and the schema are the same for every call: built once.
  const fixedParts = createFixedParts(options.labels);

  return {
    model: options.model,
    reference: endpoint.reference,
    labels,
    priced: endpoint.priced,
    parameters: () => endpoint.parameters(),
    async warmUp(warmUpTimeoutMs = defaultWarmUpTimeoutMs) {
      // The reply code's first run (JSON, regular expressions) on a made-up completion, off the request path.
      const sample = JSON.stringify({
        choices: [{ message: { content: JSON.stringify({ label: labels[0] }) }, logprobs: null }],
        usage: { prompt_tokens: 1, completion_tokens: 1 },
      });
      const parsed = parseCompletion(sample, 200, endpoint.where);
      parseLabelReply(parsed.content ?? "", byLowerName);
      buildRequest(options.model, fixedParts, "warm-up", new Set(endpoint.parameters()), maxTokens);
      await endpoint.ping(warmUpTimeoutMs);
    },
    async classify(text: string, signal?: AbortSignal): Promise<LlmLabel> {
      const started = performance.now();
      const completion = await endpoint.complete(
        (enabled) => buildRequest(options.model, fixedParts, text, enabled, maxTokens),
        signal,
      );
      return { ...labelOf(completion), latencyMs: performance.now() - started };
    },
    request: (text) =>
      buildRequest(options.model, fixedParts, text, new Set(endpoint.parameters()), maxTokens),
    readCompletion: (body) => ({
      ...labelOf(parseCompletion(JSON.stringify(body), 200, endpoint.where)),
      latencyMs: 0,
    }),
  };

  /** A completion's label as the labeler reads it, with its tokens and cost. */
  function labelOf(completion: ParsedCompletion): Omit<LlmLabel, "latencyMs"> {
    const content = completion.content ?? "";
    const parsed = parseLabelReply(content, byLowerName);
    return {
      label: parsed?.label ?? null,
      confidence:
        parsed === undefined ? null : confidenceFromLogprobs(content, parsed.raw, completion.logprobs),
      raw: truncateRaw(content),
      inputTokens: completion.inputTokens,
      outputTokens: completion.outputTokens,
      costUsd: endpoint.cost(completion.inputTokens, completion.outputTokens),
    };
  }
}

/** Labeler options from a validated use case's `llm` section and labels; the API key is the caller's to read. */
export function labelerOptionsFromUseCase(
  useCase: UseCase,
  apiKey: string | undefined,
): OpenAiLabelerOptions | undefined {
  const llm = useCase.llm;
  if (llm === undefined || useCase.labels === undefined) return undefined;
  return { ...endpointOptionsFromLlm(llm, apiKey), labels: useCase.labels };
}

/** The parts of every request that depend only on the label set. Shared by every call; never mutated. */
interface FixedParts {
  structuredPrompt: string;
  plainPrompt: string;
  responseFormat: NonNullable<ChatCompletionCreateParamsNonStreaming["response_format"]>;
}

function createFixedParts(labels: readonly LabelDefinition[]): FixedParts {
  return {
    structuredPrompt: systemPrompt(labels, true),
    plainPrompt: systemPrompt(labels, false),
    responseFormat: {
      type: "json_schema",
      json_schema: {
        name: "label",
        strict: true,
        schema: {
          type: "object",
          properties: { label: { type: "string", enum: labels.map((label) => label.name) } },
          required: ["label"],
          additionalProperties: false,
        },
      },
    },
  };
}

function buildRequest(
  model: string,
  fixedParts: FixedParts,
  text: string,
  parameters: ReadonlySet<OptionalParameter>,
  maxTokens: number,
): ChatCompletionCreateParamsNonStreaming {
  const structured = parameters.has("response_format");
  const body: ChatCompletionCreateParamsNonStreaming = {
    model,
    messages: [
      { role: "system", content: structured ? fixedParts.structuredPrompt : fixedParts.plainPrompt },
      { role: "user", content: text },
    ],
  };
  if (parameters.has("temperature")) body.temperature = 0;
  if (parameters.has("max_tokens")) body.max_tokens = maxTokens;
  if (parameters.has("logprobs")) body.logprobs = true;
  if (structured) body.response_format = fixedParts.responseFormat;
  return body;
}

/** The system message: the task, the labels with their descriptions, and the reply format. */
export function systemPrompt(labels: readonly LabelDefinition[], structured: boolean): string {
  const lines = [
    "You are a text classifier. Read the user's message and choose the one label below that fits it best.",
    "",
    "Labels:",
    ...labels.map((label) =>
      label.description === undefined || label.description === ""
        ? `- ${label.name}`
        : `- ${label.name}: ${label.description}`,
    ),
    "",
    structured
      ? 'Reply with JSON {"label": "<label name>"} and nothing else, the name written exactly as listed.'
      : "Reply with the label name only, written exactly as listed, and nothing else.",
  ];
  return lines.join("\n");
}

/**
 * The system message and reply a model fine-tuned to be this labeler should learn: the labeler's own structured
 * prompt and `{"label": "<name>"}`, so the fine-tuned model, asked through the labeler (`openai:<model>@<url>`),
 * sees exactly the prompt it was trained on and answers in the format the labeler parses.
 */
export function labelerTrainingFormat(labels: readonly LabelDefinition[]): {
  systemPrompt: string;
  reply: (label: string) => string;
} {
  return { systemPrompt: systemPrompt(labels, true), reply: (label) => JSON.stringify({ label }) };
}

// ---------------------------------------------------------------------------------------------------------------
// Replies

/**
 * The label a reply names: JSON `{"label": …}`, a JSON string, or a bare name, in or out of a code fence;
 * trimmed, a final period dropped, matched case-insensitively. `raw` is the name as written in the reply.
 * Undefined when the reply names no label of the set.
 */
export function parseLabelReply(
  content: string,
  byLowerName: ReadonlyMap<string, string>,
): { label: string; raw: string } | undefined {
  let text = content.trim();
  const fenced = /^```[a-z]*\s*([\s\S]*?)\s*```$/i.exec(text);
  if (fenced !== null) text = (fenced[1] ?? "").trim();
  let candidate: string;
  if (text.startsWith("{") || text.startsWith('"')) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return undefined;
    }
    if (typeof value === "string") candidate = value;
    else if (isRecord(value) && typeof value.label === "string") candidate = value.label;
    else return undefined;
  } else {
    candidate = text.replace(/^['`]|['`]$/g, "").replace(/\.$/, "");
  }
  const raw = candidate.trim();
  const label = byLowerName.get(raw.toLowerCase());
  return label === undefined ? undefined : { label, raw };
}

/**
 * The probability the model gave the label's own tokens: exp of the summed logprobs of every token that
 * overlaps the label's characters in the reply. With the schema fixing everything around the label, this is
 * the model's probability of the label itself. Null when the server sent no usable logprobs.
 */
export function confidenceFromLogprobs(
  content: string,
  rawLabel: string,
  logprobs: readonly TokenLogprob[] | null,
): number | null {
  if (logprobs === null || logprobs.length === 0) return null;
  if (logprobs.map((entry) => entry.token).join("") !== content) return null;
  // In JSON the value follows the colon; searching there keeps a label named "label" off the key.
  const colon = content.trimStart().startsWith("{") ? content.indexOf(":") : -1;
  const start = content.indexOf(rawLabel, colon + 1);
  if (start === -1) return null;
  const end = start + rawLabel.length;
  let sum = 0;
  let position = 0;
  for (const entry of logprobs) {
    const tokenEnd = position + entry.token.length;
    if (tokenEnd > start && position < end) sum += entry.logprob;
    position = tokenEnd;
  }
  return Math.min(1, Math.max(0, Math.exp(sum)));
}
