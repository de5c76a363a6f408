import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import OpenAI from "openai";
import { saveNativeModel } from "../../src/models/native/model-directory.js";
import { type Gateway, startGateway } from "../../src/serve/server.js";
import { generateSupportData } from "../../src/spec/catalog/support.js";
import { createStore } from "../../src/store/index.js";
import { trainClassifier } from "../../src/train/train-classifier.js";
import { answer, type FakeOpenAiServer, startFakeOpenAi } from "../helpers/fake-openai.js";

let dir: string;
let gateway: Gateway;
let fake: FakeOpenAiServer;
let key: string;
let client: OpenAI;
let lowConfidenceText: string;

const labels = [
  ...new Set(generateSupportData({ seed: 1, perLabel: 1 }).map((example) => example.label)),
].sort();

async function post(path: string, body: string | Buffer, headers: Record<string, string> = {}) {
  const response = await fetch(`${gateway.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...headers },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "slmkit-gateway-"));
  const trained = await trainClassifier(generateSupportData({ seed: 1, perLabel: 40 }), {
    valid: generateSupportData({ seed: 2, perLabel: 15 }),
    seed: 1,
  });
  await saveNativeModel(trained.model, join(dir, "model"), trained.record);
  const candidates = [
    "purple elephants sing quantum opera",
    "hmm",
    "the weather in lisbon",
    "bananas and volcanoes",
    "ok",
  ];
  lowConfidenceText =
    candidates.find((text) => trained.model.predictDetailed(text).confidence < trained.model.threshold) ?? "";
  assert.ok(lowConfidenceText !== "", "one candidate must fall below the threshold");
  fake = await startFakeOpenAi(answer(labels[0] as string));
  process.env.SLMKIT_TEST_LLM_KEY = "sk-test";
  await writeFile(
    join(dir, "usecase.yaml"),
    `version: 1
id: support
title: Support tickets
task: classify
labels:
${labels.map((label) => `  - name: ${label}\n    description: tickets about ${label.replaceAll("_", " ")}`).join("\n")}
data:
  train: train.jsonl
model: model
routing:
  targetAccuracy: 0.97
  fallback: llm
llm:
  baseUrl: ${fake.baseUrl}
  model: gpt-fake
  apiKeyEnv: SLMKIT_TEST_LLM_KEY
  pricePer1kInputUsd: 0.15
  pricePer1kOutputUsd: 0.6
  timeoutMs: 2000
privacy:
  storeText: true
`,
  );
  gateway = await startGateway({
    usecases: [join(dir, "usecase.yaml")],
    port: 0,
    store: `sqlite:${join(dir, "gateway.db")}`,
  });
  key = (await gateway.store.createApiKey("test", { role: "admin" })).key;
  client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: key, maxRetries: 0 });
});

after(async () => {
  await gateway?.close();
  await fake?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("gateway with the official openai client", () => {
  test("lists each use case as a model", async () => {
    const models = await client.models.list();
    assert.deepEqual(
      models.data.map((model) => model.id),
      ["support"],
    );
  });

  test("answers a clear ticket with the small model and says who answered and why", async () => {
    const reply = await client.chat.completions.create({
      model: "support",
      messages: [{ role: "user", content: "I want to cancel my order #A12345 before it ships" }],
    });
    const content = reply.choices[0]?.message.content ?? "";
    assert.ok(labels.includes(content), content);
    const decision = (reply as unknown as { slmkit: Record<string, unknown> }).slmkit;
    assert.equal(decision.answered_by, "slm");
    assert.match(String(decision.reason), /threshold/);
    assert.ok(Number(decision.confidence) >= Number(decision.threshold));
  });

  test("streams the same answer as server-sent events", async () => {
    const stream = await client.chat.completions.create({
      model: "support",
      messages: [{ role: "user", content: "I want to cancel my order #A12345 before it ships" }],
      stream: true,
    });
    let content = "";
    let finish: string | null = null;
    for await (const chunk of stream) {
      content += chunk.choices[0]?.delta.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    assert.ok(labels.includes(content), content);
    assert.equal(finish, "stop");
  });

  test("escalates a low-confidence ticket to the LLM, then answers the repeat from the cache", async () => {
    fake.setHandler(answer(labels[1] as string));
    const first = await post(
      "/v1/chat/completions",
      JSON.stringify({ model: "support", messages: [{ role: "user", content: lowConfidenceText }] }),
    );
    assert.equal(first.status, 200);
    const decision = first.body.slmkit as Record<string, unknown>;
    assert.equal(decision.answered_by, "llm");
    assert.equal(decision.label, labels[1]);
    assert.ok(Number(decision.cost_usd) > 0);
    const second = await post(
      "/v1/chat/completions",
      JSON.stringify({ model: "support", messages: [{ role: "user", content: lowConfidenceText }] }),
    );
    assert.equal((second.body.slmkit as Record<string, unknown>).answered_by, "cache");
  });

  test("queues a ticket for review when the LLM answers outside the label set, and a person resolves it", async () => {
    fake.setHandler(answer("not_a_label"));
    const text = `${lowConfidenceText} again`;
    const reply = await post(
      "/v1/chat/completions",
      JSON.stringify({ model: "support", messages: [{ role: "user", content: text }] }),
    );
    assert.equal(reply.status, 200);
    const decision = reply.body.slmkit as Record<string, unknown>;
    assert.equal(decision.answered_by, "review");
    assert.equal(decision.flagged, true);

    const queue = (await (
      await fetch(`${gateway.url}/v1/review`, { headers: { authorization: `Bearer ${key}` } })
    ).json()) as {
      data: { id: string; inputText: string }[];
    };
    const item = queue.data.find((entry) => entry.inputText === text);
    assert.ok(item, "the ticket is in the review queue");
    const resolved = await post(`/v1/review/${item.id}`, JSON.stringify({ label: labels[2] }));
    assert.equal(resolved.status, 200);
    assert.equal(resolved.body.status, "resolved");
    const again = await post(`/v1/review/${item.id}`, JSON.stringify({ label: labels[2] }));
    assert.equal(again.status, 404);
  });

  test("records feedback for a logged request and refuses an unknown request id", async () => {
    const reply = await post(
      "/v1/chat/completions",
      JSON.stringify({ model: "support", messages: [{ role: "user", content: "where is my refund" }] }),
    );
    const requestId = (reply.body.slmkit as Record<string, unknown>).request_id as string;
    const feedback = await post("/v1/feedback", JSON.stringify({ request_id: requestId, label: labels[3] }));
    assert.equal(feedback.status, 200);
    const unknown = await post(
      "/v1/feedback",
      JSON.stringify({ request_id: "no-such-request", label: labels[3] }),
    );
    assert.equal(unknown.status, 404);
    assert.equal((unknown.body.error as Record<string, unknown>).code, "request_not_found");
  });

  test("predicts a batch through the task API", async () => {
    const reply = await post(
      "/v1/usecases/support/predict",
      JSON.stringify({ texts: ["cancel my order", "my parcel is late"] }),
    );
    assert.equal(reply.status, 200);
    const predictions = reply.body.predictions as {
      label: string;
      answered_by: string;
      request_id: string;
    }[];
    assert.equal(predictions.length, 2);
    assert.notEqual(predictions[0]?.request_id, predictions[1]?.request_id);
  });
});

describe("gateway: bad input gets a clear 4xx in the OpenAI error shape, and the server keeps serving", () => {
  const cases: [string, () => Promise<{ status: number; body: Record<string, unknown> }>, number, string][] =
    [
      ["invalid JSON", () => post("/v1/chat/completions", "{not json"), 400, "invalid_json"],
      [
        "wrong types",
        () => post("/v1/chat/completions", JSON.stringify({ model: 5, messages: "hi" })),
        400,
        "invalid_value",
      ],
      [
        "empty messages",
        () => post("/v1/chat/completions", JSON.stringify({ model: "support", messages: [] })),
        400,
        "invalid_value",
      ],
      [
        "an empty user message",
        () =>
          post(
            "/v1/chat/completions",
            JSON.stringify({ model: "support", messages: [{ role: "user", content: "  " }] }),
          ),
        400,
        "empty_message",
      ],
      [
        "a 1 MB message",
        () =>
          post(
            "/v1/chat/completions",
            JSON.stringify({
              model: "support",
              messages: [{ role: "user", content: "a".repeat(1_000_000) }],
            }),
          ),
        413,
        "body_too_large",
      ],
      [
        "an unknown model id",
        () =>
          post(
            "/v1/chat/completions",
            JSON.stringify({ model: "nope", messages: [{ role: "user", content: "hi" }] }),
          ),
        404,
        "model_not_found",
      ],
      [
        "invalid UTF-8",
        () => post("/v1/chat/completions", Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])),
        400,
        "invalid_encoding",
      ],
      [
        "a missing API key",
        () => post("/v1/chat/completions", "{}", { authorization: "" }),
        401,
        "missing_api_key",
      ],
      [
        "a wrong API key",
        () => post("/v1/chat/completions", "{}", { authorization: "Bearer slmk_aaaaaaaaaaaa_wrong" }),
        401,
        "invalid_api_key",
      ],
    ];
  for (const [name, send, status, code] of cases) {
    test(name, async () => {
      const response = await send();
      assert.equal(response.status, status);
      const error = response.body.error as Record<string, unknown>;
      assert.equal(error.code, code);
      assert.equal(typeof error.message, "string");
      assert.ok("type" in error && "param" in error);
      assert.doesNotMatch(JSON.stringify(response.body), /at .*\.ts:\d+/, "no stack trace");
      const health = await fetch(`${gateway.url}/healthz`);
      assert.equal(health.status, 200);
    });
  }
});

describe("gateway operations", () => {
  test("exposes Prometheus metrics by who answered", async () => {
    const text = await (
      await fetch(`${gateway.url}/metrics`, { headers: { authorization: `Bearer ${key}` } })
    ).text();
    assert.match(text, /slmkit_requests_total\{usecase="support",answered_by="slm"\} \d+/);
    assert.match(text, /slmkit_requests_total\{usecase="support",answered_by="llm"\} \d+/);
  });

  test("hot reload swaps in a new model and refuses a corrupt one while the old one keeps serving", async () => {
    const before = gateway.useCases.get("support")?.modelVersion;
    const retrained = await trainClassifier(generateSupportData({ seed: 3, perLabel: 40 }), { seed: 3 });
    await saveNativeModel(retrained.model, join(dir, "model"), retrained.record);
    const reloaded = await post("/v1/usecases/support/reload", "{}");
    assert.equal(reloaded.status, 200, JSON.stringify(reloaded.body));
    assert.notEqual(reloaded.body.model_version, before);

    const weights = join(dir, "model", "weights.bin");
    const bytes = await readFile(weights);
    await writeFile(weights, bytes.subarray(0, 100));
    const refused = await post("/v1/usecases/support/reload", "{}");
    assert.equal(refused.status, 409);
    assert.match(String((refused.body.error as Record<string, unknown>).message), /checksum/);
    const still = await post(
      "/v1/chat/completions",
      JSON.stringify({ model: "support", messages: [{ role: "user", content: "cancel my order" }] }),
    );
    assert.equal(still.status, 200);
    await writeFile(weights, bytes);
  });

  test("closing drains: every answered request has its log row", async () => {
    const answered = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        post(
          "/v1/chat/completions",
          JSON.stringify({
            model: "support",
            messages: [{ role: "user", content: `where is order #B${index}` }],
          }),
        ),
      ),
    );
    const ids = answered.map((reply) => (reply.body.slmkit as Record<string, unknown>).request_id as string);
    await gateway.close();
    const store = createStore({ kind: "sqlite", path: join(dir, "gateway.db") });
    try {
      await store.migrate();
      for (const id of ids) assert.ok(await store.getRequest(id), `log row for ${id}`);
    } finally {
      await store.close();
    }
  });
});
