// Internal: the chat call loop (timeouts, retries, refused parameters) every OpenAI-compatible chat caller shares.

import { APIError } from "openai";
import type { ChatCompletionCreateParamsNonStreaming } from "openai/resources/chat/completions";
import { SlmkitError } from "../../errors.js";
import type { UseCase } from "../../spec/schema.js";
import { LlmError } from "../llm-error.js";
import { withRetries } from "../retry.js";
import { createOpenAiClient, toLlmError } from "./client.js";
import { formatOpenAiReference } from "./reference.js";

/** Connection, pricing and retry settings common to the labeler, extractor and answerer. */
export interface ChatEndpointOptions {
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
  /** US dollars per 1,000 input tokens. Absent: input tokens cost 0 in `costUsd` (and `priced` is false). */
  pricePer1kInputUsd?: number | undefined;
  /** US dollars per 1,000 output tokens. Absent: output tokens cost 0 in `costUsd` (and `priced` is false). */
  pricePer1kOutputUsd?: number | undefined;
  /**
   * Time allowed for one attempt (request and body), in milliseconds; also how long a call waits on a server's
   * Retry-After: a 429 or 503 asking to wait past `timeoutMs` from the call's start fails the call at once (the
   * router then falls back instead of waiting for its deadline, which is the same `llm.timeoutMs`). Default 10,000.
   */
  timeoutMs?: number;
  /** Attempts after the first one for retryable failures (429, 5xx, timeouts, connection errors, unreadable bodies). Default 2. */
  maxRetries?: number;
  /** Backoff base and cap between attempts, in milliseconds (full jitter). Defaults 100 and 2000. */
  retryBaseDelayMs?: number;
  retryMaxDelayMs?: number;
  /** Azure only: the `api-version` query parameter. Default none for `/openai/v1` URLs, "2024-10-21" otherwise. */
  apiVersion?: string;
  /**
   * A `fetch` to use (proxies, tests). Default: slmkit's node:http/https transport with kept-alive connections
   * (`createHttpFetch`), cheaper per call than the global fetch.
   */
  fetch?: typeof globalThis.fetch;
  /** Uniform in [0, 1) for retry jitter; injectable for tests. Default `Math.random`. */
  random?: () => number;
}

/** The endpoint settings of a use case's `llm` section (URL, model, prices, timeout) with the given key. */
export function endpointOptionsFromLlm(
  llm: NonNullable<UseCase["llm"]>,
  apiKey: string | undefined,
): ChatEndpointOptions {
  return {
    baseUrl: llm.baseUrl,
    model: llm.model,
    apiKey,
    pricePer1kInputUsd: llm.pricePer1kInputUsd,
    pricePer1kOutputUsd: llm.pricePer1kOutputUsd,
    timeoutMs: llm.timeoutMs,
  };
}

/**
 * How a 400 that refuses a parameter is recognised: when the error's message or `param` matches `pattern`, the
 * first of `parameters` still sent is dropped (a list, so a parameter can step down: json_schema, then json_object).
 */
export interface RefusalRule<Parameter extends string> {
  pattern: RegExp;
  parameters: readonly Parameter[];
}

export interface ChatEndpointSettings<Parameter extends string> {
  /** The optional parameters sent at first. */
  parameters: Iterable<Parameter>;
  /** How a 400 names each parameter. */
  refusals: readonly RefusalRule<Parameter>[];
  /** Dropped (the first still sent of each list) when a 400 names none of the parameters. */
  blamedWhenUnnamed: readonly (readonly Parameter[])[];
}

export interface TokenLogprob {
  token: string;
  logprob: number;
}

/** The part of a chat.completion slmkit reads. */
export interface ParsedCompletion {
  content: string | null;
  logprobs: TokenLogprob[] | null;
  /** "stop", "length" (cut at max_tokens), …; null when the server gave none. */
  finishReason: string | null;
  inputTokens: number;
  outputTokens: number;
}

