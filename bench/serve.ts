// `node --import tsx bench/serve.ts`: the hybrid gateway over HTTP on loopback, measured against the issue's
// targets: peak throughput next to a bare Fastify route and Node's plain `http` (wrk), latency at a steady rate
// (an open-loop generator free of coordinated omission), cache hits, escalation overhead on top of a stand-in
// LLM, a soak (RSS and log rows), and the brief's example on banking77 (share answered locally, accuracy, cost
// against LLM-only). The gateway, the bare servers and the load generator each run in their own process; the
// stand-in LLM runs in this one, which is otherwise idle while a phase runs. Prints figures; never asserts.
//
// Usage: node --import tsx bench/serve.ts [--quick] [--soak <seconds>] [--data <dir>] [--seed 42] [--no-wrk]

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { Agent, request as httpRequest } from "node:http";
import { cpus, tmpdir, totalmem } from "node:os";
import { basename, delimiter, join, relative, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { redactPii } from "../src/data/pii.js";
import { readClassificationData } from "../src/data/io.js";
import { percentiles } from "../src/eval/latency.js";
import type { NativeClassifier } from "../src/models/native/classifier.js";
import { saveNativeModel } from "../src/models/native/model-directory.js";
import { createOpenAiLabeler, systemPrompt } from "../src/models/openai/openai-labeler.js";
import { createBudget } from "../src/route/budget.js";
import { createCircuitBreaker } from "../src/route/circuit-breaker.js";
import { hashInput } from "../src/route/router.js";
import { createSqliteStore } from "../src/store/sqlite-store.js";
import type { RequestLogEntry } from "../src/store/types.js";
import { trainClassifier } from "../src/train/train-classifier.js";
import type { LabeledExample } from "../src/types.js";
import { answer, type FakeOpenAiServer, startFakeOpenAi } from "../test/helpers/fake-openai.js";
import type { ChildMessage, GatewayClosed, LoadConfig, LoadResult, ServerReady } from "./serve-protocol.js";

const repositoryRoot = fileURLToPath(new URL("..", import.meta.url));
const benchDir = join(repositoryRoot, "bench");
const resultsDir = join(benchDir, "results");
const defaultDataDir = "../shared/datasets/banking77";
const useCaseId = "banking77";
/** The environment variable the use case's `llm.apiKeyEnv` names; set only in the gateway child's env. */
const llmKeyEnv = "SLMKIT_BENCH_LLM_KEY";
/** gpt-4o-mini's list price, the stand-in LLM's price: USD per 1M input and output tokens. */
const price = { model: "gpt-4o-mini", inputPerMillionUsd: 0.15, outputPerMillionUsd: 0.6 };
const targetAccuracy = 0.97;
/** The stand-in LLM's fixed delay, and the share of its answers that are wrong. */
const standInDelayMs = 20;
const standInErrorRate = 0.05;
const rates = { steady: 500, cache: 500, escalation: 50, soak: 300, example: 300 };
const wrkConnections = 32;
/** Texts the wrk script rotates through. */
const wrkTexts = 200;
const megabyte = 1_000_000;

// ---------------------------------------------------------------------------------------------------------
// Options

interface BenchOptions {
  dataDir: string;
  quick: boolean;
  /** Seconds of the soak at 300 req/s; 0 skips it. */
  soakSeconds: number;
  /** Recorded seconds of each steady-rate phase. */
  phaseSeconds: number;
  /** Recorded seconds of each peak-throughput run. */
  peakSeconds: number;
  /** Unrecorded warm-up before each phase. */
  warmUpSeconds: number;
  seed: number;
  /** Use wrk for peak throughput (installing it if needed); false: the Node closed-loop generator. */
  wrk: boolean;
  argv: string[];
}

const usage = `Usage: node --import tsx bench/serve.ts [options]
  --quick            a smoke run: 3 s per phase, no soak (about a minute)
  --soak <seconds>   soak length at ${rates.soak} req/s (default 60; the issue's target is 600; 0 skips it)
  --seconds <n>      recorded seconds of each steady-rate phase (default 15, --quick 3)
  --data <dir>       directory with train.jsonl, valid.jsonl, test.jsonl (default ${defaultDataDir})
  --seed <n>         training seed and the stand-in LLM's errors (default 42)
  --no-wrk           measure peak throughput with the Node closed-loop generator instead of wrk`;

function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: "string" },
      quick: { type: "boolean", default: false },
      soak: { type: "string" },
      seconds: { type: "string" },
      seed: { type: "string", default: "42" },
      "no-wrk": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  const number = (name: string, text: string | undefined, fallback: number) => {
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} must be a number ≥ 0, got ${text}.`);
    return value;
  };
  const quick = values.quick;
  const seed = number("seed", values.seed, 42);
  if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, got ${values.seed}.`);
  const phaseSeconds = number("seconds", values.seconds, quick ? 3 : 15);
  if (phaseSeconds <= 0) throw new Error("--seconds must be above 0.");
  return {
    dataDir: resolve(repositoryRoot, values.data ?? defaultDataDir),
    quick,
    soakSeconds: number("soak", values.soak, quick ? 0 : 60),
    phaseSeconds,
    peakSeconds: quick ? 3 : 10,
    warmUpSeconds: quick ? 1 : 2,
    seed,
    wrk: !values["no-wrk"],
    argv,
  };
}

/** Progress goes to stderr, so stdout holds only the report. */
function progress(message: string): void {
  process.stderr.write(`${message}\n`);
}

// ---------------------------------------------------------------------------------------------------------
// Child processes: every one is tracked and ended at exit, also on Ctrl-C

const liveChildren = new Set<ChildProcess>();

function track(child: ChildProcess): ChildProcess {
  liveChildren.add(child);
  child.once("exit", () => liveChildren.delete(child));
  return child;
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
async function endChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  if (!(await waitForExit(child, graceMs))) {
    child.kill("SIGKILL");
    await waitForExit(child, 2_000);
  }
}

async function endAllChildren(): Promise<void> {
  await Promise.all([...liveChildren].map((child) => endChild(child, 5_000)));
}

type MessageOf<E extends ChildMessage["event"]> = E extends "ready"
  ? ServerReady
  : E extends "closed"
    ? GatewayClosed
    : Extract<ChildMessage, { event: "sending" | "measuring" | "done" }>;

/** A Node child running one of bench/serve-*.ts, talking JSON lines on stdout. */
class BenchChild {
  readonly process: ChildProcess;
  private readonly messages: ChildMessage[] = [];
  private wake: (() => void) | undefined;
  private stderrTail = "";

  constructor(
    readonly name: string,
    script: string,
    args: readonly string[],
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.process = track(
      spawn(process.execPath, ["--import", "tsx", join(benchDir, script), ...args], {
        cwd: repositoryRoot,
        env,
        stdio: ["pipe", "pipe", "pipe"],
      }),
    );
    createInterface({ input: this.process.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      try {
        this.messages.push(JSON.parse(line) as ChildMessage);
      } catch {
        progress(`  [${name}] ${line}`);
      }
      this.wake?.();
    });
    this.process.stderr?.on("data", (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      this.stderrTail = (this.stderrTail + text).slice(-2_000);
      for (const line of text.split("\n")) if (line.trim() !== "") progress(`  [${name}] ${line}`);
    });
    this.process.once("exit", () => this.wake?.());
  }

  get pid(): number {
    return this.process.pid ?? -1;
  }

