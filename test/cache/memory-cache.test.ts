import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { createCache, createMemoryCache, SemanticIndex } from "../../src/cache/index.js";
import type { CachedAnswer } from "../../src/cache/types.js";
import { SlmkitError } from "../../src/errors.js";
import type { NativeClassifier } from "../../src/models/native/classifier.js";
import { generateSupportData } from "../../src/spec/catalog/support.js";
import { trainClassifier } from "../../src/train/train-classifier.js";
import { syntheticExamples } from "../helpers/synthetic.js";

const scope = "support:tenant-a";

function answer(label: string, confidence = 0.9): CachedAnswer {
  return { label, confidence, answeredBy: "slm" };
}

/** A unit vector of `dimension` whose cosine with `unit(dimension, 0)`'s axis is `similarity`. */
function vectorAt(similarity: number, dimension = 8, axis = 1): Float32Array {
  const vector = new Float32Array(dimension);
  vector[0] = similarity;
  vector[axis] = Math.sqrt(1 - similarity * similarity);
  return vector;
}

function clock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let time = start;
  return { now: () => time, advance: (ms) => (time += ms) };
}

describe("memory cache: exact", () => {
  test("hits on normalized text: case, full-width forms and spacing do not matter", async () => {
    const cache = createMemoryCache();
    await cache.set(scope, "Where is my ORDER?", answer("order_status"));
    for (const text of ["where is my order?", "  Where   is my\torder? ", "Ｗｈｅｒｅ is my ｏｒｄｅｒ?"]) {
      const hit = await cache.get(scope, text);
      assert.equal(hit?.kind, "exact", text);
      assert.equal(hit?.similarity, 1);
      assert.equal(hit?.answer.label, "order_status");
    }
  });

  test('normalization keeps punctuation: "where is my order ?" is no exact hit, but a semantic one', async () => {
    const cache = createMemoryCache();
    const vector = vectorAt(1);
    await cache.set(scope, "Where is my ORDER?", answer("order_status"), vector);
    assert.equal(await cache.get(scope, "where is my order ?"), undefined);
    const hit = await cache.get(scope, "where is my order ?", vector);
    assert.equal(hit?.kind, "semantic");
    assert.ok(Math.abs((hit?.similarity ?? 0) - 1) < 1e-6);
  });

  test("scopes are isolated: tenant A never sees tenant B", async () => {
    const cache = createMemoryCache();
    const vector = vectorAt(1);
    await cache.set("support:tenant-a", "reset my password", answer("account"), vector);
    assert.equal(await cache.get("support:tenant-b", "reset my password"), undefined);
    assert.equal(await cache.get("support:tenant-b", "reset my password", vector), undefined);
    assert.equal(await cache.get("other-usecase:tenant-a", "reset my password", vector), undefined);
    assert.equal((await cache.get("support:tenant-a", "reset my password"))?.answer.label, "account");
    assert.equal(cache.size("support:tenant-a"), 1);
    assert.equal(cache.size("support:tenant-b"), 0);
  });

  test("entries expire after ttlMs on the injected clock, exact and semantic alike", async () => {
    const time = clock();
    const cache = createMemoryCache({ ttlMs: 1_000, now: time.now });
    const vector = vectorAt(1);
    await cache.set(scope, "reset my password", answer("account"), vector);
    time.advance(999);
    assert.equal((await cache.get(scope, "reset my password"))?.kind, "exact");
    assert.equal((await cache.get(scope, "please reset my password", vector))?.kind, "semantic");
    time.advance(1);
    assert.equal(await cache.get(scope, "reset my password"), undefined);
    assert.equal(await cache.get(scope, "please reset my password", vector), undefined);
    assert.equal(cache.size(scope), 0, "an expired exact entry is dropped when read");
  });

  test("keeps at most maxEntriesPerScope entries, evicting the least recently used", async () => {
    const cache = createMemoryCache({ maxEntriesPerScope: 3 });
    for (const text of ["a", "b", "c"]) await cache.set(scope, text, answer(text));
    await cache.get(scope, "a");
    await cache.set(scope, "d", answer("d"));
    assert.equal(cache.size(scope), 3);
    assert.equal(await cache.get(scope, "b"), undefined, "b was the least recently used");
    for (const text of ["a", "c", "d"]) assert.equal((await cache.get(scope, text))?.answer.label, text);
    await cache.set(scope, "other scope has its own bound", answer("x"));
    await cache.set("support:tenant-b", "e", answer("e"));
    assert.equal(cache.size(), 4);
  });

  test("returns copies: a caller mutating an answer does not change the cache", async () => {
    const cache = createMemoryCache();
    const stored = answer("billing");
    await cache.set(scope, "my invoice", stored);
    stored.label = "changed";
    const hit = await cache.get(scope, "my invoice");
    assert.equal(hit?.answer.label, "billing");
    if (hit !== undefined) hit.answer.label = "changed again";
    assert.equal((await cache.get(scope, "my invoice"))?.answer.label, "billing");
  });

  test("rejects options it cannot work with, naming the option", () => {
    for (const options of [
      { maxEntriesPerScope: 0 },
      { ttlMs: -1 },
      { semanticThreshold: 1.5 },
      { ttlMs: Number.NaN },
    ]) {
      assert.throws(
        () => createMemoryCache(options),
        (error: unknown) => SlmkitError.isInstance(error) && error.code === "INVALID_OPTION",
      );
    }
  });

  test('createCache({kind: "memory"}) is the memory cache; it is always ready and counts hits and misses', async () => {
    const cache = createCache({ kind: "memory", ttlMs: 10_000 });
    assert.equal(cache.status(), "ready");
    await cache.set(scope, "hello", answer("greeting"));
    await cache.get(scope, "hello");
    await cache.get(scope, "unknown");
    assert.deepEqual(cache.stats(), {
      exactHits: 1,
      semanticHits: 0,
      misses: 1,
      guardRejections: 0,
      backendErrors: 0,
    });
    await cache[Symbol.asyncDispose]();
    assert.equal(cache.size(), 0);
  });
});

