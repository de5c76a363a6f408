// `node --import tsx bench/baseline.ts`: the real `slmkit baseline` CLI on banking77 with the native model and one
// OpenAI-compatible endpoint (a stand-in in its own process), against the issue's target "finishes and reports all
// rows". Prints the rows and the checks, writes bench/results/baseline-<dataset>.json (under local/ with --limit).
// Figures are read, not enforced;
// only a missing or failed row (the target itself) makes the exit code 1.
//
// Usage: node --import tsx bench/baseline.ts [--data <dir>] [--limit N] [--seed 42] [--delay 20] [--concurrency 4]
//        [--latency-samples N] [--html <file>]

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { readClassificationData } from "../src/data/io.js";
import type { BaselineReport, BaselineRow } from "../src/eval/baseline.js";
import { createRandom } from "../src/internal/random.js";
import { saveNativeModel } from "../src/models/native/model-directory.js";
import { trainClassifier } from "../src/train/train-classifier.js";
import type { LabeledExample } from "../src/types.js";
import type { StandInSummary } from "./baseline-stand-in.js";
import { startBenchRun } from "./provenance.js";
import {
  BenchChild,
  cleanUpOnSignal,
  cpuSeconds,
  endAllChildren,
  machineCpu,
  machineLoad,
  ownCpuSeconds,
  progress,
  tail,
  track,
} from "./serve-processes.js";
import {
  benchUseCaseYaml,
  defaultDataDir,
  fixed,
  llmKeyEnv,
  price,
  repositoryRoot,
  standInDelayMs,
  targetAccuracy,
} from "./serve-report.js";

const usage = `Usage: node --import tsx bench/baseline.ts [options]
  --data <dir>            dataset with train/valid/test.jsonl (default ${defaultDataDir})
  --limit <n>             measure a seeded sample of n test texts instead of all of them
  --seed <n>              seed of the native model and of --limit's sample (default 42; the stand-in uses seed + 1)
  --delay <ms>            the stand-in's fixed delay per request (default ${standInDelayMs})
  --concurrency <n>       the CLI's --concurrency: endpoint requests in flight (default 4, the CLI's default)
  --latency-samples <n>   the CLI's --latency-samples (default: the CLI's, 200 local and 30 for endpoints)
  --html <file>           keep the CLI's HTML report there (default: a temp file, removed)
`;

const { values } = parseArgs({
  options: {
    data: { type: "string" },
    limit: { type: "string" },
    seed: { type: "string", default: "42" },
    delay: { type: "string", default: String(standInDelayMs) },
    concurrency: { type: "string", default: "4" },
    "latency-samples": { type: "string" },
    html: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
  strict: true,
});

const llmModel = price.model;
const llmKey = "sk-bench-stand-in";
/** gpt-4o-mini's list price per 1K tokens, as the use case states it. */
const pricePer1k = { input: price.inputPerMillionUsd / 1000, output: price.outputPerMillionUsd / 1000 };

function positiveInteger(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1)
    throw new Error(`--${name} must be a whole number ≥ 1, got ${value}.`);
  return parsed;
}

/** A seeded sample of `limit` texts, so a short run still spans the labels (the files are sorted by label). */
function sample(
  examples: readonly LabeledExample[],
  limit: number | undefined,
  seed: number,
): LabeledExample[] {
  if (limit === undefined || limit >= examples.length) return [...examples];
  return createRandom(seed)
    .shuffle([...examples])
    .slice(0, limit);
}

function useCaseYaml(
  labels: readonly string[],
  scratchDir: string,
  dataDir: string,
  baseUrl: string,
): string {
  return benchUseCaseYaml({
    id: basename(dataDir),
    title: `${basename(dataDir)} (baseline bench)`,
    labels,
    scratchDir,
    dataDir,
    targetAccuracy,
    llm: {
      baseUrl,
      model: llmModel,
      apiKeyEnv: llmKeyEnv,
      pricePer1kInputUsd: pricePer1k.input,
      pricePer1kOutputUsd: pricePer1k.output,
    },
  });
}

interface CliRun {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderrTail: string;
  wallSeconds: number;
}

