// The hybrid router: cache → small model → accept, or escalate to the LLM → else human review; one logged decision per request.

import type { CacheHit, ResponseCache } from "../cache/types.js";
import { SlmkitError } from "../errors.js";
import type { LlmLabel, LlmLabeler } from "../models/llm.js";
import type { UseCase } from "../spec/schema.js";
import type { ShadowOutcome } from "../store/types.js";
import type { AnsweredBy, ClassPrediction, Logger } from "../types.js";
import type { Budget } from "./budget.js";
import type { CircuitBreaker, CircuitBreakerStats } from "./circuit-breaker.js";
import {
  createMicroBatcher,
  type MicroBatcher,
  type MicroBatcherOptions,
  type MicroBatcherStats,
} from "./micro-batcher.js";
import { createRequestId } from "./request-id.js";
import {
  createRouterCore,
  defaultHoldingAnswer,
  formatComparison,
  hashInput,
  type RouterStore,
  requestText,
} from "./router-core.js";
import type { RouteRequest, RouteResult } from "./types.js";

export { defaultHoldingAnswer, formatComparison, hashInput, type Logger, type RouterStore };

/**
 * A small-model prediction as the router reads it. Answer models (see `createAnswerRouterModel`) add the reply
 * text and, when their gate refused, why.
 */
export interface RouterPrediction extends ClassPrediction {
  /** Answer models: the filled FAQ answer when the whole answer gate passed (`accepted`); null otherwise. */
  answer?: string | null;
  /** Answer models: why a prediction at or above the threshold was still refused, e.g. "retrieval disagrees". */
  refusal?: string;
}

/** What the router needs of the small model; `NativeClassifier` fits, and so does any classify `TaskModel`. */
export interface RouterModel {
  readonly labels: readonly string[];
  /** Calibrated-confidence threshold: predictions at or above it are accepted. */
  readonly threshold: number;
  predict(texts: readonly string[]): Promise<RouterPrediction[]>;
  /** Used instead of `predict` when present: the in-process fast path, no promise per batch. */
  predictSync?(texts: readonly string[]): RouterPrediction[];
  /** Sentence vectors for the semantic cache; without it only exact cache hits happen. */
  embed?(texts: readonly string[]): Float32Array[];
  /**
   * Present on answer models (`createAnswerRouterModel`), and what makes the router answer with FAQ text: a
   * prediction is then accepted only when the model's own gate passed (`accepted` with an `answer`, not just
   * confidence ≥ threshold), and the label an LLM picks is answered with `answerFor(label, text)`, its slots
   * filled from the text; null (a slot the text does not fill) counts as unsure. Absent: classify, the reply
   * is the label.
   */
  answerFor?(label: string, text: string): string | null;
}

export interface RouterOptions {
  /** The validated use case: routing, llm, privacy and budget settings come from it. */
  useCase: UseCase;
  model: RouterModel;
  store: RouterStore;
  /** Response cache; absent: no caching. Scopes are `<useCaseId>:<apiKeyId or "local">`. */
  cache?: ResponseCache;
  /** The escalation LLM; absent: escalations go straight to review. It owns its retries (see `createOpenAiLabeler`). */
  llm?: LlmLabeler;
  /** Default: a breaker with `createCircuitBreaker`'s defaults (5 failures in a row, 50% of 20, 30 s cooldown). */
  breaker?: CircuitBreaker;
  /** Default: the use case's `budget` caps (none: unlimited) plus `perKeyDailyUsd`/`perKeyMonthlyUsd`, kept in `store`. */
  budget?: Budget;
  /** Cap of one API key's daily LLM spend in USD, for the default budget. Default unlimited. */
  perKeyDailyUsd?: number;
  /** Cap of one API key's monthly LLM spend in USD, for the default budget. Default unlimited. */
  perKeyMonthlyUsd?: number;
  /** Deadline of one escalation, retries included, in milliseconds. Default the use case's `llm.timeoutMs` (10,000). */
  llmTimeoutMs?: number;
  /** Micro-batching of small-model predictions, or false to predict each request on its own. Default `{}` (64, 1 ms). */
  batching?: MicroBatcherOptions | false;
  /** The reply when `routing.fallback` is "review". Default "Your request has been passed to a person; we will reply shortly." */
  holdingAnswer?: string;
  /** Milliseconds since the epoch, for log rows. Default `Date.now`. */
  now?: () => number;
  /** Uniform in [0, 1), for shadow sampling. Default `Math.random`. */
  random?: () => number;
  logger?: Logger;
  /** Version of the model, logged with every row (e.g. the data hash). Default null. */
  modelVersion?: string | null;
}

