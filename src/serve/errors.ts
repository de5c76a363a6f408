// The gateway's errors in one place: the one HTTP error type, every error it answers with, and the translation
// of anything thrown (domain errors, Fastify's, Node's) into the OpenAI error shape.

import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Logger } from "../types.js";
import type { GatewayMetrics } from "./metrics.js";

/** OpenAI's error `type` values that clients switch on. */
export type OpenAiErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found_error"
  | "rate_limit_error"
  | "server_error";

/** Longest path parameter (a use case or review id), in characters: Fastify's default, named for the 414's message. */
export const maxParamLength = 100;

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

// The errors the gateway answers with, by status. Routes and middleware throw these; the handler below renders
// them. A new kind of failure is one more function here, so every status and code a client can see is listed
// in this file.

/** 400: what the client sent is wrong; `param` names the field when there is one. */
export const badRequest = (code: string, message: string, param: string | null = null): HttpError =>
  new HttpError(400, "invalid_request_error", code, message, param);

/** A query parameter given more than once (`?usecase=a&usecase=b`): ambiguous, so refused. */
export const repeatedParameter = (name: string): HttpError =>
  badRequest("repeated_parameter", `${name} is given more than once; give it once.`, name);

/** 400 for a URL whose percent-encoding is broken (Fastify's FST_ERR_BAD_URL). */
export const invalidUrl = (): HttpError =>
  new HttpError(400, "invalid_request_error", "invalid_url", "the URL is not validly percent-encoded.");

/** 400 for what is not an HTTP request at all (a malformed request line or header: Node's parser refused it). */
export const malformedRequest = (): HttpError =>
  new HttpError(400, "invalid_request_error", "malformed_request", "the request is not valid HTTP/1.1.");

// An unauthenticated request's connection is closed after its 401 (`Connection: close`): the rest of its body is not
// read, so a client without a key cannot hold connections open by trickling a body.
const closeConnection = { connection: "close" };

export const missingApiKey = (): HttpError =>
  new HttpError(
    401,
    "authentication_error",
    "missing_api_key",
    "send an API key as `Authorization: Bearer <key>` (create one with `slmkit keys create`).",
    null,
    closeConnection,
  );

export const invalidApiKey = (): HttpError =>
  new HttpError(
    401,
    "authentication_error",
    "invalid_api_key",
    "the API key is not valid or was revoked.",
    null,
    closeConnection,
  );

/** 403: the key is valid, but its role is below the lowest one the route needs. */
export const permissionDenied = (needed: string, role: string, what: string): HttpError =>
  new HttpError(
    403,
    "permission_error",
    "permission_denied",
    `${what} needs a key with the ${needed} role${needed === "admin" ? "" : " or higher"}; this key's role is ${role} (an admin creates one with \`slmkit keys create --name … --role ${needed}\`).`,
  );

/** 404 for a use case id the gateway does not serve; `param` is where the id was given. */
export const useCaseNotFound = (id: string, param: string): HttpError =>
  new HttpError(
    404,
    "not_found_error",
    "model_not_found",
    `no use case "${id}"; GET /v1/models lists them.`,
    param,
  );

export const routeNotFound = (method: string, url: string): HttpError =>
  new HttpError(404, "not_found_error", "not_found", `no route ${method} ${url}.`);

export const assetNotFound = (name: string): HttpError =>
  new HttpError(404, "not_found_error", "not_found", `no asset "${name}".`);

export const requestNotFound = (requestId: string): HttpError =>
  new HttpError(
    404,
    "not_found_error",
    "request_not_found",
    `no logged request "${requestId}".`,
    "request_id",
  );

export const reviewNotFound = (id: string): HttpError =>
  new HttpError(404, "not_found_error", "review_not_found", `no open review item "${id}".`, "id");

/** 409: a reload whose new model failed a check (the reason is the domain error's message). */
export const reloadRefused = (error: unknown): HttpError =>
  new HttpError(
    409,
    "invalid_request_error",
    "reload_refused",
    `the new model was refused and the old one keeps serving: ${(error as Error).message}`,
  );

/** 408: the request's headers or body did not arrive within their timeout (Node's `headersTimeout`, `requestTimeout`). */
export const requestTimeout = (): HttpError =>
  new HttpError(
    408,
    "invalid_request_error",
    "request_timeout",
    "the request did not arrive in time; send its headers and body without pauses.",
  );

export const bodyTooLarge = (bodyLimitBytes: number): HttpError =>
  new HttpError(
    413,
    "invalid_request_error",
    "body_too_large",
    `the request body is larger than ${bodyLimitBytes} bytes.`,
  );

/** 414 for a path parameter longer than the router allows (Fastify's FST_ERR_MAX_PARAM_LENGTH). */
export const parameterTooLong = (): HttpError =>
  new HttpError(
    414,
    "invalid_request_error",
    "parameter_too_long",
    `a path parameter is longer than ${maxParamLength} characters.`,
  );

/** 431 for request headers larger than Node's limit (16 KiB by default, `--max-http-header-size`). */
export const headersTooLarge = (): HttpError =>
  new HttpError(431, "invalid_request_error", "headers_too_large", "the request's headers are too large.");

/** 429 for a reload of a use case whose previous reload is still under way. */
export const reloadInProgress = (id: string): HttpError =>
  new HttpError(
    429,
    "rate_limit_error",
    "reload_in_progress",
    `a reload of "${id}" is under way; retry once it is done.`,
    null,
    { "retry-after": "1" },
  );