/** Runs `node --import tsx src/cli/main.ts <args>` with progress passed through to stderr. */
function runCli(args: readonly string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  const started = performance.now();
  const child = track(
    spawn(process.execPath, ["--import", "tsx", join(repositoryRoot, "src", "cli", "main.ts"), ...args], {
      cwd: repositoryRoot,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    }),
  );
  let stdout = "";
  let stderrTail = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8");
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    const text = chunk.toString("utf8");
    stderrTail = (stderrTail + text).slice(-4_000);
    process.stderr.write(text);
  });
  return new Promise((resolveRun, reject) => {
    child.once("error", reject);
    child.once("close", (exitCode, signal) =>
      resolveRun({
        exitCode,
        signal,
        stdout,
        stderrTail,
        wallSeconds: (performance.now() - started) / 1000,
      }),
    );
  });
}

interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

/** The figures of one row, without the full eval report (per-class tables, curves). */
function rowFigures(row: BaselineRow, display: (reference: string) => string) {
  return {
    reference: display(row.reference),
    source: row.source,
    error: row.error ?? null,
    n: row.n ?? null,
    outOfScope: row.outOfScope ?? null,
    accuracy: row.accuracy ?? null,
    macroF1: row.macroF1 ?? null,
    ece: row.ece ?? null,
    threshold: row.report?.threshold ?? null,
    coverage: row.coverage ?? null,
    acceptedAccuracy: row.acceptedAccuracy ?? null,
    coverageAt: row.report?.coverageAt ?? null,
    latencyMs: row.report?.latencyMs ?? row.latencyMs ?? null,
    latencySamples: row.report?.latencySamples ?? null,
    throughputPerSec: row.report?.throughputPerSec ?? null,
    costPer1kRequestsUsd: row.costPer1kRequestsUsd ?? null,
    tokensPerRequest: row.tokensPerRequest ?? null,
    calls: row.calls ?? null,
    unsure: row.unsure ?? null,
    seconds: row.seconds ?? null,
  };
}

const percent = (value: number | null | undefined, digits = 1) =>
  value === null || value === undefined ? "–" : `${(value * 100).toFixed(digits)}%`;

function cost(value: number | null | undefined): string {
  if (value === null || value === undefined) return "unknown";
  return value === 0 ? "$0" : `$${value.toFixed(4)}`;
}

