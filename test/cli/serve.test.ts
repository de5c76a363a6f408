import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { saveNativeModel } from "../../src/models/native/model-directory.js";
import { createStore } from "../../src/store/index.js";
import { trainClassifier } from "../../src/train/train-classifier.js";
import { startCli, temporaryDirectory } from "../helpers/cli.js";
import { type FakeOpenAiServer, serverError, startFakeOpenAi } from "../helpers/fake-openai.js";
import { syntheticExamples } from "../helpers/synthetic.js";

const dir = temporaryDirectory("slmkit-serve-cli-");
let fake: FakeOpenAiServer;
let key: string;
let unsureText: string;

before(async () => {
  const trained = await trainClassifier(syntheticExamples(30, 1), { seed: 1 });
  await saveNativeModel(trained.model, join(dir, "model"), trained.record);
  unsureText =
    ["zebra quantum opera", "hmm", "purple volcano", "ok then", "bananas"].find(
      (text) => trained.model.predictDetailed(text).confidence < trained.model.threshold,
    ) ?? "";
  assert.ok(unsureText !== "", "one candidate must fall below the threshold");
  // An LLM that fails with an HTML page: its detail belongs in the log, not the reply.
  fake = await startFakeOpenAi(() => serverError(502));
  await writeFile(
    join(dir, "usecase.yaml"),
    `version: 1
id: tickets
title: Tickets
task: classify
labels: [{name: account}, {name: billing}, {name: product}, {name: shipping}]
data: {train: train.jsonl}
model: model
routing: {fallback: llm}
llm: {baseUrl: "${fake.baseUrl}", model: gpt-fake, timeoutMs: 2000}
`,
  );
  const store = createStore({ kind: "sqlite", path: join(dir, "gateway.db") });
  await store.migrate();
  key = (await store.createApiKey("cli")).key;
  await store.close();
});
after(async () => {
  await fake?.close();
});

describe("slmkit serve", () => {
  test("logs JSON lines through pino on stderr: the start, each request and each failure with its request id", async () => {
    const serve = startCli(
      [
        "serve",
        ...[
          "--usecase",
          join(dir, "usecase.yaml"),
          "--port",
          "0",
          "--store",
          `sqlite:${join(dir, "gateway.db")}`,
        ],
        "--log-requests",
      ],
      { env: { OPENAI_API_KEY: "sk-test" } },
    );
    try {
      const deadline = Date.now() + 60_000;
      while (!/listening on (http:\/\/\S+)/.test(serve.stdout)) {
        assert.ok(Date.now() < deadline, `serve did not start: ${serve.stdout}${serve.stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const url = /listening on (http:\/\/\S+)/.exec(serve.stdout)?.[1] as string;
      const response = await fetch(`${url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "tickets", messages: [{ role: "user", content: unsureText }] }),
      });
      const body = (await response.json()) as { slmkit: { request_id: string; reason: string } };
      assert.equal(response.status, 200);
      const requestId = body.slmkit.request_id;
      assert.match(body.slmkit.reason, /; llm_error 502; queued for review$/);
      assert.doesNotMatch(body.slmkit.reason, /127\.0\.0\.1|gpt-fake at/, "the client reads the kind only");
      assert.equal((await fetch(`${url}/v1/models`)).status, 401);
      serve.child.kill("SIGTERM");
      const exited = await serve.exited;
      assert.equal(exited.code, 0, exited.stderr);

      const lines = exited.stderr.split("\n").filter((line) => line.trim() !== "");
      const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      assert.ok(
        logged.every((line) => typeof line.level === "number" && typeof line.time === "number"),
        "every line on stderr is a pino JSON line",
      );
      const started = logged.find((line) => line.event === "gateway_started");
      assert.equal(started?.url, url);
      assert.deepEqual(started?.usecases, ["tickets"]);
      const requestLine = logged.find((line) => line.msg === "request" && line.requestId === requestId);
      assert.equal(requestLine?.status, 200);
      assert.equal(requestLine?.url, "/v1/chat/completions");
      const failure = logged.find(
        (line) => line.msg === "router: the LLM failed; the request goes to review",
      );
      assert.equal(failure?.requestId, requestId);
      assert.match(
        String(failure?.reason),
        /llm_error 502 \(gpt-fake at http:\/\/127\.0\.0\.1:\d+\/v1 answered 502/,
      );
      const refused = logged.filter((line) => line.msg === "request" && line.status === 401);
      assert.equal(refused.length, 1, "a 401 is logged with its request id too");
      assert.match(String(refused[0]?.requestId), /^[0-9a-f-]{36}$/);
      assert.ok(logged.some((line) => line.event === "draining"));
    } finally {
      serve.child.kill("SIGKILL");
    }
  });
});
