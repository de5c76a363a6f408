// Turns extracted span text into typed field values by the field's schema type (dates, numbers, money, codes).

import { normalizeCode } from "./codes.js";
import { normalizeDate, normalizeTime } from "./dates.js";
import { normalizeMoney } from "./money.js";
import { normalizeQuantity, parseInteger, parseNumber } from "./numbers.js";

export { normalizeCode } from "./codes.js";
export { type DateOptions, normalizeDate, normalizeTime } from "./dates.js";
export { type Money, normalizeMoney } from "./money.js";
export { normalizeQuantity, parseInteger, parseNumber, parseNumberWords, type Quantity } from "./numbers.js";

/** The extraction field types of `usecase.yaml` (`schema.fields[].type`). */
export type ExtractFieldType =
  | "string"
  | "date"
  | "time"
  | "integer"
  | "number"
  | "money"
  | "quantity"
  | "code";

export interface NormalizeOptions {
  /** "Today" for relative dates. Default: the current date. */
  referenceDate?: Date;
}

/**
 * The typed value of `text` for a field of `type`: date → "YYYY-MM-DD", time → "HH:MM", integer and
 * number → number, money → `{amount, currency}`, quantity → `{value, unit, timesPerDay?}`, code →
 * upper case with "-" separators, string → the trimmed text. Null when the text cannot be read as the type.
 */
export function normalizeFieldValue(
  type: ExtractFieldType,
  text: string,
  options: NormalizeOptions = {},
): unknown {
  switch (type) {
    case "string":
      return text.trim();
    case "date":
      return normalizeDate(
        text,
        options.referenceDate === undefined ? {} : { referenceDate: options.referenceDate },
      );
    case "time":
      return normalizeTime(text);
    case "integer":
      return parseInteger(text);
    case "number":
      return parseNumber(text);
    case "money":
      return normalizeMoney(text);
    case "quantity":
      return normalizeQuantity(text);
    case "code":
      return normalizeCode(text);
  }
}
