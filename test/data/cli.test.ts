import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "node:test";
import { CommanderError } from "commander";
import { registerDataCommands } from "../../src/cli/data.js";
import { SlmkitError } from "../../src/errors.js";
import { normalizeText } from "../../src/text/normalize.js";
import { runCli, runCommand, temporaryDirectory } from "../helpers/cli.js";

/** Runs `slmkit <args>` in this process, with the data commands only, capturing what they write. */
async function inProcess(...args: string[]): Promise<{ output: string; exitCode: number | undefined }> {
  const { stdout, exitCode } = await runCommand(registerDataCommands, args);
  return { output: stdout, exitCode };
}

const jsonl = (rows: ReadonlyArray<[string, string]>): string =>
  rows.map(([text, label]) => JSON.stringify({ text, label })).join("\n") + "\n";

/** 3 labels x 10 distinct texts. */
const cleanRows: Array<[string, string]> = ["refund", "delivery", "password"].flatMap((topic) =>
  Array.from({ length: 10 }, (_, index): [string, string] => [
    `question ${index} about my ${topic}, case ${index * 7}`,
    topic,
  ]),
);

const folder = temporaryDirectory("slmkit-data-cli-");

async function file(name: string, content: string): Promise<string> {
  const path = join(folder, name);
  await writeFile(path, content);
  return path;
}

describe("slmkit data, end to end through the command line", { concurrency: 2 }, () => {
  test("data check exits 1 with only JSON on stdout for --json - when labels conflict", async () => {
    const path = await file("conflict.jsonl", jsonl([...cleanRows, [cleanRows[0]?.[0] ?? "", "delivery"]]));
    const result = await runCli(["data", "check", path, "--json", "-"]);
    assert.equal(result.code, 1, result.stderr);
    const report = JSON.parse(result.stdout);
    assert.equal(report.ok, false);
    assert.equal(report.conflictingLabels.groupCount, 1);
    assert.deepEqual(report.conflictingLabels.groups[0].lines, [1, 31]);
  });

  test("data split exits 2 naming the file and line of malformed data, writing nothing", async () => {
    const broken = await file("broken.jsonl", `${jsonl(cleanRows)}{oops\n`);
    const result = await runCli(["data", "split", broken, "--out", join(folder, "never")]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^slmkit: .*broken\.jsonl:31: not valid JSON/);
    assert.equal(existsSync(join(folder, "never")), false);
  });
});

describe("slmkit data check", () => {
  test("prints a readable summary and leaves the exit code alone for clean data", async () => {
    const path = await file("clean.jsonl", jsonl(cleanRows));
    const { output, exitCode } = await inProcess("data", "check", path);
    assert.equal(exitCode, undefined);
    assert.match(output, /clean\.jsonl \(classify\): 30 examples, 3 labels/);
    assert.match(output, /result: OK/);
  });

  test("checks leakage into --valid and --test and writes the JSON report to a file", async () => {
    const train = await file("train.jsonl", jsonl(cleanRows));
    const valid = await file("valid.jsonl", jsonl([["a brand new question", "refund"]]));
    const testSplit = await file("test.jsonl", jsonl([[cleanRows[3]?.[0] ?? "", "refund"]]));
    const out = join(folder, "reports", "train-report.json");
    const { output, exitCode } = await inProcess(
      "data",
      "check",
      train,
      "--valid",
      valid,
      "--test",
      testSplit,
      "--json",
      out,
    );
    assert.equal(exitCode, 1);
    assert.match(output, /\[test-leakage\]/);
    assert.match(output, /wrote .*train-report\.json/);
    const report = JSON.parse(await readFile(out, "utf8"));
    assert.deepEqual(
      report.leakage.map((entry: { splits: string[]; exact: number }) => [
        entry.splits.join("/"),
        entry.exact,
      ]),
      [
        ["train/valid", 0],
        ["train/test", 1],
        ["valid/test", 0],
      ],
    );
  });

  test("reads CSV with custom columns and reports unreadable rows with file and line", async () => {
    const rows = cleanRows.map(([text, label]) => `"${text}",${label}`).join("\n");
    const path = await file("tickets.csv", `body,intent\n${rows}\n"unclosed,refund\n`);
    const { output, exitCode } = await inProcess(
      "data",
      "check",
      path,
      "--text-field",
      "body",
      "--label-field",
      "intent",
      "--max-chars",
      "500",
    );
    assert.equal(exitCode, 1);
    assert.match(output, /30 examples, 3 labels/);
    assert.match(output, /tickets\.csv:32: .*never closed/);
  });

  test("checks span data, counting overlapping spans", async () => {
    const records = [
      {
        text: "table for 4 at 7pm",
        spans: [
          { start: 10, end: 11, label: "people" },
          { start: 15, end: 18, label: "time" },
        ],
      },
      {
        text: "at 7pm tomorrow",
        spans: [
          { start: 3, end: 6, label: "time" },
          { start: 3, end: 15, label: "date" },
        ],
      },
    ];
    const path = await file("spans.jsonl", records.map((record) => JSON.stringify(record)).join("\n"));
    const { output } = await inProcess("data", "check", path, "--json", "-");
    const report = JSON.parse(output);
    assert.equal(report.task, "extract");
    assert.equal(report.spans.droppedByOverlapRule, 1);
  });

  test("reports an empty or unreadable file as a failed check rather than an error", async () => {
    const empty = await inProcess("data", "check", await file("empty.jsonl", ""), "--json", "-");
    assert.equal(empty.exitCode, 1);
    assert.deepEqual(
      JSON.parse(empty.output).issues.map((issue: { code: string }) => issue.code),
      ["empty-data"],
    );
    const garbage = await inProcess(
      "data",
      "check",
      await file("garbage.jsonl", "{oops\n[1]\n"),
      "--json",
      "-",
    );
    assert.equal(garbage.exitCode, 1);
    assert.equal(JSON.parse(garbage.output).malformed.count, 2);
  });

  test("a missing file is an IO_ERROR naming it", async () => {
    await assert.rejects(
      () => inProcess("data", "check", join(folder, "missing.jsonl")),
      (error: unknown) =>
        SlmkitError.isInstance(error) && error.code === "IO_ERROR" && /missing\.jsonl/.test(error.message),
    );
  });
});

