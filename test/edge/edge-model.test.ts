import assert from "node:assert/strict";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { registerPredictCommand } from "../../src/cli/predict.js";
import { registerQuantizeCommand } from "../../src/cli/quantize.js";
import { writeJsonl } from "../../src/data/io.js";
import { loadEdgeModel } from "../../src/edge/index.js";
import { buildBundle } from "../../src/models/bundle/write.js";
import { runCommand, temporaryDirectory } from "../helpers/cli.js";
import { type EdgeFixtures, writeEdgeFixtures } from "../helpers/edge-fixtures.js";

const root = temporaryDirectory("slmkit-edge-model-");
let fixtures: EdgeFixtures;
let int8Dir: string;

before(async () => {
  fixtures = await writeEdgeFixtures(root);
  const validFile = join(root, "valid.jsonl");
  await writeJsonl(validFile, fixtures.classifyValid);
  int8Dir = join(root, "classify-int8");
  await runCommand(registerQuantizeCommand, [
    "quantize",
    fixtures.classifyDir,
    "--valid",
    validFile,
    "--out",
    int8Dir,
  ]);
});

/** What `slmkit predict --model <dir> <texts…>` prints, one object per text. */
async function slmkitPredict(dir: string, texts: readonly string[]): Promise<Record<string, unknown>[]> {
  const { stdout } = await runCommand(registerPredictCommand, ["predict", "--model", dir, ...texts]);
  return stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** The fields of `object` the contract names for the task, so two shapes compare on exactly those. */
function pick(object: object, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((key) => [key, (object as Record<string, unknown>)[key]]));
}

const contractKeys = {
  classify: ["label", "confidence", "accepted"],
  answer: ["answer", "label", "confidence", "accepted"],
  extract: ["fields", "confidence", "accepted"],
} as const;

describe("loadEdgeModel predicts exactly as `slmkit predict`", () => {
  const cases = [
    { name: "classify, float32", task: "classify", dir: () => fixtures.classifyDir, precision: "float32" },
    {
      name: "classify, int8 (the quantized directory)",
      task: "classify",
      dir: () => int8Dir,
      precision: "int8",
    },
    { name: "answer, float32", task: "answer", dir: () => fixtures.answerDir, precision: "float32" },
    { name: "extract", task: "extract", dir: () => fixtures.extractDir, precision: "float32" },
  ] as const;
  for (const { name, task, dir, precision } of cases) {
    test(name, async () => {
      const texts = fixtures.texts[task].filter((text) => text !== "");
      const model = await loadEdgeModel((await buildBundle(dir(), { precision })).bytes);
      assert.equal(model.task, task);
      const expected = await slmkitPredict(dir(), texts);
      texts.forEach((text, index) => {
        const keys = contractKeys[task];
        const got = pick(model.predict(text), keys);
        assert.deepEqual(got, pick(expected[index] as object, keys), text);
        // JSON keeps every bit of a double: the confidences are the same numbers, not just close.
        assert.ok(Object.is(got.confidence, (expected[index] as { confidence: number }).confidence));
      });
    });
  }
});

test("the model tells its task, threshold, bundle identity and where its logits run", async () => {
  const bundle = await buildBundle(fixtures.classifyDir);
  const model = await loadEdgeModel(bundle.bytes.buffer.slice(0) as ArrayBuffer);
  assert.equal(model.sha256, bundle.sha256);
  assert.equal(model.byteLength, bundle.bytes.length);
  assert.equal(model.backend, "webassembly");
  assert.equal(model.signedBy, null);
  assert.ok(model.threshold > 0 && model.threshold <= 1);
  assert.ok(model.monitorReference !== null);
  const answer = await loadEdgeModel((await buildBundle(fixtures.answerDir)).bytes);
  assert.ok(answer.task === "answer");
  assert.match(answer.answerFor("order_tracking", "where is order #A12345?") ?? "", /#A12345/);
});
