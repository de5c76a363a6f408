// An LLM labeler over any OpenAI-compatible chat endpoint (OpenAI, Azure, Ollama, vLLM, Foundry Local).

import OpenAI, {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  type ClientOptions,
} from "openai";
import type { ChatCompletionCreateParamsNonStreaming } from "openai/resources/chat/completions";
import { SlmkitError } from "../../errors.js";
import { LlmError } from "../../route/llm-error.js";
import { parseRetryAfterMs, withRetries } from "../../route/retry.js";
import type { LlmLabel, LlmLabeler } from "../../route/types.js";
import type { UseCase } from "../../spec/schema.js";
import { createHttpFetch } from "./http-transport.js";
import { formatOpenAiReference, isAzureHost } from "./reference.js";

/** A class the LLM may choose, with the description the prompt shows it. */
export interface LabelDefinition {
  name: string;
  description?: string | undefined;
}

export interface OpenAiLabelerOptions {
  /**
   * The API's base URL, e.g. `https://api.openai.com/v1`, `http://localhost:11434/v1` (Ollama),
   * `http://localhost:8000/v1` (vLLM). Azure hosts (`*.openai.azure.com`, `*.cognitiveservices.azure.com`,
   * `*.services.ai.azure.com`) are recognised: `…/openai/v1` is used as given, `…/openai/deployments/<name>` as
   * given with an `api-version`, and a bare resource URL becomes `…/openai/deployments/<model>`.
   */
  baseUrl: string;
  /** Model name (Azure: the deployment name). */
  model: string;
  /** The API key. Absent: no credentials are sent, as local servers (Ollama, vLLM) need none. */
  apiKey?: string | undefined;
  /** The label set the LLM must choose from; at least two. */
  labels: readonly LabelDefinition[];
  /** US dollars per 1,000 input tokens. Absent: input tokens cost 0 in `costUsd` (and `priced` is false). */
  pricePer1kInputUsd?: number | undefined;
  /** US dollars per 1,000 output tokens. Absent: output tokens cost 0 in `costUsd` (and `priced` is false). */
  pricePer1kOutputUsd?: number | undefined;
  /** Time allowed for one attempt (request and body), in milliseconds. Default 10,000. */
  timeoutMs?: number;
  /** Attempts after the first one for retryable failures (429, 5xx, timeouts, connection errors, unreadable bodies). Default 2. */
  maxRetries?: number;
  /** Backoff base and cap between attempts, in milliseconds (full jitter). Defaults 100 and 2000. */
  retryBaseDelayMs?: number;
  retryMaxDelayMs?: number;
  /** Azure only: the `api-version` query parameter. Default none for `/openai/v1` URLs, "2024-10-21" otherwise. */
  apiVersion?: string;
  /** Ask for token log-probabilities, the source of `confidence`. Default true; dropped when the server refuses. */
  logprobs?: boolean;
  /** Constrain the reply to `{label}` with a strict JSON schema. Default true; dropped when the server refuses. */
  structuredOutput?: boolean;
  /**
   * A `fetch` to use (proxies, tests). Default: slmkit's node:http/https transport with kept-alive connections
   * (`createHttpFetch`), cheaper per call than the global fetch.
   */
  fetch?: typeof globalThis.fetch;
  /** Uniform in [0, 1) for retry jitter; injectable for tests. Default `Math.random`. */
  random?: () => number;
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
}

