// An LLM FAQ answerer over any OpenAI-compatible chat endpoint: it picks the entry, the FAQ's own words answer.

import type {
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionMessageParam,
} from "openai/resources/chat/completions";
import { z } from "zod";
import { compileSlots, type FaqAnswer, fillPlaceholders, placeholdersOf } from "../../data/faq.js";
import { SlmkitError } from "../../errors.js";
import type { UseCase } from "../../spec/schema.js";
import { LlmError } from "../llm-error.js";
import {
  type ChatEndpointOptions,
  createChatEndpoint,
  defaultWarmUpTimeoutMs,
  endpointOptionsFromLlm,
  type ParsedCompletion,
  parseCompletion,
  parseJsonReply,
  type RefusalRule,
  truncateRaw,
} from "./chat-endpoint.js";
import { confidenceFromLogprobs } from "./openai-labeler.js";

export interface OpenAiAnswererOptions extends ChatEndpointOptions {
  /** The FAQ: at least one entry; `{name}` placeholders in an answer are its slots. A repeated label keeps its first entry. */
  faq: readonly FaqAnswer[];
  /** More asks when a reply does not validate (not JSON, no label). Default 1. */
  maxInvalidReplies?: number;
  /** Ask for token log-probabilities, the source of `confidence`. Default true; dropped when the server refuses. */
  logprobs?: boolean;
  /** The longest slot value put into an answer, in characters. Default 100. */
  maxSlotLength?: number;
}

/** The request parameters a server may refuse and the answerer can do without. */
export type AnswererParameter = "json_schema" | "json_object" | "logprobs" | "temperature" | "max_tokens";

/** Why an answer is null. */
export type AnswerUnsureReason =
  /** The model said no entry answers the question. */
  | "none"
  /** The model named a label that is not in the FAQ. */
  | "unknown-label"
  /** The entry has a `{slot}` that neither the model (with a value the question holds), its pattern nor its fallback filled. */
  | "missing-slot"
  /** No reply validated. */
  | "invalid-reply";

export interface OpenAiAnswer {
  /** The FAQ entry the model chose; null when it chose none, or one that is not in the FAQ (unsure). */
  label: string | null;
  /** The entry's answer with its slots filled; null when unsure (see `reason`). Never text the model wrote. */
  answer: string | null;
  /** The model's probability of the label's tokens when the server gives logprobs; otherwise null. */
  confidence: number | null;
  /** Null when answered. */
  reason: AnswerUnsureReason | null;
  /** The last reply as received (truncated to 200 characters). */
  raw: string;
  /** Calls made, retries included. */
  attempts: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  latencyMs: number;
}

export interface OpenAiAnswerer {
  readonly model: string;
  /** `openai:<model>@<baseUrl>`. */
  readonly reference: string;
  /** The FAQ's labels, in FAQ order, each once. */
  readonly labels: readonly string[];
  /** True when both token prices are known; otherwise `costUsd` leaves out the unpriced tokens. */
  readonly priced: boolean;
  /** The optional parameters still sent: those the server refused with a 400 are dropped for good. */
  parameters(): AnswererParameter[];
  /** Answers one question from the FAQ; a transport failure after the retries throws an LlmError. */
  answer(text: string, signal?: AbortSignal): Promise<OpenAiAnswer>;
  /** Like the labeler's: readies the code and a kept-alive connection. Never throws. */
  warmUp(timeoutMs?: number): Promise<void>;
}

/** The label the model gives when no entry answers. */
export const noAnswerLabel = "none";

const answererRefusals: readonly RefusalRule<AnswererParameter>[] = [
  { pattern: /logprob/, parameters: ["logprobs"] },
  {
    pattern: /response_format|json_schema|json_object|structured output/,
    parameters: ["json_schema", "json_object"],
  },
  { pattern: /temperature/, parameters: ["temperature"] },
  { pattern: /max_tokens/, parameters: ["max_tokens"] },
];

interface PreparedEntry {
  entry: FaqAnswer;
  placeholders: string[];
  patterns: Map<string, RegExp>;
}

/**
 * Creates an answerer that shows the model the FAQ (labels and answer texts) and asks for the label of the
 * entry that answers the question, or "none", plus the values of the entry's `{slot}` placeholders as written
 * in the question; a strict JSON schema (label an enum of the FAQ's labels and "none") when the server takes it,
 * `json_object` or the prompt alone when it does not. The answer is the FAQ's text with the slots filled, so the
 * model never writes policy text; a slot value must appear in the question (else the slot's pattern, then its
 * fallback, is used), so it cannot smuggle words in either. An FAQ entry labelled "none" takes that label.
 */
