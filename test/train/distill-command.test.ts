import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { saveNativeModel } from "../../src/models/native/model-directory.js";
import { generateSupportData } from "../../src/spec/catalog/support.js";
import { trainClassifier } from "../../src/train/train-classifier.js";
import { runCli, temporaryDirectory } from "../helpers/cli.js";

const dir = temporaryDirectory("slmkit-distill-cli-");

before(async () => {
  const teacher = await trainClassifier(generateSupportData({ seed: 1, perLabel: 30 }), { seed: 1 });
  await saveNativeModel(teacher.model, join(dir, "teacher"), teacher.record);
  const lines = (examples: Array<{ text: string; label?: string }>) =>
    `${examples.map((example) => JSON.stringify(example)).join("\n")}\n`;
  await writeFile(
    join(dir, "unlabelled.jsonl"),
    lines(generateSupportData({ seed: 2, perLabel: 25 }).map((example) => ({ text: example.text }))),
  );
  await writeFile(join(dir, "test.jsonl"), lines(generateSupportData({ seed: 3, perLabel: 8 })));
});

describe("slmkit distill", () => {
  test("passes the distillation temperature, hard-label weight, augmentation and student schedule through", async () => {
    const run = await runCli(
      [
        "distill",
        "--teacher",
        "teacher",
        "--unlabeled",
        "unlabelled.jsonl",
        "--test",
        "test.jsonl",
        "--out",
        "out",
        "--distillation-temperature",
        "2",
        "--hard-label-weight",
        "0.2",
        "--augment",
        "1",
        "--epochs",
        "6",
        "--learning-rate",
        "1",
      ],
      { cwd: dir },
    );
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const report = JSON.parse(await readFile(join(dir, "out", "report.json"), "utf8"));
    assert.equal(report.distillationTemperature, 2);
    assert.equal(report.hardLabelWeight, 0.2);
    assert.equal(report.augment, 1);
    assert.ok(report.augmentedTexts > 0);
    assert.ok(report.augmentTeacherCalls >= report.augmentedTexts);
    assert.match(run.stdout, /perturbed copies/);
    assert.match(run.stdout, /soft labels at temperature 2/);
    const manifest = JSON.parse(await readFile(join(dir, "out", "model", "manifest.json"), "utf8"));
    assert.equal(manifest.hyperparameters.epochs, 6);
    assert.equal(manifest.hyperparameters.learningRate, 1);
    assert.equal(manifest.hyperparameters.distillationTemperature, 2);
  });

  test("a hard-label weight outside [0, 1] fails with a message that names it", async () => {
    const run = await runCli(
      [
        "distill",
        "--teacher",
        "teacher",
        "--unlabeled",
        "unlabelled.jsonl",
        "--out",
        "bad",
        "--hard-label-weight",
        "2",
      ],
      { cwd: dir },
    );
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /hardLabelWeight must be <= 1/);
  });
});
