// The hybrid router, one pipeline for every task: exact cache → model tiers → accept at the calibrated
// threshold → semantic cache → LLM → review; one logged decision per request. The task is a policy (policies/).

import type { CacheHit, ResponseCache } from "../cache/types.js";
import { SlmkitError } from "../errors.js";
import type { LlmExtractor, LlmLabeler } from "../models/llm.js";
import type { FieldsPrediction, PredictOptions } from "../models/task-model.js";
import type { UseCase } from "../spec/schema.js";
import type { AnsweredBy, ClassPrediction, Logger } from "../types.js";
import type { Budget } from "./budget.js";
import { createCacheAccess } from "./cache-access.js";
import type { CircuitBreaker, CircuitBreakerStats } from "./circuit-breaker.js";
import { createLlmGate, type LlmCounters } from "./llm-gate.js";
import type { MicroBatcherOptions, MicroBatcherStats } from "./micro-batcher.js";
import { createAnswerPolicy } from "./policies/answer.js";
import { createClassifyPolicy } from "./policies/classify.js";
import { createExtractPolicy } from "./policies/extract.js";
import type { Escalation, Reply, ShadowStats, TaskPolicy } from "./policies/policy.js";
import { createRequestId } from "./request-id.js";
import { createRequestLog, hashInput } from "./request-log.js";
import type { RouterStore } from "./router-store.js";
import { keepText, logCopy, reviewCopy, type TextCopy } from "./stored-text.js";
import { createTier, type RoutableModel, type Tier, type TierAnswer } from "./tiers.js";
import type { RouteRequest, RouteResult } from "./types.js";

export type { ShadowStats } from "./policies/policy.js";
export { hashInput, type RouterStore };

export const defaultHoldingAnswer = "Your request has been passed to a person; we will reply shortly.";

/**
 * A small-model prediction of a classify or answer use case as the router reads it. Answer models add the
 * reply text and, when their gate refused, why.
 */
export interface RouterPrediction extends ClassPrediction {
  /** Answer models: the filled FAQ answer when the whole answer gate passed (`accepted`); null otherwise. */
  answer?: string | null;
  /** Answer models: why a prediction at or above the threshold was still refused, e.g. "retrieval disagrees". */
  refusal?: string;
}

/**
 * What the router needs of a classify or answer model; every classify and answer `TaskModel` fits. An answer
 * use case's model must have `answerFor` (how an LLM's pick is answered with the FAQ's text).
 */
export interface RouterModel {
  readonly labels: readonly string[];
  /** Calibrated-confidence threshold: predictions at or above it are accepted. */
  readonly threshold: number;
  predict(texts: readonly string[]): Promise<RouterPrediction[]>;
  /** Used instead of `predict` when present: the in-process fast path, no promise per batch. */
  predictSync?(texts: readonly string[]): RouterPrediction[];
  /** Sentence vectors for the semantic cache; without it only exact cache hits happen. */
  embed?(texts: readonly string[]): Float32Array[];
  /** Answer models: the FAQ answer of `label` filled from `text`; null when a slot cannot be filled. */
  answerFor?(label: string, text: string): string | null;
}

/** What the router needs of an extract model; every extract `TaskModel` (the native extractor) fits. */
export interface ExtractRouterModel {
  readonly fields: readonly string[];
  /** Fields a record needs to be accepted, named in the reason when missing. Default none. */
  readonly requiredFields?: readonly string[];
  /** Calibrated record-confidence threshold. */
  readonly threshold: number;
  /** `accepted` must mean: record confidence ≥ threshold and every required field found. */
  predict(texts: readonly string[], options?: PredictOptions): Promise<FieldsPrediction[]>;
  predictSync?(texts: readonly string[], options?: PredictOptions): FieldsPrediction[];
}

export interface RouterOptions<Model = RouterModel | ExtractRouterModel> {
  /** The validated use case: its task picks the policy; routing, llm, privacy and budget settings come from it. */
  useCase: UseCase;
  /** The first (today the only) model tier: a `RouterModel` for classify and answer, an `ExtractRouterModel` for extract. */
  model: Model;
  store: RouterStore;
  /** Response cache; absent: no caching. Scopes are `<useCaseId>:<apiKeyId or "local">`. */
  cache?: ResponseCache;
  /**
   * The escalation LLM: an `LlmLabeler` for classify and answer use cases, an `LlmExtractor` for extract ones;
   * absent: escalations go straight to review. It owns its retries (see `createOpenAiLabeler`).
   */
  llm?: LlmLabeler | LlmExtractor;
  /** More model tiers after `model`, in order: each answers what the tiers before it did not accept. Default none. */
  moreTiers?: readonly { model: Model; version: string | null }[];
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
  llm: LlmCounters;
  shadow: ShadowStats;
  breaker: CircuitBreakerStats;
  batcher: MicroBatcherStats | null;
}

