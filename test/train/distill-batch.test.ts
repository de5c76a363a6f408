import assert from "node:assert/strict";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { registerDistillCommand } from "../../src/cli/distill.js";
import { createOpenAiJobsApi } from "../../src/models/openai/jobs-api.js";
import { createOpenAiLabeler } from "../../src/models/openai/openai-labeler.js";
import { generateSupportData, supportTemplate } from "../../src/spec/catalog/support.js";
import { batchApiLimits, createBatchLabeller } from "../../src/train/distill/batch-labelling.js";
import type { BatchState } from "../../src/train/distill/batch-state.js";
import type { CacheEntry } from "../../src/train/distill/labelling.js";
import { type DistillReport, distill, teacherCacheKey, teacherFromLabeler } from "../../src/train/distill.js";
import { runCommand, startCli, temporaryDirectory } from "../helpers/cli.js";
import { type ChatRequestBody, responseFormatType } from "../helpers/fake-openai.js";
import { type FakeOpenAiJobsServer, startFakeOpenAiJobs } from "../helpers/fake-openai-jobs.js";

const root = temporaryDirectory("slmkit-distill-batch-");
const unlabelled = generateSupportData({ seed: 21, perLabel: 8 });
const texts = unlabelled.map((example) => example.text);
const goldByText = new Map(unlabelled.map((example) => [example.text, example.label]));
const labels = (supportTemplate.spec.labels ?? []).map((label) => label.name);
let server: FakeOpenAiJobsServer;
let teacher: string;
let useCasePath: string;
let unlabelledPath: string;

before(async () => {
  // The teacher knows the answers: JSON when the request asks for structured output, as the labeler does.
  server = await startFakeOpenAiJobs((request) => {
    const label = goldByText.get(request.user) ?? "order_status";
    return {
      kind: "content",
      content: responseFormatType(request) === undefined ? label : JSON.stringify({ label }),
    };
  });
  teacher = `openai:gpt-test@${server.baseUrl}`;
  unlabelledPath = join(root, "unlabelled.jsonl");
  await writeFile(unlabelledPath, `${texts.map((text) => JSON.stringify({ text })).join("\n")}\n`);
  useCasePath = join(root, "usecase.yaml");
  await writeFile(
    useCasePath,
    `version: 1
id: support
title: Support
task: classify
labels:
${labels.map((name) => `  - name: ${name}`).join("\n")}
data: {train: train.jsonl}
llm:
  baseUrl: ${server.baseUrl}
  model: gpt-test
  apiKeyEnv: SLMKIT_BATCH_TEST_KEY
  pricePer1kInputUsd: 0.15
  pricePer1kOutputUsd: 0.6
`,
  );
});
after(() => server.close());

function distillArgs(out: string, ...more: string[]): string[] {
  return [
    "distill",
    "--teacher",
    teacher,
    "--unlabeled",
    unlabelledPath,
    "--usecase",
    useCasePath,
    "--out",
    join(root, out),
    "--batch",
    "--poll-interval",
    "0.01",
    "--epochs",
    "3",
    ...more,
  ];
}

async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, "utf8")) as T;
}

async function cacheOf(out: string): Promise<Map<string, CacheEntry>> {
  const lines = (await readFile(join(root, out, ".teacher-cache.jsonl"), "utf8")).split("\n").filter(Boolean);
  return new Map(lines.map((line) => JSON.parse(line) as CacheEntry).map((entry) => [entry.key, entry]));
}

/** US dollars of one request at the use case's prices, with the fake's tokens (about 4 characters a token). */
function interactiveCost(body: ChatRequestBody, label: string): number {
  const input = Math.ceil(JSON.stringify(body.messages).length / 4);
  const output = Math.max(1, Math.ceil(JSON.stringify({ label }).length / 4));
  return (input * 0.15 + output * 0.6) / 1000;
}

const key = (text: string) => teacherCacheKey(teacher, text);

