import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { redactedFieldValue } from "../../src/models/fields.js";
import {
  keepAnswer,
  keepFields,
  keepText,
  logCopy,
  reviewCopy,
  strictestPrivacy,
} from "../../src/route/stored-text.js";

const text = "table for Lena, call +44 20 7946 0958 or pay with 4111 1111 1111 1111";

describe("the privacy rule of stored copies", () => {
  test("the log keeps text only with storeText, redacted with redactPii; a review item keeps the redacted text whenever redactPii is on", () => {
    const table = [
      [{ storeText: false, redactPii: true }, "none", "redacted"],
      [{ storeText: false, redactPii: false }, "none", "none"],
      [{ storeText: true, redactPii: true }, "redacted", "redacted"],
      [{ storeText: true, redactPii: false }, "as-written", "as-written"],
    ] as const;
    for (const [privacy, log, review] of table) {
      assert.equal(logCopy(privacy), log, JSON.stringify(privacy));
      assert.equal(reviewCopy(privacy), review, JSON.stringify(privacy));
    }
    assert.equal(logCopy(strictestPrivacy), "none");
  });

  test("keepText: as written, with every PII item replaced, or nothing", () => {
    assert.equal(keepText(text, "as-written"), text);
    assert.equal(keepText(text, "redacted"), "table for Lena, call [PHONE] or pay with [CARD]");
    assert.equal(keepText(text, "none"), null);
  });

  test("keepFields: values kept as the text is; a span that cut a PII item in two is redacted in the text", () => {
    const fields = { name: "Lena", contact: "+44 20 7946 0958 or pay with 4111 1111", people: 4, date: null };
    assert.deepEqual(keepFields(fields, "as-written", text), fields);
    assert.deepEqual(keepFields(fields, "none", text), {
      name: redactedFieldValue,
      contact: redactedFieldValue,
      people: redactedFieldValue,
      date: null,
    });
    // "4111 1111" alone is no card number: only the text shows that it is part of one.
    assert.deepEqual(keepFields(fields, "redacted", text), {
      name: "Lena",
      contact: "[PHONE] or pay with [CARD]",
      people: 4,
      date: null,
    });
    // Without the text, each value is redacted on its own.
    assert.deepEqual(keepFields({ card: 4111111111111111, phone: "+44 20 7946 0958" }, "redacted"), {
      card: "[CARD]",
      phone: "[PHONE]",
    });
    // The model's span words locate a value it normalized (here a number read from part of the card).
    assert.deepEqual(keepFields({ people: 4111 }, "redacted", text, { people: "4111 1111" }), {
      people: "[CARD]",
    });
  });

  test("keepAnswer: a label or answer given by a person is PII-redacted when redactPii is on", () => {
    assert.equal(keepAnswer("refund, call +44 20 7946 0958", strictestPrivacy), "refund, call [PHONE]");
    assert.equal(keepAnswer("refund", strictestPrivacy), "refund");
    const asGiven = { storeText: false, redactPii: false };
    assert.equal(keepAnswer("refund, call +44 20 7946 0958", asGiven), "refund, call +44 20 7946 0958");
  });
});
