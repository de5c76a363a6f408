// A stand-in for the gateway's edge side, on node:http, speaking exactly the wire formats of docs/edge.md: the
// chat route (Idempotency-Key), GET /v1/usecases/{id}/bundle (ETag, 304) and POST /v1/edge/events (counted once by
// event id). It also serves static files, so a browser test loads its page and module from the same origin.

import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { EdgeEvent, EdgeEventBatch, EdgeEventResult } from "../../src/edge/wire.js";

export interface StandInReply {
  /** The reply's text: the answer (answer use cases) or the label. */
  content: string;
  label: string | null;
  answeredBy?: string;
  fields?: Record<string, string | number | null>;
}

export interface EdgeGatewayOptions {
  useCase: string;
  apiKey?: string;
  bundle?: Uint8Array;
  /** What the chat route answers. Default: label "escalated", answered by "llm". */
  reply?: (text: string) => StandInReply;
  /** Files served at their path ("/index.html" → content type and body). */
  files?: Record<string, { type: string; body: string | Uint8Array }>;
}

export interface EdgeGatewayStandIn {
  readonly url: string;
  readonly apiKey: string;
  /** Serves these bytes as the use case's bundle from now on (ETag: the sha256 of their content). */
  setBundle(bytes: Uint8Array): void;
  /** Events stored, by id: each counted once, however often it was uploaded. */
  readonly events: Map<string, EdgeEvent>;
  /** Uploads of an event already stored. */
  duplicates: number;
  /** Every batch received, in order. */
  readonly batches: EdgeEventBatch[];
  /** Chat requests: the text and the Idempotency-Key. */
  readonly chats: { text: string; idempotencyKey: string | null }[];
  /** Bundle requests: the If-None-Match sent and the status answered. */
  readonly bundleRequests: { ifNoneMatch: string | null; status: number }[];
  /** The next events upload is stored, then its connection cut before the reply: the device must retry. */
  loseNextEventsReply(): void;
  /** Answers every request with this status (e.g. 503) until set back to null. */
  failWith(status: number | null): void;
  close(): Promise<void>;
}

/** The bundle's ETag: the sha256 of its content, which the bundle also carries in its trailer. */
function etagOf(bytes: Uint8Array): string {
  const contentLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(12, true);
  const content = bytes.subarray(0, Math.min(contentLength, bytes.length));
  return `"${createHash("sha256").update(content).digest("hex")}"`;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}

function error(response: ServerResponse, status: number, code: string, message: string): void {
  json(response, status, { error: { message, type: "invalid_request_error", code, param: null } });
}

const eventTypes = new Set(["decision", "escalation", "feedback"]);

/** The stand-in's check of one event: the fields every event has, and a text for an escalation. */
function eventProblem(event: Partial<EdgeEvent> | null): string | undefined {
  if (typeof event?.id !== "string" || event.id === "") return "id must be a non-empty string";
  if (!eventTypes.has(String(event.type))) return `type must be one of ${[...eventTypes].join(", ")}`;
  if (typeof event.created_at !== "number") return "created_at must be a number (ms since the epoch)";
  if (event.type === "escalation" && typeof (event as { text?: unknown }).text !== "string")
    return "an escalation needs its text";
  return undefined;
}