export interface RouterStats {
  requests: number;
  answeredBy: Record<AnsweredBy, number>;
  /** Replies that were the small model's unverified guess. */
  flagged: number;
  llm: {
    calls: number;
    /** Calls that failed after their retries (errors and timeouts). */
    failures: number;
    timeouts: number;
    /** Replies outside the label set (extract: no valid fields). */
    unsure: number;
    skippedOpenCircuit: number;
    skippedBudget: number;
    costUsd: number;
  };
  shadow: ShadowStats;
  breaker: CircuitBreakerStats;
  batcher: MicroBatcherStats | null;
}

/** Agreement of the LLM with accepted small-model answers, on the sampled share `routing.shadowRate`. */
export interface ShadowStats {
  sent: number;
  agreed: number;
  disagreed: number;
  /** The LLM named no label of the set. */
  unsure: number;
  failed: number;
  /** Sampled but not sent: the circuit was not closed or the budget was spent. */
  skipped: number;
  /** agreed / (agreed + disagreed); null before the first comparison. */
  agreement: number | null;
}

/** A router of one use case; `Model` is what `setModel` swaps in (an `ExtractRouterModel` for extract routers). */
export interface Router<Model = RouterModel> extends AsyncDisposable {
  route(request: RouteRequest): Promise<RouteResult>;
  /** Swaps the small model (hot reload); requests already predicted keep the old model's answer. */
  setModel(model: Model, version: string | null): void;
  stats(): RouterStats;
  /**
   * Readies the escalation path so the first escalation does not pay for it: reads the use case's spend
   * figures and calls the LLM's `warmUp` when it has one (the OpenAI labeler's loads its client and opens a
   * connection). Never throws; escalations work without it.
   */
  warmUp(): Promise<void>;
  /** Resolves when background work (shadow calls, cache writes, spend records) has finished. */
  idle(): Promise<void>;
  /** Waits for background work; the store and cache belong to the caller and stay open. */
  close(): Promise<void>;
}

interface ActiveModel {
  model: RouterModel;
  version: string | null;
}

interface SmallModelAnswer {
  prediction: RouterPrediction;
  threshold: number;
  version: string | null;
  /** The answer model's slot filling, from the same model as the prediction; undefined for classify. */
  answerFor: ((label: string, text: string) => string | null) | undefined;
}

/** How an escalation ended, when it did not end with a label from the LLM. */
interface Escalation {
  llm: LlmLabel | null;
  /** Why nobody could answer, for the reason; undefined when the LLM answered with a label of the set. */
  failure?: string;
}

/**
 * Creates the router of one classify or answer use case. The policy, in order:
 * 1. Cache: an exact or semantic hit (scope `<useCaseId>:<apiKeyId or "local">`) answers, `answeredBy: "cache"`.
 * 2. Small model (micro-batched): confidence ≥ threshold answers, `answeredBy: "slm"`. With probability
 *    `routing.shadowRate` the LLM (when given) is also asked in the background to measure agreement (`stats()`).
 * 3. Otherwise, when `routing.fallback` is "llm": if an LLM is given, the budget allows and the circuit lets a
 *    call through, the LLM is asked (PII redacted when `privacy.redactPii`, within `llmTimeoutMs`). A label of
 *    the set answers, `answeredBy: "llm"`, and is cached for the scope. Small-model answers are not cached:
 *    the model is cheaper than a lookup, and a cached guess would outlive a hot-reloaded better model.
 * 4. Otherwise the request is queued for human review (with the original text) and `answeredBy` is "review".
 *    The reply, by `routing.fallback`:
 *    - "llm" (the default): the LLM was tried (or could not be); the small model's best guess, `flagged: true`;
 *    - "slm": the LLM is never asked; the small model's best guess, `flagged: true`;
 *    - "review": the LLM is never asked; `label: null` and the holding answer in `answer`.
 * With an answer model (`RouterModel.answerFor`, see `createAnswerRouterModel`) the reply is FAQ text in
 * `answer`: step 2 also needs the model's whole gate (retrieval agreeing, slots filled), step 3's label is
 * answered with its FAQ entry filled from the text (a slot it cannot fill sends the request on to review), and
 * step 4's guess is the guessed label's answer when the text fills it, else the holding answer.
 * Every call writes exactly one log row (`store.logRequest`) with the reason; the text only when
 * `privacy.storeText`. Invalid requests (another use case, empty text) throw INVALID_INPUT and log nothing.
 */
