// Prompt text for prebuilt models: the classification prompt (shared prefix + per-text part) and FAQ grounding.

/** A class as the prompt describes it. */
export interface GgufLabel {
  name: string;
  /** One line on what belongs to the label; the model reads it as the class definition. */
  description?: string;
}

/** A labelled example shown to the model (few-shot). */
export interface GgufExample {
  text: string;
  label: string;
}

/** One FAQ entry an answer is grounded on. */
export interface FaqEntry {
  label: string;
  answer: string;
}

/** Texts longer than this (in characters) are cut in examples: a few-shot example needs no more. */
const exampleCharacters = 400;

/** Collapses line breaks so a text cannot fake a "Label:" line of its own. */
function oneLine(text: string): string {
  return text.replace(/\s+/gu, " ").trim();
}

/**
 * The part of the classification prompt that is the same for every text: instructions, the label
 * definitions and the examples. It ends with a line break so the per-text part tokenizes on its own.
 */
export function classificationPrefix(labels: readonly GgufLabel[], examples: readonly GgufExample[]): string {
  const lines = ["Classify the text into exactly one of these labels.", "", "Labels:"];
  for (const label of labels) {
    lines.push(label.description ? `- ${label.name}: ${oneLine(label.description)}` : `- ${label.name}`);
  }
  lines.push("");
  for (const example of examples) {
    lines.push(`Text: ${oneLine(example.text).slice(0, exampleCharacters)}`, `Label: ${example.label}`, "");
  }
  return `${lines.join("\n")}\n`;
}

/** The per-text part; the label follows "Label:" after one space, which belongs to the label's tokens. */
export function classificationQuery(text: string): string {
  return `Text: ${oneLine(text)}\nLabel:`;
}

/** The continuation whose likelihood scores a label. */
export function labelContinuation(label: string): string {
  return ` ${label}`;
}

/** The system prompt of a grounded answer: the FAQ is the only allowed source. */
export function faqSystemPrompt(faq: readonly FaqEntry[]): string {
  const entries = faq.map((entry) => `[${entry.label}] ${oneLine(entry.answer)}`);
  return [
    "Answer the user's question using only the FAQ entries below.",
    'If none of them answers it, reply exactly "I don\'t know."',
    "",
    "FAQ:",
    ...entries,
  ].join("\n");
}