/** A router of one use case; `Model` is what `setModel` swaps in. */
export interface Router<Model = RouterModel | ExtractRouterModel> extends AsyncDisposable {
  route(request: RouteRequest): Promise<RouteResult>;
  /** Swaps the first tier's model (hot reload); requests already predicted keep the old model's answer. */
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

/** What finishing a request needs besides its outcome: who asked, when, and the first tier's answer. */
interface RequestContext<View> {
  request: RouteRequest;
  requestId: string;
  started: number;
  text: string;
  slm: TierAnswer;
  view: View;
}

/**
 * Creates the router of one use case, of any task. The policy, in order:
 * 1. Cache: an exact hit (scope `<useCaseId>:<apiKeyId or "local">`) answers, `answeredBy: "cache"`.
 * 2. Model tiers (micro-batched), in order: an answer the task's policy accepts answers, `answeredBy: "slm"`
 *    (classify: confidence ≥ threshold; answer: the answer model's whole gate, with the FAQ's text; extract: the
 *    record's confidence ≥ threshold and every required field found). With probability `routing.shadowRate`
 *    the LLM is also asked about an accepted classify or answer in the background (`stats().shadow`).
 * 3. Semantic cache, when the first tier's model embeds: a similar earlier LLM answer answers.
 * 4. Otherwise, when `routing.fallback` is "llm": if an LLM is given, the budget allows and the circuit lets a
 *    call through, the LLM is asked (PII redacted when `privacy.redactPii`, within `llmTimeoutMs`). A label of
 *    the set (answer: filled with its FAQ entry; extract: a record that fits the fields) answers,
 *    `answeredBy: "llm"`, and is cached. Small-model answers are not cached: the model is cheaper than a
 *    lookup, and a cached guess would outlive a hot-reloaded better model.
 * 5. Otherwise the request is queued for review (with what privacy lets a review item keep, see
 *    stored-text.ts) and `answeredBy` is "review". The reply, by `routing.fallback`: "llm" or "slm" (the LLM is never asked), the small model's best guess,
 *    `flagged: true`; "review", the holding answer (`label: null`).
 * Every call writes exactly one log row (`store.logRequest`) with the reason; the text only when
 * `privacy.storeText` (redacted when `privacy.redactPii`). Invalid requests (another use case, empty text) throw INVALID_INPUT and log nothing.
 */
export function createRouter<Model extends RouterModel | ExtractRouterModel>(
  options: RouterOptions<Model>,
): Router<Model> {
  const { useCase } = options;
  const now = options.now ?? Date.now;
  const logger = options.logger;
  const background = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>): void => {
    const tracked = work.catch(() => undefined).finally(() => background.delete(tracked));
    background.add(tracked);
  };
  const gate = createLlmGate({ ...options, now, logger, track });
  const policy = createPolicy(options, gate, now) as TaskPolicy<unknown>;
  // An extract model resolves relative dates against the request's day, asked once per batch.
  const predictOptions = useCase.task === "extract" ? () => ({ referenceDate: new Date(now()) }) : undefined;
  const batching = options.batching;
  const tiers: Tier[] = [
    createTier(options.model as RoutableModel, options.modelVersion ?? null, batching, predictOptions),
    ...(options.moreTiers ?? []).map((tier) =>
      createTier(tier.model as RoutableModel, tier.version, batching, predictOptions),
    ),
  ];
  const first = tiers[0] as Tier;
  const steps = createSteps({
    useCase,
    policy,
    tiers,
    cache: createCacheAccess(useCase.id, options.cache, logger, track),
    hasCache: options.cache !== undefined,
    requestLog: createRequestLog({
      useCaseId: useCase.id,
      copy: logCopy(useCase.privacy),
      store: options.store,
      now,
      logger,
    }),
    holdingAnswer: options.holdingAnswer ?? defaultHoldingAnswer,
    reviewCopy: reviewCopy(useCase.privacy),
    fallback: gate.fallback,
    shadowRate: useCase.routing.shadowRate,
    random: options.random ?? Math.random,
    track,
    logger,
  });
  return {
    route: steps.route,
    setModel(model, version) {
      first.setModel(model as RoutableModel, version);
    },
    stats() {
      const { counters } = steps.requestLog;
      return {
        requests: counters.requests,
        answeredBy: { ...counters.answeredBy },
        flagged: counters.flagged,
        llm: { ...gate.counters },
        shadow: policy.shadowStats(),
        breaker: gate.breaker.stats(),
        batcher: first.stats(),
      };
    },
    async warmUp() {
      await gate.warmUp(options.llm, () => first.active().model.embed?.(["warm-up"]));
    },
    async idle() {
      while (background.size > 0) await Promise.all([...background]);
      await gate.budget.idle?.();
    },
    async close() {
      await this.idle();
    },
    async [Symbol.asyncDispose]() {
      await this.close();
    },
  };
}

