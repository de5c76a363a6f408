import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { z } from "zod";
import { SlmkitError } from "../../../src/errors.js";
import { type GgufTaskModel, loadGgufModel } from "../../../src/models/gguf/index.js";
import { writeTinyGguf } from "../../helpers/tiny-gguf.js";

const labels = [
  { name: "billing", description: "invoices, charges and refunds" },
  { name: "shipping", description: "parcels and delivery" },
  { name: "account" },
];
const examples = [
  { text: "I was charged twice", label: "billing" },
  { text: "Where is my parcel?", label: "shipping" },
];
const texts = ["My invoice is wrong", "The package never arrived", "Réinitialiser mon mot de passe ☕", ""];

let dir: string;
let modelPath: string;
let model: GgufTaskModel;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "slmkit-gguf-"));
  modelPath = join(dir, "tiny.gguf");
  await writeTinyGguf(modelPath, { seed: 11, contextLength: 1024 });
  // Loaded once for the whole file: node-llama-cpp's first load costs seconds, later calls milliseconds.
  model = await loadGgufModel(modelPath, { labels, examples, threads: 1 });
});

after(async () => {
  await model?.dispose();
  await rm(dir, { recursive: true, force: true });
});

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

describe("GGUF model (tiny generated llama file, real node-llama-cpp)", () => {
  test("classifies into the label set with probabilities that sum to 1", async () => {
    const predictions = await model.classify(texts);
    assert.equal(predictions.length, texts.length);
    for (const prediction of predictions) {
      assert.ok(model.labels.includes(prediction.label));
      assert.equal(prediction.probabilities.length, labels.length);
      assert.ok(Math.abs(sum(prediction.probabilities) - 1) <= 1e-6);
      assert.ok(prediction.scores.every(Number.isFinite));
      assert.equal(prediction.confidence, Math.max(...prediction.probabilities));
    }
  });

  test("gives the same result for the same inputs, whatever was classified before", async () => {
    const together = await model.classify(texts);
    const alone = [];
    for (const text of [...texts].reverse()) alone.unshift(...(await model.classify([text])));
    assert.deepEqual(alone, together);
    const plain = await model.predict(texts);
    assert.deepEqual(
      plain,
      together.map(({ label, confidence, accepted }) => ({ label, confidence, accepted })),
    );
  });

  test("accepts nothing until calibrated, then applies the calibrated threshold", async () => {
    const uncalibrated = await model.predict(texts);
    assert.equal(model.threshold, 1);
    assert.ok(uncalibrated.every((prediction) => !prediction.accepted || prediction.confidence >= 1));

    const valid = [
      ...examples,
      { text: "refund please", label: "billing" },
      { text: "log in fails", label: "account" },
      { text: "unknown topic", label: "not-a-label" },
    ];
    const result = await model.calibrate(valid, 0.9);
    assert.equal(result.outOfScope, 1);
    assert.ok(result.temperature > 0 && Number.isFinite(result.temperature));
    assert.equal(model.temperature, result.temperature);
    assert.equal(model.threshold, result.threshold);
    assert.equal(model.info.targetAccuracy, 0.9);
    for (const prediction of await model.predict(texts)) {
      assert.equal(prediction.accepted, prediction.confidence >= model.threshold);
    }
  });

  test("extraction output always validates against the schema, or is a clear unsure", async () => {
    const fields = [
      { name: "order", type: "integer" as const, required: true },
      { name: "amount", type: "money" as const },
      { name: "weight", type: "number" as const },
    ];
    const independent = z.strictObject({
      order: z.number().int(),
      amount: z.string().nullable(),
      weight: z.number().nullable(),
    });
    const results = await model.extract(["Order 12 of 3 boxes, 4.5 kg, $30", "nothing here"], fields);
    assert.equal(results.length, 2);
    for (const result of results) {
      if (result.status === "ok") assert.ok(independent.safeParse(result.value).success);
      else assert.ok(result.reason.length > 0 && result.attempts === 3);
    }
  });

  test("an output the grammar cannot finish is unsure after the bounded retries, not a crash", async () => {
    const [result] = await model.extract(["Order 12"], [{ name: "order", type: "integer", required: true }], {
      maxTokens: 2,
    });
    assert.equal(result?.status, "unsure");
    assert.equal(result?.attempts, 3);
    if (result?.status === "unsure")
      assert.match(result.reason, /cut at 2 tokens|not valid JSON|does not match/);
  });

  test("answers from the FAQ with bounded generation", async () => {
    const answer = await model.answer(
      "How do I pay?",
      [{ label: "pay", answer: "Pay by card or transfer." }],
      {
        maxTokens: 8,
      },
    );
    assert.equal(typeof answer.text, "string");
    assert.ok(answer.stopReason === "end" || answer.stopReason === "maxTokens");
  });

  test("reports load time, memory and tokens per second", () => {
    const info = model.info;
    assert.ok(info.loadSeconds > 0);
    assert.ok(info.memoryBytes >= 0);
    assert.ok(info.modelBytes !== undefined && info.modelBytes < 1_000_000);
    assert.ok(info.evaluatedTokens > 0);
    assert.ok(info.tokensPerSecond > 0);
    assert.equal(info.threads, 1);
    assert.equal(model.reference, `gguf:${modelPath}`);
  });

  test("a missing LoRA file is a clear error before anything loads", async () => {
    const missing = join(dir, "adapter-that-does-not-exist.gguf");
    await assert.rejects(loadGgufModel(modelPath, { labels, loraAdapters: [missing] }), (error: unknown) => {
      assert.ok(SlmkitError.isInstance(error));
      assert.equal(error.code, "MODEL_NOT_FOUND");
      assert.equal(error.field, "loraAdapters[0]");
      assert.match(error.message, /LoRA adapter file .*adapter-that-does-not-exist\.gguf does not exist/);
      return true;
    });
  });

  test("a missing model file is MODEL_NOT_FOUND", async () => {
    await assert.rejects(loadGgufModel(join(dir, "absent.gguf"), { labels }), (error: unknown) => {
      assert.ok(SlmkitError.isInstance(error));
      assert.equal(error.code, "MODEL_NOT_FOUND");
      assert.match(error.message, /absent\.gguf/);
      return true;
    });
  });

  test("a file that is not GGUF is MODEL_CORRUPT", async () => {
    const notGguf = join(dir, "not-a-model.gguf");
    await writeFile(notGguf, "hello");
    await assert.rejects(loadGgufModel(notGguf, { labels }), (error: unknown) => {
      assert.ok(SlmkitError.isInstance(error));
      assert.equal(error.code, "MODEL_CORRUPT");
      return true;
    });
  });

  test("fewer than two labels is an option error", async () => {
    await assert.rejects(loadGgufModel(modelPath, { labels: [{ name: "only" }] }), (error: unknown) => {
      assert.ok(SlmkitError.isInstance(error));
      assert.equal(error.code, "INVALID_OPTION");
      return true;
    });
  });

  test("a disposed model refuses work", async () => {
    const second = await loadGgufModel(modelPath, { labels });
    await second.dispose();
    await assert.rejects(second.predict(["x"]), /disposed/);
  });
});
