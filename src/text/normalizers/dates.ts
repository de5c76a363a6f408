// Dates and times relative to a reference date: "tomorrow", "next Friday", "3rd of March", "03/04/2027", "7pm", "half past seven".

import { canonical, parseNumberWords } from "./numbers.js";

const months = [
  "january",
  "february",
  "march",
  "april",
  "may",
  "june",
  "july",
  "august",
  "september",
  "october",
  "november",
  "december",
];
const weekdays = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];

function monthOf(word: string): number | undefined {
  if (word.length < 3) return undefined;
  const index = months.findIndex((month) => month.startsWith(word.replace(/\.$/u, "")) && word.length >= 3);
  return index >= 0 ? index : undefined;
}

function weekdayOf(word: string): number | undefined {
  const trimmed = word.replace(/\.$/u, "");
  if (trimmed.length < 3) return undefined;
  const index = weekdays.findIndex(
    (day) =>
      day.startsWith(trimmed) ||
      (trimmed === "tues" && day === "tuesday") ||
      (trimmed === "thurs" && day === "thursday"),
  );
  return index >= 0 ? index : undefined;
}

export interface DateOptions {
  /** "Today". Default: the current date. Only its calendar date (UTC) is used. */
  referenceDate?: Date;
  /** Read "03/04/2027" as 3 April (day first) instead of March 4 (month first, the default). */
  dayFirst?: boolean;
}

function iso(year: number, month: number, day: number): string | null {
  const date = new Date(Date.UTC(year, month, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month || date.getUTCDate() !== day)
    return null;
  return date.toISOString().slice(0, 10);
}

function addDays(reference: Date, days: number): string {
  const date = new Date(
    Date.UTC(reference.getUTCFullYear(), reference.getUTCMonth(), reference.getUTCDate() + days),
  );
  return date.toISOString().slice(0, 10);
}

function ordinalNumber(word: string): number | undefined {
  const digits = /^(\d{1,2})(st|nd|rd|th)?$/u.exec(word);
  if (digits) return Number(digits[1]);
  const words: Record<string, number> = {
    first: 1,
    second: 2,
    third: 3,
    fourth: 4,
    fifth: 5,
    sixth: 6,
    seventh: 7,
    eighth: 8,
    ninth: 9,
    tenth: 10,
    eleventh: 11,
    twelfth: 12,
    thirteenth: 13,
    fourteenth: 14,
    fifteenth: 15,
    sixteenth: 16,
    seventeenth: 17,
    eighteenth: 18,
    nineteenth: 19,
    twentieth: 20,
    thirtieth: 30,
  };
  if (words[word] !== undefined) return words[word];
  const compound = /^(twenty|thirty)-?(first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)$/u.exec(
    word,
  );
  if (compound) return (compound[1] === "twenty" ? 20 : 30) + (words[compound[2] as string] as number);
  return undefined;
}

/**
 * An ISO date (YYYY-MM-DD) for a date expression, relative to `referenceDate`; null when it cannot be read.
 * A month and day without a year is the next such date on or after the reference date; a bare weekday
 * ("Friday", "this Friday") is the next one on or after it, "next Friday" the one after that week's.
 */
export function normalizeDate(text: string, options: DateOptions = {}): string | null {
  const reference = options.referenceDate ?? new Date();
  const value = canonical(text)
    .replace(/[,]/gu, " ")
    .replace(/\s+/gu, " ")
    .replace(/^(on|for|the|this coming|coming)\s+/u, "")
    .replace(/^the\s+/u, "")
    .trim();
  const relative: Record<string, number> = {
    today: 0,
    tonight: 0,
    now: 0,
    tomorrow: 1,
    tmrw: 1,
    tmr: 1,
    yesterday: -1,
    "day after tomorrow": 2,
    "the day after tomorrow": 2,
  };
  if (relative[value] !== undefined) return addDays(reference, relative[value] as number);
  const isoMatch = /^(\d{4})-(\d{1,2})-(\d{1,2})$/u.exec(value);
  if (isoMatch) return iso(Number(isoMatch[1]), Number(isoMatch[2]) - 1, Number(isoMatch[3]));
  const numeric = /^(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2}|\d{4}))?$/u.exec(value);
  if (numeric) {
    const first = Number(numeric[1]);
    const second = Number(numeric[2]);
    const [month, day] = options.dayFirst ? [second, first] : [first, second];
    if (numeric[3] === undefined) return nextOccurrence(reference, month - 1, day);
    const year = numeric[3].length === 2 ? 2000 + Number(numeric[3]) : Number(numeric[3]);
    return iso(year, month - 1, day);
  }
  const inDays = /^in (\S+(?: \S+)?) (day|days|week|weeks)$/u.exec(value);
  if (inDays) {
    const count = /^\d+$/u.test(inDays[1] as string)
      ? Number(inDays[1])
      : parseNumberWords(inDays[1] as string);
    if (count === null) return null;
    return addDays(reference, inDays[2]?.startsWith("week") ? count * 7 : count);
  }
  const words = value.split(" ");
  // "next friday", "this friday", "friday", "friday next week"
  const dayWords = words.filter((word) => word !== "this" && word !== "next" && word !== "coming");
  if (dayWords.length === 1 || (dayWords.length === 3 && dayWords[1] === "next" && dayWords[2] === "week")) {
    const weekday = weekdayOf(dayWords[0] as string);
    if (weekday !== undefined) {
      const ahead = (weekday - reference.getUTCDay() + 7) % 7;
      const next = words.includes("next") ? (ahead === 0 ? 7 : ahead + 7) : ahead;
      return addDays(reference, next);
    }
  }
  // "the second Thursday of September [2027]"
  const nth = /^(\S+) (\S+) of (\S+)(?: (\d{4}))?$/u.exec(value);
  if (nth) {
    const ordinal = ordinalNumber(nth[1] as string);
    const weekday = weekdayOf(nth[2] as string);
    const monthIndex = monthOf(nth[3] as string);
    if (ordinal !== undefined && ordinal <= 5 && weekday !== undefined && monthIndex !== undefined) {
      const nthIn = (year: number): string | null => {
        const firstWeekday = new Date(Date.UTC(year, monthIndex, 1)).getUTCDay();
        return iso(year, monthIndex, 1 + ((weekday - firstWeekday + 7) % 7) + 7 * (ordinal - 1));
      };
      if (nth[4] !== undefined) return nthIn(Number(nth[4]));
      const thisYear = nthIn(reference.getUTCFullYear());
      return thisYear !== null && thisYear >= addDays(reference, 0)
        ? thisYear
        : nthIn(reference.getUTCFullYear() + 1);
    }
  }
  // Leading weekday names are redundant with the date ("Sunday, August 26th, 2018").
  const rest = words.filter(
    (word) => weekdayOf(word) === undefined && word !== "of" && word !== "the" && word !== "on",
  );
  let month: number | undefined;
  let day: number | undefined;
  let year: number | undefined;
  for (const word of rest) {
    const asMonth = monthOf(word);
    if (month === undefined && asMonth !== undefined && !/^\d/u.test(word)) {
      month = asMonth;
      continue;
    }
    if (/^\d{4}$/u.test(word)) {
      year = Number(word);
      continue;
    }
    const ordinal = ordinalNumber(word);
    if (day === undefined && ordinal !== undefined) {
      day = ordinal;
      continue;
    }
    return null;
  }
  if (month === undefined || day === undefined) return null;
  return year === undefined ? nextOccurrence(reference, month, day) : iso(year, month, day);
}

