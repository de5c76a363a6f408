// Data quality checks behind `slmkit data check`: a JSON-serialisable report of what would hurt training or evaluation.

import type { LabeledExample, SpanExample } from "../types.js";
import { findExactDuplicates, findNearDuplicates } from "./check/duplicates.js";
import { labelFigures, lengthSummary, textFigures } from "./check/figures.js";
import { findIssues } from "./check/issues.js";
import { findLeakage } from "./check/leakage.js";
import { findPersonalData } from "./check/personal-data.js";
import { resolveCheckSettings } from "./check/settings.js";
import { type CheckRecord, indexTexts, readSplits } from "./check/splits.js";
import { compareCodeUnits, plural } from "./check/wording.js";
import type { DataProblem } from "./io.js";
import { type PiiKind, piiKinds } from "./pii.js";
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

/**
 * The report of either check: each section is a part of its own in `check/` (the splits and their text index,
 * label and text figures, duplicates, leakage, personal data, the issues' rules); this puts them together.
 */
function buildReport<T>(
  task: "classify" | "extract",
  toRecords: (list: readonly T[]) => CheckRecord[],
  examples: readonly T[],
  options: CheckDataOptions<T>,
  spanInfo: { statistics: SpanStatistics; labels: Map<string, number> } | null,
): DataReport {
  const settings = resolveCheckSettings(options);
  const splits = readSplits(toRecords, examples, options.otherSplits, settings.splitName);
  const labels = labelFigures(splits.records, spanInfo?.labels);
  const texts = textFigures(splits, options.problems ?? [], settings.maxChars);
  const entries = indexTexts(splits);
  const exact = findExactDuplicates(entries, splits.mainName);
  const similar = findSimilarPairs(
    entries.map((entry) => entry.normalized),
    settings.nearDuplicateThreshold,
  );
  const near = findNearDuplicates(entries, similar, splits.mainName);
  const splitNames = [splits.mainName, ...splits.others.map((other) => other.name)];
  const leakage = findLeakage(entries, similar, splitNames, settings.maxListed);
  const personalData = findPersonalData(splits.records, settings.maxListed);
  const spanStatistics = spanInfo?.statistics ?? null;
  const issues = findIssues({
    task,
    splits,
    settings,
    labels,
    texts,
    exact,
    near,
    leakage,
    personalData,
    spanStatistics,
  });
  return {
    task,
    file: options.file ?? null,
    n: splits.records.length,
    labels: labels.sorted,
    labelCount: labels.counts.size,
    imbalanceRatio: labels.imbalanceRatio,
    textLength: lengthSummary(texts.lengths),
    emptyTexts: texts.emptyTexts,
    overlongTexts: texts.overlong.length,
    maxChars: settings.maxChars,
    exactDuplicates: {
      groupCount: exact.groups.length,
      extraCopies: exact.extraCopies,
      groups: exact.groups.slice(0, settings.maxListed),
    },
    nearDuplicates: {
      threshold: settings.nearDuplicateThreshold,
      pairCount: near.pairs.length,
      pairs: near.pairs.slice(0, settings.maxListed),
    },
    conflictingLabels: {
      groupCount: exact.conflicts.length,
      groups: exact.conflicts.slice(0, settings.maxListed),
    },
    leakage,
    pii: personalData,
    malformed: { count: texts.problems.length, problems: texts.problems.slice(0, settings.maxListed) },
    spans: spanStatistics,
    issues,
    ok: issues.every((issue) => issue.severity !== "error"),
  };
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
