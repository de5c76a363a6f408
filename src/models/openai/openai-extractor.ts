// An LLM extractor over any OpenAI-compatible chat endpoint: the use case's fields as JSON, validated with zod.

import type {
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionMessageParam,
} from "openai/resources/chat/completions";
import { z } from "zod";
import { SlmkitError } from "../../errors.js";
import type { FieldType, UseCase } from "../../spec/schema.js";
import type { LlmExtraction, LlmExtractor } from "../llm.js";
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

/** One field to extract, as usecase.yaml's `schema.fields[]` declares it. */
export interface ExtractorField {
  /** The key in the extracted JSON. */
  name: string;
  type: FieldType;
  /**
   * Shown to the model as required. The value may still be null (the text may not hold it): deciding that a
   * record without it is incomplete is the caller's (the router escalates such records). Default false.
   */
  required?: boolean | undefined;
  /** One line on what the field holds; the prompt and the schema show it. */
  description?: string | undefined;
}

export interface OpenAiExtractorOptions extends ChatEndpointOptions {
  /** The fields to extract; at least one, unique names. */
  fields: readonly ExtractorField[];
  /**
   * More asks when a reply does not validate (not JSON, a key missing, a value of the wrong type); each one
   * shows the model its reply and what was wrong. Default 1. Transport failures are `maxRetries`' business.
   */
  maxInvalidReplies?: number;
  /** `max_tokens` of each ask. Default 64 + 64 per field. */
  maxOutputTokens?: number;
}

/** The request parameters a server may refuse and the extractor can do without (json_schema falls back to json_object). */
export type ExtractorParameter = "json_schema" | "json_object" | "temperature" | "max_tokens";

/** An extraction with the reason it failed, on top of the router's contract. */
export interface OpenAiExtraction extends LlmExtraction {
  /** Why the last reply did not validate (or the retry ask failed); null when `fields` is set. */
  problem: string | null;
}

export interface OpenAiExtractor extends LlmExtractor {
  /** `openai:<model>@<baseUrl>`. */
  readonly reference: string;
  readonly fields: readonly ExtractorField[];
  /** True when both token prices are known; otherwise `costUsd` leaves out the unpriced tokens. */
  readonly priced: boolean;
  /** The optional parameters still sent: those the server refused with a 400 are dropped for good. */
  parameters(): ExtractorParameter[];
  extract(text: string, signal?: AbortSignal): Promise<OpenAiExtraction>;
  /**
   * Readies the first call: runs the request and validation code once on a made-up reply and sends one
   * `GET <baseUrl>/models` (its answer, even an error, is ignored) to leave a kept-alive connection. Never
   * throws; gives up after `timeoutMs` (default 2,000).
   */
  warmUp(timeoutMs?: number): Promise<void>;
}

/** How 400s name the extractor's optional parameters: a refused response format steps down one level. */
const extractorRefusals: readonly RefusalRule<ExtractorParameter>[] = [
  {
    pattern: /response_format|json_schema|json_object|structured output/,
    parameters: ["json_schema", "json_object"],
  },
  { pattern: /temperature/, parameters: ["temperature"] },
  { pattern: /max_tokens/, parameters: ["max_tokens"] },
];

/** What each type means to the model: the JSON it should write. */
const typeHints: Record<FieldType, string> = {
  string: "text",
  date: "a date, as written in the text or as YYYY-MM-DD",
  time: "a time, as written in the text or as HH:MM",
  integer: "a whole number",
  number: "a number",
  money: "an amount as a JSON number, without currency sign or thousands separators",
  quantity: "a count or measure as a JSON number, without its unit",
  code: "an identifier, exactly as written",
};

const numericTypes: ReadonlySet<FieldType> = new Set(["integer", "number", "money", "quantity"]);

/**
 * Creates an extractor that asks for one JSON object with every field (null when the text does not state it):
 * a system prompt naming each field with its type and description, `temperature: 0`, and a strict JSON schema
 * (every property required and nullable, as strict mode demands). A server that refuses `json_schema` gets
 * `{"type": "json_object"}`, and one that refuses that too gets the prompt alone; the step down is kept once
 * a request without the refused format works. Whatever the server promises, the reply is validated with zod
 * (grammar-constrained servers let through exponents and fractions in integers, some drop keys): strings for
 * string/date/time/code, finite numbers for the numeric types (whole for integer), unknown keys dropped, a
 * missing key invalid. An invalid reply is asked again `maxInvalidReplies` times; then `fields` is null.
 * Transport failures (429, 5xx, timeouts) are retried `maxRetries` times and then thrown as LlmError.
 */
