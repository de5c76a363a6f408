import assert from "node:assert/strict";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { registerBaselineCommand } from "../../src/cli/baseline.js";
import { registerFineTuneCommand } from "../../src/cli/finetune.js";
import { formatJsonl } from "../../src/data/io.js";
import { SlmkitError } from "../../src/errors.js";
import type { BaselineReport } from "../../src/eval/baseline.js";
import { createOpenAiJobsApi } from "../../src/models/openai/jobs-api.js";
import { generateSupportData, supportTemplate } from "../../src/spec/catalog/support.js";
import { loadUseCase } from "../../src/spec/load.js";
import {
  apiFor,
  cancelFineTune,
  type FineTuneEvent,
  type FineTuneReport,
  type FineTuneState,
  runFineTune,
} from "../../src/train/finetune.js";
import { runCli, runCommand, startCli, temporaryDirectory } from "../helpers/cli.js";
import { answerBy, responseFormatType } from "../helpers/fake-openai.js";
import { type FakeOpenAiJobsServer, startFakeOpenAiJobs } from "../helpers/fake-openai-jobs.js";

const root = temporaryDirectory("slmkit-finetune-");
const train = generateSupportData({ seed: 11, perLabel: 2 });
const valid = generateSupportData({ seed: 12, perLabel: 1 });
const goldByText = new Map([...train, ...valid].map((example) => [example.text, example.label]));
let server: FakeOpenAiJobsServer;

/** A use case folder of its own (each test's state file is separate), its LLM the fake server. */
async function useCaseFolder(name: string): Promise<string> {
  const dir = join(root, name);
  await mkdir(join(dir, "data"), { recursive: true });
  await writeFile(join(dir, "data/train.jsonl"), formatJsonl(train));
  await writeFile(join(dir, "data/valid.jsonl"), formatJsonl(valid));
  await writeFile(join(dir, "data/test.jsonl"), formatJsonl(valid));
  const labels = (supportTemplate.spec.labels ?? [])
    .map((label) => `  - name: ${label.name}\n    description: ${JSON.stringify(label.description ?? "")}`)
    .join("\n");
  await writeFile(
    join(dir, "usecase.yaml"),
    `version: 1
id: support
title: Support tickets
task: classify
labels:
${labels}
data: {train: data/train.jsonl, valid: data/valid.jsonl, test: data/test.jsonl}
llm:
  baseUrl: ${server.baseUrl}
  model: gpt-4o-mini
  apiKeyEnv: SLMKIT_FINETUNE_TEST_KEY
`,
  );
  return join(dir, "usecase.yaml");
}

async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, "utf8")) as T;
}

const statePath = (useCase: string) => join(useCase, "..", ".slmkit", "finetune.json");
const reportPath = (useCase: string) => join(useCase, "..", ".slmkit", "finetune-report.json");

before(async () => {
  // The chat route answers as a fine-tuned model would: the gold label, as JSON when asked for it.
  server = await startFakeOpenAiJobs(answerBy((text) => goldByText.get(text) ?? "order_status"));
  server.setHandler((request) => {
    const label = goldByText.get(request.user) ?? "order_status";
    return {
      kind: "content",
      content: responseFormatType(request) === undefined ? label : JSON.stringify({ label }),
    };
  });
});
after(() => server.close());

