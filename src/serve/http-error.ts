// The one HTTP error type of the server, rendered in the OpenAI error shape in one place.

/** OpenAI's error `type` values that clients switch on. */
export type OpenAiErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found_error"
  | "rate_limit_error"
  | "server_error";

export class HttpError extends Error {
  override readonly name = "HttpError";
  constructor(
    readonly statusCode: number,
    readonly type: OpenAiErrorType,
    readonly code: string,
    message: string,
    readonly param: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** `{error: {message, type, code, param}}`: the body OpenAI clients parse. Never a stack trace. */
export function openAiErrorBody(error: HttpError): {
  error: { message: string; type: string; code: string; param: string | null };
} {
  return { error: { message: error.message, type: error.type, code: error.code, param: error.param } };
}

export const badRequest = (code: string, message: string, param: string | null = null): HttpError =>
  new HttpError(400, "invalid_request_error", code, message, param);
