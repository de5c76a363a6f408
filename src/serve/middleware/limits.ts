// What a client may use: connections (in total and per address), the time to send a request and to keep an idle
// connection, requests per second (per key, or per address before a key is known), the size of a body and the
// length of an input text. The token buckets themselves are `../rate-limit.ts` (one replica) and
// `../shared-rate-limit.ts` (every replica, through Redis).

import type { Server } from "node:http";
import { SlmkitError } from "../../errors.js";
import { openFileLimit } from "../../internal/open-file-limit.js";
import { badRequest, type HttpError, rateLimited } from "../errors.js";
import type { RateLimiter } from "../rate-limit.js";

/** Largest request body, in bytes, unless `AppOptions.bodyLimitBytes` says otherwise. */
export const defaultBodyLimitBytes = 262_144;

/** Longest input text, in characters, unless `AppOptions.maxInputChars` says otherwise. */
export const defaultMaxInputChars = 10_000;

/**
 * Charges one request to its bucket: the key's (`keyId`) when the key was verified before, else the client
 * address's, so requests without a known-good key (guessed keys among them) are throttled before the store is
 * asked, and a flood of them never empties a known key's bucket. Returns the 429 to answer (closing the connection
 * when it was the address's bucket), or undefined when the request may go on.
 */
export function chargeRequest(
  limiter: RateLimiter,
  keyId: string | undefined,
  address: string,
): HttpError | undefined {
  const wait = limiter.take(keyId === undefined ? `ip:${address}` : `key:${keyId}`);
  return wait > 0 ? rateLimited(wait, keyId === undefined) : undefined;
}

/** How long a client may take to send a request's headers, in ms, unless `headerTimeoutMs` says otherwise. */
export const defaultHeaderTimeoutMs = 10_000;
/** How long a client may take to send a whole request, headers and body, in ms, unless `bodyTimeoutMs` says otherwise. */
export const defaultBodyTimeoutMs = 30_000;
/** How long a kept-alive connection may wait idle for its next request, in ms, unless `idleTimeoutMs` says otherwise. */
export const defaultIdleTimeoutMs = 72_000;
/** Most open connections from one client address, unless `maxConnectionsPerAddress` says otherwise. */
export const defaultMaxConnectionsPerAddress = 1_000;

/**
 * Most open connections in all, unless `maxConnections` says otherwise: 10,000, or three quarters of the process's
 * open-file limit when that is lower (the rest is the store's, the cache's, the LLM connections' and the models').
 */
export function defaultMaxConnections(): number {
  const limit = openFileLimit();
  return limit === undefined ? 10_000 : Math.max(64, Math.min(10_000, Math.floor(limit * 0.75)));
}

/** What a connection may hold: the server's timeouts and connection caps (each default above). */
export interface ConnectionLimitOptions {
  /**
   * Time to send a request's headers, in ms (Node's `headersTimeout`); past it a 408 and the connection is closed.
   * Default 10,000: a client that cannot send a few kilobytes of headers in 10 s is broken or holding the connection.
   */
  headerTimeoutMs?: number;
  /**
   * Time to send a whole request, headers and body, in ms (Node's `requestTimeout`), at least `headerTimeoutMs`;
   * past it a 408 and the connection is closed. Default 30,000: the largest body (256 KiB) at 70 kbit/s.
   */
  bodyTimeoutMs?: number;
  /**
   * Time a kept-alive connection may wait for its next request, in ms (Node's `keepAliveTimeout`). Default 72,000:
   * longer than a load balancer's usual 60 s, so the balancer closes an idle connection first (the other way round,
   * a request it sends just as the gateway closes fails).
   */
  idleTimeoutMs?: number;
  /**
   * Most open connections in all; one over it is closed at once (`slmkit_connections_refused_total`). Default
   * 10,000, or three quarters of the open-file limit when that is lower.
   */
  maxConnections?: number;
  /**
   * Most open connections from one client address; one over it is closed at once. Default 1,000. Behind a proxy every
   * client has the proxy's address: allow it as many as it opens (or `maxConnections`).
   */
  maxConnectionsPerAddress?: number;
}

/** The limits with their defaults, checked: a value that makes no sense is an error that names its option. */
export function resolveConnectionLimits(options: ConnectionLimitOptions): Required<ConnectionLimitOptions> {
  const limits = {
    headerTimeoutMs: options.headerTimeoutMs ?? defaultHeaderTimeoutMs,
    bodyTimeoutMs: options.bodyTimeoutMs ?? Math.max(defaultBodyTimeoutMs, options.headerTimeoutMs ?? 0),
    idleTimeoutMs: options.idleTimeoutMs ?? defaultIdleTimeoutMs,
    maxConnections: options.maxConnections ?? defaultMaxConnections(),
    maxConnectionsPerAddress: options.maxConnectionsPerAddress ?? defaultMaxConnectionsPerAddress,
  };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isInteger(value) || value < 1)
      throw new SlmkitError("INVALID_OPTION", `${name} must be a whole number of at least 1, not ${value}.`, {
        field: name,
      });
  }
  if (limits.bodyTimeoutMs < limits.headerTimeoutMs)
    throw new SlmkitError(
      "INVALID_OPTION",
      `bodyTimeoutMs (${limits.bodyTimeoutMs}) covers the headers too: make it at least headerTimeoutMs (${limits.headerTimeoutMs}).`,
      { field: "bodyTimeoutMs" },
    );
  return limits;
}

/**
 * Fastify's options for the timeouts. Node checks them on a timer (`connectionsCheckingInterval`), here every
 * second at most (Node's default, 30 s, would let a slow client stay 30 s past its timeout).
 */
export function serverTimeoutOptions(limits: Required<ConnectionLimitOptions>) {
  return {
    requestTimeout: limits.bodyTimeoutMs,
    keepAliveTimeout: limits.idleTimeoutMs,
    http: {
      headersTimeout: limits.headerTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, Math.max(100, Math.floor(limits.headerTimeoutMs / 4))),
    },
  };
}

/** Open connections, for the gauge. */
export interface ConnectionCount {
  open(): number;
}

/**
 * Caps `server`'s connections in all (Node's `maxConnections`: refused before a socket exists) and per client
 * address (closed as it arrives); `onRefused` counts each refusal. Per connection, not per request: kept-alive
 * requests cost nothing here.
 */
export function capConnections(
  server: Server,
  limits: Pick<Required<ConnectionLimitOptions>, "maxConnections" | "maxConnectionsPerAddress">,
  onRefused: (cap: "total" | "per_address") => void,
): ConnectionCount {
  const { maxConnectionsPerAddress } = limits;
  server.maxConnections = limits.maxConnections;
  server.on("drop", () => onRefused("total"));
  const perAddress = new Map<string, number>();
  let open = 0;
  server.on("connection", (socket) => {
    const address = socket.remoteAddress;
    if (address === undefined) return;
    const count = perAddress.get(address) ?? 0;
    if (count >= maxConnectionsPerAddress) {
      onRefused("per_address");
      socket.destroy();
      return;
    }
    perAddress.set(address, count + 1);
    open += 1;
    socket.once("close", () => {
      open -= 1;
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left === 0) perAddress.delete(address);
      else perAddress.set(address, left);
    });
  });
  return { open: () => open };
}

/** Throws a 400 naming `param` when `text` is longer than `maxInputChars`. */
export function checkInputLength(text: string, maxInputChars: number, param: string): void {
  if (text.length > maxInputChars) {
    throw badRequest(
      "input_too_long",
      `the input has ${text.length} characters; the limit is ${maxInputChars}.`,
      param,
    );
  }
}
