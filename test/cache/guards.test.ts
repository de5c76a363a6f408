import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { canonicalNumber, extractGuardSignature, semanticGuard } from "../../src/cache/guards.js";
import { normalizeText } from "../../src/text/normalize.js";

describe("semantic guard", () => {
  const mustDiffer: [string, string, string][] = [
    ["refund 20 dollars", "refund 200 dollars", "quantities"],
    ["refund $20", "refund €20", "quantities"],
    ["a 10% discount", "a 15% discount", "quantities"],
    ["refund 19.99", "refund 19.90", "quantities"],
    ["transfer 10 then 20", "transfer 20 then 10", "quantities"],
    ["I did receive it", "I did not receive it", "negation"],
    ["I can log in", "I can't log in", "negation"],
    ["I can log in", "I cannot log in", "negation"],
    ["it arrived with the charger", "it arrived without the charger", "negation"],
    ["mi pedido llegó", "mi pedido no llegó", "negation"],
    ["meine Bestellung ist da", "meine Bestellung ist nicht da", "negation"],
    ["Je l’ai reçu", "Je ne l’ai pas reçu", "negation"],
    ["order #A123", "order #A124", "identifiers"],
    ["ticket ORD-2024-001 is open", "ticket ORD-2024-002 is open", "identifiers"],
    ["delivered on 12/03", "delivered on 13/03", "dates"],
    ["delivered on 3 March", "delivered on 4 March", "dates"],
    ["delivered on 2024-03-12", "delivered on 2024-03-13", "dates"],
    ["deliver it on Monday", "deliver it on Tuesday", "dates"],
    ["deliver it today", "deliver it tomorrow", "dates"],
    ["call me at 10am", "call me at 10pm", "dates"],
    ["call me at 14:30", "call me at 15:30", "dates"],
    ["email ann@example.com", "email bob@example.com", "emails"],
    ["my new iPhone broke", "my new Pixel broke", "named entities"],
    ["ship it to Berlin", "ship it to Munich", "named entities"],
    ["from Paris to Berlin", "from Berlin to Paris", "named entities"],
  ];
  for (const [a, b, field] of mustDiffer) {
    test(`refuses "${a}" vs "${b}" (${field})`, () => {
      const verdict = semanticGuard(a, b);
      assert.equal(verdict.ok, false);
      assert.match(verdict.reason ?? "", new RegExp(`^${field}`, "u"));
      assert.equal(semanticGuard(b, a).ok, false, "the guard is symmetric");
    });
  }

  const mayShare: [string, string][] = [
    ["Where is my ORDER?", "where is my order please"],
    ["refund $20", "refund 20 dollars"],
    ["refund USD 20.00", "refund 20 usd"],
    ["a 15% discount", "a 15 percent discount"],
    ["refund 1,000 dollars", "refund $1000"],
    ["I didn't get it", "I never got it"],
    ["I live in Paris", "Paris is where I live"],
    ["call me at 2pm", "call me at 14:00"],
    ["delivered March 3rd", "delivered on 3 March"],
    ["order no. 123 is late", "order 123 is late"],
    ["cancel my order please", "please cancel my order"],
  ];
  for (const [a, b] of mayShare) {
    test(`allows "${a}" vs "${b}"`, () => {
      assert.deepEqual(semanticGuard(a, b), { ok: true });
    });
  }

  test("extracts each fact once, in canonical form and in order", () => {
    const signature = extractGuardSignature(
      "Order #A12345 hasn't arrived since 3 March. I paid €1,299.50 (15% off) to ann@Example.com; " +
        "call me tomorrow at 10am or ship it to Berlin, reference ORD-2024-001.",
    );
    assert.deepEqual(signature.negations, ["hasn't"]);
    assert.deepEqual(signature.quantities, ["1299.5 eur", "15 %"]);
    assert.deepEqual(signature.dates, ["march 3", "tomorrow", "10:00"]);
    assert.deepEqual(signature.identifiers, ["a12345", "ord-2024-001"]);
    assert.deepEqual(signature.emails, ["ann@example.com"]);
    // "Order" starts the text and "I" names nobody; "March" is part of a date.
    assert.deepEqual(signature.entities, ["berlin"]);
  });

  test("reads numbers as values: thousands separators, decimal commas, trailing zeros", () => {
    assert.equal(canonicalNumber("1,000"), "1000");
    assert.equal(canonicalNumber("1,234,567.50"), "1234567.5");
    assert.equal(canonicalNumber("20,50"), "20.5");
    assert.equal(canonicalNumber("20.00"), "20");
    assert.equal(canonicalNumber("10.0"), "10");
    assert.equal(canonicalNumber("007"), "007", "leading zeros matter in codes");
    assert.equal(canonicalNumber("1.500"), "1.500", "1.5 or 1500: kept as written, so it matches neither");
    assert.equal(canonicalNumber("20.50"), "20.5");
  });

  test("Unicode: full-width digits and non-Latin scripts are read, not skipped", () => {
    assert.deepEqual(extractGuardSignature("注文 １２３ 番").quantities, ["123"]);
    assert.equal(semanticGuard("заказ 123", "заказ 124").ok, false);
    assert.equal(semanticGuard("Commande livrée à Genève", "Commande livrée à Zürich").ok, false);
  });

  // Words that are none of the guarded kinds, so generated sentences hold only the facts a property adds.
  const plainWords = [
    "please",
    "my",
    "order",
    "the",
    "refund",
    "help",
    "with",
    "parcel",
    "card",
    "was",
    "it",
  ];
  const sentence = fc.array(
    fc.oneof(
      fc.constantFrom(...plainWords),
      fc.integer({ min: 0, max: 100_000 }).map(String),
      fc.constantFrom("Paris", "Berlin", "iPhone", "$5", "3 March", "Monday", "#A123", "10am"),
    ),
    { minLength: 1, maxLength: 12 },
  );

  test("property: any text passes against itself", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 120 }), (text) => semanticGuard(text, text).ok),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(sentence, (words) => semanticGuard(words.join(" "), words.join(" ")).ok),
      { numRuns: 300 },
    );
  });

  test("property: a text passes against its normalized form (case, width, spacing)", () => {
    fc.assert(
      fc.property(sentence, (words) => {
        const text = words.join("  ");
        return semanticGuard(text, normalizeText(text)).ok;
      }),
      { numRuns: 300 },
    );
  });

  test("property: changing one number makes it fail", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...plainWords), { maxLength: 8 }),
        fc.nat(8),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.integer({ min: 1, max: 1_000 }),
        (words, at, value, change) => {
          const position = Math.min(at, words.length);
          const original = [...words.slice(0, position), String(value), ...words.slice(position)];
          const changed = [...words.slice(0, position), String(value + change), ...words.slice(position)];
          return !semanticGuard(original.join(" "), changed.join(" ")).ok;
        },
      ),
      { numRuns: 500 },
    );
  });

  test('property: adding "not" makes it fail', () => {
    fc.assert(
      fc.property(sentence, fc.nat(12), (words, at) => {
        const position = Math.min(at, words.length);
        const negated = [...words.slice(0, position), "not", ...words.slice(position)];
        return !semanticGuard(words.join(" "), negated.join(" ")).ok;
      }),
      { numRuns: 500 },
    );
  });
});
