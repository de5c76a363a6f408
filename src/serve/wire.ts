// Wire formats of the HTTP API: validation of what comes in (zod) and the shapes of what goes out.

import { z } from "zod";
import { checkFieldValues, type FieldValues } from "../route/extract-router.js";
import { keepAnswer, keepFields, logCopy, reviewCopy, strictestPrivacy } from "../route/stored-text.js";
import type { RouteResult } from "../route/types.js";
import { badRequest, repeatedParameter } from "./errors.js";
import type { UseCaseRuntime } from "./runtime.js";

const textPart = z.object({ type: z.literal("text"), text: z.string() }).passthrough();
const roleNames = ["system", "developer", "user", "assistant", "tool"] as const;
const message = z
  .object({
    role: z.enum(roleNames),
    content: z.union([
      z.string(),
      z.array(z.union([textPart, z.object({ type: z.string() }).passthrough()])),
      z.null(),
    ]),
  })
  .passthrough();

export const chatCompletionRequest = z
  .object({
    model: z.string().min(1),
    messages: z.array(message).min(1),
    stream: z.boolean().optional(),
  })
  .passthrough();

export type ChatCompletionRequest = z.infer<typeof chatCompletionRequest>;

const roles: ReadonlySet<unknown> = new Set(roleNames);

/**
 * The chat request as `chatCompletionRequest` reads it, or undefined when it is not the common shape (a
 * non-empty model, messages whose content is a string or null, `stream` a boolean or absent): only then is
 * zod's parse worth its cost (2% of the gateway's CPU at peak), and zod alone words the errors. Whatever this
 * accepts zod accepts too, with the same values (a property test holds it to that).
 */
export function commonChatRequest(body: unknown): ChatCompletionRequest | undefined {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return undefined;
  const { model, messages, stream } = body as Record<string, unknown>;
  if (typeof model !== "string" || model.length === 0) return undefined;
  if (stream !== undefined && typeof stream !== "boolean") return undefined;
  if (!Array.isArray(messages) || messages.length === 0) return undefined;
  for (const message of messages) {
    if (typeof message !== "object" || message === null || Array.isArray(message)) return undefined;
    const { role, content } = message as Record<string, unknown>;
    if (!roles.has(role) || (typeof content !== "string" && content !== null)) return undefined;
  }
  return body as ChatCompletionRequest;
}

/** A chat request body, validated: the common shape directly, anything else through zod (a 400 when invalid). */
export function parseChatRequest(body: unknown): ChatCompletionRequest {
  return commonChatRequest(body) ?? parseBody(chatCompletionRequest, body);
}

export const predictRequest = z.object({ texts: z.array(z.string()).min(1).max(256) }).strict();
export const feedbackRequest = z
  .object({
    request_id: z.string().min(1),
    label: z.string().min(1).optional(),
    answer: z.string().min(1).optional(),
  })
  .strict()
  .refine((value) => value.label !== undefined || value.answer !== undefined, {
    message: "give label or answer",
  });
export const reviewResolution = z.object({ label: z.string().min(1) }).strict();

/** Parses a body with a zod schema; the first problem becomes a 400 naming the parameter. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const param = issue?.path.join(".") ?? null;
  throw badRequest(
    "invalid_value",
    `${param ? `${param}: ` : ""}${issue?.message ?? "invalid request body"}`,
    param || null,
  );
}

/** The fields clients of an extract use case get: its schema's, else the model's. */
function fieldNamesOf(useCase: UseCaseRuntime): readonly string[] {
  return useCase.spec.schema?.fields.map((field) => field.name) ?? useCase.model.labels;
}

/**
 * The right answer to an extract use case's request, every field present (absent ones null), or a 400: `text`
 * must be a JSON object whose keys are field names and whose values are strings, numbers or null. `what` names
 * the request or review item it answers, `param` the body field it came in.
 */
export function fieldsAnswer(
  useCase: UseCaseRuntime,
  text: string,
  what: string,
  param: string,
): FieldValues {
  const names = fieldNamesOf(useCase);
  let problem: string;
  try {
    const checked = checkFieldValues(JSON.parse(text), names);
    if ("fields" in checked) return checked.fields;
    problem = checked.problem;
  } catch {
    problem = "not valid JSON";
  }
  const example = JSON.stringify(Object.fromEntries(names.slice(0, 2).map((name) => [name, "…"])));
  throw badRequest(
    "invalid_fields",
    `${what} is of the extract use case "${useCase.id}": give a JSON object of its fields (${names.join(", ")}) as a string, e.g. ${example}; this one is ${problem}.`,
    param,
  );
}

