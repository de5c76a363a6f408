// `slmkit data check|split`: a data quality report, and stratified train/valid/test JSONL files.

import { join, resolve } from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import {
  type CheckDataOptions,
  checkClassificationData,
  checkSpanData,
  type DataReport,
  formatDataReport,
} from "../data/check.js";
import {
  type DataFormat,
  type DataReadResult,
  detectFileTask,
  type ReadDataOptions,
  readClassificationData,
  readClassificationDataLenient,
  readSpanData,
  readSpanDataLenient,
  writeJsonl,
} from "../data/io.js";
import { defaultSplitRatios, type SplitRatios, splitDataset } from "../data/split.js";
import { SlmkitError } from "../errors.js";
import type { LabeledExample, SpanExample } from "../types.js";
import { parseIntegerOption } from "./options.js";
import { writeJsonOutput } from "./output.js";
import { registerDataSelectCommand } from "./select.js";

type DataTask = "classify" | "extract";

interface CommonDataOptions {
  textField?: string;
  labelField?: string;
  format?: DataFormat;
  task?: DataTask;
}

interface CheckCommandOptions extends CommonDataOptions {
  valid?: string;
  test?: string;
  json?: string;
  maxChars?: number;
}

interface SplitCommandOptions extends CommonDataOptions {
  out: string;
  seed: number;
  ratios: SplitRatios;
}

/** Where the commands write their results; tests pass their own to run the commands in-process. */
export interface DataCommandOutput {
  write(text: string): void;
  /** Sets the process exit code: 1 when a check found errors. */
  setExitCode(code: number): void;
}

const processOutput: DataCommandOutput = {
  write: (text) => {
    process.stdout.write(text);
  },
  setExitCode: (code) => {
    process.exitCode = code;
  },
};

export function registerDataCommands(program: Command, output: DataCommandOutput = processOutput): void {
  const data = program
    .command("data")
    .description("Check data quality, and split data into train/valid/test files.");

  const check = data
    .command("check")
    .description(
      "Report label balance, duplicates, near duplicates, conflicting labels, leakage between splits, personal data and unreadable lines. Exits 1 when the report has errors.",
    )
    .argument("<file>", "data file: JSONL ({text, label} or {text, spans}) or CSV with a header")
    .option("--valid <file>", "validation split, checked for leakage")
    .option("--test <file>", "test split, checked for leakage (a text shared with test is an error)")
    .option("--json <file>", 'write the report as JSON to <file>; "-" prints only the JSON to stdout')
    .option(
      "--max-chars <n>",
      "texts longer than this are reported (default: 2000)",
      parseIntegerOption("--max-chars", 1),
    );
  addCommonOptions(check).action(async (file: string, options: CheckCommandOptions) => {
    await runCheck(file, options, output);
  });

  const split = data
    .command("split")
    .description(
      "Split data into <dir>/train.jsonl, valid.jsonl and test.jsonl: stratified per label, seeded, duplicate texts kept in one split.",
    )
    .argument("<file>", "data file: JSONL ({text, label} or {text, spans}) or CSV with a header")
    .requiredOption("--out <dir>", "folder for train.jsonl, valid.jsonl and test.jsonl")
    .option("--seed <n>", "seed of the shuffle", parseIntegerOption("--seed"), 42)
    .option(
      "--ratios <train,valid,test>",
      "shares of the three splits, summing to 1 (valid or test may be 0)",
      parseRatios,
      defaultSplitRatios,
    );
  addCommonOptions(split).action(async (file: string, options: SplitCommandOptions) => {
    await runSplit(file, options, output);
  });
  registerDataSelectCommand(data);
}

function addCommonOptions(command: Command): Command {
  return command
    .option("--text-field <name>", 'field (or CSV column) holding the text (default: "text")')
    .option("--label-field <name>", 'field (or CSV column) holding the label (default: "label")')
    .option("--format <format>", "jsonl or csv (default: from the file extension)", parseFormat)
    .option("--task <task>", "classify or extract (default: from the first record)", parseTask);
}

async function runCheck(
  file: string,
  options: CheckCommandOptions,
  output: DataCommandOutput,
): Promise<void> {
  const task = await resolveTask(file, options, "classify");
  const others = { valid: options.valid, test: options.test };
  const checkOptions = { file, ...(options.maxChars === undefined ? {} : { maxChars: options.maxChars }) };
  let report: DataReport;
  if (task === "classify") {
    const main = await readClassificationDataLenient(file, readOptions(options));
    const otherSplits: Record<string, DataReadResult<LabeledExample>> = {};
    for (const [name, path] of Object.entries(others)) {
      if (path === undefined) continue;
      otherSplits[name] = await readClassificationDataLenient(path, readOptions(options));
    }
    const settings: CheckDataOptions<LabeledExample> = {
      ...checkOptions,
      problems: main.problems,
      otherSplits,
    };
    report = checkClassificationData(main.examples, settings);
  } else {
    const spanOptions = options.textField === undefined ? {} : { textField: options.textField };
    const main = await readSpanDataLenient(file, spanOptions);
    const otherSplits: Record<string, DataReadResult<SpanExample>> = {};
    for (const [name, path] of Object.entries(others)) {
      if (path !== undefined) otherSplits[name] = await readSpanDataLenient(path, spanOptions);
    }
    const settings: CheckDataOptions<SpanExample> = { ...checkOptions, problems: main.problems, otherSplits };
    report = checkSpanData(main.examples, settings);
  }

  if (options.json === "-") {
    output.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    output.write(formatDataReport(report));
    if (options.json !== undefined) {
      await writeJsonOutput(options.json, report);
      output.write(`wrote ${options.json}\n`);
    }
  }
  if (!report.ok) output.setExitCode(1);
}