function renderTable(rows: readonly string[][]): string {
  const widths = (rows[0] ?? []).map((_, column) =>
    Math.max(...rows.map((row) => (row[column] ?? "").length)),
  );
  return rows
    .map((row) =>
      row
        .map((cell, column) =>
          column < 2 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0),
        )
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

async function main(): Promise<void> {
  const dataDir = resolve(repositoryRoot, values.data ?? defaultDataDir);
  const dataset = basename(dataDir);
  const seed = Number(values.seed);
  const standInSeed = seed + 1;
  const delayMs = Number(values.delay);
  const limit = positiveInteger("limit", values.limit);
  const concurrency = positiveInteger("concurrency", values.concurrency) ?? 4;
  const latencySamples = positiveInteger("latency-samples", values["latency-samples"]);
  const run = startBenchRun({
    name: `baseline-${dataset}`,
    benchmark: "baseline",
    ...(limit === undefined ? {} : { partial: `--limit ${limit}` }),
  });

  const scratchDir = mkdtempSync(join(tmpdir(), "slmkit-bench-baseline-"));
  const cleanUp = async () => {
    await endAllChildren();
    rmSync(scratchDir, { recursive: true, force: true });
  };
  // Ctrl-C: the children get the SIGINT too; end them all and remove the temp dir.
  cleanUpOnSignal(cleanUp, `stopping the children and removing ${scratchDir}`);

  try {
    const [train, valid, fullTest] = await Promise.all(
      ["train", "valid", "test"].map((name) => readClassificationData(join(dataDir, `${name}.jsonl`))),
    );
    if (train === undefined || valid === undefined || fullTest === undefined) throw new Error("unreachable");
    const test = sample(fullTest, limit, seed);
    // The whole test file is passed by path; a --limit sample goes to the temp dir, never into the repository.
    let testPath = join(dataDir, "test.jsonl");
    if (test.length < fullTest.length) {
      testPath = join(scratchDir, "test-sample.jsonl");
      await writeFile(testPath, `${test.map((example) => JSON.stringify(example)).join("\n")}\n`);
    }
    const labels = [...new Set([...train, ...valid, ...fullTest].map((example) => example.label))].sort();

    // The stand-in trains its own model in its process while this one trains the native model: one core each.
    const summaryPath = join(scratchDir, "stand-in-summary.json");
    const standIn = new BenchChild("stand-in", "baseline-stand-in.ts", [
      "--data",
      dataDir,
      "--test",
      testPath,
      "--summary",
      summaryPath,
      "--seed",
      String(standInSeed),
      "--delay",
      String(delayMs),
    ]);
    progress(
      `training the native model on ${dataset} train (${train.length}), valid (${valid.length}) for calibration…`,
    );
    const trainStarted = performance.now();
    const trained = await trainClassifier(train, { valid, seed, targetAccuracy });
    const nativeTrainSeconds = (performance.now() - trainStarted) / 1000;
    const modelDir = join(scratchDir, "model");
    await saveNativeModel(trained.model, modelDir, trained.record);
    const nativeDirectCorrect = test.filter(
      (example) => trained.model.predictDetailed(example.text).label === example.label,
    ).length;
    progress(
      `  native: ${nativeTrainSeconds.toFixed(1)} s, validation accuracy ${percent(trained.validation.accuracy, 2)}`,
    );

    const ready = await standIn.waitFor("ready", 10 * 60_000);
    const baseUrl = ready.url;
    const useCasePath = join(scratchDir, "usecase.yaml");
    await writeFile(useCasePath, useCaseYaml(labels, scratchDir, dataDir, baseUrl));

    const jsonPath = join(scratchDir, "baseline.json");
    const htmlPath = values.html === undefined ? join(scratchDir, "baseline.html") : resolve(values.html);
    const cliArgs = [
      "baseline",
      "--usecase",
      useCasePath,
      "--test",
      testPath,
      "--concurrency",
      String(concurrency),
      ...(latencySamples === undefined ? [] : ["--latency-samples", String(latencySamples)]),
      "--json",
      jsonPath,
      "--html",
      htmlPath,
    ];
    const display = (text: string) =>
      text
        .replaceAll(scratchDir, "<tmp>")
        .replaceAll(baseUrl, "http://127.0.0.1:<port>/v1")
        .replaceAll(dataDir, values.data ?? defaultDataDir)
        .replaceAll(repositoryRoot.replace(/\/$/, ""), ".");
    const cliCommand = `node --import tsx src/cli/main.ts ${cliArgs.map(display).join(" ")}`;
    progress(`running: ${cliCommand}`);
    const cpuBefore = machineCpu();
    const ownBefore = ownCpuSeconds(true);
    const standInBefore = cpuSeconds(standIn.pid);
    const cli = await runCli(cliArgs, { ...process.env, [llmKeyEnv]: llmKey });
    const cpuAfter = machineCpu();
    const ownAfter = ownCpuSeconds(true);
    const standInAfter = cpuSeconds(standIn.pid);
    const benchCpu =
      ownBefore === null || ownAfter === null || standInBefore === null || standInAfter === null
        ? null
        : ownAfter - ownBefore + (standInAfter - standInBefore);
    const load = machineLoad(cpuBefore, cpuAfter, benchCpu, cpus().length, loadavg()[0] ?? 0);

    await standIn.end();
    const standInSummary = JSON.parse(await readFile(summaryPath, "utf8")) as StandInSummary;
    const report = await readFile(jsonPath, "utf8")
      .then((text) => JSON.parse(text) as BaselineReport)
      .catch(() => undefined);
    const html = await readFile(htmlPath, "utf8").catch(() => "");

    // -------------------------------------------------------------------------------------------------------
    // Checks: every row present and without error, and the figures consistent with what each side measured.
    const rows = report?.rows ?? [];
    const native = rows.find((row) => row.source === "usecase model");
    const endpoint = rows.find((row) => row.source === "usecase llm");
    const checks: Check[] = [];
    const check = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });
    check(
      "the CLI finished",
      cli.exitCode === 0,
      cli.exitCode === 0
        ? `exit 0 in ${cli.wallSeconds.toFixed(1)} s`
        : `exit ${cli.exitCode ?? cli.signal}: ${tail(cli.stderrTail, 400)}`,
    );
    check(
      "JSON report with both rows",
      report !== undefined && rows.length === 2 && native !== undefined && endpoint !== undefined,
      report === undefined
        ? "no JSON report written"
        : `${rows.length} rows: ${rows.map((row) => row.source).join(", ")}`,
    );
    const failed = rows.filter((row) => row.error !== undefined);
    check(
      "no row has an error",
      report !== undefined && failed.length === 0,
      failed.length === 0 ? "none" : failed.map((row) => `${row.source}: ${row.error}`).join("; "),
    );
    const incomplete = rows.filter((row) => (row.n ?? 0) + (row.outOfScope ?? 0) !== test.length);
    check(
      "every row scored every test text",
      report !== undefined && rows.length > 0 && incomplete.length === 0,
      incomplete.length === 0
        ? `${test.length} each`
        : incomplete.map((row) => `${row.source}: ${(row.n ?? 0) + (row.outOfScope ?? 0)}`).join("; "),
    );
    const htmlRows = (html.match(/<tr><td>/g) ?? []).length;
    check(
      "HTML report with both rows",
      htmlRows === 2 && !html.includes('class="error"'),
      `${htmlRows} rows${html.includes('class="error"') ? ", with an error cell" : ""}`,
    );
    const nativeDirect = test.length === 0 ? 0 : nativeDirectCorrect / test.length;
    check(
      "native accuracy = the trained model's in-process accuracy",
      native?.accuracy !== undefined && Math.abs(native.accuracy - nativeDirect) < 1e-6,
      `CLI ${fixed(native?.accuracy, 6)}, in-process ${fixed(nativeDirect, 6)}`,
    );
    check(
      "endpoint accuracy = the stand-in model's own accuracy (the wire loses nothing)",
      endpoint?.accuracy !== undefined &&
        Math.abs(endpoint.accuracy - standInSummary.directTestAccuracy) < 1e-6,
      `CLI ${fixed(endpoint?.accuracy, 6)}, stand-in in-process ${fixed(standInSummary.directTestAccuracy, 6)}`,
    );
    check(
      "every endpoint call counted, structured output and logprobs on each",
      endpoint?.calls === standInSummary.calls &&
        standInSummary.jsonSchemaCalls === standInSummary.calls &&
        standInSummary.logprobCalls === standInSummary.calls &&
        (endpoint?.unsure ?? 0) === 0,
      `CLI ${endpoint?.calls ?? "–"} calls, stand-in ${standInSummary.calls} (json_schema ${standInSummary.jsonSchemaCalls}, logprobs ${standInSummary.logprobCalls}), unsure ${endpoint?.unsure ?? "–"}`,
    );
    const tokens = endpoint?.tokensPerRequest;
    // Per request: tokens / 1000 × price per 1K; per 1,000 requests the two factors of 1,000 cancel.
    const expectedCost =
      tokens === undefined ? null : tokens.input * pricePer1k.input + tokens.output * pricePer1k.output;
    // tokensPerRequest is rounded to 2 decimals and the cost to 6: compare within that rounding.
    check(
      "endpoint cost per 1K requests = measured tokens × the configured prices",
      expectedCost !== null &&
        typeof endpoint?.costPer1kRequestsUsd === "number" &&
        Math.abs(endpoint.costPer1kRequestsUsd - expectedCost) < 1e-5,
      `CLI ${cost(endpoint?.costPer1kRequestsUsd)}, tokens × prices ${expectedCost === null ? "–" : cost(expectedCost)}`,
    );
    const targetNames = [
      "the CLI finished",
      "JSON report with both rows",
      "no row has an error",
      "every row scored every test text",
      "HTML report with both rows",
    ];
    const targetMet = checks.filter((item) => targetNames.includes(item.name)).every((item) => item.ok);

    // -------------------------------------------------------------------------------------------------------
    // Report
    const names = new Map<string, string>([
      ["usecase model", "native (usecase model)"],
      ["usecase llm", `${llmModel} stand-in (usecase llm)`],
    ]);
    const table = renderTable([
      [
        "model",
        "reference",
        "n",
        "accuracy",
        "macro-F1",
        "thr",
        "coverage",
        "acc@thr",
        "p50 ms",
        "p95 ms",
        "$/1K req",
        "tokens in/out",
        "s",
      ],
      ...rows.map((row) =>
        row.error !== undefined
          ? [names.get(row.source) ?? row.source, display(row.reference), `error: ${row.error}`]
          : [
              names.get(row.source) ?? row.source,
              display(row.reference),
              String(row.n ?? "–"),
              percent(row.accuracy, 2),
              fixed(row.macroF1, 3),
              fixed(row.report?.threshold, 3),
              percent(row.coverage),
              percent(row.acceptedAccuracy),
              fixed(row.latencyMs?.p50, 3),
              fixed(row.latencyMs?.p95, 3),
              cost(row.costPer1kRequestsUsd),
              row.tokensPerRequest === undefined
                ? "–"
                : `${fixed(row.tokensPerRequest.input, 1)}/${fixed(row.tokensPerRequest.output, 1)}`,
              fixed(row.seconds, 1),
            ],
      ),
    ]);
    const standInLine = `stand-in LLM: node:http in its own process (test/helpers/fake-openai.ts, OpenAI chat.completions wire) answering with a second native classifier trained on a stratified half of train (${standInSummary.trainExamples} texts, seed ${standInSeed}; valid for calibration, validation accuracy ${percent(standInSummary.validationAccuracy, 2)}); {"label"} for json_schema, logprobs whose label tokens multiply to that model's confidence; usage = ceil(chars of the messages' JSON / 4) prompt tokens; ${delayMs} ms fixed delay; priced at ${llmModel}'s list price ($${pricePer1k.input} / $${pricePer1k.output} per 1K input / output tokens)`;
    const lines = [
      "",
      `slmkit baseline on ${dataset}: ${test.length}${limit === undefined ? "" : ` of ${fullTest.length} (seeded sample, --limit ${limit})`} test texts, native model + one endpoint, CLI --concurrency ${concurrency}`,
      "",
      table,
      "",
      "accuracy and macro-F1 over in-scope texts; thr = the model's own threshold (native: calibrated on valid for 97% accepted accuracy; endpoint: the CLI's default 0.5 on the logprob confidence); coverage = share accepted at thr, acc@thr = their accuracy; latency = one text per call (native in-process; endpoint over loopback HTTP); cost from the stand-in's token counts",
      standInLine,
      `native model: trained on train (${train.length}) with valid (${valid.length}) for early stopping, temperature and threshold, seed ${seed}, ${nativeTrainSeconds.toFixed(1)} s (the stand-in trained ${standInSummary.trainSeconds.toFixed(1)} s alongside, in its own process)`,
      `CLI wall time ${cli.wallSeconds.toFixed(1)} s (process start, both models loaded and measured, JSON and HTML written); machine: ${fixed(load?.busyCores, 2)} of ${cpus().length} cores busy, ${fixed(load?.otherCores, 2)} of it not this bench, load average ${fixed(loadavg()[0], 2)}`,
      "",
      "checks:",
      ...checks.map((item) => `  ${item.ok ? "ok  " : "FAIL"}  ${item.name}: ${item.detail}`),
      "",
      `target: "baseline on ${dataset} with the native model and one endpoint finishes and reports all rows": ${targetMet ? "PASS" : "MISS"}`,
      "",
      // As printed, temp paths and port included: replacing them would break the CLI's column alignment.
      "the CLI's own table:",
      cli.stdout.trimEnd(),
      "",
    ];
    process.stdout.write(`${lines.join("\n")}\n`);

    const results = {
      dataset,
      cliCommand,
      seed,
      data: {
        dir: values.data ?? defaultDataDir,
        train: train.length,
        valid: valid.length,
        test: test.length,
        testFile: fullTest.length,
        limit: limit ?? null,
        labels: labels.length,
      },
      native: {
        trainSeconds: nativeTrainSeconds,
        validationAccuracy: trained.validation.accuracy,
        threshold: trained.model.threshold,
        targetAccuracy,
        inProcessTestAccuracy: nativeDirect,
      },
      standIn: {
        description: standInLine,
        ...standInSummary,
        pricePer1kInputUsd: pricePer1k.input,
        pricePer1kOutputUsd: pricePer1k.output,
      },
      cli: {
        concurrency,
        latencySamples: latencySamples ?? null,
        exitCode: cli.exitCode,
        wallSeconds: cli.wallSeconds,
      },
      /** The machine's load while the CLI ran (the provenance's `load` covers the whole bench). */
      cliWindow: load,
      rows: rows.map((row) => rowFigures(row, display)),
      checks,
      target: {
        text: `baseline on ${dataset} with the native model and one endpoint finishes and reports all rows`,
        met: targetMet,
      },
    };
    await run.write(results);
    if (!targetMet) process.exitCode = 1;
  } finally {
    await cleanUp();
  }
}

if (values.help) process.stdout.write(usage);
else await main();
