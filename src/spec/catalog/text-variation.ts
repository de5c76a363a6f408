// Seeded text variation for built-in data generators: template expansion and the noise real customers type.

import { SlmkitError } from "../../errors.js";
import type { Random } from "../../internal/random.js";

/** Fills a `{slot}`; called once per occurrence so two slots of a kind get different values. */
export type SlotFiller = (random: Random) => string;

export function pick<T>(random: Random, items: readonly T[]): T {
  if (items.length === 0) throw new SlmkitError("INVALID_INPUT", "cannot pick from an empty list");
  return items[random.int(items.length)] as T;
}

/** A string of `length` random decimal digits, leading zeros allowed. */
export function digits(random: Random, length: number): string {
  let result = "";
  for (let index = 0; index < length; index++) result += String(random.int(10));
  return result;
}

const alternativePattern = /\[([^[\]]*)\]/g;
const slotPattern = /\{([a-zA-Z][a-zA-Z0-9]*)\}/g;

/**
 * Expands a template: `[a|b|c]` picks one alternative (`[a|]` makes `a` optional), then each `{slot}` is
 * filled. Alternatives do not nest; they may contain slots. Spaces left by empty alternatives are collapsed.
 */
export function expandTemplate(
  template: string,
  slots: Readonly<Record<string, SlotFiller>>,
  random: Random,
): string {
  const chosen = template.replace(alternativePattern, (_, options: string) =>
    pick(random, options.split("|")),
  );
  const filled = chosen.replace(slotPattern, (_, name: string) => {
    const filler = slots[name];
    if (filler === undefined) {
      throw new SlmkitError("INVALID_INPUT", `template "${template}" uses the unknown slot {${name}}`);
    }
    return filler(random);
  });
  return filled
    .replace(/\s{2,}/g, " ")
    .replace(/\s+([,.?!])/g, "$1")
    .trim();
}

/** How often each kind of noise hits one text, as probabilities in [0, 1]. */
export interface NoiseRates {
  /** One to three typos (swapped, dropped, doubled or neighbouring-key letters). Default 0.3. */
  typo?: number;
  /** Chat abbreviations: "pls", "u", "acct", "asap". Default 0.15. */
  abbreviation?: number;
  /** All lower case. Default 0.15. */
  lowerCase?: number;
  /** ALL UPPER CASE, as angry customers write. Default 0.03. */
  upperCase?: number;
  /** No final punctuation. Default 0.25. */
  dropFinalPunctuation?: number;
  /** No punctuation at all (symbols such as # and @ stay). Default 0.07. */
  dropAllPunctuation?: number;
  /** Repeated "!!!" or "??" at the end. Default 0.05. */
  repeatPunctuation?: number;
}

const defaultRates: Required<NoiseRates> = {
  typo: 0.3,
  abbreviation: 0.15,
  lowerCase: 0.15,
  upperCase: 0.03,
  dropFinalPunctuation: 0.25,
  dropAllPunctuation: 0.07,
  repeatPunctuation: 0.05,
};

/** Applies seeded, realistic noise to a clean text. The same random state gives the same result. */
export function addNoise(text: string, random: Random, rates: NoiseRates = {}): string {
  const rate = { ...defaultRates, ...rates };
  let result = text;
  if (random.next() < rate.abbreviation) result = abbreviate(result, random);
  if (random.next() < rate.typo) {
    const count = 1 + random.int(3);
    for (let index = 0; index < count; index++) result = addTypo(result, random);
  }
  const punctuation = random.next();
  if (punctuation < rate.dropAllPunctuation) {
    // Keep apostrophes inside words ("don't") and symbols that are part of values (#A12345, $5.00, emails).
    result = result
      .replace(/[,!?;:]|\.(?!\d)|(?<![\p{L}\p{N}])'|'(?![\p{L}\p{N}])/gu, "")
      .replace(/\s{2,}/g, " ");
  } else if (punctuation < rate.dropAllPunctuation + rate.dropFinalPunctuation) {
    result = result.replace(/[.!?]+$/u, "");
  } else if (punctuation < rate.dropAllPunctuation + rate.dropFinalPunctuation + rate.repeatPunctuation) {
    result = result.replace(/[.!?]*$/u, random.next() < 0.5 ? "!!!" : "??");
  }
  const casing = random.next();
  if (casing < rate.lowerCase) result = result.toLowerCase();
  else if (casing < rate.lowerCase + rate.upperCase) result = result.toUpperCase();
  return result.trim();
}

