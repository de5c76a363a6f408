// `slmkit tco`: total cost of ownership of a use case (LLM-only, SLM-only, hybrid) from the gateway's log.

import { existsSync } from "node:fs";
import type { Command } from "commander";
import { gatherTcoInputs, type TcoOverrides, tcoOverrideFlags } from "../cost/gather.js";
import { formatTcoText, renderTcoHtml } from "../cost/report.js";
import { defaultMinimumSample } from "../cost/sample.js";
import { computeTco } from "../cost/tco.js";
import type { TcoInputName, TcoReport } from "../cost/types.js";
import { SlmkitError } from "../errors.js";
import { writeFileAtomic } from "../internal/fs.js";
import { loadUseCase } from "../spec/load.js";
import { createStore } from "../store/index.js";
import { parseStoreSetting } from "../store/settings.js";
import { parseIntegerOption, parseNumberOption } from "./options.js";
import { writeJsonOutput } from "./output.js";

/** What each override flag sets, for `--help`. Every one is marked "configured" in the report. */
const overrideDescriptions: Readonly<Record<TcoInputName, string>> = {
  machineUsdPerHour: "US dollars an hour of one machine running the small model (default 0.1, assumed)",
  throughputPerSec: "requests/s the model serves in-process (default: measured on the use case's data)",
  utilization: "share of that throughput a machine carries on average, in (0, 1] (default 0.08, assumed)",
  replicas: "machines always on (default 1)",
  labelCostUsdPerItem: "US dollars to label one example (default 0.08, assumed)",
  labelledItems: "examples labelled by people (default: lines of the use case's data files)",
  reviewCostUsdPerItem: "US dollars for a person to answer one request (default 0.25, assumed)",
  amortizeMonths: "months the one-off costs are spread over (default 12)",
  llmPricePer1kInputUsd:
    "US dollars per 1,000 LLM input tokens (default: usecase.yaml llm.pricePer1kInputUsd)",
  llmPricePer1kOutputUsd:
    "US dollars per 1,000 LLM output tokens (default: usecase.yaml llm.pricePer1kOutputUsd)",
  llmInputTokensPerCall: "input tokens of one LLM call (default: from the log, else estimated)",
  llmOutputTokensPerCall: "output tokens of one LLM call (default: from the log, else estimated)",
  escalationRate: "share of requests the small model does not answer (default: from the log)",
  llmCallRate: "LLM calls per request in the hybrid (default: from the log)",
  reviewRate: "share of requests a person answers in the hybrid (default: from the log)",
  cacheHitRate: "share of requests answered from the cache (default: from the log)",
  llmOnlyReviewRate:
    "share of requests a person answers when the LLM answers everything (default: from the log)",
  teacherCostUsd: "US dollars spent on teacher calls (default: the --distill-report's teacherCostUsd)",
  trainSeconds: "seconds of training (default: the model manifest's trainSeconds)",
  requestsPerMonth: "the volume served now, marked on the chart (default: from the log when it spans a day)",
  targetCostPer1kRequestsUsd:
    "target US dollars per 1,000 requests (default: usecase.yaml targets.costPer1kRequestsUsd)",
};

/** Whole-number inputs: the flag rejects fractions. */
const integerInputs: ReadonlySet<TcoInputName> = new Set(["replicas", "labelledItems"]);

export interface TcoCommandFlags {
  usecase: string;
  store: string;
  model?: string;
  since?: string;
  until?: string;
  distillReport?: string;
  json?: string;
  html?: string;
  minSample?: number;
  /** The override flags, by commander's camel-cased names (`--machine-usd-per-hour` → `machineUsdPerHour`). */
  [flag: string]: string | number | undefined;
}

