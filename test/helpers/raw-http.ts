// Raw HTTP over a socket, for what a client library would refuse to send: malformed request lines, broken
// percent-encoding, oversized headers, bodies trickled a byte at a time.

import { connect, type Socket } from "node:net";

export interface RawResponse {
  status: number;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  body: string;
  /** True when the server closed the connection after the response. */
  closed: boolean;
}

/**
 * Sends `request` as written on a fresh connection to `port` on loopback and reads one response; resolves when the
 * server closes the connection, or `waitMs` after the response is whole (then `closed` is false).
 */
export function rawRequest(port: number, request: string | Buffer, waitMs = 500): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let received = Buffer.alloc(0);
    let timer: NodeJS.Timeout | undefined;
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      const parsed = parseResponse(received.toString("utf8"));
      if (parsed === undefined) reject(new Error(`no HTTP response: ${JSON.stringify(received.toString())}`));
      else resolve({ ...parsed, closed });
    };
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const parsed = parseResponse(received.toString("utf8"));
      if (parsed !== undefined && timer === undefined) timer = setTimeout(() => finish(false), waitMs);
    });
    socket.on("close", () => finish(true));
    socket.on("error", () => undefined);
    socket.write(request);
  });
}

/** One whole response (status line, headers, a body of its Content-Length), or undefined while incomplete. */
export function parseResponse(text: string): Omit<RawResponse, "closed"> | undefined {
  const end = text.indexOf("\r\n\r\n");
  if (end === -1) return undefined;
  const [statusLine = "", ...lines] = text.slice(0, end).split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const body = text.slice(end + 4);
  const length = Number(headers["content-length"] ?? body.length);
  if (Buffer.byteLength(body) < length) return undefined;
  return { status: Number(statusLine.split(" ")[1]), headers, body };
}

/** A connection to `port` on loopback, from `localAddress` when given (any 127.x.y.z is loopback on Linux). */
export function openSocket(port: number, localAddress?: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: "127.0.0.1", ...(localAddress ? { localAddress } : {}) });
    socket.once("connect", () => resolve(socket));
    socket.once("error", reject);
  });
}
