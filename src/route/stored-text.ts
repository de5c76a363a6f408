// What of a request's words may be kept at rest: the one rule every stored copy follows (the log, review items,
// feedback, resolutions), from the use case's `privacy` settings.
//
// - The request log keeps the text only with `storeText`, and then PII-redacted when `redactPii` is on.
// - A review item keeps the redacted text when `redactPii` is on (a reviewer needs the words, not the card
//   number), the text as written only when `storeText` is on and `redactPii` off, and no text otherwise: the
//   reviewer then decides from the small model's and the LLM's answers.
// - An extract use case's field values are words of the text: each copy keeps them as it keeps the text, and
//   where it keeps no text it keeps which fields were found, not what (`[REDACTED]`).
// - Labels and answers people or the LLM give (feedback, resolutions, an LLM's label outside the set) are kept
//   PII-redacted when `redactPii` is on.
// - `slmkit logs purge` removes every copy's text and records after `retentionDays` (Store.purgeText).

import { findPii, type PiiMatch, piiPlaceholders, redactPii } from "../data/pii.js";
import { redactFieldValues } from "../models/fields.js";
import type { FieldValue, FieldValues } from "../models/task-model.js";
import type { UseCase } from "../spec/schema.js";

export type PrivacySettings = Pick<UseCase["privacy"], "storeText" | "redactPii">;

/** What a copy keeps of the words: as written, PII-redacted, or nothing. */
export type TextCopy = "as-written" | "redacted" | "none";

/** The settings of a use case the gateway does not know (any more): the strictest. */
export const strictestPrivacy: PrivacySettings = { storeText: false, redactPii: true };

/** What the request log keeps: storeText ? (redactPii ? redacted : as written) : nothing. */
export function logCopy(privacy: PrivacySettings): TextCopy {
  if (!privacy.storeText) return "none";
  return privacy.redactPii ? "redacted" : "as-written";
}

/** What a review item keeps: redactPii ? redacted : (storeText ? as written : nothing). */
export function reviewCopy(privacy: PrivacySettings): TextCopy {
  if (privacy.redactPii) return "redacted";
  return privacy.storeText ? "as-written" : "none";
}

/** The text as a copy keeps it; null for "none". */
export function keepText(text: string, copy: TextCopy): string | null {
  if (copy === "none") return null;
  return copy === "redacted" ? redactPii(text) : text;
}

/**
 * An extract record as a copy keeps it: its values as the copy keeps text, or only which fields were found.
 * Redacting a value alone misses PII that a span cut in two ("4111 1111 1111" of a card number): given the
 * request's `text` (and the model's span words, `spans`), a value found in the text over a PII item is kept as its
 * span with the item replaced by its placeholder, e.g. "[PHONE] [CARD]".
 */
export function keepFields(
  fields: FieldValues,
  copy: TextCopy,
  text?: string,
  spans?: Readonly<Record<string, unknown>> | null,
): FieldValues {
  if (copy === "as-written") return fields;
  if (copy === "none") return redactFieldValues(fields);
  const items = text === undefined ? [] : findPii(text);
  const kept: FieldValues = {};
  for (const [name, value] of Object.entries(fields)) {
    if (value === null) kept[name] = null;
    else {
      const words = spans?.[name];
      const over = overPii(text ?? "", typeof words === "string" ? words : String(value), items);
      kept[name] = over === undefined ? redactValue(value) : redactPii(over);
    }
  }
  return kept;
}

const wordCharacter = /^[\p{L}\p{N}]$/u;

/** The value's words in `text` with the PII items they overlap replaced; undefined when they overlap none. */
function overPii(text: string, words: string, items: readonly PiiMatch[]): string | undefined {
  if (items.length === 0 || words === "") return undefined;
  for (let start = text.indexOf(words); start !== -1; start = text.indexOf(words, start + 1)) {
    const end = start + words.length;
    // Whole words only: the quantity 4 is not the 4 of "+44".
    if (wordCharacter.test(text[start - 1] ?? "") || wordCharacter.test(text[end] ?? "")) continue;
    let result = "";
    let position = start;
    for (const item of items) {
      if (item.end <= start || item.start >= end) continue;
      result += text.slice(position, Math.max(item.start, start)) + piiPlaceholders[item.kind];
      position = Math.min(item.end, end);
    }
    if (position !== start) return result + text.slice(position, end);
  }
  return undefined;
}

/** A number that reads as PII (a card or phone number kept as digits) becomes its placeholder text. */
function redactValue(value: FieldValue): FieldValue {
  if (typeof value === "string") return redactPii(value);
  const redacted = redactPii(String(value));
  return redacted === String(value) ? value : redacted;
}

/** A label or answer given by a person or the LLM, as every copy keeps it: PII-redacted when `redactPii`. */
export function keepAnswer(answer: string, privacy: PrivacySettings): string {
  return privacy.redactPii ? redactPii(answer) : answer;
}
