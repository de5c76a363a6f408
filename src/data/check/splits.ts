// The data report's input: the checked split and the others as records, and the distinct texts across them.

import { SlmkitError } from "../../errors.js";
import { normalizeText } from "../../text/normalize.js";
import type { OtherSplit } from "../check.js";
import type { DataProblem } from "../io.js";

/** One example as the checks see it. */
export interface CheckRecord {
  text: string;
  /** The label (classify) or a canonical form of the annotation (extract). */
  key: string;
  line: number;
}

/** Another split, as records, with the problems its reader found. */
export interface OtherRecords {
  name: string;
  records: CheckRecord[];
  problems: readonly DataProblem[];
}

/** The checked split and the others, by name. */
export interface CheckedSplits {
  mainName: string;
  records: CheckRecord[];
  others: OtherRecords[];
}

/** Where a distinct normalized text occurs: per split, its lines and their keys. */
export interface TextEntry {
  normalized: string;
  occurrences: Map<string, { lines: number[]; keys: string[] }>;
}

/** The splits as records; throws INVALID_OPTION when another split has the checked split's name. */
export function readSplits<T>(
  toRecords: (list: readonly T[]) => CheckRecord[],
  examples: readonly T[],
  otherSplits: Readonly<Record<string, OtherSplit<T>>> | undefined,
  mainName: string,
): CheckedSplits {
  const others = Object.entries(otherSplits ?? {}).map(([name, split]) => ({
    name,
    records: toRecords(split.examples),
    problems: split.problems ?? [],
  }));
  if (others.some((other) => other.name === mainName)) {
    throw new SlmkitError(
      "INVALID_OPTION",
      `otherSplits must not contain the checked split's own name "${mainName}".`,
      {
        field: "otherSplits",
      },
    );
  }
  return { mainName, records: toRecords(examples), others };
}

/**
 * The distinct normalized texts of all splits, in order of first appearance (the checked split first), each
 * with where it occurs. Duplicates, conflicts and leakage are all read from this one index.
 */
export function indexTexts(splits: CheckedSplits): TextEntry[] {
  const entries: TextEntry[] = [];
  const entryByText = new Map<string, TextEntry>();
  const addRecords = (name: string, list: readonly CheckRecord[]): void => {
    for (const record of list) {
      const normalized = normalizeText(record.text);
      if (normalized === "") continue;
      let entry = entryByText.get(normalized);
      if (entry === undefined) {
        entry = { normalized, occurrences: new Map() };
        entryByText.set(normalized, entry);
        entries.push(entry);
      }
      let occurrence = entry.occurrences.get(name);
      if (occurrence === undefined) {
        occurrence = { lines: [], keys: [] };
        entry.occurrences.set(name, occurrence);
      }
      occurrence.lines.push(record.line);
      occurrence.keys.push(record.key);
    }
  };
  addRecords(splits.mainName, splits.records);
  for (const other of splits.others) addRecords(other.name, other.records);
  return entries;
}