export function createOpenAiExtractor(options: OpenAiExtractorOptions): OpenAiExtractor {
  const fields = checkFields(options.fields);
  const maxInvalidReplies = Math.max(0, Math.floor(options.maxInvalidReplies ?? 1));
  const maxTokens = options.maxOutputTokens ?? 64 + 64 * fields.length;
  const endpoint = createChatEndpoint<ExtractorParameter>(options, {
    parameters: ["json_schema", "json_object", "temperature", "max_tokens"],
    refusals: extractorRefusals,
    // A bare 400 while a response format is on most likely refuses it.
    blamedWhenUnnamed: [["json_schema", "json_object"]],
  });
  const systemPrompt = extractionPrompt(fields);
  const responseFormat = jsonSchemaFormat(fields);
  const validator = extractionRecordValidator(fields);

  const buildRequest = (
    messages: ChatCompletionMessageParam[],
    parameters: ReadonlySet<ExtractorParameter>,
  ): ChatCompletionCreateParamsNonStreaming => {
    const body: ChatCompletionCreateParamsNonStreaming = { model: options.model, messages };
    if (parameters.has("temperature")) body.temperature = 0;
    if (parameters.has("max_tokens")) body.max_tokens = maxTokens;
    if (parameters.has("json_schema")) body.response_format = responseFormat;
    else if (parameters.has("json_object")) body.response_format = { type: "json_object" };
    return body;
  };

  return {
    model: options.model,
    reference: endpoint.reference,
    fields,
    priced: endpoint.priced,
    parameters: () => endpoint.parameters(),
    async warmUp(warmUpTimeoutMs = defaultWarmUpTimeoutMs) {
      // The reply and validation code's first run on a made-up completion, off the request path.
      const sample = Object.fromEntries(fields.map((field) => [field.name, null]));
      const parsed = parseCompletion(
        JSON.stringify({ choices: [{ message: { content: JSON.stringify(sample) } }] }),
        200,
        endpoint.where,
      );
      checkReply(parsed, validator, maxTokens);
      buildRequest([{ role: "user", content: "warm-up" }], new Set(endpoint.parameters()));
      await endpoint.ping(warmUpTimeoutMs);
    },
    async extract(text: string, signal?: AbortSignal): Promise<OpenAiExtraction> {
      const started = performance.now();
      const messages: ChatCompletionMessageParam[] = [
        { role: "system", content: systemPrompt },
        { role: "user", content: text },
      ];
      let attempts = 0;
      let inputTokens = 0;
      let outputTokens = 0;
      let raw = "";
      let problem = "";
      const result = (values: Record<string, string | number | null> | null): OpenAiExtraction => ({
        fields: values,
        raw: truncateRaw(raw),
        attempts,
        inputTokens,
        outputTokens,
        costUsd: endpoint.cost(inputTokens, outputTokens),
        latencyMs: performance.now() - started,
        problem: values === null ? problem : null,
      });
      for (let ask = 0; ask <= maxInvalidReplies; ask++) {
        let completion: ParsedCompletion;
        try {
          completion = await endpoint.complete(
            (parameters) => buildRequest(messages, parameters),
            signal,
            () => {
              attempts += 1;
            },
          );
        } catch (error) {
          // The first ask failing is a transport failure for the caller; a later one ends an extraction whose
          // replies were invalid anyway, and returning it keeps the tokens already spent on the books.
          if (ask === 0 || signal?.aborted || !LlmError.isLlmError(error)) throw error;
          problem = `${problem}; asking again failed: ${error.message}`;
          return result(null);
        }
        inputTokens += completion.inputTokens;
        outputTokens += completion.outputTokens;
        raw = completion.content ?? "";
        const checked = checkReply(completion, validator, maxTokens);
        if (checked.fields !== null) return result(checked.fields);
        problem = checked.problem;
        // The next ask shows the model its reply and what was wrong with it, rather than repeating a request
        // that at temperature 0 would most likely get the same reply.
        if (raw !== "") messages.push({ role: "assistant", content: raw });
        messages.push({
          role: "user",
          content: `That reply is not valid: ${problem}. Reply again with only the JSON object, every field present (null when the text does not state it).`,
        });
      }
      return result(null);
    },
  };
}

