// `npm run bench`: trains and evaluates slmkit's native classifier and Debian's fastText CLI on the same
// JSONL splits in one run, prints a comparison table with ratios and the issue's targets, and writes the
// figures to bench/results/classifier-<dataset>.json. It prints figures; it never asserts timings.
//
// Usage: npm run bench -- [--data <dir>] [--quick | --skip-fasttext] [--one-thread-only] [--seed 42]

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
} from "node:fs";
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { basename, delimiter, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { readClassificationData } from "../src/data/io.js";
import { createRandom } from "../src/internal/random.js";
import type { LabeledExample } from "../src/types.js";
import {
  type NativeMainFigures,
  type NativeUnknownFigures,
  type NativeWorkerFigures,
  type SelectiveFigures,
  selectiveFigures,
} from "./figures.js";
import { type BenchRun, startBenchRun } from "./provenance.js";

const repositoryRoot = fileURLToPath(new URL("..", import.meta.url));
const workerPath = join(repositoryRoot, "bench", "native-train-worker.ts");
const defaultDataDir = "../shared/datasets/banking77";
/** MB here is 10^6 bytes everywhere: model files and peak memory alike. */
const megabyte = 1_000_000;
/** Runs of each `predict-prob` timing; the fastest counts. */
const predictRuns = 2;

// ---------------------------------------------------------------------------------------------------------
// Options

interface BenchOptions {
  dataDir: string;
  /** Native only: no fastText. */
  quick: boolean;
  /** Leave out fastText (b) with two threads, the optional row. */
  oneThreadOnly: boolean;
  seed: number;
  argv: string[];
}

const usage = `Usage: npm run bench -- [options]
  --data <dir>         directory with train.jsonl, valid.jsonl, test.jsonl (default ${defaultDataDir}, from the repo root)
  --quick              native model only, no fastText (a fast smoke run); alias --skip-fasttext
  --one-thread-only    skip the extra fastText (b) run with -thread 2
  --seed <n>           seed for the native trainer and the fastText input shuffle (default 42)`;

function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: "string" },
      quick: { type: "boolean", default: false },
      "skip-fasttext": { type: "boolean", default: false },
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
  return {
    dataDir: resolve(repositoryRoot, values.data ?? defaultDataDir),
    quick: values.quick || values["skip-fasttext"],
    oneThreadOnly: values["one-thread-only"],
    seed,
    argv,
  };
}

/** Progress goes to stderr, so stdout holds only the report. */
function progress(message: string): void {
  process.stderr.write(`${message}\n`);
}

// ---------------------------------------------------------------------------------------------------------
// Tools on the machine: fastText, GNU time

function findOnPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory.
    }
  }
  return undefined;
}

function tail(text: string, characters = 600): string {
  const trimmed = text.trim();
  return trimmed.length <= characters ? trimmed : `…${trimmed.slice(-characters)}`;
}

function aptGet(args: string[]): { ok: boolean; output: string } {
  progress(`  $ apt-get ${args.join(" ")}`);
  const result = spawnSync("apt-get", args, {
    encoding: "utf8",
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    timeout: 5 * 60_000,
  });
  if (result.error !== undefined) return { ok: false, output: result.error.message };
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
}

/**
 * Installs a Debian package when `check` fails: `apt-get install -y`, then, if that failed, `apt-get update`
 * and once more (a fresh container has no package lists). Returns why it could not, or undefined on success.
 */
function ensureDebianPackage(packageName: string, check: () => boolean): string | undefined {
  if (check()) return undefined;
  progress(`${packageName}: not installed; installing it with apt-get (the bench runs as root).`);
  let attempt = aptGet(["install", "-y", packageName]);
  if (!attempt.ok) {
    progress(`  install failed (${tail(attempt.output, 200)}); updating the package lists and retrying.`);
    const update = aptGet(["update"]);
    if (!update.ok) progress(`  apt-get update failed: ${tail(update.output, 200)}`);
    attempt = aptGet(["install", "-y", packageName]);
  }
  if (attempt.ok && check()) {
    progress(`  ${packageName} installed.`);
    return undefined;
  }
  return `apt-get install -y ${packageName} failed: ${tail(attempt.output, 300)}`;
}

function debianPackageVersion(packageName: string): string | null {
  // Default output: "<package>\t<version>".
  const result = spawnSync("dpkg-query", ["-W", packageName], { encoding: "utf8" });
  const version = result.status === 0 ? result.stdout.trim().split("\t")[1] : undefined;
  return version === undefined || version === "" ? null : version;
}

