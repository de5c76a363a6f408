import assert from "node:assert/strict";
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { SlmkitError } from "../../src/errors.js";
import { loadModel } from "../../src/models/load.js";
import { loadNativeModel, readManifest, saveNativeModel } from "../../src/models/native/model-directory.js";
import { quantizeClassifier } from "../../src/models/native/quantize.js";
import { trainClassifier } from "../../src/train/train-classifier.js";
import { syntheticExamples } from "../helpers/synthetic.js";

const train = syntheticExamples(60, 1);
const valid = syntheticExamples(20, 2);
const test_ = syntheticExamples(30, 3);
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "slmkit-native-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function accuracy(labels: string[], gold: { label: string }[]): number {
  return labels.filter((label, index) => label === gold[index]?.label).length / gold.length;
}

describe("native classifier", () => {
  test("learns the generated task well above chance", async () => {
    const { model } = await trainClassifier(train, { valid, seed: 7 });
    const predicted = model
      .predictSync(test_.map((example) => example.text))
      .map((prediction) => prediction.label);
    assert.ok(accuracy(predicted, test_) > 0.85, `accuracy ${accuracy(predicted, test_)}`);
  });

  test("the same seed and data give a byte-identical weights file; another seed does not", async () => {
    const paths = ["a", "b", "c"].map((name) => join(dir, `determinism-${name}`));
    for (const [index, path] of paths.entries()) {
      const trained = await trainClassifier(train, { valid, seed: index < 2 ? 11 : 12 });
      await saveNativeModel(trained.model, path, trained.record);
    }
    const [a, b, c] = await Promise.all(paths.map((path) => readFile(join(path, "weights.bin"))));
    assert.ok(a?.equals(b as Buffer), "same seed must give identical bytes");
    assert.ok(!a?.equals(c as Buffer), "a different seed must change the weights");
  });

  test("two SGD threads (Hogwild) train a model as accurate as one thread", async () => {
    const single = await trainClassifier(train, { valid, seed: 7 });
    const parallel = await trainClassifier(train, { valid, seed: 7, threads: 2 });
    const texts = test_.map((example) => example.text);
    const singleAccuracy = accuracy(
      single.model.predictSync(texts).map((prediction) => prediction.label),
      test_,
    );
    const parallelAccuracy = accuracy(
      parallel.model.predictSync(texts).map((prediction) => prediction.label),
      test_,
    );
    assert.ok(parallelAccuracy >= singleAccuracy - 0.03, `${parallelAccuracy} vs ${singleAccuracy}`);
    assert.equal(parallel.record.hyperparameters.threads, 2);
  });

  test("a saved model loads back and predicts exactly as before", async () => {
    const trained = await trainClassifier(train, { valid, seed: 3 });
    const path = join(dir, "roundtrip");
    const manifest = await saveNativeModel(trained.model, path, trained.record);
    assert.equal(manifest.formatVersion, 1);
    assert.deepEqual(manifest.labels, ["account", "billing", "product", "shipping"]);
    assert.ok(manifest.files["weights.bin"]?.match(/^[0-9a-f]{64}$/));
    assert.deepEqual((await readdir(path)).sort(), ["manifest.json", "model-card.md", "weights.bin"]);
    const loaded = await loadModel(path);
    const texts = test_.map((example) => example.text);
    assert.deepEqual(await loaded.predict(texts), trained.model.predictSync(texts));
    assert.equal(loaded.threshold, trained.model.threshold);
    assert.ok((loaded.info.modelBytes ?? 0) > 0);
  });

  test("temperature scaling lowers validation loss compared with the raw softmax", async () => {
    const trained = await trainClassifier(train, { valid, seed: 5 });
    const raw = await trainClassifier(train, { valid, seed: 5 });
    // Same weights (deterministic); compare the fitted temperature's NLL against T = 1 through the model API.
    const nll = (temperature: number) => {
      const model = raw.model.parts();
      const probabilities = new Float64Array(model.labels.length);
      let loss = 0;
      for (const example of valid) {
        raw.model.logitsInto(example.text, probabilities);
        let maximum = Number.NEGATIVE_INFINITY;
        for (const value of probabilities) maximum = Math.max(maximum, value / temperature);
        let sum = 0;
        for (const value of probabilities) sum += Math.exp(value / temperature - maximum);
        const target = model.labels.indexOf(example.label);
        loss += Math.log(sum) - ((probabilities[target] as number) / temperature - maximum);
      }
      return loss / valid.length;
    };
    assert.ok(nll(trained.model.temperature) <= nll(1) + 1e-9);
    assert.notEqual(trained.model.temperature, 1);
  });

  test("int8 quantization stores one byte per weight plus a scale per feature, and keeps predictions", async () => {
    const trained = await trainClassifier(train, { valid, seed: 3 });
    const quantized = quantizeClassifier(trained.model);
    const floatPath = join(dir, "float");
    const int8Path = join(dir, "int8");
    await saveNativeModel(trained.model, floatPath, trained.record);
    await saveNativeModel(quantized, int8Path, trained.record, "int8");
    const floatBytes = (await readFile(join(floatPath, "weights.bin"))).length;
    const int8Bytes = (await readFile(join(int8Path, "weights.bin"))).length;
    const { featureCount, classCount } = trained.model.weights;
    // float32: 4 bytes a weight; int8: 1 byte a weight plus a 4-byte scale a feature row.
    assert.equal(floatBytes - int8Bytes, featureCount * classCount * 3 - featureCount * 4);
    const texts = test_.map((example) => example.text);
    const before = trained.model.predictSync(texts).map((prediction) => prediction.label);
    const loaded = await loadNativeModel(int8Path);
    const after = loaded.predictSync(texts).map((prediction) => prediction.label);
    assert.ok(Math.abs(accuracy(before, test_) - accuracy(after, test_)) <= 0.02);
    assert.equal((await readManifest(int8Path)).precision, "int8");
  });

  test("sentence vectors put same-label texts closer than different-label texts", async () => {
    const { model } = await trainClassifier(train, { valid, seed: 3 });
    const [billingA, billingB, shipping] = model.embed([
      "please refund the invoice",
      "i was charged twice on my bill",
      "where is the courier with my parcel",
    ]) as [Float32Array, Float32Array, Float32Array];
    const cosine = (a: Float32Array, b: Float32Array) =>
      a.reduce((sum, value, index) => sum + value * (b[index] as number), 0);
    assert.ok(Math.abs(cosine(billingA, billingA) - 1) < 1e-5);
    assert.ok(cosine(billingA, billingB) > cosine(billingA, shipping));
  });
});

