// Teachers of a distillation: adapters that let a native, GGUF or OpenAI-compatible model label one text.

import { NativeClassifier } from "../../models/native/classifier.js";
import type { OpenAiLabeler } from "../../models/openai/openai-labeler.js";
import type { LabelModel } from "../../models/task-model.js";
import type { ClassPrediction } from "../../types.js";

/** One answer of a teacher about one text. */
export interface TeacherAnswer {
  /** A label of the teacher's set, or null when the teacher named none (an LLM's reply outside the set). */
  label: string | null;
  /** The teacher's confidence in `label`, in [0, 1]; 0 when `label` is null. */
  confidence: number;
  /** The full distribution over labels, when the teacher gives one (the native model does). */
  probabilities?: Record<string, number>;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

/** Anything that can label a text: adapters below wrap a TaskModel or an OpenAI-compatible labeler. */
export interface Teacher {
  /** The model reference, recorded as provenance in every teacher label and in the cache key. */
  readonly reference: string;
  readonly labels: readonly string[];
  /** True when asking again gives the same answer (native models, GGUF at temperature 0): self-consistency is then skipped. */
  readonly deterministic: boolean;
  label(text: string, signal?: AbortSignal): Promise<TeacherAnswer>;
}

/** A model that gives every label's probability through `classify` (a GGUF model does). */
interface DistributionModel {
  classify(texts: readonly string[]): Promise<Array<ClassPrediction & { probabilities?: readonly number[] }>>;
}

function givesDistributions(model: LabelModel): model is LabelModel & DistributionModel {
  return model.task === "classify" && typeof (model as Partial<DistributionModel>).classify === "function";
}

/**
 * A teacher over a loaded TaskModel. A native or GGUF model gives its full calibrated distribution (used as
 * soft labels); other models give their top label and confidence. Local models cost nothing.
 */
export function teacherFromModel(model: LabelModel): Teacher {
  if (model instanceof NativeClassifier) {
    return {
      reference: model.reference,
      labels: model.labels,
      deterministic: true,
      async label(text) {
        const detailed = model.predictDetailed(text);
        const probabilities: Record<string, number> = {};
        model.labels.forEach((name, index) => {
          probabilities[name] = detailed.probabilities[index] as number;
        });
        return {
          label: detailed.label,
          confidence: detailed.confidence,
          probabilities,
          inputTokens: 0,
          outputTokens: 0,
          costUsd: 0,
        };
      },
    };
  }
  if (givesDistributions(model)) {
    return {
      reference: model.reference,
      labels: model.labels,
      // Scoring every label's likelihood samples nothing, but a model of unknown kind is not trusted to repeat.
      deterministic: false,
      async label(text) {
        const [prediction] = await model.classify([text]);
        if (prediction === undefined || !model.labels.includes(prediction.label)) {
          return { label: null, confidence: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };
        }
        const distribution = prediction.probabilities;
        const probabilities: Record<string, number> = {};
        if (distribution !== undefined && distribution.length === model.labels.length) {
          model.labels.forEach((name, index) => {
            probabilities[name] = distribution[index] as number;
          });
        }
        return {
          label: prediction.label,
          confidence: prediction.confidence,
          ...(Object.keys(probabilities).length === 0 ? {} : { probabilities }),
          inputTokens: 0,
          outputTokens: 0,
          costUsd: 0,
        };
      },
    };
  }
  return {
    reference: model.reference,
    labels: model.labels,
    // A TaskModel of unknown kind may sample; assume it can disagree with itself.
    deterministic: false,
    async label(text) {
      const [prediction] = await model.predict([text]);
      if (prediction === undefined || prediction.label === "" || !model.labels.includes(prediction.label)) {
        return { label: null, confidence: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };
      }
      return {
        label: prediction.label,
        confidence: prediction.confidence,
        inputTokens: 0,
        outputTokens: 0,
        costUsd: 0,
      };
    },
  };
}

/**
 * A teacher over an OpenAI-compatible labeler, with the exact tokens and cost of every call. Confidence is
 * the label's probability from logprobs when the server gives them, otherwise 1. The labeler asks at
 * temperature 0, so answers repeat on most servers; self-consistency still runs (servers are not
 * guaranteed deterministic) but usually agrees with itself.
 */
export function teacherFromLabeler(labeler: OpenAiLabeler): Teacher {
  return {
    reference: labeler.reference,
    labels: labeler.labels,
    deterministic: false,
    async label(text, signal) {
      const reply = await labeler.classify(text, signal);
      return {
        label: reply.label,
        confidence: reply.label === null ? 0 : (reply.confidence ?? 1),
        inputTokens: reply.inputTokens,
        outputTokens: reply.outputTokens,
        costUsd: reply.costUsd,
      };
    },
  };
}