describe("memory cache: semantic", () => {
  test("hits at or above the threshold for texts that pass the guards, and reports the similarity", async () => {
    const cache = createMemoryCache({ semanticThreshold: 0.95 });
    await cache.set(scope, "I want to cancel my order", answer("cancel_order"), vectorAt(1));
    const hit = await cache.get(scope, "please cancel my order", vectorAt(0.97));
    assert.equal(hit?.kind, "semantic");
    assert.equal(hit?.answer.label, "cancel_order");
    assert.ok(Math.abs((hit?.similarity ?? 0) - 0.97) < 1e-4, String(hit?.similarity));
    assert.equal(
      await cache.get(scope, "please cancel my order", vectorAt(0.94)),
      undefined,
      "below threshold",
    );
  });

  const guarded: [string, string][] = [
    ["refund 20 dollars", "refund 200 dollars"],
    ["I did receive it", "I did not receive it"],
    ["where is order #A123", "where is order #A124"],
  ];
  for (const [stored, asked] of guarded) {
    test(`misses "${asked}" against "${stored}" at similarity 0.99: the guard refuses it`, async () => {
      const cache = createMemoryCache();
      await cache.set(scope, stored, answer("stored"), vectorAt(1));
      assert.equal(await cache.get(scope, asked, vectorAt(0.99)), undefined);
      assert.equal(cache.stats().guardRejections, 1);
    });
  }

  test("returns the most similar candidate that passes the guards, not just the most similar", async () => {
    const cache = createMemoryCache({ semanticThreshold: 0.9 });
    await cache.set(scope, "refund 200 dollars please", answer("wrong amount"), vectorAt(0.999, 8, 1));
    await cache.set(scope, "refund me 20 dollars", answer("right, less similar"), vectorAt(0.95, 8, 2));
    await cache.set(scope, "refund 20 dollars now", answer("right, most similar"), vectorAt(0.98, 8, 3));
    await cache.set(scope, "refund 20 dollars, thanks", answer("too far"), vectorAt(0.5, 8, 4));
    const hit = await cache.get(scope, "refund 20 dollars", vectorAt(1));
    assert.equal(hit?.answer.label, "right, most similar");
    assert.ok(Math.abs((hit?.similarity ?? 0) - 0.98) < 1e-4);
  });

  test("normalizes vectors itself and never matches a zero vector", async () => {
    const cache = createMemoryCache();
    const scaled = vectorAt(1).map((value) => value * 7);
    await cache.set(scope, "reset my password", answer("account"), scaled);
    assert.equal((await cache.get(scope, "reset the password", vectorAt(1)))?.kind, "semantic");
    const zero = new Float32Array(8);
    await cache.set(scope, "zzz qqq", answer("nothing known"), zero);
    assert.equal(await cache.get(scope, "xxx yyy", zero), undefined);
  });

  test("texts longer than maxSemanticTextLength skip the semantic layer; exact entries still work", async () => {
    const cache = createMemoryCache({ maxSemanticTextLength: 20 });
    const long = "please refund my last order";
    await cache.set(scope, long, answer("refund"), vectorAt(1));
    assert.equal((await cache.get(scope, long))?.kind, "exact");
    assert.equal(await cache.get(scope, "refund my last order", vectorAt(1)), undefined);
    await cache.set(scope, "refund my order", answer("refund"), vectorAt(1));
    assert.equal(
      await cache.get(scope, `${long}, now`, vectorAt(1)),
      undefined,
      "a long question is not looked up",
    );
    assert.equal((await cache.get(scope, "refund the order", vectorAt(1)))?.kind, "semantic");
  });

  test("vectors of another length (a new model) replace the old ones instead of being compared", async () => {
    const cache = createMemoryCache();
    await cache.set(scope, "reset my password", answer("account"), vectorAt(1, 8));
    assert.equal(await cache.get(scope, "reset the password", vectorAt(1, 16)), undefined);
    await cache.set(scope, "reset my pin", answer("account"), vectorAt(1, 16));
    assert.equal((await cache.get(scope, "reset the pin", vectorAt(1, 16)))?.kind, "semantic");
    assert.equal(await cache.get(scope, "reset the password", vectorAt(1, 8)), undefined);
  });

  test("vectors of another space (a hot-reloaded model of the same shape) are never compared", async () => {
    const cache = createMemoryCache();
    await cache.set(scope, "reset my password", answer("account"), vectorAt(1), "model-v1");
    // Same length, same coordinates: only the space says the numbers mean something else now.
    assert.equal(await cache.get(scope, "reset the password", vectorAt(1), "model-v2"), undefined);
    assert.equal((await cache.get(scope, "reset the password", vectorAt(1), "model-v1"))?.kind, "semantic");
    // The first vector of the new space replaces the old space's vectors; exact entries survive.
    await cache.set(scope, "reset my pin", answer("account"), vectorAt(1), "model-v2");
    assert.equal(await cache.get(scope, "reset the password", vectorAt(1), "model-v1"), undefined);
    assert.equal((await cache.get(scope, "reset the pin", vectorAt(1), "model-v2"))?.kind, "semantic");
    assert.equal((await cache.get(scope, "reset my password"))?.kind, "exact");
  });
});

