// A local HTTP server speaking OpenAI's chat.completions wire format, scriptable per test for fault injection.

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One request as the server received it. */
export interface RecordedRequest {
  method: string;
  path: string;
  /** Lower-cased header names. */
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body (undefined when it was not JSON). */
  body: ChatRequestBody | undefined;
  /** The system message's text, "" when none. */
  system: string;
  /** The last user message's text, "" when none. */
  user: string;
}

export interface ChatRequestBody {
  model?: string;
  messages?: Array<{ role: string; content: string }>;
  logprobs?: boolean;
  response_format?: unknown;
  temperature?: number;
  max_tokens?: number;
  [key: string]: unknown;
}

/** What the server does with one request. */
export type FakeReply =
  /** A chat.completion whose message content is `content`. */
  | {
      kind: "content";
      content: string | null;
      /** Probability spread over the tokens of the reply when logprobs were asked for. Default 0.9. */
      probability?: number;
      delayMs?: number;
      usage?: { prompt_tokens: number; completion_tokens: number } | null;
    }
  /** An HTTP error in OpenAI's error shape. */
  | { kind: "error"; status: number; message?: string; param?: string; headers?: Record<string, string> }
  /** A 200 whose body is `body` as given (malformed JSON, HTML, …). */
  | { kind: "raw"; body: string; contentType?: string }
  /** Never answers; the connection is closed when the server closes. */
  | { kind: "hang" };

export type FakeHandler = (request: RecordedRequest) => FakeReply | Promise<FakeReply>;

/** A request the chat route does not take, as another route sees it. */
export interface FakeRouteRequest {
  method: string;
  /** The path without the query string. */
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage["headers"];
  body: Buffer;
}

/** Answers a request outside chat.completions (files, jobs, batches); false leaves it to the 404. */
export type FakeRoute = (request: FakeRouteRequest, response: ServerResponse) => boolean | Promise<boolean>;

export interface FakeOpenAiOptions {
  /** More routes, tried before the 404 for anything that is not `POST …/chat/completions`. */
  route?: FakeRoute;
}

export interface FakeOpenAiServer extends AsyncDisposable {
  /** `http://127.0.0.1:<port>/v1`. */
  readonly baseUrl: string;
  /** Every chat request received, oldest first. */
  readonly requests: RecordedRequest[];
  /** Replies used once each, in order, before the default handler. */
  enqueue(...replies: FakeReply[]): void;
  /** The handler used when the queue is empty. */
  setHandler(handler: FakeHandler): void;
  /** Parameters answered with a 400 naming them (as servers that lack the feature do). */
  refuseParameters(...parameters: string[]): void;
  close(): Promise<void>;
}

/** Replies with a JSON `{label}` when the request asked for structured output, the bare label otherwise. */
export function answer(label: string, extra: { probability?: number; delayMs?: number } = {}): FakeHandler {
  return (request) => ({
    kind: "content",
    content: request.body?.response_format === undefined ? label : JSON.stringify({ label }),
    ...extra,
  });
}

/** Answers each request by a function of its user message. */
export function answerBy(choose: (user: string) => string): FakeHandler {
  return (request) => answer(choose(request.user))(request);
}

/** Replies with `value` as the message's JSON content, whatever was asked (extraction and FAQ replies). */
export function replyJson(
  value: unknown,
  extra: { usage?: { prompt_tokens: number; completion_tokens: number } } = {},
): FakeHandler {
  return () => ({ kind: "content", content: JSON.stringify(value), ...extra });
}

/** The `response_format.type` a request asked for ("json_schema", "json_object"), or undefined when none. */
export function responseFormatType(request: RecordedRequest): string | undefined {
  const format = request.body?.response_format;
  if (typeof format !== "object" || format === null) return undefined;
  const type = (format as { type?: unknown }).type;
  return typeof type === "string" ? type : undefined;
}

/**
 * Answers a request whose `response_format` is of `type` with the 400 a server without that feature sends (as
 * llama.cpp servers and older vLLM do for json_schema), and any other request with `next`.
 */
export function refuseResponseFormat(type: string, next: FakeHandler): FakeHandler {
  return (request) =>
    responseFormatType(request) === type
      ? {
          kind: "error",
          status: 400,
          message: `Invalid parameter: 'response_format' of type '${type}' is not supported with this model.`,
          param: "response_format",
        }
      : next(request);
}

export function rateLimited(retryAfterSeconds: number): FakeReply {
  return {
    kind: "error",
    status: 429,
    message: "Rate limit reached",
    headers: { "retry-after": String(retryAfterSeconds) },
  };
}

export function serverError(status = 500): FakeReply {
  return { kind: "error", status, message: "The server had an error while processing your request." };
}