  async waitFor<E extends ChildMessage["event"]>(event: E, timeoutMs: number): Promise<MessageOf<E>> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const index = this.messages.findIndex((message) => message.event === event);
      if (index >= 0) return this.messages.splice(index, 1)[0] as MessageOf<E>;
      if (this.process.exitCode !== null || this.process.signalCode !== null) {
        throw new Error(
          `${this.name} exited (${this.process.exitCode ?? this.process.signalCode}) before "${event}":\n${this.stderrTail}`,
        );
      }
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`${this.name}: no "${event}" within ${timeoutMs} ms.\n${this.stderrTail}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  end(graceMs = 5_000): Promise<void> {
    return endChild(this.process, graceMs);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Tools on the machine: wrk

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

/** `apt-get install -y wrk` when missing (and `apt-get update` and once more if that fails). */
function ensureWrk(): { available: boolean; notice: string | null; version: string | null } {
  const version = () => {
    const result = spawnSync("dpkg-query", ["-W", "wrk"], { encoding: "utf8" });
    const found = result.status === 0 ? result.stdout.trim().split("\t")[1] : undefined;
    return found === undefined || found === "" ? null : found;
  };
  if (findOnPath("wrk") !== undefined) return { available: true, notice: null, version: version() };
  progress("wrk: not installed; installing it with apt-get (the bench runs as root).");
  let attempt = aptGet(["install", "-y", "wrk"]);
  if (!attempt.ok) {
    progress(`  install failed (${tail(attempt.output, 200)}); updating the package lists and retrying.`);
    const update = aptGet(["update"]);
    if (!update.ok) progress(`  apt-get update failed: ${tail(update.output, 200)}`);
    attempt = aptGet(["install", "-y", "wrk"]);
  }
  if (attempt.ok && findOnPath("wrk") !== undefined) {
    progress("  wrk installed.");
    return { available: true, notice: "wrk was installed by this run (apt-get install -y wrk).", version: version() };
  }
  return {
    available: false,
    notice: `wrk could not be installed (${tail(attempt.output, 200)}); peak throughput comes from the Node closed-loop generator (bench/serve-load.ts, ${wrkConnections} keep-alive connections), which is slower than wrk and shares the 2 cores less kindly.`,
    version: null,
  };
}

// ---------------------------------------------------------------------------------------------------------
// /proc readers

const clockTicksPerSecond = (() => {
  const result = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" });
  const ticks = Number(result.stdout?.trim());
  return Number.isFinite(ticks) && ticks > 0 ? ticks : 100;
})();

/** Resident memory of a process in bytes (VmRSS), or null when it cannot be read. */
function rssBytes(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match === null ? null : Number(match[1]) * 1024;
  } catch {
    return null;
  }
}

/** User + system CPU seconds of a process, all its threads, or null when it cannot be read. */
function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Figures

interface LatencySummary {
  n: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
}

function summarize(samples: readonly (number | null)[]): LatencySummary | null {
  const values = samples.filter((value): value is number => typeof value === "number" && Number.isFinite(value));
  if (values.length === 0) return null;
  const [p50, p90, p95, p99, p999, max] = percentiles(values, [50, 90, 95, 99, 99.9, 100]) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  return { n: values.length, mean, p50, p90, p95, p99, p999, max };
}

function countBy(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value === "" ? "none" : value] = (counts[value === "" ? "none" : value] ?? 0) + 1;
  return counts;
}

const fixed = (value: number | null | undefined, digits: number): string =>
  value === null || value === undefined || !Number.isFinite(value) ? "–" : value.toFixed(digits);
const whole = (value: number | null | undefined): string =>
  value === null || value === undefined || !Number.isFinite(value)
    ? "–"
    : Math.round(value).toLocaleString("en-US");
const percent = (share: number | null | undefined, digits = 1): string =>
  share === null || share === undefined || !Number.isFinite(share) ? "–" : `${(share * 100).toFixed(digits)}%`;
const ratio = (value: number | null | undefined, digits = 2): string =>
  value === null || value === undefined || !Number.isFinite(value) ? "–" : `${value.toFixed(digits)}×`;
const megabytes = (bytes: number | null | undefined): string =>
  bytes === null || bytes === undefined ? "–" : fixed(bytes / megabyte, 1);
const divide = (a: number | null | undefined, b: number | null | undefined): number | null =>
  a === null || a === undefined || b === null || b === undefined || b === 0 ? null : a / b;
const usd = (value: number): string => `$${value.toFixed(value < 1 ? 4 : 2)}`;

function shares(counts: Record<string, number>): string {
  const total = Object.values(counts).reduce((sum, count) => sum + count, 0);
  const order = ["slm", "cache", "llm", "review", "none"];
  return Object.entries(counts)
    .sort(([a], [b]) => order.indexOf(a) - order.indexOf(b))
    .map(([name, count]) => `${name} ${percent(count / total)}`)
    .join(", ");
}

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

// ---------------------------------------------------------------------------------------------------------
// Data, model, use case

interface Workload {
  labels: string[];
  train: LabeledExample[];
  valid: LabeledExample[];
  test: LabeledExample[];
  model: NativeClassifier;
  threshold: number;
  trainSeconds: number;
  /** Test texts the model accepts (confidence ≥ threshold) and rejects. */
  acceptedTest: LabeledExample[];
  rejectedTest: LabeledExample[];
  useCasePath: string;
}

async function prepareWorkload(options: BenchOptions, scratchDir: string, llmBaseUrl: string): Promise<Workload> {
  const split = (name: string) => readClassificationData(join(options.dataDir, `${name}.jsonl`));
  const [train, valid, test] = await Promise.all([split("train"), split("valid"), split("test")]);
  const labels = [...new Set(train.map((example) => example.label))].sort();
  progress(
    `training the native model on ${basename(options.dataDir)} (train ${train.length}, valid ${valid.length} for calibration at ${targetAccuracy})…`,
  );
  const started = performance.now();
  const trained = await trainClassifier(train, { valid, seed: options.seed, targetAccuracy });
  const trainSeconds = (performance.now() - started) / 1000;
  const modelDir = join(scratchDir, "model");
  await saveNativeModel(trained.model, modelDir, trained.record);
  const model = trained.model;
  const acceptedTest: LabeledExample[] = [];
  const rejectedTest: LabeledExample[] = [];
  for (const example of test) {
    (model.predictDetailed(example.text).confidence >= model.threshold ? acceptedTest : rejectedTest).push(example);
  }
  progress(
    `  trained in ${fixed(trainSeconds, 1)} s; threshold ${fixed(model.threshold, 4)}; test: ${acceptedTest.length} accepted, ${rejectedTest.length} below the threshold`,
  );
  const useCasePath = join(scratchDir, "usecase.yaml");
  // The data is referenced where it lies, never copied.
  const dataPath = (name: string) => JSON.stringify(relative(scratchDir, join(options.dataDir, `${name}.jsonl`)));
  await writeFile(
    useCasePath,
    `version: 1
id: ${useCaseId}
title: Banking77 customer questions (bench)
task: classify
labels:
${labels.map((label) => `  - name: ${JSON.stringify(label)}\n    description: ${JSON.stringify(label.replaceAll("_", " "))}`).join("\n")}
data:
  train: ${dataPath("train")}
  valid: ${dataPath("valid")}
  test: ${dataPath("test")}
model: model
routing:
  targetAccuracy: ${targetAccuracy}
  fallback: llm
llm:
  baseUrl: ${llmBaseUrl}
  model: ${price.model}
  apiKeyEnv: ${llmKeyEnv}
  pricePer1kInputUsd: ${price.inputPerMillionUsd / 1000}
  pricePer1kOutputUsd: ${price.outputPerMillionUsd / 1000}
  timeoutMs: 10000
`,
  );
  return {
    labels,
    train,
    valid,
    test,
    model,
    threshold: model.threshold,
    trainSeconds,
    acceptedTest,
    rejectedTest,
    useCasePath,
  };
}

/** A request body as an OpenAI client sends it: the text is the last user message. */
function chatBody(text: string): string {
  return JSON.stringify({ model: useCaseId, messages: [{ role: "user", content: text }] });
}

// ---------------------------------------------------------------------------------------------------------
// The stand-in LLM: a real OpenAI-wire server (test/helpers/fake-openai.ts) answering the gold label

interface StandIn {
  server: FakeOpenAiServer;
  /** Milliseconds each answer waits before it is sent. */
  delayMs: number;
  /** The label it answers for a text (as received, i.e. after redaction): gold, or wrong 5% of the time. */
  answers: Map<string, string>;
  /** Handler time of each request, by the text received, oldest first. */
  handlerMs: Map<string, number[]>;
  calls: number;
  /** Requests whose text it did not know (answered with the first label). */
  unknown: number;
}

/**
 * Deterministic per text (not per arrival order): a seeded hash says whether the stand-in errs on this text
 * (5%) and, if so, which other label it answers.
 */
function standInLabel(text: string, gold: string, labels: readonly string[], seed: number): string {
  const digest = createHash("sha256").update(`${seed}\u0000${text}`).digest();
  if (digest.readUInt32BE(0) / 2 ** 32 >= standInErrorRate) return gold;
  const others = labels.filter((label) => label !== gold);
  return others[digest.readUInt32BE(4) % others.length] as string;
}

async function startStandIn(): Promise<StandIn> {
  const standIn: StandIn = {
    server: undefined as unknown as FakeOpenAiServer,
    delayMs: standInDelayMs,
    answers: new Map(),
    handlerMs: new Map(),
    calls: 0,
    unknown: 0,
  };
  standIn.server = await startFakeOpenAi(async (request) => {
    const started = performance.now();
    standIn.calls += 1;
    if (standIn.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, standIn.delayMs));
    let label = standIn.answers.get(request.user);
    if (label === undefined) {
      standIn.unknown += 1;
      label = standIn.answers.values().next().value ?? "unknown";
    }
    const reply = answer(label)(request);
    const timings = standIn.handlerMs.get(request.user);
    if (timings === undefined) standIn.handlerMs.set(request.user, [performance.now() - started]);
    else timings.push(performance.now() - started);
    return reply;
  });
  return standIn;
}

/** Teaches the stand-in the answer for texts, under the text and under its redacted form (what it receives). */
function teachStandIn(
  standIn: StandIn,
  examples: readonly LabeledExample[],
  labels: readonly string[],
  seed: number,
): void {
  for (const example of examples) {
    const label = standInLabel(example.text, example.label, labels, seed);
    standIn.answers.set(example.text, label);
    standIn.answers.set(redactPii(example.text), label);
  }
}

function resetStandIn(standIn: StandIn): void {
  standIn.calls = 0;
  standIn.unknown = 0;
  standIn.handlerMs.clear();
}

// ---------------------------------------------------------------------------------------------------------
// Servers and load

interface GatewayHandle {
  child: BenchChild;
  url: string;
  key: string;
  name: string;
  /** Requests this bench sent that the gateway routes (and must log). */
  routed: number;
}

interface GatewayRows {
  name: string;
  /** Requests sent to the chat route (warm-up included). */
  sent: number;
  rows: number;
  dropped: number;
  closeMs: number;
  /** wrk does not count requests cut off at the end of its run; its rows are compared loosely. */
  exact: boolean;
}

let gatewayCount = 0;

async function startGatewayChild(scratchDir: string, useCasePath: string, name: string): Promise<GatewayHandle> {
  gatewayCount += 1;
  const store = `sqlite:${join(scratchDir, `gateway-${gatewayCount}.db`)}`;
  const child = new BenchChild(`gateway ${name}`, "serve-gateway.ts", ["--usecase", useCasePath, "--store", store], {
    ...process.env,
    [llmKeyEnv]: "sk-bench-stand-in",
  });
  const ready = await child.waitFor("ready", 60_000);
  return { child, url: ready.url, key: ready.key ?? "", name, routed: 0 };
}

async function stopGatewayChild(gateway: GatewayHandle, exact = true): Promise<GatewayRows> {
  gateway.child.process.kill("SIGTERM");
  const closed = await gateway.child.waitFor("closed", 60_000);
  await gateway.child.end(10_000);
  return {
    name: gateway.name,
    sent: gateway.routed,
    rows: closed.rows,
    dropped: closed.dropped,
    closeMs: closed.closeMs,
    exact,
  };
}

async function startBareChild(kind: "fastify" | "http", replyFile: string): Promise<{ child: BenchChild; url: string }> {
  const child = new BenchChild(`bare ${kind}`, "serve-bare.ts", ["--kind", kind, "--reply", replyFile]);
  const ready = await child.waitFor("ready", 30_000);
  return { child, url: ready.url };
}

/** Requests by who answered, from the gateway's Prometheus counter. */
async function scrapeAnsweredBy(url: string): Promise<Record<string, number>> {
  const response = await fetch(`${url}/metrics`);
  const text = await response.text();
  const counts: Record<string, number> = {};
  for (const match of text.matchAll(/^slmkit_requests_total\{[^}]*answered_by="([a-z]+)"[^}]*\}\s+(\S+)$/gm)) {
    counts[match[1] as string] = Number(match[2]);
  }
  return counts;
}

function difference(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const result: Record<string, number> = {};
  for (const [name, count] of Object.entries(after)) {
    const delta = count - (before[name] ?? 0);
    if (delta > 0) result[name] = delta;
  }
  return result;
}

interface LoadRun {
  result: LoadResult;
  /** Epoch ms when recording started and when the generator finished. */
  measuringAt: number;
  doneAt: number;
}

let loadCount = 0;

async function runLoad(scratchDir: string, name: string, config: LoadConfig): Promise<LoadRun> {
  loadCount += 1;
  const configFile = join(scratchDir, `load-${loadCount}.json`);
  const resultFile = join(scratchDir, `load-${loadCount}.result.json`);
  await writeFile(configFile, JSON.stringify(config));
  const expectedSeconds =
    config.warmUpSeconds +
    (config.mode === "open" && config.count !== undefined ? config.count / config.rate : config.seconds);
  const child = new BenchChild(`load ${name}`, "serve-load.ts", ["--config", configFile, "--result", resultFile]);
  try {
    await child.waitFor("sending", 30_000);
    const measuring = await child.waitFor("measuring", (config.warmUpSeconds + 30) * 1000);
    const done = await child.waitFor("done", (expectedSeconds + config.timeoutMs / 1000 + 60) * 1000);
    const result = JSON.parse(await readFile(resultFile, "utf8")) as LoadResult;
    return { result, measuringAt: measuring.at, doneAt: done.at };
  } finally {
    await child.end();
  }
}

function openLoad(
  url: string,
  key: string | null,
  bodies: string[],
  rate: number,
  seconds: number,
  warmUpSeconds: number,
  extra: Partial<LoadConfig> = {},
): LoadConfig {
  return {
    mode: "open",
    url,
    headers: key === null ? {} : { authorization: `Bearer ${key}` },
    bodies,
    rate,
    warmUpSeconds,
    seconds,
    connections: 0,
    parseReplies: true,
    keepDetails: false,
    timeoutMs: 10_000,
    ...extra,
  };
}

interface SteadyFigures {
  target: string;
  rate: number;
  /** Requests sent, warm-up included. */
  sent: number;
  recorded: number;
  /** Recorded requests over the recorded seconds. */
  achievedRate: number;
  ok: number;
  errors: number;
  statuses: Record<string, number>;
  /** From the scheduled send time: the headline figure. */
  latencyMs: LatencySummary | null;
  latencyFromSendMs: LatencySummary | null;
  /** How late the generator sent behind its schedule. */
  sendLagMs: LatencySummary | null;
  /** The router's own `latency_ms` (gateway only). */
  routerLatencyMs: LatencySummary | null;
  answeredBy: Record<string, number>;
  /** Server CPU time per recorded request, µs (all threads of the server process, warm-up excluded). */
  serverCpuMicrosecondsPerRequest: number | null;
  generatorCpuSeconds: number;
}

function steadyFigures(target: string, run: LoadRun, serverCpuSeconds: number | null, rate: number): SteadyFigures {
  const result = run.result;
  return {
    target,
    rate,
    sent: result.sent,
    recorded: result.recorded,
    achievedRate: result.recordedSeconds > 0 ? result.recorded / result.recordedSeconds : 0,
    ok: result.ok,
    errors: result.errors,
    statuses: result.statuses,
    latencyMs: summarize(result.latencyFromScheduledMs),
    latencyFromSendMs: summarize(result.latencyFromSendMs),
    sendLagMs: summarize(result.sendLagMs),
    routerLatencyMs: summarize(result.routerLatencyMs),
    answeredBy: countBy(result.answeredBy),
    serverCpuMicrosecondsPerRequest:
      serverCpuSeconds === null || result.recorded === 0 ? null : (serverCpuSeconds / result.recorded) * 1e6,
    generatorCpuSeconds: result.generatorCpuSeconds,
  };
}

/**
 * Runs an open-loop load against a server child and measures its CPU over the recorded part only (sampled
 * at the generator's "measuring" and "done" events).
 */
async function measureSteady(
  scratchDir: string,
  name: string,
  serverPid: number,
  config: LoadConfig,
): Promise<{ run: LoadRun; figures: SteadyFigures }> {
  progress(`${name}: ${config.rate} req/s for ${config.seconds} s after ${config.warmUpSeconds} s of warm-up…`);
  let cpuAtMeasuring: number | null = null;
  const cpuSampler = setInterval(() => {
    // The generator tells when recording starts; sample the server's CPU as close to it as we can.
    if (cpuAtMeasuring === null && Date.now() >= measuringTime) cpuAtMeasuring = cpuSeconds(serverPid);
  }, 20);
  let measuringTime = Number.POSITIVE_INFINITY;
  const started = Date.now();
  measuringTime = started + config.warmUpSeconds * 1000 + 20;
  try {
    const run = await runLoad(scratchDir, name, config);
    const cpuAtDone = cpuSeconds(serverPid);
    const serverCpu = cpuAtMeasuring === null || cpuAtDone === null ? null : cpuAtDone - cpuAtMeasuring;
    const figures = steadyFigures(name, run, serverCpu, config.rate);
    progress(
      `  p50 ${fixed(figures.latencyMs?.p50, 3)} ms · p99 ${fixed(figures.latencyMs?.p99, 3)} ms · max ${fixed(figures.latencyMs?.max, 2)} ms · errors ${figures.errors}${Object.keys(figures.answeredBy).length > 1 || !("none" in figures.answeredBy) ? ` · ${shares(figures.answeredBy)}` : ""}`,
    );
    return { run, figures };
  } finally {
    clearInterval(cpuSampler);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Peak throughput: wrk (or the Node closed loop)

interface PeakFigures {
  target: string;
  tool: "wrk" | "node closed loop";
  command: string;
  requests: number;
  seconds: number;
  requestsPerSec: number;
  non2xx: number;
  socketErrors: string | null;
  latencyMs: { p50: number | null; p90: number | null; p99: number | null };
  /** Gateway only: who answered during the recorded run. */
  answeredBy: Record<string, number> | null;
  serverCpuMicrosecondsPerRequest: number | null;
}

/** A Lua string literal holding any bytes: printable ASCII as is, the rest as \ddd escapes. */
function luaString(text: string): string {
  let out = '"';
  for (const byte of Buffer.from(text, "utf8")) {
    if (byte === 0x22 || byte === 0x5c) out += `\\${String.fromCharCode(byte)}`;
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += `\\${byte}`;
  }
  return `${out}"`;
}

