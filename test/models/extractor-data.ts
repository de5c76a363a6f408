// Generated booking requests with span annotations, deterministic per seed: the extractor tests' data.

import { createRandom } from "../../src/internal/random.js";
import type { Span, SpanExample } from "../../src/types.js";

const names = [
  "Ana",
  "Bruno",
  "Chloé",
  "Dmitri",
  "Emma",
  "Farah",
  "Goran",
  "Hana",
  "Ivo",
  "Jun",
  "Kofi",
  "Lena",
];
const days = ["tomorrow", "Friday", "next Monday", "March 3rd", "the 12th", "Sunday"];
const times = ["7pm", "19:30", "8 pm", "noon", "6:45", "half past seven"];
const counts = ["2", "four", "6", "three", "10", "5"];

type Part = string | { label: string; value: string };

const templates: ((pick: (values: string[]) => string) => Part[])[] = [
  (pick) => [
    "Book a table for ",
    { label: "people", value: pick(counts) },
    " on ",
    { label: "date", value: pick(days) },
    " at ",
    { label: "time", value: pick(times) },
    ".",
  ],
  (pick) => [
    "Hi, I'm ",
    { label: "name", value: pick(names) },
    " and we are ",
    { label: "people", value: pick(counts) },
    " people.",
  ],
  (pick) => [
    "Can we come ",
    { label: "date", value: pick(days) },
    " around ",
    { label: "time", value: pick(times) },
    "?",
  ],
  (pick) => [
    "Reservation under ",
    { label: "name", value: pick(names) },
    " at ",
    { label: "time", value: pick(times) },
    " please",
  ],
  (pick) => ["Do you have space for ", { label: "people", value: pick(counts) }, "?"],
  () => ["Just checking the opening hours"],
];

export function bookingExamples(count: number, seed: number): SpanExample[] {
  const random = createRandom(seed);
  const pick = (values: string[]): string => values[random.int(values.length)] as string;
  return Array.from({ length: count }, (_, index) => {
    const parts = (templates[random.int(templates.length)] as (typeof templates)[number])(pick);
    let text = "";
    const spans: Span[] = [];
    for (const part of parts) {
      if (typeof part === "string") text += part;
      else {
        spans.push({ start: text.length, end: text.length + part.value.length, label: part.label });
        text += part.value;
      }
    }
    return { text, spans, line: index + 1 };
  });
}
