import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { extractionJsonSchema, extractionValidator } from "../../../src/models/gguf/extraction-schema.js";

const fields = [
  { name: "quantity", type: "integer" as const, required: true },
  { name: "date", type: "date" as const },
  { name: "price", type: "number" as const },
];

describe("GGUF extraction schema", () => {
  test("the grammar schema lists every field as required, nullable unless the field is required", () => {
    const schema = extractionJsonSchema(fields);
    assert.deepEqual(schema.required, ["quantity", "date", "price"]);
    assert.equal(schema.additionalProperties, false);
    assert.deepEqual(schema.properties?.quantity, { type: "integer" });
    assert.deepEqual(schema.properties?.price, { type: ["number", "null"] });
  });

  test("zod rejects what llama.cpp's JSON grammar lets through for integers", () => {
    const validator = extractionValidator(fields);
    assert.ok(validator.safeParse({ quantity: 3, date: null, price: 1.5 }).success);
    assert.ok(validator.safeParse({ quantity: 1e3, date: "2024-05-01", price: null }).success);
    // The grammar admits exponents and fractions in an "integer": 1e-3 parses to 0.001.
    assert.equal(
      validator.safeParse({ quantity: JSON.parse("1e-3"), date: null, price: null }).success,
      false,
    );
    assert.equal(validator.safeParse({ quantity: null, date: null, price: null }).success, false);
    assert.equal(validator.safeParse({ quantity: 1, date: null, price: null, extra: 1 }).success, false);
    assert.equal(validator.safeParse({ quantity: 1, date: null }).success, false);
  });
});
