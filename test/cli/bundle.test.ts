import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { registerBundleCommand } from "../../src/cli/bundle.js";
import { writeJsonl } from "../../src/data/io.js";
import { openBundle } from "../../src/models/bundle/open.js";
import { runCommand, temporaryDirectory } from "../helpers/cli.js";
import { type EdgeFixtures, writeEdgeFixtures } from "../helpers/edge-fixtures.js";

const root = temporaryDirectory("slmkit-cli-bundle-");
let fixtures: EdgeFixtures;
let validFile: string;
let testFile: string;

before(async () => {
  fixtures = await writeEdgeFixtures(root);
  validFile = join(root, "valid.jsonl");
  testFile = join(root, "test.jsonl");
  await writeJsonl(validFile, fixtures.classifyValid);
  await writeJsonl(testFile, fixtures.classifyTest);
});

const bundle = (args: readonly string[]) => runCommand(registerBundleCommand, ["bundle", ...args]);

describe("slmkit bundle", () => {
  test("writes an int8 bundle atomically and says what it holds", async () => {
    const out = join(root, "out", "support.bundle");
    const { stdout, exitCode } = await bundle([
      "--model",
      fixtures.classifyDir,
      "--out",
      out,
      "--valid",
      validFile,
    ]);
    assert.equal(exitCode, undefined);
    assert.match(
      stdout,
      /bundle written to .*support\.bundle: [\d.]+ MB, int8, classify, 4 labels, sha256 [0-9a-f]{64}/,
    );
    assert.match(stdout, /quantized from float32: validation accuracy/);
    const opened = await openBundle(await readFile(out));
    assert.equal(opened.manifest.precision, "int8");
    assert.deepEqual(await readdir(join(root, "out")), ["support.bundle"]);
  });

  test("--prune reports the size saved and the accuracy change on validation and test", async () => {
    const out = join(root, "pruned.bundle");
    const { stdout } = await bundle([
      "--model",
      fixtures.classifyDir,
      "--out",
      out,
      "--prune",
      "--tolerance",
      "0.05",
      "--valid",
      validFile,
      "--test",
      testFile,
    ]);
    assert.match(stdout, /pruned \(tolerance 0\.05\): \d+ → \d+ features, \d+ → \d+ non-zero weights/);
    assert.match(stdout, /validation: \d+ of 60 predictions changed; accuracy [\d.]+ → [\d.]+/);
    assert.match(stdout, /test: \d+ of 60 predictions changed/);
    assert.ok((await openBundle(await readFile(out))).manifest.prune !== undefined);
  });

  test("--sign prints the public key the app must trust", async () => {
    const { privateKey } = generateKeyPairSync("ed25519");
    const keyFile = join(root, "bundle-key.pem");
    await writeFile(keyFile, privateKey.export({ format: "pem", type: "pkcs8" }));
    const out = join(root, "signed.bundle");
    const { stdout } = await bundle(["--model", fixtures.answerDir, "--out", out, "--sign", keyFile]);
    const key = /signed by Ed25519 key (\S+) /.exec(stdout)?.[1];
    assert.ok(key !== undefined, stdout);
    assert.equal((await openBundle(await readFile(out), { publicKey: key })).signedBy, key);
  });

  test("an extractor stays float32, and says so", async () => {
    const { stdout } = await bundle(["--model", fixtures.extractDir, "--out", join(root, "extract.bundle")]);
    assert.match(stdout, /float32, extract, \d+ fields/);
    assert.match(stdout, /note: the extractor's weights have no int8 form/);
  });

  test("bad flags are errors that say how to fix them, and nothing is written", async () => {
    const out = join(root, "never.bundle");
    await assert.rejects(
      bundle(["--model", fixtures.classifyDir, "--out", out, "--tolerance", "0.01"]),
      /add --prune/,
    );
    await assert.rejects(
      bundle(["--model", fixtures.classifyDir, "--out", out, "--prune"]),
      /give --valid <file>/,
    );
    await assert.rejects(bundle(["--out", out]), /give --model <dir>/);
    await assert.rejects(bundle(["--model", root, "--out", out]), /no model at/);
    await assert.rejects(
      bundle(["--model", fixtures.classifyDir, "--out", out, "--precision", "int4"]),
      /int8 or float32/,
    );
    assert.ok(!(await readdir(root)).includes("never.bundle"));
  });
});