describe("slmkit distill --batch", () => {
  test("sends the teacher's requests as Batch API batches split at the request limit, parses answers as the labeler does, and counts them at half price", async () => {
    server.setBatches({ inProgressPolls: 1 });
    const chatBefore = server.requests.length;
    const run = await runCommand(registerDistillCommand, distillArgs("plain", "--batch-max-requests", "50"));
    assert.equal(run.exitCode, undefined, run.stderr);

    // One interactive call settles the parameters; the other 119 texts go in batches of at most 50.
    assert.equal(server.requests.length - chatBefore, 1);
    const inputs = [...server.files.values()].filter((file) => file.purpose === "batch");
    assert.deepEqual(
      inputs.map((file) => file.content.toString("utf8").trim().split("\n").length),
      [50, 50, 19],
    );
    const lines = inputs.flatMap((file) =>
      file.content
        .toString("utf8")
        .trim()
        .split("\n")
        .map(
          (line) =>
            JSON.parse(line) as { custom_id: string; method: string; url: string; body: ChatRequestBody },
        ),
    );
    const probeText = server.requests.at(-1)?.user ?? "";
    const sent = new Set(lines.map((line) => line.custom_id));
    assert.equal(sent.size, 119);
    assert.ok(
      texts.every((text) => text === probeText || sent.has(key(text))),
      "every text once, by cache key",
    );
    const [firstLine] = lines;
    assert.equal(firstLine?.method, "POST");
    assert.equal(firstLine?.url, "/v1/chat/completions");
    // The request the interactive labeler sent for the probe, but for another text: its prompt, strict label
    // schema, logprobs and temperature.
    const probeBody = server.requests.at(-1)?.body ?? {};
    const withoutText = (body: ChatRequestBody) => ({ ...body, messages: body.messages?.slice(0, 1) });
    assert.deepEqual(withoutText(firstLine?.body ?? {}), withoutText(probeBody));
    assert.equal((firstLine?.body.response_format as { type?: string } | undefined)?.type, "json_schema");
    assert.equal(firstLine?.body.logprobs, true);
    const batches = [...server.batches.values()];
    assert.equal(batches.length, 3);
    assert.ok(
      batches.every(
        (batch) => batch.endpoint === "/v1/chat/completions" && batch.metadata.slmkit === "distill",
      ),
    );

    const report = await readJson<DistillReport>(join(root, "plain", "report.json"));
    assert.equal(report.labelled, 120);
    assert.equal(report.unsure, 0);
    assert.equal(report.teacherCalls, 1);
    assert.equal(report.teacherCachedAnswers, 0);
    const batch = report.teacherBatch;
    assert.ok(batch !== undefined);
    assert.deepEqual(
      [
        batch.batches,
        batch.requests,
        batch.answered,
        batch.failed,
        batch.interactiveCalls,
        batch.priceFactor,
      ],
      [3, 119, 120, 0, 1, 0.5],
    );
    // The probe at the interactive price, every batch request at half of it.
    const expected =
      interactiveCost(server.requests.at(-1)?.body ?? {}, goldByText.get(probeText) ?? "") +
      lines.reduce((sum, line) => {
        const text = line.body.messages?.at(-1)?.content ?? "";
        return sum + 0.5 * interactiveCost(line.body, goldByText.get(text) ?? "");
      }, 0);
    assert.ok(Math.abs(batch.costUsd - expected) < 1e-9, `${batch.costUsd} vs ${expected}`);
    assert.ok(Math.abs(report.teacherCostUsd - expected) < 1e-7);
    const cache = await cacheOf("plain");
    const batched = texts.find((text) => text !== probeText) ?? "";
    assert.equal(cache.get(key(batched))?.label, goldByText.get(batched));
    assert.equal(cache.get(key(batched))?.via, "batch");
    assert.equal(cache.get(key(probeText))?.via, undefined, "the probe is an interactive call");
    assert.match(run.stdout, /batch API +119 requests in 3 batches: 120 labelled/);
    assert.match(run.stderr, /batch: batch_\w+ collected: 50 labelled/);
  });

  test("a refused request is cached as unsure and never sent again; one that failed for a passing reason is resubmitted, then left for the next run", async () => {
    const refused = texts[30] ?? "";
    const expiresOnce = texts[31] ?? "";
    const alwaysFails = texts[32] ?? "";
    const attempts = new Map<string, number>();
    server.setBatches({
      inProgressPolls: 0,
      fault: (customId) => {
        const attempt = (attempts.get(customId) ?? 0) + 1;
        attempts.set(customId, attempt);
        if (customId === key(refused)) return { kind: "status", status: 400, message: "Invalid 'messages'" };
        if (customId === key(expiresOnce) && attempt === 1)
          return {
            kind: "error-file",
            code: "batch_expired",
            message: "This request could not be executed before the completion window expired.",
          };
        if (customId === key(alwaysFails))
          return { kind: "status", status: 500, message: "The server had an error" };
        return undefined;
      },
    });
    const run = await runCommand(registerDistillCommand, distillArgs("faults"));
    assert.equal(run.exitCode, undefined, run.stderr);
    // Round 0: one batch of 119; round 1: the expired and the 500 again. The 400 is not resent.
    assert.equal(attempts.get(key(refused)), 1);
    assert.equal(attempts.get(key(expiresOnce)), 2);
    assert.equal(attempts.get(key(alwaysFails)), 2);
    const report = await readJson<DistillReport>(join(root, "faults", "report.json"));
    assert.equal(report.unsure, 2);
    assert.equal(report.labelled, 118);
    assert.equal(report.teacherBatch?.failed, 2);
    assert.equal(report.teacherBatch?.batches, 2);
    assert.equal(report.teacherBatch?.requests, 121);
    const cache = await cacheOf("faults");
    assert.deepEqual(
      [cache.get(key(refused))?.label, cache.get(key(refused))?.retryable, cache.get(key(refused))?.error],
      [null, false, "400: Invalid 'messages'"],
    );
    assert.equal(cache.get(key(expiresOnce))?.label, goldByText.get(expiresOnce));
    assert.deepEqual(
      [cache.get(key(alwaysFails))?.label, cache.get(key(alwaysFails))?.retryable],
      [null, true],
    );

    // The next run sends only the text whose failure may pass (here through the interactive probe); the refused one stays unsure.
    server.setBatches({});
    const chatBefore = server.requests.length;
    const batchesBefore = server.batches.size;
    const again = await runCommand(registerDistillCommand, distillArgs("faults"));
    assert.equal(again.exitCode, undefined, again.stderr);
    assert.deepEqual(
      server.requests.slice(chatBefore).map((request) => request.user),
      [alwaysFails],
    );
    assert.equal(server.batches.size, batchesBefore);
    const rerunReport = await readJson<DistillReport>(join(root, "faults", "report.json"));
    assert.equal(rerunReport.unsure, 1);
    assert.equal(rerunReport.teacherCachedAnswers, 119);
  });

  test("killed while its batches run, a rerun uploads and creates nothing and collects the same batches", async () => {
    server.setBatches({ inProgressPolls: 100 });
    const out = "interrupted";
    const uploads = server.count(/^POST \/v1\/files$/);
    const creates = server.count(/^POST \/v1\/batches$/);
    const running = startCli(distillArgs(out, "--batch-max-requests", "60"), {
      env: { SLMKIT_BATCH_TEST_KEY: "sk-test" },
    });
    const statePath = join(root, out, ".teacher-batches.json");
    const deadline = Date.now() + 60_000;
    let state: BatchState | undefined;
    while (Date.now() < deadline) {
      state = await readJson<BatchState>(statePath).catch(() => undefined);
      if (
        state !== undefined &&
        state.batches.length === 2 &&
        state.batches.every((batch) => batch.status === "in_progress")
      )
        break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    running.child.kill("SIGKILL");
    const killed = await running.exited;
    assert.equal(killed.code, null, `ended before it was killed\n${killed.stderr}`);
    assert.deepEqual(
      state?.batches.map((batch) => batch.status),
      ["in_progress", "in_progress"],
    );
    assert.equal(server.count(/^POST \/v1\/files$/), uploads + 2);
    assert.equal(server.count(/^POST \/v1\/batches$/), creates + 2);

    const rerun = await runCommand(registerDistillCommand, distillArgs(out, "--batch-max-requests", "60"));
    assert.equal(rerun.exitCode, undefined, rerun.stderr);
    assert.match(rerun.stderr, /resuming 2 batches/);
    assert.equal(server.count(/^POST \/v1\/files$/), uploads + 2, "no second upload");
    assert.equal(server.count(/^POST \/v1\/batches$/), creates + 2, "the same batches");
    const report = await readJson<DistillReport>(join(root, out, "report.json"));
    assert.equal(report.labelled, 120);
    assert.deepEqual([report.teacherBatch?.batches, report.teacherBatch?.requests], [0, 119]);
    const collected = await readJson<BatchState>(statePath);
    assert.deepEqual(
      collected.batches.map((batch) => [batch.batchId, batch.collected]),
      state?.batches.map((batch) => [batch.batchId, true]),
    );
  });

  test("--batch-cancel cancels the pending batches; the next run collects them and sends their texts again", async () => {
    server.setBatches({ inProgressPolls: 1000 });
    const out = join(root, "cancelled");
    const labeler = createOpenAiLabeler({
      baseUrl: server.baseUrl,
      model: "gpt-test",
      labels: labels.map((name) => ({ name })),
    });
    const controller = new AbortController();
    const stopped = distill({
      teacher: teacherFromLabeler(labeler),
      texts,
      out,
      bulk: createBatchLabeller({
        labeler,
        api: createOpenAiJobsApi({ baseUrl: server.baseUrl }),
        out,
        pollIntervalMs: 10,
      }),
      signal: controller.signal,
    });
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const state = await readJson<BatchState>(join(out, ".teacher-batches.json")).catch(() => undefined);
      if (state?.batches[0]?.status === "in_progress") break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    controller.abort(new Error("stopped by the test"));
    await assert.rejects(stopped, /stopped by the test/);

    const cancel = await runCommand(registerDistillCommand, [...distillArgs("cancelled"), "--batch-cancel"]);
    assert.match(cancel.stdout, /cancelling batch_\w+ \(cancelling\)/);
    const cancelledState = await readJson<BatchState>(join(out, ".teacher-batches.json"));
    assert.ok(cancelledState.batches.every((batch) => batch.cancelRequested));

    server.setBatches({});
    const rerun = await runCommand(registerDistillCommand, distillArgs("cancelled"));
    assert.equal(rerun.exitCode, undefined, rerun.stderr);
    assert.match(rerun.stderr, /collected: 0 labelled, 0 unsure, 0 refused, 119 to send again/);
    const report = await readJson<DistillReport>(join(root, "cancelled", "report.json"));
    assert.equal(report.labelled, 120);
    // The 119 collected from the cancelled batch, then a new probe and a batch of the other 118.
    assert.deepEqual([report.teacherBatch?.batches, report.teacherBatch?.requests], [1, 237]);
  });

  test("splits a batch's input file at the byte limit as well, each file within it", async () => {
    server.setBatches({ inProgressPolls: 0 });
    const out = join(root, "bytes");
    await mkdir(out, { recursive: true });
    const labeler = createOpenAiLabeler({
      baseUrl: server.baseUrl,
      model: "gpt-test",
      labels: labels.map((name) => ({ name })),
    });
    const oneLine = JSON.stringify({
      custom_id: "x".repeat(64),
      method: "POST",
      url: "/v1/chat/completions",
      body: labeler.request(texts[0] ?? ""),
    }).length;
    const maxBytesPerBatch = oneLine * 3 + 200;
    const bulk = createBatchLabeller({
      labeler,
      api: createOpenAiJobsApi({ baseUrl: server.baseUrl }),
      out,
      maxBytesPerBatch,
      pollIntervalMs: 5,
    });
    const some = texts.slice(0, 10);
    const result = await bulk.label(some, { cachePath: join(out, ".teacher-cache.jsonl"), stage: "texts" });
    assert.equal(result.answered, 10);
    const state = await readJson<BatchState>(join(out, ".teacher-batches.json"));
    assert.ok(state.batches.length >= 3, `${state.batches.length} batches`);
    assert.ok(state.batches.every((batch) => batch.bytes <= maxBytesPerBatch));
    assert.equal(
      state.batches.reduce((sum, batch) => sum + batch.requests, 0),
      9,
    );
    const files = await readdir(join(out, ".teacher-batches"));
    assert.equal(files.length, state.batches.length);
    assert.deepEqual(batchApiLimits, { requests: 50_000, bytes: 200 * 1024 * 1024 });
  });
});
