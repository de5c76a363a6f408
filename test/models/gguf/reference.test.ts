import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { SlmkitError } from "../../../src/errors.js";
import { loadModel } from "../../../src/models/load.js";
import { writeTinyGguf } from "../../helpers/tiny-gguf.js";

test("a gguf: reference loads through loadModel with the use case's labels, and needs them", async () => {
  const dir = await mkdtemp(join(tmpdir(), "slmkit-gguf-reference-"));
  try {
    const path = join(dir, "tiny.gguf");
    await writeTinyGguf(path, { seed: 3 });
    await assert.rejects(
      loadModel(`gguf:${path}`),
      (error: unknown) => SlmkitError.isInstance(error) && error.field === "labels",
    );
    const model = await loadModel(`gguf:${path}`, {
      labels: [{ name: "billing", description: "money" }, { name: "shipping" }],
    });
    try {
      assert.equal(model.task, "classify");
      if (model.task !== "classify") return;
      const [prediction] = await model.predict(["where is my parcel"]);
      assert.ok(prediction && ["billing", "shipping"].includes(prediction.label));
      assert.ok(prediction.confidence > 0 && prediction.confidence <= 1);
    } finally {
      await model.dispose();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
