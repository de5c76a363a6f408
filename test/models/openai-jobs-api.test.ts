import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { LlmError } from "../../src/models/llm-error.js";
import { createOpenAiJobsApi } from "../../src/models/openai/jobs-api.js";
import { temporaryDirectory } from "../helpers/cli.js";
import { type FakeOpenAiJobsServer, startFakeOpenAiJobs } from "../helpers/fake-openai-jobs.js";

const folder = temporaryDirectory("slmkit-jobs-api-");
let server: FakeOpenAiJobsServer;
let trainPath: string;

before(async () => {
  server = await startFakeOpenAiJobs();
  trainPath = join(folder, "train.jsonl");
  await writeFile(trainPath, `${JSON.stringify({ messages: [{ role: "user", content: "é" }] })}\n`);
});
after(() => server.close());

/** A fetch that sends an Azure host's requests to the fake server, recording each URL and its `api-key` header. */
function azureFetch(seen: Array<{ url: string; apiKey: string | null; authorization: string | null }>) {
  return async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : input);
    const headers = new Headers(init?.headers);
    seen.push({
      url: url.toString(),
      apiKey: headers.get("api-key"),
      authorization: headers.get("authorization"),
    });
    const local = new URL(`${url.pathname}${url.search}`, server.baseUrl.replace(/\/v1$/, ""));
    return fetch(local, init);
  };
}

describe("OpenAI jobs API", () => {
  test("uploads a file streamed from disk with its purpose, and reads a file's content back line by line", async () => {
    const api = createOpenAiJobsApi({ baseUrl: server.baseUrl, apiKey: "sk-test" });
    const uploaded = await api.uploadFile(trainPath, "fine-tune");
    const stored = server.files.get(uploaded.id);
    assert.equal(stored?.purpose, "fine-tune");
    assert.equal(stored?.filename, "train.jsonl");
    assert.equal(
      stored?.content.toString("utf8"),
      `${JSON.stringify({ messages: [{ role: "user", content: "é" }] })}\n`,
    );
    assert.equal(uploaded.bytes, stored?.content.length);
    const lines: string[] = [];
    for await (const line of api.fileLines(uploaded.id)) lines.push(line);
    assert.deepEqual(lines, [JSON.stringify({ messages: [{ role: "user", content: "é" }] })]);
  });

  test("Azure: the resource's /openai APIs with api-version and an api-key header, epochs in the dated API's hyperparameters", async () => {
    const seen: Array<{ url: string; apiKey: string | null; authorization: string | null }> = [];
    const api = createOpenAiJobsApi({
      baseUrl: "https://my-resource.openai.azure.com/openai/deployments/gpt-4o-mini",
      apiKey: "azure-key",
      fetch: azureFetch(seen),
    });
    assert.equal(api.azure, true);
    assert.equal(api.batchEndpoint, "/chat/completions");
    const file = await api.uploadFile(trainPath, "fine-tune");
    const job = await api.createFineTuningJob({
      model: "gpt-4o-mini-2024-07-18",
      trainingFile: file.id,
      epochs: 4,
    });
    assert.deepEqual(server.jobs.get(job.id)?.body.hyperparameters, { n_epochs: 4 });
    assert.equal(server.jobs.get(job.id)?.body.method, undefined);
    assert.deepEqual(
      seen.map((request) => request.url),
      [
        "https://my-resource.openai.azure.com/openai/files?api-version=2024-10-21",
        "https://my-resource.openai.azure.com/openai/fine_tuning/jobs?api-version=2024-10-21",
      ],
    );
    assert.ok(seen.every((request) => request.apiKey === "azure-key" && request.authorization === null));

    // The v1 API takes no api-version and knows `method`.
    seen.length = 0;
    const v1 = createOpenAiJobsApi({
      baseUrl: "https://my-resource.openai.azure.com/openai/v1",
      apiKey: "azure-key",
      fetch: azureFetch(seen),
    });
    const v1Job = await v1.createFineTuningJob({
      model: "gpt-4o-mini-2024-07-18",
      trainingFile: file.id,
      epochs: 4,
    });
    assert.equal(seen[0]?.url, "https://my-resource.openai.azure.com/openai/v1/fine_tuning/jobs");
    assert.deepEqual(server.jobs.get(v1Job.id)?.body.method, {
      type: "supervised",
      supervised: { hyperparameters: { n_epochs: 4 } },
    });
  });

  test("reads are retried through 5xx; creates only when the server answered 429 or 5xx, and a 400 at once", async () => {
    const api = createOpenAiJobsApi({ baseUrl: server.baseUrl, retryBaseDelayMs: 1, retryMaxDelayMs: 2 });
    const file = await api.uploadFile(trainPath, "fine-tune");
    server.failNext(500, 503);
    assert.equal((await api.retrieveFile(file.id)).id, file.id);
    server.failNext(429);
    const job = await api.createFineTuningJob({ model: "gpt-4o-mini", trainingFile: file.id });
    assert.equal(job.status, "validating_files");
    const creates = server.count(/^POST \/v1\/fine_tuning\/jobs$/);
    await assert.rejects(
      api.createFineTuningJob({ model: "gpt-4o-mini", trainingFile: "file-missing" }),
      (error) => {
        assert.ok(LlmError.isLlmError(error));
        assert.equal(error.statusCode, 400);
        assert.match(error.message, /invalid training_file/);
        return true;
      },
    );
    assert.equal(server.count(/^POST \/v1\/fine_tuning\/jobs$/), creates + 1, "a 400 is not retried");
  });

  test("a job's events come back oldest first, only those after the last seen, across pages", async () => {
    server.setFineTuning({ runningPolls: 150 });
    const api = createOpenAiJobsApi({ baseUrl: server.baseUrl });
    const file = await api.uploadFile(trainPath, "fine-tune");
    const job = await api.createFineTuningJob({ model: "gpt-4o-mini", trainingFile: file.id });
    for (let poll = 0; poll < 130; poll++) await api.retrieveFineTuningJob(job.id);
    const all = await api.fineTuningEventsAfter(job.id, undefined);
    // 1 validating + 1 queued + 1 started + 128 steps: more than the 100 a page holds.
    assert.equal(all.length, 131);
    assert.equal(all[0]?.message, `Validating training file: ${file.id}`);
    assert.equal(all.at(-1)?.message, "Step 128/150: training loss=0.0078");
    assert.deepEqual(all.at(-1)?.data, { step: 128, total_steps: 150, train_loss: 1 / 128 });
    const newer = await api.fineTuningEventsAfter(job.id, all[120]?.id);
    assert.deepEqual(
      newer.map((event) => event.id),
      all.slice(121).map((event) => event.id),
    );
    assert.deepEqual(await api.fineTuningEventsAfter(job.id, all.at(-1)?.id), []);
    server.setFineTuning({});
  });
});
