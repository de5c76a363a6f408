// Records of extract models as clients and the log see them: checked against the field names, redacted for the log.

import type { FieldValues } from "./task-model.js";

/** What the log keeps of field values when `privacy.storeText` is false: which fields were found, not what. */
export const redactedFieldValue = "[REDACTED]";

/**
 * Checks that `value` is an object whose keys are all field names and whose values are strings, finite
 * numbers or null; returns it with every field present (absent ones null), or the first problem found.
 */
export function checkFieldValues(
  value: unknown,
  fieldNames: readonly string[],
): { fields: FieldValues } | { problem: string } {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return { problem: "not a JSON object of the fields" };
  const known = new Set(fieldNames);
  const entries = Object.entries(value as Record<string, unknown>);
  const unknown = entries.map(([key]) => key).filter((key) => !known.has(key));
  if (unknown.length > 0) {
    return {
      problem: `${unknown.map((key) => JSON.stringify(key)).join(", ")} ${unknown.length === 1 ? "is not a field" : "are not fields"}; the fields are ${fieldNames.join(", ")}`,
    };
  }
  const fields: FieldValues = {};
  for (const name of fieldNames) fields[name] = null;
  for (const [key, item] of entries) {
    if (item === null || typeof item === "string" || (typeof item === "number" && Number.isFinite(item)))
      fields[key] = item;
    else return { problem: `the value of "${key}" must be a string, a number or null` };
  }
  return { fields };
}

/** The fields as the log keeps them without text: found values replaced, absent ones null. */
export function redactFieldValues(fields: FieldValues): FieldValues {
  const redacted: FieldValues = {};
  for (const [name, value] of Object.entries(fields))
    redacted[name] = value === null ? null : redactedFieldValue;
  return redacted;
}

/** Every name of `fieldNames` → its value in `fields`, null when absent: a record in the use case's field order. */
export function selectFields(fields: FieldValues, fieldNames: readonly string[]): FieldValues {
  const selected: FieldValues = {};
  for (const name of fieldNames) selected[name] = fields[name] ?? null;
  return selected;
}

/** The required fields a record lacks (null or absent), in order. */
export function missingFields(fields: FieldValues, required: readonly string[]): string[] {
  return required.filter((name) => fields[name] === null || fields[name] === undefined);
}
