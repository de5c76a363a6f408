import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  normalizeCode,
  normalizeDate,
  normalizeMoney,
  normalizeQuantity,
  normalizeTime,
  parseNumber,
} from "../../src/text/normalizers/index.js";

const monthNames = [
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
const small = [
  "zero",
  "one",
  "two",
  "three",
  "four",
  "five",
  "six",
  "seven",
  "eight",
  "nine",
  "ten",
  "eleven",
  "twelve",
  "thirteen",
  "fourteen",
  "fifteen",
  "sixteen",
  "seventeen",
  "eighteen",
  "nineteen",
];
const tensWords = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];

function words(value: number): string {
  if (value < 20) return small[value] as string;
  if (value < 100)
    return `${tensWords[Math.floor(value / 10)]}${value % 10 === 0 ? "" : `-${small[value % 10]}`}`;
  const rest = value % 100;
  return `${small[Math.floor(value / 100)]} hundred${rest === 0 ? "" : ` and ${words(rest)}`}`;
}

function ordinal(day: number): string {
  const suffix =
    day % 10 === 1 && day !== 11
      ? "st"
      : day % 10 === 2 && day !== 12
        ? "nd"
        : day % 10 === 3 && day !== 13
          ? "rd"
          : "th";
  return `${day}${suffix}`;
}

const reference = new Date("2025-01-15T12:00:00Z");

describe("normalizers", () => {
  test("random dates in many surface forms parse back to the same ISO date", () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date("1990-01-01T00:00:00Z"),
          max: new Date("2090-12-31T00:00:00Z"),
          noInvalidDate: true,
        }),
        fc.integer({ min: 0, max: 6 }),
        (date, form) => {
          const year = date.getUTCFullYear();
          const month = date.getUTCMonth();
          const day = date.getUTCDate();
          const expected = new Date(Date.UTC(year, month, day)).toISOString().slice(0, 10);
          const name = monthNames[month] as string;
          const forms = [
            expected,
            `${name} ${ordinal(day)}, ${year}`,
            `${ordinal(day)} of ${name} ${year}`,
            `${day} ${name} ${year}`,
            `${String(month + 1).padStart(2, "0")}/${String(day).padStart(2, "0")}/${year}`,
            `${name.slice(0, 3)} ${day}, ${year}`,
            `on ${name.toLowerCase()} ${day} ${year}`,
          ];
          assert.equal(
            normalizeDate(forms[form] as string, { referenceDate: reference }),
            expected,
            forms[form],
          );
        },
      ),
    );
  });

  test("relative dates resolve against the reference date", () => {
    // 2025-01-15 is a Wednesday.
    assert.equal(normalizeDate("tomorrow", { referenceDate: reference }), "2025-01-16");
    assert.equal(normalizeDate("Friday", { referenceDate: reference }), "2025-01-17");
    assert.equal(normalizeDate("next Friday", { referenceDate: reference }), "2025-01-24");
    assert.equal(normalizeDate("3rd of March", { referenceDate: reference }), "2025-03-03");
    assert.equal(normalizeDate("January 2nd", { referenceDate: reference }), "2026-01-02");
    assert.equal(normalizeDate("03/04/2027", { referenceDate: reference, dayFirst: true }), "2027-04-03");
    assert.equal(
      normalizeDate("the second Thursday of September", { referenceDate: reference }),
      "2025-09-11",
    );
    assert.equal(normalizeDate("not a date", { referenceDate: reference }), null);
  });

  test("random times in many surface forms parse back to the same 24-hour time", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 23 }),
        fc.constantFrom(0, 15, 30, 45, 5, 50),
        fc.integer({ min: 0, max: 4 }),
        (hour, minute, form) => {
          const expected = `${String(hour).padStart(2, "0")}:${String(minute).padStart(2, "0")}`;
          const twelve = hour % 12 === 0 ? 12 : hour % 12;
          const meridiem = hour < 12 ? "am" : "pm";
          const forms = [
            expected,
            `${twelve}:${String(minute).padStart(2, "0")}${meridiem}`,
            `${twelve}:${String(minute).padStart(2, "0")} ${meridiem === "am" ? "a.m." : "p.m."}`,
            minute === 30
              ? `half past ${words(twelve)} ${meridiem}`
              : `${twelve}.${String(minute).padStart(2, "0")} ${meridiem}`,
            minute === 0 ? `${twelve}${meridiem}` : `at ${expected}`,
          ];
          assert.equal(normalizeTime(forms[form] as string), expected, forms[form]);
        },
      ),
    );
    assert.equal(normalizeTime("quarter to eight"), "07:45");
    assert.equal(normalizeTime("noon"), "12:00");
  });

  test("random counts in digits or words parse back to the same number, and parts are summed", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 999 }), fc.boolean(), (value, asWords) => {
        const text = asWords ? words(value) : String(value);
        assert.equal(parseNumber(text), value, text);
        assert.deepEqual(normalizeQuantity(`${text} people`), { value, unit: null }, text);
      }),
    );
    assert.deepEqual(normalizeQuantity("a dozen"), { value: 12, unit: null });
    assert.deepEqual(normalizeQuantity("5 adults and 1 child"), { value: 6, unit: null });
    assert.deepEqual(normalizeQuantity("500 mg"), { value: 500, unit: "mg" });
    assert.deepEqual(normalizeQuantity("2 tablets twice daily"), {
      value: 2,
      unit: "tablet",
      timesPerDay: 2,
    });
  });

  test("random amounts of money in many surface forms parse back to the same amount and currency", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 999_999 }), fc.integer({ min: 0, max: 5 }), (cents, form) => {
        const amount = cents / 100;
        const fixed = amount.toFixed(2);
        const grouped = Number(fixed).toLocaleString("en-US", { minimumFractionDigits: 2 });
        const forms: [string, string][] = [
          [`$${fixed}`, "USD"],
          [`${fixed} dollars`, "USD"],
          [`€${fixed}`, "EUR"],
          [`EUR ${grouped}`, "EUR"],
          [`£${grouped}`, "GBP"],
          [`${fixed} USD`, "USD"],
        ];
        const [text, currency] = forms[form] as [string, string];
        assert.deepEqual(normalizeMoney(text), { amount, currency }, text);
      }),
    );
    assert.deepEqual(normalizeMoney("15,50 €"), { amount: 15.5, currency: "EUR" });
  });

  test("random codes with other case and separators normalize to the same code", () => {
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^[A-Z0-9]{1,5}$/), { minLength: 1, maxLength: 4 }),
        fc.constantFrom("-", " ", "/", ".", "_", " - "),
        fc.boolean(),
        (parts, separator, lower) => {
          const text = parts.join(separator);
          assert.equal(normalizeCode(lower ? text.toLowerCase() : text), parts.join("-"));
        },
      ),
    );
  });
});
