// Mapping between the Store's records and table rows, shared by the SQLite and Postgres backends.

import type {
  AnsweredBy,
  ApiKeyRecord,
  FeedbackEntry,
  RequestLogEntry,
  ReviewItem,
  ReviewStatus,
} from "./types.js";

/** The `requests` columns in insert order; `requestValues` returns values in this order. */
export const requestColumns = [
  "id",
  "use_case_id",
  "api_key_id",
  "created_at",
  "input_hash",
  "input_text",
  "answered_by",
  "reason",
  "label",
  "confidence",
  "threshold",
  "slm_label",
  "slm_confidence",
  "llm_label",
  "latency_ms",
  "input_tokens",
  "output_tokens",
  "cost_usd",
  "model_version",
] as const;

export type RequestValues = (string | number | null)[];

/**
 * A copy of the entry's values taken when it is logged, so a caller that reuses the object cannot change
 * what gets written. `?? null` forgives an `undefined` from untyped callers instead of refusing the row.
 */
export function requestValues(entry: RequestLogEntry): RequestValues {
  return [
    entry.id,
    entry.useCaseId,
    entry.apiKeyId ?? null,
    entry.createdAt,
    entry.inputHash,
    entry.inputText ?? null,
    entry.answeredBy,
    entry.reason,
    entry.label ?? null,
    entry.confidence ?? null,
    entry.threshold ?? null,
    entry.slmLabel ?? null,
    entry.slmConfidence ?? null,
    entry.llmLabel ?? null,
    entry.latencyMs,
    entry.inputTokens,
    entry.outputTokens,
    entry.costUsd,
    entry.modelVersion ?? null,
  ];
}

export interface RequestRow {
  id: string;
  use_case_id: string;
  api_key_id: string | null;
  created_at: number;
  input_hash: string;
  input_text: string | null;
  answered_by: string;
  reason: string;
  label: string | null;
  confidence: number | null;
  threshold: number | null;
  slm_label: string | null;
  slm_confidence: number | null;
  llm_label: string | null;
  latency_ms: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  model_version: string | null;
}

export function requestFromRow(row: RequestRow): RequestLogEntry {
  return {
    id: row.id,
    useCaseId: row.use_case_id,
    apiKeyId: row.api_key_id,
    createdAt: row.created_at,
    inputHash: row.input_hash,
    inputText: row.input_text,
    answeredBy: row.answered_by as AnsweredBy,
    reason: row.reason,
    label: row.label,
    confidence: row.confidence,
    threshold: row.threshold,
    slmLabel: row.slm_label,
    slmConfidence: row.slm_confidence,
    llmLabel: row.llm_label,
    latencyMs: row.latency_ms,
    inputTokens: row.input_tokens,
    outputTokens: row.output_tokens,
    costUsd: row.cost_usd,
    modelVersion: row.model_version,
  };
}

export interface FeedbackRow {
  request_id: string;
  correct: string;
  source: string;
  created_at: number;
}

export function feedbackFromRow(row: FeedbackRow): FeedbackEntry {
  return {
    requestId: row.request_id,
    correct: row.correct,
    source: row.source as FeedbackEntry["source"],
    createdAt: row.created_at,
  };
}

export interface ReviewRow {
  id: string;
  request_id: string;
  use_case_id: string;
  input_text: string;
  slm_label: string | null;
  slm_confidence: number | null;
  llm_label: string | null;
  reason: string;
  status: string;
  resolution: string | null;
  created_at: number;
  resolved_at: number | null;
}

export function reviewFromRow(row: ReviewRow): ReviewItem {
  return {
    id: row.id,
    requestId: row.request_id,
    useCaseId: row.use_case_id,
    inputText: row.input_text,
    slmLabel: row.slm_label,
    slmConfidence: row.slm_confidence,
    llmLabel: row.llm_label,
    reason: row.reason,
    status: row.status as ReviewStatus,
    resolution: row.resolution,
    createdAt: row.created_at,
    resolvedAt: row.resolved_at,
  };
}

export interface ApiKeyRow {
  id: string;
  name: string;
  key_hash: string;
  created_at: number;
  revoked_at: number | null;
}

export function apiKeyFromRow(row: ApiKeyRow): ApiKeyRecord {
  return { id: row.id, name: row.name, createdAt: row.created_at, revokedAt: row.revoked_at };
}

/** The UTC calendar day of a time, `YYYY-MM-DD`: spend is kept per day, and these strings sort by date. */
export function utcDay(at: number): string {
  return new Date(at).toISOString().slice(0, 10);
}

/** Default and largest page sizes of the list reads. */
export const defaultReviewLimit = 100;
export const defaultFeedbackLimit = 1_000;

export function listLimit(limit: number | undefined, fallback: number): number {
  if (limit === undefined || !Number.isFinite(limit)) return fallback;
  return Math.max(0, Math.floor(limit));
}
