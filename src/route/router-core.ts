// What every task's router shares: budget, breaker and deadline of LLM calls, redaction, cache scopes, the review queue and the log.

import { hash } from "node:crypto";
import type { CachedAnswer, CacheHit, ResponseCache } from "../cache/types.js";
import { redactPii } from "../data/pii.js";
import { SlmkitError } from "../errors.js";
import { LlmError } from "../models/llm-error.js";
import type { FallbackKind, UseCase } from "../spec/schema.js";
import type { RequestLogEntry, ReviewItem, Store } from "../store/types.js";
import { normalizeText } from "../text/normalize.js";
import type { AnsweredBy, Logger } from "../types.js";
import { type Budget, createBudget } from "./budget.js";
import { type CircuitBreaker, type CircuitBreakerStats, createCircuitBreaker } from "./circuit-breaker.js";
import type { RouteRequest, RouteResult } from "./types.js";

/** The part of the Store a router writes to. */
export type RouterStore = Pick<Store, "logRequest" | "enqueueReview" | "addSpend" | "getSpend"> &
  Partial<Pick<Store, "addShadowResult">>;

export const defaultHoldingAnswer = "Your request has been passed to a person; we will reply shortly.";

/** The settings every router takes besides its model and LLM; documented on `RouterOptions`. */
export interface RouterCoreOptions {
  useCase: UseCase;
  store: RouterStore;
  cache?: ResponseCache;
  breaker?: CircuitBreaker;
  budget?: Budget;
  perKeyDailyUsd?: number;
  perKeyMonthlyUsd?: number;
  llmTimeoutMs?: number;
  now?: () => number;
  logger?: Logger;
}

/** LLM calls of one router, for `stats()` and metrics. */
export interface LlmCounters {
  calls: number;
  /** Calls that failed after their retries (errors and timeouts). */
  failures: number;
  timeouts: number;
  /** Replies that answered nothing usable (a label outside the set, no valid fields). */
  unsure: number;
  skippedOpenCircuit: number;
  skippedBudget: number;
  costUsd: number;
}

export interface RouterCounters {
  requests: number;
  answeredBy: Record<AnsweredBy, number>;
  flagged: number;
  llm: LlmCounters;
}

/** The labels a log row stores, and the small model's share of unknown n-grams (null when it has none). */
export interface LoggedLabels {
  label: string | null;
  slmLabel: string | null;
  llmLabel: string | null;
  unknownShare: number | null;
}

/** A review item as a router queues it: the store adds id, status and times. */
export type ReviewRequest = Omit<ReviewItem, "id" | "status" | "resolution" | "createdAt" | "resolvedAt">;

