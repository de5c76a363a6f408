// Shadow sampling: the LLM is also asked about a sample of accepted small-model answers, to measure agreement.

import type { LlmLabel } from "../models/llm.js";
import type { ShadowOutcome } from "../store/types.js";
import type { Logger } from "../types.js";
import type { LlmGate } from "./llm-gate.js";
import type { ShadowStats } from "./policies/policy.js";
import type { RouterStore } from "./router-store.js";

export interface ShadowSampler {
  /** Compares the LLM's label with the small model's `slmLabel`; never throws. */
  compare(
    text: string,
    slmLabel: string,
    requestId: string,
    apiKeyId: string | null,
    version: string | null,
  ): Promise<void>;
  stats(): ShadowStats;
}

export function createShadowSampler(options: {
  useCaseId: string;
  gate: LlmGate;
  /** Asks the LLM through the gate; throws LlmError on failure. */
  ask: (text: string, apiKeyId: string | null) => Promise<LlmLabel>;
  labelSet: ReadonlySet<string>;
  store: RouterStore;
  now: () => number;
  logger: Logger | undefined;
}): ShadowSampler {
  const { gate, store, logger } = options;
  const counters = { sent: 0, agreed: 0, disagreed: 0, unsure: 0, failed: 0, skipped: 0 };
  return {
    async compare(text, slmLabel, requestId, apiKeyId, version) {
      const { breaker, budget } = gate;
      // Shadow traffic never takes the half-open trial nor spends past the budget: it is a measurement.
      if (
        breaker.state() !== "closed" ||
        !(await budget.check(apiKeyId)).allowed ||
        !breaker.allowRequest()
      ) {
        counters.skipped += 1;
        return;
      }
      counters.sent += 1;
      let outcome: ShadowOutcome;
      let llmLabel: string | null = null;
      try {
        const reply = await options.ask(text, apiKeyId);
        if (reply.label === null || !options.labelSet.has(reply.label)) outcome = "unsure";
        else {
          llmLabel = reply.label;
          outcome = reply.label === slmLabel ? "agreed" : "disagreed";
        }
      } catch {
        outcome = "failed";
      }
      counters[outcome] += 1;
      // Kept in the store too, so that drift reports see agreement across restarts and replicas.
      if (store.addShadowResult === undefined) return;
      try {
        await store.addShadowResult({
          requestId,
          useCaseId: options.useCaseId,
          slmLabel,
          llmLabel,
          outcome,
          modelVersion: version,
          createdAt: options.now(),
        });
      } catch (error) {
        logger?.warn({ err: error, requestId }, "router: could not record a shadow comparison");
      }
    },

    stats() {
      const { agreed, disagreed } = counters;
      return { ...counters, agreement: agreed + disagreed === 0 ? null : agreed / (agreed + disagreed) };
    },
  };
}

/** The shadow figures of a router that has not sampled (or never does: extract), as a new object each time. */
export function noShadowStats(): ShadowStats {
  return { sent: 0, agreed: 0, disagreed: 0, unsure: 0, failed: 0, skipped: 0, agreement: null };
}