export function createRouter(options: RouterOptions): Router {
  const { useCase, store, llm } = options;
  if (useCase.task === "extract") {
    throw new SlmkitError(
      "NOT_SUPPORTED",
      `use case "${useCase.id}" is an extract task; route it with createExtractRouter.`,
    );
  }
  const core = createRouterCore(options);
  const { fallback, breaker, budget, counters, now, logger, track } = core;
  const shadowRate = useCase.routing.shadowRate;
  const holdingAnswer = options.holdingAnswer ?? defaultHoldingAnswer;
  const random = options.random ?? Math.random;

  let active: ActiveModel = { model: options.model, version: options.modelVersion ?? null };
  // The labels the LLM may answer with: the use case's, or the model's when the use case lists none.
  const labelSet = new Set(useCase.labels?.map((label) => label.name) ?? options.model.labels);

  const predictBatch = (texts: string[]): SmallModelAnswer[] | Promise<SmallModelAnswer[]> => {
    // One snapshot per batch: a hot reload between batches never mixes models within one answer.
    const { model, version } = active;
    const answerFor = model.answerFor?.bind(model);
    const pair = (predictions: RouterPrediction[]) =>
      predictions.map((prediction) => ({ prediction, threshold: model.threshold, version, answerFor }));
    return model.predictSync !== undefined ? pair(model.predictSync(texts)) : model.predict(texts).then(pair);
  };
  const batcher: MicroBatcher<string, SmallModelAnswer> | null =
    options.batching === false ? null : createMicroBatcher(predictBatch, options.batching ?? {});
  const predict = async (text: string): Promise<SmallModelAnswer> => {
    if (batcher !== null) return batcher.submit(text);
    const [answer] = await predictBatch([text]);
    return answer as SmallModelAnswer;
  };

  const shadowCounters = { sent: 0, agreed: 0, disagreed: 0, unsure: 0, failed: 0, skipped: 0 };

  /** Asks the labeler within the deadline, with PII redacted; records breaker outcome and spend. Throws LlmError on failure or timeout. */
  const askLlm = (labeler: LlmLabeler, text: string, apiKeyId: string | null): Promise<LlmLabel> =>
    core.callLlm(labeler.model, (outgoing, signal) => labeler.classify(outgoing, signal), text, apiKeyId);

  const escalate = async (text: string, apiKeyId: string | null): Promise<Escalation> => {
    const refused = await core.refuseEscalation(llm !== undefined, apiKeyId);
    if (refused !== undefined || llm === undefined)
      return { llm: null, failure: refused ?? "no LLM configured" };
    try {
      const reply = await askLlm(llm, text, apiKeyId);
      if (reply.label !== null && labelSet.has(reply.label)) return { llm: reply };
      counters.llm.unsure += 1;
      return { llm: reply, failure: `llm unsure (replied ${JSON.stringify(reply.raw.slice(0, 60))})` };
    } catch (error) {
      return { llm: null, failure: core.describeFailure(error) };
    }
  };

  const shadow = async (
    labeler: LlmLabeler,
    text: string,
    slm: SmallModelAnswer,
    requestId: string,
    apiKeyId: string | null,
  ) => {
    // Shadow traffic never takes the half-open trial nor spends past the budget: it is a measurement.
    if (breaker.state() !== "closed" || !(await budget.check(apiKeyId)).allowed || !breaker.allowRequest()) {
      shadowCounters.skipped += 1;
      return;
    }
    shadowCounters.sent += 1;
    const slmLabel = slm.prediction.label;
    let outcome: ShadowOutcome;
    let llmLabel: string | null = null;
    try {
      const reply = await askLlm(labeler, text, apiKeyId);
      if (reply.label === null || !labelSet.has(reply.label)) outcome = "unsure";
      else {
        llmLabel = reply.label;
        outcome = reply.label === slmLabel ? "agreed" : "disagreed";
      }
    } catch {
      outcome = "failed";
    }
    shadowCounters[outcome] += 1;
    // Kept in the store too, so that drift reports see agreement across restarts and replicas.
    if (store.addShadowResult !== undefined) {
      try {
        await store.addShadowResult({
          requestId,
          useCaseId: useCase.id,
          slmLabel,
          llmLabel,
          outcome,
          modelVersion: slm.version,
          createdAt: now(),
        });
      } catch (error) {
        logger?.warn({ err: error, requestId }, "router: could not record a shadow comparison");
      }
    }
  };

  const finish = (
    request: RouteRequest,
    requestId: string,
    started: number,
    text: string,
    slm: SmallModelAnswer,
    outcome: Omit<
      RouteResult,
      "requestId" | "useCaseId" | "threshold" | "slm" | "latencyMs" | "modelVersion"
    >,
  ): RouteResult => {
    // Every field named, no spread: spreading the outcome was 4% of the gateway's CPU at peak (V8's slow path).
    const result: RouteResult = {
      requestId,
      useCaseId: useCase.id,
      answeredBy: outcome.answeredBy,
      reason: outcome.reason,
      label: outcome.label,
      answer: outcome.answer,
      confidence: outcome.confidence,
      llm: outcome.llm,
      flagged: outcome.flagged,
      reviewId: outcome.reviewId,
      costUsd: outcome.costUsd,
      inputTokens: outcome.inputTokens,
      outputTokens: outcome.outputTokens,
      threshold: slm.threshold,
      slm: { label: slm.prediction.label, confidence: slm.prediction.confidence },
      latencyMs: performance.now() - started,
      modelVersion: slm.version,
    };
    core.log(result, request.apiKeyId, text, {
      label: result.label,
      slmLabel: result.slm.label,
      llmLabel: result.llm?.label ?? null,
      unknownShare: slm.prediction.unknownShare ?? null,
    });
    return result;
  };

  return {
    async route(request) {
      const started = performance.now();
      const text = requestText(useCase.id, request, "classify");
      const requestId = request.requestId ?? createRequestId();
      const scope = core.cacheScope(request.apiKeyId);
      // The model that makes this request's sentence vector, and its version: the vector's space in the cache.
      const { model, version: vectorModelVersion } = active;
      const vectorSpace = vectorModelVersion ?? undefined;

      // The prediction runs while the cache is asked: the log wants the small model's view even on a hit.
      const predicted = predict(text);
      // Awaited below; until then a failing model must not count as an unhandled rejection (it would end the process).
      predicted.catch(() => undefined);
      // Exact lookup first: it is cheap. The semantic lookup (a sentence vector and a scan) is only worth its
      // cost for a request the small model would escalate, since only escalated answers are cached.
      const lookUp = (vector?: Float32Array): Promise<CacheHit | undefined> =>
        core.lookUp(scope, text, requestId, vector, vectorSpace);
      let hit = await lookUp();
      const slm = await predicted;
      const { prediction, threshold, answerFor } = slm;
      const comparison = formatComparison(prediction.confidence, threshold);
      const fromCache = (found: CacheHit): RouteResult => {
        const how = found.kind === "exact" ? "exact" : `semantic, similarity ${found.similarity.toFixed(3)}`;
        return finish(request, requestId, started, text, slm, {
          inputTokens: 0,
          outputTokens: 0,
          costUsd: 0,
          reviewId: null,
          flagged: false,
          answeredBy: "cache",
          reason: `cache hit (${how}) of an earlier ${found.answer.answeredBy} answer`,
          label: found.answer.label,
          answer: found.answer.answer ?? null,
          confidence: found.answer.confidence,
          llm: null,
        });
      };
      if (hit !== undefined) return fromCache(hit);

      // Classify accepts on confidence alone; an answer model also needs its own gate (retrieval, slots).
      const accepted =
        answerFor === undefined
          ? prediction.confidence >= threshold
          : prediction.accepted && typeof prediction.answer === "string";
      if (accepted) {
        if (llm !== undefined && shadowRate > 0 && random() < shadowRate) {
          track(shadow(llm, text, slm, requestId, request.apiKeyId));
        }
        return finish(request, requestId, started, text, slm, {
          inputTokens: 0,
          outputTokens: 0,
          costUsd: 0,
          reviewId: null,
          flagged: false,
          answeredBy: "slm",
          reason: comparison,
          label: prediction.label,
          answer: answerFor === undefined ? null : (prediction.answer ?? null),
          confidence: prediction.confidence,
          llm: null,
        });
      }
      const unsure =
        answerFor !== undefined && prediction.confidence >= threshold
          ? `${comparison} but ${prediction.refusal ?? "the answer gate refused"}`
          : comparison;

      let vector: Float32Array | undefined;
      if (options.cache !== undefined && model.embed !== undefined) {
        vector = model.embed([text])[0];
        hit = await lookUp(vector);
        if (hit !== undefined) return fromCache(hit);
      }

      const escalation = await escalate(text, request.apiKeyId);
      const reply = escalation.llm;
      const spent = {
        inputTokens: reply?.inputTokens ?? 0,
        outputTokens: reply?.outputTokens ?? 0,
        costUsd: reply?.costUsd ?? 0,
      };
      const llmField = reply === null ? null : { label: reply.label, model: llm?.model ?? "" };

      let failure = escalation.failure;
      if (failure === undefined && reply !== null && reply.label !== null) {
        const label = reply.label;
        const answer = answerFor === undefined ? null : answerFor(label, text);
        if (answerFor !== undefined && answer === null) {
          failure = `llm answered "${label}" but the text does not fill that answer's slots`;
        } else {
          const cached = {
            label,
            ...(answer === null ? {} : { answer }),
            confidence: reply.confidence ?? 1,
            answeredBy: "llm" as const,
          };
          core.cacheLater(scope, text, cached, requestId, vector, vectorSpace);
          return finish(request, requestId, started, text, slm, {
            ...spent,
            reviewId: null,
            flagged: false,
            answeredBy: "llm",
            reason: `${unsure}; llm answered "${label}"`,
            label,
            answer,
            confidence: reply.confidence,
            llm: llmField,
          });
        }
      }

      const queued = await core.queueReview({
        requestId,
        useCaseId: useCase.id,
        // Reviewers need the words the customer wrote, not the redacted copy the LLM saw.
        inputText: text,
        slmLabel: prediction.label,
        slmConfidence: prediction.confidence,
        llmLabel: reply?.label ?? null,
        reason: `${unsure}; ${failure ?? "llm gave no label"}; queued for review`,
      });
      const holding = fallback === "review";
      // An answer model's guess is the guessed intent's answer, when the text fills it.
      const guessedAnswer = holding || answerFor === undefined ? null : answerFor(prediction.label, text);
      return finish(request, requestId, started, text, slm, {
        ...spent,
        reviewId: queued.reviewId,
        answeredBy: "review",
        reason: queued.reason,
        label: holding ? null : prediction.label,
        answer:
          holding || (answerFor !== undefined && guessedAnswer === null) ? holdingAnswer : guessedAnswer,
        confidence: holding ? null : prediction.confidence,
        flagged: !holding,
        llm: llmField,
      });
    },

    setModel(model, version) {
      active = { model, version };
    },

    stats() {
      const { agreed, disagreed } = shadowCounters;
      return {
        requests: counters.requests,
        answeredBy: { ...counters.answeredBy },
        flagged: counters.flagged,
        llm: { ...counters.llm },
        shadow: {
          ...shadowCounters,
          agreement: agreed + disagreed === 0 ? null : agreed / (agreed + disagreed),
        },
        breaker: breaker.stats(),
        batcher: batcher?.stats() ?? null,
      };
    },

    async warmUp() {
      await core.warmUp(llm, () => active.model.embed?.(["warm-up"]));
    },

    async idle() {
      await core.idle();
    },

    async close() {
      await this.idle();
    },

    async [Symbol.asyncDispose]() {
      await this.close();
    },
  };
}
