import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  checkClassificationData,
  checkSpanData,
  type DataReport,
  formatDataReport,
} from "../../src/data/check.js";
import { parseClassificationData } from "../../src/data/io.js";
import { createRandom } from "../../src/internal/random.js";
import type { LabeledExample, SpanExample } from "../../src/types.js";

/** Examples numbered by line from 1, as a reader would give them. */
function examples(rows: ReadonlyArray<[string, string]>): LabeledExample[] {
  return rows.map(([text, label], index) => ({ text, label, line: index + 1 }));
}

/** A balanced, clean data set: `perLabel` distinct texts for each of `labels` labels. */
function cleanRows(labels = 3, perLabel = 6): Array<[string, string]> {
  const topics = ["refund", "delivery", "password", "invoice", "upgrade", "cancel"];
  const rows: Array<[string, string]> = [];
  for (let label = 0; label < labels; label++) {
    for (let item = 0; item < perLabel; item++) {
      rows.push([
        `question ${item} about ${topics[label]} number ${label * 100 + item} with details`,
        `label-${label}`,
      ]);
    }
  }
  return rows;
}

const codes = (report: DataReport, severity: "error" | "warning"): string[] =>
  report.issues.filter((issue) => issue.severity === severity).map((issue) => issue.code);

describe("checkClassificationData", () => {
  test("passes clean, balanced data with no issues", () => {
    const report = checkClassificationData(examples(cleanRows()));
    assert.deepEqual(report.issues, []);
    assert.equal(report.ok, true);
    assert.equal(report.n, 18);
    assert.deepEqual(report.labels, { "label-0": 6, "label-1": 6, "label-2": 6 });
    assert.equal(report.labelCount, 3);
    assert.equal(report.imbalanceRatio, 1);
  });

  test("groups exact duplicates by normalized text, with their lines", () => {
    const rows = cleanRows();
    rows.push(["QUESTION 0 about   refund number 0 with details", "label-0"]);
    const report = checkClassificationData(examples(rows));
    assert.equal(report.exactDuplicates.groupCount, 1);
    assert.equal(report.exactDuplicates.extraCopies, 1);
    assert.deepEqual(report.exactDuplicates.groups[0], { lines: [1, 19], labels: ["label-0"] });
    assert.deepEqual(codes(report, "warning"), ["exact-duplicates"]);
    assert.equal(report.ok, true);
  });

  test("reports the same text with different labels as a conflicting-labels error", () => {
    const rows = cleanRows();
    rows.push(["Question 0 about refund number 0 with details", "label-2"]);
    const report = checkClassificationData(examples(rows));
    assert.equal(report.conflictingLabels.groupCount, 1);
    assert.deepEqual(report.conflictingLabels.groups[0], { lines: [1, 19], labels: ["label-0", "label-2"] });
    assert.ok(codes(report, "error").includes("conflicting-labels"));
    assert.equal(report.ok, false);
  });

  test("finds near duplicates and says when their labels differ", () => {
    const rows = cleanRows();
    rows.push(["question 0 about refund number 0 with details!", "label-1"]);
    const report = checkClassificationData(examples(rows));
    assert.equal(report.nearDuplicates.pairCount, 1);
    const pair = report.nearDuplicates.pairs[0];
    assert.deepEqual(pair?.lines, [1, 19]);
    assert.equal(pair?.sameLabel, false);
    assert.ok((pair?.similarity ?? 0) >= 0.9 && (pair?.similarity ?? 1) < 1);
    assert.ok(codes(report, "warning").includes("near-duplicates"));
  });

  test("one label is a one-class error, and no examples an empty-data error", () => {
    const one = checkClassificationData(
      examples([
        ["a", "x"],
        ["b", "x"],
      ]),
    );
    assert.deepEqual(codes(one, "error"), ["one-class"]);
    assert.equal(one.ok, false);
    const none = checkClassificationData([]);
    assert.deepEqual(codes(none, "error"), ["empty-data"]);
    assert.equal(none.imbalanceRatio, null);
    assert.equal(none.textLength, null);
  });

  test("reports leakage per pair of splits: exact train/test is an error, the rest warnings", () => {
    const train = examples(cleanRows());
    const valid = examples([
      ["question 1 about refund number 1 with details", "label-0"],
      ["something else entirely", "label-1"],
    ]);
    const test = examples([
      ["Question 2 about refund number 2 with details", "label-0"],
      ["question 3 about refund number 3 with details.", "label-0"],
      ["a brand new question", "label-1"],
    ]);
    const report = checkClassificationData(train, {
      otherSplits: { valid: { examples: valid }, test: { examples: test } },
    });
    const byPair = Object.fromEntries(report.leakage.map((entry) => [entry.splits.join("/"), entry]));
    assert.deepEqual(Object.keys(byPair), ["train/valid", "train/test", "valid/test"]);
    assert.equal(byPair["train/valid"]?.exact, 1);
    assert.equal(byPair["train/test"]?.exact, 1);
    assert.equal(byPair["train/test"]?.near, 1);
    assert.equal(byPair["valid/test"]?.exact, 0);
    assert.deepEqual(
      byPair["train/test"]?.pairs.map((pair) => [pair.kind, pair.lines]),
      [
        ["exact", [3, 1]],
        ["near", [4, 2]],
      ],
    );
    assert.deepEqual(codes(report, "error"), ["test-leakage"]);
    assert.ok(codes(report, "warning").includes("split-leakage"));
    assert.equal(report.ok, false);
  });

  test("warns about labels of another split that the checked split lacks", () => {
    const report = checkClassificationData(examples(cleanRows()), {
      otherSplits: { test: { examples: examples([["a question nobody asked before", "label-9"]]) } },
    });
    assert.ok(codes(report, "warning").includes("unknown-labels"));
  });

  test("turns reader problems into malformed-lines and empty-texts errors", () => {
    const content = [
      '{"text":"fine","label":"a"}',
      "{broken",
      '{"text":"  ","label":"b"}',
      '{"text":"ok","label":"b"}',
    ].join("\n");
    const read = parseClassificationData(content, { file: "data.jsonl" });
    const report = checkClassificationData(read.examples, { file: "data.jsonl", problems: read.problems });
    assert.equal(report.malformed.count, 2);
    assert.deepEqual(
      report.malformed.problems.map((problem) => [problem.line, problem.kind]),
      [
        [2, "malformed-json"],
        [3, "empty-text"],
      ],
    );
    assert.equal(report.emptyTexts, 1);
    assert.deepEqual(codes(report, "error"), ["malformed-lines", "empty-texts"]);
    assert.match(report.issues[0]?.message ?? "", /data\.jsonl:2/);
  });

  test("warns about imbalance, rare labels, similar labels and overlong texts", () => {
    const rows = cleanRows(2, 40).map(([text, label]): [string, string] => [
      text,
      label === "label-1" ? "Billing" : label,
    ]);
    rows.splice(11, 40);
    rows.push(["a very short one", "billing "], ["x".repeat(30), "label-0"]);
    const report = checkClassificationData(examples(rows), { maxChars: 25 });
    const warnings = codes(report, "warning");
    for (const code of ["imbalance", "rare-labels", "similar-labels", "overlong-texts"]) {
      assert.ok(warnings.includes(code), `missing ${code} in ${warnings.join(", ")}`);
    }
    assert.equal(report.overlongTexts, rows.filter(([text]) => text.length > 25).length);
    assert.equal(report.maxChars, 25);
  });

  test("counts personal data by kind and line without echoing it", () => {
    const rows = cleanRows();
    rows.push(["please write to jane.doe@example.com or call +44 20 7946 0958", "label-0"]);
    const report = checkClassificationData(examples(rows));
    assert.equal(report.pii.textCount, 1);
    assert.equal(report.pii.counts.email, 1);
    assert.equal(report.pii.counts.phone, 1);
    assert.deepEqual(report.pii.examples, [
      { line: 19, kind: "email" },
      { line: 19, kind: "phone" },
    ]);
    assert.ok(codes(report, "warning").includes("pii"));
    const everything = JSON.stringify(report) + formatDataReport(report);
    assert.doesNotMatch(everything, /jane\.doe|7946/);
  });

  test("the report survives a JSON round trip unchanged", () => {
    const rows = cleanRows();
    rows.push(["question 0 about refund number 0 with details", "label-1"]);
    const report = checkClassificationData(examples(rows), { file: "x.jsonl" });
    assert.deepEqual(JSON.parse(JSON.stringify(report)), report);
  });

  test("rejects a bad option with INVALID_OPTION naming it", () => {
    assert.throws(
      () => checkClassificationData([], { nearDuplicateThreshold: 1.5 }),
      (error: unknown) =>
        error instanceof Error && "field" in error && error.field === "nearDuplicateThreshold",
    );
  });

  test("checks 10,000 varied texts with duplicates and near duplicates quickly", () => {
    const random = createRandom(7);
    const vocabulary =
      "my card payment refund transfer account balance pending declined fee exchange rate top up cash atm pin app verify identity limit".split(
        " ",
      );
    const rows: Array<[string, string]> = [];
    for (let index = 0; index < 10_000; index++) {
      const length = 6 + random.int(10);
      const words = Array.from({ length }, () => vocabulary[random.int(vocabulary.length)] ?? "");
      rows.push([`${words.join(" ")} ${index}`, `label-${random.int(20)}`]);
    }
    rows[5000] = [rows[10]?.[0] ?? "", rows[10]?.[1] ?? ""];
    rows[6000] = [`${rows[20]?.[0]}?`, rows[20]?.[1] ?? ""];
    const started = performance.now();
    const report = checkClassificationData(examples(rows));
    const seconds = (performance.now() - started) / 1000;
    assert.ok(report.exactDuplicates.groupCount >= 1);
    assert.ok(report.nearDuplicates.pairs.some((pair) => pair.lines[0] === 21 && pair.lines[1] === 6001));
    assert.ok(seconds < 3, `took ${seconds.toFixed(2)} s`);
  });
});

