// The hybrid router: cache → small model → accept, or escalate to the LLM → else human review; one logged decision per request.

import { createHash, randomUUID } from "node:crypto";
import type { CacheHit, ResponseCache } from "../cache/types.js";
import { redactPii } from "../data/pii.js";
import { SlmkitError } from "../errors.js";
import type { FallbackKind, UseCase } from "../spec/schema.js";
import type { AnsweredBy, RequestLogEntry, ShadowOutcome, Store } from "../store/types.js";
import { normalizeText } from "../text/normalize.js";
import type { ClassPrediction } from "../types.js";
import { type Budget, createBudget } from "./budget.js";
import { type CircuitBreaker, type CircuitBreakerStats, createCircuitBreaker } from "./circuit-breaker.js";
import { LlmError } from "./llm-error.js";
import {
  createMicroBatcher,
  type MicroBatcher,
  type MicroBatcherOptions,
  type MicroBatcherStats,
} from "./micro-batcher.js";
import type { LlmLabel, LlmLabeler, RouteRequest, RouteResult } from "./types.js";

/** What the router needs of the small model; `NativeClassifier` fits, and so does any classify `TaskModel`. */
export interface RouterModel {
  readonly labels: readonly string[];
  /** Calibrated-confidence threshold: predictions at or above it are accepted. */
  readonly threshold: number;
  predict(texts: readonly string[]): Promise<ClassPrediction[]>;
  /** Used instead of `predict` when present: the in-process fast path, no promise per batch. */
  predictSync?(texts: readonly string[]): ClassPrediction[];
  /** Sentence vectors for the semantic cache; without it only exact cache hits happen. */
  embed?(texts: readonly string[]): Float32Array[];
}

/** The part of the Store the router writes to. */
export type RouterStore = Pick<Store, "logRequest" | "enqueueReview" | "addSpend" | "getSpend"> &
  Partial<Pick<Store, "addShadowResult">>;

/** Where the router reports trouble it handles itself (a failing cache, review queue or budget store). pino fits. */
export interface RouterLogger {
  warn(context: object, message: string): void;
  error(context: object, message: string): void;
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
  logger?: RouterLogger;
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
    /** Replies outside the label set. */
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

export interface Router extends AsyncDisposable {
  route(request: RouteRequest): Promise<RouteResult>;
  /** Swaps the small model (hot reload); requests already predicted keep the old model's answer. */
  setModel(model: RouterModel, version: string | null): void;
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

export const defaultHoldingAnswer = "Your request has been passed to a person; we will reply shortly.";

interface ActiveModel {
  model: RouterModel;
  version: string | null;
}

interface SmallModelAnswer {
  prediction: ClassPrediction;
  threshold: number;
  version: string | null;
}

/** How an escalation ended, when it did not end with a label from the LLM. */
interface Escalation {
  llm: LlmLabel | null;
  /** Why nobody could answer, for the reason; undefined when the LLM answered with a label of the set. */
  failure?: string;
}

/**
 * Creates the router of one use case. The policy, in order:
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
 * Every call writes exactly one log row (`store.logRequest`) with the reason; the text only when
 * `privacy.storeText`. Invalid requests (another use case, empty text) throw INVALID_INPUT and log nothing.
 */
export function createRouter(options: RouterOptions): Router {
  const { useCase, store, cache, llm } = options;
  if (useCase.task === "extract") {
    throw new SlmkitError(
      "NOT_SUPPORTED",
      `use case "${useCase.id}" is an extract task; the router routes classify and answer use cases.`,
    );
  }
  const fallback: FallbackKind = useCase.routing.fallback;
  const shadowRate = useCase.routing.shadowRate;
  const redact = useCase.privacy.redactPii;
  const storeText = useCase.privacy.storeText;
  const llmTimeoutMs = options.llmTimeoutMs ?? useCase.llm?.timeoutMs ?? 10_000;
  const holdingAnswer = options.holdingAnswer ?? defaultHoldingAnswer;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const logger = options.logger;
  const breaker = options.breaker ?? createCircuitBreaker();
  const budget =
    options.budget ??
    createBudget({
      store,
      useCaseId: useCase.id,
      limits: {
        ...(useCase.budget?.dailyUsd === undefined ? {} : { dailyUsd: useCase.budget.dailyUsd }),
        ...(useCase.budget?.monthlyUsd === undefined ? {} : { monthlyUsd: useCase.budget.monthlyUsd }),
        ...(options.perKeyDailyUsd === undefined ? {} : { perKeyDailyUsd: options.perKeyDailyUsd }),
        ...(options.perKeyMonthlyUsd === undefined ? {} : { perKeyMonthlyUsd: options.perKeyMonthlyUsd }),
      },
      now,
      onStoreError: (error, scope) =>
        logger?.warn(
          { err: error, scope, useCaseId: useCase.id },
          "budget: spend store unavailable; using the last figure",
        ),
    });

  let active: ActiveModel = { model: options.model, version: options.modelVersion ?? null };
  // The labels the LLM may answer with: the use case's, or the model's when the use case lists none.
  const labelSet = new Set(useCase.labels?.map((label) => label.name) ?? options.model.labels);

  const predictBatch = (texts: string[]): SmallModelAnswer[] | Promise<SmallModelAnswer[]> => {
    // One snapshot per batch: a hot reload between batches never mixes models within one answer.
    const { model, version } = active;
    const pair = (predictions: ClassPrediction[]) =>
      predictions.map((prediction) => ({ prediction, threshold: model.threshold, version }));
    return model.predictSync !== undefined ? pair(model.predictSync(texts)) : model.predict(texts).then(pair);
  };
  const batcher: MicroBatcher<string, SmallModelAnswer> | null =
    options.batching === false ? null : createMicroBatcher(predictBatch, options.batching ?? {});
  const predict = async (text: string): Promise<SmallModelAnswer> => {
    if (batcher !== null) return batcher.submit(text);
    const [answer] = await predictBatch([text]);
    return answer as SmallModelAnswer;
  };

  const counters = {
    requests: 0,
    answeredBy: { slm: 0, cache: 0, llm: 0, review: 0 } as Record<AnsweredBy, number>,
    flagged: 0,
    llm: {
      calls: 0,
      failures: 0,
      timeouts: 0,
      unsure: 0,
      skippedOpenCircuit: 0,
      skippedBudget: 0,
      costUsd: 0,
    },
    shadow: { sent: 0, agreed: 0, disagreed: 0, unsure: 0, failed: 0, skipped: 0 },
  };
  const background = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>): void => {
    const tracked = work.catch(() => undefined).finally(() => background.delete(tracked));
    background.add(tracked);
  };

