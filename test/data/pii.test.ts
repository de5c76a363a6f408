import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { findPii, type PiiKind, passesIbanCheck, passesLuhn, redactPii } from "../../src/data/pii.js";

const kindsIn = (text: string): PiiKind[] => findPii(text).map((match) => match.kind);
const covered = (text: string): string[] => findPii(text).map((match) => text.slice(match.start, match.end));
const occurrences = (text: string, value: string): number => text.split(value).length - 1;

/** The Luhn check digit that makes `body` + digit valid. */
function luhnDigit(body: string): number {
  for (let digit = 0; digit < 10; digit++) if (passesLuhn(body + digit)) return digit;
  throw new Error("unreachable");
}

/** Groups digits the way cards are printed: 4-6-5 for 15 digits, otherwise fours with the rest last. */
function grouped(digits: string, separator: string): string {
  const sizes = digits.length === 15 ? [4, 6, 5] : digits.length === 14 ? [4, 6, 4] : [];
  if (sizes.length === 0) {
    const groups = digits.match(/\d{1,4}/g) ?? [];
    // A last group of 1-2 digits is not how cards are printed: join it to the one before.
    const last = groups[groups.length - 1] ?? "";
    if (last.length < 3 && groups.length > 1) groups.splice(-2, 2, `${groups[groups.length - 2]}${last}`);
    return groups.join(separator);
  }
  let position = 0;
  return sizes
    .map((size) => {
      const group = digits.slice(position, position + size);
      position += size;
      return group;
    })
    .join(separator);
}

const cardBody = fc
  .tuple(
    fc.integer({ min: 13, max: 19 }),
    fc.integer({ min: 1, max: 9 }),
    fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 18, maxLength: 18 }),
  )
  .map(([length, first, rest]) => `${first}${rest.slice(0, length - 2).join("")}`);
const validCard = cardBody.map((body) => `${body}${luhnDigit(body)}`);
const invalidCard = fc
  .tuple(cardBody, fc.integer({ min: 1, max: 9 }))
  .map(([body, offset]) => `${body}${(luhnDigit(body) + offset) % 10}`);
const word = fc.constantFrom(
  "please",
  "refund",
  "my",
  "card",
  "number",
  "is",
  "thanks",
  "the",
  "order",
  "ünd",
  "чек",
  "見る",
);
const words = fc.array(word, { maxLength: 5 }).map((list) => list.join(" "));

describe("payment cards", () => {
  test("finds every generated valid card number, plain or grouped, inside text", () => {
    fc.assert(
      fc.property(
        validCard,
        fc.constantFrom("", " ", "-"),
        words,
        words,
        (digits, separator, before, after) => {
          const card = separator === "" ? digits : grouped(digits, separator);
          const text = `${before} ${card} ${after}`;
          const found = findPii(text).filter((match) => match.kind === "card");
          assert.equal(found.length, 1, `no card found in ${JSON.stringify(text)}`);
          assert.equal(text.slice(found[0]?.start, found[0]?.end), card);
        },
      ),
      { numRuns: 300 },
    );
  });

  test("never reports a number that fails the Luhn check as a card", () => {
    fc.assert(
      fc.property(invalidCard, words, words, (digits, before, after) => {
        assert.ok(!passesLuhn(digits));
        assert.deepEqual(kindsIn(`${before} ${digits} ${after}`), []);
        if (digits.length === 16)
          assert.ok(!kindsIn(`${before} ${grouped(digits, " ")} ${after}`).includes("card"));
      }),
      { numRuns: 300 },
    );
  });

  test("finds two cards printed next to each other", () => {
    assert.deepEqual(covered("4111 1111 1111 1111 5500 0000 0000 0004"), [
      "4111 1111 1111 1111",
      "5500 0000 0000 0004",
    ]);
  });

  test("ignores card-length runs inside longer numbers", () => {
    assert.deepEqual(kindsIn("tracking 41111111111111110000"), []);
  });
});

