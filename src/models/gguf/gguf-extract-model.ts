// A GGUF model as an extract model: grammar-constrained JSON of the use case's fields, validated with zod.

import { recordPrediction } from "../records.js";
import type { ExtractModel } from "../task-model.js";
import type { ExtractionField } from "./extraction-schema.js";
import type { ExtractOptions, GgufTaskModel } from "./gguf-model.js";

/**
 * Extracts `fields` with `model` (see `GgufTaskModel.extract`): a record that validates is used as it is when
 * every required field has a value (threshold 0: no calibrated record confidence); one that never validates is
 * unsure. Disposing the extract model disposes `model`.
 */
export function ggufExtractModel(
  model: GgufTaskModel,
  fields: readonly ExtractionField[],
  options: ExtractOptions = {},
): ExtractModel {
  const fieldNames = fields.map((field) => field.name);
  const requiredFields = fields.filter((field) => field.required === true).map((field) => field.name);
  return {
    task: "extract",
    reference: model.reference,
    labels: fieldNames,
    fields: fieldNames,
    requiredFields,
    threshold: 0,
    info: model.info,
    async predict(texts) {
      const results = await model.extract(texts, fields, options);
      return results.map((result) => recordPrediction(result, fieldNames, requiredFields));
    },
    dispose: () => model.dispose(),
    async [Symbol.asyncDispose]() {
      await model.dispose();
    },
  };
}
