// `slmkit quantize <dir>`: a trained model's weights stored as int8, the accuracy change measured on validation
// data, the threshold chosen again on it; the original left alone with --out, replaced without.

import assert from "node:assert/strict";
import { stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { registerQuantizeCommand } from "../../src/cli/quantize.js";
import { formatJsonl } from "../../src/data/io.js";
import { SlmkitError } from "../../src/errors.js";
import { loadNativeModel, readManifest, saveNativeModel } from "../../src/models/native/model-directory.js";
import { generateSupportData } from "../../src/spec/catalog/support.js";
import { trainClassifier } from "../../src/train/train-classifier.js";
import { runCli, runCommand, temporaryDirectory } from "../helpers/cli.js";

const dir = temporaryDirectory("slmkit-quantize-");
const modelDir = join(dir, "model");
const validFile = join(dir, "valid.jsonl");
const valid = generateSupportData({ seed: 2, perLabel: 12 });

before(async () => {
  const train = generateSupportData({ seed: 1, perLabel: 30 });
  const trained = await trainClassifier(train, { valid, seed: 1 });
  await saveNativeModel(trained.model, modelDir, trained.record);
  await writeFile(validFile, formatJsonl(valid));
});

describe("slmkit quantize", () => {
  test("--out writes an int8 model, its weights a fraction of the float32 ones, predicting as they did", async () => {
    const out = join(dir, "int8");
    const result = await runCommand(registerQuantizeCommand, [
      "quantize",
      modelDir,
      "--valid",
      validFile,
      "--out",
      out,
    ]);
    assert.match(result.stdout, new RegExp(`^int8 model written to ${out.replaceAll("/", "\\/")}\\n`));
    assert.match(result.stdout, /validation accuracy 0\.\d{4} → 0\.\d{4} \([+-]\d+\.\d{2} points\)/);

    const manifest = await readManifest(out);
    assert.equal(manifest.precision, "int8");
    assert.equal((await readManifest(modelDir)).precision, "float32", "the original is left alone");
    const size = async (folder: string) => (await stat(join(folder, "weights.bin"))).size;
    // A byte per weight instead of four; the vocabulary and per-class scales stay, so on this small model
    // (15 labels, a few thousand features) the file is about 2.5x smaller, on banking77 about 3.5x.
    assert.ok((await size(out)) * 2 < (await size(modelDir)), "int8 weights are less than half the size");

    const original = await loadNativeModel(modelDir);
    const quantized = await loadNativeModel(out);
    const texts = valid.map((example) => example.text);
    const before = original.predictSync(texts);
    const after = quantized.predictSync(texts);
    const same = after.filter((prediction, index) => prediction.label === before[index]?.label).length;
    assert.ok(same / texts.length >= 0.97, `${same} of ${texts.length} labels unchanged`);
    // The threshold is chosen again on the int8 model's own validation confidences.
    assert.equal(
      manifest.calibration.targetAccuracy,
      (await readManifest(modelDir)).calibration.targetAccuracy,
    );
    assert.equal(quantized.threshold, manifest.calibration.threshold);
  });

  test("without --out the model directory is replaced, and quantizing it again is refused", async () => {
    const inPlace = join(dir, "in-place");
    const trained = await trainClassifier(generateSupportData({ seed: 1, perLabel: 30 }), { valid, seed: 1 });
    await saveNativeModel(trained.model, inPlace, trained.record);
    await runCommand(registerQuantizeCommand, ["quantize", inPlace, "--valid", validFile]);
    assert.equal((await readManifest(inPlace)).precision, "int8");
    await assert.rejects(
      runCommand(registerQuantizeCommand, ["quantize", inPlace, "--valid", validFile]),
      (error: unknown) => SlmkitError.isInstance(error) && /is already int8/.test(error.message),
    );
  });

  test("validation data with no label the model knows is an error naming the file", async () => {
    const strange = join(dir, "strange.jsonl");
    await writeFile(strange, formatJsonl([{ text: "what is the meaning of life", label: "philosophy" }]));
    await assert.rejects(
      runCommand(registerQuantizeCommand, [
        "quantize",
        modelDir,
        "--valid",
        strange,
        "--out",
        join(dir, "x"),
      ]),
      (error: unknown) =>
        SlmkitError.isInstance(error) &&
        error.code === "EMPTY_DATA" &&
        /no validation example/.test(error.message),
    );
  });

  test("as a user runs it: `--valid` is required, and commander says so", async () => {
    const result = await runCli(["quantize", modelDir]);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /required option '--valid <file>' not specified/);
  });
});
