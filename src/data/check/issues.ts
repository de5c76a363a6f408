// The data report's issues: the rules of `checkClassificationData` and `checkSpanData`, each finding worded.

import { normalizeText } from "../../text/normalize.js";
import type { DataIssue, DataReport, SpanStatistics, SplitLeakage } from "../check.js";
import { piiKinds } from "../pii.js";
import type { ExactDuplicates, NearDuplicates } from "./duplicates.js";
import { isEmptyTextProblem, type LabelFigures, type TextFigures } from "./figures.js";
import type { CheckSettings } from "./settings.js";
import type { CheckedSplits } from "./splits.js";
import { compareCodeUnits, describeProblem, listLines, listNames, plural } from "./wording.js";

/** Everything the rules read: the report's sections before their lists are capped. */
export interface IssueInput {
  task: "classify" | "extract";
  splits: CheckedSplits;
  settings: CheckSettings;
  labels: LabelFigures;
  texts: TextFigures;
  exact: ExactDuplicates;
  near: NearDuplicates;
  leakage: readonly SplitLeakage[];
  personalData: DataReport["pii"];
  /** Null for classification data. */
  spanStatistics: SpanStatistics | null;
}

/**
 * The issues, in the report's order: what could not be read, the task's own rules, leakage into test, then
 * the warnings about labels, duplicates, the task, and the texts' content.
 */
export function findIssues(input: IssueInput): DataIssue[] {
  return [
    ...readingIssues(input),
    ...taskIssues(input),
    ...testLeakageIssues(input),
    ...labelWarnings(input),
    ...duplicateWarnings(input),
    ...taskWarnings(input),
    ...contentWarnings(input),
  ];
}

function error(code: string, message: string): DataIssue {
  return { severity: "error", code, message };
}

function warning(code: string, message: string): DataIssue {
  return { severity: "warning", code, message };
}

/** The checked split against "test" (it is always first in its pairs): shared texts inflate test figures. */
function isAgainstTest(entry: SplitLeakage, mainName: string): boolean {
  return entry.splits[0] === mainName && entry.splits[1] === "test";
}

/** No example, lines that are not examples, empty texts: errors. */
function readingIssues({ splits, texts }: IssueInput): DataIssue[] {
  const issues: DataIssue[] = [];
  const nonEmptyProblems = texts.problems.filter((problem) => !isEmptyTextProblem(problem));
  if (splits.records.length === 0) {
    issues.push(
      error(
        "empty-data",
        "no examples could be read; the file needs one JSON object a line (or a CSV header and rows).",
      ),
    );
  }
  if (nonEmptyProblems.length > 0) {
    issues.push(
      error(
        "malformed-lines",
        `${plural(nonEmptyProblems.length, "line")} could not be read as examples (first: ${describeProblem(nonEmptyProblems[0])}); fix or remove them.`,
      ),
    );
  }
  if (texts.emptyTexts + texts.emptyElsewhere > 0) {
    const total = texts.emptyTexts + texts.emptyElsewhere;
    const where = texts.emptyElsewhere > 0 ? ` (${texts.emptyElsewhere} in other splits)` : "";
    issues.push(
      error(
        "empty-texts",
        `${plural(total, "text")}${where} ${total === 1 ? "is" : "are"} empty; remove those lines or add the text.`,
      ),
    );
  }
  return issues;
}

/**
 * A classifier needs one label per text and two labels or more; an extractor needs spans, and equal texts with
 * different annotations are only a warning, as real span data has them.
 */
function taskIssues({ task, splits, labels, exact, spanStatistics }: IssueInput): DataIssue[] {
  const issues: DataIssue[] = [];
  const conflicts = exact.conflicts;
  const texts = `${plural(conflicts.length, "text")} appear${conflicts.length === 1 ? "s" : ""}`;
  const firstLines = listLines(conflicts[0]?.lines ?? []);
  if (task === "classify") {
    if (conflicts.length > 0) {
      issues.push(
        error(
          "conflicting-labels",
          `${texts} with different labels (first: lines ${firstLines}); keep one label per text.`,
        ),
      );
    }
    if (splits.records.length > 0 && labels.counts.size < 2) {
      issues.push(
        error(
          "one-class",
          `only ${plural(labels.counts.size, "label")} found; a classifier needs at least 2 labels.`,
        ),
      );
    }
    return issues;
  }
  if (splits.records.length > 0 && (spanStatistics?.count ?? 0) === 0) {
    issues.push(
      error("no-spans", "no example has a span; an extractor needs annotated spans to learn from."),
    );
  }
  if (conflicts.length > 0) {
    issues.push(
      warning("conflicting-spans", `${texts} with different annotations (first: lines ${firstLines}).`),
    );
  }
  return issues;
}

function testLeakageIssues({ splits, leakage }: IssueInput): DataIssue[] {
  const mainName = splits.mainName;
  return leakage
    .filter((entry) => entry.exact > 0 && isAgainstTest(entry, mainName))
    .map((entry) =>
      error(
        "test-leakage",
        `${plural(entry.exact, "text")} of ${mainName} ${entry.exact === 1 ? "is" : "are"} also in test; remove them from one side (slmkit data split keeps duplicates together).`,
      ),
    );
}