async function writeWrkScript(file: string, bodies: readonly string[], key: string): Promise<void> {
  await writeFile(
    file,
    `-- Generated by bench/serve.ts: POSTs chat completions, rotating through ${bodies.length} texts.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = ${luaString(`Bearer ${key}`)}
local bodies = {
${bodies.map((body) => `  ${luaString(body)},`).join("\n")}
}
local index = 0
request = function()
  index = index % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[index])
end
`,
  );
}

function parseDuration(text: string): number | null {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (match === null) return null;
  const value = Number(match[1]);
  const unit = match[2];
  return unit === "us" ? value / 1000 : unit === "ms" ? value : unit === "s" ? value * 1000 : value * 60_000;
}

async function runWrk(
  url: string,
  script: string,
  seconds: number,
): Promise<{ output: string; command: string }> {
  const args = ["-t1", `-c${wrkConnections}`, `-d${seconds}s`, "--latency", "-s", script, url];
  const child = track(spawn("wrk", args, { stdio: ["ignore", "pipe", "pipe"] }));
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString("utf8");
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString("utf8");
  });
  if (!(await waitForExit(child, (seconds + 30) * 1000))) {
    await endChild(child, 2_000);
    throw new Error(`wrk did not finish within ${seconds + 30} s:\n${tail(output)}`);
  }
  if (child.exitCode !== 0) throw new Error(`wrk exited with ${child.exitCode}:\n${tail(output)}`);
  return { output, command: `wrk ${args.map((arg) => (arg === script ? "<script.lua>" : arg)).join(" ")}` };
}

