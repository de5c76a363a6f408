// The classify task in the pipeline: a label with a calibrated confidence, accepted at the threshold; the LLM
// must name a label of the set.

import type { CacheHit } from "../../cache/types.js";
import type { LlmLabel, LlmLabeler } from "../../models/llm.js";
import type { ClassifyPrediction } from "../../models/task-model.js";
import type { UseCase } from "../../spec/schema.js";
import type { Logger } from "../../types.js";
import type { LlmGate } from "../llm-gate.js";
import type { RouterStore } from "../router-store.js";
import { createShadowSampler, noShadowStats } from "../shadow.js";
import { keepAnswer } from "../stored-text.js";
import type { Escalation, Reply, TaskPolicy } from "./policy.js";

/** What a label policy needs from the router. */
export interface LabelPolicyOptions {
  useCase: UseCase;
  /** The labels the LLM may answer with: the use case's, or the model's when it lists none. */
  labels: readonly string[];
  llm: LlmLabeler | undefined;
  gate: LlmGate;
  store: RouterStore;
  now: () => number;
  logger: Logger | undefined;
}

/** The classify policy. Its view is the prediction itself: reading it costs nothing. */
export function createClassifyPolicy(options: LabelPolicyOptions): TaskPolicy<ClassifyPrediction> {
  const parts = labelPolicyParts(options);
  const policy: TaskPolicy<ClassifyPrediction> = {
    ...parts.shared,
    read: (prediction) => prediction as ClassifyPrediction,
    accepts: (view, threshold) => view.confidence >= threshold,
    unsure: (_view, _threshold, comparison) => comparison,
    answer: (view) => ({ label: view.label, answer: null }),
    escalate: (text, apiKeyId) => parts.escalate(text, apiKeyId, undefined),
    guess: (view) => ({ label: view.label, answer: null }),
  };
  if (parts.shadow !== undefined) policy.shadow = parts.shadow;
  return policy;
}

/** What the classify and answer policies share: the LLM's label, the cache entry, the log row and shadows. */
export function labelPolicyParts(options: LabelPolicyOptions) {
  const { llm, gate } = options;
  const labelSet = new Set(options.labels);
  // The LLM's label as the log and a review item keep it: one outside the set is free text, kept as privacy
  // keeps answers (../stored-text.ts).
  const storedLlmLabel = (label: string | null): string | null =>
    label === null || labelSet.has(label) ? label : keepAnswer(label, options.useCase.privacy);
  const ask = (text: string, apiKeyId: string | null): Promise<LlmLabel> => {
    const labeler = llm as LlmLabeler;
    return gate.call(labeler.model, (outgoing, signal) => labeler.classify(outgoing, signal), text, apiKeyId);
  };
  const sampler =
    llm === undefined
      ? undefined
      : createShadowSampler({
          useCaseId: options.useCase.id,
          gate,
          ask,
          labelSet,
          store: options.store,
          now: options.now,
          logger: options.logger,
        });

  /**
   * Asks the LLM for a label of the set. `answerFor` (answer use cases) turns its label into the FAQ's answer;
   * a label whose answer the text cannot fill sends the request on to review.
   */
  const escalate = async (
    text: string,
    apiKeyId: string | null,
    answerFor: ((label: string, text: string) => string | null) | undefined,
  ): Promise<Escalation> => {
    const refused = await gate.refuse(llm !== undefined, apiKeyId);
    if (refused !== undefined || llm === undefined) return notAsked(refused ?? "no LLM configured");
    let reply: LlmLabel;
    try {
      reply = await ask(text, apiKeyId);
    } catch (error) {
      const failed = gate.describeFailure(error);
      return notAsked(failed.reason, failed.detail);
    }
    const escalation: Escalation = {
      llm: { label: reply.label, model: llm.model },
      inputTokens: reply.inputTokens,
      outputTokens: reply.outputTokens,
      costUsd: reply.costUsd,
      reviewLabel: storedLlmLabel(reply.label),
    };
    const label = reply.label;
    if (label === null || !labelSet.has(label)) {
      gate.counters.unsure += 1;
      escalation.failure = `llm unsure (replied ${JSON.stringify(reply.raw.slice(0, 60))})`;
      return escalation;
    }
    const answer = answerFor === undefined ? null : answerFor(label, text);
    if (answerFor !== undefined && answer === null) {
      escalation.failure = `llm answered "${label}" but the text does not fill that answer's slots`;
      return escalation;
    }
    escalation.answered = {
      reply: { label, answer },
      confidence: reply.confidence,
      reason: `llm answered "${label}"`,
      cached: {
        label,
        ...(answer === null ? {} : { answer }),
        confidence: reply.confidence ?? 1,
        answeredBy: "llm",
      },
    };
    return escalation;
  };

  /** The policy members the classify and answer tasks have alike. */
  const shared = {
    verb: "classify",
    noAnswer: "llm gave no label",
    slmLabel: (view: ClassifyPrediction) => view.label,
    confidence: (view: ClassifyPrediction) => view.confidence,
    fromCache: labelFromCache,
    holding: (holdingAnswer: string): Reply => ({ label: null, answer: holdingAnswer }),
    reviewLabel: (view: ClassifyPrediction) => view.label,
    logged: (reply: Reply, view: ClassifyPrediction, escalation: Escalation | null) => ({
      label: reply.label,
      slmLabel: view.label,
      llmLabel: storedLlmLabel(escalation?.llm?.label ?? null),
      unknownShare: view.unknownShare ?? null,
    }),
    shadowStats: () => sampler?.stats() ?? noShadowStats(),
  };

  return {
    escalate,
    shared,
    shadow:
      sampler === undefined
        ? undefined
        : (
            view: ClassifyPrediction,
            text: string,
            requestId: string,
            apiKeyId: string | null,
            version: string | null,
          ) => sampler.compare(text, view.label, requestId, apiKeyId, version),
  };
}

/** An escalation that got no answer from the LLM: why (and its detail for the log), and nothing spent. */
export function notAsked(failure: string, failureDetail?: string): Escalation {
  const escalation: Escalation = {
    llm: null,
    inputTokens: 0,
    outputTokens: 0,
    costUsd: 0,
    failure,
    reviewLabel: null,
  };
  if (failureDetail !== undefined) escalation.failureDetail = failureDetail;
  return escalation;
}

/** A cached label (and FAQ answer) as a reply. */
export function labelFromCache(hit: CacheHit): Reply {
  return { label: hit.answer.label, answer: hit.answer.answer ?? null };
}
