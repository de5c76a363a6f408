// FAQ entries of answer use cases and how their `{slot}` placeholders are filled from a question. No Node API:
// the edge runtime fills answers with the same code.

import { SlmkitError } from "../errors.js";

/** How one `{slot}` of an answer is filled from the question. */
export interface AnswerSlot {
  /** JavaScript regular expression source, matched case-insensitively; group 1 (or the whole match) is the value. */
  pattern: string;
  /** Text used when the question holds no match. Absent: a missing value makes the answer unusable (escalated). */
  fallback?: string;
}

/** One FAQ entry: `{label, answer}` (DESIGN.md Contracts); `{name}` placeholders need a slot. */
export interface FaqAnswer {
  label: string;
  answer: string;
  slots?: Record<string, AnswerSlot>;
}

const placeholderPattern = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * Answers questions from an FAQ. An answer is accepted only when (1) the intent classifier's calibrated
 * confidence reaches its threshold, (2) BM25 retrieval over the training questions and FAQ answers agrees
 * (see `RetrievalSettings.agreementRatio`) and (3) every `{slot}` of the answer is filled from the question
 * or has a fallback. Otherwise `answer` is null and the request should be escalated.
 */

/**
 * An FAQ answer with every `{slot}` filled: `preferred(name)` when it gives a value, else the slot's pattern
 * matched on `text` (group 1, or the whole match), else the slot's fallback. Null when a placeholder stays empty.
 * The one definition of slot filling, for the native answerer and for an LLM's picks.
 */
export function fillPlaceholders(
  entry: FaqAnswer,
  patterns: ReadonlyMap<string, RegExp>,
  text: string,
  preferred: (name: string) => string | undefined = () => undefined,
): string | null {
  let missing = false;
  const answer = entry.answer.replace(placeholderPattern, (placeholder, name: string) => {
    const match = patterns.get(name)?.exec(text);
    const value = preferred(name) ?? match?.[1] ?? match?.[0] ?? entry.slots?.[name]?.fallback;
    if (value === undefined) {
      missing = true;
      return placeholder;
    }
    return value;
  });
  return missing ? null : answer;
}

/** The placeholder names of an FAQ answer, each once, in order of appearance. */
export function placeholdersOf(entry: FaqAnswer): string[] {
  return [...new Set([...entry.answer.matchAll(placeholderPattern)].map((match) => match[1] as string))];
}

/** Each slot's pattern compiled (case-insensitive, Unicode); an invalid one is INVALID_DATA naming the slot. */
export function compileSlots(entry: FaqAnswer): Map<string, RegExp> {
  const patterns = new Map<string, RegExp>();
  for (const [name, slot] of Object.entries(entry.slots ?? {})) {
    try {
      patterns.set(name, new RegExp(slot.pattern, "iu"));
    } catch (error) {
      throw new SlmkitError(
        "INVALID_DATA",
        `the slot {${name}} of FAQ answer "${entry.label}" has an invalid pattern (${(error as Error).message}); fix its regular expression.`,
        { field: `slots.${name}.pattern`, cause: error },
      );
    }
  }
  return patterns;
}

/** Placeholders of an FAQ answer that have no slot pattern; training refuses such an FAQ. */
export function unfillablePlaceholders(entry: FaqAnswer): string[] {
  return [...entry.answer.matchAll(placeholderPattern)]
    .map((match) => match[1] as string)
    .filter((name) => entry.slots?.[name] === undefined);
}

/**
 * Fills any FAQ entry's answer by label from a text, with each entry's slot patterns compiled once: the one
 * answer filler of every answer model (native, GGUF, OpenAI-compatible) for the labels they or an LLM pick.
 * Null for a label without an answer, or a slot neither matched nor given a fallback.
 */
export function createFaqFiller(faq: readonly FaqAnswer[]): (label: string, text: string) => string | null {
  const entries = new Map(faq.map((entry) => [entry.label, { entry, patterns: compileSlots(entry) }]));
  return (label, text) => {
    const found = entries.get(label);
    return found === undefined ? null : fillPlaceholders(found.entry, found.patterns, text);
  };
}
