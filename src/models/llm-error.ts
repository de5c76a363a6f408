// The error an LLM call ends with: a stable code, the HTTP status when there was one, and whether to retry.

import { SlmkitError } from "../errors.js";

export interface LlmErrorOptions {
  /** HTTP status of the failed response; undefined for connection errors, timeouts and unreadable bodies. */
  statusCode?: number;
  /** Whether the same request may succeed if sent again (429, 5xx, timeouts, connection errors). */
  isRetryable: boolean;
  /** How long the server asked to wait before another attempt, in milliseconds. */
  retryAfterMs?: number;
  /** True when no answer came at all: the connection was refused or reset, the name did not resolve. */
  unreachable?: boolean;
  cause?: unknown;
}

/** A failed LLM call. `code` is "LLM_TIMEOUT" when the call ran out of time, "LLM_ERROR" otherwise. */
export class LlmError extends SlmkitError {
  override readonly name: string = "LlmError";
  override readonly code: "LLM_ERROR" | "LLM_TIMEOUT";
  readonly statusCode: number | undefined;
  readonly isRetryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly unreachable: boolean;

  constructor(code: "LLM_ERROR" | "LLM_TIMEOUT", message: string, options: LlmErrorOptions) {
    super(code, message, options.cause === undefined ? {} : { cause: options.cause });
    this.code = code;
    this.statusCode = options.statusCode;
    this.isRetryable = options.isRetryable;
    this.retryAfterMs = options.retryAfterMs;
    this.unreachable = options.unreachable ?? false;
  }

  /** True for an LlmError, also one thrown by another copy of this package. */
  static isLlmError(error: unknown): error is LlmError {
    return SlmkitError.isInstance(error) && (error.code === "LLM_ERROR" || error.code === "LLM_TIMEOUT");
  }
}

/**
 * The kind of failure an LLM call ended with, as a client may be told it: `llm_timeout`, `llm_error <status>` (the
 * server answered with an error status), `llm_error connection` (no answer came), `llm_error malformed_reply` (a
 * body that is not a chat completion) or `llm_error`. Never the server's URL, its message or its body: those are for
 * the server's log (see the router's `reasonDetail`).
 */
export function llmFailureKind(error: unknown): string {
  if (!LlmError.isLlmError(error)) return "llm_error";
  if (error.code === "LLM_TIMEOUT") return "llm_timeout";
  if (error.unreachable) return "llm_error connection";
  const status = error.statusCode;
  if (status === undefined) return "llm_error";
  return status >= 400 ? `llm_error ${status}` : "llm_error malformed_reply";
}
