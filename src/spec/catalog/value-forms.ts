// Seeded surface forms of typed values (dates, times, quantities, money) as people write them in requests.

import type { Random } from "../../internal/random.js";
import { digits, pick } from "./text-variation.js";

const months = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];
const shortMonths = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const weekdays = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const ordinal = (day: number): string =>
  `${day}${day % 10 === 1 && day !== 11 ? "st" : day % 10 === 2 && day !== 12 ? "nd" : day % 10 === 3 && day !== 13 ? "rd" : "th"}`;

/** A future date in one of the forms patients and customers type: relative, weekday, month-day, numeric. */
export function dateForm(random: Random): string {
  const month = random.int(12);
  const day = 1 + random.int(28);
  return pick(random, [
    () => pick(random, ["tomorrow", "today", "the day after tomorrow", "next week", "this Friday"]),
    () => `${pick(random, ["next ", "this ", ""])}${pick(random, weekdays)}`,
    () => `${pick(random, weekdays).slice(0, 3)}`,
    () => `${months[month]} ${day}`,
    () => `${months[month]} ${ordinal(day)}`,
    () => `${shortMonths[month]} ${day}`,
    () => `the ${ordinal(day)}`,
    () => `${ordinal(day)} of ${months[month]}`,
    () => `${month + 1}/${day}`,
    () => `${String(month + 1).padStart(2, "0")}/${String(day).padStart(2, "0")}/2025`,
    () => `2025-${String(month + 1).padStart(2, "0")}-${String(day).padStart(2, "0")}`,
  ])();
}

/** A past date, as a date of birth is written. */
export function birthDateForm(random: Random): string {
  const year = 1940 + random.int(65);
  const month = random.int(12);
  const day = 1 + random.int(28);
  return pick(random, [
    () => `${month + 1}/${day}/${year}`,
    () => `${String(month + 1).padStart(2, "0")}/${String(day).padStart(2, "0")}/${year}`,
    () => `${months[month]} ${day}, ${year}`,
    () => `${day} ${shortMonths[month]} ${year}`,
    () => `${year}-${String(month + 1).padStart(2, "0")}-${String(day).padStart(2, "0")}`,
  ])();
}

/** A time of day: "3pm", "10:30 am", "14:00", "noon", "9 in the morning". */
export function timeForm(random: Random): string {
  const hour = 8 + random.int(10);
  const twelve = hour > 12 ? hour - 12 : hour;
  const suffix = hour >= 12 ? pick(random, ["pm", "PM", "p.m."]) : pick(random, ["am", "AM", "a.m."]);
  const minutes = pick(random, ["00", "15", "30", "45"]);
  return pick(random, [
    () => `${twelve}${suffix}`,
    () => `${twelve} ${suffix}`,
    () => `${twelve}:${minutes} ${suffix}`,
    () => `${twelve}:${minutes}${suffix}`,
    () => `${String(hour).padStart(2, "0")}:${minutes}`,
    () => pick(random, ["noon", "first thing in the morning", "late afternoon", "lunchtime"]),
    () => `${twelve} o'clock`,
  ])();
}

/** A count with an optional unit: "3", "two", "a dozen", "5 boxes". */
export function quantityForm(random: Random, units: readonly string[]): string {
  const count = 1 + random.int(24);
  const words = ["one", "two", "three", "four", "five", "six", "ten", "a dozen", "a couple of"];
  const number = random.next() < 0.2 ? pick(random, words) : String(count);
  return random.next() < 0.5 || units.length === 0 ? number : `${number} ${pick(random, units)}`;
}

/** An amount of money: "$25", "25 dollars", "USD 19.99", "under 30 bucks" (the span is the amount only). */
export function moneyForm(random: Random): string {
  const whole = 5 + random.int(500);
  const cents = random.next() < 0.4 ? `.${pick(random, ["99", "50", "00", "95"])}` : "";
  return pick(random, [
    () => `$${whole}${cents}`,
    () => `${whole}${cents} dollars`,
    () => `USD ${whole}${cents}`,
    () => `$${whole}`,
    () => `${whole} bucks`,
    () => `€${whole}${cents}`,
  ])();
}

/** A dotted or dashed code made of a prefix and digits, in the forms a code is read aloud or typed. */
export function codeForm(random: Random, prefixes: readonly string[], length: number): string {
  const prefix = pick(random, prefixes);
  const number = digits(random, length);
  return pick(random, [
    `${prefix}-${number}`,
    `${prefix}${number}`,
    `${prefix} ${number}`,
    `${prefix.toLowerCase()}-${number}`,
  ]);
}
