import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { registerBaselineCommand } from "../../src/cli/baseline.js";
import { tcoDefaults } from "../../src/cost/defaults.js";
import { formatJsonl } from "../../src/data/io.js";
import {
  type BaselineReport,
  computeCostPer1kRequests,
  defaultMachineUsdPerHour,
} from "../../src/eval/baseline.js";
import { saveNativeModel } from "../../src/models/native/model-directory.js";
import { generateSupportData, supportTemplate } from "../../src/spec/catalog/support.js";
import { trainClassifier } from "../../src/train/train-classifier.js";
import { runCommand } from "../helpers/cli.js";
import { answerBy, type FakeOpenAiServer, startFakeOpenAi } from "../helpers/fake-openai.js";

let dir: string;
let server: FakeOpenAiServer;
/** The native model's weights and biases, counted from the trained model itself. */
let nativeParameters: number;
const test_ = generateSupportData({ seed: 5, perLabel: 6 });
const goldByText = new Map(test_.map((example) => [example.text, example.label]));

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "slmkit-baseline-"));
  // An endpoint that knows the answers: the row must show it as perfect and priced.
  server = await startFakeOpenAi(answerBy((user) => goldByText.get(user) ?? "order_status"));
  const trained = await trainClassifier(generateSupportData({ seed: 4, perLabel: 30 }), { seed: 4 });
  await saveNativeModel(trained.model, join(dir, "model"), trained.record);
  nativeParameters = trained.model.weights.weights.length + trained.model.weights.bias.length;
  await writeFile(join(dir, "test.jsonl"), formatJsonl(test_));
  const labels = (supportTemplate.spec.labels ?? []).map((label) => `  - name: ${label.name}`).join("\n");
  await writeFile(
    join(dir, "usecase.yaml"),
    `version: 1
id: support
title: Support tickets
task: classify
labels:
${labels}
data:
  train: train.jsonl
  test: test.jsonl
model: model
llm:
  baseUrl: ${server.baseUrl}
  model: gpt-test
  apiKeyEnv: SLMKIT_TEST_KEY
  pricePer1kInputUsd: 0.15
  pricePer1kOutputUsd: 0.6
  license: OpenAI services agreement
`,
  );
});
after(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

test("baseline measures the native model and the endpoint on one test set, with cost per 1K requests", async () => {
  const jsonPath = join(dir, "baseline.json");
  const htmlPath = join(dir, "baseline.html");
  const { stdout: output } = await runCommand(registerBaselineCommand, [
    "baseline",
    "--usecase",
    join(dir, "usecase.yaml"),
    "--models",
    `openai:other-model@${server.baseUrl}`,
    "--latency-samples",
    "5",
    "--json",
    jsonPath,
    "--html",
    htmlPath,
  ]);
  const report = JSON.parse(await readFile(jsonPath, "utf8")) as BaselineReport;
  assert.equal(report.rows.length, 3);
  const [native, llm, other] = report.rows;
  assert.equal(native?.source, "usecase model");
  // A local model costs its machine's time: the assumed $0.10/h over its measured throughput, not $0.
  assert.deepEqual(
    { value: report.machineUsdPerHour.value, source: report.machineUsdPerHour.source },
    { value: 0.1, source: "assumed" },
  );
  assert.equal(native?.costBasis, "compute");
  assert.ok((native?.throughputPerSec ?? 0) > 0);
  assert.equal(native?.costPer1kRequestsUsd, computeCostPer1kRequests(0.1, native?.throughputPerSec ?? 0));
  assert.ok((native?.costPer1kRequestsUsd ?? 0) > 0);
  // What a base-model choice weighs: parameters, size on disk, memory, context, licence.
  assert.equal(native?.parameters, nativeParameters);
  assert.ok((native?.fileBytes ?? 0) > 0);
  assert.ok((native?.memoryBytes ?? 0) >= nativeParameters * 4, "the weights are float32 in memory");
  assert.equal(native?.contextLength, null, "a bag of n-grams has no context limit");
  assert.equal(native?.license, "own");
  assert.ok((native?.accuracy ?? 0) > 0.6, `native accuracy ${native?.accuracy}`);
  assert.equal(llm?.reference, `openai:gpt-test@${server.baseUrl}`);
  assert.equal(llm?.accuracy, 1);
  assert.ok((llm?.costPer1kRequestsUsd ?? 0) > 0, "priced from the use case");
  assert.ok((llm?.tokensPerRequest?.input ?? 0) > 0);
  assert.ok(llm?.latencyMs !== undefined && llm.latencyMs.p95 >= llm.latencyMs.p50);
  assert.equal(other?.costPer1kRequestsUsd, null, "another endpoint model has no known price");
  assert.equal(llm?.costBasis, "tokens");
  assert.equal(llm?.license, "OpenAI services agreement", "configured in the use case's llm section");
  assert.equal(other?.license, "unknown", "the use case's licence belongs to its own LLM");
  for (const endpoint of [llm, other]) {
    assert.equal(endpoint?.parameters, null);
    assert.equal(endpoint?.fileBytes, null);
    assert.equal(endpoint?.memoryBytes, null);
  }
  for (const row of report.rows) assert.equal(row.error, undefined);
  assert.match(output, /gpt-test/);
  assert.match(output, /\$\/1K req/);
  assert.match(output, /params +size +memory +context +licence/);
  assert.match(output, /OpenAI services agreement/);
  assert.match(output, /at \$0\.10\/h of machine time \(assumed/);
  const html = await readFile(htmlPath, "utf8");
  assert.match(html, /<table>/);
  assert.match(html, /other-model/);
});

test("a model that cannot be loaded gets an error row and the others still run", async () => {
  const jsonPath = join(dir, "broken.json");
  const { exitCode: failedExitCode } = await runCommand(registerBaselineCommand, [
    "baseline",
    "--test",
    join(dir, "test.jsonl"),
    "--models",
    `${join(dir, "model")},${join(dir, "no-such-model")}`,
    "--latency-samples",
    "5",
    "--machine-usd-per-hour",
    "0.5",
    "--json",
    jsonPath,
  ]);
  const report = JSON.parse(await readFile(jsonPath, "utf8")) as BaselineReport;
  assert.equal(report.rows.length, 2);
  assert.ok((report.rows[0]?.accuracy ?? 0) > 0);
  assert.deepEqual(
    { value: report.machineUsdPerHour.value, source: report.machineUsdPerHour.source },
    { value: 0.5, source: "configured" },
  );
  assert.equal(
    report.rows[0]?.costPer1kRequestsUsd,
    computeCostPer1kRequests(0.5, report.rows[0]?.throughputPerSec ?? 0),
  );
  assert.match(report.rows[1]?.error ?? "", /no-such-model|not found|no model/i);
  assert.equal(failedExitCode, 1);
});

test("an openai: reference without labels says to pass --usecase or --labels", async () => {
  const jsonPath = join(dir, "unlabelled.json");
  await runCommand(registerBaselineCommand, [
    "baseline",
    "--test",
    join(dir, "test.jsonl"),
    "--models",
    `openai:gpt-test@${server.baseUrl}`,
    "--json",
    jsonPath,
  ]);
  const report = JSON.parse(await readFile(jsonPath, "utf8")) as BaselineReport;
  assert.match(report.rows[0]?.error ?? "", /--usecase.*--labels/);
});

test("the machine price baseline assumes is the one the cost of ownership assumes", () => {
  assert.equal(defaultMachineUsdPerHour, tcoDefaults.machineUsdPerHour.value);
  // $0.10/h over 1,000 texts/s: 0.1 / 3600 / 1000 × 1000 dollars per 1K requests.
  assert.equal(computeCostPer1kRequests(0.1, 1000), 0.000027778);
  assert.equal(computeCostPer1kRequests(0.1, 0), null);
});