describe("slmkit data split", () => {
  test("writes train, valid and test JSONL with every example once and duplicates together", async () => {
    const rows: Array<[string, string]> = [
      ...cleanRows,
      ...cleanRows.slice(0, 5).map(([text, label]): [string, string] => [text.toUpperCase(), label]),
    ];
    const path = await file("all.jsonl", jsonl(rows));
    const out = join(folder, "splits");
    const { output } = await inProcess(
      "data",
      "split",
      path,
      "--out",
      out,
      "--seed",
      "3",
      "--ratios",
      "0.6,0.2,0.2",
    );
    assert.match(output, /train\.jsonl: \d+ examples/);
    const home = new Map<string, string>();
    let total = 0;
    for (const name of ["train", "valid", "test"]) {
      const lines = (await readFile(join(out, `${name}.jsonl`), "utf8"))
        .split("\n")
        .filter((line) => line !== "");
      total += lines.length;
      for (const line of lines) {
        const record = JSON.parse(line);
        assert.deepEqual(Object.keys(record), ["text", "label"]);
        const key = normalizeText(record.text);
        assert.ok(home.get(key) === undefined || home.get(key) === name, `${key} straddles splits`);
        home.set(key, name);
      }
    }
    assert.equal(total, rows.length);
  });

  test("the same seed writes the same files", async () => {
    const path = await file("seeded.jsonl", jsonl(cleanRows));
    await inProcess("data", "split", path, "--out", join(folder, "seeded-a"), "--seed", "9");
    await inProcess("data", "split", path, "--out", join(folder, "seeded-b"), "--seed", "9");
    for (const name of ["train", "valid", "test"]) {
      assert.equal(
        await readFile(join(folder, "seeded-a", `${name}.jsonl`), "utf8"),
        await readFile(join(folder, "seeded-b", `${name}.jsonl`), "utf8"),
      );
    }
  });

  test("rejects ratios that do not sum to 1, malformed --ratios and an --out that would overwrite the input", async () => {
    const path = await file("split-input.jsonl", jsonl(cleanRows));
    await assert.rejects(
      () => inProcess("data", "split", path, "--out", join(folder, "bad"), "--ratios", "0.8,0.3,0.1"),
      (error: unknown) =>
        SlmkitError.isInstance(error) && error.code === "INVALID_OPTION" && /sum to 1/.test(error.message),
    );
    await assert.rejects(
      () => inProcess("data", "split", path, "--out", join(folder, "bad"), "--ratios", "0.8,0.2"),
      (error: unknown) =>
        error instanceof CommanderError && /--ratios expects three numbers/.test(error.message),
    );
    const input = await file("train.jsonl", jsonl(cleanRows));
    await assert.rejects(
      () => inProcess("data", "split", input, "--out", folder),
      (error: unknown) =>
        SlmkitError.isInstance(error) && error.code === "INVALID_OPTION" && /overwrite/.test(error.message),
    );
  });
});