export function createOpenAiAnswerer(options: OpenAiAnswererOptions): OpenAiAnswerer {
  const entries = prepareFaq(options.faq);
  const labels = [...entries.keys()];
  const byLowerLabel = new Map(labels.map((label) => [label.toLowerCase(), label]));
  const slotNames = [...new Set([...entries.values()].flatMap((prepared) => prepared.placeholders))];
  const maxInvalidReplies = Math.max(0, Math.floor(options.maxInvalidReplies ?? 1));
  const maxSlotLength = options.maxSlotLength ?? 100;
  const parameters: AnswererParameter[] = ["json_schema", "json_object", "temperature", "max_tokens"];
  if (options.logprobs ?? true) parameters.push("logprobs");
  const endpoint = createChatEndpoint<AnswererParameter>(options, {
    parameters,
    refusals: answererRefusals,
    blamedWhenUnnamed: [["logprobs"], ["json_schema", "json_object"]],
  });
  const systemPrompt = answerPrompt(
    [...entries.values()].map((prepared) => prepared.entry),
    slotNames,
  );
  const responseFormat = answerJsonSchema(labels, slotNames);
  // The longest label, every slot at its longest, and the JSON around them, at one token per character at worst.
  const maxTokens = 32 + Math.max(...labels.map((label) => label.length)) + slotNames.length * 48;

  const buildRequest = (
    messages: ChatCompletionMessageParam[],
    enabled: ReadonlySet<AnswererParameter>,
  ): ChatCompletionCreateParamsNonStreaming => {
    const body: ChatCompletionCreateParamsNonStreaming = { model: options.model, messages };
    if (enabled.has("temperature")) body.temperature = 0;
    if (enabled.has("max_tokens")) body.max_tokens = maxTokens;
    if (enabled.has("logprobs")) body.logprobs = true;
    if (enabled.has("json_schema")) body.response_format = responseFormat;
    else if (enabled.has("json_object")) body.response_format = { type: "json_object" };
    return body;
  };

  /** The answer a valid reply gives: the entry's text with its slots filled, or why there is none. */
  const resolve = (
    reply: AnswerReply,
    question: string,
  ): Pick<OpenAiAnswer, "label" | "answer" | "reason"> => {
    const label = byLowerLabel.get(reply.label.trim().toLowerCase());
    if (label === undefined) {
      const none = reply.label.trim().toLowerCase() === noAnswerLabel;
      return { label: null, answer: null, reason: none ? "none" : "unknown-label" };
    }
    const prepared = entries.get(label) as PreparedEntry;
    const answer = fillSlots(prepared, question, reply.slots, maxSlotLength);
    return answer === null
      ? { label, answer: null, reason: "missing-slot" }
      : { label, answer, reason: null };
  };

  return {
    model: options.model,
    reference: endpoint.reference,
    labels,
    priced: endpoint.priced,
    parameters: () => endpoint.parameters(),
    async warmUp(warmUpTimeoutMs = defaultWarmUpTimeoutMs) {
      const sample = JSON.stringify({ label: labels[0], slots: {} });
      const parsed = parseCompletion(
        JSON.stringify({ choices: [{ message: { content: sample } }] }),
        200,
        endpoint.where,
      );
      const reply = checkAnswerReply(parsed);
      if (reply !== undefined) resolve(reply, "warm-up");
      buildRequest([{ role: "user", content: "warm-up" }], new Set(endpoint.parameters()));
      await endpoint.ping(warmUpTimeoutMs);
    },
    async answer(text: string, signal?: AbortSignal): Promise<OpenAiAnswer> {
      const started = performance.now();
      const messages: ChatCompletionMessageParam[] = [
        { role: "system", content: systemPrompt },
        { role: "user", content: text },
      ];
      let attempts = 0;
      let inputTokens = 0;
      let outputTokens = 0;
      let raw = "";
      const result = (
        outcome: Pick<OpenAiAnswer, "label" | "answer" | "reason">,
        confidence: number | null,
      ): OpenAiAnswer => ({
        ...outcome,
        confidence,
        raw: truncateRaw(raw),
        attempts,
        inputTokens,
        outputTokens,
        costUsd: endpoint.cost(inputTokens, outputTokens),
        latencyMs: performance.now() - started,
      });
      const invalid = { label: null, answer: null, reason: "invalid-reply" } as const;
      for (let ask = 0; ask <= maxInvalidReplies; ask++) {
        let completion: ParsedCompletion;
        try {
          completion = await endpoint.complete(
            (enabled) => buildRequest(messages, enabled),
            signal,
            () => {
              attempts += 1;
            },
          );
        } catch (error) {
          // As in the extractor: a failed re-ask ends an already unsure answer, with its tokens counted.
          if (ask === 0 || signal?.aborted || !LlmError.isLlmError(error)) throw error;
          return result(invalid, null);
        }
        inputTokens += completion.inputTokens;
        outputTokens += completion.outputTokens;
        raw = completion.content ?? "";
        const reply = checkAnswerReply(completion);
        if (reply !== undefined) {
          const outcome = resolve(reply, text);
          const confidence =
            outcome.label === null ? null : confidenceFromLogprobs(raw, reply.label, completion.logprobs);
          return result(outcome, confidence);
        }
        if (raw !== "") messages.push({ role: "assistant", content: raw });
        messages.push({
          role: "user",
          content: `That reply is not valid. Reply again with only the JSON object: {"label": "<an FAQ label or none>"${slotNames.length > 0 ? ', "slots": {…}' : ""}}.`,
        });
      }
      return result(invalid, null);
    },
  };
}

