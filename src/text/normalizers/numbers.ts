// Numbers in words or digits ("twenty-one", "1,250.5", "a dozen") and quantities with units ("500 mg", "5 adults and 1 child").

const units: Record<string, number> = {
  zero: 0,
  no: 0,
  none: 0,
  one: 1,
  a: 1,
  an: 1,
  single: 1,
  two: 2,
  couple: 2,
  pair: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
};
const tens: Record<string, number> = {
  twenty: 20,
  thirty: 30,
  forty: 40,
  fifty: 50,
  sixty: 60,
  seventy: 70,
  eighty: 80,
  ninety: 90,
};
const multipliers: Record<string, number> = { hundred: 100, thousand: 1000, million: 1_000_000, dozen: 12 };

/** Lower case, NFKC, hyphens and commas between words as spaces: the form every normalizer reads. */
export function canonical(text: string): string {
  return text.normalize("NFKC").toLowerCase().replace(/[‐-―]/gu, "-").trim();
}

/** A number written in digits ("1,250", "3.5", "3,5" is not read as 3.5) or words ("twenty-one", "a dozen"). */
export function parseNumber(text: string): number | null {
  const value = canonical(text).replace(/^(about|around|approximately|roughly|~)\s+/u, "");
  if (/^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$/u.test(value)) return Number(value.replace(/,/gu, ""));
  if (/^[+-]?\d+(\.\d+)?$/u.test(value)) return Number(value);
  return parseNumberWords(value);
}

/** "two hundred and five", "twenty-one", "half a dozen", "a couple of" → the number; null if any word is not a number word. */
export function parseNumberWords(text: string): number | null {
  const words = text
    .replace(/-/gu, " ")
    .split(/\s+/u)
    .filter((word) => word !== "" && word !== "and" && word !== "of");
  if (words.length === 0) return null;
  let total = 0;
  let current = 0;
  let seen = false;
  let half = false;
  for (const word of words) {
    if (word === "half") {
      half = true;
      continue;
    }
    const digits = /^\d+$/u.test(word) ? Number(word) : undefined;
    if (digits !== undefined) {
      current += digits;
      seen = true;
    } else if (units[word] !== undefined) {
      current += units[word] as number;
      seen = true;
    } else if (tens[word] !== undefined) {
      current += tens[word] as number;
      seen = true;
    } else if (multipliers[word] !== undefined) {
      const multiplier = multipliers[word] as number;
      const base = current === 0 ? 1 : current;
      if (multiplier >= 1000) {
        total += base * multiplier;
        current = 0;
      } else current = base * multiplier;
      seen = true;
    } else return null;
  }
  if (!seen) return null;
  const value = total + current;
  return half ? value / 2 : value;
}

/** An integer, or null when the text is not a whole number. */
export function parseInteger(text: string): number | null {
  const value = parseNumber(text);
  return value !== null && Number.isInteger(value) ? value : null;
}

/** A quantity with its unit: `unit` is null for plain counts ("6 people" is a count of people, not a unit). */
export interface Quantity {
  value: number;
  unit: string | null;
  /** For doses: how many times a day ("twice daily" → 2, "every 8 hours" → 3). */
  timesPerDay?: number;
}

const unitAliases: Record<string, string> = {
  mg: "mg",
  milligram: "mg",
  milligrams: "mg",
  g: "g",
  gram: "g",
  grams: "g",
  kg: "kg",
  kilo: "kg",
  kilos: "kg",
  kilogram: "kg",
  kilograms: "kg",
  mcg: "mcg",
  µg: "mcg",
  microgram: "mcg",
  micrograms: "mcg",
  ml: "ml",
  milliliter: "ml",
  milliliters: "ml",
  millilitre: "ml",
  millilitres: "ml",
  l: "l",
  liter: "l",
  liters: "l",
  litre: "l",
  litres: "l",
  lb: "lb",
  lbs: "lb",
  pound: "lb",
  pounds: "lb",
  oz: "oz",
  ounce: "oz",
  ounces: "oz",
  tablet: "tablet",
  tablets: "tablet",
  tab: "tablet",
  tabs: "tablet",
  pill: "tablet",
  pills: "tablet",
  capsule: "capsule",
  capsules: "capsule",
  cap: "capsule",
  caps: "capsule",
  drop: "drop",
  drops: "drop",
  puff: "puff",
  puffs: "puff",
  unit: "unit",
  units: "unit",
  iu: "unit",
  box: "box",
  boxes: "box",
  pack: "pack",
  packs: "pack",
  piece: "piece",
  pieces: "piece",
  pcs: "piece",
  pc: "piece",
};

const frequencies: [RegExp, number][] = [
  [/\btwice (a|per) day\b|\btwice daily\b|\btwo times (a|per) day\b|\bbid\b|\bevery 12 hours\b/u, 2],
  [/\b(three|3) times (a|per) day\b|\bthrice daily\b|\btid\b|\bevery 8 hours\b/u, 3],
  [/\b(four|4) times (a|per) day\b|\bqid\b|\bevery 6 hours\b/u, 4],
  // Last: "daily" alone also ends "twice daily".
  [/\b(once|one time)s? (a|per) day\b|\bonce daily\b|\bdaily\b|\bevery day\b|\bqd\b/u, 1],
];

const numberToken = /\d+(?:[.,]\d+)?|[a-z]+(?:-[a-z]+)?/gu;

/**
 * Reads a quantity: the numbers in the text summed when joined by "and", "+" or "," (so "5 adults and 1
 * child" is 6: a party size counts everyone), with a unit when one follows a number ("500 mg",
 * "2 tablets twice daily" → 2 tablet, 2 a day). Null when the text holds no number.
 */
export function normalizeQuantity(text: string): Quantity | null {
  const value = canonical(text);
  let frequency: number | undefined;
  let rest = value;
  for (const [pattern, times] of frequencies) {
    if (pattern.test(rest)) {
      frequency = times;
      rest = rest.replace(pattern, " ");
      break;
    }
  }
  const tokens = rest.match(numberToken) ?? [];
  let total = 0;
  let found = false;
  let unit: string | null = null;
  let index = 0;
  while (index < tokens.length) {
    // The longest run of tokens that reads as one number ("twenty one", "half a dozen").
    let matched = 0;
    let number: number | null = null;
    for (let end = Math.min(tokens.length, index + 5); end > index; end--) {
      const phrase = tokens.slice(index, end).join(" ").replace(/,/gu, ".");
      const candidate = /^\d/u.test(phrase) ? Number(phrase) : parseNumberWords(phrase);
      if (
        candidate !== null &&
        Number.isFinite(candidate) &&
        !(end - index === 1 && ["a", "an", "no"].includes(phrase))
      ) {
        number = candidate;
        matched = end - index;
        break;
      }
    }
    if (number === null) {
      index++;
      continue;
    }
    total += number;
    found = true;
    index += matched;
    const following = tokens[index];
    if (unit === null && following !== undefined && unitAliases[following] !== undefined)
      unit = unitAliases[following] as string;
  }
  if (!found) return null;
  return frequency === undefined ? { value: total, unit } : { value: total, unit, timesPerDay: frequency };
}
