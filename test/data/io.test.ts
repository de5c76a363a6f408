import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  detectFileTask,
  detectTask,
  formatFromPath,
  parseClassificationData,
  readClassificationData,
  readClassificationDataLenient,
  writeJsonl,
} from "../../src/data/io.js";
import { SlmkitError } from "../../src/errors.js";

let folder: string;
before(async () => {
  folder = await mkdtemp(join(tmpdir(), "slmkit-data-io-"));
});
after(async () => {
  await rm(folder, { recursive: true, force: true });
});

async function file(name: string, content: string | Uint8Array): Promise<string> {
  const path = join(folder, name);
  await writeFile(path, content);
  return path;
}

/** Runs `action` and returns the SlmkitError it throws. */
async function thrown(action: () => Promise<unknown>): Promise<SlmkitError> {
  try {
    await action();
  } catch (error) {
    assert.ok(SlmkitError.isInstance(error), `expected a SlmkitError, got ${String(error)}`);
    return error;
  }
  assert.fail("expected an error");
}

describe("reading JSONL classification data", () => {
  test("reads text and label with 1-based line numbers, skipping blank lines", async () => {
    const path = await file(
      "ok.jsonl",
      '{"text":"hello","label":"greet"}\n\n  \n{"text":"bye","label":"leave","extra":1}\n',
    );
    const examples = await readClassificationData(path);
    assert.deepEqual(examples, [
      { text: "hello", label: "greet", line: 1 },
      { text: "bye", label: "leave", line: 4 },
    ]);
  });

  test("reports a malformed line with its file and line, leniently and strictly", async () => {
    const path = await file(
      "malformed.jsonl",
      '{"text":"a","label":"x"}\n{"text": "b", "label": }\n{"text":"c","label":"y"}\n',
    );
    const { examples, problems } = await readClassificationDataLenient(path);
    assert.equal(examples.length, 2);
    assert.equal(problems.length, 1);
    assert.equal(problems[0]?.file, path);
    assert.equal(problems[0]?.line, 2);
    assert.equal(problems[0]?.kind, "malformed-json");

    const error = await thrown(() => readClassificationData(path));
    assert.equal(error.code, "INVALID_DATA");
    assert.equal(error.file, path);
    assert.equal(error.line, 2);
    assert.match(
      error.message,
      new RegExp(`^${path.replaceAll(/[.*+?^${}()|[\]\\]/g, "\\$&")}:2: not valid JSON`),
    );
  });

  test("a JSON parse error never quotes the line, which may hold personal data", () => {
    const { problems } = parseClassificationData('call me at secret-555 now\n{"text":"x","label":"y"}\n');
    assert.equal(problems[0]?.kind, "malformed-json");
    assert.doesNotMatch(problems[0]?.message ?? "", /secret/);
  });

  test("reports a missing, empty, null or non-string label, and one problem per bad line", () => {
    const content = [
      '{"text":"no label"}',
      '{"text":"empty label","label":""}',
      '{"text":"blank label","label":"  "}',
      '{"text":"null label","label":null}',
      '{"text":"object label","label":{"a":1}}',
      '{"text":"numeric label","label":3}',
    ].join("\n");
    const { examples, problems } = parseClassificationData(content, { file: "labels.jsonl" });
    assert.deepEqual(
      problems.map((problem) => [problem.line, problem.kind]),
      [
        [1, "missing-label"],
        [2, "empty-label"],
        [3, "empty-label"],
        [4, "missing-label"],
        [5, "invalid-label"],
      ],
    );
    assert.deepEqual(examples, [{ text: "numeric label", label: "3", line: 6 }]);
  });

  test("reports missing, empty and non-string texts, and lines that are not objects", () => {
    const content = [
      '{"label":"a"}',
      '{"text":"","label":"a"}',
      '{"text":42,"label":"a"}',
      "[1,2]",
      '"just a string"',
    ].join("\n");
    const { examples, problems } = parseClassificationData(content);
    assert.equal(examples.length, 0);
    assert.deepEqual(
      problems.map((problem) => problem.kind),
      ["missing-text", "empty-text", "invalid-text", "not-an-object", "not-an-object"],
    );
  });

  test("honours textField and labelField", () => {
    const { examples } = parseClassificationData('{"body":"hi","intent":"greet"}', {
      textField: "body",
      labelField: "intent",
    });
    assert.deepEqual(examples, [{ text: "hi", label: "greet", line: 1 }]);
  });

  test("an empty file or one with only blank lines is EMPTY_DATA for training", async () => {
    const empty = await file("empty.jsonl", "");
    assert.equal((await thrown(() => readClassificationData(empty))).code, "EMPTY_DATA");
    const blank = await file("blank.jsonl", "\n\n   \n");
    assert.equal((await thrown(() => readClassificationData(blank))).code, "EMPTY_DATA");
    assert.deepEqual(await readClassificationDataLenient(blank), { examples: [], problems: [] });
  });

  test("invalid UTF-8 is reported on its own line, and the lines around it still read", async () => {
    const bytes = Buffer.concat([
      Buffer.from('{"text":"fine","label":"a"}\n{"text":"caf'),
      Buffer.from([0xe9]),
      Buffer.from('","label":"b"}\n{"text":"also fine","label":"b"}\n'),
    ]);
    const path = await file("latin1.jsonl", bytes);
    const { examples, problems } = await readClassificationDataLenient(path);
    assert.deepEqual(
      examples.map((example) => example.line),
      [1, 3],
    );
    assert.equal(problems.length, 1);
    assert.equal(problems[0]?.line, 2);
    assert.equal(problems[0]?.kind, "invalid-utf8");
    assert.match(problems[0]?.message ?? "", /byte 13/);
    const error = await thrown(() => readClassificationData(path));
    assert.equal(error.line, 2);
    assert.match(error.message, /UTF-8/);
  });

  test("a 10 MB line is a clear text-too-long problem naming the line, fast", async () => {
    const huge = "x".repeat(10_000_000);
    const path = await file("huge.jsonl", `{"text":"short","label":"a"}\n{"text":"${huge}","label":"b"}\n`);
    const started = performance.now();
    const error = await thrown(() => readClassificationData(path));
    const seconds = (performance.now() - started) / 1000;
    assert.equal(error.code, "INVALID_DATA");
    assert.equal(error.line, 2);
    assert.match(error.message, /10,000,000 characters.*1,000,000/);
    assert.ok(seconds < 2, `took ${seconds.toFixed(2)} s`);
    const lenient = await readClassificationDataLenient(path, { maxTextLength: 20_000_000 });
    assert.equal(lenient.examples.length, 2);
  });

  test("ignores a byte order mark and accepts CRLF line ends", async () => {
    const path = await file(
      "bom.jsonl",
      '\uFEFF{"text":"one","label":"a"}\r\n{"text":"two","label":"b"}\r\n\r\n',
    );
    assert.deepEqual(await readClassificationData(path), [
      { text: "one", label: "a", line: 1 },
      { text: "two", label: "b", line: 2 },
    ]);
  });

  test("hints at JSON Lines when the file is a JSON array", () => {
    const { problems } = parseClassificationData('[\n  {"text":"a","label":"b"}\n]\n');
    assert.match(problems[0]?.message ?? "", /JSON array/);
  });

  test("a missing file is an IO_ERROR naming it", async () => {
    const missing = join(folder, "nope.jsonl");
    const error = await thrown(() => readClassificationData(missing));
    assert.equal(error.code, "IO_ERROR");
    assert.equal(error.file, missing);
  });
});

