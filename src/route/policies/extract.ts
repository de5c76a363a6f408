// The extract task in the pipeline: a record of the use case's fields, accepted when its confidence clears the
// threshold and every required field is found; the LLM's record must fit the fields; the log and review items
// keep values only as privacy allows.

import type { CacheHit } from "../../cache/types.js";
import { checkFieldValues, selectFields } from "../../models/fields.js";
import type { LlmExtraction, LlmExtractor } from "../../models/llm.js";
import type { FieldsPrediction, FieldValues } from "../../models/task-model.js";
import type { LlmGate } from "../llm-gate.js";
import { noShadowStats } from "../shadow.js";
import { keepFields, logCopy, type PrivacySettings, reviewCopy } from "../stored-text.js";
import { notAsked } from "./classify.js";
import type { Escalation, Reply, TaskPolicy } from "./policy.js";

/** An extract policy's reading of one prediction: the record in the use case's field order, and as JSON. */
export interface RecordView {
  prediction: FieldsPrediction;
  fields: FieldValues;
  json: string;
}

export function createExtractPolicy(options: {
  /** The fields clients get: the use case's schema, or the model's when the use case lists none. */
  fieldNames: readonly string[];
  privacy: PrivacySettings;
  llm: LlmExtractor | undefined;
  gate: LlmGate;
}): TaskPolicy<RecordView> {
  const { fieldNames, privacy, llm, gate } = options;
  // Field values are words of the text: the log and a review item keep them as they keep the text (without it,
  // which fields were found, not what; see ../stored-text.ts).
  const logCopyOfText = logCopy(privacy);
  const reviewCopyOfText = reviewCopy(privacy);
  const logged = (
    fields: FieldValues | null | undefined,
    text: string,
    spans?: Record<string, unknown> | null,
  ): string | null => {
    if (fields === null || fields === undefined) return null;
    return JSON.stringify(keepFields(fields, logCopyOfText, text, spans));
  };
  const recordReply = (fields: FieldValues, json: string): Reply => ({ label: json, answer: null, fields });

  const escalate = async (text: string, apiKeyId: string | null): Promise<Escalation> => {
    const refused = await gate.refuse(llm !== undefined, apiKeyId);
    if (refused !== undefined || llm === undefined) return notAsked(refused ?? "no LLM configured");
    let reply: LlmExtraction;
    try {
      reply = await gate.call(llm.model, (outgoing, signal) => llm.extract(outgoing, signal), text, apiKeyId);
    } catch (error) {
      const failed = gate.describeFailure(error);
      return notAsked(failed.reason, failed.detail);
    }
    const spent = {
      inputTokens: reply.inputTokens,
      outputTokens: reply.outputTokens,
      costUsd: reply.costUsd,
    };
    const checked = reply.fields === null ? undefined : checkFieldValues(reply.fields, fieldNames);
    if (checked !== undefined && "fields" in checked) {
      const json = JSON.stringify(checked.fields);
      const found = fieldNames.filter((field) => checked.fields[field] !== null).length;
      return {
        llm: { label: json, model: llm.model },
        ...spent,
        answered: {
          reply: recordReply(checked.fields, json),
          confidence: null,
          reason: `llm answered (${found} of ${fieldNames.length} fields)`,
          cached: { label: json, confidence: 1, answeredBy: "llm" },
        },
        reviewLabel: null,
      };
    }
    gate.counters.unsure += 1;
    const why =
      checked === undefined
        ? `no valid fields after ${reply.attempts} attempt${reply.attempts === 1 ? "" : "s"}`
        : checked.problem;
    return {
      llm: { label: null, model: llm.model },
      ...spent,
      failure: `llm unsure (${why})`,
      reviewLabel: null,
    };
  };

  return {
    verb: "extract from",
    noAnswer: "llm gave no fields",
    read(prediction) {
      const fields = selectFields((prediction as FieldsPrediction).fields, fieldNames);
      return { prediction: prediction as FieldsPrediction, fields, json: JSON.stringify(fields) };
    },
    slmLabel: (view) => view.json,
    confidence: (view) => view.prediction.confidence,
    accepts: (view) => view.prediction.accepted,
    unsure: (view, threshold, comparison) =>
      view.prediction.confidence < threshold
        ? comparison
        : `${comparison} but ${view.prediction.refusal ?? "the record was not accepted"}`,
    answer: (view) => recordReply(view.fields, view.json),
    fromCache(hit: CacheHit) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(hit.answer.label);
      } catch {
        return undefined;
      }
      const checked = checkFieldValues(parsed, fieldNames);
      return "fields" in checked ? recordReply(checked.fields, JSON.stringify(checked.fields)) : undefined;
    },
    escalate,
    guess: (view) => recordReply(view.fields, view.json),
    holding: (holdingAnswer) => ({ label: null, answer: holdingAnswer, fields: null }),
    reviewLabel: (view, text) =>
      reviewCopyOfText === "as-written"
        ? view.json
        : JSON.stringify(keepFields(view.fields, reviewCopyOfText, text, view.prediction.raw)),
    // The small model's spans locate its values in the text; the LLM's and the cache's values are found by value.
    logged: (reply, view, escalation, text) => ({
      label: logged(reply.fields, text, reply.fields === view.fields ? view.prediction.raw : null),
      slmLabel: logged(view.fields, text, view.prediction.raw),
      llmLabel: logged(escalation?.answered?.reply.fields, text),
      unknownShare: null,
    }),
    // No shadow sampling for extraction: agreement of two records needs a field-by-field measure.
    shadowStats: noShadowStats,
  };
}
