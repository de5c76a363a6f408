// How the classifier bench feeds fastText: its tutorial's tokenization and a hash table sized for the data.

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  bucketFor,
  countHashedFeatures,
  fastTextConfigs,
  fastTextDefaultBucket,
  fastTextText,
} from "../../bench/classifier-fasttext.js";

test("text is prepared as fastText's tutorial does: punctuation split off, lower-cased", () => {
  assert.equal(fastTextText("Where is my Card?"), "where is my card ?");
  assert.equal(fastTextText("I can't log in (again)!"), "i can ' t log in ( again ) !");
  assert.equal(fastTextText("  top-up,\tplease.  "), "top-up , please .");
});

test("the hashed features are the distinct word n-grams and the words' character n-grams", () => {
  const lines = ["__label__a my card", "__label__b my card", "__label__a card"];
  const words = countHashedFeatures(lines, { wordNgrams: 2, minn: 0, maxn: 0 });
  // Bigrams, with the end-of-line token fastText appends: "my card", "card </s>".
  assert.deepEqual(words, { words: 2, wordNgrams: 2, charNgrams: 0 });
  const characters = countHashedFeatures(["__label__a ab"], { wordNgrams: 1, minn: 2, maxn: 3 });
  // "<ab>": <a, ab, b>, <ab, ab>.
  assert.deepEqual(characters, { words: 1, wordNgrams: 0, charNgrams: 5 });
});

test("the bucket is ten rows per hashed feature, in steps of 100,000, from 200,000 to fastText's 2M default", () => {
  assert.equal(bucketFor({ words: 10, wordNgrams: 10, charNgrams: 10 }), 200_000);
  assert.equal(bucketFor({ words: 2_322, wordNgrams: 19_909, charNgrams: 14_379 }), 400_000);
  assert.equal(bucketFor({ words: 1, wordNgrams: 500_000, charNgrams: 0 }), fastTextDefaultBucket);
});

test("every fastText row runs on one thread but the 2-thread one, and autotune gets the native budget", () => {
  const configs = fastTextConfigs({ oneThreadOnly: false, quick: false, autotuneSeconds: 60, seed: 7 });
  assert.deepEqual(
    configs.map((config) => [config.id, config.bucket]),
    [
      ["a", "sized"],
      ["b", "sized"],
      ["b-default-bucket", "default"],
      ["b-2threads", "sized"],
      ["autotune", "searched"],
    ],
  );
  for (const config of configs) {
    const thread = config.args[config.args.indexOf("-thread") + 1];
    assert.equal(thread, config.id === "b-2threads" ? "2" : "1", config.id);
    assert.equal(config.args[config.args.indexOf("-seed") + 1], "7");
  }
  assert.equal(configs.at(-1)?.autotuneSeconds, 60);
  const none = fastTextConfigs({ oneThreadOnly: true, quick: true, autotuneSeconds: 0, seed: 7 });
  assert.deepEqual(
    none.map((config) => config.id),
    ["a", "b"],
  );
});
