// Data quality checks behind `slmkit data check`: a JSON-serialisable report of what would hurt training or evaluation.

import { SlmkitError } from "../errors.js";
import { normalizeText } from "../text/normalize.js";
import type { LabeledExample, SpanExample } from "../types.js";
import type { DataProblem } from "./io.js";
import { findPii, type PiiKind, piiKinds } from "./pii.js";
import { findSimilarPairs } from "./similarity.js";
import { resolveOverlaps } from "./spans.js";

/** One finding of a check: an error makes the report not ok (and `slmkit data check` exit 1). */
export interface DataIssue {
  severity: "error" | "warning";
  /** Stable identifier, e.g. "conflicting-labels"; see `checkClassificationData` for the list. */
  code: string;
  message: string;
}

/** A group of examples whose texts are equal after `normalizeText`. */
export interface DuplicateGroup {
  lines: number[];
  /** The distinct labels of the group, sorted (for span data: distinct annotations, as `label@start-end` lists). */
  labels: string[];
}

/** Two different texts that are nearly the same. `lines` are the first line of each text. */
export interface NearDuplicatePair {
  lines: [number, number];
  /** Jaccard similarity of the texts' character 4-grams, rounded to 3 decimals. */
  similarity: number;
  /** Whether both have the same label (for span data: the same annotation). */
  sameLabel: boolean;
}

/** The same or nearly the same text in two splits. `lines` are in the order of `splits`. */
export interface LeakedPair {
  kind: "exact" | "near";
  lines: [number, number];
  similarity: number;
}

export interface SplitLeakage {
  splits: [string, string];
  /** Distinct texts (after `normalizeText`) found in both splits. */
  exact: number;
  /** Pairs of different texts, one in each split, with similarity at or above the threshold. */
  near: number;
  pairs: LeakedPair[];
}

/** Span statistics of extract data. */
export interface SpanStatistics {
  /** All spans, as read. */
  count: number;
  textsWithoutSpans: number;
  /** Texts with at least two overlapping spans (kept as read: see `resolveOverlaps`). */
  textsWithOverlaps: number;
  /** Spans `resolveOverlaps` would drop. */
  droppedByOverlapRule: number;
  /** Spans that start or end with whitespace or punctuation (evaluation trims these; training may not). */
  untrimmed: number;
}

/**
 * The quality report of one data file (and its leakage into other splits). Lists are capped at `maxListed`
 * items; the counts beside them are exact. Line numbers are `example.line` (the JSONL line, or the CSV data row
 * without the header), or the 1-based position in the array for an example without one. Personal data is
 * never echoed: the report names kinds and lines only.
 */
export interface DataReport {
  task: "classify" | "extract";
  /** The checked file, or null for in-memory data. */
  file: string | null;
  /** Examples read (lines with problems are not examples: see `malformed`). */
  n: number;
  /** Examples per label (for span data: spans per label), sorted by label. */
  labels: Record<string, number>;
  labelCount: number;
  /** Largest over smallest label count; null without labels. */
  imbalanceRatio: number | null;
  /** Text length in UTF-16 code units; null without examples. */
  textLength: { min: number; median: number; p95: number; max: number } | null;
  /** Texts that are empty or only whitespace, from the examples and the reader's problems. */
  emptyTexts: number;
  /** Texts longer than `maxChars`. */
  overlongTexts: number;
  maxChars: number;
  exactDuplicates: { groupCount: number; extraCopies: number; groups: DuplicateGroup[] };
  nearDuplicates: { threshold: number; pairCount: number; pairs: NearDuplicatePair[] };
  /** Groups of equal texts with different labels (for span data: different annotations). */
  conflictingLabels: { groupCount: number; groups: DuplicateGroup[] };
  /** One entry per pair of splits; empty when no other split was given. */
  leakage: SplitLeakage[];
  pii: {
    textCount: number;
    counts: Record<PiiKind, number>;
    examples: Array<{ line: number; kind: PiiKind }>;
  };
  /** Problems the reader found, in all checked files. */
  malformed: { count: number; problems: DataProblem[] };
  /** Span statistics; null for classification data. */
  spans: SpanStatistics | null;
  issues: DataIssue[];
  /** True when no issue is an error. */
  ok: boolean;
}