const gnuTimePath = "/usr/bin/time";

/** GNU time (Debian's `time` package) understands -o and -f; busybox's or the shell keyword do not. */
function gnuTimeWorks(): boolean {
  if (!existsSync(gnuTimePath)) return false;
  return spawnSync(gnuTimePath, ["-o", "/dev/null", "-f", "%M", "true"]).status === 0;
}

/** How a child's peak resident memory is read: GNU time's %M, else polling /proc/<pid>/status VmHWM. */
type MemoryProbe = "gnu-time" | "proc-status";

function chooseMemoryProbe(): MemoryProbe {
  const problem = ensureDebianPackage("time", gnuTimeWorks);
  if (problem === undefined) return "gnu-time";
  progress(`GNU time unavailable (${problem}); polling /proc/<pid>/status VmHWM instead.`);
  return "proc-status";
}

// ---------------------------------------------------------------------------------------------------------
// Measured child processes

interface MeasuredRun {
  exitCode: number | null;
  /** Wall seconds from spawn to exit, as the parent sees them. */
  wallSeconds: number;
  /** Peak resident memory of the child; null when it could not be read. */
  peakRssBytes: number | null;
  /** User + system CPU seconds of the child (GNU time only). */
  cpuSeconds: number | null;
  stderrTail: string;
}

interface MeasureOptions {
  /** Where the child's stdout goes; discarded when absent. */
  stdoutPath?: string;
  /** Copy the child's stderr to ours as it arrives (the native worker's progress). */
  forwardStderr?: boolean;
}

let measuredRuns = 0;

async function runMeasured(
  probe: MemoryProbe,
  scratchDir: string,
  command: string,
  args: readonly string[],
  options: MeasureOptions = {},
): Promise<MeasuredRun> {
  measuredRuns++;
  const timeFile = join(scratchDir, `time-${measuredRuns}.txt`);
  const [file, fileArgs] =
    probe === "gnu-time"
      ? [gnuTimePath, ["-o", timeFile, "-f", "%M %U %S", command, ...args]]
      : [command, [...args]];
  const stdoutFd = options.stdoutPath === undefined ? undefined : openSync(options.stdoutPath, "w");
  const started = process.hrtime.bigint();
  let child: ChildProcess;
  try {
    child = spawn(file, fileArgs, { cwd: repositoryRoot, stdio: ["ignore", stdoutFd ?? "ignore", "pipe"] });
  } finally {
    // The child holds its own copy of the descriptor.
    if (stdoutFd !== undefined) closeSync(stdoutFd);
  }
  let stderr = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    if (options.forwardStderr) process.stderr.write(chunk);
    stderr = (stderr + chunk).slice(-4000);
  });
  // An object, because TypeScript does not see the interval's writes to a plain variable.
  const polled: { peakBytes: number | null } = { peakBytes: null };
  const poll =
    probe === "proc-status"
      ? setInterval(() => {
          // VmHWM is the kernel's own high-water mark, so a late poll still sees earlier peaks.
          try {
            const match = /^VmHWM:\s+(\d+) kB$/mu.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
            if (match) polled.peakBytes = Math.max(polled.peakBytes ?? 0, Number(match[1]) * 1024);
          } catch {
            // The process has just exited.
          }
        }, 20)
      : undefined;
  const exitCode = await new Promise<number | null>((resolvePromise, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolvePromise(code));
  }).finally(() => clearInterval(poll));
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;

  let peakRssBytes = polled.peakBytes;
  let cpuSeconds: number | null = null;
  if (probe === "gnu-time" && existsSync(timeFile)) {
    // GNU time writes "Command exited with non-zero status N" above the format line when the command fails.
    const lines = readFileSync(timeFile, "utf8").trim().split("\n");
    const [kilobytes, user, system] = (lines.at(-1) ?? "").trim().split(/\s+/u).map(Number);
    if (kilobytes !== undefined && Number.isFinite(kilobytes)) peakRssBytes = kilobytes * 1024;
    if (user !== undefined && system !== undefined && Number.isFinite(user + system))
      cpuSeconds = user + system;
  }
  return { exitCode, wallSeconds, peakRssBytes, cpuSeconds, stderrTail: tail(stderr) };
}

// ---------------------------------------------------------------------------------------------------------
// Native runs (child processes)

interface NativeResult {
  figures: NativeMainFigures;
  /** Peak of the whole worker process: training, saving, then loading and evaluating both models. */
  processPeakRssBytes: number | null;
  processWallSeconds: number;
  processCpuSeconds: number | null;
}

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

