import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { SlmkitError } from "../../src/errors.js";
import { saveNativeModel } from "../../src/models/native/model-directory.js";
import { startGateway } from "../../src/serve/server.js";
import { createStore } from "../../src/store/index.js";
import type { RequestLogEntry } from "../../src/store/types.js";
import { trainClassifier } from "../../src/train/train-classifier.js";
import { runCli } from "../helpers/cli.js";
import { syntheticExamples } from "../helpers/synthetic.js";

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "slmkit-startup-"));
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
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("gateway start-up", () => {
  test("refuses to start on a corrupt model, naming the file, and opens nothing", async () => {
    const weights = join(dir, "model", "weights.bin");
    const original = await readFile(weights);
    await writeFile(weights, original.subarray(0, original.length - 8));
    try {
      await assert.rejects(
        startGateway({
          usecases: [join(dir, "usecase.yaml")],
          port: 0,
          store: `sqlite:${join(dir, "never.db")}`,
        }),
        (error: unknown) => {
          assert.ok(SlmkitError.isInstance(error));
          assert.equal(error.code, "MODEL_CORRUPT");
          assert.match(error.message, /weights\.bin/);
          return true;
        },
      );
      await assert.rejects(readFile(join(dir, "never.db")), "no store was opened");
    } finally {
      await writeFile(weights, original);
    }
  });

  test("refuses a cache or rate-limit setting it cannot use, naming the flag, and opens nothing", async () => {
    for (const [settings, flag] of [
      [{ cache: "memcached://localhost" }, "cache"],
      [{ rateLimitStore: "postgres://localhost/limits" }, "rate-limit-store"],
    ] as const) {
      await assert.rejects(
        startGateway({
          usecases: [join(dir, "usecase.yaml")],
          port: 0,
          store: `sqlite:${join(dir, "never.db")}`,
          ...settings,
        }),
        (error: unknown) => {
          assert.ok(SlmkitError.isInstance(error));
          assert.equal(error.code, "INVALID_OPTION");
          assert.equal(error.field, flag);
          assert.match(error.message, new RegExp(`--${flag} .*use memory or a redis:// URL`));
          return true;
        },
      );
      await assert.rejects(readFile(join(dir, "never.db")), "no store was opened");
    }
  });

  test("serves with fallback review and answers a request", async () => {
    const gateway = await startGateway({
      usecases: [join(dir, "usecase.yaml")],
      port: 0,
      store: "sqlite::memory:",
      requireAuth: false,
    });
    try {
      const response = await gateway.app.inject({
        method: "POST",
        url: "/v1/chat/completions",
        payload: { model: "tickets", messages: [{ role: "user", content: "please refund the invoice" }] },
      });
      assert.equal(response.statusCode, 200);
      assert.equal(response.json().choices[0].message.content.length > 0, true);
    } finally {
      await gateway.close();
    }
  });

  test("with metricsListen, /metrics has a listener of its own and is gone from the main one", async () => {
    const gateway = await startGateway({
      usecases: [join(dir, "usecase.yaml")],
      port: 0,
      store: "sqlite::memory:",
      metricsListen: "127.0.0.1:0",
    });
    try {
      assert.match(gateway.metricsUrl ?? "", /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.notEqual(gateway.metricsUrl, gateway.url);
      const scrape = await fetch(`${gateway.metricsUrl}/metrics`);
      assert.equal(scrape.status, 200);
      assert.match(await scrape.text(), /slmkit_connections_open\{listener="main"\}/);
      const elsewhere = await fetch(`${gateway.metricsUrl}/healthz`);
      assert.equal(elsewhere.status, 404, "the metrics listener serves nothing else");
      assert.equal(((await elsewhere.json()) as { error: { code: string } }).error.code, "not_found");
      // Even an admin key, which could scrape the main listener otherwise, finds no route there.
      const { key } = await gateway.store.createApiKey("ops", { role: "admin" });
      const main = await fetch(`${gateway.url}/metrics`, { headers: { authorization: `Bearer ${key}` } });
      assert.equal(main.status, 404, "no /metrics on the main listener");
    } finally {
      await gateway.close();
    }
  });

  test("a metricsListen that is not host:port is refused, naming the flag, and opens nothing", async () => {
    await assert.rejects(
      startGateway({
        usecases: [join(dir, "usecase.yaml")],
        port: 0,
        store: `sqlite:${join(dir, "never.db")}`,
        metricsListen: "9464",
      }),
      (error: unknown) => {
        assert.ok(SlmkitError.isInstance(error));
        assert.equal(error.code, "INVALID_OPTION");
        assert.equal(error.field, "metrics-listen");
        assert.match(error.message, /--metrics-listen "9464" is not host:port/);
        return true;
      },
    );
    await assert.rejects(readFile(join(dir, "never.db")), "no store was opened");
  });
});

describe("slmkit logs purge", () => {
  test("removes logged text older than the retention period and keeps newer text", async () => {
    const path = join(dir, "logs.db");
    const store = createStore({ kind: "sqlite", path });
    await store.migrate();
    const row = (id: string, ageDays: number): RequestLogEntry => ({
      id,
      useCaseId: "tickets",
      apiKeyId: null,
      createdAt: Date.now() - ageDays * 86_400_000,
      inputHash: "hash",
      inputText: `text of ${id}`,
      answeredBy: "slm",
      reason: "test",
      label: "billing",
      confidence: 0.9,
      threshold: 0.5,
      slmLabel: "billing",
      slmConfidence: 0.9,
      llmLabel: null,
      latencyMs: 1,
      inputTokens: 0,
      outputTokens: 0,
      costUsd: 0,
      modelVersion: null,
    });
    store.logRequest(row("old", 40));
    store.logRequest(row("new", 1));
    await store.close();
    const run = await runCli(["logs", "purge", "--days", "30", "--store", `sqlite:${path}`]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /removed the text of 1 stored rows older than 30 days/);
    const reopened = createStore({ kind: "sqlite", path });
    try {
      await reopened.migrate();
      assert.equal((await reopened.getRequest("old"))?.inputText, null);
      assert.equal((await reopened.getRequest("new"))?.inputText, "text of new");
    } finally {
      await reopened.close();
    }
  });
});