/** 429 with the wait in Retry-After; `close` also closes the connection (a client without a known key). */
export const rateLimited = (waitSeconds: number, close = false): HttpError =>
  new HttpError(
    429,
    "rate_limit_error",
    "rate_limit_exceeded",
    `too many requests; retry in ${waitSeconds} s.`,
    null,
    close
      ? { "retry-after": String(waitSeconds), ...closeConnection }
      : { "retry-after": String(waitSeconds) },
  );

export const internalError = (): HttpError =>
  new HttpError(500, "server_error", "internal_error", "the server failed to answer; the error is logged.");

/** 503 for a store that did not answer; `what` says what could not be done, e.g. "cannot check the API key". */
export const storeUnavailable = (what: string): HttpError =>
  new HttpError(503, "server_error", "store_unavailable", `${what} right now; retry shortly.`, null, {
    "retry-after": "1",
  });

export const deadlineExceeded = (timeoutMs: number): HttpError =>
  new HttpError(504, "server_error", "timeout", `no answer within ${timeoutMs} ms.`);

/**
 * What a client is answered for anything a route, a hook or Fastify threw: an HttpError as it is, Fastify's body
 * errors as ours, other 4xx as a 400 with their message, and everything else as a 500 whose cause is logged.
 */
export function toHttpError(
  error: Error & { statusCode?: number; code?: string },
  bodyLimitBytes: number,
): HttpError | undefined {
  if (error instanceof HttpError) return error;
  if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE") return bodyTooLarge(bodyLimitBytes);
  if (error.code === "FST_ERR_BAD_URL") return invalidUrl();
  if (error.code === "FST_ERR_MAX_PARAM_LENGTH") return parameterTooLong();
  if (error.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE" || error.code === "FST_ERR_CTP_EMPTY_JSON_BODY")
    return badRequest("invalid_body", "send a JSON body with Content-Type: application/json.");
  if (typeof error.statusCode === "number" && error.statusCode >= 400 && error.statusCode < 500)
    return badRequest("invalid_request", error.message);
  return undefined;
}

export interface ErrorHandlerOptions {
  /** The body limit the app was built with, in bytes, for the 413's message. */
  bodyLimitBytes: number;
  metrics: GatewayMetrics;
  /** Where 500s' causes go. Default: nowhere. */
  logger?: Pick<Logger, "error">;
}

/** Renders every error, and every unknown route, in the OpenAI error shape; counts errors by route and status. */
export function registerErrorHandlers(app: FastifyInstance, options: ErrorHandlerOptions): void {
  const send = createErrorSender(options);
  app.setErrorHandler(send);
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send(openAiErrorBody(routeNotFound(request.method, request.url)));
  });
}

type ThrownError = Error & { statusCode?: number; code?: string };

/**
 * Answers one thrown error in the OpenAI shape (the app's error handler, and Fastify's `frameworkErrors` option for
 * what fails before any hook: a bad URL encoding, an over-long path parameter). An unknown error is a 500 whose
 * cause is logged with the request id.
 */
export function createErrorSender(
  options: ErrorHandlerOptions,
): (error: ThrownError, request: FastifyRequest, reply: FastifyReply) => void {
  const { bodyLimitBytes, metrics, logger } = options;
  return (error, request, reply) => {
    let httpError = toHttpError(error, bodyLimitBytes);
    if (httpError === undefined) {
      logger?.error({ err: error, requestId: request.id, url: request.url }, "request failed");
      httpError = internalError();
    }
    metrics.httpError(request.routeOptions.url ?? "unknown", httpError.statusCode);
    void reply.code(httpError.statusCode).headers(httpError.headers).send(openAiErrorBody(httpError));
  };
}

/**
 * Node's `clientError` (Fastify's `clientErrorHandler` option): what Node's parser refuses before there is a request
 * (a malformed request line, headers over the size limit: 431) and requests whose headers or body outlast their
 * timeout (408), answered in the OpenAI shape on the raw socket, which is then closed. Counted by status under the
 * route "unknown"; not logged, since anyone can cause them at will.
 */
export function createClientErrorHandler(options: {
  metrics: GatewayMetrics;
}): (error: ThrownError, socket: Socket) => void {
  const { metrics } = options;
  return (error, socket) => {
    // A reset connection has nobody to answer.
    if (error.code === "ECONNRESET" || socket.destroyed) return;
    // Only the parser's refusals (HPE_…) and the timeouts are answered; a socket's own failure (EPIPE, ETIMEDOUT) is
    // the network's, not the client's request: the socket is just closed.
    if (error.code !== "ERR_HTTP_REQUEST_TIMEOUT" && error.code?.startsWith("HPE_") !== true) {
      socket.destroy();
      return;
    }
    const httpError =
      error.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? requestTimeout()
        : error.code === "HPE_HEADER_OVERFLOW"
          ? headersTooLarge()
          : malformedRequest();
    metrics.httpError("unknown", httpError.statusCode);
    // A response already under way on this socket cannot be followed by another one (Node's own rule).
    const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (socket.writable && inFlight?.headersSent !== true) {
      const body = JSON.stringify(openAiErrorBody(httpError));
      const status = httpError.statusCode;
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroySoon();
  };
}