async function runNative(
  options: BenchOptions,
  probe: MemoryProbe,
  scratchDir: string,
): Promise<NativeResult> {
  progress("native: training in a child process (defaults, one thread), so its peak memory can be measured");
  const { figures, run } = await runWorker<NativeMainFigures>(probe, scratchDir, "main", [
    "--data",
    options.dataDir,
    "--out",
    join(scratchDir, "native"),
    "--seed",
    String(options.seed),
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
// fastText

interface FastTextConfig {
  id: string;
  name: string;
  args: string[];
}

function fastTextConfigs(oneThreadOnly: boolean): FastTextConfig[] {
  const a = ["-epoch", "25", "-lr", "0.5", "-wordNgrams", "2"];
  const b = [...a, "-dim", "100", "-minn", "2", "-maxn", "5"];
  // -thread 1 matches our single-threaded trainer; (b) on 2 threads shows what a second core gives fastText.
  const configs = [
    { id: "a", name: "fastText (a) 1 thread", args: [...a, "-thread", "1"] },
    { id: "b", name: "fastText (b) 1 thread", args: [...b, "-thread", "1"] },
    { id: "b-2threads", name: "fastText (b) 2 threads", args: [...b, "-thread", "2"] },
  ];
  return oneThreadOnly ? configs.slice(0, 2) : configs;
}

interface FastTextRun {
  id: string;
  name: string;
  arguments: string;
  /** Process wall time: start, reading the input, training, writing model.bin and model.vec. */
  trainSeconds: number;
  trainCpuSeconds: number | null;
  peakRssBytes: number | null;
  modelBytes: number;
  test: SelectiveFigures;
  /** `predict-prob` over the whole test file, with process start and model load (best of `predictRuns`). */
  predictSeconds: number;
  predictionsPerSec: number;
  /** `predict-prob` on a one-line file (best of `predictRuns`): about the cost of start and model load. */
  startSeconds: number;
  /** Texts/s with the one-line run's time taken off; null when the difference is too small to divide by. */
  predictionsPerSecExcludingStart: number | null;
}

/** What fastText users feed it: lowercased, whitespace collapsed to single spaces. */
function fastTextText(text: string): string {
  return text.toLowerCase().replace(/\s+/gu, " ").trim();
}

/** fastText labels cannot hold whitespace; fall back to label indices if replacing it would merge labels. */
function fastTextLabelNames(labels: readonly string[]): Map<string, string> {
  const names = new Map(labels.map((label) => [label, label.replace(/\s/gu, "_")]));
  if (new Set(names.values()).size === labels.length) return names;
  return new Map(labels.map((label, index) => [label, `label${index}`]));
}

class FastTextBench {
  private readonly dir: string;
  private readonly trainFile: string;
  private readonly testFile: string;
  private readonly oneLineFile: string;
  private readonly gold: string[];
  private readonly trainLines: string[];
  private readonly testLines: string[];

  constructor(
    private readonly probe: MemoryProbe,
    scratchDir: string,
    train: readonly LabeledExample[],
    test: readonly LabeledExample[],
    seed: number,
  ) {
    this.dir = join(scratchDir, "fasttext");
    this.trainFile = join(this.dir, "train.txt");
    this.testFile = join(this.dir, "test.txt");
    this.oneLineFile = join(this.dir, "one-line.txt");
    const labels = [...new Set([...train, ...test].map((example) => example.label))];
    const names = fastTextLabelNames(labels);
    this.gold = test.map((example) => names.get(example.label) as string);
    // The files are sorted by label and fastText does not shuffle: unshuffled it loses 3-9 points.
    this.trainLines = createRandom(seed)
      .shuffle([...train])
      .map((example) => `__label__${names.get(example.label)} ${fastTextText(example.text)}`);
    this.testLines = test.map((example) => fastTextText(example.text));
  }

  async writeInputs(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await writeFile(this.trainFile, `${this.trainLines.join("\n")}\n`);
    // Texts only: predictions are matched to the gold labels by line.
    await writeFile(this.testFile, `${this.testLines.join("\n")}\n`);
    await writeFile(this.oneLineFile, `${this.testLines[0] ?? "hello"}\n`);
  }

  async run(config: FastTextConfig): Promise<FastTextRun> {
    const prefix = join(this.dir, `model-${config.id}`);
    progress(`${config.name}: fasttext supervised ${config.args.join(" ")}`);
    const training = await runMeasured(this.probe, this.dir, "fasttext", [
      "supervised",
      "-input",
      this.trainFile,
      "-output",
      prefix,
      ...config.args,
    ]);
    if (training.exitCode !== 0) {
      throw new Error(`fasttext supervised exited with code ${training.exitCode}:\n${training.stderrTail}`);
    }
    const modelFile = `${prefix}.bin`;
    const modelBytes = (await stat(modelFile)).size;

    const predictionsFile = join(this.dir, `predictions-${config.id}.txt`);
    const predictSeconds = await this.bestPredictSeconds(modelFile, this.testFile, predictionsFile);
    const startSeconds = await this.bestPredictSeconds(
      modelFile,
      this.oneLineFile,
      join(this.dir, "one-line.out"),
    );
    const { confidences, correct } = this.readPredictions(await readFile(predictionsFile, "utf8"));
    // The models are 800 MB each: remove them as soon as they are measured.
    rmSync(modelFile, { force: true });
    rmSync(`${prefix}.vec`, { force: true });

    const test = selectiveFigures(confidences, correct);
    const n = this.gold.length;
    const steadySeconds = predictSeconds - startSeconds;
    progress(
      `  trained in ${training.wallSeconds.toFixed(1)} s, test accuracy ${test.accuracy.toFixed(4)}, model ${(modelBytes / megabyte).toFixed(0)} MB`,
    );
    return {
      id: config.id,
      name: config.name,
      arguments: config.args.join(" "),
      trainSeconds: training.wallSeconds,
      trainCpuSeconds: training.cpuSeconds,
      peakRssBytes: training.peakRssBytes,
      modelBytes,
      test,
      predictSeconds,
      predictionsPerSec: n / predictSeconds,
      startSeconds,
      predictionsPerSecExcludingStart: steadySeconds > 0.01 ? n / steadySeconds : null,
    };
  }

  /**
   * The fastest of `predictRuns` runs of `predict-prob <model> <input> 1`: on a shared machine the minimum is
   * the run least disturbed by neighbours, and the first run may still be reading the fresh model from disk.
   */
  private async bestPredictSeconds(modelFile: string, input: string, output: string): Promise<number> {
    let best = Number.POSITIVE_INFINITY;
    for (let attempt = 0; attempt < predictRuns; attempt++) {
      const run = await runMeasured(
        this.probe,
        this.dir,
        "fasttext",
        ["predict-prob", modelFile, input, "1"],
        {
          stdoutPath: output,
        },
      );
      if (run.exitCode !== 0) {
        throw new Error(`fasttext predict-prob exited with code ${run.exitCode}:\n${run.stderrTail}`);
      }
      best = Math.min(best, run.wallSeconds);
    }
    return best;
  }

  /** `predict-prob … 1` prints `__label__X p` a line, and an empty line for a text it has no word of. */
  private readPredictions(output: string): { confidences: number[]; correct: boolean[] } {
    const lines = output.split("\n");
    if (lines.at(-1) === "") lines.pop();
    if (lines.length !== this.gold.length) {
      throw new Error(
        `fasttext predict-prob printed ${lines.length} lines for ${this.gold.length} test texts.`,
      );
    }
    const confidences: number[] = [];
    const correct: boolean[] = [];
    lines.forEach((line, index) => {
      const [label, probability] = line.trim().split(" ");
      // fastText smooths probabilities by 1e-5, so the top one can print as 1.00001.
      const confidence = Math.min(1, Math.max(0, Number(probability)));
      confidences.push(Number.isFinite(confidence) ? confidence : 0);
      correct.push(label !== undefined && label === `__label__${this.gold[index]}`);
    });
    return { confidences, correct };
  }
}

interface FastTextSection {
  available: boolean;
  /** Why fastText was not run, when it was not. */
  notice: string | null;
  version: string | null;
  /** fastText sees shuffled train only; the native trainer also reads valid (early stopping, threshold). */
  trainedOn: string;
  runs: FastTextRun[];
}

async function runFastText(
  options: BenchOptions,
  probe: MemoryProbe,
  scratchDir: string,
  train: readonly LabeledExample[],
  test: readonly LabeledExample[],
): Promise<FastTextSection> {
  const trainedOn = `train.jsonl shuffled with seed ${options.seed}; text lowercased, whitespace collapsed`;
  const problem = ensureDebianPackage("fasttext", () => findOnPath("fasttext") !== undefined);
  if (problem !== undefined) {
    return { available: false, notice: `fastText not run: ${problem}`, version: null, trainedOn, runs: [] };
  }
  const bench = new FastTextBench(probe, scratchDir, train, test, options.seed);
  await bench.writeInputs();
  const runs: FastTextRun[] = [];
  for (const config of fastTextConfigs(options.oneThreadOnly)) runs.push(await bench.run(config));
  return { available: true, notice: null, version: debianPackageVersion("fasttext"), trainedOn, runs };
}

// ---------------------------------------------------------------------------------------------------------
// Report

interface Target {
  name: string;
  measured: string;
  /** null: could not be judged in this run. */
  pass: boolean | null;
}

interface Ratios {
  /** Native in-process train seconds / fastText (b) 1-thread process wall. */
  trainSecondsInProcess: number | null;
  /** Native process start → model saved / fastText (b) 1-thread process wall: like for like. */
  trainSecondsProcessWall: number | null;
  peakMemory: number | null;
  modelSizeFloat32: number | null;
  modelSizeInt8: number | null;
  /** Native float32 minus fastText test accuracy, in points. */
  accuracyPointsVersusB: number | null;
  accuracyPointsVersusA: number | null;
}

function divide(numerator: number | null | undefined, denominator: number | null | undefined): number | null {
  if (numerator === null || numerator === undefined || denominator === null || denominator === undefined)
    return null;
  return denominator === 0 ? null : numerator / denominator;
}

function computeRatios(native: NativeResult, fastText: FastTextSection): Ratios {
  const a = fastText.runs.find((run) => run.id === "a");
  const b = fastText.runs.find((run) => run.id === "b");
  const figures = native.figures;
  const points = (run: FastTextRun | undefined) =>
    run === undefined ? null : (figures.test.accuracy - run.test.accuracy) * 100;
  return {
    trainSecondsInProcess: divide(figures.trainSeconds, b?.trainSeconds),
    trainSecondsProcessWall: divide(figures.processSecondsToSaved, b?.trainSeconds),
    peakMemory: divide(native.processPeakRssBytes, b?.peakRssBytes),
    modelSizeFloat32: divide(figures.modelBytes.float32Weights, b?.modelBytes),
    modelSizeInt8: divide(figures.modelBytes.int8Weights, b?.modelBytes),
    accuracyPointsVersusB: points(b),
    accuracyPointsVersusA: points(a),
  };
}

const fixed = (value: number | null | undefined, digits: number): string =>
  value === null || value === undefined || !Number.isFinite(value) ? "–" : value.toFixed(digits);
const whole = (value: number | null | undefined): string =>
  value === null || value === undefined || !Number.isFinite(value)
    ? "–"
    : Math.round(value).toLocaleString("en-US");
const megabytes = (bytes: number | null | undefined): string =>
  bytes === null || bytes === undefined ? "–" : fixed(bytes / megabyte, bytes < 10 * megabyte ? 2 : 0);
const percent = (share: number | null | undefined): string =>
  share === null || share === undefined ? "–" : `${(share * 100).toFixed(1)}%`;
const signedPoints = (points: number | null): string =>
  points === null ? "–" : `${points >= 0 ? "+" : ""}${points.toFixed(2)} points`;
const ratio = (value: number | null, digits = 2): string =>
  value === null ? "–" : `${value.toFixed(digits)}×`;

function renderTable(rows: string[][]): string {
  const widths = (rows[0] as string[]).map((_, column) =>
    Math.max(...rows.map((row) => (row[column] ?? "").length)),
  );
  return rows
    .map((row) =>
      row
        .map((cell, column) =>
          column === 0 ? cell.padEnd(widths[column] as number) : cell.padStart(widths[column] as number),
        )
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

function evaluateTargets(
  native: NativeResult,
  unknown: NativeUnknownFigures | null,
  fastText: FastTextSection,
): Target[] {
  const figures = native.figures;
  const b = fastText.runs.find((run) => run.id === "b");
  const accepted = figures.test.atThreshold.acceptedAccuracy;
  const targetAccuracy = 0.97;
  const peak = native.processPeakRssBytes;
  const int8Loss = -figures.int8.accuracyChangePoints;
  return [
    {
      name: "test accuracy ≥ 0.91",
      measured: fixed(figures.test.accuracy, 4),
      pass: figures.test.accuracy >= 0.91,
    },
    {
      name: "coverage at 97% accepted accuracy ≥ 0.85",
      measured: fixed(figures.test.coverageAt["0.97"], 4),
      pass: figures.test.coverageAt["0.97"] >= 0.85,
    },
    {
      name: "accepted accuracy at the validation threshold, 0.97 ± 1 point",
      measured: `${fixed(accepted, 4)} (coverage ${fixed(figures.test.atThreshold.coverage, 4)})`,
      pass: accepted === null ? false : Math.abs(accepted - targetAccuracy) <= 0.01 + 1e-12,
    },
    {
      name: "train s ≤ fastText (b) 1 thread (process wall, start → saved)",
      measured:
        b === undefined
          ? `${fixed(figures.processSecondsToSaved, 1)} s (no fastText in this run)`
          : `${fixed(figures.processSecondsToSaved, 1)} s vs ${fixed(b.trainSeconds, 1)} s`,
      pass: b === undefined ? null : figures.processSecondsToSaved <= b.trainSeconds,
    },
    {
      name: "peak training memory ≤ 300 MB",
      measured: peak === null ? "not measured" : `${megabytes(peak)} MB`,
      pass: peak === null ? null : peak <= 300 * megabyte,
    },
    {
      name: "single prediction p99 ≤ 1 ms",
      measured: `${fixed(figures.latencyMs.p99, 3)} ms`,
      pass: figures.latencyMs.p99 <= 1,
    },
    {
      name: "throughput ≥ 20,000 texts/s",
      measured: `${whole(figures.throughputPerSec)} texts/s`,
      pass: figures.throughputPerSec >= 20_000,
    },
    {
      name: "int8 model (weights.bin) ≤ 3 MB",
      measured: `${megabytes(figures.modelBytes.int8Weights)} MB`,
      pass: figures.modelBytes.int8Weights <= 3 * megabyte,
    },
    {
      name: "int8 accuracy loss ≤ 0.5 points",
      measured: `${fixed(int8Loss, 2)} points`,
      pass: int8Loss <= 0.5 + 1e-9,
    },
    {
      name: "unknown intents escalated ≥ 80%",
      measured:
        unknown === null
          ? "not run (fewer than 7 labels)"
          : `${percent(unknown.outOfScope.escalatedShare)} (${unknown.outOfScope.escalated}/${unknown.outOfScope.n})`,
      pass: unknown === null ? null : unknown.outOfScope.escalatedShare >= 0.8,
    },
  ];
}

interface ReportInputs {
  dataset: string;
  options: BenchOptions;
  splits: { train: number; valid: number; test: number; labels: number };
  probe: MemoryProbe;
  native: NativeResult;
  baselinePeakRssBytes: number | null;
  unknown: NativeUnknownFigures | null;
  fastText: FastTextSection;
  ratios: Ratios;
  targets: Target[];
}

function renderReport(inputs: ReportInputs): string {
  const { native, unknown, fastText, ratios } = inputs;
  const figures = native.figures;
  const coverage = (test: SelectiveFigures) => [
    fixed(test.coverageAt["0.95"], 3),
    fixed(test.coverageAt["0.97"], 3),
    fixed(test.coverageAt["0.99"], 3),
  ];
  const rows: string[][] = [
    ["system", "accuracy", "cov@95", "cov@97", "cov@99", "train s", "peak MB", "model MB", "predictions/s"],
    [
      "native (float32)",
      fixed(figures.test.accuracy, 4),
      ...coverage(figures.test),
      fixed(figures.trainSeconds, 1),
      megabytes(native.processPeakRssBytes),
      megabytes(figures.modelBytes.float32Weights),
      whole(figures.throughputPerSec),
    ],
    [
      "native int8",
      fixed(figures.int8.test.accuracy, 4),
      ...coverage(figures.int8.test),
      "(same)",
      "(same)",
      megabytes(figures.modelBytes.int8Weights),
      whole(figures.int8.throughputPerSec),
    ],
    ...fastText.runs.map((run) => [
      run.name,
      fixed(run.test.accuracy, 4),
      ...coverage(run.test),
      fixed(run.trainSeconds, 1),
      megabytes(run.peakRssBytes),
      megabytes(run.modelBytes),
      `${whole(run.predictionsPerSec)}*`,
    ]),
  ];

  const lines: string[] = [];
  const { splits } = inputs;
  lines.push(
    `slmkit classifier bench: ${inputs.dataset} (train ${splits.train}, valid ${splits.valid}, test ${splits.test}, ${splits.labels} labels)`,
    `${new Date().toISOString()} · node ${process.version} · ${cpus()[0]?.model ?? "unknown CPU"} × ${cpus().length} · seed ${inputs.options.seed}`,
    "",
    renderTable(rows),
    "",
    "accuracy and cov@X (coverage at X% accepted accuracy, thresholds read off the test curve) are on test.",
    `train s: native = inside trainClassifier, one thread (process start → float32 model saved: ${fixed(figures.processSecondsToSaved, 1)} s);`,
    "  fastText = process wall: start, reading, training, writing model.bin and model.vec.",
    `peak MB: the training process's maximum RSS (${inputs.probe === "gnu-time" ? "GNU time %M" : "/proc VmHWM, polled"}); native's covers the whole worker:`,
    `  training, saving, then loading and evaluating both models (${megabytes(figures.peakRssAfterTrainBytes)} MB when training ended;`,
    `  Node + tsx + slmkit loaded and idle: ${megabytes(inputs.baselinePeakRssBytes)} MB). MB = 10^6 bytes. model MB: weights.bin / model.bin.`,
    "predictions/s: native = in-process predictSync in batches of 256 (median of 3 passes).",
  );
  if (fastText.runs.length > 0) {
    lines.push(
      "  * fastText = `predict-prob <model> <test> 1` over the whole test file INCLUDING process start and model load",
      `    (best of ${predictRuns} runs):`,
    );
  }
  for (const run of fastText.runs) {
    lines.push(
      `    ${run.name}: ${fixed(run.predictSeconds, 2)} s for ${splits.test} texts, ${fixed(run.startSeconds, 2)} s for one text; excluding that ≈ ${whole(run.predictionsPerSecExcludingStart)} texts/s`,
    );
  }
  if (!fastText.available) lines.push("", `NOTICE: ${fastText.notice ?? "fastText was not run."}`);
  else lines.push(`fastText ${fastText.version ?? "(version unknown)"} trained on ${fastText.trainedOn}.`);

  lines.push(
    "",
    "native details",
    `  macro-F1 ${fixed(figures.test.macroF1, 4)} · ECE ${fixed(figures.test.ece, 4)} · epochs ${figures.epochsRun} (best ${figures.bestEpoch}) · ${whole(figures.featureCount)} features`,
    `  validation-chosen threshold ${fixed(figures.validation.threshold, 4)} (target 0.97; validation coverage ${fixed(figures.validation.coverage, 3)}, accepted accuracy ${fixed(figures.validation.acceptedAccuracy, 4)})`,
    `    on test: coverage ${fixed(figures.test.atThreshold.coverage, 4)}, accepted accuracy ${fixed(figures.test.atThreshold.acceptedAccuracy, 4)}`,
    `  int8: test accuracy ${fixed(figures.int8.test.accuracy, 4)} (${signedPoints(figures.int8.accuracyChangePoints)}; on validation ${signedPoints(figures.int8.validationAccuracyChangePoints)}),`,
    `    its own threshold ${fixed(figures.int8.test.atThreshold.threshold, 4)}: test coverage ${fixed(figures.int8.test.atThreshold.coverage, 4)}, accepted accuracy ${fixed(figures.int8.test.atThreshold.acceptedAccuracy, 4)}`,
    `  model bytes: float32 weights.bin ${whole(figures.modelBytes.float32Weights)} (directory ${whole(figures.modelBytes.float32Directory)}), int8 weights.bin ${whole(figures.modelBytes.int8Weights)} (directory ${whole(figures.modelBytes.int8Directory)})`,
    `  latency, predictSync([text]) one text per call over all ${figures.latencyMs.calls} test texts after ${figures.latencyMs.warmUpCalls} warm-up calls, one thread:`,
    `    p50 ${fixed(figures.latencyMs.p50, 3)} ms · p95 ${fixed(figures.latencyMs.p95, 3)} ms · p99 ${fixed(figures.latencyMs.p99, 3)} ms`,
    `  logits of one text (sparse vector made beforehand): JavaScript ${fixed(figures.logitsMicroseconds.javascript, 2)} µs · WebAssembly SIMD ${fixed(figures.logitsMicroseconds.webAssembly, 2)} µs (the classifier's path; the same bits) · ${figures.logitsMicroseconds.webAssembly === null ? "–" : `${fixed(figures.logitsMicroseconds.javascript / figures.logitsMicroseconds.webAssembly, 2)}×`}`,
    `  train CPU s ${fixed(figures.trainCpuSeconds, 1)} for ${fixed(figures.trainSeconds, 1)} s wall (above wall = helper threads such as GC)`,
  );
  for (const note of figures.notes) lines.push(`  note: ${note}`);

  if (unknown !== null) {
    lines.push(
      "",
      `unknown intents: ${unknown.heldOutLabels.length} labels held out of train and valid (every 7th in sorted order):`,
      `  ${unknown.heldOutLabels.join(", ")}`,
      `  held-out labels' test items below the threshold (escalated): ${unknown.outOfScope.escalated}/${unknown.outOfScope.n} = ${percent(unknown.outOfScope.escalatedShare)}`,
      ...unknown.outOfScope.byLabel.map(
        (figures) =>
          `    ${figures.label}: ${figures.escalated}/${figures.n} escalated${figures.mostAcceptedAs === null ? "" : `; accepted mostly as ${figures.mostAcceptedAs} (${figures.mostAcceptedCount})`}`,
      ),
      `  in scope (${unknown.inScope.n} test items): accuracy ${fixed(unknown.inScope.accuracy, 4)}, at its threshold ${fixed(unknown.threshold, 4)}: coverage ${fixed(unknown.inScope.atThreshold.coverage, 4)}, accepted accuracy ${fixed(unknown.inScope.atThreshold.acceptedAccuracy, 4)}; cov@97 ${fixed(unknown.inScope.coverageAt["0.97"], 3)}`,
    );
  }

  lines.push(
    "",
    "ratios (native / fastText (b) 1 thread, same n-gram settings; compare within this run only)",
    `  train s: ${ratio(ratios.trainSecondsInProcess)} in-process, ${ratio(ratios.trainSecondsProcessWall)} process wall (start → saved)`,
    `  peak MB: ${ratio(ratios.peakMemory)}`,
    `  model size: float32 ${ratio(ratios.modelSizeFloat32, 4)}, int8 ${ratio(ratios.modelSizeInt8, 4)}`,
    `  accuracy: ${signedPoints(ratios.accuracyPointsVersusB)} vs (b), ${signedPoints(ratios.accuracyPointsVersusA)} vs (a)`,
    "",
    "targets",
  );
  const targetRows = inputs.targets.map((target) => [
    `  ${target.name}`,
    target.measured,
    target.pass === null ? "n/a" : target.pass ? "PASS" : "MISS",
  ]);
  lines.push(renderTable(targetRows));
  return `${lines.join("\n")}\n`;
}

/** The figures with the run's provenance: bench/results/classifier-<dataset>.json, or local/ for a quick run. */
async function writeResults(run: BenchRun, inputs: ReportInputs): Promise<void> {
  const { options } = inputs;
  await run.write({
    dataset: inputs.dataset,
    data: { dir: relative(repositoryRoot, options.dataDir), ...inputs.splits },
    seed: options.seed,
    units: {
      bytes: "bytes",
      megabyte: "10^6 bytes in the printed table",
      seconds: "wall seconds unless named cpu",
    },
    memoryProbe: inputs.probe,
    native: {
      ...inputs.native.figures,
      processPeakRssBytes: inputs.native.processPeakRssBytes,
      processWallSeconds: inputs.native.processWallSeconds,
      processCpuSeconds: inputs.native.processCpuSeconds,
      baselinePeakRssBytes: inputs.baselinePeakRssBytes,
    },
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
  });
  const split = (name: string) => readClassificationData(join(options.dataDir, `${name}.jsonl`));
  const [train, valid, test] = await Promise.all([split("train"), split("valid"), split("test")]);
  const labels = [...new Set(train.map((example) => example.label))];
  const splits = { train: train.length, valid: valid.length, test: test.length, labels: labels.length };

  const scratchDir = mkdtempSync(join(tmpdir(), "slmkit-bench-"));
  const cleanUp = () => rmSync(scratchDir, { recursive: true, force: true });
  // Ctrl-C must not leave gigabytes of fastText models in the temp dir.
  const onSignal = (signal: NodeJS.Signals) => {
    cleanUp();
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const probe = chooseMemoryProbe();
    const native = await runNative(options, probe, scratchDir);
    const baselinePeakRssBytes = await runNativeBaseline(probe, scratchDir);
    const heldOut = chooseHeldOutLabels(labels);
    const unknown =
      heldOut.length === 0 ? null : await runUnknownIntents(options, probe, scratchDir, heldOut);
    const fastText: FastTextSection = options.quick
      ? {
          available: false,
          notice: "fastText skipped (--quick / --skip-fasttext): native figures only.",
          version: null,
          trainedOn: "",
          runs: [],
        }
      : await runFastText(options, probe, scratchDir, train, test);
    const ratios = computeRatios(native, fastText);
    const targets = evaluateTargets(native, unknown, fastText);
    const inputs: ReportInputs = {
      dataset,
      options,
      splits,
      probe,
      native,
      baselinePeakRssBytes,
      unknown,
      fastText,
      ratios,
      targets,
    };
    process.stdout.write(`\n${renderReport(inputs)}\n`);
    await writeResults(run, inputs);
  } finally {
    cleanUp();
  }
}

await main();