  /** Asks the LLM under the deadline and the breaker; records spend. Throws LlmError on failure or timeout. */
  const askLlm = async (labeler: LlmLabeler, text: string, apiKeyId: string | null): Promise<LlmLabel> => {
    const outgoing = redact ? redactPii(text) : text;
    // A timer cleared on answer rather than AbortSignal.timeout, whose timers would outlive the calls under load.
    const deadline = new AbortController();
    const timer = setTimeout(
      () => deadline.abort(new DOMException(`no answer within ${llmTimeoutMs} ms`, "TimeoutError")),
      llmTimeoutMs,
    );
    counters.llm.calls += 1;
    let reply: LlmLabel;
    try {
      reply = await withDeadline(
        labeler.classify(outgoing, deadline.signal),
        deadline.signal,
        llmTimeoutMs,
        labeler.model,
      );
    } catch (error) {
      breaker.recordFailure();
      throw error;
    } finally {
      clearTimeout(timer);
    }
    breaker.recordSuccess();
    counters.llm.costUsd += reply.costUsd;
    if (reply.costUsd > 0) track(budget.record(apiKeyId, reply.costUsd));
    return reply;
  };

  const escalate = async (text: string, apiKeyId: string | null): Promise<Escalation> => {
    if (fallback !== "llm") return { llm: null, failure: `fallback is ${fallback}` };
    if (llm === undefined) return { llm: null, failure: "no LLM configured" };
    const allowed = await budget.check(apiKeyId);
    if (!allowed.allowed) {
      counters.llm.skippedBudget += 1;
      return { llm: null, failure: `llm skipped: ${allowed.reason}` };
    }
    if (!breaker.allowRequest()) {
      counters.llm.skippedOpenCircuit += 1;
      return { llm: null, failure: "llm skipped: circuit open after repeated failures" };
    }
    try {
      const reply = await askLlm(llm, text, apiKeyId);
      if (reply.label !== null && labelSet.has(reply.label)) return { llm: reply };
      counters.llm.unsure += 1;
      return { llm: reply, failure: `llm unsure (replied ${JSON.stringify(reply.raw.slice(0, 60))})` };
    } catch (error) {
      counters.llm.failures += 1;
      if (LlmError.isLlmError(error) && error.code === "LLM_TIMEOUT") {
        counters.llm.timeouts += 1;
        return { llm: null, failure: `llm timed out after ${llmTimeoutMs} ms` };
      }
      return { llm: null, failure: `llm failed: ${describeError(error)}` };
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
      counters.shadow.skipped += 1;
      return;
    }
    counters.shadow.sent += 1;
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
    counters.shadow[outcome] += 1;
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
    const result: RouteResult = {
      requestId,
      useCaseId: useCase.id,
      ...outcome,
      threshold: slm.threshold,
      slm: { label: slm.prediction.label, confidence: slm.prediction.confidence },
      latencyMs: performance.now() - started,
      modelVersion: slm.version,
    };
    counters.requests += 1;
    counters.answeredBy[result.answeredBy] += 1;
    if (result.flagged) counters.flagged += 1;
    const entry: RequestLogEntry = {
      id: requestId,
      useCaseId: useCase.id,
      apiKeyId: request.apiKeyId,
      createdAt: now(),
      inputHash: hashInput(text),
      inputText: storeText ? text : null,
      answeredBy: result.answeredBy,
      reason: result.reason,
      label: result.label,
      confidence: result.confidence,
      threshold: result.threshold,
      slmLabel: result.slm.label,
      slmConfidence: result.slm.confidence,
      llmLabel: result.llm?.label ?? null,
      latencyMs: result.latencyMs,
      inputTokens: result.inputTokens,
      outputTokens: result.outputTokens,
      costUsd: result.costUsd,
      modelVersion: result.modelVersion,
      unknownShare: slm.prediction.unknownShare ?? null,
      inputChars: text.length,
    };
    try {
      store.logRequest(entry);
    } catch (error) {
      // The contract says logRequest never throws; a store that does must not fail the request it logs.
      logger?.error({ err: error, requestId }, "router: the store refused a log row");
    }
    return result;
  };

