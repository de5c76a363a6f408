// Where the real Postgres and Redis of the test machines are, and how a test skips visibly when one is missing
// (a laptop) but fails when CI=true (CI must test them for real).

import { connect } from "node:net";
import pg from "pg";
import { skipUnlessAvailable } from "./skip.js";

/** `SLMKIT_TEST_POSTGRES_URL`; default the loopback Postgres of the project's machines (trust auth, db `test`). */
export function postgresUrl(): string {
  return process.env.SLMKIT_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
}

/** `SLMKIT_TEST_REDIS_URL`; default the loopback Redis. */
export function redisUrl(): string {
  return process.env.SLMKIT_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
}

export interface ServiceStatus {
  available: boolean;
  /** Why the tests are skipped; pass it as `test(name, { skip: status.skipReason }, ...)`. */
  skipReason?: string;
}

/** How long a probe may take before the service counts as missing. */
const probeTimeoutMs = 1_000;

/**
 * Probes a service once. When it does not answer: with `CI=true` this throws (the run must fail); otherwise it
 * returns a skip reason, so the skip shows in the test report (both through `skipUnlessAvailable`).
 */
export async function requireService(name: string, probe: () => Promise<void>): Promise<ServiceStatus> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${probeTimeoutMs} ms`)), probeTimeoutMs);
      }),
    ]);
    return { available: true };
  } catch (error) {
    const missing = `${name} is not available (${(error as Error).message}); start it or check its URL`;
    return { available: false, skipReason: skipUnlessAvailable(missing, { cause: error }) };
  } finally {
    clearTimeout(timer);
  }
}

/** Connects to Postgres and runs `SELECT 1`. */
export async function probePostgres(url = postgresUrl()): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: probeTimeoutMs });
  // A failed connect may also emit "error"; without a listener that would crash the test process.
  client.on("error", () => {});
  try {
    await client.connect();
    await client.query("SELECT 1");
  } finally {
    await client.end().catch(() => {});
  }
}

/** Sends PING over a raw socket and expects +PONG, so the probe needs no Redis client library. */
export function probeRedis(url = redisUrl()): Promise<void> {
  const parsed = new URL(url);
  return new Promise<void>((resolve, reject) => {
    const socket = connect({ host: parsed.hostname, port: Number(parsed.port || "6379") });
    let reply = "";
    socket.setTimeout(probeTimeoutMs, () =>
      socket.destroy(new Error(`no answer within ${probeTimeoutMs} ms`)),
    );
    socket.on("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk) => {
      reply += chunk.toString("latin1");
      if (!reply.includes("\r\n")) return;
      socket.end();
      // A password-protected Redis answers -NOAUTH, which still proves it is running.
      if (reply.startsWith("+PONG") || reply.startsWith("-NOAUTH")) resolve();
      else reject(new Error(`unexpected reply ${JSON.stringify(reply.trim())}`));
    });
    socket.on("error", reject);
    socket.on("close", () => reject(new Error("connection closed before a reply")));
  });
}

let schemaCounter = 0;

/** A fresh Postgres schema name for one test, unique across parallel test processes. */
export function testSchemaName(prefix = "slmkit_test"): string {
  schemaCounter += 1;
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${schemaCounter}`;
}

/** Drops test schemas and everything in them; for an `after()` hook. */
export async function dropPostgresSchemas(names: Iterable<string>, url = postgresUrl()): Promise<void> {
  const list = [...names];
  if (list.length === 0) return;
  const client = new pg.Client({ connectionString: url });
  client.on("error", () => {});
  await client.connect();
  try {
    for (const name of list) await client.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
  } finally {
    await client.end();
  }
}