describe("slmkit finetune", () => {
  test("uploads the exported data, starts the job, follows it to a model reference that baseline measures; a rerun starts nothing", async () => {
    server.setFineTuning({ runningPolls: 3, trainedTokens: 123_456 });
    const useCase = await useCaseFolder("success");
    const args = ["finetune", "--usecase", useCase, "--base", "gpt-4o-mini-2024-07-18", "--epochs", "2"];
    const run = await runCommand(registerFineTuneCommand, [...args, "--poll-interval", "0.01"]);

    // Two files, purpose fine-tune: the labeler's own prompt and a JSON label, so the model answers slmkit's request.
    const uploads = [...server.files.values()].filter((file) => file.purpose === "fine-tune");
    assert.deepEqual(
      uploads.map((file) => [file.filename, file.content.toString("utf8").trim().split("\n").length]),
      [
        ["train.jsonl", train.length],
        ["valid.jsonl", valid.length],
      ],
    );
    const first = JSON.parse(uploads[0]?.content.toString("utf8").split("\n")[0] ?? "{}") as {
      messages: Array<{ role: string; content: string }>;
    };
    assert.match(first.messages[0]?.content ?? "", /Reply with JSON \{"label"/);
    assert.equal(first.messages[1]?.content, train[0]?.text);
    assert.equal(first.messages[2]?.content, JSON.stringify({ label: train[0]?.label }));
    const [job] = [...server.jobs.values()];
    assert.ok(job !== undefined);
    assert.equal(job.model, "gpt-4o-mini-2024-07-18");
    assert.equal(job.suffix, "support");
    assert.equal(job.trainingFile, uploads[0]?.id);
    assert.equal(job.validationFile, uploads[1]?.id);
    assert.deepEqual(job.body.method, {
      type: "supervised",
      supervised: { hyperparameters: { n_epochs: 2 } },
    });

    const reference = `openai:ft:gpt-4o-mini-2024-07-18:slmkit-test:support:${job.id.slice(6)}@${server.baseUrl}`;
    assert.match(run.stdout, new RegExp(`reference +${reference.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
    assert.match(run.stderr, /started fine-tuning job ftjob-/);
    assert.match(run.stderr, /Step 3\/3: training loss/);
    assert.match(run.stderr, /: succeeded/);
    const state = await readJson<FineTuneState>(statePath(useCase));
    assert.equal(state.status, "succeeded");
    assert.equal(state.reference, reference);
    assert.equal(state.jobId, job.id);
    assert.equal(state.report, join(".slmkit", "finetune-report.json"));
    const report = await readJson<FineTuneReport>(reportPath(useCase));
    assert.equal(report.reference, reference);
    assert.equal(report.status, "succeeded");
    assert.deepEqual(report.files.train, {
      id: uploads[0]?.id,
      examples: train.length,
      bytes: uploads[0]?.content.length,
    });
    // The cost record the TCO reads: the job's trained tokens at the assumed $3.00 per 1M.
    assert.equal(report.cost.trainedTokens, 123_456);
    assert.equal(report.cost.trainedTokensSource, "job");
    assert.equal(report.cost.pricePer1mTrainedTokensUsd, 3);
    assert.equal(report.cost.priceSource, "assumed");
    assert.equal(report.cost.trainingCostUsd, 0.370368);
    assert.ok(report.cost.estimatedTokensPerEpoch > 0);

    // The reference is a model `baseline` measures through the chat endpoint.
    const baselineJson = join(root, "success", "baseline.json");
    const baseline = await runCommand(registerBaselineCommand, [
      "baseline",
      "--usecase",
      useCase,
      "--models",
      reference,
      "--latency-samples",
      "2",
      "--json",
      baselineJson,
    ]);
    assert.equal(baseline.exitCode, undefined, baseline.stderr);
    const row = (await readJson<BaselineReport>(baselineJson)).rows.find(
      (candidate) => candidate.reference === reference,
    );
    assert.equal(row?.error, undefined, row?.error);
    assert.equal(row?.accuracy, 1);
    assert.ok(server.requests.some((request) => request.body?.model === report.fineTunedModel));

    // Nothing new for the same data and settings: no upload, no job; the result again.
    const again = await runCommand(registerFineTuneCommand, args);
    assert.match(again.stdout, /already fine-tuned/);
    assert.equal(server.count(/^POST \/v1\/files$/), 2);
    assert.equal(server.count(/^POST \/v1\/fine_tuning\/jobs$/), 1);

    // --list marks the use case's own job.
    const listed = await runCommand(registerFineTuneCommand, ["finetune", "--usecase", useCase, "--list"]);
    assert.match(listed.stdout, new RegExp(`\\* ${job.id} +gpt-4o-mini-2024-07-18 +succeeded`));
  });

  test("a failed job reports the service's error, writes its report and exits non-zero", async () => {
    server.setFineTuning({
      runningPolls: 1,
      outcome: "failed",
      trainedTokens: 0,
      error: {
        code: "invalid_training_file",
        message: "Training file has 3 examples with no assistant message",
        param: "training_file",
      },
    });
    const useCase = await useCaseFolder("failed");
    const result = await runCli(
      ["finetune", "--usecase", useCase, "--base", "gpt-4o-mini-2024-07-18", "--poll-interval", "0.01"],
      { env: { SLMKIT_FINETUNE_TEST_KEY: "sk-test" } },
    );
    assert.equal(result.code, 2, result.stderr);
    assert.match(
      result.stderr,
      /fine-tuning job ftjob-\w+ of gpt-4o-mini-2024-07-18 failed: invalid_training_file: Training file has 3 examples/,
    );
    const state = await readJson<FineTuneState>(statePath(useCase));
    assert.equal(state.status, "failed");
    assert.equal(state.reference, null);
    const report = await readJson<FineTuneReport>(reportPath(useCase));
    assert.equal(report.status, "failed");
    assert.equal(report.error?.param, "training_file");
    assert.equal(report.reference, null);
  });

  test("killed while following, a rerun uploads nothing and follows the same job to its end", async () => {
    server.setFineTuning({ runningPolls: 12 });
    const useCase = await useCaseFolder("interrupted");
    const args = [
      "finetune",
      "--usecase",
      useCase,
      "--base",
      "gpt-4o-mini-2024-07-18",
      "--poll-interval",
      "0.05",
    ];
    const uploadsBefore = server.count(/^POST \/v1\/files$/);
    const jobsBefore = server.count(/^POST \/v1\/fine_tuning\/jobs$/);
    const running = startCli(args);
    const deadline = Date.now() + 60_000;
    while (!/Step 2\/12/.test(running.stderr) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    running.child.kill("SIGKILL");
    const killed = await running.exited;
    assert.equal(killed.code, null, `still running when killed\n${killed.stderr}`);
    const stateAtKill = await readJson<FineTuneState>(statePath(useCase));
    assert.equal(stateAtKill.status, "running");
    assert.ok(stateAtKill.jobId !== null && stateAtKill.lastEventId !== null);

    const rerun = await runCommand(registerFineTuneCommand, args);
    assert.match(rerun.stderr, new RegExp(`resuming fine-tuning job ${stateAtKill.jobId}`));
    assert.doesNotMatch(rerun.stderr, /Step 1\/12/, "events already reported are not repeated");
    assert.match(rerun.stderr, /Step 12\/12/);
    assert.equal(server.count(/^POST \/v1\/files$/), uploadsBefore + 2, "no second upload");
    assert.equal(server.count(/^POST \/v1\/fine_tuning\/jobs$/), jobsBefore + 1, "the same job");
    const state = await readJson<FineTuneState>(statePath(useCase));
    assert.equal(state.jobId, stateAtKill.jobId);
    assert.equal(state.status, "succeeded");
  });

  test("a run stopped after its uploads reuses them, and adopts the job it had created rather than making another", async () => {
    server.setFineTuning({ runningPolls: 1 });
    const useCase = await useCaseFolder("adopted");
    const loaded = await loadUseCase(useCase);
    const api = apiFor(server.baseUrl, {});
    // The process "dies" at the create: the state keeps the uploaded files.
    const refusingApi = {
      ...api,
      createFineTuningJob: () =>
        Promise.reject(new SlmkitError("LLM_ERROR", "injected: the process died here")),
    };
    await assert.rejects(
      runFineTune({ useCase: loaded, base: "gpt-4o-mini-2024-07-18", api: refusingApi, pollIntervalMs: 5 }),
      /injected/,
    );
    const stopped = await readJson<FineTuneState>(statePath(useCase));
    assert.equal(stopped.status, "uploaded");
    assert.equal(stopped.jobId, null);
    // As if the create had reached the service before the process died: the job exists, the state does not say so.
    const orphan = await createOpenAiJobsApi({ baseUrl: server.baseUrl }).createFineTuningJob({
      model: "gpt-4o-mini-2024-07-18",
      trainingFile: stopped.files.train?.id ?? "",
    });
    const uploads = server.count(/^POST \/v1\/files$/);
    const jobs = server.count(/^POST \/v1\/fine_tuning\/jobs$/);
    const events: FineTuneEvent[] = [];
    const result = await runFineTune({
      useCase: loaded,
      base: "gpt-4o-mini-2024-07-18",
      api,
      pollIntervalMs: 5,
      onEvent: (event) => events.push(event),
    });
    assert.equal(result.state.jobId, orphan.id);
    assert.deepEqual(
      events
        .filter((event) => event.kind === "uploaded")
        .map((event) => event.kind === "uploaded" && event.reused),
      [true, true],
    );
    assert.ok(events.some((event) => event.kind === "job" && event.how === "found"));
    assert.equal(server.count(/^POST \/v1\/files$/), uploads);
    assert.equal(server.count(/^POST \/v1\/fine_tuning\/jobs$/), jobs);
  });

  test("--cancel stops the use case's job: the follow ends non-zero and the state and report say cancelled", async () => {
    server.setFineTuning({ runningPolls: 1000 });
    const useCase = await useCaseFolder("cancelled");
    const loaded = await loadUseCase(useCase);
    let jobId: string | undefined;
    const following = runFineTune({
      useCase: loaded,
      base: "gpt-4o-mini-2024-07-18",
      api: apiFor(server.baseUrl, {}),
      pollIntervalMs: 10,
      onEvent: (event) => {
        if (event.kind === "log" && event.event.type === "metrics") jobId ??= [...server.jobs.keys()].at(-1);
      },
    });
    const deadline = Date.now() + 30_000;
    while (jobId === undefined && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 10));
    assert.ok(jobId !== undefined);
    const cancelled = await runCommand(registerFineTuneCommand, [
      "finetune",
      "--usecase",
      useCase,
      "--cancel",
      jobId,
    ]);
    assert.match(cancelled.stdout, new RegExp(`${jobId} of gpt-4o-mini-2024-07-18: cancelled`));
    await assert.rejects(following, (error: unknown) => {
      assert.ok(SlmkitError.isInstance(error));
      assert.equal(error.code, "TRAINING_FAILED");
      assert.match(error.message, /was cancelled; no model was made/);
      return true;
    });
    const state = await readJson<FineTuneState>(statePath(useCase));
    assert.equal(state.status, "cancelled");
    assert.equal((await readJson<FineTuneReport>(reportPath(useCase))).status, "cancelled");
  });

  test("a use case without enough examples is refused before anything is uploaded", async () => {
    const useCase = await useCaseFolder("small");
    await writeFile(join(root, "small", "data/train.jsonl"), formatJsonl(train.slice(0, 4)));
    const uploads = server.count(/^POST \/v1\/files$/);
    await assert.rejects(
      runCommand(registerFineTuneCommand, ["finetune", "--usecase", useCase, "--base", "gpt-4o-mini"]),
      /only 4 training examples .* at least 10/,
    );
    assert.equal(server.count(/^POST \/v1\/files$/), uploads);
    await assert.rejects(
      runCommand(registerFineTuneCommand, [
        "finetune",
        "--usecase",
        useCase,
        "--base",
        "gpt-4o-mini",
        "--resume",
      ]),
      /no fine-tuning job .* in progress to resume/,
    );
  });

  test("cancelFineTune of a job the use case does not name leaves its state alone", async () => {
    const api = apiFor(server.baseUrl, {});
    const file = [...server.files.values()].find((candidate) => candidate.purpose === "fine-tune");
    const job = await api.createFineTuningJob({ model: "gpt-4o-mini", trainingFile: file?.id ?? "" });
    const useCase = await loadUseCase(await useCaseFolder("other"));
    const cancelled = await cancelFineTune({ jobId: job.id, api, useCase });
    assert.equal(cancelled.status, "cancelled");
    await assert.rejects(readFile(statePath(useCase.path), "utf8"), /ENOENT/);
  });

  test("a state file slmkit did not write is a clear error that says how to start over", async () => {
    const useCase = await useCaseFolder("corrupt");
    await mkdir(join(root, "corrupt", ".slmkit"), { recursive: true });
    await writeFile(statePath(useCase), '{"formatVersion": 1, "jobId": 7}');
    await assert.rejects(
      runCommand(registerFineTuneCommand, ["finetune", "--usecase", useCase, "--base", "gpt-4o-mini"]),
      (error: unknown) =>
        SlmkitError.isInstance(error) &&
        error.code === "INVALID_INPUT" &&
        /finetune\.json: this is not a fine-tuning state file slmkit wrote\. Delete it/.test(error.message),
    );
  });
});
