// Builds catalog `answer` templates: FAQ intents with question templates, plus the FAQ file of answers and slots.

import {
  defineLabeledTemplate,
  type IntentDefinition,
  type LabeledTemplateDefinition,
} from "./labeled-generator.js";
import type { LabeledTemplate } from "./template.js";

/** How to fill one `{slot}` of an answer from the question; the answer model applies it. */
export interface FaqSlot {
  /** A JavaScript regular expression (source, matched case-insensitively); group 1, or the whole match, is the value. */
  pattern: string;
  /** Used when the question holds no match, so the answer still reads well, e.g. "your order". */
  fallback: string;
}

/** One line of the FAQ file: `{label, answer}` (DESIGN.md Contracts), with optional slot patterns. */
export interface FaqEntry {
  label: string;
  /** The answer text; `{name}` placeholders are filled from `slots`. */
  answer: string;
  slots?: Record<string, FaqSlot>;
}

export interface AnswerIntentDefinition extends IntentDefinition {
  answer: string;
  slots?: Record<string, FaqSlot>;
}

export interface AnswerTemplateDefinition
  extends Omit<LabeledTemplateDefinition, "intents" | "files" | "spec"> {
  intents: readonly AnswerIntentDefinition[];
  spec: Omit<LabeledTemplateDefinition["spec"], "task" | "faq">;
}

/** Path of the FAQ file in every catalog answer use case, relative to usecase.yaml. */
export const faqPath = "data/faq.jsonl";

/** The FAQ rows of an answer template, in intent order. */
export function faqEntries(intents: readonly AnswerIntentDefinition[]): FaqEntry[] {
  return intents.map(({ name, answer, slots }) => ({
    label: name,
    answer,
    ...(slots === undefined ? {} : { slots }),
  }));
}

/** An answer template: labelled questions for the intent classifier and `data/faq.jsonl` with the answers. */
export function defineAnswerTemplate(definition: AnswerTemplateDefinition): LabeledTemplate {
  const content = `${faqEntries(definition.intents)
    .map((entry) => JSON.stringify(entry))
    .join("\n")}\n`;
  return defineLabeledTemplate({
    ...definition,
    spec: { ...definition.spec, task: "answer", faq: faqPath },
    files: [{ path: faqPath, role: "faq", content }],
  });
}