/** Word-level chat abbreviations; each applies with probability 0.6 once a text is chosen for them. */
const abbreviations: ReadonlyArray<readonly [RegExp, readonly string[]]> = [
  [/\bplease\b/gi, ["pls", "plz", "pls"]],
  [/\byou're\b/gi, ["ur", "youre"]],
  [/\byou\b/gi, ["u"]],
  [/\byour\b/gi, ["ur"]],
  [/\baccount\b/gi, ["acct", "acc"]],
  [/\bas soon as possible\b/gi, ["asap", "ASAP"]],
  [/\bthanks\b/gi, ["thx", "thnx", "ty"]],
  [/\bthank you\b/gi, ["ty", "thank u"]],
  [/\bbecause\b/gi, ["bc", "cuz"]],
  [/\bdon't\b/gi, ["dont"]],
  [/\bcan't\b/gi, ["cant"]],
  [/\bdoesn't\b/gi, ["doesnt"]],
  [/\bI'm\b/g, ["im", "Im"]],
  [/\bhaven't\b/gi, ["havent"]],
  [/\binformation\b/gi, ["info"]],
  [/\breceived\b/gi, ["recieved", "got"]],
  [/\btomorrow\b/gi, ["tmrw"]],
  [/\bwith\b/gi, ["w/"]],
  [/\bare\b/gi, ["r"]],
  [/\bnumber\b/gi, ["no.", "#"]],
];

function abbreviate(text: string, random: Random): string {
  let result = text;
  for (const [pattern, replacements] of abbreviations) {
    if (random.next() < 0.6) result = result.replace(pattern, () => pick(random, replacements));
  }
  return result;
}

const keyboardNeighbours: Readonly<Record<string, string>> = {
  a: "qwsz",
  b: "vghn",
  c: "xdfv",
  d: "serfcx",
  e: "wsdr",
  f: "drtgvc",
  g: "ftyhbv",
  h: "gyujnb",
  i: "ujko",
  j: "huikmn",
  k: "jiolm",
  l: "kop",
  m: "njk",
  n: "bhjm",
  o: "iklp",
  p: "ol",
  q: "wa",
  r: "edft",
  s: "awedxz",
  t: "rfgy",
  u: "yhji",
  v: "cfgb",
  w: "qase",
  x: "zsdc",
  y: "tghu",
  z: "asx",
};

/** One typo in a random word of four or more letters; values with digits or symbols are left intact. */
function addTypo(text: string, random: Random): string {
  const words = text.split(" ");
  const candidates = words.flatMap((word, index) => (/^\p{L}{4,}[,.!?]?$/u.test(word) ? [index] : []));
  if (candidates.length === 0) return text;
  const index = pick(random, candidates);
  const word = words[index] as string;
  const letters = word.replace(/[,.!?]$/u, "");
  const tail = word.slice(letters.length);
  const position = 1 + random.int(letters.length - 2);
  const before = letters.slice(0, position);
  const at = letters.charAt(position);
  const after = letters.slice(position + 1);
  let changed: string;
  switch (random.int(4)) {
    case 0:
      changed = before + after.charAt(0) + at + after.slice(1);
      break;
    case 1:
      changed = before + after;
      break;
    case 2:
      changed = before + at + at + after;
      break;
    default: {
      const neighbours = keyboardNeighbours[at.toLowerCase()];
      changed = neighbours === undefined ? before + after : before + pick(random, [...neighbours]) + after;
    }
  }
  words[index] = changed + tail;
  return words.join(" ");
}
