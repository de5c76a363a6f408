// Money amounts with their currency: "$20", "20 dollars", "€15.50", "15,50 EUR", "USD 1,200".

import { canonical, parseNumber } from "./numbers.js";

export interface Money {
  /** The amount in the currency's main unit, rounded to cents. */
  amount: number;
  /** ISO 4217 code when the text names or signs one, otherwise null. */
  currency: string | null;
}

const currencies: [RegExp, string][] = [
  [/\$|\bus ?dollars?\b|\bdollars?\b|\busd\b|\bbucks?\b/u, "USD"],
  [/€|\beuros?\b|\beur\b/u, "EUR"],
  [/£|\bpounds?\b|\bgbp\b|\bquid\b/u, "GBP"],
  [/¥|\byen\b|\bjpy\b/u, "JPY"],
  [/₹|\brupees?\b|\binr\b/u, "INR"],
  [/\bchf\b|\bfrancs?\b/u, "CHF"],
];

/** Reads an amount of money; null when no amount can be read. "15,50" with a comma and two digits is 15.5. */
export function normalizeMoney(text: string): Money | null {
  const value = canonical(text);
  let currency: string | null = null;
  let rest = value;
  for (const [pattern, code] of currencies) {
    if (pattern.test(rest)) {
      currency = code;
      rest = rest.replace(pattern, " ");
      break;
    }
  }
  rest = rest.replace(/\b(cents?|only)\b/gu, " ").trim();
  // A decimal comma ("15,50") when exactly two digits follow and no other separator is present.
  if (/^\d+,\d{2}$/u.test(rest)) rest = rest.replace(",", ".");
  const amount = parseNumber(rest);
  if (amount === null) return null;
  return { amount: Math.round(amount * 100) / 100, currency };
}
