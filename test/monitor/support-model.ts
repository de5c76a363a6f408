// Shared fixtures of the monitor tests: a small support model trained in-process, and log rows it would write.

import { randomUUID } from "node:crypto";
import type { NativeClassifier } from "../../src/models/native/classifier.js";
import { generateSupportData, supportTemplate } from "../../src/spec/catalog/support.js";
import type { UseCase, UseCaseInput } from "../../src/spec/schema.js";
import { validateUseCase } from "../../src/spec/validate.js";
import type { RequestLogEntry } from "../../src/store/types.js";
import { type TrainedClassifier, trainClassifier } from "../../src/train/train-classifier.js";

/** Trains the support model the monitor tests watch (about a quarter of a second). */
export async function trainSupportModel(): Promise<TrainedClassifier> {
  return trainClassifier(generateSupportData({ seed: 1, perLabel: 40 }), {
    valid: generateSupportData({ seed: 2, perLabel: 15 }),
    seed: 1,
  });
}

/** The texts the reference is built from: the same generator as training, another seed. */
export function referenceTexts(): string[] {
  return generateSupportData({ seed: 3, perLabel: 30 }).map((example) => example.text);
}

/** Traffic drawn from the distribution the model was built for. */
export function sameDistributionTexts(perLabel = 30): string[] {
  return generateSupportData({ seed: 4, perLabel }).map((example) => example.text);
}

export function supportUseCase(monitor: UseCaseInput["monitor"] = {}): UseCase {
  return validateUseCase({
    ...supportTemplate.spec,
    monitor: { ...supportTemplate.spec.monitor, ...monitor },
  });
}

export interface RowOptions {
  /** createdAt of the first row; each next row is 1 ms later. Default 1,700,000,000,000. */
  start?: number;
  modelVersion?: string | null;
  useCaseId?: string;
}

/** The log rows the gateway would write for `texts`, answered by the model or escalated to the LLM. */
export function rowsFor(
  model: NativeClassifier,
  texts: readonly string[],
  options: RowOptions = {},
): RequestLogEntry[] {
  const start = options.start ?? 1_700_000_000_000;
  return texts.map((text, index) => {
    const prediction = model.predictDetailed(text);
    const accepted = prediction.confidence >= model.threshold;
    return {
      id: randomUUID(),
      useCaseId: options.useCaseId ?? "support",
      apiKeyId: null,
      createdAt: start + index,
      inputHash: `hash-${index}`,
      inputText: null,
      answeredBy: accepted ? "slm" : "llm",
      reason: accepted ? "confident" : "escalated",
      label: prediction.label,
      confidence: prediction.confidence,
      threshold: model.threshold,
      slmLabel: prediction.label,
      slmConfidence: prediction.confidence,
      llmLabel: accepted ? null : prediction.label,
      latencyMs: 1,
      inputTokens: 0,
      outputTokens: 0,
      costUsd: 0,
      modelVersion: options.modelVersion === undefined ? "v1" : options.modelVersion,
      unknownShare: prediction.unknownShare,
      inputChars: text.length,
    };
  });
}