/**
 * A right answer given to the gateway (feedback, a review's resolution) as the store keeps it: an extract use
 * case's record checked (a 400 when it does not fit) and its values kept as the copy keeps text (`"log"` for
 * feedback, `"review"` for a resolution), a label or answer PII-redacted when `privacy.redactPii` (see
 * ../route/stored-text.ts). A use case the gateway no longer serves is kept under the strictest settings.
 */
export function storedAnswer(
  useCase: UseCaseRuntime | undefined,
  given: string,
  copy: "log" | "review",
  what: string,
  param: string,
): string {
  const privacy = useCase?.spec.privacy ?? strictestPrivacy;
  if (useCase?.spec.task !== "extract") return keepAnswer(given, privacy);
  const fields = fieldsAnswer(useCase, given, what, param);
  return JSON.stringify(keepFields(fields, copy === "log" ? logCopy(privacy) : reviewCopy(privacy)));
}

/** The input of a chat request: the text of the last user message. */
export function lastUserText(request: ChatCompletionRequest): string {
  let last: ChatCompletionRequest["messages"][number] | undefined;
  for (let index = request.messages.length - 1; index >= 0 && last === undefined; index--) {
    if (request.messages[index]?.role === "user") last = request.messages[index];
  }
  if (last === undefined)
    throw badRequest("missing_user_message", "messages must contain a user message.", "messages");
  const content = last.content;
  const text =
    typeof content === "string"
      ? content
      : (content ?? [])
          .map((part) => (part.type === "text" && typeof part.text === "string" ? part.text : ""))
          .join("\n");
  if (text.trim() === "") throw badRequest("empty_message", "the last user message is empty.", "messages");
  return text;
}

/** slmkit's extra response fields: who answered, why, and what it cost. */
export function decisionFields(result: RouteResult) {
  // One plain literal (a conditional spread would put it on V8's slow path). `fields` is undefined except for
  // extract use cases, and JSON leaves an undefined value out.
  return {
    request_id: result.requestId,
    answered_by: result.answeredBy,
    reason: result.reason,
    label: result.label,
    confidence: result.confidence,
    threshold: result.threshold,
    flagged: result.flagged,
    review_id: result.reviewId,
    slm: result.slm,
    llm: result.llm,
    // Extract use cases only: the same fields `label` holds as JSON, as an object.
    fields: result.fields,
    latency_ms: result.latencyMs,
    cost_usd: result.costUsd,
    model_version: result.modelVersion,
  };
}

/** The reply's text: an answer use case's answer (or any holding answer), a label, or an extraction's JSON. */
export function replyText(result: RouteResult): string {
  return result.answer ?? result.label ?? "";
}

export function chatCompletion(result: RouteResult, model: string, created: number) {
  const content = replyText(result);
  return {
    id: `chatcmpl-${result.requestId}`,
    object: "chat.completion" as const,
    created,
    model,
    choices: [
      {
        index: 0,
        message: { role: "assistant" as const, content, refusal: null },
        logprobs: null,
        finish_reason: "stop" as const,
      },
    ],
    usage: {
      prompt_tokens: result.inputTokens,
      completion_tokens: result.outputTokens,
      total_tokens: result.inputTokens + result.outputTokens,
    },
    slmkit: decisionFields(result),
  };
}

/** The SSE events of a streamed reply: role, content, then the finish chunk carrying the decision fields. */
export function chatCompletionChunks(result: RouteResult, model: string, created: number): unknown[] {
  const base = {
    id: `chatcmpl-${result.requestId}`,
    object: "chat.completion.chunk" as const,
    created,
    model,
  };
  return [
    {
      ...base,
      choices: [{ index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }],
    },
    {
      ...base,
      choices: [{ index: 0, delta: { content: replyText(result) }, logprobs: null, finish_reason: null }],
    },
    {
      ...base,
      choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }],
      slmkit: decisionFields(result),
    },
  ];
}

/**
 * A query parameter's value, undefined when absent; one given more than once (`?usecase=a&usecase=b`, which
 * Fastify reads as a list) is a 400 naming it, never a list passed on to the store.
 */
export function queryParameter(query: unknown, name: string): string | undefined {
  const value = (query as Record<string, unknown> | undefined)?.[name];
  if (value === undefined || typeof value === "string") return value;
  throw repeatedParameter(name);
}
