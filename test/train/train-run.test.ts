import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { writeJsonl } from "../../src/data/io.js";
import { loadModel } from "../../src/models/load.js";
import { generateSupportData } from "../../src/spec/catalog/support.js";
import { runTraining } from "../../src/train/train-run.js";
import { temporaryDirectory } from "../helpers/cli.js";

const dir = temporaryDirectory("slmkit-train-run-");

test("train with autotune writes a model whose manifest records the search, and it loads", async () => {
  const train = join(dir, "train.jsonl");
  const valid = join(dir, "valid.jsonl");
  await writeJsonl(train, generateSupportData({ seed: 1, perLabel: 20 }));
  await writeJsonl(valid, generateSupportData({ seed: 2, perLabel: 8 }));
  const out = join(dir, "model");
  const trials: number[] = [];
  const result = await runTraining({
    train,
    valid,
    out,
    seed: 7,
    autotuneSeconds: 1,
    onTrial: (trial) => trials.push(trial.index),
  });
  assert.ok(trials.length >= 1, "at least the default trial ran");
  const manifest = JSON.parse(await readFile(join(out, "manifest.json"), "utf8"));
  const autotune = manifest.hyperparameters.autotune;
  assert.equal(autotune.seconds, 1);
  assert.equal(autotune.trials, trials.length);
  assert.equal(
    autotune.chosen.epochs,
    manifest.hyperparameters.epochs,
    "chosen is the trained model's setting",
  );
  assert.equal(autotune.chosen.autotune, undefined, "chosen does not contain itself");
  assert.match(await readFile(join(out, "model-card.md"), "utf8"), /autotune/);
  const model = await loadModel(out);
  try {
    assert.equal(model.task, "classify");
    assert.deepEqual([...model.labels], [...result.manifest.labels]);
  } finally {
    await model.dispose();
  }
});
