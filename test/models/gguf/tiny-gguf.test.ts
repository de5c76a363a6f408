import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { buildTinyGguf, gpt2ByteTokens } from "../../helpers/tiny-gguf.js";

describe("tiny GGUF writer", () => {
  test("writes a small GGUF v3 file, byte-identical for the same seed", () => {
    const first = buildTinyGguf({ seed: 3 });
    assert.equal(first.subarray(0, 4).toString("latin1"), "GGUF");
    assert.equal(first.readUInt32LE(4), 3);
    assert.ok(first.length < 1_000_000);
    assert.ok(first.equals(buildTinyGguf({ seed: 3 })));
    assert.ok(!first.equals(buildTinyGguf({ seed: 4 })));
    assert.ok(buildTinyGguf({ seed: 3, layers: 2 }).length > first.length);
  });

  test("maps every byte to a distinct one-character token, as GPT-2 does", () => {
    const tokens = gpt2ByteTokens();
    assert.equal(new Set(tokens).size, 256);
    assert.equal(tokens[32], "Ġ");
    assert.equal(tokens[10], "Ċ");
    assert.equal(tokens[65], "A");
  });
});
