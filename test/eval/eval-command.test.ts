import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Command } from "commander";
import { type EvalCommandDependencies, registerEvalCommand } from "../../src/cli/eval.js";
import type { LabeledExample } from "../../src/types.js";
import { captureOutput } from "../helpers/cli.js";
import { KeywordModel, keywordExamples } from "./keyword-model.js";

describe("slmkit eval", () => {
  let folder: string;
  before(async () => {
    folder = await mkdtemp(join(tmpdir(), "slmkit-eval-"));
  });
  after(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  function setUp() {
    const model = new KeywordModel();
    const reads: { path: string; options: unknown }[] = [];
    const dependencies: EvalCommandDependencies = {
      loadModel: async (reference) => {
        assert.equal(reference, "models/support");
        return model;
      },
      readClassificationData: async (path, options): Promise<LabeledExample[]> => {
        reads.push({ path, options });
        return keywordExamples;
      },
    };
    const program = new Command().exitOverride();
    registerEvalCommand(program, dependencies);
    return { model, reads, program };
  }

  test("prints the summary and writes the JSON and HTML reports", async () => {
    const { model, reads, program } = setUp();
    const jsonPath = join(folder, "out", "report.json");
    const htmlPath = join(folder, "out", "report.html");
    const output = await captureOutput(() =>
      program
        .parseAsync(
          [
            "eval",
            "--model",
            "models/support",
            "--test",
            "test.csv",
            "--json",
            jsonPath,
            "--html",
            htmlPath,
          ].concat(["--label-field", "intent", "--latency-samples", "3"]),
          { from: "user" },
        )
        .then(() => undefined),
    );
    assert.deepEqual(reads, [{ path: "test.csv", options: { labelField: "intent" } }]);
    assert.match(output.stdout, /^Evaluation of test:keyword on 7 test texts/);
    assert.ok(output.stdout.includes(`wrote ${jsonPath}`));
    const report = JSON.parse(await readFile(jsonPath, "utf8"));
    assert.equal(report.n, 7);
    assert.equal(report.latencySamples, 3);
    assert.match(await readFile(htmlPath, "utf8"), /^<!doctype html>/);
    assert.equal(model.disposed, true);
  });

  test("with --json - prints only the JSON", async () => {
    const { model, program } = setUp();
    const output = await captureOutput(() =>
      program
        .parseAsync(["eval", "--model", "models/support", "--test", "test.jsonl", "--json", "-"], {
          from: "user",
        })
        .then(() => undefined),
    );
    assert.equal(JSON.parse(output.stdout).task, "classify");
    assert.equal(model.disposed, true);
  });

  test("disposes the model when the evaluation fails", async () => {
    const model = new KeywordModel();
    const program = new Command().exitOverride();
    registerEvalCommand(program, {
      loadModel: async () => model,
      readClassificationData: async () => [{ text: "sunny", label: "weather" }],
    });
    await assert.rejects(
      program.parseAsync(["eval", "--model", "m", "--test", "t.jsonl"], { from: "user" }),
      /none of the 1 test examples/,
    );
    assert.equal(model.disposed, true);
  });

  test("rejects a latency sample count that is not a positive integer", async () => {
    const { program } = setUp();
    // Keep commander's own error line out of the test output.
    for (const command of program.commands) command.configureOutput({ writeErr: () => {} });
    await assert.rejects(
      program.parseAsync(["eval", "--model", "m", "--test", "t", "--latency-samples", "0"], { from: "user" }),
      /positive integer/,
    );
  });
});