/** Azure's generally available API version for the deployment-style URLs. */
const defaultAzureApiVersion = "2024-10-21";
/** How much of a reply is kept in `raw`. */
const rawLimit = 200;
/** Default of `warmUp`'s wait for the server, in milliseconds. */
const defaultWarmUpTimeoutMs = 2000;

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
  if (!URL.canParse(options.baseUrl) || !/^https?:$/.test(new URL(options.baseUrl).protocol)) {
    throw new SlmkitError(
      "INVALID_OPTION",
      `llm.baseUrl "${options.baseUrl}" is not an http(s) URL, e.g. "https://api.openai.com/v1" or "http://localhost:11434/v1".`,
      { field: "llm.baseUrl" },
    );
  }
  const byLowerName = new Map(labels.map((name) => [name.toLowerCase(), name]));
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxRetries = options.maxRetries ?? 2;
  const priceIn = options.pricePer1kInputUsd;
  const priceOut = options.pricePer1kOutputUsd;
  const where = `${options.model} at ${options.baseUrl}`;
  const client = createClient(options, timeoutMs);
  const enabled = new Set<OptionalParameter>(["temperature", "max_tokens"]);
  if (options.logprobs ?? true) enabled.add("logprobs");
  if (options.structuredOutput ?? true) enabled.add("response_format");
  // Enough for `{"label": "<longest name>"}` even at one token per character, small enough to cap a chatty reply.
  const maxTokens = 16 + Math.max(...labels.map((name) => name.length));
  // The prompt (every label with its description) and the schema are the same for every call: built once.
  const fixedParts = createFixedParts(options.labels);

  const attempt = async (text: string, parameters: ReadonlySet<OptionalParameter>, signal?: AbortSignal) => {
    // A timer cleared when the attempt ends, not AbortSignal.timeout: under load those would pile up, each
    // holding its signal for the whole timeout after the answer came. The caller's signal aborts it too, by a
    // listener removed at the end rather than AbortSignal.any, which costs a third signal per attempt.
    const attemptTimeout = new AbortController();
    const timer = setTimeout(
      () => attemptTimeout.abort(new DOMException("attempt timed out", "TimeoutError")),
      timeoutMs,
    );
    const attemptSignal = attemptTimeout.signal;
    const onCallerAbort = () => attemptTimeout.abort(signal?.reason);
    if (signal?.aborted) onCallerAbort();
    else signal?.addEventListener("abort", onCallerAbort, { once: true });
    const body = buildRequest(options.model, fixedParts, text, parameters, maxTokens);
    try {
      const response = await client.chat.completions
        .create(body, { signal: attemptSignal, timeout: timeoutMs, maxRetries: 0 })
        .asResponse();
      const bodyText = await response.text();
      return parseCompletion(bodyText, response.status, where);
    } catch (error) {
      throw toLlmError(error, {
        where,
        timeoutMs,
        attemptSignal,
        ...(signal === undefined ? {} : { signal }),
      });
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onCallerAbort);
    }
  };

  return {
    model: options.model,
    reference: formatOpenAiReference(options.model, options.baseUrl),
    labels,
    priced: priceIn !== undefined && priceOut !== undefined,
    parameters: () => [...enabled],
    async warmUp(warmUpTimeoutMs = defaultWarmUpTimeoutMs) {
      // The reply code's first run (JSON, regular expressions) on a made-up completion, off the request path.
      const sample = JSON.stringify({
        choices: [{ message: { content: JSON.stringify({ label: labels[0] }) }, logprobs: null }],
        usage: { prompt_tokens: 1, completion_tokens: 1 },
      });
      const parsed = parseCompletion(sample, 200, where);
      parseLabelReply(parsed.content ?? "", byLowerName);
      buildRequest(options.model, fixedParts, "warm-up", enabled, maxTokens);
      try {
        const response = await client.models.list({ timeout: warmUpTimeoutMs, maxRetries: 0 }).asResponse();
        await response.text();
      } catch {
        // An error reply still loaded the code and, when the server keeps connections alive, left one open.
      }
    },
    async classify(text: string, signal?: AbortSignal): Promise<LlmLabel> {
      const started = performance.now();
      const completion = await withRetries(
        async () => {
          try {
            return await attempt(text, enabled, signal);
          } catch (error) {
            const refused = refusedParameters(error, enabled);
            if (refused.length === 0) throw error;
            // Try once without what the server refused; only a reply that works makes the downgrade permanent.
            const reduced = new Set([...enabled].filter((parameter) => !refused.includes(parameter)));
            const result = await attempt(text, reduced, signal);
            for (const parameter of refused) enabled.delete(parameter);
            return result;
          }
        },
        {
          retries: maxRetries,
          ...(options.retryBaseDelayMs === undefined ? {} : { baseDelayMs: options.retryBaseDelayMs }),
          ...(options.retryMaxDelayMs === undefined ? {} : { maxDelayMs: options.retryMaxDelayMs }),
          ...(options.random === undefined ? {} : { random: options.random }),
          ...(signal === undefined ? {} : { signal }),
        },
      ).catch((error: unknown) => {
        throw toLlmError(error, { where, timeoutMs, ...(signal === undefined ? {} : { signal }) });
      });
      const content = completion.content ?? "";
      const parsed = parseLabelReply(content, byLowerName);
      const inputTokens = completion.inputTokens;
      const outputTokens = completion.outputTokens;
      return {
        label: parsed?.label ?? null,
        confidence:
          parsed === undefined ? null : confidenceFromLogprobs(content, parsed.raw, completion.logprobs),
        raw: content.length > rawLimit ? content.slice(0, rawLimit) : content,
        inputTokens,
        outputTokens,
        costUsd: ((priceIn ?? 0) * inputTokens + (priceOut ?? 0) * outputTokens) / 1000,
        latencyMs: performance.now() - started,
      };
    },
  };
}

