// Thousands of held connections from loopback, as the denial of service in issue 18 was made (headers sent, then a
// body or more headers trickled): the gateway closes or refuses every one of them in bounded time, and /healthz and a
// keyed chat request keep answering meanwhile. Bounded: 2,000 connections (fewer when the open-file limit is low),
// about 10 s, held by a process of their own. Prints its figures; asserts only bounds a busy 2-core machine meets.

import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { after, before, describe, test } from "node:test";
import { openFileLimit } from "../../src/internal/open-file-limit.js";
import { saveNativeModel } from "../../src/models/native/model-directory.js";
import { type Gateway, startGateway } from "../../src/serve/server.js";
import { trainClassifier } from "../../src/train/train-classifier.js";
import { temporaryDirectory } from "../helpers/cli.js";
import { type HeldGroup, type HeldGroupResult, holdConnections } from "../helpers/held-connections.js";
import { syntheticExamples } from "../helpers/synthetic.js";

const dir = temporaryDirectory("slmkit-slow-connections-");
let gateway: Gateway;
let port: number;
let key: string;

// Short timeouts keep the test short; the defaults (10 s, 30 s) behave the same, only later.
const headerTimeoutMs = 2000;
const bodyTimeoutMs = 4000;
const maxConnectionsPerAddress = 600;

before(async () => {
  const trained = await trainClassifier(syntheticExamples(30, 1), { seed: 1 });
  await saveNativeModel(trained.model, join(dir, "model"), trained.record);
  await writeFile(
    join(dir, "usecase.yaml"),
    `version: 1
id: tickets
title: Tickets
task: classify
labels: [{name: account}, {name: billing}, {name: product}, {name: shipping}]
data: {train: train.jsonl}
model: model
routing: {fallback: review}
`,
  );
  gateway = await startGateway({
    usecases: [join(dir, "usecase.yaml")],
    port: 0,
    store: `sqlite:${join(dir, "gateway.db")}`,
    headerTimeoutMs,
    bodyTimeoutMs,
    maxConnectionsPerAddress,
    watchModelsMs: false,
    monitorDrift: false,
  });
  port = Number(new URL(gateway.url).port);
  key = (await gateway.store.createApiKey("client")).key;
});
after(async () => {
  await gateway?.close();
});

/** A request on a fresh connection (no agent) from 127.0.0.1: its status and milliseconds, connect included. */
function timed(path: string, body?: string): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      {
        host: "127.0.0.1",
        port,
        path,
        method: body === undefined ? "GET" : "POST",
        agent: false,
        localAddress: "127.0.0.1",
        headers:
          body === undefined
            ? {}
            : {
                authorization: `Bearer ${key}`,
                "content-type": "application/json",
                "content-length": Buffer.byteLength(body),
              },
      },
      (response) => {
        response.resume();
        response.on("end", () =>
          resolve({ status: response.statusCode ?? 0, ms: performance.now() - started }),
        );
      },
    );
    outgoing.on("error", reject);
    outgoing.end(body);
  });
}

const percentile = (values: number[], share: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))] ?? Number.NaN;
};
const figure = (values: number[]) =>
  `p50 ${percentile(values, 0.5).toFixed(1)} ms, p99 ${percentile(values, 0.99).toFixed(1)} ms, max ${Math.max(...values).toFixed(1)} ms (n=${values.length})`;