export interface RouterCore {
  readonly useCase: UseCase;
  readonly fallback: FallbackKind;
  readonly llmTimeoutMs: number;
  readonly breaker: CircuitBreaker;
  readonly budget: Budget;
  readonly counters: RouterCounters;
  readonly now: () => number;
  readonly logger: Logger | undefined;
  /** Keeps background work (cache writes, spend records, shadow calls) for `idle()`; its failures are dropped. */
  track(work: Promise<unknown>): void;
  /**
   * Why the LLM may not be asked now, counting skips: the fallback is not "llm", none is configured, the budget
   * is spent or the circuit is open. Undefined when it may be asked (a half-open circuit's trial is then taken).
   */
  refuseEscalation(hasLlm: boolean, apiKeyId: string | null): Promise<string | undefined>;
  /**
   * Calls the LLM within the deadline with the text redacted as the use case says; records the outcome with
   * the breaker and the spend with the budget. Throws LlmError on failure or timeout (LLM_TIMEOUT).
   */
  callLlm<Reply extends { costUsd: number }>(
    model: string,
    call: (text: string, signal: AbortSignal) => Promise<Reply>,
    text: string,
    apiKeyId: string | null,
  ): Promise<Reply>;
  /** Counts a failed escalation and says why, for the reason. */
  describeFailure(error: unknown): string;
  /** `<useCaseId>:<apiKeyId or "local">`: cached answers never cross use cases or tenants. */
  cacheScope(apiKeyId: string | null): string;
  /**
   * A cache lookup; a failing cache is a miss, logged. Undefined without a cache. `vectorSpace` is the version
   * of the model that made `vector` (see `ResponseCache.get`).
   */
  lookUp(
    scope: string,
    text: string,
    requestId: string,
    vector?: Float32Array,
    vectorSpace?: string,
  ): Promise<CacheHit | undefined>;
  /** Caches an answer once the reply is on its way; a failing write is logged. No-op without a cache. */
  cacheLater(
    scope: string,
    text: string,
    answer: CachedAnswer,
    requestId: string,
    vector?: Float32Array,
    vectorSpace?: string,
  ): void;
  /** Queues a request for review; a failing queue is logged and named in the returned reason. */
  queueReview(item: ReviewRequest): Promise<{ reviewId: string | null; reason: string }>;
  /**
   * Counts the decision and writes its one log row, built from the result: the text only when
   * `privacy.storeText`, its hash and length always. `logged` is what the row stores as labels (a classify
   * router's labels, an extract router's fields as JSON). A store that throws fails nothing (logged).
   */
  log(result: RouteResult, apiKeyId: string | null, text: string, logged: LoggedLabels): void;
  /**
   * Readies the escalation path: warms PII redaction, runs `warmModel`, reads the spend figures and calls the
   * LLM's `warmUp` when it has one. Never throws. Does nothing unless the fallback is "llm" and an LLM is given.
   */
  warmUp(llm: object | undefined, warmModel?: () => void): Promise<void>;
  breakerStats(): CircuitBreakerStats;
  /** Resolves when background work has finished. */
  idle(): Promise<void>;
}

