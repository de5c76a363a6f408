import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { SlmkitError } from "../../src/errors.js";
import { createRandom } from "../../src/internal/random.js";
import { generateSupportData, supportTemplate } from "../../src/spec/catalog/support.js";
import { addNoise, expandTemplate } from "../../src/spec/catalog/text-variation.js";
import { normalizeText } from "../../src/text/normalize.js";

const labelNames = (supportTemplate.spec.labels ?? []).map((label) => label.name);
const countWhere = (texts: readonly string[], predicate: (text: string) => boolean) =>
  texts.filter(predicate).length;

describe("generateSupportData", () => {
  const data = generateSupportData({ seed: 7, perLabel: 80 });
  const texts = data.map((example) => example.text);

  test("the same seed gives identical output, another seed different output", () => {
    assert.deepEqual(generateSupportData({ seed: 7, perLabel: 80 }), data);
    const other = generateSupportData({ seed: 8, perLabel: 80 });
    assert.notDeepEqual(other, data);
    const seen = new Set(texts);
    const shared = countWhere(
      other.map((example) => example.text),
      (text) => seen.has(text),
    );
    assert.ok(shared / other.length < 0.1, `${shared} of ${other.length} texts repeat across seeds`);
  });

  test("has at least 12 intents, each with perLabel examples, and no duplicate texts", () => {
    assert.ok(labelNames.length >= 12);
    for (const name of labelNames) {
      assert.equal(
        countWhere(
          data.map((example) => example.label),
          (label) => label === name,
        ),
        80,
        name,
      );
    }
    assert.equal(data.length, labelNames.length * 80);
    assert.equal(new Set(texts).size, texts.length);
    assert.equal(generateSupportData().length, labelNames.length * 80, "default perLabel is 80");
  });

  test("is shuffled rather than grouped by label", () => {
    const firstLabels = new Set(data.slice(0, 30).map((example) => example.label));
    assert.ok(firstLabels.size >= 8);
  });

  test("carries the noise real tickets have", () => {
    const share = (predicate: (text: string) => boolean) => countWhere(texts, predicate) / texts.length;
    const allLower = share((text) => /\p{Ll}/u.test(text) && text === text.toLowerCase());
    const allUpper = share((text) => /\p{Lu}{3}/u.test(text) && text === text.toUpperCase());
    assert.ok(allLower > 0.1, `all-lowercase share ${allLower}`);
    assert.ok(allUpper > 0.01, `all-uppercase share ${allUpper}`);
    assert.ok(share((text) => /\b(pls|plz|u|ur|acct|asap|thx)\b/i.test(text)) > 0.02, "chat abbreviations");
    assert.ok(share((text) => !/[.!?)"]$/u.test(text)) > 0.2, "texts without final punctuation");
    assert.ok(share((text) => /#?A\d{5}|ORD-\d{6}|\d{3}-\d{7}|#\d{7}/i.test(text)) > 0.15, "order numbers");
    assert.ok(share((text) => /[$€£]\d+\.\d\d/.test(text)) > 0.01, "amounts");
    assert.ok(countWhere(texts, (text) => /[ñéüä¿]/u.test(text)) >= 3, "a few non-English messages");
  });

  test("intents share vocabulary, so single keywords do not give the label away", () => {
    const intentsMentioning = (word: RegExp) =>
      new Set(data.filter((example) => word.test(example.text)).map((example) => example.label)).size;
    assert.ok(intentsMentioning(/\border\b/i) >= 10, "order");
    assert.ok(intentsMentioning(/\brefund/i) >= 4, "refund");
    assert.ok(intentsMentioning(/\bcancel/i) >= 3, "cancel");
    assert.ok(intentsMentioning(/\bcard\b/i) >= 3, "card");
  });

  test("never produces an excluded text", () => {
    const exclude = new Set(texts.map(normalizeText));
    const fresh = generateSupportData({ seed: 8, perLabel: 40, exclude });
    assert.equal(
      countWhere(
        fresh.map((example) => example.text),
        (text) => exclude.has(normalizeText(text)),
      ),
      0,
    );
  });

  test("rejects impossible options", () => {
    for (const options of [{ perLabel: 0 }, { perLabel: 2.5 }, { seed: -1 }]) {
      assert.throws(
        () => generateSupportData(options),
        (error: unknown) => SlmkitError.isInstance(error) && error.code === "INVALID_OPTION",
      );
    }
  });
});

describe("text variation", () => {
  test("expandTemplate picks alternatives and fills slots deterministically", () => {
    const slots = { item: () => "mug" };
    const expand = (seed: number) =>
      expandTemplate("[Hi|Hello|] my {item} [broke|cracked].", slots, createRandom(seed));
    assert.equal(expand(3), expand(3));
    const outputs = new Set(Array.from({ length: 40 }, (_, seed) => expand(seed)));
    assert.ok(outputs.size >= 5);
    for (const output of outputs) assert.match(output, /^(Hi |Hello |)[mM]y mug (broke|cracked)\.$/);
    assert.throws(() => expandTemplate("{nope}", slots, createRandom(1)), /unknown slot \{nope\}/);
  });

  test("typos change letters but keep order numbers and emails intact", () => {
    const clean = "Please check order #A12345 and write to jane.doe@example.com about the delivery";
    let changed = 0;
    for (let seed = 0; seed < 50; seed++) {
      const noisy = addNoise(clean, createRandom(seed), {
        typo: 1,
        abbreviation: 0,
        lowerCase: 0,
        upperCase: 0,
        dropFinalPunctuation: 0,
        dropAllPunctuation: 0,
        repeatPunctuation: 0,
      });
      assert.match(noisy, /#A12345/);
      assert.match(noisy, /jane\.doe@example\.com/);
      if (noisy !== clean) changed++;
    }
    assert.ok(changed >= 45, `${changed} of 50 texts got a typo`);
  });

  test("dropping all punctuation keeps values such as amounts and apostrophes in words", () => {
    const noisy = addNoise("I don't see the $12.50 refund, why?", createRandom(1), {
      typo: 0,
      abbreviation: 0,
      lowerCase: 0,
      upperCase: 0,
      dropAllPunctuation: 1,
    });
    assert.equal(noisy, "I don't see the $12.50 refund why");
  });
});
