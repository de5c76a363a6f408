// Small generated classification data for tests: each label has its own cue words inside shared filler.

import { createRandom } from "../../src/internal/random.js";
import type { LabeledExample } from "../../src/types.js";

const cues: Record<string, string[]> = {
  billing: ["invoice", "charged", "bill", "payment", "refund"],
  shipping: ["delivery", "parcel", "courier", "tracking", "shipped"],
  account: ["password", "login", "username", "locked", "reset"],
  product: ["size", "colour", "material", "warranty", "specs"],
};
const filler = [
  "hi",
  "please",
  "my",
  "the",
  "i",
  "need",
  "help",
  "with",
  "order",
  "today",
  "can",
  "you",
  "about",
  "thanks",
];

/** `perLabel` examples for each of four labels, deterministic for `seed`; a few share cues across labels. */
export function syntheticExamples(perLabel: number, seed: number): LabeledExample[] {
  const random = createRandom(seed);
  const labels = Object.keys(cues);
  const examples: LabeledExample[] = [];
  for (let i = 0; i < perLabel; i++) {
    for (const label of labels) {
      const words: string[] = [];
      const length = 4 + random.int(6);
      for (let w = 0; w < length; w++) words.push(filler[random.int(filler.length)] as string);
      const own = cues[label] as string[];
      words.splice(random.int(words.length), 0, own[random.int(own.length)] as string);
      if (random.next() < 0.1) {
        const other = cues[labels[random.int(labels.length)] as string] as string[];
        words.splice(random.int(words.length), 0, other[random.int(other.length)] as string);
      }
      examples.push({ text: words.join(" "), label });
    }
  }
  return examples;
}
