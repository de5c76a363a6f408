// Trains the native answer model: the intent classifier on FAQ questions, then the FAQ and BM25 index beside it.

import { unfillablePlaceholders } from "../data/faq.js";
import { SlmkitError } from "../errors.js";
import {
  defaultRetrievalSettings,
  type FaqAnswer,
  NativeAnswerer,
  type RetrievalDocument,
  type RetrievalSettings,
} from "../models/native/answerer.js";
import { type ModelRecord, sha256 } from "../models/native/model-directory.js";
import type { LabeledExample } from "../types.js";
import { type TrainClassifierOptions, trainClassifier, type ValidationFigures } from "./train-classifier.js";

export interface TrainAnswererOptions extends TrainClassifierOptions {
  /** BM25 and agreement settings. Default k1 1.2, b 0.75, agreementRatio 0.9. */
  retrieval?: Partial<RetrievalSettings>;
}

export interface AnswerValidation {
  /** Share of validation questions answered (the whole gate passed). */
  coverage: number;
  /** Intent accuracy among the answered ones; null when none was answered. */
  acceptedAccuracy: number | null;
}

export interface TrainedAnswerer {
  model: NativeAnswerer;
  /** What `saveNativeAnswerer` records in the manifest. */
  record: ModelRecord;
  /** The intent classifier's validation figures. */
  validation: ValidationFigures;
  /** The answer gate (classifier threshold + BM25 agreement + slots) on the same validation questions. */
  answerValidation: AnswerValidation;
}

/**
 * Trains an answer model: `train` holds `{text, label}` questions, `faq` one `{label, answer}` per intent.
 * Every training label needs an FAQ answer and every `{placeholder}` a slot pattern (INVALID_DATA otherwise,
 * naming them). Deterministic: the same data, options and seed give the same model.
 */
export async function trainAnswerer(
  train: readonly LabeledExample[],
  faq: readonly FaqAnswer[],
  options: TrainAnswererOptions = {},
): Promise<TrainedAnswerer> {
  const answered = new Set(faq.map((entry) => entry.label));
  const unanswered = [...new Set(train.map((example) => example.label))].filter(
    (label) => !answered.has(label),
  );
  if (unanswered.length > 0) {
    throw new SlmkitError(
      "INVALID_DATA",
      `the FAQ has no answer for ${unanswered.map((label) => `"${label}"`).join(", ")}; add a {"label", "answer"} line for each.`,
      { field: "faq" },
    );
  }
  for (const entry of faq) {
    const missing = unfillablePlaceholders(entry);
    if (missing.length > 0) {
      throw new SlmkitError(
        "INVALID_DATA",
        `the FAQ answer for "${entry.label}" uses ${missing.map((name) => `{${name}}`).join(", ")} without a slot pattern; add "slots": {"${missing[0]}": {"pattern": "...", "fallback": "..."}}.`,
        { field: "faq" },
      );
    }
  }
  const trained = await trainClassifier(train, options);
  const retrieval = { ...defaultRetrievalSettings, ...definedOnly(options.retrieval ?? {}) };
  const documents: RetrievalDocument[] = [
    ...train.map((example) => ({ label: example.label, text: example.text })),
    ...faq.map((entry) => ({ label: entry.label, text: entry.answer })),
  ];
  const model = new NativeAnswerer({ classifier: trained.model, faq: [...faq], documents, retrieval });
  const results = model.answer(trained.validationExamples.map((example) => example.text));
  let accepted = 0;
  let right = 0;
  results.forEach((result, index) => {
    if (!result.accepted) return;
    accepted++;
    if (result.label === trained.validationExamples[index]?.label) right++;
  });
  const answerValidation: AnswerValidation = {
    coverage: results.length === 0 ? 0 : accepted / results.length,
    acceptedAccuracy: accepted === 0 ? null : right / accepted,
  };
  const record: ModelRecord = {
    ...trained.record,
    // The answers are part of the model: a changed FAQ is changed training data.
    dataHash: sha256(`${trained.record.dataHash}\n${JSON.stringify(faq)}`),
    validation: {
      ...trained.record.validation,
      answerCoverage: answerValidation.coverage,
      answerAcceptedAccuracy: answerValidation.acceptedAccuracy,
    },
  };
  return { model, record, validation: trained.validation, answerValidation };
}

function definedOnly(settings: Partial<RetrievalSettings>): Partial<RetrievalSettings> {
  return Object.fromEntries(Object.entries(settings).filter(([, value]) => value !== undefined));
}