export interface ChatEndpoint<Parameter extends string> {
  /** `<model> at <baseUrl>`, for messages. */
  readonly where: string;
  /** `openai:<model>@<baseUrl>`. */
  readonly reference: string;
  readonly timeoutMs: number;
  /** True when both token prices are known. */
  readonly priced: boolean;
  /** The optional parameters still sent: those the server refused with a 400 are dropped for good. */
  parameters(): Parameter[];
  /** US dollars for the tokens at the configured prices (an unknown price counts 0). */
  cost(inputTokens: number, outputTokens: number): number;
  /**
   * One completion with retries: `build` makes the body from the parameters still on. A 400 refusing some of
   * them is answered by one more try without them (and so on while 400s refuse more), which makes the
   * downgrade permanent only if it works.
   * `onCall` runs before every HTTP request, retries and refusals included, so callers can count them even
   * when the call fails. Throws an LlmError (or the caller's abort reason).
   */
  complete(
    build: (parameters: ReadonlySet<Parameter>) => ChatCompletionCreateParamsNonStreaming,
    signal?: AbortSignal,
    onCall?: () => void,
  ): Promise<ParsedCompletion>;
  /** Sends one `GET <baseUrl>/models` (its answer, even an error, is ignored) to open a kept-alive connection. */
  ping(timeoutMs: number): Promise<void>;
}

/** How much of a reply callers keep in `raw`. */
export const rawLimit = 200;
/** Default of `warmUp`'s wait for the server, in milliseconds. */
export const defaultWarmUpTimeoutMs = 2000;

/** Refuses a base URL that is not http(s) before any call is made. */
export function checkBaseUrl(baseUrl: string): void {
  if (!URL.canParse(baseUrl) || !/^https?:$/.test(new URL(baseUrl).protocol)) {
    throw new SlmkitError(
      "INVALID_OPTION",
      `llm.baseUrl "${baseUrl}" is not an http(s) URL, e.g. "https://api.openai.com/v1" or "http://localhost:11434/v1".`,
      { field: "llm.baseUrl" },
    );
  }
}

/**
 * A chat endpoint with slmkit's own retries (the SDK's are off) so that every attempt is counted and backed off
 * alike, a per-attempt timeout, and the downgrade of parameters a server refuses.
 */