/** The task's policy, with the LLM of the right kind; a mismatched model or LLM is refused here. */
function createPolicy(
  options: RouterOptions<RouterModel | ExtractRouterModel>,
  gate: ReturnType<typeof createLlmGate>,
  now: () => number,
): TaskPolicy<unknown> {
  const { useCase, llm } = options;
  if (useCase.task === "extract") {
    const model = options.model as ExtractRouterModel;
    if (llm !== undefined && !("extract" in llm)) throw mismatched(useCase, "llm", "an LlmExtractor");
    return createExtractPolicy({
      // The fields clients get: the use case's schema, or the model's when the use case lists none.
      fieldNames: useCase.schema?.fields.map((field) => field.name) ?? [...model.fields],
      privacy: useCase.privacy,
      llm,
      gate,
    }) as TaskPolicy<unknown>;
  }
  const model = options.model as RouterModel;
  if (llm !== undefined && !("classify" in llm)) throw mismatched(useCase, "llm", "an LlmLabeler");
  const labelOptions = {
    useCase,
    labels: useCase.labels?.map((label) => label.name) ?? model.labels,
    llm,
    gate,
    store: options.store,
    now,
    logger: options.logger,
  };
  if (useCase.task === "classify") return createClassifyPolicy(labelOptions) as TaskPolicy<unknown>;
  const answerFor = model.answerFor;
  if (answerFor === undefined) throw mismatched(useCase, "model", "an answer model (with answerFor)");
  return createAnswerPolicy({
    ...labelOptions,
    answerFor: (label, text) => answerFor.call(model, label, text),
  }) as TaskPolicy<unknown>;
}

function mismatched(useCase: UseCase, option: string, wanted: string): SlmkitError {
  return new SlmkitError(
    "INVALID_OPTION",
    `use case "${useCase.id}" is a ${useCase.task} task: its router's ${option} must be ${wanted}.`,
    { field: option },
  );
}

interface StepOptions {
  useCase: UseCase;
  policy: TaskPolicy<unknown>;
  tiers: readonly Tier[];
  cache: ReturnType<typeof createCacheAccess>;
  hasCache: boolean;
  requestLog: ReturnType<typeof createRequestLog>;
  holdingAnswer: string;
  /** What a review item keeps of the text: `reviewCopy(privacy)`. */
  reviewCopy: TextCopy;
  fallback: UseCase["routing"]["fallback"];
  shadowRate: number;
  random: () => number;
  track: (work: Promise<unknown>) => void;
  logger: Logger | undefined;
}

