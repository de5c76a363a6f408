// The edge client's three calls to the gateway (docs/edge.md): the OpenAI-compatible chat route for escalations,
// the events upload and the bundle download. A failure is a value (`{ok: false, reason}`), never a throw: offline
// is the normal case on a device, not an exception.

import type { EdgeEventBatch, EdgeEventsReply, GatewayDecision } from "./wire.js";

/** The part of `fetch`'s response the client reads. */
export interface FetchResponse {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  arrayBuffer(): Promise<ArrayBuffer>;
  json(): Promise<unknown>;
}

/** `fetch` as the client calls it: any WHATWG fetch (browsers, Node 20, React Native, Deno) fits. */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; signal?: AbortSignal },
) => Promise<FetchResponse>;

export interface GatewayConnection {
  /** The gateway's base URL without the trailing slash, e.g. "https://slm.example.com". */
  baseURL: string;
  apiKey: string;
  useCase: string;
  /** Where the bundle is downloaded from. */
  bundleUrl: string;
  fetch: FetchLike;
  /** Each request's time limit, ms. */
  timeoutMs: number;
}

export type GatewayResult<T> = ({ ok: true } & T) | { ok: false; reason: string };

/** The answer of the chat route, as the client reads it. */
export interface ChatReply {
  content: string;
  decision: GatewayDecision;
}

/** Calls `fetch` with the key and a time limit; a network error, timeout or non-2xx/304 status is a reason. */
async function call(
  connection: GatewayConnection,
  url: string,
  init: { method: string; headers?: Record<string, string>; body?: string },
): Promise<GatewayResult<{ response: FetchResponse }>> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), connection.timeoutMs);
  try {
    const response = await connection.fetch(url, {
      method: init.method,
      headers: { authorization: `Bearer ${connection.apiKey}`, ...init.headers },
      ...(init.body === undefined ? {} : { body: init.body }),
      signal: controller.signal,
    });
    if ((response.status < 200 || response.status > 299) && response.status !== 304)
      return { ok: false, reason: `status ${response.status}` };
    return { ok: true, response };
  } catch {
    return { ok: false, reason: controller.signal.aborted ? "timeout" : "unreachable" };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Asks the gateway's chat route, as any OpenAI client would, with the event id as `Idempotency-Key`: if the reply
 * is lost and the request is queued as an escalation event, the gateway can tell it already has it.
 */
export async function askGateway(
  connection: GatewayConnection,
  text: string,
  eventId: string,
): Promise<GatewayResult<ChatReply>> {
  const result = await call(connection, `${connection.baseURL}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", "idempotency-key": eventId },
    body: JSON.stringify({ model: connection.useCase, messages: [{ role: "user", content: text }] }),
  });
  if (!result.ok) return result;
  try {
    const body = (await result.response.json()) as {
      choices?: { message?: { content?: unknown } }[];
      slmkit?: GatewayDecision;
    };
    const content = body.choices?.[0]?.message?.content;
    if (typeof content !== "string" || typeof body.slmkit !== "object" || body.slmkit === null)
      return { ok: false, reason: "malformed reply" };
    return { ok: true, content, decision: body.slmkit };
  } catch {
    return { ok: false, reason: "malformed reply" };
  }
}

/** Uploads one batch of events; the reply says, per event, stored, duplicate or rejected. */
export async function uploadEvents(
  connection: GatewayConnection,
  batch: EdgeEventBatch,
): Promise<GatewayResult<{ reply: EdgeEventsReply }>> {
  const result = await call(connection, `${connection.baseURL}/v1/edge/events`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(batch),
  });
  if (!result.ok) return result;
  try {
    const reply = (await result.response.json()) as EdgeEventsReply;
    if (!Array.isArray(reply.results)) return { ok: false, reason: "malformed reply" };
    return { ok: true, reply };
  } catch {
    return { ok: false, reason: "malformed reply" };
  }
}

/** Downloads the use case's bundle unless the gateway's is still `sha256` (`If-None-Match`, 304). */
export async function downloadBundle(
  connection: GatewayConnection,
  sha256: string | null,
): Promise<GatewayResult<{ bytes: Uint8Array | null }>> {
  const result = await call(connection, connection.bundleUrl, {
    method: "GET",
    headers: sha256 === null ? {} : { "if-none-match": `"${sha256}"` },
  });
  if (!result.ok) return result;
  if (result.response.status === 304) return { ok: true, bytes: null };
  try {
    return { ok: true, bytes: new Uint8Array(await result.response.arrayBuffer()) };
  } catch {
    return { ok: false, reason: "unreachable" };
  }
}