export function createChatEndpoint<Parameter extends string>(
  options: ChatEndpointOptions,
  settings: ChatEndpointSettings<Parameter>,
): ChatEndpoint<Parameter> {
  checkBaseUrl(options.baseUrl);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxRetries = options.maxRetries ?? 2;
  const priceIn = options.pricePer1kInputUsd;
  const priceOut = options.pricePer1kOutputUsd;
  const where = `${options.model} at ${options.baseUrl}`;
  const client = createOpenAiClient(
    {
      baseUrl: options.baseUrl,
      model: options.model,
      apiKey: options.apiKey,
      timeoutMs,
      apiVersion: options.apiVersion,
      fetch: options.fetch,
    },
    "deployment",
  );
  const enabled = new Set<Parameter>(settings.parameters);

  const attempt = async (
    body: ChatCompletionCreateParamsNonStreaming,
    signal: AbortSignal | undefined,
  ): Promise<ParsedCompletion> => {
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
    where,
    reference: formatOpenAiReference(options.model, options.baseUrl),
    timeoutMs,
    priced: priceIn !== undefined && priceOut !== undefined,
    parameters: () => [...enabled],
    cost: (inputTokens, outputTokens) =>
      ((priceIn ?? 0) * inputTokens + (priceOut ?? 0) * outputTokens) / 1000,
    complete(build, signal, onCall) {
      // A server asking to wait past the call's own timeout is failed over at once: whoever waits for this call
      // (the router's deadline is the same llm.timeoutMs) would give up before the wait ends.
      const deadline = performance.now() + timeoutMs;
      return withRetries(
        async () => {
          let parameters: ReadonlySet<Parameter> = enabled;
          const refused: Parameter[] = [];
          // Each refusal drops at least one parameter, so this ends; a server may refuse one level after another
          // (json_schema, then json_object).
          for (;;) {
            try {
              onCall?.();
              const result = await attempt(build(parameters), signal);
              // Only a reply that works makes the downgrade permanent.
              for (const parameter of refused) enabled.delete(parameter);
              return result;
            } catch (error) {
              const refusedHere = refusedParameters(error, parameters, settings);
              if (refusedHere.length === 0) throw error;
              refused.push(...refusedHere);
              parameters = new Set([...parameters].filter((parameter) => !refusedHere.includes(parameter)));
            }
          }
        },
        {
          retries: maxRetries,
          deadline,
          ...(options.retryBaseDelayMs === undefined ? {} : { baseDelayMs: options.retryBaseDelayMs }),
          ...(options.retryMaxDelayMs === undefined ? {} : { maxDelayMs: options.retryMaxDelayMs }),
          ...(options.random === undefined ? {} : { random: options.random }),
          ...(signal === undefined ? {} : { signal }),
        },
      ).catch((error: unknown) => {
        throw toLlmError(error, { where, timeoutMs, ...(signal === undefined ? {} : { signal }) });
      });
    },
    async ping(pingTimeoutMs) {
      try {
        const response = await client.models.list({ timeout: pingTimeoutMs, maxRetries: 0 }).asResponse();
        await response.text();
      } catch {
        // An error reply still loaded the code and, when the server keeps connections alive, left one open.
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Replies

/** Reads a chat.completion body; a body that is not one is a retryable error (a proxy's page, a cut-off body). */
export function parseCompletion(bodyText: string, status: number, where: string): ParsedCompletion {
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
  const finishReason = isRecord(choice) ? choice.finish_reason : undefined;
  return {
    content: typeof message.content === "string" ? message.content : null,
    logprobs: Array.isArray(logprobs) && logprobs.every(isTokenLogprob) ? logprobs : null,
    finishReason: typeof finishReason === "string" ? finishReason : null,
    inputTokens: count(usage.prompt_tokens),
    outputTokens: count(usage.completion_tokens),
  };
}

/**
 * The JSON value of a reply, in or out of a code fence (servers without structured output often fence it);
 * undefined when it is not JSON.
 */
export function parseJsonReply(content: string): unknown {
  let text = content.trim();
  const fenced = /^```[a-z]*\s*([\s\S]*?)\s*```$/i.exec(text);
  if (fenced !== null) text = (fenced[1] ?? "").trim();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** A reply cut to `rawLimit` characters, as `raw` fields keep it. */
export function truncateRaw(content: string): string {
  return content.length > rawLimit ? content.slice(0, rawLimit) : content;
}

/** Parameters a 400 refuses among those still sent: the ones it names, or the blamed ones when it names none. */
function refusedParameters<Parameter extends string>(
  error: unknown,
  enabled: ReadonlySet<Parameter>,
  settings: ChatEndpointSettings<Parameter>,
): Parameter[] {
  if (!LlmError.isLlmError(error) || error.statusCode !== 400) return [];
  const cause = error.cause instanceof APIError ? error.cause : undefined;
  const detail = `${cause?.message ?? error.message} ${cause?.param ?? ""}`.toLowerCase();
  const firstEnabled = (parameters: readonly Parameter[]) =>
    parameters.find((parameter) => enabled.has(parameter));
  const matched = settings.refusals.filter((rule) => rule.pattern.test(detail));
  const groups = matched.length > 0 ? matched.map((rule) => rule.parameters) : settings.blamedWhenUnnamed;
  const refused = new Set<Parameter>();
  for (const group of groups) {
    const parameter = firstEnabled(group);
    if (parameter !== undefined) refused.add(parameter);
  }
  return [...refused];
}

// ---------------------------------------------------------------------------------------------------------------
// Small helpers

export function isRecord(value: unknown): value is Record<string, unknown> {
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
