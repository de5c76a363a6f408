// Reads an answer use case's FAQ file (JSONL of `{label, answer, slots?}`), naming the file and line of a bad entry.

import { readFile } from "node:fs/promises";
import { SlmkitError } from "../errors.js";
import type { FaqAnswer } from "./faq.js";

/**
 * Reads an FAQ file: JSONL of `{label, answer}` with optional `slots: {name: {pattern, fallback}}`. A line
 * that is not such an object is an INVALID_DATA error naming the file and line.
 */
export async function readFaqFile(path: string): Promise<FaqAnswer[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new SlmkitError("IO_ERROR", `cannot read the FAQ file: ${(error as Error).message}`, {
      file: path,
      cause: error,
    });
  }
  const entries: FaqAnswer[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === "") return;
    const problem = (why: string) =>
      new SlmkitError("INVALID_DATA", `${why}; each line must be {"label": "...", "answer": "..."}.`, {
        file: path,
        line: index + 1,
      });
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw problem("not valid JSON");
    }
    const entry = value as Partial<FaqAnswer> | null;
    if (
      typeof entry?.label !== "string" ||
      entry.label === "" ||
      typeof entry.answer !== "string" ||
      entry.answer === ""
    )
      throw problem("missing a non-empty label or answer");
    entries.push({
      label: entry.label,
      answer: entry.answer,
      ...(entry.slots === undefined ? {} : { slots: entry.slots }),
    });
  });
  if (entries.length === 0)
    throw new SlmkitError("EMPTY_DATA", "the FAQ file holds no answer.", { file: path });
  return entries;
}
