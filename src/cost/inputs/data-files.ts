// TCO inputs from the use case's data files: the labelled examples counted, and texts to time the model on.

import { readFile } from "node:fs/promises";
import type { LoadedUseCase } from "../../spec/load.js";
import type { TcoInput } from "../types.js";
import type { FigurePicker } from "./figures.js";
import { type GeneratedData, nonBlankLines } from "./generated-data.js";

/** Texts kept from the data files for measuring throughput and estimating input length. */
const sampleTextLimit = 2000;

export interface DataFiles {
  /** Files that could be read. */
  files: string[];
  /** Non-blank lines over every file: the labelled examples. */
  examples: number;
  /** Each file's examples (its non-blank lines, a CSV's header left out), trimmed, by path. */
  lines: Map<string, string[]>;
  /** Up to `sampleTextLimit` texts, from the training file first. */
  texts: string[];
}

/** Counts the labelled examples of the use case's data files and keeps some texts; unreadable files are skipped. */
export async function readDataFiles(useCase: LoadedUseCase): Promise<DataFiles> {
  const paths = [useCase.paths.train, useCase.paths.valid, useCase.paths.test].filter(
    (path): path is string => path !== undefined,
  );
  const result: DataFiles = { files: [], examples: 0, lines: new Map(), texts: [] };
  for (const path of paths) {
    let content: string;
    try {
      content = await readFile(path, "utf8");
    } catch {
      continue;
    }
    result.files.push(path);
    const csv = path.toLowerCase().endsWith(".csv");
    // A CSV file's first line is its header, not an example.
    const lines = nonBlankLines(content).slice(csv ? 1 : 0);
    result.examples += lines.length;
    result.lines.set(path, lines);
    if (csv) continue;
    for (const line of lines) {
      if (result.texts.length >= sampleTextLimit) break;
      const text = textOf(line);
      if (text !== undefined) result.texts.push(text);
    }
  }
  return result;
}

/**
 * The examples people labelled: every data file's examples but those a built-in template generated (`generated`,
 * from `findGeneratedExamples`), or none when no file could be read.
 */
export function gatherLabelledItems(
  figures: FigurePicker,
  data: DataFiles,
  generated: GeneratedData | null,
): TcoInput {
  return figures.pick("labelledItems", "examples", () => {
    if (data.files.length === 0)
      return { value: 0, unit: "examples", source: "assumed", note: "no data file could be read" };
    if (generated !== null) {
      return {
        value: data.examples - generated.generated,
        unit: "examples",
        source: "measured",
        note: `${data.examples} examples in ${data.files.join(", ")}, of which ${generated.generated} are what \`slmkit init --template ${generated.templateId} --seed ${generated.seed}\` generates (regenerated and compared line by line): nobody labelled those; the rest count`,
      };
    }
    return {
      value: data.examples,
      unit: "examples",
      source: "measured",
      note: `non-blank lines of ${data.files.join(", ")}; pass --labelled-items 0 if a teacher labelled them`,
    };
  });
}

function textOf(line: string): string | undefined {
  try {
    const value = (JSON.parse(line) as { text?: unknown } | null)?.text;
    return typeof value === "string" && value !== "" ? value : undefined;
  } catch {
    return undefined;
  }
}
