import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { formatJsonl } from "../../src/data/io.js";
import { saveNativeModel } from "../../src/models/native/model-directory.js";
import { ModelRegistry, registryDirOf } from "../../src/models/registry.js";
import { hashInput } from "../../src/route/router.js";
import { generateSupportData } from "../../src/spec/catalog/support.js";
import { createSqliteStore } from "../../src/store/sqlite-store.js";
import type { Store } from "../../src/store/types.js";
import { normalizeText } from "../../src/text/normalize.js";
import { decideGate, retrainUseCase, rollbackUseCase } from "../../src/train/retrain.js";
import { trainClassifier } from "../../src/train/train-classifier.js";
import type { LabeledExample } from "../../src/types.js";

let dir: string;
let usecasePath: string;
let modelDir: string;
const train = generateSupportData({ seed: 1, perLabel: 25 });
const valid = generateSupportData({ seed: 2, perLabel: 10 });
const labels = [...new Set(train.map((example) => example.label))].sort();

async function storeWith(
  feedback: readonly { example: LabeledExample; served: string; source: "review" | "user" }[],
  llmAnswered: readonly LabeledExample[] = [],
  { sameMillisecond = false } = {},
): Promise<Store> {
  const store = createSqliteStore({ path: ":memory:", flushIntervalMs: 1 });
  await store.migrate();
  let time = 1_000;
  const log = (example: LabeledExample, answeredBy: "slm" | "llm", label: string) => {
    const id = randomUUID();
    store.logRequest({
      id,
      useCaseId: "support",
      apiKeyId: null,
      createdAt: sameMillisecond ? time : time++,
      inputHash: hashInput(example.text),
      inputText: example.text,
      answeredBy,
      reason: "test",
      label,
      confidence: 0.9,
      threshold: 0.5,
      slmLabel: label,
      slmConfidence: 0.9,
      llmLabel: answeredBy === "llm" ? label : null,
      latencyMs: 1,
      inputTokens: 0,
      outputTokens: 0,
      costUsd: 0,
      modelVersion: "v1",
    });
    return id;
  };
  for (const item of feedback) {
    const id = log(item.example, "slm", item.served);
    await store.addFeedback({
      requestId: id,
      correct: item.example.label,
      source: item.source,
      createdAt: time++,
    });
  }
  for (const example of llmAnswered) log(example, "llm", example.label);
  await store.flush();
  return store;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "slmkit-retrain-"));
  usecasePath = join(dir, "usecase.yaml");
  modelDir = join(dir, "model");
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
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("the gate", () => {
  const figures = { n: 100, accuracy: 0.9, coverage: 0.8, acceptedAccuracy: 0.97 };
  const base = { testFile: "t", testSha256: "x", targetAccuracy: 0.97, tolerance: 0 };

  test("passes a challenger that is as good on every figure", () => {
    const gate = decideGate({
      ...base,
      champion: { ...figures, version: "v0001" },
      challenger: { ...figures, version: "v0002" },
    });
    assert.equal(gate.passed, true);
    assert.equal(gate.checks.length, 3);
  });

  test("refuses a challenger with lower coverage, naming the figure", () => {
    const gate = decideGate({
      ...base,
      champion: { ...figures, version: "v0001" },
      challenger: { ...figures, coverage: 0.79, version: "v0002" },
    });
    assert.equal(gate.passed, false);
    assert.match(gate.checks.find((check) => check.startsWith("coverage")) ?? "", /FAILED/);
  });

  test("tolerance lets a slightly lower accuracy through", () => {
    const gate = decideGate({
      ...base,
      tolerance: 0.01,
      champion: { ...figures, version: "v0001" },
      challenger: { ...figures, accuracy: 0.895, version: "v0002" },
    });
    assert.equal(gate.passed, true);
  });

  test("accepted accuracy below the target fails unless the champion was below it too", () => {
    const low = { ...figures, acceptedAccuracy: 0.95 };
    const refused = decideGate({
      ...base,
      champion: { ...figures, version: "a" },
      challenger: { ...low, version: "b" },
    });
    assert.equal(refused.passed, false);
    const both = decideGate({
      ...base,
      champion: { ...figures, acceptedAccuracy: 0.94, version: "a" },
      challenger: { ...low, version: "b" },
    });
    assert.equal(both.passed, true);
  });
});

