// Internal: the official SDK's client for an OpenAI-compatible endpoint (OpenAI, Azure by its base URL), and the
// mapping of whatever a call throws to an LlmError. Chat calls, files, fine-tuning jobs and batches share both.

import OpenAI, {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  type ClientOptions,
} from "openai";
import { LlmError } from "../llm-error.js";
import { parseRetryAfterMs } from "../retry.js";
import { createHttpFetch } from "./http-transport.js";
import { isAzureHost } from "./reference.js";

export interface OpenAiClientOptions {
  /** The API's base URL (see `ChatEndpointOptions.baseUrl` for the Azure shapes recognised). */
  baseUrl: string;
  /** The model (Azure: deployment) name, which a bare Azure resource URL is completed with for chat calls. */
  model?: string;
  /** The API key. Absent: no credentials are sent, as local servers (Ollama, vLLM) need none. */
  apiKey?: string | undefined;
  /** Time allowed for one request, in milliseconds. */
  timeoutMs: number;
  /** Azure only: the `api-version` query parameter. Default none for `/openai/v1` URLs, "2024-10-21" otherwise. */
  apiVersion?: string | undefined;
  /** A `fetch` to use. Default: slmkit's node:http/https transport (`createHttpFetch`). */
  fetch?: typeof globalThis.fetch | undefined;
}

/**
 * What the client's calls address. "deployment": one model's calls (chat completions); a bare Azure resource URL
 * becomes `…/openai/deployments/<model>`. "resource": the account's own APIs (files, fine-tuning jobs, batches),
 * which Azure serves at `…/openai` (with an `api-version`) or `…/openai/v1`, never under a deployment.
 */
export type OpenAiClientScope = "deployment" | "resource";

/** Azure's generally available API version for the deployment-style URLs (chat, files, fine-tuning, batches). */
export const defaultAzureApiVersion = "2024-10-21";

/** True when the base URL is an Azure host whose API is the `/openai/v1` one, which takes no `api-version`. */
export function isAzureV1(baseUrl: string): boolean {
  return /\/openai\/v1$/.test(new URL(baseUrl).pathname.replace(/\/+$/, ""));
}

/**
 * The official SDK's client with slmkit's settings: its own retries off (callers retry, counting every attempt),
 * the library's logging off, no OPENAI_* variables picked up, Azure's `api-key` header and `api-version`.
 */
export function createOpenAiClient(
  options: OpenAiClientOptions,
  scope: OpenAiClientScope = "deployment",
): OpenAI {
  const url = new URL(options.baseUrl);
  const common: ClientOptions = {
    timeout: options.timeoutMs,
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
    const baseURL = v1
      ? options.baseUrl
      : scope === "resource"
        ? `${url.origin}/openai`
        : deployment
          ? options.baseUrl
          : `${url.origin}/openai/deployments/${encodeURIComponent(options.model ?? "")}`;
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

export interface ErrorContext {
  where: string;
  timeoutMs: number;
  /** The caller's signal, if any. */
  signal?: AbortSignal;
  /** The attempt's own timeout. */
  attemptSignal?: AbortSignal;
}

/** Maps whatever a call threw to an LlmError: retryable for 408, 409, 429, 5xx, timeouts and connection errors. */
export function toLlmError(error: unknown, context: ErrorContext): unknown {
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
    return new LlmError("LLM_ERROR", `could not reach ${where}${cause}`, {
      isRetryable: true,
      unreachable: true,
      cause: error,
    });
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

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

function hintFor(status: number): string {
  if (status === 401 || status === 403) return " (check the API key and that it may use this model)";
  if (status === 404) return " (check the model or deployment name and the base URL)";
  return "";
}
