// `slmkit baseline`: several models (native, GGUF, endpoints) on one test set, with eval's metrics plus cost.

import { SlmkitError } from "../errors.js";
import type { ExtractModel, LabelModel, TaskModel } from "../models/task-model.js";
import type { ClassPrediction, LabeledExample, SpanExample } from "../types.js";
import { type ClassificationEvalReport, evaluateClassifier } from "./evaluate.js";
import {
  type ExtractValuesReport,
  evaluateExtractValues,
  type ValueField,
} from "./evaluate-extract-values.js";
import { round } from "./metrics.js";
import { formatBytes, formatCount, formatMilliseconds, formatPercent } from "./number-format.js";
import { escapeHtml } from "./report-html.js";

/** Token usage a model reports about itself (OpenAI-compatible models do). */
export interface UsageReporting {
  usage(): { calls: number; inputTokens: number; outputTokens: number; costUsd: number };
}

/** One model to measure. */
export interface BaselineCandidate {
  /** How the row is named: the model reference. */
  reference: string;
  /** Where it came from, e.g. "usecase model", "usecase llm", "--models". */
  source: string;
  /** Loads the model; a failure becomes the row's `error`, and the other rows still run. */
  load(): Promise<TaskModel>;
  /** True when its token prices are known; an endpoint without them gets `costPer1kRequestsUsd: null`. */
  priced: boolean;
  /**
   * True for models that run in-process or on this machine: their cost per request is the machine's time, from
   * their measured throughput and `machineUsdPerHour`, not tokens.
   */
  local: boolean;
  /**
   * The licence configured for it (usecase.yaml `llm.license` or `prebuilt.license`); a licence the model file
   * declares (GGUF `general.license`) wins. Default: none, reported as "unknown".
   */
  license?: string;
}

/** One extractor to measure (an extract use case): a candidate whose model is an extract model. */
export type ExtractBaselineCandidate = BaselineCandidate;

export interface BaselineRow {
  reference: string;
  source: string;
  /** Why the model could not be measured; the figures below are then absent. */
  error?: string;
  accuracy?: number;
  macroF1?: number;
  ece?: number;
  coverage?: number;
  acceptedAccuracy?: number | null;
  n?: number;
  outOfScope?: number;
  latencyMs?: { p50: number; p95: number };
  /**
   * US dollars per 1,000 requests. Endpoints: from the measured tokens at the configured prices, null when
   * unpriced. Local models: the machine's time at `machineUsdPerHour` over the measured throughput (see `costBasis`).
   */
  costPer1kRequestsUsd?: number | null;
  /** How `costPer1kRequestsUsd` was made: "compute" (local: machine time) or "tokens" (endpoint: tokens × prices). */
  costBasis?: "compute" | "tokens";
  /** Texts (extract: records) per second over the batched pass. */
  throughputPerSec?: number;
  /**
   * Parameters of the model: a GGUF file's `general.parameter_count` or the sum of its tensor shapes, a native
   * model's weights and biases; null when unknown (an endpoint's).
   */
  parameters?: number | null;
  /** Bytes of the model's files on disk; null when it has none here (an endpoint). */
  fileBytes?: number | null;
  /** Memory the loaded model holds, in bytes (GGUF: resident memory growth across the load; native: its arrays); null when unknown. */
  memoryBytes?: number | null;
  /** Tokens of context the model was trained for (GGUF `<architecture>.context_length`); null when none or unknown. */
  contextLength?: number | null;
  /** The licence the model file declares, else the configured one, else "unknown"; "own" for a native model. */
  license?: string;
  /** Measured tokens per request, for endpoints. */
  tokensPerRequest?: { input: number; output: number };
  /** Endpoint calls made while measuring. */
  calls?: number;
  /** Replies that named no label of the set. */
  unsure?: number;
  seconds?: number;
  /** The full `eval` report of this model (classify and answer use cases). */
  report?: ClassificationEvalReport;
  /** Extract use cases: micro precision, recall and F1 of normalized field values. */
  fieldPrecision?: number;
  fieldRecall?: number;
  fieldF1?: number;
  /** Extract use cases: share of records with every field right. */
  recordAccuracy?: number;
  /** Extract use cases: the full value-level report of this model. */
  extractReport?: ExtractValuesReport;
}

export interface BaselineReport {
  /** Set for extract use cases only, whose rows carry field-value figures instead of label figures. */
  task?: "extract";
  createdAt: string;
  testSize: number;
  /** The machine price local models' compute cost is read at: configured (`--machine-usd-per-hour`) or assumed. */
  machineUsdPerHour: { value: number; source: "configured" | "assumed"; note: string };
  rows: BaselineRow[];
}

