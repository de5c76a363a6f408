// False-hit guards for the semantic cache: two texts may share an answer only if they agree on the facts a
// sentence vector blurs (negation, numbers and amounts, dates and times, ids, emails, named entities).

import { normalizeText, tokenize } from "../text/normalize.js";

/**
 * The facts of a text that a semantic hit must preserve, each in canonical form and in order of appearance.
 * Order matters on purpose: "from 10 to 20" and "from 20 to 10" must not share an answer.
 */
export interface GuardSignature {
  /** Negation cues as written (normalized tokens); compared by count, so "not" and "never" are alike. */
  negations: string[];
  /** Numbers with their unit when one is adjacent: "20", "20 usd", "12.5 %", "3rd"; a bare currency is "usd". */
  quantities: string[];
  /** Dates and times: "2024-03-12", "12/03", "march 3", "monday", "tomorrow", "14:30" (12-hour times as 24-hour). */
  dates: string[];
  /**
   * Order and reference ids: tokens mixing letters and digits ("A12345", "#A12345", "ORD-2024-001"), lower case,
   * "#" dropped; "#12345" (digits only) is the number 12345. URLs count as ids too.
   */
  identifiers: string[];
  /** Email addresses, lower case. */
  emails: string[];
  /** Words holding a capital letter not at a sentence start ("Paris", "iPhone", "UPS"), lower case; "I" is not one. */
  entities: string[];
  /** Every remaining word, lower case: an entity of one text may stand at a sentence start or in lower case in the other. */
  words: string[];
}

export interface GuardResult {
  ok: boolean;
  /** Why the texts disagree, e.g. "quantities differ: [20 usd] vs [200 usd]"; absent when ok. */
  reason?: string;
}

/** True when a semantic cache hit between `a` and `b` is allowed: every guarded fact agrees. */
export function semanticGuard(a: string, b: string): GuardResult {
  return compareGuardSignatures(extractGuardSignature(a), extractGuardSignature(b));
}

/** Compares two signatures; the cache keeps stored texts' signatures so a lookup extracts only the query's. */
export function compareGuardSignatures(a: GuardSignature, b: GuardSignature): GuardResult {
  if (a.negations.length !== b.negations.length) {
    return {
      ok: false,
      reason: `negation differs: ${describe(a.negations)} vs ${describe(b.negations)}`,
    };
  }
  for (const field of ["quantities", "dates", "identifiers", "emails"] as const) {
    if (!sameSequence(a[field], b[field])) {
      return { ok: false, reason: `${field} differ: ${describe(a[field])} vs ${describe(b[field])}` };
    }
  }
  // A name counts when either text writes it as one; both texts must then mention the same names in the same
  // order, wherever and however they are cased ("Paris is fine" vs "I live in Paris" agree).
  if (a.entities.length > 0 || b.entities.length > 0) {
    const names = new Set([...a.entities, ...b.entities]);
    const namesOfA = a.words.filter((word) => names.has(word));
    const namesOfB = b.words.filter((word) => names.has(word));
    if (!sameSequence(namesOfA, namesOfB)) {
      return { ok: false, reason: `named entities differ: ${describe(namesOfA)} vs ${describe(namesOfB)}` };
    }
  }
  return { ok: true };
}

// ---------------------------------------------------------------------------------------------------------
// Extraction

// JavaScript's \b is ASCII-only even with the u flag; these lookarounds are the Unicode word boundaries.
const before = "(?<![\\p{L}\\p{M}\\p{N}])";
const after = "(?![\\p{L}\\p{M}\\p{N}])";

const monthNumbers: Record<string, number> = {
  january: 1,
  february: 2,
  march: 3,
  april: 4,
  may: 5,
  june: 6,
  july: 7,
  august: 8,
  september: 9,
  october: 10,
  november: 11,
  december: 12,
  jan: 1,
  feb: 2,
  mar: 3,
  apr: 4,
  jun: 6,
  jul: 7,
  aug: 8,
  sep: 9,
  sept: 9,
  oct: 10,
  nov: 11,
  dec: 12,
};
const monthNames = Object.keys(monthNumbers);
const canonicalMonths = monthNames.slice(0, 12);
const monthPattern = `(${monthNames.join("|")})\\.?`;
// Alone (no day beside it), abbreviations and "may" are too often ordinary words to count as dates.
const lonelyMonthPattern = canonicalMonths.filter((month) => month !== "may").join("|");
const weekdays = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
const relativeDays = [
  "today",
  "tomorrow",
  "yesterday",
  "tonight",
  "hoy",
  "mañana",
  "ayer",
  "heute",
  "morgen",
  "gestern",
  "demain",
  "aujourd'hui",
  "aujourd’hui",
];

