// An answer model from any classify model and an FAQ: the classifier picks the intent, the FAQ's text answers.

import { createFaqFiller, type FaqAnswer } from "../data/faq.js";
import type { AnswerModel, AnswerPrediction, ClassifyModel, ClassifyPrediction } from "./task-model.js";

/**
 * Answers with `classifier` (a GGUF model scoring the FAQ's labels, say): a prediction is accepted when the
 * classifier accepts it and the text fills the chosen entry's slots; the answer is always the FAQ's own text.
 */
export function answerModelFromClassifier(classifier: ClassifyModel, faq: readonly FaqAnswer[]): AnswerModel {
  const answerFor = createFaqFiller(faq);
  const toAnswer = (prediction: ClassifyPrediction, text: string): AnswerPrediction => {
    const filled = prediction.accepted ? answerFor(prediction.label, text) : null;
    const answered: AnswerPrediction = {
      label: prediction.label,
      confidence: prediction.confidence,
      accepted: filled !== null,
      answer: filled,
    };
    if (prediction.accepted && filled === null)
      answered.refusal = "the text does not fill the answer's slots";
    return answered;
  };
  return {
    task: "answer",
    reference: classifier.reference,
    labels: classifier.labels,
    threshold: classifier.threshold,
    info: classifier.info,
    answerFor,
    async predict(texts, options) {
      const predictions = await classifier.predict(texts, options);
      return predictions.map((prediction, index) => toAnswer(prediction, texts[index] as string));
    },
    dispose: () => classifier.dispose(),
    async [Symbol.asyncDispose]() {
      await classifier.dispose();
    },
  };
}