/** Imbalance, rare labels, labels spelt two ways. */
function labelWarnings({ settings, labels }: IssueInput): DataIssue[] {
  const issues: DataIssue[] = [];
  const imbalanceRatio = labels.imbalanceRatio;
  if (imbalanceRatio !== null && imbalanceRatio > settings.maxImbalance) {
    issues.push(
      warning(
        "imbalance",
        `the largest label has ${imbalanceRatio} times the examples of the smallest (above ${settings.maxImbalance}); add examples to small labels or merge them.`,
      ),
    );
  }
  const rare = [...labels.counts.entries()]
    .filter(([, count]) => count < settings.minExamplesPerLabel)
    .map(([name]) => name);
  if (rare.length > 0) {
    issues.push(
      warning(
        "rare-labels",
        `${plural(rare.length, "label")} ${rare.length === 1 ? "has" : "have"} fewer than ${settings.minExamplesPerLabel} examples: ${listNames(rare)}; add examples or merge them.`,
      ),
    );
  }
  const similarLabels = labelsEqualWhenNormalized([...labels.counts.keys()]);
  if (similarLabels.length > 0) {
    issues.push(
      warning(
        "similar-labels",
        `labels differ only in case or spacing: ${similarLabels.map((group) => listNames(group)).join("; ")}; use one spelling.`,
      ),
    );
  }
  return issues;
}

/** Duplicates with the same label, near duplicates, and texts shared across splits (other than into test). */
function duplicateWarnings({ splits, settings, exact, near, leakage }: IssueInput): DataIssue[] {
  const issues: DataIssue[] = [];
  const sameLabelDuplicates = exact.groups.length - exact.conflicts.length;
  if (sameLabelDuplicates > 0) {
    issues.push(
      warning(
        "exact-duplicates",
        `${plural(sameLabelDuplicates, "text")} appear${sameLabelDuplicates === 1 ? "s" : ""} more than once (first: lines ${listLines(exact.groups.find((group) => group.labels.length === 1)?.lines ?? [])}); duplicates weigh more in training.`,
      ),
    );
  }
  if (near.pairs.length > 0) {
    const conflicting =
      near.differentLabels > 0 ? `, ${near.differentLabels} of them with different labels` : "";
    issues.push(
      warning(
        "near-duplicates",
        `${plural(near.pairs.length, "pair")} of nearly identical texts (similarity >= ${settings.nearDuplicateThreshold}${conflicting}); first: lines ${listLines(near.pairs[0]?.lines ?? [])}.`,
      ),
    );
  }
  for (const entry of leakage) {
    const exactShared = isAgainstTest(entry, splits.mainName) ? 0 : entry.exact;
    if (exactShared + entry.near > 0) {
      const parts = [
        exactShared > 0 ? `${plural(exactShared, "identical text")}` : "",
        entry.near > 0 ? `${plural(entry.near, "near-identical pair")}` : "",
      ].filter(Boolean);
      issues.push(
        warning(
          "split-leakage",
          `${entry.splits[0]} and ${entry.splits[1]} share ${parts.join(" and ")}; evaluation on ${entry.splits[1]} will look better than it is.`,
        ),
      );
    }
  }
  return issues;
}

/** Classify: labels of another split this one lacks. Extract: spans the overlap rule would drop. */
function taskWarnings({ task, splits, labels, spanStatistics }: IssueInput): DataIssue[] {
  if (task === "classify") {
    const issues: DataIssue[] = [];
    for (const other of splits.others) {
      const unknown = [...new Set(other.records.map((record) => record.key))]
        .filter((label) => !labels.counts.has(label))
        .sort(compareCodeUnits);
      if (unknown.length > 0) {
        issues.push(
          warning(
            "unknown-labels",
            `${other.name} has ${plural(unknown.length, "label")} that ${splits.mainName} lacks: ${listNames(unknown)}; a model trained on ${splits.mainName} cannot predict them.`,
          ),
        );
      }
    }
    return issues;
  }
  if (spanStatistics === null || spanStatistics.droppedByOverlapRule === 0) return [];
  return [
    warning(
      "overlapping-spans",
      `${plural(spanStatistics.textsWithOverlaps, "text")} ${spanStatistics.textsWithOverlaps === 1 ? "has" : "have"} overlapping spans; the overlap rule (keep the longest, then the earliest) drops ${plural(spanStatistics.droppedByOverlapRule, "span")}.`,
    ),
  ];
}

/** Personal data and overlong texts. */
function contentWarnings({ settings, texts, personalData }: IssueInput): DataIssue[] {
  const issues: DataIssue[] = [];
  const piiTexts = personalData.textCount;
  if (piiTexts > 0) {
    const kinds = piiKinds
      .filter((kind) => personalData.counts[kind] > 0)
      .map((kind) => `${personalData.counts[kind]} ${kind}`);
    issues.push(
      warning(
        "pii",
        `${plural(piiTexts, "text")} hold${piiTexts === 1 ? "s" : ""} personal data (${kinds.join(", ")}); redact it (redactPii) unless the model needs it.`,
      ),
    );
  }
  const overlong = texts.overlong;
  if (overlong.length > 0) {
    issues.push(
      warning(
        "overlong-texts",
        `${plural(overlong.length, "text")} ${overlong.length === 1 ? "is" : "are"} longer than ${settings.maxChars} characters (lines ${listLines(overlong.map((record) => record.line))}); long texts are slow and usually truncated.`,
      ),
    );
  }
  return issues;
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