function parseWrk(output: string): Omit<PeakFigures, "target" | "tool" | "command" | "answeredBy" | "serverCpuMicrosecondsPerRequest"> {
  const requestsMatch = /(\d+) requests in ([\d.]+)(us|ms|s|m)/.exec(output);
  const rate = /Requests\/sec:\s+([\d.]+)/.exec(output);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(output);
  const socket = /Socket errors:\s+(.+)/.exec(output);
  const percentile = (p: string) => {
    const match = new RegExp(`^\\s+${p}%\\s+(\\S+)`, "m").exec(output);
    return match === null ? null : parseDuration(match[1] as string);
  };
  return {
    requests: requestsMatch === null ? 0 : Number(requestsMatch[1]),
    seconds:
      requestsMatch === null ? 0 : (parseDuration(`${requestsMatch[2]}${requestsMatch[3]}`) ?? 0) / 1000,
    requestsPerSec: rate === null ? 0 : Number(rate[1]),
    non2xx: non2xx === null ? 0 : Number(non2xx[1]),
    socketErrors: socket === null ? null : (socket[1] as string).trim(),
    latencyMs: { p50: percentile("50"), p90: percentile("90"), p99: percentile("99") },
  };
}

interface PeakContext {
  options: BenchOptions;
  scratchDir: string;
  useWrk: boolean;
  script: string;
  bodies: string[];
  key: string;
}

async function measurePeak(
  context: PeakContext,
  target: string,
  baseUrl: string,
  serverPid: number,
  gateway: GatewayHandle | null,
): Promise<PeakFigures> {
  const { options } = context;
  const url = `${baseUrl}/v1/chat/completions`;
  progress(
    `peak ${target}: ${context.useWrk ? `wrk -t1 -c${wrkConnections}` : `node closed loop, ${wrkConnections} connections`}, ${options.warmUpSeconds} s warm-up + ${options.peakSeconds} s…`,
  );
  let figures: PeakFigures;
  if (context.useWrk) {
    await runWrk(url, context.script, options.warmUpSeconds);
    const before = gateway === null ? null : await scrapeAnsweredBy(gateway.url);
    const cpuBefore = cpuSeconds(serverPid);
    const { output, command } = await runWrk(url, context.script, options.peakSeconds);
    const cpuAfter = cpuSeconds(serverPid);
    const after = gateway === null ? null : await scrapeAnsweredBy(gateway.url);
    const parsed = parseWrk(output);
    const answeredBy = before === null || after === null ? null : difference(after, before);
    if (gateway !== null && answeredBy !== null) {
      // Warm-up and recorded run, each with up to c requests cut off at its end (answered and logged anyway).
      gateway.routed += Object.values(answeredBy).reduce((sum, count) => sum + count, 0);
    }
    figures = {
      target,
      tool: "wrk",
      command,
      ...parsed,
      answeredBy,
      serverCpuMicrosecondsPerRequest:
        cpuBefore === null || cpuAfter === null || parsed.requests === 0
          ? null
          : ((cpuAfter - cpuBefore) / parsed.requests) * 1e6,
    };
  } else {
    const before = gateway === null ? null : await scrapeAnsweredBy(gateway.url);
    const cpuBefore = cpuSeconds(serverPid);
    const run = await runLoad(context.scratchDir, `peak ${target}`, {
      ...openLoad(url, context.key, context.bodies, 0, options.peakSeconds, options.warmUpSeconds),
      mode: "closed",
      connections: wrkConnections,
      parseReplies: false,
    });
    const cpuAfter = cpuSeconds(serverPid);
    const after = gateway === null ? null : await scrapeAnsweredBy(gateway.url);
    if (gateway !== null) gateway.routed += run.result.sent;
    const latency = summarize(run.result.latencyFromSendMs);
    figures = {
      target,
      tool: "node closed loop",
      command: `bench/serve-load.ts closed loop, ${wrkConnections} connections, ${options.peakSeconds} s`,
      requests: run.result.recorded,
      seconds: options.peakSeconds,
      requestsPerSec: run.result.recorded / options.peakSeconds,
      non2xx: run.result.errors,
      socketErrors: null,
      latencyMs: { p50: latency?.p50 ?? null, p90: latency?.p90 ?? null, p99: latency?.p99 ?? null },
      answeredBy: before === null || after === null ? null : difference(after, before),
      serverCpuMicrosecondsPerRequest:
        cpuBefore === null || cpuAfter === null || run.result.sent === 0
          ? null
          : ((cpuAfter - cpuBefore) / run.result.sent) * 1e6,
    };
  }
  progress(
    `  ${whole(figures.requestsPerSec)} req/s (${whole(figures.requests)} requests, non-2xx ${figures.non2xx})${figures.answeredBy === null ? "" : ` · ${shares(figures.answeredBy)}`}`,
  );
  return figures;
}

// ---------------------------------------------------------------------------------------------------------
// Escalation: overhead on top of the stand-in LLM, and what its parts cost

interface EscalationFigures {
  rate: number;
  uniqueTexts: number;
  /** Texts made unique by a numbered suffix because the data had too few rejected ones. */
  variants: number;
  gateway: SteadyFigures;
  /** Requests the LLM answered, whose stand-in handler time could be matched by text. */
  matched: number;
  /** Gateway latency (from the scheduled send) minus the stand-in's handler time for that request. */
  overheadMs: LatencySummary | null;
  standInHandlerMs: LatencySummary | null;
  /** The same client calling the stand-in directly with the labeler's request body. */
  direct: SteadyFigures;
  /** Direct latency minus handler time: what one loopback HTTP call to an OpenAI-wire server costs any client. */
  directOverheadMs: LatencySummary | null;
  /** Gateway overhead minus the direct call's, percentile by percentile: the gateway's own share. */
  gatewayShareMs: { p50: number | null; p99: number | null };
}

/** Pops the handler time recorded for each answered request, by its text as the stand-in received it. */
function matchOverheads(
  run: LoadRun,
  receivedTexts: readonly string[],
  standIn: StandIn,
  onlyAnsweredBy: string | null,
): { overhead: number[]; handler: number[] } {
  const overhead: number[] = [];
  const handler: number[] = [];
  const { result } = run;
  for (let index = 0; index < result.recorded; index++) {
    if (onlyAnsweredBy !== null && result.answeredBy[index] !== onlyAnsweredBy) continue;
    const latency = result.latencyFromScheduledMs[index];
    const text = receivedTexts[result.bodyIndex[index] as number] as string;
    const timings = standIn.handlerMs.get(text);
    const time = timings?.shift();
    if (time === undefined || typeof latency !== "number") continue;
    overhead.push(latency - time);
    handler.push(time);
  }
  return { overhead, handler };
}

/**
 * Unique texts the model rejects: test, then valid and train; when still short, numbered variants of them
 * (each checked to stay below the threshold), so that every request misses the cache.
 */
function rejectedPool(
  workload: Workload,
  needed: number,
  exclude: ReadonlySet<string>,
): { pool: LabeledExample[]; variants: number } {
  const seen = new Set<string>(exclude);
  const pool: LabeledExample[] = [];
  const add = (example: LabeledExample) => {
    if (seen.has(example.text)) return;
    seen.add(example.text);
    pool.push(example);
  };
  for (const example of workload.rejectedTest) add(example);
  for (const example of [...workload.valid, ...workload.train]) {
    if (pool.length >= needed) break;
    if (workload.model.predictDetailed(example.text).confidence < workload.threshold) add(example);
  }
  const originals = [...pool];
  let variants = 0;
  for (let round = 2; pool.length < needed && round < 50; round++) {
    for (const example of originals) {
      if (pool.length >= needed) break;
      const text = `${example.text} (ticket ${round}${String(pool.length).padStart(4, "0")})`;
      if (workload.model.predictDetailed(text).confidence >= workload.threshold || seen.has(text)) continue;
      add({ text, label: example.label });
      variants += 1;
    }
  }
  return { pool: pool.slice(0, needed), variants };
}

/** The body the OpenAI labeler sends for a text: system prompt with the labels, the text, a JSON schema. */
function labelerBody(text: string, labels: readonly string[]): string {
  const definitions = labels.map((name) => ({ name, description: name.replaceAll("_", " ") }));
  return JSON.stringify({
    model: price.model,
    messages: [
      { role: "system", content: systemPrompt(definitions, true) },
      { role: "user", content: text },
    ],
    temperature: 0,
    max_tokens: 16 + Math.max(...labels.map((name) => name.length)),
    logprobs: true,
    response_format: {
      type: "json_schema",
      json_schema: {
        name: "label",
        strict: true,
        schema: {
          type: "object",
          properties: { label: { type: "string", enum: labels } },
          required: ["label"],
          additionalProperties: false,
        },
      },
    },
  });
}

interface PartCost {
  name: string;
  /** Mean microseconds per call. */
  meanMicroseconds: number;
  p50Microseconds: number | null;
  calls: number;
  note: string;
}

/**
 * In this process, sequentially: what each step the router adds to an escalation costs. The stand-in answers
 * at once (delay 0) for the HTTP rows, so they are the client's own cost plus one loopback round trip.
 */
