import assert from "node:assert/strict";
import { createHash, generateKeyPairSync } from "node:crypto";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { registerQuantizeCommand } from "../../../src/cli/quantize.js";
import { writeJsonl } from "../../../src/data/io.js";
import { SlmkitError, type SlmkitErrorCode } from "../../../src/errors.js";
import { sha256Portable } from "../../../src/models/bundle/digest.js";
import { encodeBundle, sectionKinds } from "../../../src/models/bundle/layout.js";
import { openBundle } from "../../../src/models/bundle/open.js";
import { buildBundle } from "../../../src/models/bundle/write.js";
import { loadModel } from "../../../src/models/load.js";
import type { TaskModel } from "../../../src/models/task-model.js";
import { runCommand, temporaryDirectory } from "../../helpers/cli.js";
import { type EdgeFixtures, writeEdgeFixtures } from "../../helpers/edge-fixtures.js";

const root = temporaryDirectory("slmkit-bundle-");
let fixtures: EdgeFixtures;
const referenceDate = new Date("2026-03-02T12:00:00Z");

before(async () => {
  fixtures = await writeEdgeFixtures(root);
});

async function predictions(model: TaskModel, texts: readonly string[]): Promise<unknown[]> {
  return model.predict(texts, { referenceDate });
}

/** Rejects with a SlmkitError of `code` whose message matches `pattern`. */
async function refused(promise: Promise<unknown>, code: SlmkitErrorCode, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(SlmkitError.isInstance(error), String(error));
    assert.equal(error.code, code, error.message);
    assert.match(error.message, pattern);
    return true;
  });
}

function keyPair(): { privatePem: string; publicBase64: string } {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const jwk = publicKey.export({ format: "jwk" });
  return {
    privatePem: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
    publicBase64: Buffer.from(String(jwk.x), "base64url").toString("base64"),
  };
}

describe("model bundle round trips", () => {
  for (const task of ["classify", "answer", "extract"] as const) {
    test(`a float32 bundle of a ${task} model predicts exactly as its directory`, async () => {
      const dir = fixtures[`${task}Dir`];
      const bundle = await buildBundle(dir, { precision: "float32" });
      const opened = await openBundle(bundle.bytes);
      assert.equal(opened.manifest.task, task);
      assert.equal(opened.sha256, bundle.sha256);
      const texts = fixtures.texts[task];
      assert.deepEqual(
        await predictions(opened.model, texts),
        await predictions(await loadModel(dir), texts),
      );
    });
  }

  test("an int8 bundle predicts as `slmkit quantize`'s int8 directory, and a bundle of that directory likewise", async () => {
    const validFile = join(root, "valid.jsonl");
    await writeJsonl(validFile, fixtures.classifyValid);
    const int8Dir = join(root, "classify-int8");
    await runCommand(registerQuantizeCommand, [
      "quantize",
      fixtures.classifyDir,
      "--valid",
      validFile,
      "--out",
      int8Dir,
    ]);
    const texts = fixtures.texts.classify;
    const expected = await predictions(await loadModel(int8Dir), texts);
    const fromFloat = await buildBundle(fixtures.classifyDir, { valid: fixtures.classifyValid });
    const fromInt8 = await buildBundle(int8Dir);
    for (const bundle of [fromFloat, fromInt8]) {
      assert.equal(bundle.manifest.precision, "int8");
      assert.deepEqual(await predictions((await openBundle(bundle.bytes)).model, texts), expected);
    }
    const float32 = await buildBundle(fixtures.classifyDir, { precision: "float32" });
    assert.ok(fromFloat.bytes.length < float32.bytes.length);
  });

  test("the bundle carries the monitor reference, the FAQ, and the extractor's field types", async () => {
    const classify = await openBundle((await buildBundle(fixtures.classifyDir)).bytes);
    assert.equal((classify.monitorReference as { formatVersion?: number }).formatVersion, 1);
    const answer = await openBundle((await buildBundle(fixtures.answerDir)).bytes);
    assert.ok(answer.sections.has(sectionKinds.faq));
    const extract = await openBundle((await buildBundle(fixtures.extractDir)).bytes);
    assert.deepEqual(extract.manifest.requiredFields, ["people"]);
    assert.equal(extract.manifest.fieldTypes?.time, "time");
    assert.equal(extract.manifest.precision, "float32");
  });

  test("a signed bundle loads with its key, and is refused under another key or unsigned when a key is required", async () => {
    const signer = keyPair();
    const other = keyPair();
    const signed = await buildBundle(fixtures.classifyDir, { signingKey: signer.privatePem });
    assert.equal(signed.signedBy, signer.publicBase64);
    const opened = await openBundle(signed.bytes, { publicKey: signer.publicBase64 });
    assert.equal(opened.signedBy, signer.publicBase64);
    await openBundle(signed.bytes, { publicKey: new Uint8Array(Buffer.from(signer.publicBase64, "base64")) });
    await refused(
      openBundle(signed.bytes, { publicKey: other.publicBase64 }),
      "MODEL_CORRUPT",
      /not by the key this app trusts/,
    );
    const unsigned = await buildBundle(fixtures.classifyDir);
    await refused(
      openBundle(unsigned.bytes, { publicKey: signer.publicBase64 }),
      "MODEL_CORRUPT",
      /not signed/,
    );
  });

  test("a key that is not Ed25519 is refused before anything is written", async () => {
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const pem = privateKey.export({ format: "pem", type: "pkcs8" }).toString();
    await refused(buildBundle(fixtures.classifyDir, { signingKey: pem }), "INVALID_INPUT", /not Ed25519/);
    await refused(
      buildBundle(fixtures.classifyDir, { signingKey: "not a key" }),
      "INVALID_INPUT",
      /openssl genpkey/,
    );
  });
});