interface Rule {
  pattern: RegExp;
  /** Canonical value of a match, or undefined to leave the text for later rules. */
  canonical: (match: RegExpMatchArray & { index: number }) => string | undefined;
}

const ordinalSuffix = "st|nd|rd|th";
const ordinal = `(?:${ordinalSuffix})?`;
const dateRules: Rule[] = [
  {
    // ISO dates, optionally with a time: 2024-03-12, 2024-03-12T14:30.
    pattern: new RegExp(
      `${before}(\\d{4})-(\\d{1,2})-(\\d{1,2})(?:[tT ](\\d{1,2}):(\\d{2})(?::\\d{2})?)?${after}`,
      "gu",
    ),
    canonical: (match) => {
      const date = `${match[1]}-${pad(match[2])}-${pad(match[3])}`;
      return match[4] === undefined ? date : `${date} ${pad(match[4])}:${match[5]}`;
    },
  },
  {
    // Day and month with slashes (12/03, 12/03/2024, 2024/03/12); with dots or dashes only with a year,
    // since "12.03" is an amount and "10-12" a range.
    pattern: new RegExp(
      `${before}(?:\\d{4}/\\d{1,2}/\\d{1,2}|\\d{1,2}/\\d{1,2}(?:/\\d{2,4})?|\\d{1,2}([.-])\\d{1,2}\\1\\d{2,4})${after}`,
      "gu",
    ),
    canonical: (match) => match[0].replace(/[.-]/gu, "/"),
  },
  {
    // 3 March, 3rd of March 2024.
    pattern: new RegExp(
      `${before}(\\d{1,2})${ordinal}\\s+(?:of\\s+)?${monthPattern}(?:,?\\s+(\\d{4}))?${after}`,
      "giu",
    ),
    canonical: (match) => monthDay(match[2], match[1], match[3]),
  },
  {
    // March 3, Mar. 3rd, 2024.
    pattern: new RegExp(`${before}${monthPattern}\\s*(\\d{1,2})${ordinal}(?:,?\\s+(\\d{4}))?${after}`, "giu"),
    canonical: (match) => monthDay(match[1], match[2], match[3]),
  },
  {
    // 10am, 10:30 pm, 7 p.m.
    pattern: new RegExp(`${before}(\\d{1,2})(?::(\\d{2}))?(?::\\d{2})?\\s*([ap])\\.?\\s?m\\b\\.?`, "giu"),
    canonical: (match) => {
      const hour = Number(match[1]) % 12;
      const afternoon = match[3]?.toLowerCase() === "p";
      return `${pad(String(afternoon ? hour + 12 : hour))}:${match[2] ?? "00"}`;
    },
  },
  {
    // 14:30, 9:05:10.
    pattern: new RegExp(`${before}(\\d{1,2}):(\\d{2})(?::\\d{2})?${after}`, "gu"),
    canonical: (match) => `${pad(match[1])}:${match[2]}`,
  },
  {
    pattern: new RegExp(`${before}(noon|midday|midnight)${after}`, "giu"),
    canonical: (match) => (match[1]?.toLowerCase() === "midnight" ? "00:00" : "12:00"),
  },
  {
    pattern: new RegExp(
      `${before}(${lonelyMonthPattern}|${weekdays.join("|")}|${relativeDays.join("|")})${after}`,
      "giu",
    ),
    canonical: (match) => match[1]?.toLowerCase(),
  },
];

const emailRule: Rule = {
  // Starts only where a run of address characters starts: otherwise a long run with no "@" is quadratic.
  pattern: /(?<![\p{L}\p{N}._%+-])[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+/gu,
  canonical: (match) => match[0].toLowerCase(),
};
const urlRule: Rule = {
  pattern: /https?:\/\/[^\s<>"]+[^\s<>".,;:!?)\]]/giu,
  canonical: (match) => match[0].toLowerCase(),
};

