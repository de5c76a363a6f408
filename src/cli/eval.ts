// `slmkit eval`: scores a model on a labelled test file and writes the summary, the JSON report and the HTML report.

import { type Command, InvalidArgumentError } from "commander";
import { readClassificationData } from "../data/io.js";
import { evaluateClassifier } from "../eval/evaluate.js";
import { formatEvalSummary } from "../eval/format.js";
import { renderEvalHtml } from "../eval/report-html.js";
import { writeFileAtomic } from "../internal/fs.js";
import { loadModel } from "../models/load.js";
import type { TaskModel } from "../models/task-model.js";
import type { LabeledExample } from "../types.js";
import { writeJsonOutput } from "./output.js";

/** What the command needs from the library; tests pass doubles, the CLI the real functions. */
export interface EvalCommandDependencies {
  loadModel(reference: string): Promise<TaskModel>;
  readClassificationData(
    path: string,
    options?: { textField?: string; labelField?: string },
  ): Promise<LabeledExample[]>;
}

interface EvalCommandOptions {
  model: string;
  test: string;
  json?: string;
  html?: string;
  textField?: string;
  labelField?: string;
  latencySamples?: number;
}

export function registerEvalCommand(
  program: Command,
  dependencies: EvalCommandDependencies = { loadModel, readClassificationData },
): void {
  program
    .command("eval")
    .description(
      "Score a model on a labelled test file: accuracy, macro-F1, calibration, coverage at its threshold, latency.",
    )
    .requiredOption("--model <reference>", "model directory, gguf:<file> or openai:<model>@<baseUrl>")
    .requiredOption("--test <file>", "labelled test data (JSONL or CSV)")
    .option("--json <file>", 'write the report as JSON to <file>; "-" prints only the JSON to stdout')
    .option("--html <file>", "write a self-contained HTML report with plots to <file>", parseHtmlTarget)
    .option("--text-field <name>", 'field (or CSV column) holding the text (default: "text")')
    .option("--label-field <name>", 'field (or CSV column) holding the label (default: "label")')
    .option(
      "--latency-samples <n>",
      "texts timed one per call for latency percentiles (default: 500)",
      parsePositiveInteger,
    )
    .action(async (options: EvalCommandOptions) => {
      const readOptions: { textField?: string; labelField?: string } = {};
      if (options.textField !== undefined) readOptions.textField = options.textField;
      if (options.labelField !== undefined) readOptions.labelField = options.labelField;
      // Read the data first: a bad test file should fail before a model is loaded.
      const examples = await dependencies.readClassificationData(options.test, readOptions);
      const model = await dependencies.loadModel(options.model);
      try {
        const report = await evaluateClassifier(
          model,
          examples,
          options.latencySamples === undefined ? {} : { latencySamples: options.latencySamples },
        );
        const jsonToStdout = options.json === "-";
        // With `--json -` stdout carries only the JSON, so notes go to stderr.
        const notes = jsonToStdout ? process.stderr : process.stdout;
        if (!jsonToStdout) process.stdout.write(formatEvalSummary(report));
        if (options.json !== undefined) {
          await writeJsonOutput(options.json, report);
          if (!jsonToStdout) notes.write(`wrote ${options.json}\n`);
        }
        if (options.html !== undefined) {
          await writeFileAtomic(options.html, renderEvalHtml(report));
          notes.write(`wrote ${options.html}\n`);
        }
      } finally {
        await model.dispose();
      }
    });
}

function parsePositiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) {
    throw new InvalidArgumentError(`expected a positive integer, got "${value}".`);
  }
  return parsed;
}

function parseHtmlTarget(value: string): string {
  if (value === "-")
    throw new InvalidArgumentError("the HTML report goes to a file; name one, e.g. report.html.");
  return value;
}