describe("native classifier: bad input", () => {
  test("one-class data is refused", async () => {
    await assert.rejects(
      trainClassifier(train.filter((example) => example.label === "billing")),
      (error: unknown) => SlmkitError.isInstance(error) && error.code === "ONE_CLASS",
    );
  });

  test("a NaN or negative hyperparameter names the option", async () => {
    await assert.rejects(
      trainClassifier(train, { hyperparameters: { learningRate: Number.NaN } }),
      (error: unknown) =>
        SlmkitError.isInstance(error) && error.field === "learningRate" && /finite/.test(error.message),
    );
    await assert.rejects(
      trainClassifier(train, { hyperparameters: { epochs: -3 } }),
      (error: unknown) => SlmkitError.isInstance(error) && error.field === "epochs",
    );
  });

  test("a truncated weights file is refused with a clear error", async () => {
    const trained = await trainClassifier(train, { valid, seed: 3 });
    const path = join(dir, "truncated");
    await saveNativeModel(trained.model, path, trained.record);
    const weights = await readFile(join(path, "weights.bin"));
    await writeFile(join(path, "weights.bin"), weights.subarray(0, weights.length - 100));
    await assert.rejects(loadNativeModel(path), (error: unknown) => {
      assert.ok(SlmkitError.isInstance(error));
      assert.equal(error.code, "MODEL_CORRUPT");
      assert.match(error.message, /weights\.bin.*checksum/);
      return true;
    });
  });

  test("a foreign weights file whose checksum was forged is still refused", async () => {
    const trained = await trainClassifier(train, { valid, seed: 3 });
    const path = join(dir, "foreign");
    await saveNativeModel(trained.model, path, trained.record);
    const foreign = Buffer.from("GGUF this is not an slmkit model at all, but some other file.....");
    await writeFile(join(path, "weights.bin"), foreign);
    const manifest = JSON.parse(await readFile(join(path, "manifest.json"), "utf8"));
    const { createHash } = await import("node:crypto");
    manifest.files["weights.bin"] = createHash("sha256").update(foreign).digest("hex");
    await writeFile(join(path, "manifest.json"), JSON.stringify(manifest));
    await assert.rejects(
      loadNativeModel(path),
      (error: unknown) =>
        SlmkitError.isInstance(error) && error.code === "MODEL_CORRUPT" && /signature/.test(error.message),
    );
  });

  test("a model directory from a newer format version asks to upgrade", async () => {
    const trained = await trainClassifier(train, { valid, seed: 3 });
    const path = join(dir, "newer");
    await saveNativeModel(trained.model, path, trained.record);
    const manifest = JSON.parse(await readFile(join(path, "manifest.json"), "utf8"));
    manifest.formatVersion = 99;
    await writeFile(join(path, "manifest.json"), JSON.stringify(manifest));
    await assert.rejects(
      loadNativeModel(path),
      (error: unknown) =>
        SlmkitError.isInstance(error) && error.code === "MODEL_VERSION" && /upgrade/i.test(error.message),
    );
  });

  test("a missing model directory says how to make one", async () => {
    await assert.rejects(
      loadModel(join(dir, "nothing-here")),
      (error: unknown) =>
        SlmkitError.isInstance(error) &&
        error.code === "MODEL_NOT_FOUND" &&
        /slmkit train/.test(error.message),
    );
  });

  test("an output path that cannot be written fails cleanly and leaves nothing behind", async () => {
    const trained = await trainClassifier(train, { valid, seed: 3 });
    const blocker = join(dir, "a-file");
    await writeFile(blocker, "not a folder");
    await assert.rejects(
      saveNativeModel(trained.model, join(blocker, "model"), trained.record),
      (error: unknown) => SlmkitError.isInstance(error) && error.code === "IO_ERROR",
    );
    const readOnly = join(dir, "read-only");
    await (await import("node:fs/promises")).mkdir(readOnly);
    await chmod(readOnly, 0o500);
    try {
      if (process.getuid?.() !== 0) {
        await assert.rejects(saveNativeModel(trained.model, join(readOnly, "model"), trained.record));
        assert.deepEqual(await readdir(readOnly), []);
      }
    } finally {
      await chmod(readOnly, 0o700);
    }
  });
});