describe("damaged bundles are refused", () => {
  let bytes: Uint8Array;
  let signed: Uint8Array;
  before(async () => {
    bytes = (await buildBundle(fixtures.classifyDir)).bytes;
    signed = (await buildBundle(fixtures.classifyDir, { signingKey: keyPair().privatePem })).bytes;
  });

  test("cut short, extended, or not a bundle: MODEL_CORRUPT", async () => {
    await refused(openBundle(bytes.subarray(0, 20)), "MODEL_CORRUPT", /fewer than its header/);
    await refused(openBundle(bytes.subarray(0, bytes.length - 1)), "MODEL_CORRUPT", /header implies/);
    await refused(openBundle(new Uint8Array([...bytes, 0])), "MODEL_CORRUPT", /header implies/);
    await refused(
      openBundle(new TextEncoder().encode("<html>not found</html>".repeat(3))),
      "MODEL_CORRUPT",
      /SLMB/,
    );
  });

  test("one changed byte of the content: its sha256 no longer matches", async () => {
    const tampered = bytes.slice();
    const middle = Math.floor(tampered.length / 2);
    tampered[middle] = (tampered[middle] as number) ^ 1;
    await refused(openBundle(tampered), "MODEL_CORRUPT", /sha256 does not match/);
  });

  test("one changed byte of the signature: it no longer verifies", async () => {
    const tampered = signed.slice();
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] as number) ^ 1;
    await refused(openBundle(tampered), "MODEL_CORRUPT", /signature does not verify/);
  });

  test("a newer format version: MODEL_VERSION, asking to update the runtime", async () => {
    const newer = bytes.slice();
    new DataView(newer.buffer).setUint32(4, 2, true);
    await refused(openBundle(newer), "MODEL_VERSION", /newer slmkit.*Update the app's slmkit runtime/);
  });

  test("a bundle without weights, or with a manifest that is not one, is MODEL_CORRUPT", async () => {
    const manifestOnly = await encodeBundle([
      { kind: sectionKinds.manifest, bytes: new TextEncoder().encode("{}") },
    ]);
    await refused(openBundle(manifestOnly), "MODEL_CORRUPT", /task/);
    const opened = await openBundle(bytes);
    const manifest = new TextEncoder().encode(JSON.stringify(opened.manifest));
    await refused(
      openBundle(await encodeBundle([{ kind: sectionKinds.manifest, bytes: manifest }])),
      "MODEL_CORRUPT",
      /no WGHT/,
    );
  });

  test("a section of a kind this runtime does not know is skipped", async () => {
    const opened = await openBundle(bytes);
    const sections = [...opened.sections].map(([kind, content]) => ({ kind, bytes: content }));
    const extended = await encodeBundle([...sections, { kind: "NEWS", bytes: new Uint8Array([1, 2, 3]) }]);
    const reopened = await openBundle(extended);
    assert.deepEqual(reopened.model.labels, opened.model.labels);
  });
});

test("the JavaScript SHA-256 (for runtimes without WebCrypto) equals Node's", () => {
  for (const length of [0, 1, 55, 56, 63, 64, 65, 1000, 70_001]) {
    const bytes = new Uint8Array(length).map((_, index) => (index * 31 + length) & 0xff);
    const expected = createHash("sha256").update(bytes).digest("hex");
    assert.equal(Buffer.from(sha256Portable(bytes)).toString("hex"), expected, `length ${length}`);
  }
});