// Currency written as a symbol (any \p{Sc}), an ISO code or a word; each maps to one code so "$20",
// "USD 20" and "20 dollars" agree. Symbols shared by several currencies ($, ¥) take the commonest.
const currencyCodes: Record<string, string> = {
  $: "usd",
  "€": "eur",
  "£": "gbp",
  "¥": "jpy",
  "₹": "inr",
  "₩": "krw",
  "₽": "rub",
  "₺": "try",
  "₪": "ils",
  "₱": "php",
  "₦": "ngn",
  "₫": "vnd",
  "฿": "thb",
  dollar: "usd",
  dollars: "usd",
  buck: "usd",
  bucks: "usd",
  euro: "eur",
  euros: "eur",
  pound: "gbp",
  pounds: "gbp",
  quid: "gbp",
  yen: "jpy",
  yuan: "cny",
  rmb: "cny",
  rupee: "inr",
  rupees: "inr",
  franc: "chf",
  francs: "chf",
  peso: "mxn",
  pesos: "mxn",
  cent: "cent",
  cents: "cent",
  pence: "pence",
  p: "pence",
};
const isoCurrencies = [
  "usd",
  "eur",
  "gbp",
  "jpy",
  "cny",
  "inr",
  "chf",
  "cad",
  "aud",
  "nzd",
  "sek",
  "nok",
  "dkk",
  "pln",
  "czk",
  "huf",
  "mxn",
  "brl",
  "zar",
  "sgd",
  "hkd",
  "krw",
  "try",
  "rub",
];
const currencyWords = [
  ...isoCurrencies,
  ...Object.keys(currencyCodes).filter((key) => /^\p{L}+$/u.test(key)),
];
// Longest first, so "dollars" wins over "dollar" and "per cent" over "per".
const unitWords = [...new Set([...currencyWords, "percent", "per cent", "pct"])].sort(
  (x, y) => y.length - x.length,
);
const number = "(\\p{Nd}+(?:[.,]\\p{Nd}+)*)";
const quantityRule: Rule = {
  // A number, with a currency before it ("$20", "USD 20") or a unit after it ("20 dollars", "20%", "3rd").
  pattern: new RegExp(
    `(?:(\\p{Sc})\\s*|${before}(${isoCurrencies.join("|")})\\s*)?${before}${number}` +
      `(?:(${ordinalSuffix})|\\s*(%|\\p{Sc})|\\s*(${unitWords.map(escapePattern).join("|")}))?${after}`,
    "giu",
  ),
  canonical: (match) => {
    const value = canonicalNumber(match[3] ?? "");
    if (match[4] !== undefined) return `${value}${match[4].toLowerCase()}`;
    const unit = currencyOf(match[1] ?? match[2] ?? match[5] ?? match[6]);
    return unit === undefined ? value : `${value} ${unit}`;
  },
};
const bareCurrencyRule: Rule = {
  pattern: new RegExp(
    `\\p{Sc}|${before}(?:${isoCurrencies.join("|")}|dollars?|euros?|pounds?|yen|yuan|rupees?)${after}`,
    "giu",
  ),
  canonical: (match) => currencyOf(match[0]),
};
// A number glued to an ordinal or unit suffix ("3rd", "20usd", "15%") is a quantity, not an id.
const numberWithUnit = new RegExp(
  `^[\\p{N}.,]+(?:${ordinalSuffix}|${unitWords.filter((unit) => !unit.includes(" ")).join("|")})$`,
  "iu",
);
const identifierRule: Rule = {
  // Letters and digits mixed in one token, joined parts included: "A12345", "#A12345", "ORD-2024-001".
  pattern: /#?[\p{L}\p{N}]+(?:[-_/.][\p{L}\p{N}]+)*/gu,
  canonical: (match) => {
    const token = match[0].replace(/^#/u, "");
    if (!/\p{N}/u.test(token) || !/\p{L}/u.test(token) || numberWithUnit.test(token)) return undefined;
    return token.toLowerCase();
  },
};

/** Extracts the guarded facts of a text. Pure and deterministic; about tens of microseconds for a chat message. */
export function extractGuardSignature(text: string): GuardSignature {
  // Work on the NFKC form with its case kept (capitals mark names); spans already read are blanked out so
  // each fact is read once: "3 March" is a date, not the number 3 and the name "March".
  const state = { text: text.normalize("NFKC") };
  const emails = collect(state, [emailRule]);
  const identifiers = collect(state, [urlRule]);
  const dates = collect(state, dateRules);
  identifiers.push(...collect(state, [identifierRule]));
  const quantities = collect(state, [quantityRule, bareCurrencyRule]);
  const { entities, words } = readWords(state.text);
  return { negations: findNegations(text), quantities, dates, identifiers, emails, entities, words };
}

/** Applies `rules` in turn; returns canonical values in order of position and blanks the matched spans. */
function collect(state: { text: string }, rules: readonly Rule[]): string[] {
  const found: { at: number; value: string }[] = [];
  for (const rule of rules) {
    const text = state.text;
    // Matches never overlap within a rule, so all are found first and blanked in one pass: linear, not
    // one copy of the text per match (a long message full of numbers would otherwise be quadratic).
    const parts: string[] = [];
    let copied = 0;
    for (const match of text.matchAll(rule.pattern)) {
      const value = rule.canonical(match);
      if (value === undefined) continue;
      found.push({ at: match.index, value });
      parts.push(text.slice(copied, match.index), " ".repeat(match[0].length));
      copied = match.index + match[0].length;
    }
    if (parts.length > 0) state.text = parts.join("") + text.slice(copied);
  }
  return found.sort((x, y) => x.at - y.at).map((item) => item.value);
}

const wordPattern = /[\p{L}\p{M}\p{N}]+(?:['’][\p{L}\p{M}]+)*/gu;
const sentenceEnd = /[.!?…。！？\n]/u;

function readWords(text: string): { entities: string[]; words: string[] } {
  const entities: string[] = [];
  const words: string[] = [];
  let previousEnd = 0;
  for (const match of text.matchAll(wordPattern)) {
    const word = match[0];
    const atSentenceStart = words.length === 0 || sentenceEnd.test(text.slice(previousEnd, match.index));
    previousEnd = match.index + word.length;
    const lower = word.toLowerCase();
    words.push(lower);
    // "I", "I'm", "I've" are capitalized everywhere; they name nobody.
    if (!atSentenceStart && /[\p{Lu}\p{Lt}]/u.test(word) && !/^I(?:['’]\p{L}+)?$/u.test(word)) {
      entities.push(lower);
    }
  }
  return { entities, words };
}

// Negation cues, English first, then the commonest of a few languages the catalog's tickets arrive in.
const negationWords = new Set([
  "not",
  "no",
  "never",
  "none",
  "nobody",
  "nothing",
  "nowhere",
  "neither",
  "nor",
  "cannot",
  "without",
  "nope",
  "noone",
  // Apostrophes dropped in chat: "dont", "cant".
  "dont",
  "cant",
  "wont",
  "didnt",
  "doesnt",
  "isnt",
  "arent",
  "wasnt",
  "werent",
  "havent",
  "hasnt",
  "hadnt",
  "couldnt",
  "wouldnt",
  "shouldnt",
  "mustnt",
  "neednt",
  "aint",
  // French, Spanish, Italian, Portuguese, German, Dutch.
  "ne",
  "pas",
  "jamais",
  "sans",
  "aucun",
  "aucune",
  "rien",
  "non",
  "nunca",
  "jamás",
  "sin",
  "ningún",
  "ninguno",
  "ninguna",
  "nada",
  "tampoco",
  "mai",
  "senza",
  "nessuno",
  "não",
  "sem",
  "nenhum",
  "nenhuma",
  "nicht",
  "kein",
  "keine",
  "keinen",
  "keinem",
  "keiner",
  "keines",
  "nie",
  "niemals",
  "ohne",
  "nichts",
  "niet",
  "geen",
  "nooit",
  "zonder",
]);

function findNegations(text: string): string[] {
  const tokens = tokenize(normalizeText(text));
  const found: string[] = [];
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index] as string;
    if (token === "no" && isNumberSign(tokens[index + 1], tokens[index + 2])) continue;
    if (negationWords.has(token) || /n['’]t$/u.test(token) || /^n['’]\p{L}/u.test(token)) found.push(token);
  }
  return found;
}

/** "no. 123", "no #A12", "no 5": "no" abbreviating "number", not a negation. */
function isNumberSign(next: string | undefined, afterNext: string | undefined): boolean {
  if (next === undefined) return false;
  if (/\p{N}/u.test(next) || next === "#") return true;
  return next === "." && afterNext !== undefined && /\p{N}/u.test(afterNext);
}

// ---------------------------------------------------------------------------------------------------------
// Canonical forms

/**
 * "1,000" → "1000", "20,50" → "20.5", "20.00" → "20". European thousands ("1.500") stay as written: they
 * are ambiguous with decimals, and a mismatch only costs a cache miss. Leading zeros are kept (they matter in codes).
 */
export function canonicalNumber(raw: string): string {
  let value = raw;
  if (/^\d{1,3}(?:,\d{3})+(?:\.\d+)?$/u.test(value)) value = value.replaceAll(",", "");
  else if (/^\d+,\d{1,2}$/u.test(value)) value = value.replace(",", ".");
  if (/^\d+\.\d+$/u.test(value) && !/^\d{1,3}\.\d{3}$/u.test(value)) value = value.replace(/\.?0+$/u, "");
  return value;
}

function currencyOf(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const lower = raw.toLowerCase();
  if (lower === "%" || lower === "percent" || lower === "per cent" || lower === "pct") return "%";
  return currencyCodes[lower] ?? lower;
}

function monthDay(month: string | undefined, day: string | undefined, year: string | undefined): string {
  const index = monthNumbers[(month ?? "").toLowerCase()] ?? 0;
  const name = canonicalMonths[index - 1] ?? month ?? "";
  const date = `${name} ${Number(day)}`;
  return year === undefined ? date : `${date} ${year}`;
}

function pad(value: string | undefined): string {
  return (value ?? "").padStart(2, "0");
}

function escapePattern(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/gu, "\\$&").replace(/ /gu, "\\s+");
}

function sameSequence(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return false;
  return true;
}

function describe(values: readonly string[]): string {
  return `[${values.join(", ")}]`;
}
