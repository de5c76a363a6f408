// The gate every escalation passes: the use case's fallback, the budget, the circuit breaker, PII redaction
// and the deadline; it counts what happened to each LLM call.

import { redactPii } from "../data/pii.js";
import { LlmError, llmFailureKind } from "../models/llm-error.js";
import type { FallbackKind, UseCase } from "../spec/schema.js";
import type { Logger } from "../types.js";
import { type Budget, createBudget } from "./budget.js";
import { type CircuitBreaker, createCircuitBreaker } from "./circuit-breaker.js";
import type { RouterStore } from "./router-store.js";

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

export interface LlmGateOptions {
  useCase: UseCase;
  store: RouterStore;
  breaker?: CircuitBreaker;
  budget?: Budget;
  perKeyDailyUsd?: number;
  perKeyMonthlyUsd?: number;
  llmTimeoutMs?: number;
  now: () => number;
  logger: Logger | undefined;
  /** Keeps background work (spend records) for the router's `idle()`. */
  track: (work: Promise<unknown>) => void;
}

export interface LlmGate {
  readonly fallback: FallbackKind;
  readonly llmTimeoutMs: number;
  readonly breaker: CircuitBreaker;
  readonly budget: Budget;
  readonly counters: LlmCounters;
  /**
   * Why the LLM may not be asked now, counting skips: the fallback is not "llm", none is configured, the budget
   * is spent or the circuit is open. Undefined when it may be asked (a half-open circuit's trial is then taken).
   */
  refuse(hasLlm: boolean, apiKeyId: string | null): Promise<string | undefined>;
  /**
   * Calls the LLM within the deadline with the text redacted as the use case says; records the outcome with
   * the breaker and the spend with the budget. Throws LlmError on failure or timeout (LLM_TIMEOUT).
   */
  call<Reply extends { costUsd: number }>(
    model: string,
    call: (text: string, signal: AbortSignal) => Promise<Reply>,
    text: string,
    apiKeyId: string | null,
  ): Promise<Reply>;
  /**
   * Counts a failed escalation and says why: `reason`, the kind of failure a client may be told (`llm_timeout`,
   * `llm_error 500`, `llm_error connection`, …: `llmFailureKind`); `detail`, the same with the LLM's own message
   * (its URL, its error body), for the log row and the server log only.
   */
  describeFailure(error: unknown): { reason: string; detail: string };
  /**
   * Readies the escalation path: warms PII redaction, runs `warmModel`, reads the spend figures and calls the
   * LLM's `warmUp` when it has one. Never throws. Does nothing unless the fallback is "llm" and an LLM is given.
   */
  warmUp(llm: object | undefined, warmModel?: () => void): Promise<void>;
}

export function createLlmGate(options: LlmGateOptions): LlmGate {
  const { useCase, track } = options;
  const fallback: FallbackKind = useCase.routing.fallback;
  const redact = useCase.privacy.redactPii;
  const llmTimeoutMs = options.llmTimeoutMs ?? useCase.llm?.timeoutMs ?? 10_000;
  const breaker = options.breaker ?? createCircuitBreaker();
  const budget = options.budget ?? defaultBudget(options);
  const counters: LlmCounters = {
    calls: 0,
    failures: 0,
    timeouts: 0,
    unsure: 0,
    skippedOpenCircuit: 0,
    skippedBudget: 0,
    costUsd: 0,
  };

  const call = async <Reply extends { costUsd: number }>(
    model: string,
    ask: (text: string, signal: AbortSignal) => Promise<Reply>,
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
    counters.calls += 1;
    let reply: Reply;
    try {
      reply = await withDeadline(ask(outgoing, deadline.signal), deadline.signal, llmTimeoutMs, model);
    } catch (error) {
      breaker.recordFailure();
      throw error;
    } finally {
      clearTimeout(timer);
    }
    breaker.recordSuccess();
    counters.costUsd += reply.costUsd;
    if (reply.costUsd > 0) track(budget.record(apiKeyId, reply.costUsd));
    return reply;
  };

  return {
    fallback,
    llmTimeoutMs,
    breaker,
    budget,
    counters,
    call,

    async refuse(hasLlm, apiKeyId) {
      if (fallback !== "llm") return `fallback is ${fallback}`;
      if (!hasLlm) return "no LLM configured";
      const allowed = await budget.check(apiKeyId);
      if (!allowed.allowed) {
        counters.skippedBudget += 1;
        return `llm skipped: ${allowed.reason}`;
      }
      if (!breaker.allowRequest()) {
        counters.skippedOpenCircuit += 1;
        return "llm skipped: circuit open after repeated failures";
      }
      return undefined;
    },

    describeFailure(error) {
      counters.failures += 1;
      const reason = llmFailureKind(error);
      if (LlmError.isLlmError(error) && error.code === "LLM_TIMEOUT") counters.timeouts += 1;
      return { reason, detail: `${reason} (${describeError(error)})` };
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
  };
}

/** The use case's `budget` caps (none: unlimited) plus the per-key caps, kept in the store. */
function defaultBudget(options: LlmGateOptions): Budget {
  const { useCase, logger } = options;
  return createBudget({
    store: options.store,
    useCaseId: useCase.id,
    limits: {
      ...(useCase.budget?.dailyUsd === undefined ? {} : { dailyUsd: useCase.budget.dailyUsd }),
      ...(useCase.budget?.monthlyUsd === undefined ? {} : { monthlyUsd: useCase.budget.monthlyUsd }),
      ...(options.perKeyDailyUsd === undefined ? {} : { perKeyDailyUsd: options.perKeyDailyUsd }),
      ...(options.perKeyMonthlyUsd === undefined ? {} : { perKeyMonthlyUsd: options.perKeyMonthlyUsd }),
    },
    now: options.now,
    onStoreError: (error, scope) =>
      logger?.warn(
        { err: error, scope, useCaseId: useCase.id },
        "budget: spend store unavailable; using the last figure",
      ),
  });
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

/** An error's message, cut at 200 characters, for the detail of a reason (logs only, never a client). */
export function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > 200 ? `${message.slice(0, 200)}…` : message;
}