describe("checkSpanData", () => {
  const span = (start: number, end: number, label: string) => ({ start, end, label });
  const spanExamples: SpanExample[] = [
    { text: "table for 4 tomorrow", spans: [span(10, 11, "people"), span(12, 20, "date")], line: 1 },
    { text: "at 7pm tomorrow", spans: [span(3, 6, "time"), span(3, 15, "date")], line: 2 },
    { text: "13", spans: [span(0, 2, "time")], line: 3 },
    { text: "13", spans: [span(0, 2, "people")], line: 4 },
    { text: "just saying hello", spans: [], line: 5 },
    { text: "name is  Ann ", spans: [span(8, 13, "first_name")], line: 6 },
  ];

  test("counts span labels, overlaps and what the overlap rule drops", () => {
    const report = checkSpanData(spanExamples);
    assert.equal(report.task, "extract");
    assert.deepEqual(report.labels, { date: 2, first_name: 1, people: 2, time: 2 });
    assert.deepEqual(report.spans, {
      count: 7,
      textsWithoutSpans: 1,
      textsWithOverlaps: 1,
      droppedByOverlapRule: 1,
      untrimmed: 1,
    });
    assert.ok(codes(report, "warning").includes("overlapping-spans"));
  });

  test("treats equal texts with different annotations as a warning, not an error", () => {
    const report = checkSpanData(spanExamples);
    assert.equal(report.conflictingLabels.groupCount, 1);
    assert.deepEqual(report.conflictingLabels.groups[0], {
      lines: [3, 4],
      labels: ["people@0-2", "time@0-2"],
    });
    assert.ok(codes(report, "warning").includes("conflicting-spans"));
    assert.equal(report.ok, true);
  });

  test("data without any span is a no-spans error", () => {
    const report = checkSpanData([{ text: "hello", spans: [], line: 1 }]);
    assert.deepEqual(codes(report, "error"), ["no-spans"]);
  });
});

describe("formatDataReport", () => {
  test("summarises counts, issues and the verdict on readable lines", () => {
    const rows = cleanRows();
    rows.push(["Question 0 about refund number 0 with details", "label-2"]);
    const text = formatDataReport(checkClassificationData(examples(rows), { file: "train.jsonl" }));
    assert.match(text, /^train\.jsonl \(classify\): 19 examples, 3 labels\n/);
    assert.match(text, /conflicting labels: 1 group/);
    assert.match(text, /errors:\n {2}\[conflicting-labels\]/);
    assert.match(text, /result: NOT OK: 1 error/);
    assert.ok(text.endsWith("\n"));
  });
});