describe("thousands of held connections (bounded)", () => {
  test("every held connection is closed or refused in bounded time; /healthz and a keyed chat request keep answering", async () => {
    // The holding process has one descriptor per connection, this one (the gateway) one more; leave room for the rest.
    // (Node raises each process's soft limit to its hard limit at start; nothing beyond that is asked for.)
    const limit = openFileLimit() ?? 4096;
    const total = Math.max(200, Math.min(2000, limit - 1000));
    const unkeyed = Math.round(total * 0.3);
    const slowHeaders = Math.round(total * 0.45);
    const body =
      "POST /v1/chat/completions HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n";
    const groups: HeldGroup[] = [
      // No key, a 100 kB body promised and trickled: the 401 comes at once and closes the connection.
      { name: "unkeyed", count: unkeyed, localAddress: "127.0.0.2", head: `${body}\r\n{`, trickle: "a" },
      // Headers never finished (slowloris): 408 after headerTimeoutMs; past maxConnectionsPerAddress refused at once.
      {
        name: "slowHeaders",
        count: slowHeaders,
        localAddress: "127.0.0.3",
        head: "GET /healthz HTTP/1.1\r\nHost: a\r\n",
        trickle: "X: y\r\n",
      },
      // A right key, its body trickled: 408 after bodyTimeoutMs.
      {
        name: "keyedSlowBody",
        count: total - unkeyed - slowHeaders,
        localAddress: "127.0.0.4",
        head: `${body}Authorization: Bearer ${key}\r\n\r\n{`,
        trickle: "a",
      },
    ];
    const chat = JSON.stringify({
      model: "tickets",
      messages: [{ role: "user", content: "my invoice was charged twice" }],
    });
    const before: number[] = [];
    for (let index = 0; index < 10; index++) before.push((await timed("/healthz")).ms);

    // How long the gateway's event loop (this process's) was held up at worst: the cost of the held connections.
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    const attackStarted = performance.now();
    const run = holdConnections(port, groups, { trickleMs: 1000, waitMs: bodyTimeoutMs + 5000 });
    const health: { status: number; ms: number }[] = [];
    const chats: { status: number; ms: number }[] = [];
    let results: HeldGroupResult[] | undefined;
    let slowest: { ms: number; sentAt: number } | undefined;
    let openedMs = Number.NaN;
    try {
      void run.opened.then((ms) => {
        openedMs = ms;
      });
      void run.finished.then((finished) => {
        results = finished;
      });
      // Polled from the first connection on until the holding process is done (every connection closed).
      const pollUntil = performance.now() + bodyTimeoutMs + 15_000;
      while (results === undefined && performance.now() < pollUntil) {
        const sentAt = performance.now() - attackStarted;
        const [probe, asked] = await Promise.all([timed("/healthz"), timed("/v1/chat/completions", chat)]);
        health.push(probe);
        chats.push(asked);
        if (Math.max(probe.ms, asked.ms) > (slowest?.ms ?? 0))
          slowest = { ms: Math.max(probe.ms, asked.ms), sentAt };
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      results ??= await run.finished;
    } finally {
      run.child.kill();
    }

    const of = (name: string) => results?.find((group) => group.name === name) as HeldGroupResult;
    const { key: admin } = await gateway.store.createApiKey("ops", { role: "admin" });
    const scrape = await (
      await fetch(`${gateway.url}/metrics`, { headers: { authorization: `Bearer ${admin}` } })
    ).text();
    const refused = of("slowHeaders").statuses.none ?? 0;
    console.log(
      [
        `held ${total} connections from another process (open-file limit ${limit}), all opened in ${openedMs.toFixed(0)} ms`,
        `  /healthz before: ${figure(before)}`,
        `  /healthz while held: ${figure(health.map((entry) => entry.ms))}`,
        `  keyed chat while held: ${figure(chats.map((entry) => entry.ms))}`,
        `  event loop delay while held: p99 ${(loopDelay.percentile(99) / 1e6).toFixed(0)} ms, max ${(loopDelay.max / 1e6).toFixed(0)} ms`,
        `  the slowest poll (${slowest?.ms.toFixed(0)} ms) was sent ${slowest?.sentAt.toFixed(0)} ms after the holding began`,
        "  each held connection, from its connect until the gateway closed it:",
        ...groups.map(
          (group) =>
            `    ${group.name} (${group.count}): ${JSON.stringify(of(group.name).statuses)}, closed after ${figure(of(group.name).closedAfterMs)}`,
        ),
      ].join("\n"),
    );

    assert.ok(health.length >= 10 && chats.length >= 10, `polled ${health.length} times`);
    assert.deepEqual([...new Set(health.map((entry) => entry.status))], [200], "/healthz always answered");
    assert.deepEqual(
      [...new Set(chats.map((entry) => entry.status))],
      [200],
      "the keyed chat always answered",
    );
    // The aim is within a second (on this test's 2-core machine, shared, the slowest poll took 0.2-0.45 s, and about
    // 1.1 s when the kernel's accept queue overflowed during the burst of connections and dropped the poll's SYN, which
    // is then sent again a second later); the bounds asserted are generous, for a busier machine.
    const latencies = [...health, ...chats].map((entry) => entry.ms);
    assert.ok(
      percentile(latencies, 0.5) < 250,
      `the median answer took ${percentile(latencies, 0.5).toFixed(0)} ms`,
    );
    assert.ok((slowest?.ms ?? 0) < 2500, `the slowest answer took ${slowest?.ms.toFixed(0)} ms`);

    assert.deepEqual(
      of("unkeyed").statuses,
      { 401: unkeyed },
      "every unauthenticated connection got its 401",
    );
    assert.ok(
      Math.max(...of("unkeyed").closedAfterMs) < headerTimeoutMs,
      "and was closed as answered, not at a timeout",
    );
    assert.deepEqual(of("slowHeaders").statuses, {
      408: maxConnectionsPerAddress,
      none: slowHeaders - maxConnectionsPerAddress,
    });
    assert.match(
      scrape,
      new RegExp(`slmkit_connections_refused_total\\{listener="main",cap="per_address"\\} ${refused}`),
    );
    assert.deepEqual(of("keyedSlowBody").statuses, { 408: groups[2]?.count });
    const longest = Math.max(...groups.flatMap((group) => of(group.name).closedAfterMs));
    assert.ok(
      longest < bodyTimeoutMs + 3000,
      `the longest-held connection was closed after ${longest.toFixed(0)} ms`,
    );
  });
});
