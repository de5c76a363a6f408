import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "node:test";
import { SlmkitError } from "../../../src/errors.js";
import { readGgufHeader } from "../../../src/models/gguf/gguf-header.js";
import { temporaryDirectory } from "../../helpers/cli.js";
import { buildTinyGguf, tinyGgufParameterCount } from "../../helpers/tiny-gguf.js";

const folder = temporaryDirectory("slmkit-gguf-header-");

async function written(name: string, bytes: Buffer): Promise<string> {
  const path = join(folder, name);
  await writeFile(path, bytes);
  return path;
}

describe("GGUF header reader", () => {
  test("reads the licence, the context length and the architecture; parameters come from the tensor shapes", async () => {
    const path = await written(
      "licensed.gguf",
      buildTinyGguf({ seed: 1, license: "mit", contextLength: 1024, layers: 2 }),
    );
    const header = await readGgufHeader(path);
    assert.equal(header.version, 3);
    assert.equal(header.architecture, "llama");
    assert.equal(header.name, "slmkit-tiny-test");
    assert.equal(header.license, "mit");
    assert.equal(header.contextLength, 1024);
    assert.equal(header.parametersSource, "tensors");
    assert.equal(header.parameters, tinyGgufParameterCount({ layers: 2 }));
    assert.equal(header.tensorCount, 2 + 2 * 9 + 1);
    assert.deepEqual(header.metadata.get("tokenizer.ggml.tokens"), {
      type: "array",
      itemType: "string",
      length: 256 + 10 + 2,
    });
  });

  test("general.parameter_count wins over the tensor shapes, and a file without a licence says none", async () => {
    const path = await written("counted.gguf", buildTinyGguf({ seed: 2, parameterCount: 3_821_079_552 }));
    const header = await readGgufHeader(path);
    assert.equal(header.parameters, 3_821_079_552);
    assert.equal(header.parametersSource, "metadata");
    assert.equal(header.license, undefined);
    assert.equal(header.contextLength, 256);
  });

  test("reads the same header whatever the chunk size, across chunk boundaries", async () => {
    const path = await written("chunks.gguf", buildTinyGguf({ seed: 3, license: "apache-2.0" }));
    const whole = await readGgufHeader(path);
    for (const chunkBytes of [1, 7, 64, 4096]) {
      const header = await readGgufHeader(path, { chunkBytes });
      assert.deepEqual(
        { ...header, metadata: [...header.metadata] },
        { ...whole, metadata: [...whole.metadata] },
      );
    }
  });

  test("a file that is not GGUF, is cut inside its header or is missing is a clear error", async () => {
    const bytes = buildTinyGguf({ seed: 4, license: "mit" });
    const headerBytes = (await readGgufHeader(await written("full.gguf", bytes))).headerBytes;
    for (let cut = 0; cut < headerBytes; cut += 113) {
      const path = await written(`cut-${cut}.gguf`, bytes.subarray(0, cut));
      await assert.rejects(
        readGgufHeader(path, { chunkBytes: 256 }),
        (error: unknown) => SlmkitError.isInstance(error) && error.code === "MODEL_CORRUPT",
        `cut at ${cut}`,
      );
    }
    await assert.rejects(
      readGgufHeader(await written("text.gguf", Buffer.from("hello world"))),
      /not a GGUF file/,
    );
    const version1 = Buffer.from(bytes);
    version1.writeUInt32LE(1, 4);
    await assert.rejects(readGgufHeader(await written("v1.gguf", version1)), /GGUF version 1/);
    await assert.rejects(
      readGgufHeader(join(folder, "absent.gguf")),
      (error: unknown) => SlmkitError.isInstance(error) && error.code === "MODEL_NOT_FOUND",
    );
  });
});