/** Another split to check for leakage, e.g. the validation or test file. */
export interface OtherSplit<T> {
  examples: readonly T[];
  /** Problems its reader found; they join the report's `malformed`. Default: none. */
  problems?: readonly DataProblem[];
}

export interface CheckDataOptions<T> {
  /** The checked file, for the report. Default: null. */
  file?: string;
  /** Problems the lenient reader found in that file. Default: none. */
  problems?: readonly DataProblem[];
  /** Texts longer than this many UTF-16 code units are reported as overlong. Default: 2000. */
  maxChars?: number;
  /** Name of the checked split in leakage entries. Default: "train". */
  splitName?: string;
  /** Other splits by name (e.g. `{ valid, test }`), checked for leakage against this one and each other. Default: none. */
  otherSplits?: Readonly<Record<string, OtherSplit<T>>>;
  /** Jaccard similarity (character 4-grams) at or above which two texts are near duplicates, in (0, 1]. Default: 0.9. */
  nearDuplicateThreshold?: number;
  /** Largest-to-smallest label count ratio above which the imbalance is a warning. Default: 10. */
  maxImbalance?: number;
  /** Labels with fewer examples than this are a warning. Default: 5. */
  minExamplesPerLabel?: number;
  /** Most items listed per list in the report. Default: 100. */
  maxListed?: number;
}

/**
 * Checks classification data. The rule, by issue code:
 * errors (the data would train or evaluate a wrong model):
 *   `empty-data` no example; `malformed-lines` the reader found lines that are not examples; `empty-texts`;
 *   `conflicting-labels` the same normalized text with different labels; `one-class` fewer than 2 labels;
 *   `test-leakage` a text of the checked split is also in the "test" split (exact duplicate), so test
 *   figures would be inflated;
 * warnings (worth a look, training still works):
 *   `imbalance` largest/smallest label count above `maxImbalance`; `rare-labels` labels with fewer than
 *   `minExamplesPerLabel` examples; `similar-labels` labels equal after normalization ("Billing", "billing ");
 *   `exact-duplicates` (same label); `near-duplicates`; `split-leakage` any other exact or near duplicate
 *   across splits; `unknown-labels` labels of another split missing from this one; `pii` personal data found;
 *   `overlong-texts` texts longer than `maxChars`.
 */
export function checkClassificationData(
  examples: readonly LabeledExample[],
  options: CheckDataOptions<LabeledExample> = {},
): DataReport {
  const toRecords = (list: readonly LabeledExample[]): CheckRecord[] =>
    list.map((example, index) => ({
      text: example.text,
      key: example.label,
      line: example.line ?? index + 1,
    }));
  return buildReport("classify", toRecords, examples, options, null);
}

/**
 * Checks span (extract) data with the rules of `checkClassificationData`, except: labels are span labels and
 * one label is fine (one field to extract); `no-spans` (no span at all) is an error; equal texts with
 * different annotations are a warning (`conflicting-spans`), as real data has them; overlapping spans are a
 * warning (`overlapping-spans`) that counts what `resolveOverlaps` would drop; spans with surrounding
 * whitespace or punctuation are counted, not flagged.
 */
export function checkSpanData(
  examples: readonly SpanExample[],
  options: CheckDataOptions<SpanExample> = {},
): DataReport {
  const toRecords = (list: readonly SpanExample[]): CheckRecord[] =>
    list.map((example, index) => ({
      text: example.text,
      key: annotationKey(example),
      line: example.line ?? index + 1,
    }));
  const labels = new Map<string, number>();
  const statistics: SpanStatistics = {
    count: 0,
    textsWithoutSpans: 0,
    textsWithOverlaps: 0,
    droppedByOverlapRule: 0,
    untrimmed: 0,
  };
  for (const example of examples) {
    statistics.count += example.spans.length;
    if (example.spans.length === 0) statistics.textsWithoutSpans += 1;
    const { dropped } = resolveOverlaps(example.spans);
    if (dropped > 0) statistics.textsWithOverlaps += 1;
    statistics.droppedByOverlapRule += dropped;
    for (const span of example.spans) {
      labels.set(span.label, (labels.get(span.label) ?? 0) + 1);
      const covered = example.text.slice(span.start, span.end);
      if (/^[\s\p{P}]|[\s\p{P}]$/u.test(covered)) statistics.untrimmed += 1;
    }
  }
  return buildReport("extract", toRecords, examples, options, { statistics, labels });
}

