// A `fetch` for the OpenAI SDK over node:http/https with kept-alive agents: the labeler's default transport.

import {
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
} from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { brotliDecompress, gunzip, inflate } from "node:zlib";

export interface HttpFetchOptions {
  /**
   * How long an idle connection is kept for the next call, in milliseconds. A server's shorter `Keep-Alive:
   * timeout` hint wins (Node's agent closes a second before it). Default 30,000.
   */
  idleSocketMs?: number;
  /** Connections per origin at most; further calls wait for a free one. Default 256. */
  maxSockets?: number;
  /** Used for bodies this transport does not send itself (streams, forms, blobs). Default the global `fetch`. */
  fallback?: typeof globalThis.fetch;
}

/** A `fetch` the SDK accepts, plus `close()` to drop its idle connections. */
export interface HttpFetch {
  (input: string | URL | Request, init?: RequestInit): Promise<Response>;
  /** Closes idle connections now; calls still in flight finish. The fetch stays usable. */
  close(): void;
}

/** Statuses whose response has no body: the Response constructor refuses one. */
const nullBodyStatuses = new Set([101, 204, 205, 304]);
/** Errors of a kept-alive socket the server closed just as it was reused: the request never reached it. */
const staleSocketCodes = new Set(["ECONNRESET", "EPIPE", "ECONNABORTED"]);

/**
 * Creates a fetch that sends each request with node:http (or node:https) on a kept-alive agent and resolves
 * once the whole body is read, so a timeout the caller's signal enforces covers the body too. Why not the
 * global fetch: Node's bundled undici costs more per call (WHATWG streams, its WebAssembly HTTP parser, several
 * AbortSignals) and compiles that parser on the first call, which stalled the first escalation by 40-60 ms.
 *
 * It behaves as fetch does where the SDK looks: an aborted signal rejects with the signal's reason (an
 * AbortError), network errors reject with `TypeError("fetch failed", { cause })`, and the Response carries the
 * status and headers. Differences: redirects are not followed (an API endpoint does not redirect; the 3xx is
 * returned as it came), no `Accept-Encoding` is sent (gzip, deflate and br replies are still decoded), and a
 * request that fails on a reused idle connection the server had just closed is sent once more on a new one, as
 * Node's documentation advises (`request.reusedSocket`).
 */
export function createHttpFetch(options: HttpFetchOptions = {}): HttpFetch {
  const idleSocketMs = options.idleSocketMs ?? 30_000;
  const maxSockets = options.maxSockets ?? 256;
  const agentOptions = { keepAlive: true, maxSockets, timeout: idleSocketMs, scheduling: "lifo" as const };
  const httpAgent = new HttpAgent(agentOptions);
  const httpsAgent = new HttpsAgent(agentOptions);
  const fallback = options.fallback ?? ((input, init) => globalThis.fetch(input, init));

  const send = (
    url: URL,
    method: string,
    headers: OutgoingHttpHeaders,
    body: Buffer | undefined,
    signal: AbortSignal | null | undefined,
    retryStale: boolean,
  ): Promise<Response> =>
    new Promise<Response>((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortReason(signal));
        return;
      }
      const secure = url.protocol === "https:";
      let settled = false;
      let receiving = false;
      const outgoing = (secure ? httpsRequest : httpRequest)(url, {
        method,
        headers,
        agent: secure ? httpsAgent : httpAgent,
      });
      const onAbort = () => {
        if (settled) return;
        settled = true;
        outgoing.destroy();
        reject(abortReason(signal as AbortSignal));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      const finish = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener("abort", onAbort);
        try {
          outcome();
        } catch (error) {
          // A status the Response constructor refuses (outside 200-599) is a broken server, as fetch says too.
          reject(new TypeError("fetch failed", { cause: error }));
        }
      };
      outgoing.on("error", (error: NodeJS.ErrnoException) => {
        if (settled) return;
        if (retryStale && outgoing.reusedSocket && !receiving && staleSocketCodes.has(error.code ?? "")) {
          settled = true;
          signal?.removeEventListener("abort", onAbort);
          send(url, method, headers, body, signal, false).then(resolve, reject);
          return;
        }
        finish(() => reject(new TypeError("fetch failed", { cause: error })));
      });
      outgoing.on("response", (incoming) => {
        receiving = true;
        readBody(incoming).then(
          ({ bytes, decoded }) => finish(() => resolve(toResponse(incoming, bytes, decoded))),
          (error: unknown) => finish(() => reject(new TypeError("fetch failed", { cause: error }))),
        );
      });
      outgoing.end(body);
    });

  const httpFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    if (typeof input !== "string" && !(input instanceof URL)) return fallback(input, init);
    const body = init?.body;
    const bytes = toBuffer(body);
    if (bytes === null) return fallback(input, init);
    const url = typeof input === "string" ? new URL(input) : input;
    if (url.protocol !== "http:" && url.protocol !== "https:") return fallback(input, init);
    const method = (init?.method ?? "GET").toUpperCase();
    const headers = toOutgoingHeaders(init?.headers);
    if (bytes !== undefined) {
      headers["content-length"] = bytes.length;
      if (typeof body === "string" && headers["content-type"] === undefined)
        headers["content-type"] = "text/plain;charset=UTF-8";
      if (body instanceof URLSearchParams && headers["content-type"] === undefined)
        headers["content-type"] = "application/x-www-form-urlencoded;charset=UTF-8";
    }
    return send(url, method, headers, bytes, init?.signal, true);
  };

  return Object.assign(httpFetch, {
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  });
}

