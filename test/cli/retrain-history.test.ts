// `slmkit retrain --history`: every model version, which one is served, and every promotion and rollback, as
// printed and as JSON, through a retrain that promotes and a rollback.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { registerRetrainCommand } from "../../src/cli/retrain.js";
import { formatJsonl } from "../../src/data/io.js";
import { saveNativeModel } from "../../src/models/native/model-directory.js";
import { hashInput } from "../../src/route/router.js";
import { generateSupportData } from "../../src/spec/catalog/support.js";
import { createSqliteStore } from "../../src/store/sqlite-store.js";
import { trainClassifier } from "../../src/train/train-classifier.js";
import { runCommand, temporaryDirectory } from "../helpers/cli.js";

const dir = temporaryDirectory("slmkit-retrain-history-");
const usecasePath = join(dir, "usecase.yaml");
const modelDir = join(dir, "model");
const storePath = join(dir, "gateway.db");

before(async () => {
  const train = generateSupportData({ seed: 1, perLabel: 25 });
  const valid = generateSupportData({ seed: 2, perLabel: 10 });
  const labels = [...new Set(train.map((example) => example.label))].sort();
  await writeFile(join(dir, "train.jsonl"), formatJsonl(train));
  await writeFile(join(dir, "valid.jsonl"), formatJsonl(valid));
  await writeFile(join(dir, "test.jsonl"), formatJsonl(generateSupportData({ seed: 3, perLabel: 10 })));
  await writeFile(
    usecasePath,
    `version: 1
id: support
title: Support
task: classify
labels:
${labels.map((label) => `  - name: ${label}`).join("\n")}
data: { train: train.jsonl, valid: valid.jsonl, test: test.jsonl }
model: model
routing: { targetAccuracy: 0.9 }
`,
  );
  const trained = await trainClassifier(train, { valid, seed: 1, targetAccuracy: 0.9 });
  await saveNativeModel(trained.model, modelDir, trained.record);
  // Users confirmed the served label of 300 fresh requests: what a retrain learns from.
  const store = createSqliteStore({ path: storePath, flushIntervalMs: 1 });
  await store.migrate();
  let time = 1_000;
  for (const example of generateSupportData({ seed: 11, perLabel: 20 })) {
    const id = randomUUID();
    store.logRequest({
      id,
      useCaseId: "support",
      apiKeyId: null,
      createdAt: time++,
      inputHash: hashInput(example.text),
      inputText: example.text,
      answeredBy: "slm",
      reason: "test",
      label: example.label,
      confidence: 0.9,
      threshold: 0.5,
      slmLabel: example.label,
      slmConfidence: 0.9,
      llmLabel: null,
      latencyMs: 1,
      inputTokens: 0,
      outputTokens: 0,
      costUsd: 0,
      modelVersion: "v1",
    });
    await store.flush();
    await store.addFeedback({ requestId: id, correct: example.label, source: "user", createdAt: time++ });
  }
  await store.close();
});

const history = async () =>
  (await runCommand(registerRetrainCommand, ["retrain", "--usecase", usecasePath, "--history"])).stdout;

describe("slmkit retrain --history", () => {
  test("before any retrain: the baseline, served, and its registration", async () => {
    const printed = await history();
    assert.match(
      printed,
      new RegExp(`^versions of ${modelDir.replaceAll("/", "\\/")} \\(\\* = served\\):\\n`),
    );
    assert.match(printed, /^\* v0001 {2}champion {2}baseline /m);
    assert.match(printed, /^events:\n {2}\S+ {2}register v0001$/m);
  });

  test("after a promotion and a rollback: every version with its gate figures, and every event in order", async () => {
    const retrain = await runCommand(registerRetrainCommand, [
      "retrain",
      "--usecase",
      usecasePath,
      "--store",
      `sqlite:${storePath}`,
      "--tolerance",
      "0.02",
      "--seed",
      "1",
    ]);
    assert.equal(retrain.exitCode, undefined, `${retrain.stdout}${retrain.stderr}`);
    const promoted = await history();
    assert.match(promoted, /^ {2}v0001 {2}retired {3}baseline /m);
    assert.match(
      promoted,
      /^\* v0002 {2}champion {2}retrain {2}\S+ {2}accuracy [01]\.\d{4} \(champion [01]\.\d{4}\), coverage [01]\.\d{4} \(champion [01]\.\d{4}\)$/m,
    );
    await runCommand(registerRetrainCommand, ["retrain", "--usecase", usecasePath, "--rollback", "v0001"]);
    const rolledBack = await history();
    assert.match(rolledBack, /^\* v0001 {2}champion/m);
    assert.match(rolledBack, /^ {2}v0002 {2}retired/m);
    const events = rolledBack
      .slice(rolledBack.indexOf("events:\n") + "events:\n".length)
      .trim()
      .split("\n")
      .map((line) => line.trim().split(/\s+/).slice(1).join(" "));
    assert.deepEqual(events, ["register v0001", "promote v0002 (was v0001)", "rollback v0001 (was v0002)"]);

    const json = await runCommand(registerRetrainCommand, [
      "retrain",
      "--usecase",
      usecasePath,
      "--history",
      "--json",
      "-",
    ]);
    const listed = JSON.parse(json.stdout.slice(json.stdout.indexOf("{"))) as {
      versions: { id: string; status: string }[];
      events: { action: string }[];
    };
    assert.deepEqual(
      listed.versions.map((version) => [version.id, version.status]),
      [
        ["v0001", "champion"],
        ["v0002", "retired"],
      ],
    );
    assert.deepEqual(
      listed.events.map((event) => event.action),
      ["register", "promote", "rollback"],
    );
  });
});
