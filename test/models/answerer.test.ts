import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { SlmkitError } from "../../src/errors.js";
import type { FaqAnswer, NativeAnswerer } from "../../src/models/native/answerer.js";
import { loadNativeAnswerer, saveNativeAnswerer } from "../../src/models/native/answerer-directory.js";
import { getTemplate } from "../../src/spec/catalog/index.js";
import { trainAnswerer } from "../../src/train/train-answerer.js";
import type { LabeledExample } from "../../src/types.js";

const template = getTemplate("retail-faq");
if (template.examples !== "labeled") throw new Error("retail-faq is a labelled template");
const faq = (template.files?.find((file) => file.role === "faq")?.content ?? "")
  .split("\n")
  .filter(Boolean)
  .map((line) => JSON.parse(line) as FaqAnswer);
const train = template.generate({ seed: 1, perLabel: 50 });
const valid = template.generate({ seed: 2, perLabel: 20 });

let root: string;
let model: NativeAnswerer;
let record: Awaited<ReturnType<typeof trainAnswerer>>["record"];
before(async () => {
  root = await mkdtemp(join(tmpdir(), "slmkit-answerer-"));
  ({ model, record } = await trainAnswerer(train, faq, { valid, seed: 3 }));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("NativeAnswerer", () => {
  test("answers a clear question with the FAQ answer and fills its slot from the question", () => {
    const [result] = model.answer(["Where is my order #A12345? I ordered last week"]);
    assert.ok(result);
    assert.equal(result.label, "order_tracking");
    assert.equal(result.accepted, true);
    assert.equal(result.bm25.label, "order_tracking");
    assert.match(result.answer ?? "", /track #A12345 under Orders/);
  });

  test("a missing slot value falls back to the FAQ's fallback text", () => {
    const [result] = model.answer(["how do I track my order?"]);
    assert.equal(result?.accepted, true);
    assert.match(result?.answer ?? "", /track your order under/);
  });

  test("escalates, with no answer, what it is not sure of", () => {
    const results = model.answer([
      "my cat knocked the router over and now the TV shows purple stripes",
      "qwerty asdf zxcv",
      "",
    ]);
    for (const result of results) {
      assert.equal(result.accepted, false, JSON.stringify(result));
      assert.equal(result.answer, null);
      assert.ok(result.reason !== undefined);
    }
  });

  test("refuses an answer when BM25 retrieval disagrees with a confident classifier", async () => {
    // Retrieval documents that all point to one intent make BM25 disagree on every other question.
    const { NativeAnswerer } = await import("../../src/models/native/answerer.js");
    const skewed = new NativeAnswerer({
      classifier: model.classifier.withThreshold(0),
      faq,
      documents: [{ label: "gift_cards", text: "how long does shipping take track my order return policy" }],
    });
    const [result] = skewed.answer(["how long does shipping take?"]);
    assert.equal(result?.label, "shipping_time");
    assert.equal(result?.bm25.label, "gift_cards");
    assert.equal(result?.accepted, false);
    assert.equal(result?.reason, "retrieval-disagrees");
    assert.equal(result?.answer, null);
  });

  test("predict() reports the whole answer gate as `accepted`", async () => {
    const texts = ["how long does shipping take?", "qwerty asdf zxcv"];
    const predictions = await model.predict(texts);
    assert.deepEqual(
      predictions.map((prediction) => prediction.accepted),
      model.answer(texts).map((result) => result.accepted),
    );
  });

  test("saves and loads a model directory that answers identically and lists faq.json with its sha256", async () => {
    const dir = join(root, "model");
    await saveNativeAnswerer(model, dir, record);
    const manifest = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8")) as {
      task: string;
      files: Record<string, string>;
    };
    assert.equal(manifest.task, "answer");
    assert.deepEqual(Object.keys(manifest.files).sort(), ["faq.json", "model-card.md", "weights.bin"]);
    const loaded = await loadNativeAnswerer(dir);
    const texts = valid.slice(0, 60).map((example) => example.text);
    assert.deepEqual(loaded.answer(texts), model.answer(texts));

    await writeFile(
      join(dir, "faq.json"),
      (await readFile(join(dir, "faq.json"), "utf8")).replace("30 days", "90 days"),
    );
    await assert.rejects(loadNativeAnswerer(dir), /checksum mismatch: faq\.json/);
  });

  test("training needs an answer for every intent and a slot pattern for every placeholder", async () => {
    const small: LabeledExample[] = train.slice(0, 200);
    await assert.rejects(
      trainAnswerer(
        small,
        faq.filter((entry) => entry.label !== "warranty"),
      ),
      (error: unknown) => SlmkitError.isInstance(error) && /no answer for "warranty"/.test(error.message),
    );
    const broken = faq.map((entry) =>
      entry.label === "warranty" ? { label: "warranty", answer: "Call {phone}." } : entry,
    );
    await assert.rejects(trainAnswerer(small, broken), /uses \{phone\} without a slot pattern/);
  });

  test("is deterministic for a seed", async () => {
    const again = await trainAnswerer(train, faq, { valid, seed: 3 });
    const texts = valid.slice(0, 40).map((example) => example.text);
    assert.deepEqual(again.model.answer(texts), model.answer(texts));
  });
});