/** The pipeline's steps over the task's policy: `route` runs them in order for one request. */
function createSteps(options: StepOptions) {
  const { useCase, policy, tiers, requestLog } = options;

  const finish: Outcomes["finish"] = (
    context,
    answeredBy,
    reason,
    reply,
    confidence,
    flagged,
    reviewId,
    escalation,
    reasonDetail = null,
  ) => {
    const { slm, view } = context;
    // Every field named, no spread: spreading an outcome was 4% of the gateway's CPU at peak (V8's slow path).
    const result: RouteResult = {
      requestId: context.requestId,
      useCaseId: useCase.id,
      answeredBy,
      reason,
      reasonDetail,
      label: reply.label,
      answer: reply.answer,
      confidence,
      llm: escalation === null ? null : escalation.llm,
      flagged,
      reviewId,
      costUsd: escalation === null ? 0 : escalation.costUsd,
      inputTokens: escalation === null ? 0 : escalation.inputTokens,
      outputTokens: escalation === null ? 0 : escalation.outputTokens,
      threshold: slm.threshold,
      slm: { label: policy.slmLabel(view), confidence: policy.confidence(view) },
      latencyMs: performance.now() - context.started,
      modelVersion: slm.version,
    };
    // Extract use cases only: classify and answer results have no `fields` at all.
    if (reply.fields !== undefined) result.fields = reply.fields;
    requestLog.log(
      result,
      context.request.apiKeyId,
      context.text,
      policy.logged(reply, view, escalation, context.text),
    );
    return result;
  };

  const fromCache = (
    context: RequestContext<unknown>,
    hit: CacheHit,
    scope: string,
  ): RouteResult | undefined => {
    const reply = policy.fromCache(hit);
    if (reply === undefined) {
      options.logger?.warn(
        { requestId: context.requestId, scope },
        "router: a cached answer does not fit this use case; ignored",
      );
      return undefined;
    }
    const how = hit.kind === "exact" ? "exact" : `semantic, similarity ${hit.similarity.toFixed(3)}`;
    const reason = `cache hit (${how}) of an earlier ${hit.answer.answeredBy} answer`;
    return finish(context, "cache", reason, reply, hit.answer.confidence, false, null, null);
  };

  /** Tiers after the first, in order: the first answer one accepts, or undefined with the reasons so far. */
  const laterTiers = async (
    context: RequestContext<unknown>,
    unsure: string,
  ): Promise<{ result?: RouteResult; unsure: string }> => {
    let why = unsure;
    for (let index = 1; index < tiers.length; index++) {
      const answer = await (tiers[index] as Tier).predict(context.text);
      const view = policy.read(answer.prediction);
      const comparison = formatComparison(policy.confidence(view), answer.threshold);
      if (policy.accepts(view, answer.threshold)) {
        const reason = `${why}; tier ${index + 1}: ${comparison}`;
        const result = finish(
          context,
          "slm",
          reason,
          policy.answer(view),
          policy.confidence(view),
          false,
          null,
          null,
        );
        return { result, unsure: why };
      }
      why = `${why}; tier ${index + 1}: ${policy.unsure(view, answer.threshold, comparison)}`;
    }
    return { unsure: why };
  };

  return { route: createRoute(options, { finish, fromCache, laterTiers }), requestLog };
}

/** The pipeline's outcomes, written once: how a request is finished and logged, from the cache or a later tier. */
interface Outcomes {
  finish(
    context: RequestContext<unknown>,
    answeredBy: AnsweredBy,
    reason: string,
    reply: Reply,
    confidence: number | null,
    flagged: boolean,
    reviewId: string | null,
    escalation: Escalation | null,
    reasonDetail?: string | null,
  ): RouteResult;
  fromCache(context: RequestContext<unknown>, hit: CacheHit, scope: string): RouteResult | undefined;
  laterTiers(
    context: RequestContext<unknown>,
    unsure: string,
  ): Promise<{ result?: RouteResult; unsure: string }>;
}

