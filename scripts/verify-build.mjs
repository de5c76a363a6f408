// Verifies the built package as a user gets it: import "slmkit" from dist/, train, save, load, predict.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateSupportData, loadModel, SlmkitError, saveNativeModel, trainClassifier } from "slmkit";

const dir = await mkdtemp(join(tmpdir(), "slmkit-verify-"));
try {
  const examples = generateSupportData({ seed: 1, perLabel: 30 });
  const trained = await trainClassifier(examples, { seed: 1 });
  await saveNativeModel(trained.model, join(dir, "model"), trained.record);
  const model = await loadModel(join(dir, "model"));
  const [prediction] = await model.predict(["where is my order #A12345?"]);
  assert.equal(typeof prediction?.label, "string");
  assert.ok(prediction.confidence > 0 && prediction.confidence <= 1);
  assert.ok(model.labels.includes(prediction.label));
  assert.ok(SlmkitError.isInstance(new SlmkitError("INVALID_INPUT", "x")));
  console.log(
    `verify-build: dist/ imports as "slmkit" and round-trips a model (${model.labels.length} labels)`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
