// Extraction fields → the JSON schema the grammar constrains generation with, and the zod schema that validates it.

import { z } from "zod";

/** The field types of a use case's extract schema (usecase.yaml `schema.fields[].type`). */
export type ExtractionFieldType =
  | "string"
  | "date"
  | "time"
  | "integer"
  | "number"
  | "money"
  | "quantity"
  | "code";

export interface ExtractionField {
  /** The key in the extracted JSON. */
  name: string;
  type: ExtractionFieldType;
  /** A required field may not be null. Default false. */
  required?: boolean;
  description?: string;
}

/** The longest string value the grammar allows: keeps a rambling model from filling the context. */
const maxStringLength = 200;

/**
 * The JSON-schema subset the grammar gets: a structural match of node-llama-cpp's `GbnfJsonSchema`, declared
 * here so that slmkit's public types never name the optional package.
 */
export type ExtractionPropertySchema =
  | { readonly type: "string"; readonly maxLength?: number; readonly description?: string }
  | {
      readonly type: "integer" | "number" | readonly ("integer" | "number" | "null")[];
      readonly description?: string;
    }
  | { readonly oneOf: readonly ExtractionPropertySchema[]; readonly description?: string }
  | { readonly type: "null" };

export interface ExtractionJsonSchema {
  readonly type: "object";
  readonly properties: Readonly<Record<string, ExtractionPropertySchema>>;
  readonly required: readonly string[];
  readonly additionalProperties: false;
}

function valueSchema(field: ExtractionField): ExtractionPropertySchema {
  const description = field.description === undefined ? {} : { description: field.description };
  switch (field.type) {
    case "integer":
      return { type: field.required ? "integer" : ["integer", "null"], ...description };
    case "number":
      return { type: field.required ? "number" : ["number", "null"], ...description };
    default: {
      const text: ExtractionPropertySchema = { type: "string", maxLength: maxStringLength, ...description };
      return field.required ? text : { oneOf: [text, { type: "null" }] };
    }
  }
}

/** Every key is always present (null when absent) so the output's shape never depends on the model. */
export function extractionJsonSchema(fields: readonly ExtractionField[]): ExtractionJsonSchema {
  const properties: Record<string, ExtractionPropertySchema> = {};
  for (const field of fields) properties[field.name] = valueSchema(field);
  return {
    type: "object",
    properties,
    required: fields.map((field) => field.name),
    additionalProperties: false,
  };
}

function fieldValidator(field: ExtractionField): z.ZodType {
  // llama.cpp's JSON grammar admits exponents and fractions where the schema says integer (e.g. 1e-3):
  // the grammar bounds the shape, zod decides what is valid.
  const base =
    field.type === "integer"
      ? z.number().int().finite()
      : field.type === "number"
        ? z.number().finite()
        : z.string().max(maxStringLength);
  return field.required ? base : base.nullable();
}

/** The strict validator of one extracted record: exactly the fields, each of its type. */
export function extractionValidator(fields: readonly ExtractionField[]): z.ZodType<Record<string, unknown>> {
  const shape: Record<string, z.ZodType> = {};
  for (const field of fields) shape[field.name] = fieldValidator(field);
  return z.strictObject(shape);
}