/**
 * The machine price assumed when none is given, in US dollars per hour: a small on-demand 2-vCPU, 8 GB cloud VM,
 * the same figure `slmkit tco` assumes (src/cost/defaults.ts `machineUsdPerHour`; a test keeps the two equal).
 */
export const defaultMachineUsdPerHour = 0.1;

export interface BaselineOptions {
  /**
   * Single-text calls timed for latency, per model. Default 200 for local models; for endpoints 30, since
   * every timed call is a paid request on top of the scored pass.
   */
  latencySamples?: number;
  endpointLatencySamples?: number;
  /**
   * US dollars an hour of the machine local models run on: their cost per 1,000 requests is this price over
   * their measured batched throughput (at full use of the machine). Default `defaultMachineUsdPerHour` (0.10),
   * reported as assumed.
   */
  machineUsdPerHour?: number;
  /** Texts scored so far by the current model, for progress. */
  onProgress?: (progress: {
    reference: string;
    index: number;
    models: number;
    done: number;
    total: number;
  }) => void;
  signal?: AbortSignal;
}

/**
 * Measures every candidate on `examples` with `evaluateClassifier` (one after another, so latencies do not
 * disturb each other) and adds cost per 1,000 requests from the tokens the endpoint reported. A model that
 * fails to load or to answer gets an `error` row; the others are still measured.
 */
export async function runBaseline(
  candidates: readonly BaselineCandidate[],
  examples: readonly LabeledExample[],
  options: BaselineOptions = {},
): Promise<BaselineReport> {
  const rows = await measureEach(candidates, examples.length, options, async (model, settings) => {
    const report = await evaluateClassifier(
      countingModel(labelModelOf(model), settings.onProgress),
      examples,
      {
        latencySamples: settings.latencySamples,
        batchSize: settings.batchSize,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      },
    );
    return {
      n: report.n,
      outOfScope: report.outOfScope.n,
      accuracy: report.accuracy,
      macroF1: report.macroF1,
      ece: report.ece,
      coverage: report.coverage,
      acceptedAccuracy: report.acceptedAccuracy,
      latencyMs: { p50: report.latencyMs.p50, p95: report.latencyMs.p95 },
      throughputPerSec: report.throughputPerSec,
      report,
    };
  });
  return {
    createdAt: new Date().toISOString(),
    testSize: examples.length,
    machineUsdPerHour: machinePrice(options),
    rows,
  };
}

/**
 * Measures every extractor on span-annotated `examples` by normalized field values (`evaluateExtractValues`),
 * one after another, with cost per 1,000 requests from the endpoint's reported tokens, as `runBaseline` does.
 * Gold and predicted values are read against one "today", so relative dates agree.
 */
