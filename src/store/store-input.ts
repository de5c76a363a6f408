// Checks and defaults of the Store's arguments (times, amounts, page sizes, filters), applied before any query
// runs, so every backend refuses and defaults alike.

import { SlmkitError } from "../errors.js";
import type { AnsweredBy } from "../types.js";
import type {
  ApiKeyRole,
  CreateApiKeyOptions,
  ListRequestsFilter,
  RequestFilter,
  ShadowOutcome,
  ShadowResult,
} from "./types.js";

export const answeredByValues: readonly AnsweredBy[] = ["slm", "cache", "llm", "review"];
export const shadowOutcomes: readonly ShadowOutcome[] = ["agreed", "disagreed", "unsure", "failed"];

/** Every role, lowest first. */
export const apiKeyRoles: readonly ApiKeyRole[] = ["client", "reviewer", "admin"];

/** A use case id as usecase.yaml spells it: lowercase letters, digits and dashes. */
const useCaseIdPattern = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/**
 * The role (default "client") and scope (default null, every use case) of a new key, checked: a known role, and
 * a scope of at least one well-formed use case id (repeats dropped), which an admin key cannot have.
 */
export function requireApiKeyOptions(options: CreateApiKeyOptions): {
  role: ApiKeyRole;
  useCases: string[] | null;
} {
  const role = options.role ?? "client";
  if (!apiKeyRoles.includes(role)) {
    throw new SlmkitError(
      "INVALID_INPUT",
      `role must be one of ${apiKeyRoles.join(", ")}; got ${JSON.stringify(role)}.`,
      { field: "role" },
    );
  }
  if (options.useCases === undefined || options.useCases === null) return { role, useCases: null };
  const useCases = [...new Set(options.useCases)];
  const malformed = useCases.find((id) => typeof id !== "string" || !useCaseIdPattern.test(id));
  if (malformed !== undefined || useCases.length === 0) {
    throw new SlmkitError(
      "INVALID_INPUT",
      malformed === undefined
        ? "a scoped key needs at least one use case; leave the scope out for every use case."
        : `${JSON.stringify(malformed)} is not a use case id (lowercase letters, digits and dashes).`,
      { field: "useCases" },
    );
  }
  if (role === "admin") {
    throw new SlmkitError(
      "INVALID_INPUT",
      "an admin key has every use case; scope a client or reviewer key instead.",
      { field: "useCases" },
    );
  }
  return { role, useCases };
}

/** Default page sizes of the list reads. */
export const defaultRequestLimit = 1_000;
export const defaultShadowLimit = 1_000;
export const defaultLabelledLimit = 10_000;
export const defaultReviewLimit = 100;
export const defaultFeedbackLimit = 1_000;
/** Largest page of `listRequests`, `listShadowResults` and `listLabelledRequests`: bounds one read's memory. */
export const maximumListLimit = 100_000;
export const defaultBucketMs = 3_600_000;

/** Rejects a time that is not a finite ms-since-epoch number: it would otherwise match nothing, silently. */
export function requireTime(field: string, value: number): void {
  if (typeof value !== "number" || !Number.isFinite(value) || Math.abs(value) > 8.64e15) {
    throw new SlmkitError("INVALID_INPUT", `${field} must be a time in ms since the epoch; got ${value}.`, {
      field,
    });
  }
}

export function requireSpendInput(usd: number, at: number): void {
  if (typeof usd !== "number" || !Number.isFinite(usd)) {
    throw new SlmkitError("INVALID_INPUT", `spend must be a finite number of USD; got ${usd}.`, {
      field: "usd",
    });
  }
  requireTime("at", at);
}

/** The page size of `listFeedback` and `listReview`, which forgive any number: floored, at least 0. */
export function listLimit(limit: number | undefined, fallback: number): number {
  if (limit === undefined || !Number.isFinite(limit)) return fallback;
  return Math.max(0, Math.floor(limit));
}

/**
 * A page size the caller chose: an integer from 0 to `maximumListLimit`. Refused rather than clamped, so a
 * caller that asks for 500,000 rows learns it gets fewer instead of silently reading a partial range.
 */
export function requireListLimit(limit: number | undefined, fallback: number): number {
  if (limit === undefined) return fallback;
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 0 || limit > maximumListLimit) {
    throw new SlmkitError(
      "INVALID_INPUT",
      `limit must be an integer from 0 to ${maximumListLimit}; got ${limit}. Read larger ranges page by page ` +
        "(e.g. by `since`/`until`).",
      { field: "limit" },
    );
  }
  return limit;
}

/** Checks a range's fields: times that are not finite numbers would silently match nothing. */
export function requireRequestFilter(filter: RequestFilter): void {
  if (filter.useCaseId !== undefined && typeof filter.useCaseId !== "string") {
    throw new SlmkitError("INVALID_INPUT", `useCaseId must be a string; got ${typeof filter.useCaseId}.`, {
      field: "useCaseId",
    });
  }
  if (filter.since !== undefined) requireTime("since", filter.since);
  if (filter.until !== undefined) requireTime("until", filter.until);
}

export function requireListRequestsFilter(filter: ListRequestsFilter): void {
  requireRequestFilter(filter);
  if (filter.answeredBy !== undefined && !answeredByValues.includes(filter.answeredBy)) {
    throw new SlmkitError(
      "INVALID_INPUT",
      `answeredBy must be one of ${answeredByValues.join(", ")}; got ${JSON.stringify(filter.answeredBy)}.`,
      { field: "answeredBy" },
    );
  }
  if (filter.order !== undefined && filter.order !== "newest" && filter.order !== "oldest") {
    throw new SlmkitError(
      "INVALID_INPUT",
      `order must be "newest" or "oldest"; got ${JSON.stringify(filter.order)}.`,
      { field: "order" },
    );
  }
}

/**
 * The bucket width of a summary: a whole number of ms, at least 1 s, so a typo such as `bucketMs: 1` cannot
 * turn a week of traffic into a bucket per row.
 */
export function requireBucketMs(bucketMs: number | undefined): number {
  if (bucketMs === undefined) return defaultBucketMs;
  if (typeof bucketMs !== "number" || !Number.isSafeInteger(bucketMs) || bucketMs < 1_000) {
    throw new SlmkitError(
      "INVALID_INPUT",
      `bucketMs must be a whole number of milliseconds >= 1000 (e.g. 3600000 for hourly buckets); got ${bucketMs}.`,
      { field: "bucketMs" },
    );
  }
  return bucketMs;
}

export function requireShadowResult(result: ShadowResult): void {
  for (const field of ["requestId", "useCaseId", "slmLabel"] as const) {
    if (typeof result[field] !== "string") {
      throw new SlmkitError("INVALID_INPUT", `a shadow result's ${field} must be a string.`, { field });
    }
  }
  if (!shadowOutcomes.includes(result.outcome)) {
    throw new SlmkitError(
      "INVALID_INPUT",
      `a shadow result's outcome must be one of ${shadowOutcomes.join(", ")}; got ${JSON.stringify(result.outcome)}.`,
      { field: "outcome" },
    );
  }
  requireTime("createdAt", result.createdAt);
}