// ---------------------------------------------------------------------------------------------------------------

interface CheckRecord {
  text: string;
  /** The label (classify) or a canonical form of the annotation (extract). */
  key: string;
  line: number;
}

/** Where a distinct normalized text occurs: per split, its lines and their keys. */
interface TextEntry {
  normalized: string;
  occurrences: Map<string, { lines: number[]; keys: string[] }>;
}

function buildReport<T>(
  task: "classify" | "extract",
  toRecords: (list: readonly T[]) => CheckRecord[],
  examples: readonly T[],
  options: CheckDataOptions<T>,
  spanInfo: { statistics: SpanStatistics; labels: Map<string, number> } | null,
): DataReport {
  const settings = resolveOptions(options);
  const mainName = settings.splitName;
  const records = toRecords(examples);
  const others = Object.entries(options.otherSplits ?? {}).map(([name, split]) => ({
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
  const issues: DataIssue[] = [];
  const error = (code: string, message: string): void => {
    issues.push({ severity: "error", code, message });
  };
  const warning = (code: string, message: string): void => {
    issues.push({ severity: "warning", code, message });
  };

  // Labels.
  const labelCounts = spanInfo?.labels ?? countBy(records.map((record) => record.key));
  const labels = Object.fromEntries([...labelCounts.entries()].sort(([a], [b]) => compareCodeUnits(a, b)));
  const counts = [...labelCounts.values()];
  const imbalanceRatio = counts.length === 0 ? null : round(Math.max(...counts) / Math.min(...counts), 3);

  // Texts.
  const problems = [...(options.problems ?? []), ...others.flatMap((other) => other.problems)];
  const isEmptyText = (problem: DataProblem): boolean => problem.kind === "empty-text";
  const emptyTexts =
    records.filter((record) => record.text.trim() === "").length +
    (options.problems ?? []).filter(isEmptyText).length;
  const emptyElsewhere =
    others.reduce(
      (total, other) => total + other.records.filter((record) => record.text.trim() === "").length,
      0,
    ) + others.flatMap((other) => other.problems).filter(isEmptyText).length;
  const overlong = records.filter((record) => record.text.length > settings.maxChars);
  const lengths = records.map((record) => record.text.length).sort((a, b) => a - b);

  // Duplicates, conflicts and leakage, over the distinct normalized texts of all splits.
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
  addRecords(mainName, records);
  for (const other of others) addRecords(other.name, other.records);

  const duplicateGroups: DuplicateGroup[] = [];
  const conflictGroups: DuplicateGroup[] = [];
  let extraCopies = 0;
  for (const entry of entries) {
    const occurrence = entry.occurrences.get(mainName);
    if (occurrence === undefined || occurrence.lines.length < 2) continue;
    const group = { lines: occurrence.lines, labels: [...new Set(occurrence.keys)].sort(compareCodeUnits) };
    duplicateGroups.push(group);
    extraCopies += occurrence.lines.length - 1;
    if (group.labels.length > 1) conflictGroups.push(group);
  }

  const similar = findSimilarPairs(
    entries.map((entry) => entry.normalized),
    settings.nearDuplicateThreshold,
  );
  const nearPairs: NearDuplicatePair[] = [];
  let nearDifferentLabels = 0;
  for (const { first, second, similarity } of similar) {
    const a = entries[first]?.occurrences.get(mainName);
    const b = entries[second]?.occurrences.get(mainName);
    if (a === undefined || b === undefined) continue;
    const sameLabel = a.keys[0] === b.keys[0];
    if (!sameLabel) nearDifferentLabels += 1;
    nearPairs.push({
      lines: [a.lines[0] ?? 0, b.lines[0] ?? 0],
      similarity: round(similarity, 3),
      sameLabel,
    });
  }

  const splitNames = [mainName, ...others.map((other) => other.name)];
  const leakage: SplitLeakage[] = [];
  for (let i = 0; i < splitNames.length; i++) {
    for (let j = i + 1; j < splitNames.length; j++) {
      const nameA = splitNames[i] ?? "";
      const nameB = splitNames[j] ?? "";
      const pairs: LeakedPair[] = [];
      let exact = 0;
      for (const entry of entries) {
        const a = entry.occurrences.get(nameA);
        const b = entry.occurrences.get(nameB);
        if (a === undefined || b === undefined) continue;
        exact += 1;
        pairs.push({ kind: "exact", lines: [a.lines[0] ?? 0, b.lines[0] ?? 0], similarity: 1 });
      }
      let near = 0;
      for (const { first, second, similarity } of similar) {
        const x = entries[first]?.occurrences;
        const y = entries[second]?.occurrences;
        if (x === undefined || y === undefined) continue;
        const forward = x.get(nameA) !== undefined && y.get(nameB) !== undefined;
        const backward = y.get(nameA) !== undefined && x.get(nameB) !== undefined;
        if (!forward && !backward) continue;
        near += 1;
        const a = (forward ? x : y).get(nameA);
        const b = (forward ? y : x).get(nameB);
        pairs.push({
          kind: "near",
          lines: [a?.lines[0] ?? 0, b?.lines[0] ?? 0],
          similarity: round(similarity, 3),
        });
      }
      leakage.push({ splits: [nameA, nameB], exact, near, pairs: pairs.slice(0, settings.maxListed) });
    }
  }

  // Personal data.
  const piiCounts = Object.fromEntries(piiKinds.map((kind) => [kind, 0])) as Record<PiiKind, number>;
  const piiExamples: Array<{ line: number; kind: PiiKind }> = [];
  let piiTexts = 0;
  for (const record of records) {
    const found = findPii(record.text);
    if (found.length === 0) continue;
    piiTexts += 1;
    for (const match of found) {
      piiCounts[match.kind] += 1;
      if (piiExamples.length < settings.maxListed) piiExamples.push({ line: record.line, kind: match.kind });
    }
  }

  // Issues, errors first.
  const nonEmptyProblems = problems.filter((problem) => !isEmptyText(problem));
  if (records.length === 0) {
    error(
      "empty-data",
      "no examples could be read; the file needs one JSON object a line (or a CSV header and rows).",
    );
  }
  if (nonEmptyProblems.length > 0) {
    error(
      "malformed-lines",
      `${plural(nonEmptyProblems.length, "line")} could not be read as examples (first: ${describeProblem(nonEmptyProblems[0])}); fix or remove them.`,
    );
  }
  if (emptyTexts + emptyElsewhere > 0) {
    const total = emptyTexts + emptyElsewhere;
    const where = emptyElsewhere > 0 ? ` (${emptyElsewhere} in other splits)` : "";
    error(
      "empty-texts",
      `${plural(total, "text")}${where} ${total === 1 ? "is" : "are"} empty; remove those lines or add the text.`,
    );
  }
  if (task === "classify") {
    if (conflictGroups.length > 0) {
      error(
        "conflicting-labels",
        `${plural(conflictGroups.length, "text")} appear${conflictGroups.length === 1 ? "s" : ""} with different labels (first: lines ${listLines(conflictGroups[0]?.lines ?? [])}); keep one label per text.`,
      );
    }
    if (records.length > 0 && labelCounts.size < 2) {
      error(
        "one-class",
        `only ${plural(labelCounts.size, "label")} found; a classifier needs at least 2 labels.`,
      );
    }
  } else {
    if (records.length > 0 && (spanInfo?.statistics.count ?? 0) === 0) {
      error("no-spans", "no example has a span; an extractor needs annotated spans to learn from.");
    }
    if (conflictGroups.length > 0) {
      warning(
        "conflicting-spans",
        `${plural(conflictGroups.length, "text")} appear${conflictGroups.length === 1 ? "s" : ""} with different annotations (first: lines ${listLines(conflictGroups[0]?.lines ?? [])}).`,
      );
    }
  }
  // The checked split against "test" (it is always first in its pairs): shared texts inflate test figures.
  const checkedAgainstTest = (entry: SplitLeakage): boolean =>
    entry.splits[0] === mainName && entry.splits[1] === "test";
  for (const entry of leakage) {
    if (entry.exact > 0 && checkedAgainstTest(entry)) {
      error(
        "test-leakage",
        `${plural(entry.exact, "text")} of ${mainName} ${entry.exact === 1 ? "is" : "are"} also in test; remove them from one side (slmkit data split keeps duplicates together).`,
      );
    }
  }

  if (imbalanceRatio !== null && imbalanceRatio > settings.maxImbalance) {
    warning(
      "imbalance",
      `the largest label has ${imbalanceRatio} times the examples of the smallest (above ${settings.maxImbalance}); add examples to small labels or merge them.`,
    );
  }
  const rare = [...labelCounts.entries()]
    .filter(([, count]) => count < settings.minExamplesPerLabel)
    .map(([name]) => name);
  if (rare.length > 0) {
    warning(
      "rare-labels",
      `${plural(rare.length, "label")} ${rare.length === 1 ? "has" : "have"} fewer than ${settings.minExamplesPerLabel} examples: ${listNames(rare)}; add examples or merge them.`,
    );
  }
  const similarLabels = labelsEqualWhenNormalized([...labelCounts.keys()]);
  if (similarLabels.length > 0) {
    warning(
      "similar-labels",
      `labels differ only in case or spacing: ${similarLabels.map((group) => listNames(group)).join("; ")}; use one spelling.`,
    );
  }
  const sameLabelDuplicates = duplicateGroups.length - conflictGroups.length;
  if (sameLabelDuplicates > 0) {
    warning(
      "exact-duplicates",
      `${plural(sameLabelDuplicates, "text")} appear${sameLabelDuplicates === 1 ? "s" : ""} more than once (first: lines ${listLines(duplicateGroups.find((group) => group.labels.length === 1)?.lines ?? [])}); duplicates weigh more in training.`,
    );
  }
  if (nearPairs.length > 0) {
    const conflicting =
      nearDifferentLabels > 0 ? `, ${nearDifferentLabels} of them with different labels` : "";
    warning(
      "near-duplicates",
      `${plural(nearPairs.length, "pair")} of nearly identical texts (similarity >= ${settings.nearDuplicateThreshold}${conflicting}); first: lines ${listLines(nearPairs[0]?.lines ?? [])}.`,
    );
  }
  for (const entry of leakage) {
    const exact = checkedAgainstTest(entry) ? 0 : entry.exact;
    if (exact + entry.near > 0) {
      const parts = [
        exact > 0 ? `${plural(exact, "identical text")}` : "",
        entry.near > 0 ? `${plural(entry.near, "near-identical pair")}` : "",
      ].filter(Boolean);
      warning(
        "split-leakage",
        `${entry.splits[0]} and ${entry.splits[1]} share ${parts.join(" and ")}; evaluation on ${entry.splits[1]} will look better than it is.`,
      );
    }
  }
  if (task === "classify") {
    for (const other of others) {
      const unknown = [...new Set(other.records.map((record) => record.key))]
        .filter((label) => !labelCounts.has(label))
        .sort(compareCodeUnits);
      if (unknown.length > 0) {
        warning(
          "unknown-labels",
          `${other.name} has ${plural(unknown.length, "label")} that ${mainName} lacks: ${listNames(unknown)}; a model trained on ${mainName} cannot predict them.`,
        );
      }
    }
  } else if (spanInfo !== null && spanInfo.statistics.droppedByOverlapRule > 0) {
    warning(
      "overlapping-spans",
      `${plural(spanInfo.statistics.textsWithOverlaps, "text")} ${spanInfo.statistics.textsWithOverlaps === 1 ? "has" : "have"} overlapping spans; the overlap rule (keep the longest, then the earliest) drops ${plural(spanInfo.statistics.droppedByOverlapRule, "span")}.`,
    );
  }
  if (piiTexts > 0) {
    const kinds = piiKinds.filter((kind) => piiCounts[kind] > 0).map((kind) => `${piiCounts[kind]} ${kind}`);
    warning(
      "pii",
      `${plural(piiTexts, "text")} hold${piiTexts === 1 ? "s" : ""} personal data (${kinds.join(", ")}); redact it (redactPii) unless the model needs it.`,
    );
  }
  if (overlong.length > 0) {
    warning(
      "overlong-texts",
      `${plural(overlong.length, "text")} ${overlong.length === 1 ? "is" : "are"} longer than ${settings.maxChars} characters (lines ${listLines(overlong.map((record) => record.line))}); long texts are slow and usually truncated.`,
    );
  }

  return {
    task,
    file: options.file ?? null,
    n: records.length,
    labels,
    labelCount: labelCounts.size,
    imbalanceRatio,
    textLength:
      lengths.length === 0
        ? null
        : {
            min: lengths[0] ?? 0,
            median: quantile(lengths, 0.5),
            p95: quantile(lengths, 0.95),
            max: lengths[lengths.length - 1] ?? 0,
          },
    emptyTexts,
    overlongTexts: overlong.length,
    maxChars: settings.maxChars,
    exactDuplicates: {
      groupCount: duplicateGroups.length,
      extraCopies,
      groups: duplicateGroups.slice(0, settings.maxListed),
    },
    nearDuplicates: {
      threshold: settings.nearDuplicateThreshold,
      pairCount: nearPairs.length,
      pairs: nearPairs.slice(0, settings.maxListed),
    },
    conflictingLabels: {
      groupCount: conflictGroups.length,
      groups: conflictGroups.slice(0, settings.maxListed),
    },
    leakage,
    pii: { textCount: piiTexts, counts: piiCounts, examples: piiExamples },
    malformed: { count: problems.length, problems: problems.slice(0, settings.maxListed) },
    spans: spanInfo?.statistics ?? null,
    issues,
    ok: issues.every((issue) => issue.severity !== "error"),
  };
}

function resolveOptions<T>(
  options: CheckDataOptions<T>,
): Required<Omit<CheckDataOptions<T>, "file" | "problems" | "otherSplits">> {
  const settings = {
    maxChars: options.maxChars ?? 2000,
    splitName: options.splitName ?? "train",
    nearDuplicateThreshold: options.nearDuplicateThreshold ?? 0.9,
    maxImbalance: options.maxImbalance ?? 10,
    minExamplesPerLabel: options.minExamplesPerLabel ?? 5,
    maxListed: options.maxListed ?? 100,
  };
  const positive = (name: keyof typeof settings, value: number, integer: boolean): void => {
    if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
      throw new SlmkitError(
        "INVALID_OPTION",
        `${name} must be a positive ${integer ? "integer" : "number"}, got ${value}.`,
        { field: name },
      );
    }
  };
  positive("maxChars", settings.maxChars, true);
  positive("maxImbalance", settings.maxImbalance, false);
  positive("minExamplesPerLabel", settings.minExamplesPerLabel, true);
  positive("maxListed", settings.maxListed, true);
  if (!(settings.nearDuplicateThreshold > 0 && settings.nearDuplicateThreshold <= 1)) {
    throw new SlmkitError(
      "INVALID_OPTION",
      `nearDuplicateThreshold must be in (0, 1], got ${settings.nearDuplicateThreshold}.`,
      {
        field: "nearDuplicateThreshold",
      },
    );
  }
  return settings;
}

/**
 * A comparable form of a text's annotation, its spans as sorted `label@start-end` items: offsets rather than the
 * covered text, so the report never echoes a name or a number it may hold.
 */
function annotationKey(example: SpanExample): string {
  return example.spans
    .map((span) => `${span.label}@${span.start}-${span.end}`)
    .sort(compareCodeUnits)
    .join(" ");
}

function labelsEqualWhenNormalized(labels: readonly string[]): string[][] {
  const groups = new Map<string, string[]>();
  for (const label of labels) {
    const key = normalizeText(label);
    groups.set(key, [...(groups.get(key) ?? []), label]);
  }
  return [...groups.values()]
    .filter((group) => group.length > 1)
    .map((group) => group.sort(compareCodeUnits));
}

function countBy(values: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

function round(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

function listLines(lines: readonly number[], most = 5): string {
  const shown = lines.slice(0, most).join(", ");
  return lines.length > most ? `${shown}, …` : shown;
}

function listNames(names: readonly string[], most = 8): string {
  const shown = names
    .slice(0, most)
    .map((name) => JSON.stringify(name))
    .join(", ");
  return names.length > most ? `${shown} and ${names.length - most} more` : shown;
}

function describeProblem(problem: DataProblem | undefined): string {
  return problem === undefined ? "" : `${problem.file}:${problem.line} ${problem.message}`;
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------------------------

/** A readable multi-line summary of a report, for the CLI. Ends with a newline. */
export function formatDataReport(report: DataReport): string {
  const lines: string[] = [];
  const title = report.file ?? "data";
  lines.push(
    `${title} (${report.task}): ${plural(report.n, "example")}, ${plural(report.labelCount, "label")}`,
  );
  if (report.textLength !== null) {
    const { min, median, p95, max } = report.textLength;
    lines.push(`  text length: min ${min}, median ${median}, p95 ${p95}, max ${max} characters`);
  }
  const labelEntries = Object.entries(report.labels).sort(([, a], [, b]) => b - a);
  if (labelEntries.length > 0) {
    const shown = labelEntries.slice(0, 12).map(([name, count]) => `${name} ${count}`);
    const more = labelEntries.length > 12 ? `, … ${labelEntries.length - 12} more` : "";
    lines.push(`  ${report.task === "extract" ? "span labels" : "labels"}: ${shown.join(", ")}${more}`);
    if (report.imbalanceRatio !== null)
      lines.push(`  imbalance (largest / smallest): ${report.imbalanceRatio}`);
  }
  if (report.spans !== null) {
    const spans = report.spans;
    lines.push(
      `  spans: ${spans.count}; texts without spans ${spans.textsWithoutSpans}; texts with overlaps ${spans.textsWithOverlaps} (overlap rule drops ${spans.droppedByOverlapRule}); untrimmed ${spans.untrimmed}`,
    );
  }
  lines.push(
    `  exact duplicates: ${plural(report.exactDuplicates.groupCount, "group")} (${report.exactDuplicates.extraCopies} extra copies)`,
  );
  lines.push(
    `  near duplicates: ${plural(report.nearDuplicates.pairCount, "pair")} (similarity >= ${report.nearDuplicates.threshold})`,
  );
  lines.push(
    `  conflicting ${report.task === "extract" ? "annotations" : "labels"}: ${plural(report.conflictingLabels.groupCount, "group")}`,
  );
  for (const entry of report.leakage) {
    lines.push(
      `  leakage ${entry.splits[0]} / ${entry.splits[1]}: ${entry.exact} identical, ${entry.near} near-identical`,
    );
  }
  const piiKindsFound = piiKinds
    .filter((kind) => report.pii.counts[kind] > 0)
    .map((kind) => `${kind} ${report.pii.counts[kind]}`);
  lines.push(
    `  personal data: ${plural(report.pii.textCount, "text")}${piiKindsFound.length > 0 ? ` (${piiKindsFound.join(", ")})` : ""}`,
  );
  lines.push(
    `  empty texts: ${report.emptyTexts}; longer than ${report.maxChars} characters: ${report.overlongTexts}`,
  );
  if (report.malformed.count > 0) {
    lines.push(`  unreadable lines: ${report.malformed.count}`);
    for (const problem of report.malformed.problems.slice(0, 10))
      lines.push(`    ${problem.file}:${problem.line}: ${problem.message}`);
    if (report.malformed.count > 10) lines.push(`    … ${report.malformed.count - 10} more (see --json)`);
  }
  const errors = report.issues.filter((issue) => issue.severity === "error");
  const warnings = report.issues.filter((issue) => issue.severity === "warning");
  if (errors.length > 0) {
    lines.push("errors:");
    for (const issue of errors) lines.push(`  [${issue.code}] ${issue.message}`);
  }
  if (warnings.length > 0) {
    lines.push("warnings:");
    for (const issue of warnings) lines.push(`  [${issue.code}] ${issue.message}`);
  }
  lines.push(
    report.ok
      ? `result: OK${warnings.length > 0 ? ` with ${plural(warnings.length, "warning")}` : ""}`
      : `result: NOT OK: ${plural(errors.length, "error")}${warnings.length > 0 ? `, ${plural(warnings.length, "warning")}` : ""}`,
  );
  return `${lines.join("\n")}\n`;
}
