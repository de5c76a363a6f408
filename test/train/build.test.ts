import assert from "node:assert/strict";
import { appendFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { SlmkitError } from "../../src/errors.js";
import { writeTemplate } from "../../src/spec/catalog/write-template.js";
import { buildUseCase } from "../../src/train/build.js";

test("a malformed line in the test file stops the build at the data check, before any model is written", async () => {
  const dir = await mkdtemp(join(tmpdir(), "slmkit-build-"));
  try {
    const written = await writeTemplate("support", dir, { seed: 3, perLabel: 20 });
    await appendFile(written.paths.test as string, '{"text": "no label here"}\n');
    const steps: string[] = [];
    await assert.rejects(
      buildUseCase(written.usecasePath, { onStep: (step) => steps.push(step.step) }),
      (error: unknown) => SlmkitError.isInstance(error) && error.code === "INVALID_DATA",
    );
    assert.deepEqual(steps, ["check"]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