describe("other kinds of personal data", () => {
  test("finds emails, including non-ASCII ones, without trailing punctuation", () => {
    assert.deepEqual(covered("Mail john.doe+x@example.co.uk. or josé@correo.es!"), [
      "john.doe+x@example.co.uk",
      "josé@correo.es",
    ]);
  });

  test("finds IBANs that pass mod-97, plain or in groups of four, and not those that fail", () => {
    assert.ok(passesIbanCheck("GB82WEST12345698765432"));
    assert.ok(!passesIbanCheck("GB82WEST12345698765433"));
    assert.deepEqual(covered("pay GB82WEST12345698765432 today"), ["GB82WEST12345698765432"]);
    assert.deepEqual(covered("to DE89 3704 0044 0532 0130 00 THIS WEEK"), ["DE89 3704 0044 0532 0130 00"]);
    assert.deepEqual(kindsIn("pay GB82WEST12345698765433 today"), []);
  });

  test("finds US SSNs except never-issued areas, groups and serials", () => {
    assert.deepEqual(kindsIn("ssn 123-45-6789"), ["national_id"]);
    for (const invalid of ["000-12-3456", "666-12-3456", "900-12-3456", "123-00-4567", "123-45-0000"]) {
      assert.deepEqual(kindsIn(`ssn ${invalid}`), [], invalid);
    }
  });

  test("finds UK National Insurance numbers with valid prefixes only", () => {
    assert.deepEqual(covered("NI AB123456C and AB 12 34 56 C"), ["AB123456C", "AB 12 34 56 C"]);
    assert.deepEqual(kindsIn("QQ123456C GB123456A AB123456E"), []);
  });

  test("finds international and common national phone numbers", () => {
    const phones = [
      "+44 20 7946 0958",
      "+1 (555) 123-4567",
      "+49 (0)30 1234567",
      "0044 20 7946 0958",
      "(555) 123-4567",
      "555-123-4567",
      "555.123.4567",
      "020 7946 0958",
      "06 12 34 56 78",
      "07700900123",
    ];
    for (const phone of phones) assert.deepEqual(covered(`call ${phone} today`), [phone], phone);
  });

  test("does not take short numbers, amounts, dates, times or versions for phones", () => {
    const notPhones = [
      "order 12345",
      "I paid $1,234,567.89",
      "it was 1.234.567,89 EUR",
      "1 234 567 890 people",
      "on 2023-01-15 12 items",
      "on 01.02.2023 1234",
      "15/01/2023",
      "at 10:30",
      "version 1.2.3.4",
      "pi is 3.14159265358",
      "ref 123456789012",
      "£ 0123 456 789",
    ];
    for (const text of notPhones) assert.deepEqual(kindsIn(text), [], text);
  });
});

describe("redactPii", () => {
  test("replaces each item by its kind's placeholder", () => {
    assert.equal(
      redactPii(
        "Hi, I'm jane@example.com, card 4111 1111 1111 1111, call +44 20 7946 0958, SSN 123-45-6789.",
      ),
      "Hi, I'm [EMAIL], card [CARD], call [PHONE], SSN [NATIONAL_ID].",
    );
    assert.equal(redactPii("IBAN GB82WEST12345698765432"), "IBAN [IBAN]");
    assert.equal(redactPii("nothing personal"), "nothing personal");
  });

  test("catches items glued to each other once their neighbour is replaced", () => {
    assert.equal(redactPii("jane@example.com4111111111111111jane@example.com"), "[EMAIL][CARD][EMAIL]");
  });

  const piiItem = fc.oneof(
    validCard,
    validCard.map((digits) => grouped(digits, " ")),
    fc.constantFrom(
      "jane@example.com",
      "x.y@mail.example.org",
      "+44 20 7946 0958",
      "(555) 123-4567",
      "020 7946 0958",
      "123-45-6789",
      "AB123456C",
      "GB82WEST12345698765432",
      "DE89 3704 0044 0532 0130 00",
    ),
  );
  const fragment = fc.oneof(
    word,
    piiItem,
    fc.stringMatching(/^[0-9]{1,20}$/),
    fc.constantFrom(" ", "-", ".", ",", "@", "+", "(", ")", "/", ":", "$"),
  );

  test("leaves nothing findPii would find, and none of the found values", () => {
    fc.assert(
      fc.property(fc.array(fragment, { maxLength: 12 }), fc.constantFrom(" ", ""), (fragments, joiner) => {
        const text = fragments.join(joiner);
        const redacted = redactPii(text);
        assert.deepEqual(
          findPii(redacted),
          [],
          `left personal data in ${JSON.stringify(redacted)} from ${JSON.stringify(text)}`,
        );
        // A found value may also occur where it is not personal data ("$ (555) 123-4567" is an amount), so count.
        for (const value of new Set(covered(text))) {
          const foundTimes = covered(text).filter((item) => item === value).length;
          assert.ok(
            occurrences(redacted, value) <= occurrences(text, value) - foundTimes,
            `${value} survived in ${redacted}`,
          );
        }
      }),
      { numRuns: 500 },
    );
  });

  test("never throws and never finds overlapping items in arbitrary text", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200, unit: "grapheme" }), (text) => {
        const found = findPii(text);
        for (let index = 1; index < found.length; index++) {
          assert.ok((found[index - 1]?.end ?? 0) <= (found[index]?.start ?? 0));
        }
      }),
      { numRuns: 300 },
    );
  });
});
