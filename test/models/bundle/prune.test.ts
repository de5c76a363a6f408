import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { SlmkitError } from "../../../src/errors.js";
import { openBundle } from "../../../src/models/bundle/open.js";
import { buildBundle } from "../../../src/models/bundle/write.js";
import type { NativeClassifier } from "../../../src/models/native/classifier.js";
import { loadNativeModel, saveNativeModel } from "../../../src/models/native/model-directory.js";
import {
  encodeWeights,
  readStoredWeights,
  writeStoredWeights,
} from "../../../src/models/native/weights-file.js";
import { trainClassifier } from "../../../src/train/train-classifier.js";
import type { LabeledExample } from "../../../src/types.js";
import { temporaryDirectory } from "../../helpers/cli.js";
import { writeEdgeFixtures } from "../../helpers/edge-fixtures.js";
import { syntheticExamples } from "../../helpers/synthetic.js";

const root = temporaryDirectory("slmkit-prune-");
let modelDir: string;
let extractDir: string;
let model: NativeClassifier;
const valid: LabeledExample[] = syntheticExamples(100, 12);
const testSet: LabeledExample[] = syntheticExamples(50, 13);

before(async () => {
  // Noisier data than the fixtures', so that pruning meets predictions it can change.
  const trained = await trainClassifier(syntheticExamples(60, 11), {
    valid: syntheticExamples(30, 14),
    seed: 5,
  });
  modelDir = `${root}/classify`;
  await saveNativeModel(trained.model, modelDir, trained.record);
  model = await loadNativeModel(modelDir);
  extractDir = (await writeEdgeFixtures(`${root}/fixtures`)).extractDir;
});

function changedShare(
  before: NativeClassifier,
  after: NativeClassifier,
  examples: readonly LabeledExample[],
): number {
  const texts = examples.map((example) => example.text);
  const old = before.predictSync(texts);
  const next = after.predictSync(texts);
  return (
    old.filter((p, i) => p.label !== next[i]?.label || p.accepted !== next[i]?.accepted).length / texts.length
  );
}

describe("pruning", () => {
  for (const precision of ["int8", "float32"] as const) {
    test(`${precision}: keeps validation predictions within the tolerance, is smaller, and reports what it did`, async () => {
      const tolerance = 0.01;
      const unpruned = await buildBundle(modelDir, { precision, valid });
      const pruned = await buildBundle(modelDir, { precision, valid, test: testSet, prune: true, tolerance });
      const report = pruned.manifest.prune;
      assert.ok(report !== undefined);
      assert.ok(
        pruned.bytes.length < unpruned.bytes.length,
        `${pruned.bytes.length} < ${unpruned.bytes.length}`,
      );
      assert.ok(report.weightsAfter < report.weightsBefore);
      assert.ok(report.featuresAfter <= report.featuresBefore);
      assert.equal(report.validation.n, valid.length);
      assert.equal(report.test?.n, testSet.length);
      const before = (await openBundle(unpruned.bytes)).model as NativeClassifier;
      const after = (await openBundle(pruned.bytes)).model as NativeClassifier;
      const share = changedShare(before, after, valid);
      assert.ok(share <= tolerance, `${share} of validation predictions changed`);
      assert.equal(report.validation.changed, Math.round(share * valid.length));
    });
  }

  test("tolerance 0 changes no validation prediction", async () => {
    const unpruned = await buildBundle(modelDir, { valid });
    const pruned = await buildBundle(modelDir, { valid, prune: true, tolerance: 0 });
    const before = (await openBundle(unpruned.bytes)).model as NativeClassifier;
    const after = (await openBundle(pruned.bytes)).model as NativeClassifier;
    assert.equal(changedShare(before, after, valid), 0);
  });

  test("needs validation data, a tolerance in [0, 1), and a classify or answer model", async () => {
    await assert.rejects(
      buildBundle(modelDir, { prune: true }),
      (error: SlmkitError) => error.code === "INVALID_OPTION",
    );
    await assert.rejects(
      buildBundle(modelDir, { prune: true, valid, tolerance: 1 }),
      (error: SlmkitError) => error.code === "INVALID_OPTION",
    );
    await assert.rejects(
      buildBundle(extractDir, { prune: true, valid }),
      (error: SlmkitError) => error.code === "NOT_SUPPORTED",
    );
  });
});

describe("weights layouts", () => {
  test("dense stored weights write the same bytes as encodeWeights, in both precisions", () => {
    for (const precision of ["int8", "float32"] as const) {
      const encoded = encodeWeights(model.vocabulary, model.weights, precision);
      assert.deepEqual(writeStoredWeights(readStoredWeights(encoded, "test"), "dense"), encoded);
    }
  });

  test("sparse rows (layout 2) read back the same numbers, zeros included", () => {
    for (const precision of ["int8", "float32"] as const) {
      const stored = readStoredWeights(encodeWeights(model.vocabulary, model.weights, precision), "test");
      stored.values.forEach((value, index) => {
        if (index % 3 === 0 || Math.abs(value) < 0.01) stored.values[index] = 0;
      });
      const sparse = writeStoredWeights(stored, "sparse");
      assert.equal(new DataView(sparse.buffer).getUint32(4, true), 2);
      assert.deepEqual(readStoredWeights(sparse, "test"), stored);
      const cut = sparse.slice(0, sparse.length - 4);
      assert.throws(() => readStoredWeights(cut, "test"), /header implies/);
    }
  });
});