export async function startEdgeGateway(options: EdgeGatewayOptions): Promise<EdgeGatewayStandIn> {
  const apiKey = options.apiKey ?? "sk-edge-test";
  let bundle = options.bundle ?? null;
  let loseReply = false;
  let failing: number | null = null;
  const reply = options.reply ?? ((): StandInReply => ({ content: "escalated", label: "escalated" }));
  const state = {
    events: new Map<string, EdgeEvent>(),
    duplicates: 0,
    batches: [] as EdgeEventBatch[],
    chats: [] as { text: string; idempotencyKey: string | null }[],
    bundleRequests: [] as { ifNoneMatch: string | null; status: number }[],
  };

  const handleEvents = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const batch = JSON.parse(await readBody(request)) as EdgeEventBatch;
    if (batch.usecase !== options.useCase || !Array.isArray(batch.events))
      return error(response, 400, "invalid_value", "usecase and events are required");
    if (batch.events.length > 100)
      return error(response, 413, "batch_too_large", "at most 100 events a batch");
    state.batches.push(batch);
    const results: EdgeEventResult[] = batch.events.map((event) => {
      const problem = eventProblem(event);
      if (problem !== undefined) return { id: String(event?.id ?? ""), status: "rejected", message: problem };
      // An escalation the chat route already answered (same Idempotency-Key) is that same request.
      const answered = state.chats.some((chat) => chat.idempotencyKey === event.id);
      if (state.events.has(event.id) || answered) {
        state.duplicates++;
        return { id: event.id, status: "duplicate" };
      }
      state.events.set(event.id, event);
      return { id: event.id, status: "stored" };
    });
    if (loseReply) {
      loseReply = false;
      request.socket.destroy();
      return;
    }
    const count = (status: string) => results.filter((result) => result.status === status).length;
    json(response, 200, {
      stored: count("stored"),
      duplicates: count("duplicate"),
      rejected: count("rejected"),
      results,
    });
  };

  const handleChat = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const body = JSON.parse(await readBody(request)) as {
      model?: string;
      messages?: { role: string; content: string }[];
    };
    if (body.model !== options.useCase)
      return error(response, 404, "model_not_found", `no use case "${body.model}"`);
    const text = body.messages?.findLast((message) => message.role === "user")?.content ?? "";
    const key = request.headers["idempotency-key"];
    state.chats.push({ text, idempotencyKey: typeof key === "string" ? key : null });
    const answer = reply(text);
    const requestId = `req-${state.chats.length}`;
    json(response, 200, {
      id: `chatcmpl-${requestId}`,
      object: "chat.completion",
      created: Math.floor(Date.now() / 1000),
      model: options.useCase,
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: answer.content, refusal: null },
          finish_reason: "stop",
        },
      ],
      slmkit: {
        request_id: requestId,
        answered_by: answer.answeredBy ?? "llm",
        reason: "stand-in",
        label: answer.label,
        confidence: null,
        flagged: false,
        ...(answer.fields === undefined ? {} : { fields: answer.fields }),
      },
    });
  };

  const handleBundle = (request: IncomingMessage, response: ServerResponse): void => {
    const ifNoneMatch = request.headers["if-none-match"] ?? null;
    const record = (status: number) =>
      state.bundleRequests.push({ ifNoneMatch: ifNoneMatch as string | null, status });
    if (bundle === null) {
      record(404);
      error(response, 404, "bundle_not_found", "this use case has no bundle");
      return;
    }
    const etag = etagOf(bundle);
    if (ifNoneMatch === etag) {
      record(304);
      response.writeHead(304, { etag });
      response.end();
      return;
    }
    record(200);
    response.writeHead(200, {
      "content-type": "application/vnd.slmkit.bundle",
      "content-length": bundle.length,
      etag,
      "cache-control": "no-cache",
    });
    response.end(bundle);
  };

  const server = createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://stand-in").pathname;
    const file = options.files?.[path];
    if (file !== undefined && request.method === "GET") {
      response.writeHead(200, { "content-type": file.type, "cache-control": "no-store" });
      response.end(file.body);
      return;
    }
    if (request.headers.authorization !== `Bearer ${apiKey}`)
      return error(response, 401, "invalid_api_key", "a valid API key is required");
    if (failing !== null) return error(response, failing, "stand_in_failure", "failing on purpose");
    const handled =
      request.method === "POST" && path === "/v1/edge/events"
        ? handleEvents(request, response)
        : request.method === "POST" && path === "/v1/chat/completions"
          ? handleChat(request, response)
          : request.method === "GET" && path === `/v1/usecases/${options.useCase}/bundle`
            ? Promise.resolve(handleBundle(request, response))
            : Promise.resolve(error(response, 404, "not_found", `no route ${request.method} ${path}`));
    handled.catch((cause: unknown) => error(response, 400, "invalid_json", String(cause)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    setBundle(bytes) {
      bundle = bytes;
    },
    get events() {
      return state.events;
    },
    get duplicates() {
      return state.duplicates;
    },
    set duplicates(value: number) {
      state.duplicates = value;
    },
    get batches() {
      return state.batches;
    },
    get chats() {
      return state.chats;
    },
    get bundleRequests() {
      return state.bundleRequests;
    },
    loseNextEventsReply() {
      loseReply = true;
    },
    failWith(status) {
      failing = status;
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
