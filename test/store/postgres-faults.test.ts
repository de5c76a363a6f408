// Postgres going away mid-run: log rows wait in memory (bounded), reads fail clearly, and every row is written
// exactly once when it is back. The outage is a TCP proxy in front of the real Postgres that the test cuts.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { type AddressInfo, connect, createServer, type Server, type Socket } from "node:net";
import { after, describe, test } from "node:test";
import pg from "pg";
import { SlmkitError } from "../../src/errors.js";
import { createPostgresStore } from "../../src/store/postgres-store.js";
import type { RequestLogEntry } from "../../src/store/types.js";
import type { Logger } from "../../src/types.js";
import {
  dropPostgresSchemas,
  postgresUrl,
  probePostgres,
  requireService,
  testSchemaName,
} from "../helpers/services.js";

/** Forwards 127.0.0.1:<port> to Postgres; `cut()` kills every connection and refuses new ones until `restore()`. */
class CuttableProxy {
  #server: Server | undefined;
  #sockets = new Set<Socket>();
  #port = 0;
  readonly #upstream: URL;

  constructor(upstream: string) {
    this.#upstream = new URL(upstream);
  }

  get port(): number {
    return this.#port;
  }

  /** The upstream URL with the proxy's address in place of Postgres'. */
  url(): string {
    const url = new URL(this.#upstream.href);
    url.hostname = "127.0.0.1";
    url.port = String(this.#port);
    return url.href;
  }

  async restore(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect({
        host: this.#upstream.hostname,
        port: Number(this.#upstream.port || "5432"),
      });
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket);
        socket.on("close", () => this.#sockets.delete(socket));
        socket.on("error", () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    // Same port every time, so the store's connection string stays valid across the outage.
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.#port, "127.0.0.1", () => resolve());
    });
    this.#port = (server.address() as AddressInfo).port;
    this.#server = server;
  }

  async cut(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

interface LogLine {
  level: "info" | "warn" | "error";
  message: string;
  context: object;
}

function capturingLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  return {
    lines,
    warn: (context, message) => lines.push({ level: "warn", message, context }),
    error: (context, message) => lines.push({ level: "error", message, context }),
    info: (context, message) => lines.push({ level: "info", message, context }),
  };
}

function entry(createdAt = Date.now()): RequestLogEntry {
  return {
    id: randomUUID(),
    useCaseId: "support",
    apiKeyId: null,
    createdAt,
    inputHash: "hash",
    inputText: null,
    answeredBy: "slm",
    reason: "confidence 0.93 >= threshold 0.79",
    label: "shipping",
    confidence: 0.93,
    threshold: 0.79,
    slmLabel: "shipping",
    slmConfidence: 0.93,
    llmLabel: null,
    latencyMs: 0.5,
    inputTokens: 5,
    outputTokens: 1,
    costUsd: 0,
    modelVersion: null,
  };
}

const isUnavailable = (error: unknown) => SlmkitError.isInstance(error) && error.code === "STORE_UNAVAILABLE";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads the ids straight from Postgres, bypassing both the proxy and the store. */
async function storedIds(schema: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: postgresUrl() });
  await client.connect();
  try {
    const result = await client.query<{ id: string }>(`SELECT id FROM "${schema}".requests`);
    return result.rows.map((row) => row.id);
  } finally {
    await client.end();
  }
}

const postgres = await requireService("postgres", () => probePostgres());
const schemas: string[] = [];
after(() => dropPostgresSchemas(schemas));

describe("Postgres store faults", { skip: postgres.skipReason }, () => {
  test("Postgres going away mid-run: rows queue, reads fail clearly, and every row lands exactly once", async (t) => {
    const proxy = new CuttableProxy(postgresUrl());
    await proxy.restore();
    t.after(() => proxy.cut());
    const schema = testSchemaName();
    schemas.push(schema);
    const logger = capturingLogger();
    const store = createPostgresStore({
      connectionString: proxy.url(),
      schema,
      flushIntervalMs: 5,
      batchSize: 100,
      connectionTimeoutMs: 500,
      retryInitialDelayMs: 20,
      retryMaxDelayMs: 200,
      logger,
    });
    t.after(() => store.close());
    await store.migrate();
    const { key } = await store.createApiKey("during outage");

    const expected: string[] = [];
    const log = (count: number) => {
      for (let index = 0; index < count; index += 1) {
        const item = entry();
        expected.push(item.id);
        store.logRequest(item);
      }
    };
    log(300);
    await store.flush();
    // Rows still arriving, and some batches possibly in flight, as the connection is cut.
    log(200);
    await sleep(2);
    await proxy.cut();
    for (let round = 0; round < 10; round += 1) {
      log(50);
      await sleep(20);
    }
    assert.ok(store.pendingWrites() >= 500, `pending ${store.pendingWrites()}`);

    await assert.rejects(store.countRequests(), (error: unknown) => {
      assert.ok(isUnavailable(error));
      assert.match((error as Error).message, new RegExp(`127\\.0\\.0\\.1:${proxy.port}/test`));
      return true;
    });
    await assert.rejects(
      store.verifyApiKey(key),
      isUnavailable,
      "a valid key cannot be checked: not a refusal",
    );
    assert.equal(await store.verifyApiKey("not a key"), undefined, "a malformed key needs no database");
    await assert.rejects(store.resolveReview(randomUUID(), "billing"), isUnavailable);
    await assert.rejects(store.flush(100), isUnavailable);
    assert.ok(logger.lines.some((line) => line.message.includes("writes are failing")));

    await proxy.restore();
    await store.flush(10_000);
    assert.equal(store.pendingWrites(), 0);
    assert.equal(store.droppedWrites(), 0);
    assert.ok(logger.lines.some((line) => line.message.includes("writes resumed")));
    const ids = await storedIds(schema);
    assert.equal(ids.length, expected.length, "no row lost and none duplicated");
    assert.deepEqual(new Set(ids), new Set(expected));
    assert.equal(await store.countRequests(), 1_000);
    assert.equal((await store.verifyApiKey(key))?.name, "during outage");
  });

  test("a long outage fills the queue to its bound, then drops the oldest rows and says so", async (t) => {
    const proxy = new CuttableProxy(postgresUrl());
    await proxy.restore();
    t.after(() => proxy.cut());
    const schema = testSchemaName();
    schemas.push(schema);
    const logger = capturingLogger();
    const store = createPostgresStore({
      connectionString: proxy.url(),
      schema,
      batchSize: 50,
      maxQueuedWrites: 100,
      connectionTimeoutMs: 500,
      retryInitialDelayMs: 20,
      retryMaxDelayMs: 100,
      logger,
    });
    t.after(() => store.close());
    await store.migrate();
    await proxy.cut();

    const entries = Array.from({ length: 150 }, (_, index) => entry(1_000 + index));
    for (const item of entries) store.logRequest(item);
    assert.equal(store.pendingWrites(), 100);
    assert.equal(store.droppedWrites(), 50);
    const dropReports = logger.lines.filter((line) => line.level === "error");
    assert.equal(dropReports.length, 1, "one report, not one per row");
    assert.match(dropReports[0]?.message ?? "", /queue is full/);

    await sleep(100);
    await proxy.restore();
    await store.flush(10_000);
    assert.deepEqual(new Set(await storedIds(schema)), new Set(entries.slice(50).map((item) => item.id)));
  });

  test("a store whose database never answers fails its reads and migrate() with STORE_UNAVAILABLE", async () => {
    const proxy = new CuttableProxy(postgresUrl());
    await proxy.restore();
    const url = proxy.url();
    await proxy.cut();
    const store = createPostgresStore({
      connectionString: url,
      schema: testSchemaName(),
      connectionTimeoutMs: 300,
      closeTimeoutMs: 200,
    });
    await assert.rejects(store.migrate(), isUnavailable);
    await assert.rejects(store.listReview(), isUnavailable);
    store.logRequest(entry());
    assert.equal(store.pendingWrites(), 1);
    await assert.rejects(store.close(), isUnavailable, "close says the row could not be written");
    assert.equal(store.droppedWrites(), 1);
  });
});