async function escalationParts(
  scratchDir: string,
  workload: Workload,
  standIn: StandIn,
  texts: readonly string[],
): Promise<PartCost[]> {
  const parts: PartCost[] = [];
  const timeSync = (name: string, calls: number, run: (index: number) => void, note: string) => {
    for (let index = 0; index < Math.min(calls, 500); index++) run(index);
    const started = performance.now();
    for (let index = 0; index < calls; index++) run(index);
    parts.push({
      name,
      meanMicroseconds: ((performance.now() - started) / calls) * 1000,
      p50Microseconds: null,
      calls,
      note,
    });
  };
  const timeAsync = async (name: string, calls: number, run: (index: number) => Promise<unknown>, note: string) => {
    for (let index = 0; index < Math.min(calls, 50); index++) await run(index);
    const samples: number[] = [];
    for (let index = 0; index < calls; index++) {
      const started = performance.now();
      await run(index);
      samples.push((performance.now() - started) * 1000);
    }
    parts.push({
      name,
      meanMicroseconds: samples.reduce((sum, value) => sum + value, 0) / samples.length,
      p50Microseconds: summarize(samples)?.p50 ?? null,
      calls,
      note,
    });
  };
  const text = (index: number) => texts[index % texts.length] as string;

  timeSync("redactPii(text)", 20_000, (index) => redactPii(text(index)), "PII redaction before the text leaves");
  const breaker = createCircuitBreaker();
  timeSync(
    "breaker allowRequest + recordSuccess",
    200_000,
    () => {
      breaker.allowRequest();
      breaker.recordSuccess();
    },
    "circuit breaker around each call",
  );
  const budget = createBudget({
    store: { addSpend: async () => undefined, getSpend: async () => 0 },
    useCaseId,
    limits: {},
  });
  await timeAsync("budget.check(key), no caps", 20_000, () => budget.check("key-1"), "spend check before each call (a promise)");
  timeSync("hashInput(text)", 20_000, (index) => hashInput(text(index)), "sha256 of the normalized text, for the log row");

  const store = createSqliteStore({ path: join(scratchDir, "parts.db") });
  await store.migrate();
  const entry = (index: number): RequestLogEntry => ({
    id: `request-${index}`,
    useCaseId,
    apiKeyId: "key-1",
    createdAt: Date.now(),
    inputHash: "0".repeat(64),
    inputText: null,
    answeredBy: "llm",
    reason: `confidence 0.412 < threshold ${workload.threshold.toFixed(3)}; llm answered "card_arrival"`,
    label: "card_arrival",
    confidence: 0.9,
    threshold: workload.threshold,
    slmLabel: "card_arrival",
    slmConfidence: 0.412,
    llmLabel: "card_arrival",
    latencyMs: 21.3,
    inputTokens: 700,
    outputTokens: 6,
    costUsd: 0.0001,
    modelVersion: "bench",
  });
  const rows = 20_000;
  let logged = 0;
  timeSync("store.logRequest(row) (queue only)", rows, () => store.logRequest(entry(logged++)), "on the response path");
  const flushStarted = performance.now();
  await store.flush(60_000);
  const flushMs = performance.now() - flushStarted;
  parts.push({
    name: "SQLite batch write per row (flush)",
    meanMicroseconds: (flushMs / (logged - 0)) * 1000,
    p50Microseconds: null,
    calls: logged,
    note: "off the response path but on the gateway's event loop (better-sqlite3 is synchronous), in batches of 500",
  });
  await store.close();

  standIn.delayMs = 0;
  try {
    const labeler = createOpenAiLabeler({
      baseUrl: standIn.server.baseUrl,
      model: price.model,
      apiKey: "sk-bench-stand-in",
      labels: workload.labels.map((name) => ({ name, description: name.replaceAll("_", " ") })),
      pricePer1kInputUsd: price.inputPerMillionUsd / 1000,
      pricePer1kOutputUsd: price.outputPerMillionUsd / 1000,
    });
    const redacted = texts.map((value) => redactPii(value));
    await timeAsync(
      "OpenAI labeler call (openai SDK + fetch), delay 0",
      500,
      (index) => labeler.classify(redacted[index % redacted.length] as string),
      "the SDK's request building, fetch, reply parsing, logprobs",
    );
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const target = new URL(`${standIn.server.baseUrl}/chat/completions`);
    const bodies = redacted.map((value) => Buffer.from(labelerBody(value, workload.labels)));
    await timeAsync(
      "plain http.request, same body, delay 0",
      500,
      (index) =>
        new Promise<void>((resolve, reject) => {
          const body = bodies[index % bodies.length] as Buffer;
          const outgoing = httpRequest(
            {
              agent,
              hostname: target.hostname,
              port: target.port,
              path: target.pathname,
              method: "POST",
              headers: { "content-type": "application/json", "content-length": body.length },
            },
            (incoming) => {
              incoming.on("data", () => undefined);
              incoming.on("end", () => resolve());
            },
          );
          outgoing.on("error", reject);
          outgoing.end(body);
        }),
      "the same round trip without the SDK: the floor of any client",
    );
    agent.destroy();
  } finally {
    standIn.delayMs = standInDelayMs;
  }
  return parts;
}

// ---------------------------------------------------------------------------------------------------------
// The brief's example

interface ExampleFigures {
  n: number;
  rate: number;
  answeredBy: Record<string, number>;
  /** slm + cache over all requests. */
  localShare: number;
  localAccuracy: number | null;
  llmAccuracy: number | null;
  overallAccuracy: number;
  errors: number;
  llm: {
    calls: number;
    standInRequests: number;
    promptTokens: number;
    completionTokens: number;
    meanPromptTokens: number | null;
    meanCompletionTokens: number | null;
    /** Share of the stand-in's answers that were wrong on purpose (its 5%), over the texts it answered. */
    standInWrongShare: number | null;
  };
  costUsd: number;
  llmOnlyCostUsd: number | null;
  /** hybrid / LLM-only. */
  costRatio: number | null;
  costPer1kRequestsUsd: number;
  llmOnlyCostPer1kRequestsUsd: number | null;
  latencyMs: LatencySummary | null;
}