describe("semantic index", () => {
  test("a ring: beyond its capacity the oldest vector is overwritten; storing a text again replaces it", () => {
    const index = new SemanticIndex(3);
    const entry = (normalized: string) => ({
      normalized,
      signature: {
        negations: [],
        quantities: [],
        dates: [],
        identifiers: [],
        emails: [],
        entities: [],
        words: [],
      },
      answer: answer(normalized),
      expiresAt: Number.POSITIVE_INFINITY,
    });
    const axes = ["a", "b", "c", "d"];
    axes.forEach((text, axis) => {
      const vector = new Float32Array(4);
      vector[axis] = 1;
      index.add(vector, entry(text));
    });
    assert.equal(index.size, 3);
    const search = (axis: number) => {
      const vector = new Float32Array(4);
      vector[axis] = 1;
      return index.search(vector, { threshold: 0.99, now: 0, accept: () => true })?.entry.normalized;
    };
    assert.deepEqual([0, 1, 2, 3].map(search), [undefined, "b", "c", "d"]);
    const moved = new Float32Array(4);
    moved[0] = 1;
    index.add(moved, entry("c"));
    assert.equal(index.size, 3, "the same text keeps its slot");
    assert.deepEqual([0, 1, 2, 3].map(search), ["c", "b", undefined, "d"]);
  });
});

