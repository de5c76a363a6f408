// Adapts the native FAQ answerer to the router: its intent classifier routes, its whole answer gate accepts.

import type { AnswerResult, NativeAnswerer } from "../models/native/answerer.js";
import type { RouterModel, RouterPrediction } from "./router.js";

/**
 * The router's view of an answer model. Predictions are the intent classifier's label and calibrated
 * confidence, `accepted` only when the answerer accepts (confidence ≥ threshold, BM25 retrieval agreeing and
 * every slot filled), with the filled answer; `answerFor` fills the FAQ answer of a label the LLM picked, with
 * the answerer's own slot patterns and fallbacks. `embed` is the classifier's, for the semantic cache.
 */
export function createAnswerRouterModel(answerer: NativeAnswerer): RouterModel {
  const classifier = answerer.classifier;
  const predictSync = (texts: readonly string[]): RouterPrediction[] =>
    answerer.answer(texts).map(toPrediction);
  return {
    labels: answerer.labels,
    threshold: answerer.threshold,
    predictSync,
    predict: async (texts) => predictSync(texts),
    embed: (texts) => classifier.embed(texts),
    // The answerer's own slot filling: one definition of how slots are filled, for its answers and the LLM's.
    answerFor: (label, text) => answerer.fillAnswer(label, text),
  };
}

const refusals: Record<NonNullable<AnswerResult["reason"]>, string> = {
  "low-confidence": "the confidence is too low",
  "retrieval-disagrees": "retrieval (BM25) disagrees",
  "missing-slot": "the text does not fill the answer's slots",
};

function toPrediction(result: AnswerResult): RouterPrediction {
  const prediction: RouterPrediction = {
    label: result.label,
    confidence: result.confidence,
    accepted: result.accepted,
    answer: result.answer,
  };
  if (result.reason !== undefined) prediction.refusal = refusals[result.reason];
  return prediction;
}
