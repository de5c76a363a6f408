// API key parsing: well-formed keys round-trip; anything else is undefined, never an exception.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import fc from "fast-check";
import { generateApiKey, hashSecret, parseApiKey, secretMatches } from "../../src/store/api-keys.js";

test("a generated key parses back to its id and a secret whose hash is the stored one", () => {
  for (let round = 0; round < 100; round += 1) {
    const generated = generateApiKey();
    const parsed = parseApiKey(generated.key);
    assert.ok(parsed);
    assert.equal(parsed.id, generated.id);
    assert.match(parsed.id, /^[a-z0-9]{12}$/);
    assert.equal(Buffer.from(parsed.secret, "base64url").length, 32);
    assert.equal(generated.hash, createHash("sha256").update(parsed.secret).digest("hex"));
    assert.equal(hashSecret(parsed.secret), generated.hash);
    assert.ok(secretMatches(parsed.secret, generated.hash));
    assert.ok(!secretMatches(`${parsed.secret.slice(0, -1)}x`, generated.hash));
  }
});

test("parseApiKey never throws and accepts only the exact format", () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string({ unit: "binary" }),
        fc.anything(),
        // Near misses: the right prefix and shape with arbitrary parts.
        fc
          .tuple(fc.string({ maxLength: 14 }), fc.string({ minLength: 40, maxLength: 46 }))
          .map(([id, secret]) => `slmk_${id}_${secret}`),
      ),
      (candidate) => {
        const parsed = parseApiKey(candidate);
        if (parsed !== undefined) assert.equal(candidate, `slmk_${parsed.id}_${parsed.secret}`);
      },
    ),
    { numRuns: 2_000 },
  );
  const { key } = generateApiKey();
  for (const mutated of [key.slice(1), `${key} `, key.replace("slmk_", "SLMK_"), key.slice(0, -1)]) {
    assert.equal(parseApiKey(mutated), undefined, mutated);
  }
});

test("a corrupt stored hash fails the check instead of throwing", () => {
  assert.equal(secretMatches("secret", "not hex"), false);
  assert.equal(secretMatches("secret", ""), false);
});