/** Answerer options from a validated use case's `llm` section and its FAQ entries (read from its `faq` file); the key is the caller's to read. */
export function answererOptionsFromUseCase(
  useCase: UseCase,
  faq: readonly FaqAnswer[],
  apiKey: string | undefined,
): OpenAiAnswererOptions | undefined {
  const llm = useCase.llm;
  if (llm === undefined) return undefined;
  return { ...endpointOptionsFromLlm(llm, apiKey), faq };
}

// ---------------------------------------------------------------------------------------------------------------
// FAQ, prompt and schema

function prepareFaq(faq: readonly FaqAnswer[]): Map<string, PreparedEntry> {
  if (faq.length === 0) {
    throw new SlmkitError(
      "INVALID_OPTION",
      "an LLM answerer needs at least one FAQ entry; give the use case's `faq` file.",
      { field: "faq" },
    );
  }
  const entries = new Map<string, PreparedEntry>();
  for (const entry of faq) {
    if (entries.has(entry.label)) continue;
    entries.set(entry.label, { entry, placeholders: placeholdersOf(entry), patterns: compileSlots(entry) });
  }
  return entries;
}

/** The system message: the FAQ, the rule that the model only chooses, and the reply format. */
export function answerPrompt(faq: readonly FaqAnswer[], slotNames: readonly string[]): string {
  const slotsFormat =
    slotNames.length === 0
      ? ""
      : `, "slots": {${slotNames.map((name) => `"${name}": <value or null>`).join(", ")}}`;
  return [
    "You route customer questions to the FAQ entry that answers them. You never write an answer yourself.",
    "",
    "FAQ entries (label: answer):",
    ...faq.map((entry) => `- ${entry.label}: ${entry.answer.replace(/\s+/g, " ").trim()}`),
    "",
    `Reply with one JSON object {"label": "<label>"${slotsFormat}} and nothing else.`,
    `The label is the one of the entry that answers the question, written exactly as listed, or "${noAnswerLabel}" when no entry does.`,
    ...(slotNames.length === 0
      ? []
      : [
          "When the chosen entry's answer has {placeholders}, give each one's value exactly as written in the question, or null when the question does not state it; give null for every other slot.",
        ]),
  ].join("\n");
}

function answerJsonSchema(
  labels: readonly string[],
  slotNames: readonly string[],
): NonNullable<ChatCompletionCreateParamsNonStreaming["response_format"]> {
  const choices = labels.some((label) => label.toLowerCase() === noAnswerLabel)
    ? labels
    : [...labels, noAnswerLabel];
  const properties: Record<string, unknown> = { label: { type: "string", enum: choices } };
  if (slotNames.length > 0) {
    properties.slots = {
      type: "object",
      properties: Object.fromEntries(slotNames.map((name) => [name, { type: ["string", "null"] }])),
      required: slotNames,
      additionalProperties: false,
    };
  }
  return {
    type: "json_schema",
    json_schema: {
      name: "faq_answer",
      strict: true,
      schema: { type: "object", properties, required: Object.keys(properties), additionalProperties: false },
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Replies

/** A reply: the label, and slot values (a number stands for its digits; servers without a schema write them so). */
const answerReplyValidator = z.object({
  label: z.string(),
  slots: z
    .record(z.string(), z.union([z.string(), z.number().transform(String)]).nullable())
    .nullable()
    .optional(),
});

type AnswerReply = z.output<typeof answerReplyValidator>;

function checkAnswerReply(completion: ParsedCompletion): AnswerReply | undefined {
  if (completion.content === null) return undefined;
  const checked = answerReplyValidator.safeParse(parseJsonReply(completion.content));
  return checked.success ? checked.data : undefined;
}

/**
 * The entry's answer with every placeholder filled: the model's value when the question holds it (so nothing
 * the question does not say gets into the answer), else the slot's pattern matched on the question, else its
 * fallback. Null when a placeholder stays empty.
 */
function fillSlots(
  prepared: PreparedEntry,
  question: string,
  values: AnswerReply["slots"],
  maxSlotLength: number,
): string | null {
  const collapsed = collapse(question);
  return fillPlaceholders(prepared.entry, prepared.patterns, question, (name) => {
    const given = collapse(values?.[name] ?? "");
    if (given === "" || given.length > maxSlotLength) return undefined;
    // The question's own characters go into the answer, not the model's spelling of them.
    return new RegExp(given.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "iu").exec(collapsed)?.[0];
  });
}

function collapse(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}