describe("reading CSV classification data", () => {
  test("reads quoted fields with commas, doubled quotes and line breaks", async () => {
    const csv = [
      "id,text,label",
      '1,"Hello, world",greet',
      '2,"She said ""hi""",greet',
      '3,"two',
      'lines",multi',
      "4,plain text,other",
    ].join("\n");
    const path = await file("quoted.csv", csv);
    assert.deepEqual(await readClassificationData(path), [
      { text: "Hello, world", label: "greet", line: 1 },
      { text: 'She said "hi"', label: "greet", line: 2 },
      { text: "two\nlines", label: "multi", line: 3 },
      { text: "plain text", label: "other", line: 4 },
    ]);
  });

  test("handles a BOM, CRLF line ends and CRLF inside quoted fields", async () => {
    const path = await file("windows.csv", '\uFEFFtext,label\r\n"a\r\nb",x\r\nc,y\r\n');
    assert.deepEqual(await readClassificationData(path), [
      { text: "a\nb", label: "x", line: 1 },
      { text: "c", label: "y", line: 2 },
    ]);
  });

  test("uses the configured columns and names a missing column with the header's columns", async () => {
    const path = await file("columns.csv", "body,intent\nhi,greet\n");
    assert.deepEqual(await readClassificationData(path, { textField: "body", labelField: "intent" }), [
      { text: "hi", label: "greet", line: 1 },
    ]);
    const error = await thrown(() => readClassificationData(path));
    assert.equal(error.code, "INVALID_DATA");
    assert.match(error.message, /:1: the header has no column "text".*"body", "intent"/);
  });

  test("reports a row with the wrong number of fields, an unclosed quote and text after a quote", () => {
    const csv = ["text,label", "a,b,c", "good,x", '"bad"tail,y', '"never closed,z', "more,w"].join("\n");
    const { examples, problems } = parseClassificationData(csv, { file: "broken.csv" });
    assert.deepEqual(examples, [{ text: "good", label: "x", line: 2 }]);
    assert.deepEqual(
      problems.map((problem) => [problem.line, problem.kind]),
      [
        [2, "malformed-csv"],
        [4, "malformed-csv"],
        [5, "malformed-csv"],
      ],
    );
    assert.match(problems[0]?.message ?? "", /row 1: has 3 fields but the header has 2/);
    assert.match(problems[2]?.message ?? "", /never closed.*lines 5-6/);
  });

  test("reports an empty text or label in a row", () => {
    const { problems } = parseClassificationData("text,label\n,x\ny,\n", { file: "empty.csv" });
    assert.deepEqual(
      problems.map((problem) => problem.kind),
      ["empty-text", "empty-label"],
    );
  });

  test("a file with only a header has no examples", async () => {
    const path = await file("header-only.csv", "text,label\n");
    assert.equal((await thrown(() => readClassificationData(path))).code, "EMPTY_DATA");
  });
});