function exampleFigures(
  run: LoadRun,
  examples: readonly LabeledExample[],
  standIn: StandIn,
  workload: Workload,
  seed: number,
  rate: number,
): ExampleFigures {
  const { result } = run;
  const details = result.details ?? [];
  let local = 0;
  let localCorrect = 0;
  let llm = 0;
  let llmCorrect = 0;
  let correct = 0;
  let promptTokens = 0;
  let completionTokens = 0;
  let costUsd = 0;
  let wrongOnPurpose = 0;
  for (let index = 0; index < result.recorded; index++) {
    const example = examples[result.bodyIndex[index] as number] as LabeledExample;
    const detail = details[index];
    const by = result.answeredBy[index];
    const right = detail?.label === example.label;
    if (right) correct += 1;
    if (by === "slm" || by === "cache") {
      local += 1;
      if (right) localCorrect += 1;
    }
    if (by === "llm") {
      llm += 1;
      if (right) llmCorrect += 1;
      promptTokens += detail?.promptTokens ?? 0;
      completionTokens += detail?.completionTokens ?? 0;
      if (standInLabel(example.text, example.label, workload.labels, seed) !== example.label) wrongOnPurpose += 1;
    }
    costUsd += detail?.costUsd ?? 0;
  }
  const n = result.recorded;
  const meanPrompt = llm === 0 ? null : promptTokens / llm;
  const meanCompletion = llm === 0 ? null : completionTokens / llm;
  const perCall =
    meanPrompt === null || meanCompletion === null
      ? null
      : (meanPrompt * price.inputPerMillionUsd + meanCompletion * price.outputPerMillionUsd) / 1e6;
  const llmOnly = perCall === null ? null : perCall * n;
  return {
    n,
    rate,
    answeredBy: countBy(result.answeredBy),
    localShare: local / n,
    localAccuracy: local === 0 ? null : localCorrect / local,
    llmAccuracy: llm === 0 ? null : llmCorrect / llm,
    overallAccuracy: correct / n,
    errors: result.errors,
    llm: {
      calls: llm,
      standInRequests: standIn.calls,
      promptTokens,
      completionTokens,
      meanPromptTokens: meanPrompt,
      meanCompletionTokens: meanCompletion,
      standInWrongShare: llm === 0 ? null : wrongOnPurpose / llm,
    },
    costUsd,
    llmOnlyCostUsd: llmOnly,
    costRatio: divide(costUsd, llmOnly),
    costPer1kRequestsUsd: (costUsd / n) * 1000,
    llmOnlyCostPer1kRequestsUsd: llmOnly === null ? null : (llmOnly / n) * 1000,
    latencyMs: summarize(result.latencyFromScheduledMs),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Soak

interface SoakFigures {
  seconds: number;
  warmUpSeconds: number;
  rate: number;
  steady: SteadyFigures;
  rss: {
    startBytes: number | null;
    endBytes: number | null;
    minBytes: number | null;
    maxBytes: number | null;
    /** (end − start) / start. */
    growth: number | null;
  };
  /** VmRSS of the gateway every second: seconds since recording started (negative during warm-up). */
  samples: Array<{ seconds: number; rssBytes: number }>;
  rows: GatewayRows;
}

async function runSoak(
  options: BenchOptions,
  scratchDir: string,
  workload: Workload,
  bodies: string[],
): Promise<SoakFigures> {
  const gateway = await startGatewayChild(scratchDir, workload.useCasePath, "soak");
  const warmUpSeconds = Math.min(10, Math.max(3, Math.round(options.soakSeconds / 20)));
  const samples: Array<{ at: number; rssBytes: number }> = [];
  const sampler = setInterval(() => {
    const rss = rssBytes(gateway.child.pid);
    if (rss !== null) samples.push({ at: Date.now(), rssBytes: rss });
  }, 1_000);
  let figures: { run: LoadRun; figures: SteadyFigures };
  try {
    figures = await measureSteady(
      scratchDir,
      `soak gateway, ${options.soakSeconds} s`,
      gateway.child.pid,
      openLoad(`${gateway.url}/v1/chat/completions`, gateway.key, bodies, rates.soak, options.soakSeconds, warmUpSeconds),
    );
  } finally {
    clearInterval(sampler);
  }
  const endRss = rssBytes(gateway.child.pid);
  if (endRss !== null) samples.push({ at: Date.now(), rssBytes: endRss });
  gateway.routed += figures.run.result.sent;
  const rows = await stopGatewayChild(gateway);
  const { measuringAt, doneAt } = figures.run;
  const recorded = samples.filter((sample) => sample.at >= measuringAt && sample.at <= doneAt + 1_500);
  const start = recorded[0]?.rssBytes ?? null;
  const end = recorded.at(-1)?.rssBytes ?? null;
  const values = recorded.map((sample) => sample.rssBytes);
  return {
    seconds: options.soakSeconds,
    warmUpSeconds,
    rate: rates.soak,
    steady: figures.figures,
    rss: {
      startBytes: start,
      endBytes: end,
      minBytes: values.length === 0 ? null : Math.min(...values),
      maxBytes: values.length === 0 ? null : Math.max(...values),
      growth: start === null || end === null ? null : (end - start) / start,
    },
    samples: samples.map((sample) => ({
      seconds: Math.round((sample.at - measuringAt) / 100) / 10,
      rssBytes: sample.rssBytes,
    })),
    rows,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Report

interface Target {
  name: string;
  measured: string;
  /** null: not judged in this run. */
  pass: boolean | null;
}

interface BenchFigures {
  options: BenchOptions;
  workload: {
    dataset: string;
    train: number;
    valid: number;
    test: number;
    labels: number;
    threshold: number;
    trainSeconds: number;
    acceptedTest: number;
    rejectedTest: number;
  };
  wrk: { available: boolean; notice: string | null; version: string | null };
  replyBytes: number;
  peak: PeakFigures[];
  steady: SteadyFigures[];
  cache: SteadyFigures;
  escalation: EscalationFigures;
  parts: PartCost[];
  example: ExampleFigures;
  soak: SoakFigures | null;
  gateways: GatewayRows[];
  ratios: {
    peakGatewayOverFastify: number | null;
    peakGatewayOverHttp: number | null;
    peakFastifyOverHttp: number | null;
    steadyP50GatewayOverFastify: number | null;
    steadyP99GatewayOverFastify: number | null;
  };
  targets: Target[];
}

function evaluateTargets(figures: Omit<BenchFigures, "targets">): Target[] {
  const gatewaySteady = figures.steady.find((run) => run.target.startsWith("gateway"));
  const p50 = gatewaySteady?.latencyMs?.p50 ?? null;
  const p99 = gatewaySteady?.latencyMs?.p99 ?? null;
  const cacheP99 = figures.cache.latencyMs?.p99 ?? null;
  const overhead = figures.escalation.overheadMs;
  const soak = figures.soak;
  const judge = (value: number | null, limit: number) => (value === null ? null : value <= limit);
  return [
    {
      name: `slm path at a steady ${rates.steady} req/s: p50 ≤ 1 ms`,
      measured: `${fixed(p50, 3)} ms`,
      pass: judge(p50, 1),
    },
    {
      name: `slm path at a steady ${rates.steady} req/s: p99 ≤ 3 ms`,
      measured: `${fixed(p99, 3)} ms`,
      pass: judge(p99, 3),
    },
    {
      name: "peak throughput ≥ 50% of the bare Fastify route",
      measured: ratio(figures.ratios.peakGatewayOverFastify),
      pass: figures.ratios.peakGatewayOverFastify === null ? null : figures.ratios.peakGatewayOverFastify >= 0.5,
    },
    {
      name: "escalation overhead ≤ 1 ms on top of the LLM (p50)",
      measured: `${fixed(overhead?.p50, 3)} ms`,
      pass: judge(overhead?.p50 ?? null, 1),
    },
    {
      name: "escalation overhead ≤ 1 ms on top of the LLM (p99)",
      measured: `${fixed(overhead?.p99, 3)} ms`,
      pass: judge(overhead?.p99 ?? null, 1),
    },
    {
      name: `cache hit at ${rates.cache} req/s: p99 ≤ 2 ms`,
      measured: `${fixed(cacheP99, 3)} ms`,
      pass: judge(cacheP99, 2),
    },
    {
      name: `soak at ${rates.soak} req/s: RSS growth ≤ 10% (issue: 600 s)`,
      measured:
        soak === null ? "not run" : `${percent(soak.rss.growth)} over ${soak.seconds} s${soak.seconds < 600 ? " (shorter than 600 s)" : ""}`,
      pass: soak === null ? null : soak.rss.growth === null ? null : soak.rss.growth <= 0.1,
    },
    {
      name: "soak: log rows = requests sent",
      measured: soak === null ? "not run" : `${whole(soak.rows.rows)} rows / ${whole(soak.rows.sent)} sent`,
      pass: soak === null ? null : soak.rows.rows === soak.rows.sent,
    },
    {
      name: "brief's example: answered locally ≥ 80%",
      measured: percent(figures.example.localShare),
      pass: figures.example.localShare >= 0.8,
    },
  ];
}

function latencyRow(name: string, summary: LatencySummary | null, extra: string[]): string[] {
  return [
    name,
    fixed(summary?.p50, 3),
    fixed(summary?.p95, 3),
    fixed(summary?.p99, 3),
    fixed(summary?.max, 2),
    ...extra,
  ];
}

function renderReport(figures: BenchFigures): string {
  const lines: string[] = [];
  const { workload, options } = figures;
  lines.push(
    `slmkit serve bench: ${workload.dataset} (train ${workload.train}, valid ${workload.valid}, test ${workload.test}, ${workload.labels} labels)${options.quick ? " · QUICK run" : ""}`,
    `${new Date().toISOString()} · node ${process.version} · ${cpus()[0]?.model ?? "unknown CPU"} × ${cpus().length} · loopback 127.0.0.1 · seed ${options.seed}`,
    `model: native, trained in ${fixed(workload.trainSeconds, 1)} s; threshold ${fixed(workload.threshold, 4)} (target accuracy ${targetAccuracy} on valid); test: ${workload.acceptedTest} accepted, ${workload.rejectedTest} below it`,
    "",
    `peak throughput (${figures.peak[0]?.tool ?? "–"}: -t1 -c${wrkConnections}, ${options.peakSeconds} s after ${options.warmUpSeconds} s warm-up, each target alone; ${wrkTexts} test texts rotating)`,
  );
  const peakRows: string[][] = [
    ["target", "req/s", "vs bare Fastify", "p50 ms", "p90 ms", "p99 ms", "non-2xx", "server CPU µs/req"],
  ];
  const fastify = figures.peak.find((run) => run.target === "bare Fastify")?.requestsPerSec ?? null;
  for (const run of figures.peak) {
    peakRows.push([
      run.target,
      whole(run.requestsPerSec),
      ratio(divide(run.requestsPerSec, fastify)),
      fixed(run.latencyMs.p50, 2),
      fixed(run.latencyMs.p90, 2),
      fixed(run.latencyMs.p99, 2),
      whole(run.non2xx),
      fixed(run.serverCpuMicrosecondsPerRequest, 0),
    ]);
  }
  lines.push(renderTable(peakRows));
  const gatewayPeak = figures.peak.find((run) => run.target === "gateway");
  if (gatewayPeak?.answeredBy) lines.push(`  gateway answered by: ${shares(gatewayPeak.answeredBy)} (escalated texts were cached during warm-up)`);
  lines.push(
    `  reply size: ${whole(figures.replyBytes)} bytes (the bare routes return a reply the gateway gave); latency here is under saturation.`,
  );
  if (figures.wrk.notice !== null) lines.push(`  NOTICE: ${figures.wrk.notice}`);

  lines.push(
    "",
    `latency at a steady rate (open loop from ${"bench/serve-load.ts"}, latency from each request's scheduled send time; ms)`,
  );
  const latencyRows: string[][] = [["phase", "p50", "p95", "p99", "max", "req/s", "errors", "router p50", "router p99", "answered by"]];
  const steadyRow = (run: SteadyFigures) =>
    latencyRow(run.target, run.latencyMs, [
      whole(run.achievedRate),
      whole(run.errors),
      fixed(run.routerLatencyMs?.p50, 3),
      fixed(run.routerLatencyMs?.p99, 3),
      run.target.startsWith("bare") ? "" : shares(run.answeredBy),
    ]);
  for (const run of figures.steady) latencyRows.push(steadyRow(run));
  latencyRows.push(steadyRow(figures.cache));
  latencyRows.push(steadyRow(figures.escalation.gateway));
  latencyRows.push(steadyRow(figures.escalation.direct));
  if (figures.soak !== null) latencyRows.push(steadyRow(figures.soak.steady));
  lines.push(renderTable(latencyRows));
  const gatewaySteady = figures.steady.find((run) => run.target.startsWith("gateway"));
  const bareSteady = figures.steady.find((run) => run.target.startsWith("bare"));
  lines.push(
    `  gateway / bare Fastify at ${rates.steady} req/s: p50 ${ratio(figures.ratios.steadyP50GatewayOverFastify)}, p99 ${ratio(figures.ratios.steadyP99GatewayOverFastify)}; server CPU per request: gateway ${fixed(gatewaySteady?.serverCpuMicrosecondsPerRequest, 0)} µs, bare Fastify ${fixed(bareSteady?.serverCpuMicrosecondsPerRequest, 0)} µs`,
    `  the generator's own send lag behind schedule (included above): p50 ${fixed(gatewaySteady?.sendLagMs?.p50, 3)} ms, p99 ${fixed(gatewaySteady?.sendLagMs?.p99, 3)} ms; latency from the actual send: gateway p50 ${fixed(gatewaySteady?.latencyFromSendMs?.p50, 3)} / p99 ${fixed(gatewaySteady?.latencyFromSendMs?.p99, 3)}, bare Fastify p50 ${fixed(bareSteady?.latencyFromSendMs?.p50, 3)} / p99 ${fixed(bareSteady?.latencyFromSendMs?.p99, 3)}`,
    "  router p50/p99: the gateway's own `slmkit.latency_ms` (routing inside the process, no HTTP).",
  );

  const escalation = figures.escalation;
  lines.push(
    "",
    `escalation overhead at ${escalation.rate} req/s: ${escalation.uniqueTexts} unique texts below the threshold${escalation.variants > 0 ? ` (${escalation.variants} numbered variants)` : ""}, stand-in LLM with a ${standInDelayMs} ms delay`,
    `  per request: gateway latency − the stand-in's handler time for that request (${escalation.matched} LLM answers matched)`,
    `    overhead p50 ${fixed(escalation.overheadMs?.p50, 3)} ms · p95 ${fixed(escalation.overheadMs?.p95, 3)} · p99 ${fixed(escalation.overheadMs?.p99, 3)} · max ${fixed(escalation.overheadMs?.max, 2)}  (handler p50 ${fixed(escalation.standInHandlerMs?.p50, 2)} ms)`,
    `  the same client calling the stand-in directly (the labeler's body): latency − handler p50 ${fixed(escalation.directOverheadMs?.p50, 3)} ms · p99 ${fixed(escalation.directOverheadMs?.p99, 3)} ms`,
    `  the gateway's own share (overhead − direct, by percentile): p50 ${fixed(escalation.gatewayShareMs.p50, 3)} ms · p99 ${fixed(escalation.gatewayShareMs.p99, 3)} ms`,
    "  what the escalation's parts cost (in-process, sequential; the HTTP rows against the stand-in with no delay):",
  );
  lines.push(
    renderTable([
      ["    part", "µs/call", "p50 µs", "calls", "note"],
      ...figures.parts.map((part) => [
        `    ${part.name}`,
        fixed(part.meanMicroseconds, part.meanMicroseconds < 10 ? 2 : 0),
        fixed(part.p50Microseconds, 0),
        whole(part.calls),
        part.note,
      ]),
    ]),
  );

  const example = figures.example;
  lines.push(
    "",
    `the brief's example: all ${whole(example.n)} banking77 test texts once (seeded shuffle) at ${example.rate} req/s through a fresh gateway;`,
    `  stand-in LLM answers the gold label 95% of the time (seeded; wrong 5% → another label), priced as ${price.model} list: $${price.inputPerMillionUsd} / 1M input, $${price.outputPerMillionUsd} / 1M output tokens`,
  );
  lines.push(
    renderTable([
      ["  answered by", "requests", "share"],
      ...["slm", "cache", "llm", "review", "none"]
        .filter((name) => (example.answeredBy[name] ?? 0) > 0)
        .map((name) => [`  ${name}`, whole(example.answeredBy[name]), percent((example.answeredBy[name] ?? 0) / example.n)]),
    ]),
    `  answered locally (slm + cache): ${percent(example.localShare)}; accuracy of those: ${fixed(example.localAccuracy, 4)}; of the LLM's: ${fixed(example.llmAccuracy, 4)}; overall: ${fixed(example.overallAccuracy, 4)}${example.errors > 0 ? `; ${example.errors} errors` : ""}`,
    `  LLM: ${whole(example.llm.calls)} calls (stand-in saw ${whole(example.llm.standInRequests)} requests), ${whole(example.llm.promptTokens)} input + ${whole(example.llm.completionTokens)} output tokens (${fixed(example.llm.meanPromptTokens, 0)} + ${fixed(example.llm.meanCompletionTokens, 1)} per call; the fake counts 4 characters a token)`,
    `  cost: hybrid ${usd(example.costUsd)} (${usd(example.costPer1kRequestsUsd)} per 1K requests) vs LLM-only ${example.llmOnlyCostUsd === null ? "–" : usd(example.llmOnlyCostUsd)} (${example.llmOnlyCostPer1kRequestsUsd === null ? "–" : usd(example.llmOnlyCostPer1kRequestsUsd)} per 1K): hybrid costs ${ratio(example.costRatio)} LLM-only`,
    "  LLM-only = every request sent to the LLM at the measured mean tokens per call.",
  );

  if (figures.soak !== null) {
    const soak = figures.soak;
    lines.push(
      "",
      `soak: ${soak.seconds} s at ${soak.rate} req/s (after ${soak.warmUpSeconds} s warm-up), test texts rotating, fresh gateway`,
      `  gateway RSS: start ${megabytes(soak.rss.startBytes)} MB → end ${megabytes(soak.rss.endBytes)} MB (${percent(soak.rss.growth)}), min ${megabytes(soak.rss.minBytes)} MB, max ${megabytes(soak.rss.maxBytes)} MB; MB = 10^6 bytes`,
      `  log rows after SIGTERM: ${whole(soak.rows.rows)} for ${whole(soak.rows.sent)} requests sent (${soak.rows.rows === soak.rows.sent ? "equal" : "DIFFERENT"}); dropped ${soak.rows.dropped}; close took ${fixed(soak.rows.closeMs, 0)} ms`,
    );
  } else {
    lines.push("", "soak: not run (--quick or --soak 0).");
  }

  lines.push("", "log rows after each gateway's clean SIGTERM shutdown (a fresh store counts them):");
  lines.push(
    renderTable([
      ["  gateway", "requests sent", "rows", "dropped", "close ms", ""],
      ...figures.gateways.map((rows) => [
        `  ${rows.name}`,
        whole(rows.sent),
        whole(rows.rows),
        whole(rows.dropped),
        fixed(rows.closeMs, 0),
        rows.exact ? (rows.rows === rows.sent ? "equal" : "DIFFERENT") : "(wrk: sent = answers counted by /metrics)",
      ]),
    ]),
  );

  lines.push("", "targets (read, not enforced)");
  lines.push(
    renderTable(
      figures.targets.map((target) => [
        `  ${target.name}`,
        target.measured,
        target.pass === null ? "n/a" : target.pass ? "PASS" : "MISS",
      ]),
    ),
  );
  return `${lines.join("\n")}\n`;
}

/** Rounds to 6 decimals: the JSON is for reading and diffing, and timings are not that precise anyway. */
function roundNumbers(_key: string, value: unknown): unknown {
  return typeof value === "number" && !Number.isInteger(value) ? Math.round(value * 1e6) / 1e6 : value;
}

function gitState(): { commit: string | null; dirty: boolean | null } {
  const head = spawnSync("git", ["rev-parse", "HEAD"], { cwd: repositoryRoot, encoding: "utf8" });
  const status = spawnSync("git", ["status", "--porcelain"], { cwd: repositoryRoot, encoding: "utf8" });
  return {
    commit: head.status === 0 ? head.stdout.trim() : null,
    dirty: status.status === 0 ? status.stdout.trim() !== "" : null,
  };
}

async function writeResults(figures: BenchFigures): Promise<string> {
  // A quick run must not overwrite the committed figures of a full one.
  const file = join(resultsDir, `serve${figures.options.quick ? ".quick" : ""}.json`);
  const { argv, dataDir, ...options } = figures.options;
  const results = {
    benchmark: "serve",
    date: new Date().toISOString(),
    command: `node --import tsx bench/serve.ts${argv.length > 0 ? ` ${argv.join(" ")}` : ""}`,
    node: process.version,
    cpu: cpus()[0]?.model ?? null,
    cpuCount: cpus().length,
    platform: `${process.platform} ${process.arch}`,
    totalMemoryBytes: totalmem(),
    git: gitState(),
    data: { dir: relative(repositoryRoot, dataDir), ...figures.workload },
    options,
    units: {
      latency: "milliseconds, from each request's scheduled send time unless named otherwise",
      cpu: "microseconds of server CPU (all threads) per request",
      rss: "bytes",
      cost: "US dollars",
    },
    prices: price,
    rates,
    standIn: { delayMs: standInDelayMs, errorRate: standInErrorRate },
    wrk: figures.wrk,
    replyBytes: figures.replyBytes,
    peak: figures.peak,
    ratios: figures.ratios,
    steady: figures.steady,
    cache: figures.cache,
    escalation: figures.escalation,
    escalationParts: figures.parts,
    example: figures.example,
    soak: figures.soak,
    gateways: figures.gateways,
    targets: figures.targets,
  };
  await mkdir(resultsDir, { recursive: true });
  await writeFile(file, `${JSON.stringify(results, roundNumbers, 2)}\n`);
  return file;
}

// ---------------------------------------------------------------------------------------------------------
// Main

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const scratchDir = mkdtempSync(join(tmpdir(), "slmkit-bench-serve-"));
  let standIn: StandIn | undefined;
  const cleanUp = async () => {
    await endAllChildren();
    await standIn?.server.close();
    rmSync(scratchDir, { recursive: true, force: true });
  };
  // Ctrl-C: end every child (they also get the SIGINT), remove the temp dir, exit.
  const onSignal = (signal: NodeJS.Signals) => {
    progress(`\n${signal}: stopping the children and removing ${scratchDir}…`);
    const timer = setTimeout(() => process.exit(signal === "SIGINT" ? 130 : 143), 10_000);
    timer.unref();
    cleanUp().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const wrk = options.wrk
      ? ensureWrk()
      : { available: false, notice: "--no-wrk: peak throughput from the Node closed-loop generator.", version: null };
    standIn = await startStandIn();
    const workload = await prepareWorkload(options, scratchDir, standIn.server.baseUrl);
    teachStandIn(standIn, [...workload.test, ...workload.valid, ...workload.train], workload.labels, options.seed);
    const gateways: GatewayRows[] = [];

    // Peak throughput: gateway, bare Fastify, bare http, each alone.
    const sample = (examples: readonly LabeledExample[], count: number, salt: number) => {
      const order = examples.map((example, index) => ({
        example,
        key: createHash("sha256").update(`${options.seed}:${salt}:${index}`).digest().readUInt32BE(0),
      }));
      return order.sort((a, b) => a.key - b.key).slice(0, count).map((entry) => entry.example);
    };
    const peakBodies = sample(workload.test, wrkTexts, 1).map((example) => chatBody(example.text));
    const peakGateway = await startGatewayChild(scratchDir, workload.useCasePath, "peak (wrk)");
    const probe = await fetch(`${peakGateway.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${peakGateway.key}`, "content-type": "application/json" },
      body: chatBody(workload.acceptedTest[0]?.text ?? "hello"),
    });
    const replyText = await probe.text();
    peakGateway.routed += 1;
    if (probe.status !== 200) throw new Error(`the gateway answered ${probe.status}: ${replyText}`);
    const replyFile = join(scratchDir, "reply.json");
    await writeFile(replyFile, replyText);
    const scriptFile = join(scratchDir, "chat.lua");
    await writeWrkScript(scriptFile, peakBodies, peakGateway.key);
    const peakContext: PeakContext = {
      options,
      scratchDir,
      useWrk: wrk.available,
      script: scriptFile,
      bodies: peakBodies,
      key: peakGateway.key,
    };
    const peak: PeakFigures[] = [];
    peak.push(await measurePeak(peakContext, "gateway", peakGateway.url, peakGateway.child.pid, peakGateway));
    gateways.push(await stopGatewayChild(peakGateway, !wrk.available));

    const acceptedBodies = workload.acceptedTest.map((example) => chatBody(example.text));
    const steady: SteadyFigures[] = [];
    {
      const bare = await startBareChild("fastify", replyFile);
      peak.push(await measurePeak(peakContext, "bare Fastify", bare.url, bare.child.pid, null));
      const { figures } = await measureSteady(
        scratchDir,
        "bare Fastify",
        bare.child.pid,
        openLoad(`${bare.url}/v1/chat/completions`, null, acceptedBodies, rates.steady, options.phaseSeconds, options.warmUpSeconds),
      );
      steady.push(figures);
      await bare.child.end();
    }
    {
      const bare = await startBareChild("http", replyFile);
      peak.push(await measurePeak(peakContext, "bare node:http", bare.url, bare.child.pid, null));
      await bare.child.end();
    }

    // Steady rate, cache hits and escalation on one gateway.
    const gateway = await startGatewayChild(scratchDir, workload.useCasePath, "steady/cache/escalation");
    const chatUrl = `${gateway.url}/v1/chat/completions`;
    const slmRun = await measureSteady(
      scratchDir,
      "gateway, slm path",
      gateway.child.pid,
      openLoad(chatUrl, gateway.key, acceptedBodies, rates.steady, options.phaseSeconds, options.warmUpSeconds),
    );
    gateway.routed += slmRun.run.result.sent;
    steady.unshift(slmRun.figures);

    const cacheText = workload.rejectedTest[0]?.text;
    if (cacheText === undefined) throw new Error("no test text falls below the threshold; nothing escalates.");
    const cacheRun = await measureSteady(
      scratchDir,
      "gateway, cache hit",
      gateway.child.pid,
      openLoad(chatUrl, gateway.key, [chatBody(cacheText)], rates.cache, options.phaseSeconds, options.warmUpSeconds),
    );
    gateway.routed += cacheRun.run.result.sent;

    const escalationCount = Math.round(rates.escalation * (options.phaseSeconds + options.warmUpSeconds));
    const { pool, variants } = rejectedPool(workload, escalationCount, new Set([cacheText]));
    teachStandIn(standIn, pool, workload.labels, options.seed);
    resetStandIn(standIn);
    const escalationRun = await measureSteady(
      scratchDir,
      "gateway, escalation to the LLM",
      gateway.child.pid,
      openLoad(
        chatUrl,
        gateway.key,
        pool.map((example) => chatBody(example.text)),
        rates.escalation,
        options.phaseSeconds,
        options.warmUpSeconds,
        { timeoutMs: 15_000 },
      ),
    );
    gateway.routed += escalationRun.run.result.sent;
    // Bodies sent during warm-up are the first ones; the recorded requests start over at body 0 with the same
    // texts, so rotate the pool: warm-up takes the tail, recording the head (see serve-load.ts bodyIndex).
    const received = pool.map((example) => redactPii(example.text));
    const matched = matchOverheads(escalationRun.run, received, standIn, "llm");
    gateways.push(await stopGatewayChild(gateway));

    resetStandIn(standIn);
    const directBodies = received.map((text) => labelerBody(text, workload.labels));
    const directRun = await measureSteady(
      scratchDir,
      "stand-in LLM called directly",
      process.pid,
      openLoad(
        `${standIn.server.baseUrl}/chat/completions`,
        "sk-bench-stand-in",
        directBodies,
        rates.escalation,
        options.phaseSeconds,
        options.warmUpSeconds,
        { parseReplies: false },
      ),
    );
    const directMatched = matchOverheads(directRun.run, received, standIn, null);
    const overheadMs = summarize(matched.overhead);
    const directOverheadMs = summarize(directMatched.overhead);
    const minus = (a: number | undefined, b: number | undefined) =>
      a === undefined || b === undefined ? null : a - b;
    const escalation: EscalationFigures = {
      rate: rates.escalation,
      uniqueTexts: pool.length,
      variants,
      gateway: escalationRun.figures,
      matched: matched.overhead.length,
      overheadMs,
      standInHandlerMs: summarize(matched.handler),
      direct: { ...directRun.figures, serverCpuMicrosecondsPerRequest: null },
      directOverheadMs,
      gatewayShareMs: {
        p50: minus(overheadMs?.p50, directOverheadMs?.p50),
        p99: minus(overheadMs?.p99, directOverheadMs?.p99),
      },
    };

    progress("escalation parts, in-process…");
    const parts = await escalationParts(
      scratchDir,
      workload,
      standIn,
      workload.rejectedTest.map((example) => example.text),
    );

    // The brief's example on a fresh gateway: the whole test set once, shuffled.
    const exampleGateway = await startGatewayChild(scratchDir, workload.useCasePath, "brief's example");
    const examples = sample(workload.test, workload.test.length, 2);
    resetStandIn(standIn);
    const exampleRun = await measureSteady(
      scratchDir,
      "brief's example, whole test set",
      exampleGateway.child.pid,
      openLoad(
        `${exampleGateway.url}/v1/chat/completions`,
        exampleGateway.key,
        examples.map((example) => chatBody(example.text)),
        rates.example,
        0,
        0,
        { count: examples.length, keepDetails: true, timeoutMs: 15_000 },
      ),
    );
    exampleGateway.routed += exampleRun.run.result.sent;
    const example = exampleFigures(exampleRun.run, examples, standIn, workload, options.seed, rates.example);
    gateways.push(await stopGatewayChild(exampleGateway));

    let soak: SoakFigures | null = null;
    if (options.soakSeconds > 0) {
      soak = await runSoak(
        options,
        scratchDir,
        workload,
        sample(workload.test, workload.test.length, 3).map((entry) => chatBody(entry.text)),
      );
      gateways.push(soak.rows);
    }

    const rate = (target: string) => peak.find((run) => run.target === target)?.requestsPerSec ?? null;
    const bareSteady = steady.find((run) => run.target === "bare Fastify");
    const partial: Omit<BenchFigures, "targets"> = {
      options,
      workload: {
        dataset: basename(options.dataDir),
        train: workload.train.length,
        valid: workload.valid.length,
        test: workload.test.length,
        labels: workload.labels.length,
        threshold: workload.threshold,
        trainSeconds: workload.trainSeconds,
        acceptedTest: workload.acceptedTest.length,
        rejectedTest: workload.rejectedTest.length,
      },
      wrk,
      replyBytes: Buffer.byteLength(replyText),
      peak,
      steady,
      cache: cacheRun.figures,
      escalation,
      parts,
      example,
      soak,
      gateways,
      ratios: {
        peakGatewayOverFastify: divide(rate("gateway"), rate("bare Fastify")),
        peakGatewayOverHttp: divide(rate("gateway"), rate("bare node:http")),
        peakFastifyOverHttp: divide(rate("bare Fastify"), rate("bare node:http")),
        steadyP50GatewayOverFastify: divide(slmRun.figures.latencyMs?.p50, bareSteady?.latencyMs?.p50),
        steadyP99GatewayOverFastify: divide(slmRun.figures.latencyMs?.p99, bareSteady?.latencyMs?.p99),
      },
    };
    const figures: BenchFigures = { ...partial, targets: evaluateTargets(partial) };
    const file = await writeResults(figures);
    process.stdout.write(`\n${renderReport(figures)}\nfigures written to ${relative(repositoryRoot, file)}\n`);
  } finally {
    await cleanUp();
  }
}

await main();