/** The bytes of a body this transport sends itself; undefined for none, null for kinds left to the fallback. */
function toBuffer(body: RequestInit["body"]): Buffer | undefined | null {
  if (body === undefined || body === null) return undefined;
  if (typeof body === "string") return Buffer.from(body);
  if (body instanceof URLSearchParams) return Buffer.from(body.toString());
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return null;
}

function toOutgoingHeaders(headers: RequestInit["headers"]): OutgoingHttpHeaders {
  const outgoing: OutgoingHttpHeaders = {};
  if (headers === undefined) return outgoing;
  const entries: Iterable<[string, string]> =
    headers instanceof Headers
      ? headers.entries()
      : Array.isArray(headers)
        ? (headers as [string, string][])
        : Object.entries(headers as Record<string, string>);
  for (const [name, value] of entries) outgoing[name.toLowerCase()] = value;
  return outgoing;
}

/** The whole body, decoded when the server compressed it anyway. */
function readBody(incoming: IncomingMessage): Promise<{ bytes: Buffer; decoded: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
    incoming.on("error", reject);
    incoming.on("close", () => {
      if (!incoming.complete) reject(new Error("the connection closed before the whole response arrived"));
    });
    incoming.on("end", () => {
      const bytes = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
      const encoding = String(incoming.headers["content-encoding"] ?? "")
        .trim()
        .toLowerCase();
      const decode =
        encoding === "gzip" || encoding === "x-gzip"
          ? gunzip
          : encoding === "deflate"
            ? inflate
            : encoding === "br"
              ? brotliDecompress
              : undefined;
      if (decode === undefined || bytes.length === 0) resolve({ bytes, decoded: false });
      else
        decode(bytes, (error, decoded) =>
          error === null ? resolve({ bytes: decoded, decoded: true }) : reject(error),
        );
    });
  });
}

function toResponse(incoming: IncomingMessage, bytes: Buffer, decoded: boolean): Response {
  const headers = new Headers();
  const raw = incoming.rawHeaders;
  for (let index = 0; index + 1 < raw.length; index += 2) {
    const name = raw[index] as string;
    const lower = name.toLowerCase();
    // A body handed over decoded: its encoding and length no longer describe it.
    if (decoded && (lower === "content-encoding" || lower === "content-length")) continue;
    headers.append(name, raw[index + 1] as string);
  }
  const status = incoming.statusCode ?? 502;
  return new Response(nullBodyStatuses.has(status) ? null : bytes, {
    status,
    statusText: incoming.statusMessage ?? "",
    headers,
  });
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("This operation was aborted", "AbortError");
}