async function runSplit(
  file: string,
  options: SplitCommandOptions,
  output: DataCommandOutput,
): Promise<void> {
  const targets = {
    train: join(options.out, "train.jsonl"),
    valid: join(options.out, "valid.jsonl"),
    test: join(options.out, "test.jsonl"),
  };
  for (const target of Object.values(targets)) {
    if (resolve(target) === resolve(file)) {
      throw new SlmkitError(
        "INVALID_OPTION",
        `--out ${options.out} would overwrite the input file ${file}; choose another folder.`,
        {
          field: "--out",
        },
      );
    }
  }
  const task = await resolveTask(file, options);
  const splitOptions = { ratios: options.ratios, seed: options.seed };
  let counts: Record<keyof typeof targets, number>;
  if (task === "classify") {
    const examples = await readClassificationData(file, readOptions(options));
    const splits = splitDataset(examples, splitOptions);
    for (const name of ["train", "valid", "test"] as const) {
      await writeJsonl(
        targets[name],
        splits[name].map(({ text, label }) => ({ text, label })),
      );
    }
    counts = { train: splits.train.length, valid: splits.valid.length, test: splits.test.length };
  } else {
    const examples = await readSpanData(
      file,
      options.textField === undefined ? {} : { textField: options.textField },
    );
    const splits = splitDataset(examples, { ...splitOptions, stratifyBy: spanLabelSet });
    for (const name of ["train", "valid", "test"] as const) {
      await writeJsonl(
        targets[name],
        splits[name].map(({ text, spans }) => ({ text, spans })),
      );
    }
    counts = { train: splits.train.length, valid: splits.valid.length, test: splits.test.length };
  }
  const total = counts.train + counts.valid + counts.test;
  for (const name of ["train", "valid", "test"] as const) {
    const share = total === 0 ? 0 : (100 * counts[name]) / total;
    output.write(`wrote ${targets[name]}: ${counts[name]} examples (${share.toFixed(1)}%)\n`);
  }
  output.write(
    `seed ${options.seed}, ratios ${options.ratios.train}/${options.ratios.valid}/${options.ratios.test}, stratified by ${task === "classify" ? "label" : "span labels"}; equal texts share a split\n`,
  );
}

/** Span examples are stratified by which labels they hold, so rare fields reach every split. */
function spanLabelSet(example: SpanExample): string {
  const labels = [...new Set(example.spans.map((span) => span.label))].sort();
  return labels.length === 0 ? "(none)" : labels.join("+");
}

/**
 * The task from `--task` or the file's first record. With `fallback`, a file that does not tell (empty, or no
 * readable record) is read as classification data, so `data check` can list its problems instead of failing.
 */
async function resolveTask(file: string, options: CommonDataOptions, fallback?: DataTask): Promise<DataTask> {
  let task = options.task;
  if (task === undefined) {
    const detectOptions = {
      ...(options.format === undefined ? {} : { format: options.format }),
      ...(options.labelField === undefined ? {} : { labelField: options.labelField }),
    };
    try {
      task = await detectFileTask(file, detectOptions);
    } catch (error) {
      const undecided =
        SlmkitError.isInstance(error) && (error.code === "EMPTY_DATA" || error.code === "INVALID_DATA");
      if (!undecided || fallback === undefined) throw error;
      task = fallback;
    }
  }
  if (task === "extract" && (options.format === "csv" || file.toLowerCase().endsWith(".csv"))) {
    throw new SlmkitError(
      "NOT_SUPPORTED",
      "span (extract) data must be JSONL; CSV holds classification data only.",
      {
        file,
      },
    );
  }
  return task;
}

function readOptions(options: CommonDataOptions): ReadDataOptions {
  const result: ReadDataOptions = {};
  if (options.textField !== undefined) result.textField = options.textField;
  if (options.labelField !== undefined) result.labelField = options.labelField;
  if (options.format !== undefined) result.format = options.format;
  return result;
}

function parseRatios(value: string): SplitRatios {
  const parts = value.split(",").map((part) => part.trim());
  const numbers = parts.map(Number);
  if (
    parts.length !== 3 ||
    parts.some((part) => part === "") ||
    numbers.some((number) => !Number.isFinite(number))
  ) {
    throw new InvalidArgumentError(
      `--ratios expects three numbers "train,valid,test" such as 0.8,0.1,0.1, got "${value}".`,
    );
  }
  const [train = 0, valid = 0, test = 0] = numbers;
  return { train, valid, test };
}

function parseFormat(value: string): DataFormat {
  if (value === "jsonl" || value === "csv") return value;
  throw new InvalidArgumentError(`--format expects jsonl or csv, got "${value}".`);
}

function parseTask(value: string): DataTask {
  if (value === "classify" || value === "extract") return value;
  // Answer data is `{text, label}` like classification data.
  if (value === "answer") return "classify";
  throw new InvalidArgumentError(`--task expects classify, extract or answer, got "${value}".`);
}
