// Holds many connections to a server from a process of its own, as an attacker would (headers sent, then a body or
// more headers trickled a byte at a time), and reports what became of each one. Its own process, so that the
// connections' client side does not slow the event loop of the server measured beside it.
//
// In the test: `const run = holdConnections(port, groups)`, `await run.opened`, then `await run.finished`.

import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { connect, type Socket } from "node:net";
import { fileURLToPath, pathToFileURL } from "node:url";

/** Connections alike: `count` of them from `localAddress` (any 127.x.y.z is loopback on Linux), each sending `head`. */
export interface HeldGroup {
  name: string;
  count: number;
  localAddress: string;
  head: string;
  /** Written every `trickleMs` while the connection is open: a body byte, or one more header line. */
  trickle: string;
}

/** What became of one group's connections. */
export interface HeldGroupResult {
  name: string;
  /** How many got each status (the status line's code), "none" for those closed without a response. */
  statuses: Record<string, number>;
  /** Milliseconds from each connection's connect until the server closed it, ascending; Infinity when it did not. */
  closedAfterMs: number[];
}

export interface HeldRun {
  /** Resolves once every connection is open (or refused), with the milliseconds that took. */
  opened: Promise<number>;
  /** Resolves once the server closed every connection, or `waitMs` after they were opened. */
  finished: Promise<HeldGroupResult[]>;
  child: ChildProcessWithoutNullStreams;
}

interface Config {
  port: number;
  groups: HeldGroup[];
  trickleMs: number;
  waitMs: number;
}

const tsx = import.meta.resolve("tsx");

/** Starts the holding process against `port` on loopback. */
export function holdConnections(
  port: number,
  groups: HeldGroup[],
  options: { trickleMs?: number; waitMs?: number } = {},
): HeldRun {
  const config: Config = {
    port,
    groups,
    trickleMs: options.trickleMs ?? 1000,
    waitMs: options.waitMs ?? 15_000,
  };
  const child = spawn(process.execPath, [
    "--import",
    tsx,
    fileURLToPath(import.meta.url),
    JSON.stringify(config),
  ]);
  let output = "";
  let errors = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    errors += chunk;
  });
  const lines: ((line: Record<string, unknown>) => void)[] = [];
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
    let end = output.indexOf("\n");
    while (end !== -1) {
      const line = JSON.parse(output.slice(0, end)) as Record<string, unknown>;
      output = output.slice(end + 1);
      for (const listener of lines) listener(line);
      end = output.indexOf("\n");
    }
  });
  const exited = new Promise<never>((_resolve, reject) =>
    child.on("close", (code) => reject(new Error(`the holding process ended (${code}): ${errors}`))),
  );
  const next = <T>(event: string, read: (line: Record<string, unknown>) => T) =>
    Promise.race([
      new Promise<T>((resolve) =>
        lines.push((line) => {
          if (line.event === event) resolve(read(line));
        }),
      ),
      exited,
    ]);
  return {
    child,
    opened: next("opened", (line) => line.ms as number),
    finished: next("finished", (line) =>
      (line.groups as HeldGroupResult[]).map((group) => ({
        ...group,
        closedAfterMs: group.closedAfterMs.map((ms) => (ms === null ? Number.POSITIVE_INFINITY : ms)),
      })),
    ),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The holding process

interface Connection {
  group: HeldGroup;
  socket: Socket;
  status: string;
  connectedAt: number;
  closedAfterMs: number | null;
}

async function main(config: Config): Promise<void> {
  const started = performance.now();
  const connections: Connection[] = [];
  let open = 0;
  let allOpened = false;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const hold = (group: HeldGroup) =>
    new Promise<void>((resolve) => {
      const socket = connect({ port: config.port, host: "127.0.0.1", localAddress: group.localAddress });
      const connection: Connection = {
        group,
        socket,
        status: "none",
        connectedAt: performance.now(),
        closedAfterMs: null,
      };
      connections.push(connection);
      open += 1;
      let received = "";
      socket.setEncoding("latin1");
      socket.on("data", (chunk: string) => {
        if (connection.status !== "none") return;
        received += chunk;
        connection.status = /^HTTP\/1\.1 (\d{3})/.exec(received)?.[1] ?? "none";
      });
      socket.on("error", () => undefined);
      socket.on("close", () => {
        connection.closedAfterMs = performance.now() - connection.connectedAt;
        open -= 1;
        if (allOpened && open === 0) finish();
        resolve();
      });
      socket.on("connect", () => {
        connection.connectedAt = performance.now();
        socket.write(group.head);
        resolve();
      });
    });
  for (const group of config.groups) {
    for (let first = 0; first < group.count; first += 100)
      await Promise.all(Array.from({ length: Math.min(100, group.count - first) }, () => hold(group)));
  }
  allOpened = true;
  process.stdout.write(`${JSON.stringify({ event: "opened", ms: performance.now() - started })}\n`);
  const trickle = setInterval(() => {
    for (const { socket, group } of connections)
      if (!socket.destroyed && socket.writable) socket.write(group.trickle);
  }, config.trickleMs);
  if (open === 0) finish();
  await Promise.race([finished, new Promise((resolve) => setTimeout(resolve, config.waitMs))]);
  clearInterval(trickle);
  const groups = config.groups.map((group) => {
    const own = connections.filter((connection) => connection.group === group);
    const statuses: Record<string, number> = {};
    for (const connection of own) statuses[connection.status] = (statuses[connection.status] ?? 0) + 1;
    const closedAfterMs = own
      .map((connection) => connection.closedAfterMs)
      .sort((a, b) => (a ?? Number.POSITIVE_INFINITY) - (b ?? Number.POSITIVE_INFINITY));
    return { name: group.name, statuses, closedAfterMs };
  });
  process.stdout.write(`${JSON.stringify({ event: "finished", groups })}\n`);
  for (const { socket } of connections) socket.destroy();
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(JSON.parse(process.argv[2] ?? "{}") as Config);
}
