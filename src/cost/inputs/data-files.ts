// TCO inputs from the use case's data files: the labelled examples counted, and texts to time the model on.

import { readFile } from "node:fs/promises";
import type { LoadedUseCase } from "../../spec/load.js";
import type { TcoInput } from "../types.js";
import type { FigurePicker } from "./figures.js";

/** Texts kept from the data files for measuring throughput and estimating input length. */
const sampleTextLimit = 2000;

export interface DataFiles {
  /** Files that could be read. */
  files: string[];
  /** Non-blank lines over every file: the labelled examples. */
  lines: number;
  /** Up to `sampleTextLimit` texts, from the training file first. */
  texts: string[];
}

/** Counts the labelled examples of the use case's data files and keeps some texts; unreadable files are skipped. */
export async function readDataFiles(useCase: LoadedUseCase): Promise<DataFiles> {
  const paths = [useCase.paths.train, useCase.paths.valid, useCase.paths.test].filter(
    (path): path is string => path !== undefined,
  );
  const result: DataFiles = { files: [], lines: 0, texts: [] };
  for (const path of paths) {
    let content: string;
    try {
      content = await readFile(path, "utf8");
    } catch {
      continue;
    }
    result.files.push(path);
    const csv = path.toLowerCase().endsWith(".csv");
    const lines = content.split(/\r?\n/).filter((line) => line.trim() !== "");
    // A CSV file's first line is its header, not an example.
    result.lines += csv ? Math.max(0, lines.length - 1) : lines.length;
    if (csv) continue;
    for (const line of lines) {
      if (result.texts.length >= sampleTextLimit) break;
      const text = textOf(line);
      if (text !== undefined) result.texts.push(text);
    }
  }
  return result;
}

/** The labelled examples: every data file's examples, or none when no file could be read. */
export function gatherLabelledItems(figures: FigurePicker, data: DataFiles): TcoInput {
  return figures.pick("labelledItems", "examples", () =>
    data.files.length > 0
      ? {
          value: data.lines,
          unit: "examples",
          source: "measured",
          note: `non-blank lines of ${data.files.join(", ")}; pass --labelled-items 0 if a teacher labelled them`,
        }
      : { value: 0, unit: "examples", source: "assumed", note: "no data file could be read" },
  );
}

function textOf(line: string): string | undefined {
  try {
    const value = (JSON.parse(line) as { text?: unknown } | null)?.text;
    return typeof value === "string" && value !== "" ? value : undefined;
  } catch {
    return undefined;
  }
}
