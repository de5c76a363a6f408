// Verifies the built package as a user gets it: import "slmkit" from dist/, train, save, load, predict; then the edge
// runtime, as "slmkit/edge" and as the self-contained browser module, predicting the same from the model's bundle.
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  buildBundle,
  generateSupportData,
  loadModel,
  SlmkitError,
  saveNativeModel,
  trainClassifier,
} from "slmkit";
import { loadEdgeModel } from "slmkit/edge";

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

  // The edge runtime, both ways a user gets it, on the model's bundle (float32: the directory's own weights).
  const texts = examples.slice(0, 50).map((example) => example.text);
  const expected = await model.predict(texts);
  const bundle = await buildBundle(join(dir, "model"), { precision: "float32" });
  const browserPath = new URL("../dist/edge/slmkit-edge.js", import.meta.url);
  const browserText = await readFile(browserPath, "utf8");
  assert.ok(!/\bimport\b|\brequire\(/.test(browserText), "dist/edge/slmkit-edge.js imports nothing");
  const browserModule = await import(browserPath.href);
  for (const load of [loadEdgeModel, browserModule.loadEdgeModel]) {
    const edge = await load(bundle.bytes);
    texts.forEach((text, index) => {
      const prediction = edge.predict(text);
      assert.equal(prediction.label, expected[index]?.label, text);
      assert.ok(Object.is(prediction.confidence, expected[index]?.confidence), text);
    });
  }
  console.log(
    `verify-build: "slmkit/edge" and dist/edge/slmkit-edge.js (${(browserText.length / 1000).toFixed(1)} KB, no imports) predict as the model directory`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}

// The dashboard's pages are not emitted by tsc: the build copies them, and the server reads them from dist/.
const sourceAssets = new URL("../src/serve/dashboard/public/", import.meta.url);
const builtAssets = new URL("../dist/serve/dashboard/public/", import.meta.url);
const assetNames = (await readdir(sourceAssets)).sort();
assert.deepEqual((await readdir(builtAssets)).sort(), assetNames, "dist/ holds the dashboard's files");
for (const name of assetNames) {
  assert.ok(
    (await readFile(new URL(name, sourceAssets))).equals(await readFile(new URL(name, builtAssets))),
    `dist/serve/dashboard/public/${name} is a stale copy; run npm run build`,
  );
}
console.log(`verify-build: dist/ holds the dashboard's ${assetNames.length} files`);