/** Where the command writes; tests pass collectors. */
export interface TcoCommandOutput {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

const processOutput: TcoCommandOutput = { stdout: process.stdout, stderr: process.stderr };

export function registerTcoCommand(program: Command, output: TcoCommandOutput = processOutput): void {
  const command = program
    .command("tco")
    .description(
      "total cost of ownership: cost per 1K requests of LLM-only, SLM-only and hybrid, the break-even volume, and monthly cost against volume",
    )
    .requiredOption("--usecase <yaml>", "the use case (its llm prices, routing, data and model)")
    .option(
      "--store <setting>",
      "the gateway's log: sqlite:<path> or a postgres:// URL",
      "sqlite:.slmkit/gateway.db",
    )
    .option("--model <dir>", "the model directory to measure (default: the use case's model)")
    .option("--since <ISO date>", "read the log from this time on (default: all of it)")
    .option("--until <ISO date>", "read the log up to this time (default: now)")
    .option("--distill-report <file>", "a `slmkit distill` report.json: its teacherCostUsd is a one-off cost")
    .option("--json <file>", 'write the report as JSON to <file>; "-" prints only the JSON to stdout')
    .option("--html <file>", "write a self-contained HTML report with the chart to <file>")
    .option(
      "--min-sample <n>",
      `logged requests needed for a verdict; below it the report gives the range of costs instead (default ${defaultMinimumSample})`,
      parseIntegerOption("--min-sample", 1),
    );
  for (const [name, flag] of Object.entries(tcoOverrideFlags) as [TcoInputName, string][]) {
    const parse = integerInputs.has(name)
      ? parseIntegerOption(flag, name === "replicas" ? 1 : 0)
      : parseNumberOption(flag);
    command.option(`${flag} <n>`, overrideDescriptions[name], parse);
  }
  command.action(async (flags: TcoCommandFlags) => {
    await runTcoCommand(flags, output);
  });
}

/** The command's work: gather, compute, print the summary and write the files asked for. Returns the report. */
export async function runTcoCommand(
  flags: TcoCommandFlags,
  output: TcoCommandOutput = processOutput,
): Promise<TcoReport> {
  const useCase = await loadUseCase(flags.usecase);
  const since = parseDateFlag("--since", flags.since);
  const until = parseDateFlag("--until", flags.until);
  const overrides = overridesFrom(flags);
  const jsonToStdout = flags.json === "-";
  // With `--json -` stdout carries only the JSON, so notes go to stderr.
  const notes = jsonToStdout ? output.stderr : output.stdout;
  const setting = parseStoreSetting(flags.store);
  // Opening SQLite would create an empty database: a report must not leave files behind it did not ask for.
  const missingLog = setting.kind === "sqlite" && !existsSync(setting.path);
  // With no log yet, an in-memory store answers as an empty log would: no rows, so traffic figures fall back to
  // the model's.
  const store = createStore(missingLog ? { kind: "sqlite", path: ":memory:" } : setting);
  let report: TcoReport;
  try {
    await store.migrate();
    if (missingLog) {
      notes.write(
        `no gateway log at ${setting.kind === "sqlite" ? setting.path : flags.store}: traffic figures come from the model's validation data and defaults\n`,
      );
    }
    const inputs = await gatherTcoInputs({
      store,
      useCase,
      ...(flags.model === undefined ? {} : { modelDir: flags.model }),
      ...(since === undefined ? {} : { since }),
      ...(until === undefined ? {} : { until }),
      overrides,
      ...(flags.distillReport === undefined ? {} : { distillReport: flags.distillReport }),
    });
    report = computeTco(inputs, flags.minSample === undefined ? {} : { minimumSample: flags.minSample });
  } finally {
    await store.close();
  }
  if (!jsonToStdout) output.stdout.write(formatTcoText(report));
  if (flags.json !== undefined) {
    if (jsonToStdout) output.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else {
      await writeJsonOutput(flags.json, report);
      notes.write(`wrote ${flags.json}\n`);
    }
  }
  if (flags.html !== undefined) {
    await writeFileAtomic(flags.html, renderTcoHtml(report));
    notes.write(`wrote ${flags.html}\n`);
  }
  return report;
}

function overridesFrom(flags: TcoCommandFlags): TcoOverrides {
  const overrides: TcoOverrides = {};
  for (const [name, flag] of Object.entries(tcoOverrideFlags) as [TcoInputName, string][]) {
    const value = flags[camelCase(flag)];
    if (typeof value === "number") overrides[name] = value;
  }
  return overrides;
}

/** Commander's name of a flag's value: `--machine-usd-per-hour` → `machineUsdPerHour`. */
function camelCase(flag: string): string {
  return flag.replace(/^--/, "").replace(/-([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}

function parseDateFlag(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const time = Date.parse(value);
  if (Number.isNaN(time)) {
    throw new SlmkitError(
      "INVALID_OPTION",
      `${flag} expects an ISO 8601 date or time, e.g. 2026-11-01 or 2026-11-01T09:00:00Z; got "${value}".`,
      { field: flag.slice(2) },
    );
  }
  return time;
}