describe("memory cache with a real native classifier's vectors", () => {
  let model: NativeClassifier;
  before(async () => {
    ({ model } = await trainClassifier(generateSupportData({ perLabel: 40, seed: 3 }), { seed: 1 }));
  });

  function cosine(a: string, b: string): number {
    const [first, second] = model.embed([a, b]) as [Float32Array, Float32Array];
    let dot = 0;
    for (let index = 0; index < first.length; index++)
      dot += (first[index] as number) * (second[index] as number);
    return dot;
  }

  // Pairs that differ only in an amount, a negation, an id, a date or the order of names. The model's vectors
  // often tell these apart already (their content half sees the n-grams); the guard must reject them even when
  // the vectors are identical, so each lookup here reuses the stored text's own vector.
  const guarded: [string, string][] = [
    ["I want a refund of 20 dollars for my order", "I want a refund of 200 dollars for my order"],
    ["I did receive my package", "I did not receive my package"],
    ["Where is my order #A123?", "Where is my order #A124?"],
    ["I was charged twice on March 3", "I was charged twice on March 4"],
    ["The parcel went to Berlin instead of Munich", "The parcel went to Munich instead of Berlin"],
  ];
  for (const [stored, asked] of guarded) {
    test(`misses "${asked}" against "${stored}" even at an identical vector`, async () => {
      const cache = createMemoryCache({ semanticThreshold: 0.9 });
      const [storedVector] = model.embed([stored]) as [Float32Array];
      await cache.set(scope, stored, answer("stored"), storedVector);
      assert.equal(await cache.get(scope, asked, storedVector), undefined);
      assert.equal(cache.stats().guardRejections, 1);
      assert.ok(cosine(stored, asked) < 1, "the texts are different");
    });
  }

  test("hits for a rephrasing that keeps every fact", async () => {
    const cache = createMemoryCache();
    const pairs: [string, string][] = [
      ["cancel my order please", "please cancel my order"],
      ["Where is my order #A123?", "where is my order #A123"],
    ];
    for (const [stored, asked] of pairs) {
      const [storedVector, askedVector] = model.embed([stored, asked]) as [Float32Array, Float32Array];
      await cache.set(scope, stored, answer(stored), storedVector);
      const hit = await cache.get(scope, asked, askedVector);
      assert.equal(hit?.answer.label, stored, `${asked} → ${stored}`);
      assert.ok((hit?.similarity ?? 0) >= 0.95);
    }
  });

  test("a model trained on generic synthetic data gives vectors the cache accepts too", async () => {
    const { model: small } = await trainClassifier(syntheticExamples(30, 1), { seed: 2 });
    const cache = createMemoryCache();
    const [stored, same, other] = small.embed([
      "refund my invoice",
      "refund my invoice please",
      "reset my password",
    ]);
    await cache.set(scope, "refund my invoice", answer("billing"), stored);
    assert.equal((await cache.get(scope, "refund my invoice please", same))?.answer.label, "billing");
    assert.equal(await cache.get(scope, "reset my password", other), undefined);
  });
});