/** `route`: the steps in order for one request. */
function createRoute(
  options: StepOptions,
  outcomes: Outcomes,
): (request: RouteRequest) => Promise<RouteResult> {
  const { useCase, policy, tiers, cache, requestLog, holdingAnswer } = options;
  const { finish, fromCache, laterTiers } = outcomes;
  const first = tiers[0] as Tier;
  return async (request: RouteRequest): Promise<RouteResult> => {
    const started = performance.now();
    const text = requestText(useCase.id, request, policy.verb);
    const requestId = request.requestId ?? createRequestId();
    const scope = cache.scope(request.apiKeyId);
    // The model that makes this request's sentence vector, and its version: the vector's space in the cache.
    const { model: vectorModel, version: vectorModelVersion } = first.active();
    const vectorSpace = vectorModelVersion ?? undefined;

    // The prediction runs while the cache is asked: the log wants the small model's view even on a hit.
    const predicted = first.predict(text);
    // Awaited below; until then a failing model must not count as an unhandled rejection (it would end the process).
    predicted.catch(() => undefined);
    // Exact lookup first: it is cheap. The semantic lookup (a sentence vector and a scan) is only worth its
    // cost for a request the small model would escalate, since only escalated answers are cached.
    let hit = await cache.lookUp(scope, text, requestId, undefined, vectorSpace);
    const slm = await predicted;
    const view = policy.read(slm.prediction);
    const context: RequestContext<unknown> = { request, requestId, started, text, slm, view };
    if (hit !== undefined) {
      const cached = fromCache(context, hit, scope);
      if (cached !== undefined) return cached;
    }
    const confidence = policy.confidence(view);
    const comparison = formatComparison(confidence, slm.threshold);
    if (policy.accepts(view, slm.threshold)) {
      if (policy.shadow !== undefined && options.shadowRate > 0 && options.random() < options.shadowRate) {
        options.track(policy.shadow(view, text, requestId, request.apiKeyId, slm.version));
      }
      return finish(context, "slm", comparison, policy.answer(view), confidence, false, null, null);
    }
    let unsure = policy.unsure(view, slm.threshold, comparison);
    if (tiers.length > 1) {
      const later = await laterTiers(context, unsure);
      if (later.result !== undefined) return later.result;
      unsure = later.unsure;
    }

    let vector: Float32Array | undefined;
    if (options.hasCache && vectorModel.embed !== undefined) {
      vector = vectorModel.embed([text])[0];
      hit = await cache.lookUp(scope, text, requestId, vector, vectorSpace);
      if (hit !== undefined) {
        const cached = fromCache(context, hit, scope);
        if (cached !== undefined) return cached;
      }
    }

    const escalation = await policy.escalate(text, request.apiKeyId);
    const answered = escalation.answered;
    if (answered !== undefined) {
      cache.later(scope, text, answered.cached, requestId, vector, vectorSpace);
      const reason = `${unsure}; ${answered.reason}`;
      return finish(context, "llm", reason, answered.reply, answered.confidence, false, null, escalation);
    }
    // The client and the review item get the kind of failure; the log row and the server log its detail.
    const failureDetail = escalation.failureDetail;
    const detail = failureDetail === undefined ? null : `${unsure}; ${failureDetail}; queued for review`;
    if (failureDetail !== undefined)
      options.logger?.warn(
        { requestId, useCaseId: useCase.id, reason: failureDetail },
        "router: the LLM failed; the request goes to review",
      );
    const queued = await requestLog.queueReview(
      {
        requestId,
        useCaseId: useCase.id,
        // Reviewers need words, but only what the privacy settings let a review item keep (stored-text.ts): the
        // redacted text when redactPii is on, else the text only when storeText is on.
        inputText: keepText(text, options.reviewCopy),
        slmLabel: policy.reviewLabel(view, text),
        slmConfidence: confidence,
        llmLabel: escalation.reviewLabel,
        reason: `${unsure}; ${escalation.failure ?? policy.noAnswer}; queued for review`,
      },
      detail,
    );
    const holding = options.fallback === "review";
    const reply = holding ? policy.holding(holdingAnswer) : policy.guess(view, text, holdingAnswer);
    const replyConfidence = holding ? null : confidence;
    return finish(
      context,
      "review",
      queued.reason,
      reply,
      replyConfidence,
      !holding,
      queued.reviewId,
      escalation,
      queued.detail,
    );
  };
}

/**
 * The text of a request for `useCaseId`; throws INVALID_INPUT for another use case's request or an empty text
 * (`what` completes "the text to … is empty", e.g. "classify").
 */
export function requestText(useCaseId: string, request: RouteRequest, what: string): string {
  if (request.useCaseId !== useCaseId) {
    throw new SlmkitError(
      "INVALID_INPUT",
      `this router serves use case "${useCaseId}", not "${request.useCaseId}".`,
    );
  }
  const text = request.text;
  if (typeof text !== "string" || text.trim() === "") {
    throw new SlmkitError("INVALID_INPUT", `the text to ${what} is empty; send the message to route.`);
  }
  return text;
}

/**
 * "confidence 0.412 < threshold 0.790": three decimals, more when three would print two different numbers
 * alike (0.7896 vs 0.79), so a logged reason never reads "0.790 < 0.790".
 */
export function formatComparison(confidence: number, threshold: number): string {
  const operator = confidence >= threshold ? ">=" : "<";
  let digits = 3;
  while (digits < 17 && confidence !== threshold && confidence.toFixed(digits) === threshold.toFixed(digits))
    digits++;
  return `confidence ${confidence.toFixed(digits)} ${operator} threshold ${threshold.toFixed(digits)}`;
}