  return {
    async route(request) {
      const started = performance.now();
      if (request.useCaseId !== useCase.id) {
        throw new SlmkitError(
          "INVALID_INPUT",
          `this router serves use case "${useCase.id}", not "${request.useCaseId}".`,
        );
      }
      const text = request.text;
      if (typeof text !== "string" || text.trim() === "") {
        throw new SlmkitError("INVALID_INPUT", "the text to classify is empty; send the message to route.");
      }
      const requestId = request.requestId ?? randomUUID();
      const scope = `${useCase.id}:${request.apiKeyId ?? "local"}`;
      const { model } = active;

      // The prediction runs while the cache is asked: the log wants the small model's view even on a hit.
      const predicted = predict(text);
      // Awaited below; until then a failing model must not count as an unhandled rejection (it would end the process).
      predicted.catch(() => undefined);
      // Exact lookup first: it is cheap. The semantic lookup (a sentence vector and a scan) is only worth its
      // cost for a request the small model would escalate, since only escalated answers are cached.
      const lookUp = async (vector?: Float32Array): Promise<CacheHit | undefined> => {
        if (cache === undefined) return undefined;
        try {
          return await cache.get(scope, text, vector);
        } catch (error) {
          logger?.warn({ err: error, requestId, scope }, "router: cache lookup failed; treated as a miss");
          return undefined;
        }
      };
      let hit = await lookUp();
      const slm = await predicted;
      const { prediction, threshold } = slm;
      const common = { inputTokens: 0, outputTokens: 0, costUsd: 0, reviewId: null, flagged: false } as const;
      const comparison = formatComparison(prediction.confidence, threshold);
      const fromCache = (found: CacheHit): RouteResult => {
        const how = found.kind === "exact" ? "exact" : `semantic, similarity ${found.similarity.toFixed(3)}`;
        return finish(request, requestId, started, text, slm, {
          ...common,
          answeredBy: "cache",
          reason: `cache hit (${how}) of an earlier ${found.answer.answeredBy} answer`,
          label: found.answer.label,
          answer: found.answer.answer ?? null,
          confidence: found.answer.confidence,
          llm: null,
        });
      };
      if (hit !== undefined) return fromCache(hit);

      if (prediction.confidence >= threshold) {
        if (llm !== undefined && shadowRate > 0 && random() < shadowRate) {
          track(shadow(llm, text, slm, requestId, request.apiKeyId));
        }
        return finish(request, requestId, started, text, slm, {
          ...common,
          answeredBy: "slm",
          reason: comparison,
          label: prediction.label,
          answer: null,
          confidence: prediction.confidence,
          llm: null,
        });
      }

      let vector: Float32Array | undefined;
      if (cache !== undefined && model.embed !== undefined) {
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

      if (escalation.failure === undefined && reply !== null && reply.label !== null) {
        const label = reply.label;
        if (cache !== undefined) {
          const cached = { label, confidence: reply.confidence ?? 1, answeredBy: "llm" as const };
          // In the next turn of the event loop, after the reply is on its way: the memory cache writes
          // synchronously (the semantic index checks the text's guards), which the answer need not wait for.
          track(
            nextTurn()
              .then(() => cache.set(scope, text, cached, vector))
              .catch((error: unknown) => {
                logger?.warn({ err: error, requestId, scope }, "router: cache write failed");
              }),
          );
        }
        return finish(request, requestId, started, text, slm, {
          ...spent,
          reviewId: null,
          flagged: false,
          answeredBy: "llm",
          reason: `${comparison}; llm answered "${label}"`,
          label,
          answer: null,
          confidence: reply.confidence,
          llm: llmField,
        });
      }

      let reason = `${comparison}; ${escalation.failure ?? "llm gave no label"}; queued for review`;
      let reviewId: string | null = null;
      try {
        const item = await store.enqueueReview({
          requestId,
          useCaseId: useCase.id,
          // Reviewers need the words the customer wrote, not the redacted copy the LLM saw.
          inputText: text,
          slmLabel: prediction.label,
          slmConfidence: prediction.confidence,
          llmLabel: reply?.label ?? null,
          reason,
        });
        reviewId = item.id;
      } catch (error) {
        reason = `${reason} (review queue unavailable: ${describeError(error)})`;
        logger?.error({ err: error, requestId }, "router: could not queue a request for review");
      }
      const holding = fallback === "review";
      return finish(request, requestId, started, text, slm, {
        ...spent,
        reviewId,
        answeredBy: "review",
        reason,
        label: holding ? null : prediction.label,
        answer: holding ? holdingAnswer : null,
        confidence: holding ? null : prediction.confidence,
        flagged: !holding,
        llm: llmField,
      });
    },

    setModel(model, version) {
      active = { model, version };
    },

    stats() {
      const { agreed, disagreed } = counters.shadow;
      return {
        requests: counters.requests,
        answeredBy: { ...counters.answeredBy },
        flagged: counters.flagged,
        llm: { ...counters.llm },
        shadow: {
          ...counters.shadow,
          agreement: agreed + disagreed === 0 ? null : agreed / (agreed + disagreed),
        },
        breaker: breaker.stats(),
        batcher: batcher?.stats() ?? null,
      };
    },

    async warmUp() {
      if (fallback !== "llm" || llm === undefined) return;
      // First calls compile regular expressions and fill lazy tables (PII patterns, the vectorizer's largest
      // idf): about 10 ms that the first escalation would otherwise wait for.
      redactPii("warm-up: someone@example.com, +1 555 0100");
      active.model.embed?.(["warm-up"]);
      // The spend read uses the store, so close() waits for it; the LLM's warm-up uses only its own client.
      const reading = budget.check(null);
      track(reading);
      const labeler = llm as LlmLabeler & { warmUp?: () => Promise<void> };
      await Promise.allSettled([reading, labeler.warmUp?.()]);
    },

    async idle() {
      while (background.size > 0) await Promise.all([...background]);
      await budget.idle?.();
    },

    async close() {
      await this.idle();
    },

    async [Symbol.asyncDispose]() {
      await this.close();
    },
  };
}

/** Resolves in the event loop's next check phase, after the I/O that is ready now (e.g. sending a reply). */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** sha256 of the normalized text, hex: the log's input hash. */
export function hashInput(text: string): string {
  return createHash("sha256").update(normalizeText(text)).digest("hex");
}

/**
 * The labeler's promise, or an LLM_TIMEOUT when the deadline passes first: a labeler that ignores its signal
 * still cannot hold a request past the deadline.
 */
function withDeadline<T>(
  work: Promise<T>,
  deadline: AbortSignal,
  timeoutMs: number,
  model: string,
): Promise<T> {
  const timeout = () =>
    new LlmError("LLM_TIMEOUT", `${model} did not answer within ${timeoutMs} ms`, { isRetryable: true });
  if (deadline.aborted) return Promise.reject(timeout());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(timeout());
    deadline.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => {
        deadline.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        deadline.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
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

function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > 200 ? `${message.slice(0, 200)}…` : message;
}