/** Labeler options from a validated use case's `llm` section and labels; the API key is the caller's to read. */
export function labelerOptionsFromUseCase(
  useCase: UseCase,
  apiKey: string | undefined,
): OpenAiLabelerOptions | undefined {
  const llm = useCase.llm;
  if (llm === undefined || useCase.labels === undefined) return undefined;
  return {
    baseUrl: llm.baseUrl,
    model: llm.model,
    apiKey,
    labels: useCase.labels,
    pricePer1kInputUsd: llm.pricePer1kInputUsd,
    pricePer1kOutputUsd: llm.pricePer1kOutputUsd,
    timeoutMs: llm.timeoutMs,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The client

function createClient(options: OpenAiLabelerOptions, timeoutMs: number): OpenAI {
  const url = new URL(options.baseUrl);
  const common: ClientOptions = {
    timeout: timeoutMs,
    maxRetries: 0,
    // Named explicitly so the SDK does not pick up OPENAI_ORG_ID, OPENAI_PROJECT_ID or a stray base URL.
    organization: null,
    project: null,
    // The library never prints; failures reach the caller as LlmError.
    logLevel: "off",
    fetch: options.fetch ?? createHttpFetch(),
  };
  // The SDK insists on credentials; local servers have none, so a placeholder goes in and its header comes out.
  // Its fetch is slmkit's node:http transport unless the caller gives one (see createHttpFetch for why).
  const apiKey = options.apiKey === undefined || options.apiKey === "" ? "none" : options.apiKey;
  if (isAzureHost(url.hostname)) {
    const path = url.pathname.replace(/\/+$/, "");
    const v1 = /\/openai\/v1$/.test(path);
    const deployment = /\/openai\/deployments\/[^/]+$/.test(path);
    const baseURL =
      v1 || deployment
        ? options.baseUrl
        : `${url.origin}/openai/deployments/${encodeURIComponent(options.model)}`;
    const apiVersion = options.apiVersion ?? (v1 ? undefined : defaultAzureApiVersion);
    return new OpenAI({
      ...common,
      baseURL,
      apiKey,
      // Azure's key goes in `api-key`, not a bearer token.
      defaultHeaders: { "api-key": options.apiKey ?? null, Authorization: null },
      ...(apiVersion === undefined ? {} : { defaultQuery: { "api-version": apiVersion } }),
    });
  }
  return new OpenAI({
    ...common,
    baseURL: options.baseUrl,
    apiKey,
    ...(options.apiKey === undefined || options.apiKey === ""
      ? { defaultHeaders: { Authorization: null } }
      : {}),
  });
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

// ---------------------------------------------------------------------------------------------------------------
// Replies

interface TokenLogprob {
  token: string;
  logprob: number;
}

interface ParsedCompletion {
  content: string | null;
  logprobs: TokenLogprob[] | null;
  inputTokens: number;
  outputTokens: number;
}

/** Reads a chat.completion body; a body that is not one is a retryable error (a proxy's page, a cut-off body). */
function parseCompletion(bodyText: string, status: number, where: string): ParsedCompletion {
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch (error) {
    throw new LlmError("LLM_ERROR", `${where} returned a body that is not JSON: ${preview(bodyText)}`, {
      statusCode: status,
      isRetryable: true,
      cause: error,
    });
  }
  const choice = isRecord(body) && Array.isArray(body.choices) ? body.choices[0] : undefined;
  const message = isRecord(choice) ? choice.message : undefined;
  if (!isRecord(message)) {
    throw new LlmError(
      "LLM_ERROR",
      `${where} returned JSON that is not a chat completion: ${preview(bodyText)}`,
      {
        statusCode: status,
        isRetryable: true,
      },
    );
  }
  const usage = isRecord(body) && isRecord(body.usage) ? body.usage : {};
  const logprobs = isRecord(choice) && isRecord(choice.logprobs) ? choice.logprobs.content : undefined;
  return {
    content: typeof message.content === "string" ? message.content : null,
    logprobs: Array.isArray(logprobs) && logprobs.every(isTokenLogprob) ? logprobs : null,
    inputTokens: count(usage.prompt_tokens),
    outputTokens: count(usage.completion_tokens),
  };
}

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

// ---------------------------------------------------------------------------------------------------------------
// Errors

interface ErrorContext {
  where: string;
  timeoutMs: number;
  /** The caller's signal, if any. */
  signal?: AbortSignal;
  /** The attempt's own timeout. */
  attemptSignal?: AbortSignal;
}

/** Maps whatever a call threw to an LlmError: retryable for 408, 409, 429, 5xx, timeouts and connection errors. */
function toLlmError(error: unknown, context: ErrorContext): unknown {
  if (LlmError.isLlmError(error)) return error;
  const { where, timeoutMs, signal, attemptSignal } = context;
  if (signal?.aborted) {
    const reason: unknown = signal.reason;
    // A deadline the caller set (AbortSignal.timeout) is a timeout; any other abort is the caller's own doing.
    if (reason instanceof DOMException && reason.name === "TimeoutError") {
      return new LlmError("LLM_TIMEOUT", `${where} did not answer before the caller's deadline`, {
        isRetryable: true,
        cause: error,
      });
    }
    return reason;
  }
  if (error instanceof APIConnectionTimeoutError || attemptSignal?.aborted === true) {
    return new LlmError("LLM_TIMEOUT", `${where} did not answer within ${timeoutMs} ms`, {
      isRetryable: true,
      cause: error,
    });
  }
  if (error instanceof APIUserAbortError) {
    return new LlmError("LLM_ERROR", `the call to ${where} was aborted`, {
      isRetryable: false,
      cause: error,
    });
  }
  if (error instanceof APIConnectionError) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
    return new LlmError("LLM_ERROR", `could not reach ${where}${cause}`, { isRetryable: true, cause: error });
  }
  if (error instanceof APIError && typeof error.status === "number") {
    const status = error.status;
    const shouldRetry = error.headers?.get("x-should-retry");
    const retryable =
      shouldRetry === "true" ? true : shouldRetry === "false" ? false : isRetryableStatus(status);
    const retryAfterMs = parseRetryAfterMs(error.headers);
    return new LlmError("LLM_ERROR", `${where} answered ${status}: ${error.message}${hintFor(status)}`, {
      statusCode: status,
      isRetryable: retryable,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      cause: error,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new LlmError("LLM_ERROR", `the call to ${where} failed: ${message}`, {
    isRetryable: false,
    cause: error,
  });
}

function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

function hintFor(status: number): string {
  if (status === 401 || status === 403) return " (check the API key and that it may use this model)";
  if (status === 404) return " (check the model or deployment name and the base URL)";
  return "";
}

/** Parameters a 400 refuses among those still sent: the ones it names, or all of them when it names none. */
function refusedParameters(error: unknown, enabled: ReadonlySet<OptionalParameter>): OptionalParameter[] {
  if (!LlmError.isLlmError(error) || error.statusCode !== 400) return [];
  const refusable: OptionalParameter[] = ["logprobs", "response_format"];
  const cause = error.cause instanceof APIError ? error.cause : undefined;
  const detail = `${cause?.message ?? error.message} ${cause?.param ?? ""}`.toLowerCase();
  const named: OptionalParameter[] = [];
  if (detail.includes("logprob")) named.push("logprobs");
  if (/response_format|json_schema|structured output/.test(detail)) named.push("response_format");
  if (detail.includes("temperature")) named.push("temperature");
  if (detail.includes("max_tokens")) named.push("max_tokens");
  const candidates = named.length > 0 ? named : refusable;
  return candidates.filter((parameter) => enabled.has(parameter));
}

// ---------------------------------------------------------------------------------------------------------------
// Small helpers

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isTokenLogprob(value: unknown): value is TokenLogprob {
  return isRecord(value) && typeof value.token === "string" && typeof value.logprob === "number";
}

function count(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : 0;
}

function preview(text: string): string {
  const compact = text.replace(/\s+/g, " ").trim();
  return compact.length > 100 ? `${JSON.stringify(compact.slice(0, 100))}…` : JSON.stringify(compact);
}
