// Records of LLM-style extractors (an endpoint's JSON, a GGUF model's grammar-constrained output) as predictions.

import { checkFieldValues, missingFields } from "./fields.js";
import type { FieldsPrediction, FieldValues } from "./task-model.js";

/** A record that validated, or why none did. */
export type RecordResult =
  | { status: "ok"; value: Record<string, unknown> }
  | { status: "unsure"; reason: string };

/**
 * A validated record as a prediction: used as it is (confidence 1; such models have no calibrated record
 * confidence, so their threshold is 0) when every required field has a value, else refused naming the missing
 * ones. A record that never validated, or whose values do not fit the fields, is unsure: no fields, confidence 0.
 */
export function recordPrediction(
  result: RecordResult,
  fieldNames: readonly string[],
  requiredFields: readonly string[],
): FieldsPrediction {
  const checked = result.status === "ok" ? checkFieldValues(result.value, fieldNames) : undefined;
  if (result.status === "unsure" || checked === undefined || "problem" in checked) {
    const empty: FieldValues = {};
    for (const name of fieldNames) empty[name] = null;
    const refusal = result.status === "unsure" ? result.reason : (checked as { problem: string }).problem;
    return { fields: empty, raw: null, confidence: 0, accepted: false, refusal };
  }
  const missing = missingFields(checked.fields, requiredFields);
  const prediction: FieldsPrediction = {
    fields: checked.fields,
    raw: result.value,
    confidence: 1,
    accepted: missing.length === 0,
  };
  if (missing.length > 0) prediction.refusal = `required fields missing (${missing.join(", ")})`;
  return prediction;
}