/** Options for an extractor of a validated use case's `schema.fields` with its `llm` section; the key is the caller's to read. */
export function extractorOptionsFromUseCase(
  useCase: UseCase,
  apiKey: string | undefined,
): OpenAiExtractorOptions | undefined {
  const llm = useCase.llm;
  if (llm === undefined || useCase.schema === undefined) return undefined;
  return { ...endpointOptionsFromLlm(llm, apiKey), fields: useCase.schema.fields };
}

// ---------------------------------------------------------------------------------------------------------------
// Prompt, schema and validation

function checkFields(fields: readonly ExtractorField[]): readonly ExtractorField[] {
  if (fields.length === 0) {
    throw new SlmkitError(
      "INVALID_OPTION",
      "an LLM extractor needs at least one field; list them under `schema.fields`.",
      { field: "fields" },
    );
  }
  const seen = new Set<string>();
  for (const field of fields) {
    if (field.name === "" || seen.has(field.name)) {
      throw new SlmkitError(
        "INVALID_OPTION",
        field.name === ""
          ? "an extraction field has an empty name; give every field a name."
          : `the extraction field "${field.name}" is listed twice; field names must be unique.`,
        { field: "fields" },
      );
    }
    seen.add(field.name);
  }
  return fields;
}

/** The system message: the task, each field with its type and description, and the reply format. */
export function extractionPrompt(fields: readonly ExtractorField[]): string {
  return [
    "You extract fields from the user's text. Reply with one JSON object holding exactly these keys:",
    ...fields.map((field) => {
      const kind = `${field.type}${field.required === true ? ", required" : ""}: ${typeHints[field.type]}`;
      const description =
        field.description === undefined || field.description === "" ? "" : ` — ${field.description}`;
      return `- ${field.name} (${kind})${description}`;
    }),
    "",
    "Use null for a field the text does not state; never guess or compute a value the text does not hold.",
    "Reply with the JSON object only.",
  ].join("\n");
}

/** The strict JSON schema: every field a required, nullable property, nothing else allowed. */
function jsonSchemaFormat(
  fields: readonly ExtractorField[],
): NonNullable<ChatCompletionCreateParamsNonStreaming["response_format"]> {
  const properties: Record<string, Record<string, unknown>> = {};
  for (const field of fields) {
    const type = field.type === "integer" ? "integer" : numericTypes.has(field.type) ? "number" : "string";
    properties[field.name] = {
      type: [type, "null"],
      ...(field.description === undefined || field.description === ""
        ? {}
        : { description: field.description }),
    };
  }
  return {
    type: "json_schema",
    json_schema: {
      name: "extraction",
      strict: true,
      schema: {
        type: "object",
        properties,
        required: fields.map((field) => field.name),
        additionalProperties: false,
      },
    },
  };
}

/** The validator of one record: every field present (null allowed), of its type; unknown keys dropped. */
export function extractionRecordValidator(
  fields: readonly ExtractorField[],
): z.ZodType<Record<string, string | number | null>> {
  const shape: Record<string, z.ZodType<string | number | null>> = {};
  for (const field of fields) {
    // Dates and times stay as written: the model may give "March 3" or "2025-03-03", and normalizing them is
    // the field normalizers' job, not a reason to ask again. zod's numbers are finite; an integer field takes
    // 1e3 (JSON for 1000) but not 1.5, which grammar-constrained servers let through.
    const value =
      field.type === "integer"
        ? z.number().int()
        : numericTypes.has(field.type)
          ? z.number().refine(Number.isFinite, "expected a finite number")
          : z.string();
    shape[field.name] = value.nullable();
  }
  return z.object(shape) as unknown as z.ZodType<Record<string, string | number | null>>;
}

/** The validated record of a reply, or why it is not one. */
function checkReply(
  completion: ParsedCompletion,
  validator: z.ZodType<Record<string, string | number | null>>,
  maxTokens: number,
): { fields: Record<string, string | number | null>; problem: "" } | { fields: null; problem: string } {
  const content = completion.content;
  if (content === null || content.trim() === "") return { fields: null, problem: "the reply is empty" };
  const value = parseJsonReply(content);
  if (value === undefined) {
    return {
      fields: null,
      problem:
        completion.finishReason === "length"
          ? `the reply was cut at ${maxTokens} tokens before the JSON closed`
          : "the reply is not JSON",
    };
  }
  const checked = validator.safeParse(value);
  if (checked.success) return { fields: checked.data, problem: "" };
  const issues = checked.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length === 0 ? "the reply" : issue.path.join(".")}: ${issue.message}`);
  return { fields: null, problem: issues.join("; ") };
}