export function createRouterCore(options: RouterCoreOptions): RouterCore {
  const { useCase, store, cache } = options;
  const fallback: FallbackKind = useCase.routing.fallback;
  const redact = useCase.privacy.redactPii;
  const storeText = useCase.privacy.storeText;
  const llmTimeoutMs = options.llmTimeoutMs ?? useCase.llm?.timeoutMs ?? 10_000;
  const now = options.now ?? Date.now;
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
  const counters: RouterCounters = {
    requests: 0,
    answeredBy: { slm: 0, cache: 0, llm: 0, review: 0 },
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
  };
  const background = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>): void => {
    const tracked = work.catch(() => undefined).finally(() => background.delete(tracked));
    background.add(tracked);
  };

  const callLlm = async <Reply extends { costUsd: number }>(
    model: string,
    call: (text: string, signal: AbortSignal) => Promise<Reply>,
    text: string,
    apiKeyId: string | null,
  ): Promise<Reply> => {
    const outgoing = redact ? redactPii(text) : text;
    // A timer cleared on answer rather than AbortSignal.timeout, whose timers would outlive the calls under load.
    const deadline = new AbortController();
    const timer = setTimeout(
      () => deadline.abort(new DOMException(`no answer within ${llmTimeoutMs} ms`, "TimeoutError")),
      llmTimeoutMs,
    );
    counters.llm.calls += 1;
    let reply: Reply;
    try {
      reply = await withDeadline(call(outgoing, deadline.signal), deadline.signal, llmTimeoutMs, model);
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

  return {
    useCase,
    fallback,
    llmTimeoutMs,
    breaker,
    budget,
    counters,
    now,
    logger,
    track,

    async refuseEscalation(hasLlm, apiKeyId) {
      if (fallback !== "llm") return `fallback is ${fallback}`;
      if (!hasLlm) return "no LLM configured";
      const allowed = await budget.check(apiKeyId);
      if (!allowed.allowed) {
        counters.llm.skippedBudget += 1;
        return `llm skipped: ${allowed.reason}`;
      }
      if (!breaker.allowRequest()) {
        counters.llm.skippedOpenCircuit += 1;
        return "llm skipped: circuit open after repeated failures";
      }
      return undefined;
    },

    callLlm,

    describeFailure(error) {
      counters.llm.failures += 1;
      if (LlmError.isLlmError(error) && error.code === "LLM_TIMEOUT") {
        counters.llm.timeouts += 1;
        return `llm timed out after ${llmTimeoutMs} ms`;
      }
      return `llm failed: ${describeError(error)}`;
    },

    cacheScope(apiKeyId) {
      return `${useCase.id}:${apiKeyId ?? "local"}`;
    },

    async lookUp(scope, text, requestId, vector, vectorSpace) {
      if (cache === undefined) return undefined;
      try {
        return await cache.get(scope, text, vector, vectorSpace);
      } catch (error) {
        logger?.warn({ err: error, requestId, scope }, "router: cache lookup failed; treated as a miss");
        return undefined;
      }
    },

    cacheLater(scope, text, answer, requestId, vector, vectorSpace) {
      if (cache === undefined) return;
      // In the next turn of the event loop, after the reply is on its way: the memory cache writes
      // synchronously (the semantic index checks the text's guards), which the answer need not wait for.
      track(
        nextTurn()
          .then(() => cache.set(scope, text, answer, vector, vectorSpace))
          .catch((error: unknown) => {
            logger?.warn({ err: error, requestId, scope }, "router: cache write failed");
          }),
      );
    },

    async queueReview(item) {
      try {
        const queued = await store.enqueueReview(item);
        return { reviewId: queued.id, reason: item.reason };
      } catch (error) {
        logger?.error(
          { err: error, requestId: item.requestId },
          "router: could not queue a request for review",
        );
        return {
          reviewId: null,
          reason: `${item.reason} (review queue unavailable: ${describeError(error)})`,
        };
      }
    },

    log(result, apiKeyId, text, logged) {
      counters.requests += 1;
      counters.answeredBy[result.answeredBy] += 1;
      if (result.flagged) counters.flagged += 1;
      const entry: RequestLogEntry = {
        id: result.requestId,
        useCaseId: useCase.id,
        apiKeyId,
        createdAt: now(),
        inputHash: hashInput(text),
        inputText: storeText ? text : null,
        answeredBy: result.answeredBy,
        reason: result.reason,
        label: logged.label,
        confidence: result.confidence,
        threshold: result.threshold,
        slmLabel: logged.slmLabel,
        slmConfidence: result.slm.confidence,
        llmLabel: logged.llmLabel,
        latencyMs: result.latencyMs,
        inputTokens: result.inputTokens,
        outputTokens: result.outputTokens,
        costUsd: result.costUsd,
        modelVersion: result.modelVersion,
        unknownShare: logged.unknownShare,
        inputChars: text.length,
      };
      try {
        store.logRequest(entry);
      } catch (error) {
        // The contract says logRequest never throws; a store that does must not fail the request it logs.
        logger?.error({ err: error, requestId: entry.id }, "router: the store refused a log row");
      }
    },

    async warmUp(llm, warmModel) {
      if (fallback !== "llm" || llm === undefined) return;
      // First calls compile regular expressions and fill lazy tables (PII patterns, the vectorizer's largest
      // idf): about 10 ms that the first escalation would otherwise wait for.
      redactPii("warm-up: someone@example.com, +1 555 0100");
      warmModel?.();
      // The spend read uses the store, so close() waits for it; the LLM's warm-up uses only its own client.
      const reading = budget.check(null);
      track(reading);
      const warmable = llm as { warmUp?: () => Promise<void> };
      await Promise.allSettled([reading, warmable.warmUp?.()]);
    },

    breakerStats() {
      return breaker.stats();
    },

    async idle() {
      while (background.size > 0) await Promise.all([...background]);
      await budget.idle?.();
    },
  };
}

/** Resolves in the event loop's next check phase, after the I/O that is ready now (e.g. sending a reply). */
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

export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** sha256 of the normalized text, hex: the log's input hash. One-shot `hash`: no Hash object per request. */
export function hashInput(text: string): string {
  return hash("sha256", normalizeText(text), "hex");
}

/**
 * The LLM's promise, or an LLM_TIMEOUT when the deadline passes first: an LLM client that ignores its signal
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

/** An error's message, cut at 200 characters, for reasons. */
export function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > 200 ? `${message.slice(0, 200)}…` : message;
}