export async function runExtractBaseline(
  candidates: readonly ExtractBaselineCandidate[],
  fields: readonly ValueField[],
  examples: readonly SpanExample[],
  options: BaselineOptions & { referenceDate?: Date } = {},
): Promise<BaselineReport> {
  const referenceDate = options.referenceDate ?? new Date();
  const rows = await measureEach(candidates, examples.length, options, async (model, settings) => {
    const report = await evaluateExtractValues(extractModelOf(model), fields, examples, {
      latencySamples: settings.latencySamples,
      batchSize: settings.batchSize,
      referenceDate,
      onProgress: settings.onProgress,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    return {
      n: report.n,
      fieldPrecision: report.fieldPrecision,
      fieldRecall: report.fieldRecall,
      fieldF1: report.fieldF1,
      recordAccuracy: report.recordAccuracy,
      coverage: report.coverage,
      acceptedAccuracy: report.acceptedAccuracy,
      unsure: report.unsure,
      latencyMs: { p50: report.latencyMs.p50, p95: report.latencyMs.p95 },
      throughputPerSec: report.throughputPerSec,
      extractReport: report,
    };
  });
  return {
    task: "extract",
    createdAt: new Date().toISOString(),
    testSize: examples.length,
    machineUsdPerHour: machinePrice(options),
    rows,
  };
}

/** The machine price of the run, checked, and whether it was given or assumed. */
function machinePrice(options: BaselineOptions): BaselineReport["machineUsdPerHour"] {
  const given = options.machineUsdPerHour;
  if (given === undefined) {
    return {
      value: defaultMachineUsdPerHour,
      source: "assumed",
      note: "a small on-demand 2-vCPU, 8 GB cloud VM, as `slmkit tco` assumes; --machine-usd-per-hour to set yours",
    };
  }
  return { value: given, source: "configured", note: "--machine-usd-per-hour" };
}

/**
 * US dollars per 1,000 requests of a local model: the machine's price per second over the requests it answers
 * per second (the measured batched throughput), i.e. the cost at full use of the machine. Null without a throughput.
 */
export function computeCostPer1kRequests(machineUsdPerHour: number, throughputPerSec: number): number | null {
  if (!(throughputPerSec > 0) || !Number.isFinite(throughputPerSec)) return null;
  return round((machineUsdPerHour / 3600 / throughputPerSec) * 1000, 9);
}

/** How one candidate is measured: its latency samples and batch size, and where it reports progress. */
interface MeasureSettings {
  latencySamples: number;
  batchSize: number;
  onProgress: (done: number) => void;
}

/**
 * The loop both baselines share: each candidate in turn (so latencies do not disturb each other) is loaded,
 * measured, given its time and its cost from the tokens the endpoint reported, and disposed of; a model that
 * fails to load or to answer gets an `error` row and the others still run.
 */
async function measureEach(
  candidates: readonly BaselineCandidate[],
  total: number,
  options: BaselineOptions,
  measure: (
    model: TaskModel,
    settings: MeasureSettings,
  ) => Promise<Omit<BaselineRow, "reference" | "source" | "seconds" | "costPer1kRequestsUsd">>,
): Promise<BaselineRow[]> {
  const machineUsdPerHour = options.machineUsdPerHour ?? defaultMachineUsdPerHour;
  if (!(machineUsdPerHour >= 0) || !Number.isFinite(machineUsdPerHour)) {
    throw new SlmkitError(
      "INVALID_OPTION",
      `the machine price must be a number of US dollars per hour ≥ 0, got ${machineUsdPerHour}.`,
      { field: "machineUsdPerHour" },
    );
  }
  const rows: BaselineRow[] = [];
  for (const [index, candidate] of candidates.entries()) {
    options.signal?.throwIfAborted();
    const started = performance.now();
    const seconds = () => round((performance.now() - started) / 1000, 3);
    let model: TaskModel | undefined;
    try {
      model = await candidate.load();
      const figures = await measure(model, {
        latencySamples: candidate.local
          ? (options.latencySamples ?? 200)
          : (options.endpointLatencySamples ?? 30),
        // Small batches for endpoints: progress moves, and throughput means little for a remote model anyway.
        batchSize: candidate.local ? 256 : 16,
        onProgress: (done) =>
          options.onProgress?.({
            reference: candidate.reference,
            index,
            models: candidates.length,
            done,
            total,
          }),
      });
      // The full report goes last, after the summary figures, as a reader of the JSON expects.
      const { report, extractReport, ...summary } = figures;
      const row: BaselineRow = {
        reference: candidate.reference,
        source: candidate.source,
        ...summary,
        costPer1kRequestsUsd: candidate.local
          ? computeCostPer1kRequests(machineUsdPerHour, summary.throughputPerSec ?? 0)
          : null,
        costBasis: candidate.local ? "compute" : "tokens",
        ...modelFigures(model, candidate),
        seconds: seconds(),
        ...(report === undefined ? {} : { report }),
        ...(extractReport === undefined ? {} : { extractReport }),
      };
      addUsage(row, model, candidate.priced);
      rows.push(row);
    } catch (error) {
      if (options.signal?.aborted) throw error;
      rows.push({
        reference: candidate.reference,
        source: candidate.source,
        error: error instanceof Error ? error.message : String(error),
        seconds: seconds(),
      });
    } finally {
      await model?.dispose();
    }
  }
  return rows;
}

/** What a row says about the model itself, for choosing a base model: size, footprint, context, licence. */
function modelFigures(
  model: TaskModel,
  candidate: BaselineCandidate,
): Pick<BaselineRow, "parameters" | "fileBytes" | "memoryBytes" | "contextLength" | "license"> {
  const info = model.info;
  return {
    parameters: info.parameters ?? null,
    fileBytes: info.modelBytes ?? null,
    memoryBytes: info.memoryBytes ?? null,
    contextLength: info.contextLength ?? null,
    license: info.license ?? candidate.license ?? "unknown",
  };
}

/** The columns each row shows about the model itself: parameters, file size, memory, context and licence. */
const modelColumns = ["params", "size", "memory", "context", "licence"];

function modelCells(row: BaselineRow): string[] {
  const bytes = (value: number | null | undefined) =>
    value === null || value === undefined ? "-" : formatBytes(value);
  return [
    formatParameters(row.parameters ?? null),
    bytes(row.fileBytes),
    bytes(row.memoryBytes),
    row.contextLength === null || row.contextLength === undefined ? "-" : formatCount(row.contextLength),
    row.license ?? "unknown",
  ];
}

/** The figures of one measured row, in the order of the table's header (the model name first). */
function rowCells(row: BaselineRow, extract: boolean): string[] {
  const cost = formatCost(row.costPer1kRequestsUsd ?? null);
  const latency = [formatMilliseconds(row.latencyMs?.p50 ?? 0), formatMilliseconds(row.latencyMs?.p95 ?? 0)];
  const quality = extract
    ? [
        (row.fieldPrecision ?? 0).toFixed(3),
        (row.fieldRecall ?? 0).toFixed(3),
        (row.fieldF1 ?? 0).toFixed(3),
        formatPercent(row.recordAccuracy ?? null),
      ]
    : [formatPercent(row.accuracy ?? null), (row.macroF1 ?? 0).toFixed(3)];
  return [
    row.reference,
    ...quality,
    formatPercent(row.coverage ?? null),
    ...latency,
    cost,
    ...modelCells(row),
  ];
}

/** How the cost column was made, one line under the table. */
function costNote(report: BaselineReport): string {
  const machine = report.machineUsdPerHour;
  return `$/1K req: local models at $${machine.value.toFixed(2)}/h of machine time (${machine.source === "assumed" ? "assumed; --machine-usd-per-hour to set yours" : "configured"}) over their measured throughput, at full use; endpoints from measured tokens at the configured prices.`;
}

/** The rows as an aligned plain-text table, ending with a newline. */
export function formatBaselineTable(report: BaselineReport): string {
  const extract = report.task === "extract";
  const header = extract
    ? ["model", "field-P", "field-R", "field-F1", "record acc", "coverage", "p50", "p95", "$/1K req"]
    : ["model", "accuracy", "macro-F1", "coverage", "p50", "p95", "$/1K req"];
  header.push(...modelColumns);
  const body = report.rows.map((row) =>
    row.error !== undefined ? [row.reference, `error: ${row.error}`] : rowCells(row, extract),
  );
  const widths = header.map((title, column) =>
    Math.max(
      title.length,
      ...body.filter((cells) => cells.length > 2).map((cells) => (cells[column] ?? "").length),
    ),
  );
  // The licence, last, is text: left-aligned like the model name.
  const leftAligned = (column: number) => column === 0 || column === header.length - 1;
  const line = (cells: readonly string[]) =>
    cells.length === 2
      ? `${(cells[0] ?? "").padEnd(widths[0] ?? 0)}  ${cells[1] ?? ""}`
      : cells
          .map((cell, column) =>
            leftAligned(column) ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0),
          )
          .join("  ")
          .trimEnd();
  return `Baseline on ${report.testSize} test ${extract ? "records (field values)" : "texts"}\n${[header, ...body].map(line).join("\n")}\n${costNote(report)}\n`;
}

/** One self-contained HTML page with the baseline table; every value from user data is escaped. */
export function renderBaselineHtml(report: BaselineReport): string {
  const extract = report.task === "extract";
  const columns = extract ? 9 + modelColumns.length : 7 + modelColumns.length;
  const cell = (value: string) => `<td>${escapeHtml(value)}</td>`;
  const rows = report.rows
    .map((row) => {
      const name = `<td><code>${escapeHtml(row.reference)}</code></td><td>${escapeHtml(row.source)}</td>`;
      if (row.error !== undefined)
        return `<tr>${name}<td colspan="${columns}" class="error">${escapeHtml(row.error)}</td></tr>`;
      const [, ...figures] = rowCells(row, extract);
      // The extract table also shows accepted accuracy, after coverage.
      if (extract) figures.splice(5, 0, formatPercent(row.acceptedAccuracy ?? null));
      // The label table also shows ECE, after macro-F1.
      else figures.splice(2, 0, (row.ece ?? 0).toFixed(3));
      return `<tr>${name}${figures.map(cell).join("")}</tr>`;
    })
    .join("\n");
  const modelHeaders = "<th>parameters</th><th>file size</th><th>memory</th><th>context</th><th>licence</th>";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="slmkit">
<title>slmkit baseline</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse}
th,td{padding:.35rem .7rem;border-bottom:1px solid #ddd;text-align:right}
th:first-child,td:first-child,th:nth-child(2),td:nth-child(2),th:last-child,td:last-child{text-align:left}
.error{color:#b00020;text-align:left}
.muted{color:#666}
</style>
</head>
<body>
<h1>Baseline</h1>
${
  extract
    ? `<p class="muted">${report.testSize} test records · created ${escapeHtml(report.createdAt)} · fields scored by normalized value (micro precision, recall, F1) · record accuracy: every field right · coverage: records the model accepts as they are · latency one record per call</p>
<table>
<thead><tr><th>model</th><th>source</th><th>field precision</th><th>field recall</th><th>field F1</th><th>record accuracy</th><th>coverage</th><th>accepted accuracy</th><th>p50</th><th>p95</th><th>$/1K requests</th>${modelHeaders}</tr></thead>`
    : `<p class="muted">${report.testSize} test texts · created ${escapeHtml(report.createdAt)} · accuracy over in-scope items · coverage at each model's own threshold · latency one text per call</p>
<table>
<thead><tr><th>model</th><th>source</th><th>accuracy</th><th>macro-F1</th><th>ECE</th><th>coverage</th><th>p50</th><th>p95</th><th>$/1K requests</th>${modelHeaders}</tr></thead>`
}
<tbody>
${rows}
</tbody>
</table>
<p class="muted">${escapeHtml(costNote(report))} Memory: a GGUF model's resident memory growth across its load (measured), a native model's arrays (counted). Parameters: a GGUF file's <code>general.parameter_count</code> or its tensor shapes; a native model's weights and biases. "-": not known for that model.</p>
</body>
</html>
`;
}

/** A parameter count as people write it: 3.8B, 124M, 56.3k; "-" when unknown. */
export function formatParameters(count: number | null): string {
  if (count === null) return "-";
  const units: Array<[number, string]> = [
    [1e12, "T"],
    [1e9, "B"],
    [1e6, "M"],
    [1e3, "k"],
  ];
  for (const [size, unit] of units) {
    if (count >= size) {
      const value = count / size;
      return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)}${unit}`;
    }
  }
  return String(count);
}

function formatCost(cost: number | null): string {
  if (cost === null) return "unknown";
  if (cost === 0) return "0";
  if (cost >= 0.01) return `$${cost.toFixed(2)}`;
  // Two significant digits written out in full: a native model's $0.00000093 reads better than 9.3e-7.
  return `$${cost.toFixed(Math.max(2, 1 - Math.floor(Math.log10(cost))))}`;
}

function hasUsage(model: object): model is UsageReporting {
  return typeof (model as Partial<UsageReporting>).usage === "function";
}

/** Calls, tokens per request and (when priced) cost per 1,000 requests from what an endpoint model reported. */
function addUsage(row: BaselineRow, model: object, priced: boolean): void {
  const usage = hasUsage(model) ? model.usage() : undefined;
  if (usage === undefined || usage.calls === 0) return;
  row.calls = usage.calls;
  row.tokensPerRequest = {
    input: round(usage.inputTokens / usage.calls, 2),
    output: round(usage.outputTokens / usage.calls, 2),
  };
  if (priced) row.costPer1kRequestsUsd = round((usage.costUsd / usage.calls) * 1000, 6);
  // The extract path already counted unsure records over the scored pass alone; the classify path reads the model's.
  if (row.unsure === undefined && "unsure" in usage && typeof usage.unsure === "number")
    row.unsure = usage.unsure;
}

/** A row's model as a label model; an extract model in a label baseline is the row's error. */
function labelModelOf(model: TaskModel): LabelModel {
  if (model.task === "extract")
    throw new SlmkitError(
      "NOT_SUPPORTED",
      `${model.reference} is an extraction model; this baseline scores labels.`,
    );
  return model;
}

/** A row's model as an extract model; a label model in an extract baseline is the row's error. */
function extractModelOf(model: TaskModel): ExtractModel {
  if (model.task !== "extract")
    throw new SlmkitError(
      "NOT_SUPPORTED",
      `${model.reference} is a ${model.task} model; an extract use case's baseline scores extraction models.`,
    );
  return model;
}

/** The same model, counting the texts its batched `predict` calls get, so a long endpoint pass shows progress. */
function countingModel(model: LabelModel, onCount: (done: number) => void): LabelModel {
  let done = 0;
  return {
    task: "classify",
    reference: model.reference,
    labels: model.labels,
    threshold: model.threshold,
    info: model.info,
    async predict(texts: readonly string[]): Promise<ClassPrediction[]> {
      const predictions = await model.predict(texts);
      // Single-text calls are the warm-up and latency samples: progress counts the scored pass.
      if (texts.length > 1) {
        done += texts.length;
        onCount(done);
      }
      return predictions;
    },
    // The caller disposes the real model.
    dispose: async () => {},
    [Symbol.asyncDispose]: async () => {},
  };
}