describe("formats, tasks and writing", () => {
  test("tells the format from the extension and refuses an unknown one", () => {
    assert.equal(formatFromPath("a/b.CSV"), "csv");
    assert.equal(formatFromPath("a/b.jsonl"), "jsonl");
    assert.equal(formatFromPath("a/b.json"), "jsonl");
    assert.throws(
      () => formatFromPath("a/b.txt"),
      (error: unknown) => SlmkitError.isInstance(error) && error.code === "INVALID_OPTION",
    );
  });

  test("detects the task from a record", () => {
    assert.equal(detectTask({ text: "a", label: "b" }), "classify");
    assert.equal(detectTask({ text: "a", spans: [] }), "extract");
    assert.equal(detectTask({ text: "a", intent: "b" }, { labelField: "intent" }), "classify");
    assert.equal(detectTask({ text: "a" }), undefined);
    assert.equal(detectTask("text"), undefined);
  });

  test("detects the task of a file from its first readable record", async () => {
    const path = await file("task.jsonl", '\nnot json\n{"text":"a","spans":[]}\n');
    assert.equal(await detectFileTask(path), "extract");
    assert.equal(await detectFileTask(await file("task.csv", "text,label\n")), "classify");
    const unknown = await file("unknown.jsonl", '{"text":"a"}\n');
    assert.equal((await thrown(() => detectFileTask(unknown))).code, "INVALID_DATA");
  });

  test("writes JSONL atomically, one record a line, and reads it back", async () => {
    const path = join(folder, "nested", "out.jsonl");
    await writeJsonl(path, [
      { text: 'a, "quoted"\nline', label: "x" },
      { text: "b", label: "y" },
    ]);
    const content = await readFile(path, "utf8");
    assert.equal(content.split("\n").length, 3);
    assert.deepEqual(
      (await readClassificationData(path)).map((example) => example.text),
      ['a, "quoted"\nline', "b"],
    );
  });
});
