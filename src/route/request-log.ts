// What a router records of each request: one log row (text only as privacy allows), review items, and the
// counts behind `stats()`.

import { hash } from "node:crypto";
import type { RequestLogEntry, ReviewItem } from "../store/types.js";
import { normalizeText } from "../text/normalize.js";
import type { AnsweredBy, Logger } from "../types.js";
import { describeError } from "./llm-gate.js";
import type { RouterStore } from "./router-store.js";
import { keepText, type TextCopy } from "./stored-text.js";
import type { RouteResult } from "./types.js";

/** The labels a log row stores, and the small model's share of unknown n-grams (null when it has none). */
export interface LoggedLabels {
  label: string | null;
  slmLabel: string | null;
  llmLabel: string | null;
  unknownShare: number | null;
}

/** A review item as a router queues it: the store adds id, status and times. */
export type ReviewRequest = Omit<ReviewItem, "id" | "status" | "resolution" | "createdAt" | "resolvedAt">;

export interface RequestCounters {
  requests: number;
  answeredBy: Record<AnsweredBy, number>;
  flagged: number;
}

export interface RequestLog {
  readonly counters: RequestCounters;
  /**
   * Counts the decision and writes its one log row, built from the result: the text as `copy` keeps it (see
   * stored-text.ts), its hash and length always. `logged` is what the row stores as labels. A store that
   * throws fails nothing (logged).
   */
  log(result: RouteResult, apiKeyId: string | null, text: string, logged: LoggedLabels): void;
  /**
   * Queues a request for review (`detail`: its reason with what only operators may read, or null); a failing queue
   * is logged and named in the returned reason (`store_unavailable`) and, with the store's error, in its detail.
   */
  queueReview(
    item: ReviewRequest,
    detail: string | null,
  ): Promise<{ reviewId: string | null; reason: string; detail: string | null }>;
}

export function createRequestLog(options: {
  useCaseId: string;
  /** What the log keeps of the text: `logCopy(privacy)`. */
  copy: TextCopy;
  store: RouterStore;
  now: () => number;
  logger: Logger | undefined;
}): RequestLog {
  const { useCaseId, copy, store, now, logger } = options;
  const counters: RequestCounters = {
    requests: 0,
    answeredBy: { slm: 0, cache: 0, llm: 0, review: 0 },
    flagged: 0,
  };
  return {
    counters,

    log(result, apiKeyId, text, logged) {
      counters.requests += 1;
      counters.answeredBy[result.answeredBy] += 1;
      if (result.flagged) counters.flagged += 1;
      const entry: RequestLogEntry = {
        id: result.requestId,
        useCaseId,
        apiKeyId,
        createdAt: now(),
        inputHash: hashInput(text),
        inputText: keepText(text, copy),
        answeredBy: result.answeredBy,
        // Operators read the log: it keeps the detail of a failure that the client's reason only names.
        reason: result.reasonDetail ?? result.reason,
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

    async queueReview(item, detail) {
      try {
        const queued = await store.enqueueReview(item);
        return { reviewId: queued.id, reason: item.reason, detail };
      } catch (error) {
        logger?.error(
          { err: error, requestId: item.requestId },
          "router: could not queue a request for review",
        );
        return {
          reviewId: null,
          reason: `${item.reason} (not queued: store_unavailable)`,
          detail: `${detail ?? item.reason} (not queued: store_unavailable: ${describeError(error)})`,
        };
      }
    },
  };
}

/** sha256 of the normalized text, hex: the log's input hash. One-shot `hash`: no Hash object per request. */
export function hashInput(text: string): string {
  return hash("sha256", normalizeText(text), "hex");
}
