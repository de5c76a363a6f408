// The error an LLM call ends with: a stable code, the HTTP status when there was one, and whether to retry.

import { SlmkitError } from "../errors.js";

export interface LlmErrorOptions {
  /** HTTP status of the failed response; undefined for connection errors, timeouts and unreadable bodies. */
  statusCode?: number;
  /** Whether the same request may succeed if sent again (429, 5xx, timeouts, connection errors). */
  isRetryable: boolean;
  /** How long the server asked to wait before another attempt, in milliseconds. */
  retryAfterMs?: number;
  cause?: unknown;
}

/** A failed LLM call. `code` is "LLM_TIMEOUT" when the call ran out of time, "LLM_ERROR" otherwise. */
export class LlmError extends SlmkitError {
  override readonly name: string = "LlmError";
  override readonly code: "LLM_ERROR" | "LLM_TIMEOUT";
  readonly statusCode: number | undefined;
  readonly isRetryable: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(code: "LLM_ERROR" | "LLM_TIMEOUT", message: string, options: LlmErrorOptions) {
    super(code, message, options.cause === undefined ? {} : { cause: options.cause });
    this.code = code;
    this.statusCode = options.statusCode;
    this.isRetryable = options.isRetryable;
    this.retryAfterMs = options.retryAfterMs;
  }

  /** True for an LlmError, also one thrown by another copy of this package. */
  static isLlmError(error: unknown): error is LlmError {
    return SlmkitError.isInstance(error) && (error.code === "LLM_ERROR" || error.code === "LLM_TIMEOUT");
  }
}
