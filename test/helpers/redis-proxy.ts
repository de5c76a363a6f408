// A TCP proxy in front of the test Redis that a test can freeze or stop, and a free-port finder.

import { type AddressInfo, connect, createServer, type Server, type Socket } from "node:net";
import { redisUrl } from "./services.js";

/** A free loopback port: listen on port 0, read it, close. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A TCP proxy in front of the real Redis that a test can freeze (Redis stops answering, the connection stays
 * up) or stop (the connection drops and reconnects are refused) and restart on the same port.
 */
export class FaultyRedisProxy {
  port = 0;
  private frozen = false;
  /** Replies held back while frozen: TCP delays data, it does not lose it. */
  private readonly held: { client: Socket; chunk: Buffer }[] = [];
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  async start(port = 0): Promise<void> {
    const upstreamUrl = new URL(redisUrl());
    this.server = createServer((client) => {
      const upstream = connect({ host: upstreamUrl.hostname, port: Number(upstreamUrl.port || "6379") });
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on("close", () => this.sockets.delete(socket));
        socket.on("error", () => {});
      }
      client.on("data", (chunk) => upstream.write(chunk));
      upstream.on("data", (chunk: Buffer) => {
        if (this.frozen) this.held.push({ client, chunk });
        else client.write(chunk);
      });
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
    });
    const server = this.server;
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    this.port = (server.address() as AddressInfo).port;
  }

  freeze(): void {
    this.frozen = true;
  }

  thaw(): void {
    this.frozen = false;
    for (const { client, chunk } of this.held.splice(0)) if (!client.destroyed) client.write(chunk);
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    const server = this.server;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
    this.server = undefined;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }
}
