// What a client may use: requests per second (per key, or per address before a key is known), the size of a
// body and the length of an input text. The token buckets themselves are `../rate-limit.ts` (one replica) and
// `../shared-rate-limit.ts` (every replica, through Redis).

import type { ApiKeyRecord } from "../../store/types.js";
import { badRequest, type HttpError, rateLimited } from "../errors.js";
import type { RateLimiter } from "../rate-limit.js";

/** Largest request body, in bytes, unless `AppOptions.bodyLimitBytes` says otherwise. */
export const defaultBodyLimitBytes = 262_144;

/** Longest input text, in characters, unless `AppOptions.maxInputChars` says otherwise. */
export const defaultMaxInputChars = 10_000;

/**
 * Charges one request to its bucket: the key's when the key is known, else the client address's, so requests
 * without a known-good key (guessed keys among them) are throttled before the store is asked. Returns the 429
 * to answer, or undefined when the request may go on.
 */
export function chargeRequest(
  limiter: RateLimiter,
  known: ApiKeyRecord | undefined,
  address: string,
): HttpError | undefined {
  const wait = limiter.take(known === undefined ? `ip:${address}` : `key:${known.id}`);
  return wait > 0 ? rateLimited(wait) : undefined;
}

/** Throws a 400 naming `param` when `text` is longer than `maxInputChars`. */
export function checkInputLength(text: string, maxInputChars: number, param: string): void {
  if (text.length > maxInputChars) {
    throw badRequest(
      "input_too_long",
      `the input has ${text.length} characters; the limit is ${maxInputChars}.`,
      param,
    );
  }
}
