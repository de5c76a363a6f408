import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { before, test } from "node:test";
import fc from "fast-check";
import { SlmkitError } from "../../../src/errors.js";
import { openBundle } from "../../../src/models/bundle/open.js";
import { buildBundle } from "../../../src/models/bundle/write.js";
import { saveNativeModel } from "../../../src/models/native/model-directory.js";
import { trainClassifier } from "../../../src/train/train-classifier.js";
import { temporaryDirectory } from "../../helpers/cli.js";
import { syntheticExamples } from "../../helpers/synthetic.js";

const root = temporaryDirectory("slmkit-bundle-corruption-");
const bundles: { name: string; bytes: Uint8Array }[] = [];

before(async () => {
  const { model, record } = await trainClassifier(syntheticExamples(20, 1), { seed: 1 });
  await saveNativeModel(model, root, record);
  const { privateKey } = generateKeyPairSync("ed25519");
  const signingKey = privateKey.export({ format: "pem", type: "pkcs8" }).toString();
  bundles.push({ name: "unsigned", bytes: (await buildBundle(root)).bytes });
  bundles.push({ name: "signed", bytes: (await buildBundle(root, { signingKey })).bytes });
});

/** One way of damaging a bundle, as a function of its length: flipped bytes, a cut, an extension, an overwrite. */
const damage = (length: number) =>
  fc.oneof(
    fc
      .array(fc.record({ at: fc.nat(length - 1), mask: fc.integer({ min: 1, max: 255 }) }), {
        minLength: 1,
        maxLength: 4,
      })
      .map((flips) => (bytes: Uint8Array) => {
        const changed = bytes.slice();
        // Two flips of one byte could cancel out: each position is flipped once, with its first mask.
        const seen = new Set<number>();
        for (const { at, mask } of flips) {
          if (seen.has(at)) continue;
          seen.add(at);
          changed[at] = (changed[at] as number) ^ mask;
        }
        return changed;
      }),
    fc.nat(length - 1).map((cut) => (bytes: Uint8Array) => bytes.slice(0, cut)),
    fc.uint8Array({ minLength: 1, maxLength: 64 }).map((extra) => (bytes: Uint8Array) => {
      const longer = new Uint8Array(bytes.length + extra.length);
      longer.set(bytes);
      longer.set(extra, bytes.length);
      return longer;
    }),
    fc
      .tuple(fc.nat(length - 1), fc.uint8Array({ minLength: 1, maxLength: 32 }))
      .map(([at, noise]) => (bytes: Uint8Array) => {
        const changed = bytes.slice();
        changed.set(noise.subarray(0, Math.min(noise.length, changed.length - at)), at);
        return changed;
      }),
  );

test("any damage to a bundle is refused with MODEL_CORRUPT or MODEL_VERSION, never loaded or crashed on", async () => {
  for (const bundle of bundles) {
    await fc.assert(
      fc.asyncProperty(damage(bundle.bytes.length), async (apply) => {
        const damaged = apply(bundle.bytes);
        const same =
          damaged.length === bundle.bytes.length &&
          damaged.every((byte, index) => byte === bundle.bytes[index]);
        fc.pre(!same);
        try {
          await openBundle(damaged);
        } catch (error) {
          assert.ok(SlmkitError.isInstance(error), `${bundle.name}: ${String(error)}`);
          assert.ok(error.code === "MODEL_CORRUPT" || error.code === "MODEL_VERSION", error.message);
          return;
        }
        assert.fail(`${bundle.name}: a damaged bundle loaded`);
      }),
      { numRuns: 150, seed: 13 },
    );
  }
});
