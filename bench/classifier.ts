// `npm run bench`: trains and evaluates slmkit's native classifier and Debian's fastText CLI on the same
// JSONL splits in one run, prints a comparison table with ratios and the issue's targets, and writes the
// figures to bench/results/classifier-<dataset>.json. fastText is a fair peer (classifier-fasttext.ts): fed as
// its tutorial feeds it, with a bucket sized for the data, and autotuned on valid for the same budget as ours;
// both are timed as process wall time. It prints figures; it never asserts timings.
//
// Usage: npm run bench -- [--data <dir>] [--quick] [--skip-fasttext] [--autotune 60] [--one-thread-only]
//        [--seed 42]

import { mkdtempSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { readClassificationData } from "../src/data/io.js";
import { type FastTextSection, runFastText } from "./classifier-fasttext.js";
import {
  type ComparisonRow,
  computeRatios,
  evaluateTargets,
  fastTextRows,
  type NativeResult,
  nativeRows,
  type ReportInputs,
  renderReport,
} from "./classifier-report.js";
import type { NativeMainFigures, NativeUnknownFigures, NativeWorkerFigures } from "./figures.js";
import {
  chooseMemoryProbe,
  endMeasuredChildren,
  type MeasuredRun,
  type MemoryProbe,
  progress,
  runMeasured,
} from "./measured-process.js";
import { type BenchRun, repositoryRoot, startBenchRun } from "./provenance.js";

const workerPath = join(repositoryRoot, "bench", "native-train-worker.ts");
const defaultDataDir = "../shared/datasets/banking77";
/** The autotune budget of both systems, seconds: the README's `train --autotune 60`. */
const defaultAutotuneSeconds = 60;
const quickAutotuneSeconds = 10;

// ---------------------------------------------------------------------------------------------------------
// Options

interface BenchOptions {
  dataDir: string;
  /** A smoke run: fastText with 5 epochs and no 2M-bucket or 2-thread rows, a 10 s autotune; not comparable. */
  quick: boolean;
  /** Native only: no fastText at all. */
  skipFastText: boolean;
  /** Seconds of autotune for both systems; 0 leaves the autotune rows out. */
  autotuneSeconds: number;
  /** Leave out fastText (b) with two threads, the optional row. */
  oneThreadOnly: boolean;
  seed: number;
  argv: string[];
}

const usage = `Usage: npm run bench -- [options]
  --data <dir>         directory with train.jsonl, valid.jsonl, test.jsonl (default ${defaultDataDir}, from the repo root)
  --quick              a smoke run: fastText with 5 epochs and no 2M-bucket or 2-thread rows, autotune ${quickAutotuneSeconds} s;
                       written to bench/results/local/, never compared with a full run
  --skip-fasttext      native model only
  --autotune <s>       autotune budget of both systems, seconds (default ${defaultAutotuneSeconds}; 0 leaves autotune out)
  --one-thread-only    skip the extra fastText (b) run with -thread 2
  --seed <n>           seed for the native trainer, fastText and its input shuffle (default 42)`;

function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: "string" },
      quick: { type: "boolean", default: false },
      "skip-fasttext": { type: "boolean", default: false },
      autotune: { type: "string" },
      "one-thread-only": { type: "boolean", default: false },
      seed: { type: "string", default: "42" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  const seed = Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0)
    throw new Error(`--seed must be a non-negative integer, got ${values.seed}.`);
  const autotuneSeconds =
    values.autotune === undefined
      ? values.quick
        ? quickAutotuneSeconds
        : defaultAutotuneSeconds
      : Number(values.autotune);
  if (!(Number.isFinite(autotuneSeconds) && autotuneSeconds >= 0))
    throw new Error(`--autotune must be a number of seconds ≥ 0, got ${values.autotune}.`);
  return {
    dataDir: resolve(repositoryRoot, values.data ?? defaultDataDir),
    quick: values.quick,
    skipFastText: values["skip-fasttext"],
    autotuneSeconds,
    oneThreadOnly: values["one-thread-only"],
    seed,
    argv,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Native runs (child processes)

async function runWorker<T extends NativeWorkerFigures>(
  probe: MemoryProbe,
  scratchDir: string,
  name: string,
  args: string[],
): Promise<{ figures: T; run: MeasuredRun }> {
  const resultFile = join(scratchDir, `${name}.json`);
  const run = await runMeasured(
    probe,
    scratchDir,
    process.execPath,
    ["--import", "tsx", workerPath, "--result", resultFile, ...args],
    { forwardStderr: true },
  );
  if (run.exitCode !== 0) {
    throw new Error(`the native ${name} worker exited with code ${run.exitCode}:\n${run.stderrTail}`);
  }
  return { figures: JSON.parse(await readFile(resultFile, "utf8")) as T, run };
}

/** The main worker run: the defaults, or `train --autotune <seconds>`'s search when `autotuneSeconds` is set. */
async function runNative(
  options: BenchOptions,
  probe: MemoryProbe,
  scratchDir: string,
  autotuneSeconds?: number,
): Promise<NativeResult> {
  const name = autotuneSeconds === undefined ? "main" : "autotune";
  progress(
    `native: training in a child process (${autotuneSeconds === undefined ? "defaults" : `autotune ${autotuneSeconds} s on valid`}, one thread), so it is measured as fastText is`,
  );
  const { figures, run } = await runWorker<NativeMainFigures>(probe, scratchDir, name, [
    "--data",
    options.dataDir,
    "--out",
    join(scratchDir, `native-${name}`),
    "--seed",
    String(options.seed),
    ...(autotuneSeconds === undefined ? [] : ["--autotune", String(autotuneSeconds)]),
  ]);
  return {
    figures,
    processPeakRssBytes: run.peakRssBytes,
    processWallSeconds: run.wallSeconds,
    processCpuSeconds: run.cpuSeconds,
  };
}

async function runNativeBaseline(probe: MemoryProbe, scratchDir: string): Promise<number | null> {
  const { run } = await runWorker(probe, scratchDir, "baseline", [
    "--baseline",
    "--data",
    "-",
    "--out",
    join(scratchDir, "baseline"),
  ]);
  return run.peakRssBytes;
}

/** Every 7th label in sorted order (the 7th, 14th, …), at most 10: deterministic, spread over the labels. */
function chooseHeldOutLabels(labels: readonly string[]): string[] {
  return [...labels]
    .sort()
    .filter((_, index) => (index + 1) % 7 === 0)
    .slice(0, 10);
}

async function runUnknownIntents(
  options: BenchOptions,
  probe: MemoryProbe,
  scratchDir: string,
  heldOut: readonly string[],
): Promise<NativeUnknownFigures> {
  progress(
    `unknown intents: training a second native model without ${heldOut.length} labels: ${heldOut.join(", ")}`,
  );
  const { figures } = await runWorker<NativeUnknownFigures>(probe, scratchDir, "unknown", [
    "--data",
    options.dataDir,
    "--out",
    join(scratchDir, "native-unknown"),
    "--seed",
    String(options.seed),
    "--hold-out",
    JSON.stringify(heldOut),
  ]);
  return figures;
}

// ---------------------------------------------------------------------------------------------------------
// Results

/** The figures with the run's provenance: bench/results/classifier-<dataset>.json, or local/ for a quick run. */
async function writeResults(run: BenchRun, inputs: ReportInputs, options: BenchOptions): Promise<void> {
  const notRun = [
    ...(inputs.fastText.available ? [] : [inputs.fastText.notice ?? "fastText"]),
    ...inputs.fastText.failed.map((failure) => `${failure.name}: ${failure.error}`),
    ...(options.autotuneSeconds > 0 ? [] : ["autotune (--autotune 0)"]),
  ];
  await run.write({
    dataset: inputs.dataset,
    data: { dir: relative(repositoryRoot, options.dataDir), ...inputs.splits },
    seed: options.seed,
    options: {
      quick: options.quick,
      autotuneSeconds: options.autotuneSeconds,
      oneThreadOnly: options.oneThreadOnly,
    },
    notRun,
    units: {
      bytes: "bytes",
      megabyte: "10^6 bytes in the printed table",
      seconds: "wall seconds unless named cpu",
    },
    memoryProbe: inputs.probe,
    /** The README's table: one row per system, every figure measured the same way for each. */
    comparison: inputs.rows,
    native: {
      ...inputs.native.figures,
      processPeakRssBytes: inputs.native.processPeakRssBytes,
      processWallSeconds: inputs.native.processWallSeconds,
      processCpuSeconds: inputs.native.processCpuSeconds,
      baselinePeakRssBytes: inputs.baselinePeakRssBytes,
    },
    nativeAutotune: inputs.nativeAutotune?.figures ?? null,
    unknownIntents: inputs.unknown,
    fastText: inputs.fastText,
    ratios: inputs.ratios,
    targets: inputs.targets,
  });
}

// ---------------------------------------------------------------------------------------------------------
// Main

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const dataset = basename(options.dataDir);
  const run = startBenchRun({
    name: `classifier-${dataset.replace(/[^A-Za-z0-9._-]/gu, "-")}`,
    benchmark: "classifier",
    quick: options.quick,
    ...(options.skipFastText ? { partial: "--skip-fasttext" } : {}),
  });
  const split = (name: string) => readClassificationData(join(options.dataDir, `${name}.jsonl`));
  const [train, valid, test] = await Promise.all([split("train"), split("valid"), split("test")]);
  const labels = [...new Set(train.map((example) => example.label))];
  const splits = { train: train.length, valid: valid.length, test: test.length, labels: labels.length };

  const scratchDir = mkdtempSync(join(tmpdir(), "slmkit-bench-"));
  const cleanUp = () => rmSync(scratchDir, { recursive: true, force: true });
  // Ctrl-C must not leave gigabytes of fastText models in the temp dir.
  const onSignal = (signal: NodeJS.Signals) => {
    endMeasuredChildren();
    cleanUp();
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const probe = chooseMemoryProbe();
    const native = await runNative(options, probe, scratchDir);
    const nativeAutotune =
      options.autotuneSeconds > 0
        ? await runNative(options, probe, scratchDir, options.autotuneSeconds)
        : null;
    const baselinePeakRssBytes = await runNativeBaseline(probe, scratchDir);
    const heldOut = chooseHeldOutLabels(labels);
    const unknown =
      heldOut.length === 0 ? null : await runUnknownIntents(options, probe, scratchDir, heldOut);
    const fastText: FastTextSection = options.skipFastText
      ? {
          available: false,
          notice: "fastText skipped (--skip-fasttext): native figures only.",
          version: null,
          trainedOn: "",
          runs: [],
          failed: [],
        }
      : await runFastText(
          {
            oneThreadOnly: options.oneThreadOnly,
            quick: options.quick,
            // 0 leaves fastText's autotune out too: runFastText drops the row below.
            autotuneSeconds: options.autotuneSeconds,
            seed: options.seed,
          },
          probe,
          scratchDir,
          { train, valid, test },
        );
    const rows: ComparisonRow[] = [...nativeRows(native, nativeAutotune), ...fastTextRows(fastText)];
    const inputs: ReportInputs = {
      dataset,
      seed: options.seed,
      splits,
      probe,
      native,
      nativeAutotune,
      baselinePeakRssBytes,
      unknown,
      fastText,
      rows,
      ratios: computeRatios(rows),
      targets: evaluateTargets(native, unknown, rows),
    };
    process.stdout.write(`\n${renderReport(inputs)}\n`);
    await writeResults(run, inputs, options);
  } finally {
    cleanUp();
  }
}

await main();