describe("retrain", () => {
  test("same data and seed give a byte-identical challenger (dry run leaves the served model alone)", async () => {
    const extra = generateSupportData({ seed: 7, perLabel: 4 });
    const store = await storeWith(
      extra.map((example) => ({ example, served: example.label, source: "review" as const })),
      generateSupportData({ seed: 8, perLabel: 3 }),
    );
    try {
      const servedBefore = await readFile(join(modelDir, "weights.bin"));
      const first = await retrainUseCase(usecasePath, { store, seed: 5, dryRun: true });
      const second = await retrainUseCase(usecasePath, { store, seed: 5, dryRun: true });
      assert.notEqual(first.version, second.version);
      const registry = await ModelRegistry.open(modelDir);
      const weightsOf = (version: string) => readFile(join(registry.pathOf(version), "weights.bin"));
      assert.deepEqual(await weightsOf(first.version), await weightsOf(second.version));
      assert.equal(first.dataset.sha256, second.dataset.sha256);
      const known = new Set([...train, ...valid].map((example) => normalizeText(example.text)));
      const fresh = new Set(
        extra.map((example) => normalizeText(example.text)).filter((text) => !known.has(text)),
      );
      assert.equal(first.dataset.bySource.review, fresh.size, "each new reviewed text once; gold texts win");
      assert.ok(first.dataset.bySource.teacher > 0);
      assert.deepEqual(
        await readFile(join(modelDir, "weights.bin")),
        servedBefore,
        "dry run: served model unchanged",
      );
      assert.equal(registry.current.id, "v0001");
      const lines = (await readFile(join(first.dataset.path, "train.jsonl"), "utf8")).trim().split("\n");
      const sources = new Set(lines.map((line) => (JSON.parse(line) as { source: string }).source));
      assert.ok(sources.has("gold") && sources.has("teacher"), "every example says where it came from");
    } finally {
      await store.close();
    }
  });

  test("the dataset and the challenger do not depend on the order the store returns rows in", async () => {
    // Rows of one millisecond come back in id order, and ids are random: the two stores order them differently.
    const answered = generateSupportData({ seed: 9, perLabel: 3 });
    const reviewed = generateSupportData({ seed: 10, perLabel: 2 }).map((example) => ({
      example,
      served: example.label,
      source: "review" as const,
    }));
    const stores = [
      await storeWith(reviewed, answered, { sameMillisecond: true }),
      await storeWith([...reviewed].reverse(), [...answered].reverse(), { sameMillisecond: true }),
    ];
    try {
      const [first, second] = [
        await retrainUseCase(usecasePath, { store: stores[0] as Store, seed: 5, dryRun: true }),
        await retrainUseCase(usecasePath, { store: stores[1] as Store, seed: 5, dryRun: true }),
      ];
      // The same examples in the same order; only their provenance (request ids) differs between the stores.
      const examplesOf = async (path: string) =>
        (await readFile(join(path, "train.jsonl"), "utf8"))
          .trim()
          .split("\n")
          .map((line) => {
            const { text, label, source } = JSON.parse(line) as {
              text: string;
              label: string;
              source: string;
            };
            return { text, label, source };
          });
      assert.deepEqual(await examplesOf(first.dataset.path), await examplesOf(second.dataset.path));
      const registry = await ModelRegistry.open(modelDir);
      const weightsOf = (version: string) => readFile(join(registry.pathOf(version), "weights.bin"));
      assert.deepEqual(await weightsOf(first.version), await weightsOf(second.version));
    } finally {
      for (const store of stores) await store.close();
    }
  });

  test("wrong human labels make a worse challenger: the gate refuses it and the served model stays", async () => {
    // A careless reviewer labels 600 tickets with the next label in the list: the challenger learns nonsense.
    const poisoned = generateSupportData({ seed: 9, perLabel: 40 }).map((example) => ({
      example: { ...example, label: labels[(labels.indexOf(example.label) + 1) % labels.length] as string },
      served: example.label,
      source: "review" as const,
    }));
    const store = await storeWith(poisoned);
    try {
      const servedBefore = await readFile(join(modelDir, "weights.bin"));
      const report = await retrainUseCase(usecasePath, { store, seed: 1 });
      assert.equal(report.gate.passed, false, report.gate.checks.join("; "));
      assert.equal(report.promoted, false);
      assert.match(report.reason ?? "", /FAILED/);
      assert.deepEqual(await readFile(join(modelDir, "weights.bin")), servedBefore);
      const registry = await ModelRegistry.open(modelDir);
      assert.equal(registry.version(report.version).status, "rejected");
      assert.equal(registry.events.at(-1)?.action, "reject");
    } finally {
      await store.close();
    }
  });

  test("a passing challenger is promoted into the model directory, and rollback serves the old one again", async () => {
    const store = await storeWith(
      generateSupportData({ seed: 11, perLabel: 20 }).map((example) => ({
        example,
        served: example.label,
        source: "user" as const,
      })),
    );
    try {
      const original = await readFile(join(registryDirOf(modelDir), "v0001", "weights.bin"));
      const report = await retrainUseCase(usecasePath, { store, seed: 1, tolerance: 0.02 });
      assert.equal(report.gate.passed, true, report.gate.checks.join("; "));
      assert.equal(report.promoted, true);
      const registry = await ModelRegistry.open(modelDir);
      assert.equal(registry.current.id, report.version);
      assert.deepEqual(
        await readFile(join(modelDir, "weights.bin")),
        await readFile(join(registry.pathOf(report.version), "weights.bin")),
      );
      assert.equal(registry.version("v0001").status, "retired");

      await rollbackUseCase(usecasePath, "v0001");
      assert.deepEqual(await readFile(join(modelDir, "weights.bin")), original);
      const after = await ModelRegistry.open(modelDir);
      assert.equal(after.current.id, "v0001");
      assert.deepEqual(after.events.at(-1), {
        ...after.events.at(-1),
        action: "rollback",
        version: "v0001",
        from: report.version,
      });
      await assert.rejects(rollbackUseCase(usecasePath, "v9999"), /no model version "v9999"/);
    } finally {
      await store.close();
    }
  });

  test("feedback with a label the use case does not list is skipped and counted", async () => {
    const example = { text: "do you sell gift wrapping for birthdays", label: "gift_wrap" };
    const store = await storeWith([{ example, served: "product_question", source: "review" }]);
    try {
      const report = await retrainUseCase(usecasePath, { store, seed: 1, dryRun: true });
      assert.equal(report.dataset.skipped["label not in usecase.yaml labels"], 1);
      assert.equal(report.dataset.bySource.review, 0);
    } finally {
      await store.close();
    }
  });

  test("a corrupt registry file is a clear error, not a silent reset", async () => {
    const other = await mkdtemp(join(tmpdir(), "slmkit-registry-"));
    try {
      const trained = await trainClassifier(train.slice(0, 200), { seed: 1 });
      await saveNativeModel(trained.model, join(other, "model"), trained.record);
      await ModelRegistry.open(join(other, "model"));
      await writeFile(join(registryDirOf(join(other, "model")), "registry.json"), "{ not json");
      await assert.rejects(ModelRegistry.open(join(other, "model")), /not a valid model registry/);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });
});
