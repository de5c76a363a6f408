import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { trainClassifier } from "../../../src/train/train-classifier.js";
import { syntheticExamples } from "../../helpers/synthetic.js";

const texts = [
  ...syntheticExamples(10, 9).map((example) => example.text),
  "",
  "Ünïcödé text with an unknown wörd",
  "refund refund refund, please!",
  "x".repeat(2000),
];

describe("native classifier scratch reuse", () => {
  test("predictSync agrees bit for bit with predictDetailed, one text at a time or in a batch", async () => {
    const { model } = await trainClassifier(syntheticExamples(30, 1), {
      valid: syntheticExamples(10, 2),
      seed: 3,
    });
    const batch = model.predictSync(texts);
    texts.forEach((text, index) => {
      const detailed = model.predictDetailed(text);
      const [single] = model.predictSync([text]);
      for (const prediction of [single, batch[index]]) {
        assert.equal(prediction?.label, detailed.label);
        assert.ok(Object.is(prediction?.confidence, detailed.confidence), text);
        assert.equal(prediction?.accepted, detailed.accepted);
        assert.ok(Object.is(prediction?.unknownShare, detailed.unknownShare), text);
      }
    });
  });

  test("embed gives each text the same vector alone as in a batch after other texts", async () => {
    const { model } = await trainClassifier(syntheticExamples(30, 1), {
      valid: syntheticExamples(10, 2),
      seed: 3,
    });
    const batch = model.embed(texts);
    texts.forEach((text, index) => {
      assert.deepEqual(model.embed([text])[0], batch[index]);
    });
  });
});