export async function startFakeOpenAi(
  handler: FakeHandler = answer("unknown"),
  options: FakeOpenAiOptions = {},
): Promise<FakeOpenAiServer> {
  const requests: RecordedRequest[] = [];
  const queue: FakeReply[] = [];
  const refused = new Set<string>();
  let current = handler;
  const hanging = new Set<ServerResponse>();

  const server = createServer((incoming, response) => {
    void handle(incoming, response);
  });

  const handle = async (incoming: IncomingMessage, response: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const path = (incoming.url ?? "").split("?")[0] ?? "";
    if (incoming.method !== "POST" || !path.endsWith("/chat/completions")) {
      const routed = await options.route?.(
        {
          method: incoming.method ?? "GET",
          path,
          query: new URL(incoming.url ?? "/", "http://fake").searchParams,
          headers: incoming.headers,
          body: Buffer.concat(chunks),
        },
        response,
      );
      if (routed === true) return;
      sendJson(response, 404, {
        error: { message: `no route ${incoming.method} ${path}`, type: "not_found" },
      });
      return;
    }
    let body: ChatRequestBody | undefined;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as ChatRequestBody;
    } catch {
      body = undefined;
    }
    const messages = body?.messages ?? [];
    const request: RecordedRequest = {
      method: incoming.method,
      path: incoming.url ?? "",
      headers: incoming.headers,
      body,
      system: messages.find((message) => message.role === "system")?.content ?? "",
      user: messages.filter((message) => message.role === "user").at(-1)?.content ?? "",
    };
    requests.push(request);
    const refusedHere = [...refused].find((parameter) => body !== undefined && body[parameter] !== undefined);
    if (refusedHere !== undefined) {
      sendJson(response, 400, {
        error: {
          message: `Unsupported parameter: '${refusedHere}' is not supported with this model.`,
          type: "invalid_request_error",
          param: refusedHere,
          code: "unsupported_parameter",
        },
      });
      return;
    }
    const reply = queue.shift() ?? (await current(request));
    await respond(reply, request, response);
  };

  const respond = async (
    reply: FakeReply,
    request: RecordedRequest,
    response: ServerResponse,
  ): Promise<void> => {
    switch (reply.kind) {
      case "hang":
        hanging.add(response);
        response.on("close", () => hanging.delete(response));
        return;
      case "raw":
        response.writeHead(200, { "content-type": reply.contentType ?? "application/json" });
        response.end(reply.body);
        return;
      case "error":
        sendJson(
          response,
          reply.status,
          {
            error: {
              message: reply.message ?? `error ${reply.status}`,
              type: reply.status >= 500 ? "server_error" : "invalid_request_error",
              param: reply.param ?? null,
              code: null,
            },
          },
          reply.headers,
        );
        return;
      case "content": {
        if (reply.delayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
        if (response.destroyed) return;
        sendJson(response, 200, completionBody(reply, request.body, `chatcmpl-${requests.length}`));
        return;
      }
    }
  };

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  const close = async (): Promise<void> => {
    for (const response of hanging) response.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    enqueue: (...replies) => queue.push(...replies),
    setHandler: (next) => {
      current = next;
    },
    refuseParameters: (...parameters) => {
      for (const parameter of parameters) refused.add(parameter);
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/**
 * The chat.completion a "content" reply answers `body` with: logprobs when asked for, usage of about 4 characters
 * a token unless the reply sets it (null: none). Batch output lines carry the same object.
 */
export function completionBody(
  reply: Extract<FakeReply, { kind: "content" }>,
  body: ChatRequestBody | undefined,
  id: string,
): Record<string, unknown> {
  const content = reply.content;
  const logprobs =
    body?.logprobs === true && content !== null
      ? { content: tokenLogprobs(content, reply.probability ?? 0.9), refusal: null }
      : null;
  const promptTokens = Math.ceil(JSON.stringify(body?.messages ?? []).length / 4);
  const completionTokens = Math.max(1, Math.ceil((content ?? "").length / 4));
  return {
    id,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: body?.model ?? "fake",
    choices: [
      {
        index: 0,
        message: { role: "assistant", content, refusal: null },
        finish_reason: "stop",
        logprobs,
      },
    ],
    ...(reply.usage === null
      ? {}
      : {
          usage: reply.usage ?? {
            prompt_tokens: promptTokens,
            completion_tokens: completionTokens,
            total_tokens: promptTokens + completionTokens,
          },
        }),
  };
}

/** The request a chat body makes, as the chat route records it (for handlers that answer batch lines too). */
export function recordedRequestOf(body: ChatRequestBody | undefined, path: string): RecordedRequest {
  const messages = body?.messages ?? [];
  return {
    method: "POST",
    path,
    headers: {},
    body,
    system: messages.find((message) => message.role === "system")?.content ?? "",
    user: messages.filter((message) => message.role === "user").at(-1)?.content ?? "",
  };
}

/**
 * Splits `content` into 3-character tokens; the characters of JSON punctuation and keys get logprob 0 and the
 * rest share log(probability), so the label's tokens multiply to `probability`.
 */
function tokenLogprobs(
  content: string,
  probability: number,
): Array<{ token: string; logprob: number; bytes: number[]; top_logprobs: [] }> {
  const pieces: string[] = [];
  let rest = content;
  // Keep `{"label":"` as fixed tokens so that only the value's tokens carry the uncertainty.
  const prefix = /^\{"label":\s*"/.exec(rest)?.[0];
  if (prefix !== undefined) {
    pieces.push(prefix);
    rest = rest.slice(prefix.length);
  }
  const suffix = rest.endsWith('"}') ? '"}' : "";
  const value = suffix === "" ? rest : rest.slice(0, -suffix.length);
  for (let index = 0; index < value.length; index += 3) pieces.push(value.slice(index, index + 3));
  if (suffix !== "") pieces.push(suffix);
  const valuePieces = Math.max(1, Math.ceil(value.length / 3));
  const share = Math.log(probability) / valuePieces;
  return pieces.map((token, index) => {
    const isValue = !(prefix !== undefined && index === 0) && !(suffix !== "" && index === pieces.length - 1);
    return { token, logprob: isValue ? share : 0, bytes: [...Buffer.from(token)], top_logprobs: [] };
  });
}

export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { "content-type": "application/json", ...headers });
  response.end(JSON.stringify(body));
}
