import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { saveNativeModel } from "../../src/models/native/model-directory.js";
import { type Gateway, startGateway } from "../../src/serve/server.js";
import { generateSupportData } from "../../src/spec/catalog/support.js";
import { createStore } from "../../src/store/index.js";
import { trainClassifier } from "../../src/train/train-classifier.js";
import { answer, type FakeOpenAiServer, startFakeOpenAi } from "../helpers/fake-openai.js";
import {
  dropPostgresSchemas,
  postgresUrl,
  probePostgres,
  probeRedis,
  redisUrl,
  requireService,
  testSchemaName,
} from "../helpers/services.js";

const postgres = await requireService("postgres", () => probePostgres());
const redis = await requireService("redis", () => probeRedis());
const skip = postgres.skipReason ?? redis.skipReason;

describe("two gateway replicas sharing Postgres and Redis", { skip }, () => {
  const schema = testSchemaName("slmkit_gateway");
  const storeSetting = `${postgresUrl()}?schema=${schema}`;
  let dir: string;
  let fake: FakeOpenAiServer;
  let first: Gateway;
  let second: Gateway;
  let key: string;
  let unsureText: string;
  const labels = [
    ...new Set(generateSupportData({ seed: 1, perLabel: 1 }).map((example) => example.label)),
  ].sort();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "slmkit-replicas-"));
    const trained = await trainClassifier(generateSupportData({ seed: 4, perLabel: 40 }), {
      valid: generateSupportData({ seed: 5, perLabel: 15 }),
      seed: 4,
    });
    await saveNativeModel(trained.model, join(dir, "model"), trained.record);
    const candidates = [
      "purple elephants sing quantum opera",
      "the weather in lisbon",
      "bananas and volcanoes",
      "hmm",
      "ok",
    ];
    unsureText =
      candidates.find((text) => trained.model.predictDetailed(text).confidence < trained.model.threshold) ??
      "";
    assert.ok(unsureText !== "");
    fake = await startFakeOpenAi(answer(labels[0] as string));
    process.env.SLMKIT_REPLICA_LLM_KEY = "sk-test";
    await writeFile(
      join(dir, "usecase.yaml"),
      `version: 1
id: support
title: Support tickets
task: classify
labels:
${labels.map((label) => `  - name: ${label}`).join("\n")}
data:
  train: train.jsonl
model: model
llm:
  baseUrl: ${fake.baseUrl}
  model: gpt-fake
  apiKeyEnv: SLMKIT_REPLICA_LLM_KEY
  pricePer1kInputUsd: 0.15
  pricePer1kOutputUsd: 0.6
`,
    );
    const options = {
      usecases: [join(dir, "usecase.yaml")],
      port: 0,
      store: storeSetting,
      cache: redisUrl(),
    };
    first = await startGateway(options);
    second = await startGateway(options);
    key = (await first.store.createApiKey("replicas", { role: "admin" })).key;
  });

  after(async () => {
    await first?.close();
    await second?.close();
    await fake?.close();
    await dropPostgresSchemas([schema]);
    await rm(dir, { recursive: true, force: true });
  });

  const ask = async (gateway: Gateway, text: string) => {
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "support", messages: [{ role: "user", content: text }] }),
    });
    assert.equal(response.status, 200);
    return ((await response.json()) as { slmkit: { answered_by: string; request_id: string; label: string } })
      .slmkit;
  };

  test("a key made on one replica works on the other, and an LLM answer cached by one serves the other", async () => {
    const escalated = await ask(first, unsureText);
    assert.equal(escalated.answered_by, "llm");
    // The cache write is off the response path: wait for it to reach Redis (a fixed pause was too short for
    // a loaded machine).
    await first.useCases.get("support")?.router.idle();
    const cached = await ask(second, unsureText);
    assert.equal(cached.answered_by, "cache");
    assert.equal(cached.label, escalated.label);
  });

  test("a review item queued by one replica is listed and resolved through the other", async () => {
    fake.setHandler(answer("not_a_label"));
    const queued = await ask(first, `${unsureText} number two`);
    assert.equal(queued.answered_by, "review");
    const list = (await (
      await fetch(`${second.url}/v1/review`, { headers: { authorization: `Bearer ${key}` } })
    ).json()) as {
      data: { id: string; requestId: string }[];
    };
    const item = list.data.find((entry) => entry.requestId === queued.request_id);
    assert.ok(item);
    const resolved = await fetch(`${second.url}/v1/review/${item.id}`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ label: labels[1] }),
    });
    assert.equal(resolved.status, 200);
  });

  test("an API key's rate limit holds across replicas that count it in Redis", async () => {
    const options = {
      usecases: [join(dir, "usecase.yaml")],
      port: 0,
      store: storeSetting,
      rateLimitStore: redisUrl(),
      rateLimitPerSecond: 5,
    };
    const [one, two] = [await startGateway(options), await startGateway(options)];
    try {
      const limited = (await one.store.createApiKey("limited")).key;
      const scraper = (await one.store.createApiKey("scraper", { role: "admin" })).key;
      const status = async (gateway: Gateway) => {
        const response = await fetch(`${gateway.url}/v1/chat/completions`, {
          method: "POST",
          headers: { authorization: `Bearer ${limited}`, "content-type": "application/json" },
          body: JSON.stringify({
            model: "support",
            messages: [{ role: "user", content: "where is my order" }],
          }),
        });
        await response.arrayBuffer();
        return response.status;
      };
      // Both replicas verify the key once (the store is shared), outside the window under test.
      await status(one);
      await status(two);
      // Counts are per second of the clock: start just after a second begins, and try again should a slow
      // machine let the scenario run into the next second.
      let observed: number[] = [];
      for (let attempt = 0; attempt < 3; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 10));
        const window = Math.floor(Date.now() / 1000);
        observed = [];
        for (let index = 0; index < 5; index++) observed.push(await status(one));
        // Each replica sends its count and reads the others' every 100 ms.
        await new Promise((resolve) => setTimeout(resolve, 250));
        // The first request of a key new to this replica in the window is admitted before it has read the count.
        await status(two);
        await new Promise((resolve) => setTimeout(resolve, 250));
        observed.push(await status(two));
        if (Math.floor(Date.now() / 1000) === window) break;
      }
      assert.deepEqual(observed, [200, 200, 200, 200, 200, 429]);
      const metrics = await (
        await fetch(`${one.url}/metrics`, { headers: { authorization: `Bearer ${scraper}` } })
      ).text();
      assert.match(
        metrics,
        /^slmkit_rate_limit_degraded 0$/m,
        "Prometheus shows the shared limits answering",
      );
    } finally {
      await one.close();
      await two.close();
    }
  });

  test("every request either replica answered is in the shared log after both close", async () => {
    const ids: string[] = [];
    for (let index = 0; index < 40; index++)
      ids.push((await ask(index % 2 ? first : second, `where is order #C${index}`)).request_id);
    await first.close();
    await second.close();
    const store = createStore({ kind: "postgres", connectionString: postgresUrl(), schema });
    try {
      for (const id of ids) assert.ok(await store.getRequest(id), `row ${id}`);
    } finally {
      await store.close();
    }
  });
});
