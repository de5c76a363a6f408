import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { parseSpanData, readSpanData } from "../../src/data/io.js";
import { resolveOverlaps } from "../../src/data/spans.js";
import { SlmkitError } from "../../src/errors.js";
import type { Span } from "../../src/types.js";

const line = (record: unknown): string => JSON.stringify(record);

describe("reading span data", () => {
  test("reads spans as given, overlapping ones included", () => {
    const spans = [
      { start: 0, end: 4, label: "date" },
      { start: 2, end: 9, label: "time" },
    ];
    const { examples, problems } = parseSpanData(line({ text: "tomorrow 7pm", spans }));
    assert.deepEqual(problems, []);
    assert.deepEqual(examples, [{ text: "tomorrow 7pm", spans, line: 1 }]);
  });

  test("accepts a text with no spans", () => {
    const { examples } = parseSpanData(line({ text: "nothing here", spans: [] }));
    assert.deepEqual(examples[0]?.spans, []);
  });

  test("rejects offsets out of range, reversed, empty or not integers, naming the span", () => {
    const text = "table for 4";
    const content = [
      line({ text, spans: [{ start: 10, end: 12, label: "people" }] }),
      line({ text, spans: [{ start: -1, end: 2, label: "people" }] }),
      line({ text, spans: [{ start: 5, end: 5, label: "people" }] }),
      line({ text, spans: [{ start: 7, end: 3, label: "people" }] }),
      line({
        text,
        spans: [
          { start: 0, end: 5, label: "ok" },
          { start: 1.5, end: 3, label: "people" },
        ],
      }),
      line({ text, spans: [{ start: "1", end: 3, label: "people" }] }),
    ].join("\n");
    const { examples, problems } = parseSpanData(content, { file: "spans.jsonl" });
    assert.equal(examples.length, 0);
    assert.deepEqual(
      problems.map((problem) => [problem.line, problem.kind]),
      [
        [1, "span-out-of-range"],
        [2, "span-out-of-range"],
        [3, "span-out-of-range"],
        [4, "span-out-of-range"],
        [5, "invalid-span"],
        [6, "invalid-span"],
      ],
    );
    assert.match(problems[0]?.message ?? "", /span 1 \[10, 12\).*<= 11/);
    assert.match(problems[4]?.message ?? "", /span 2/);
  });

  test("rejects a label outside the allowed set, naming it and the allowed ones", () => {
    const content = line({ text: "at 7pm", spans: [{ start: 3, end: 6, label: "hour" }] });
    const { problems } = parseSpanData(content, { allowedLabels: ["date", "time"] });
    assert.equal(problems[0]?.kind, "unknown-span-label");
    assert.match(problems[0]?.message ?? "", /"hour".*"date", "time"/);
  });

  test("rejects an offset that splits a surrogate pair", () => {
    // "🍕" is two UTF-16 code units, at offsets 4 and 5.
    const text = "one 🍕 please";
    const inside = parseSpanData(line({ text, spans: [{ start: 5, end: 7, label: "food" }] }));
    assert.equal(inside.problems[0]?.kind, "span-splits-character");
    const endInside = parseSpanData(line({ text, spans: [{ start: 0, end: 5, label: "food" }] }));
    assert.equal(endInside.problems[0]?.kind, "span-splits-character");
    const whole = parseSpanData(line({ text, spans: [{ start: 4, end: 6, label: "food" }] }));
    assert.deepEqual(whole.problems, []);
  });

  test("rejects an empty text that has spans, and missing or malformed spans", () => {
    const content = [
      line({ text: "", spans: [{ start: 0, end: 1, label: "x" }] }),
      line({ text: "no spans field" }),
      line({ text: "spans not a list", spans: "x" }),
      line({ text: "span not an object", spans: [3] }),
      line({ text: "label missing", spans: [{ start: 0, end: 2 }] }),
    ].join("\n");
    const { problems } = parseSpanData(content);
    assert.deepEqual(
      problems.map((problem) => problem.kind),
      ["empty-text", "missing-spans", "invalid-span", "invalid-span", "invalid-span"],
    );
    assert.match(problems[0]?.message ?? "", /empty but the line has 1 span/);
  });

  test("the strict reader throws INVALID_DATA at the first bad line", async () => {
    const folder = await mkdtemp(join(tmpdir(), "slmkit-data-spans-"));
    try {
      const path = join(folder, "spans.jsonl");
      await writeFile(
        path,
        `${line({ text: "ok", spans: [] })}\n${line({ text: "abc", spans: [{ start: 0, end: 9, label: "x" }] })}\n`,
      );
      await assert.rejects(
        () => readSpanData(path),
        (error: unknown) =>
          SlmkitError.isInstance(error) && error.code === "INVALID_DATA" && error.line === 2,
      );
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});

describe("resolveOverlaps", () => {
  const span = (start: number, end: number, label = "x"): Span => ({ start, end, label });

  test("keeps the longest of overlapping spans and counts the dropped ones", () => {
    const result = resolveOverlaps([span(0, 4, "a"), span(2, 10, "b"), span(9, 12, "c"), span(20, 22, "d")]);
    assert.deepEqual(result.spans, [span(2, 10, "b"), span(20, 22, "d")]);
    assert.equal(result.dropped, 2);
  });

  test("breaks ties in length by the earlier start, then by the order given", () => {
    assert.deepEqual(resolveOverlaps([span(3, 6, "late"), span(1, 4, "early")]).spans, [span(1, 4, "early")]);
    const same = resolveOverlaps([span(0, 3, "first"), span(0, 3, "second")]);
    assert.deepEqual(same.spans, [span(0, 3, "first")]);
    assert.equal(same.dropped, 1);
  });

  test("keeps touching spans, which do not share a character, sorted by start", () => {
    const result = resolveOverlaps([span(5, 9), span(0, 5)]);
    assert.deepEqual(result.spans, [span(0, 5), span(5, 9)]);
    assert.equal(result.dropped, 0);
  });

  test("a kept span that drops its neighbour lets the neighbour's neighbour stay", () => {
    // [2,8) is the longest: it drops [0,3) and [7,9); [9,10) overlaps nothing kept, so it stays.
    const result = resolveOverlaps([span(0, 3), span(2, 8), span(7, 9), span(9, 10)]);
    assert.deepEqual(result.spans, [span(2, 8), span(9, 10)]);
    assert.equal(result.dropped, 2);
  });
});
