// `slmkit eval`: scores a model on a labelled test file and writes the summary, the JSON report and the HTML report.

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import { readClassificationData, readSpanData } from "../data/io.js";
import { evaluateClassifier } from "../eval/evaluate.js";
import { evaluateExtractor } from "../eval/evaluate-extract.js";
import { formatEvalSummary } from "../eval/format.js";
import { formatExtractSummary, renderExtractHtml } from "../eval/report-extract-html.js";
import { renderEvalHtml } from "../eval/report-html.js";
import { writeFileAtomic } from "../internal/fs.js";
import { asLabelModel, loadModel } from "../models/load.js";
import { loadNativeExtractor } from "../models/native/extractor-directory.js";
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
      if (await isExtractModel(options.model)) {
        await evaluateExtractAction(options);
        return;
      }
      const readOptions: { textField?: string; labelField?: string } = {};
      if (options.textField !== undefined) readOptions.textField = options.textField;
      if (options.labelField !== undefined) readOptions.labelField = options.labelField;
      // Read the data first: a bad test file should fail before a model is loaded.
      const examples = await dependencies.readClassificationData(options.test, readOptions);
      const model = await dependencies.loadModel(options.model);
      try {
        const report = await evaluateClassifier(
          asLabelModel(model, "label metrics"),
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

/** True when the reference is a native model directory whose manifest says `task: "extract"`. */
async function isExtractModel(reference: string): Promise<boolean> {
  if (reference.startsWith("gguf:") || reference.startsWith("openai:")) return false;
  try {
    const manifest = JSON.parse(await readFile(join(reference, "manifest.json"), "utf8")) as {
      task?: unknown;
    };
    return manifest.task === "extract";
  } catch {
    // Not readable here: `loadModel` reports the problem with its own clear error.
    return false;
  }
}

async function evaluateExtractAction(options: EvalCommandOptions): Promise<void> {
  const examples = await readSpanData(
    options.test,
    options.textField === undefined ? {} : { textField: options.textField },
  );
  const model = await loadNativeExtractor(options.model);
  try {
    const report = await evaluateExtractor(
      model,
      examples,
      options.latencySamples === undefined ? {} : { latencySamples: options.latencySamples },
    );
    const jsonToStdout = options.json === "-";
    const notes = jsonToStdout ? process.stderr : process.stdout;
    if (!jsonToStdout) process.stdout.write(formatExtractSummary(report));
    if (options.json !== undefined) {
      await writeJsonOutput(options.json, report);
      if (!jsonToStdout) notes.write(`wrote ${options.json}\n`);
    }
    if (options.html !== undefined) {
      await writeFileAtomic(options.html, renderExtractHtml(report));
      notes.write(`wrote ${options.html}\n`);
    }
  } finally {
    await model.dispose();
  }
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