function nextOccurrence(reference: Date, month: number, day: number): string | null {
  const year = reference.getUTCFullYear();
  const candidate = iso(year, month, day);
  const today = addDays(reference, 0);
  if (candidate !== null && candidate >= today) return candidate;
  return iso(year + 1, month, day) ?? candidate;
}

/**
 * A 24-hour "HH:MM" for a time expression: "7pm", "7:30 p.m.", "19:30", "half past seven", "quarter to
 * eight", "noon", "7 o'clock". A bare hour without am/pm is kept as written (1-12 are not moved to the
 * afternoon: the text does not say). Null when it cannot be read.
 */
export function normalizeTime(text: string): string | null {
  let value = canonical(text)
    .replace(/^(at|around|about|by|for)\s+/u, "")
    .replace(/\b([ap])\.\s?m\.?/gu, "$1m")
    .replace(/\s+/gu, " ")
    .trim();
  if (value === "noon" || value === "midday") return "12:00";
  if (value === "midnight") return "00:00";
  let meridiem: "am" | "pm" | undefined;
  const suffix = /\s?(am|pm|in the morning|in the evening|in the afternoon|at night|tonight)$/u.exec(value);
  if (suffix) {
    meridiem = suffix[1] === "am" || suffix[1] === "in the morning" ? "am" : "pm";
    value = value.slice(0, suffix.index).trim();
  }
  value = value.replace(/\s?o'?clock$/u, "").trim();
  let hour: number | undefined;
  let minute = 0;
  const digits = /^(\d{1,2})(?:[:.h](\d{2}))?$/u.exec(value);
  if (digits) {
    hour = Number(digits[1]);
    minute = digits[2] === undefined ? 0 : Number(digits[2]);
  } else {
    const past = /^(half|quarter|\S+(?: \S+)?(?: minutes?)?) (past|after|to|before) (\S+)$/u.exec(value);
    if (past) {
      const amount =
        past[1] === "half"
          ? 30
          : past[1] === "quarter"
            ? 15
            : wordsOrDigits((past[1] as string).replace(/ minutes?$/u, "").replace(/^a /u, ""));
      const base = wordsOrDigits(past[3] as string);
      if (amount === null || base === null) return null;
      hour = past[2] === "past" || past[2] === "after" ? base : base - 1;
      minute = past[2] === "past" || past[2] === "after" ? amount : 60 - amount;
      if (hour === 0 && (past[2] === "to" || past[2] === "before")) hour = 12;
    } else {
      const spoken = value.split(" ");
      const first = wordsOrDigits(spoken[0] as string);
      if (first === null) return null;
      hour = first;
      if (spoken.length > 1) {
        const rest = wordsOrDigits(spoken.slice(1).join(" ").replace(/^oh /u, ""));
        if (rest === null) return null;
        minute = rest;
      }
    }
  }
  if (hour === undefined || hour > 24 || minute > 59 || hour < 0) return null;
  if (meridiem === "pm" && hour < 12) hour += 12;
  if (meridiem === "am" && hour === 12) hour = 0;
  if (hour === 24) hour = 0;
  return `${String(hour).padStart(2, "0")}:${String(minute).padStart(2, "0")}`;
}

function wordsOrDigits(text: string): number | null {
  if (/^\d{1,2}$/u.test(text)) return Number(text);
  return parseNumberWords(text);
}
