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
import { formatMilliseconds, formatPercent } from "./number-format.js";
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
  /** True for models that run in-process or on this machine: they cost 0 per request. */
  local: boolean;
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
  /** US dollars per 1,000 requests from measured tokens and prices; 0 for local models, null when unpriced. */
  costPer1kRequestsUsd?: number | null;
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
  rows: BaselineRow[];
}

export interface BaselineOptions {
  /**
   * Single-text calls timed for latency, per model. Default 200 for local models; for endpoints 30, since
   * every timed call is a paid request on top of the scored pass.
   */
  latencySamples?: number;
  endpointLatencySamples?: number;
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
      report,
    };
  });
  return { createdAt: new Date().toISOString(), testSize: examples.length, rows };
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
      extractReport: report,
    };
  });
  return { task: "extract", createdAt: new Date().toISOString(), testSize: examples.length, rows };
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
        costPer1kRequestsUsd: candidate.local ? 0 : null,
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

/** The rows as an aligned plain-text table, ending with a newline. */
export function formatBaselineTable(report: BaselineReport): string {
  const extract = report.task === "extract";
  const header = extract
    ? ["model", "field-P", "field-R", "field-F1", "record acc", "coverage", "p50", "p95", "$/1K req"]
    : ["model", "accuracy", "macro-F1", "coverage", "p50", "p95", "$/1K req"];
  const body = report.rows.map((row) =>
    row.error !== undefined
      ? [row.reference, `error: ${row.error}`]
      : extract
        ? [
            row.reference,
            (row.fieldPrecision ?? 0).toFixed(3),
            (row.fieldRecall ?? 0).toFixed(3),
            (row.fieldF1 ?? 0).toFixed(3),
            formatPercent(row.recordAccuracy ?? null),
            formatPercent(row.coverage ?? null),
            formatMilliseconds(row.latencyMs?.p50 ?? 0),
            formatMilliseconds(row.latencyMs?.p95 ?? 0),
            formatCost(row.costPer1kRequestsUsd ?? null),
          ]
        : [
            row.reference,
            formatPercent(row.accuracy ?? null),
            (row.macroF1 ?? 0).toFixed(3),
            formatPercent(row.coverage ?? null),
            formatMilliseconds(row.latencyMs?.p50 ?? 0),
            formatMilliseconds(row.latencyMs?.p95 ?? 0),
            formatCost(row.costPer1kRequestsUsd ?? null),
          ],
  );
  const widths = header.map((title, column) =>
    Math.max(
      title.length,
      ...body.filter((cells) => cells.length > 2).map((cells) => (cells[column] ?? "").length),
    ),
  );
  const line = (cells: readonly string[]) =>
    cells.length === 2
      ? `${(cells[0] ?? "").padEnd(widths[0] ?? 0)}  ${cells[1] ?? ""}`
      : cells
          .map((cell, column) =>
            column === 0 ? cell.padEnd(widths[0] ?? 0) : cell.padStart(widths[column] ?? 0),
          )
          .join("  ");
  return `Baseline on ${report.testSize} test ${extract ? "records (field values)" : "texts"}\n${[header, ...body].map(line).join("\n")}\n`;
}

/** One self-contained HTML page with the baseline table; every value from user data is escaped. */
export function renderBaselineHtml(report: BaselineReport): string {
  const extract = report.task === "extract";
  const rows = report.rows
    .map((row) =>
      row.error !== undefined
        ? `<tr><td><code>${escapeHtml(row.reference)}</code></td><td>${escapeHtml(row.source)}</td><td colspan="${extract ? 9 : 7}" class="error">${escapeHtml(row.error)}</td></tr>`
        : extract
          ? `<tr><td><code>${escapeHtml(row.reference)}</code></td><td>${escapeHtml(row.source)}</td><td>${(row.fieldPrecision ?? 0).toFixed(3)}</td><td>${(row.fieldRecall ?? 0).toFixed(3)}</td><td>${(row.fieldF1 ?? 0).toFixed(3)}</td><td>${formatPercent(row.recordAccuracy ?? null)}</td><td>${formatPercent(row.coverage ?? null)}</td><td>${formatPercent(row.acceptedAccuracy ?? null)}</td><td>${formatMilliseconds(row.latencyMs?.p50 ?? 0)}</td><td>${formatMilliseconds(row.latencyMs?.p95 ?? 0)}</td><td>${escapeHtml(formatCost(row.costPer1kRequestsUsd ?? null))}</td></tr>`
          : `<tr><td><code>${escapeHtml(row.reference)}</code></td><td>${escapeHtml(row.source)}</td><td>${formatPercent(row.accuracy ?? null)}</td><td>${(row.macroF1 ?? 0).toFixed(3)}</td><td>${(row.ece ?? 0).toFixed(3)}</td><td>${formatPercent(row.coverage ?? null)}</td><td>${formatMilliseconds(row.latencyMs?.p50 ?? 0)}</td><td>${formatMilliseconds(row.latencyMs?.p95 ?? 0)}</td><td>${escapeHtml(formatCost(row.costPer1kRequestsUsd ?? null))}</td></tr>`,
    )
    .join("\n");
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
th:first-child,td:first-child,th:nth-child(2),td:nth-child(2){text-align:left}
.error{color:#b00020;text-align:left}
.muted{color:#666}
</style>
</head>
<body>
<h1>Baseline</h1>
${
  extract
    ? `<p class="muted">${report.testSize} test records · created ${escapeHtml(report.createdAt)} · fields scored by normalized value (micro precision, recall, F1) · record accuracy: every field right · coverage: records the model accepts as they are · latency one record per call · cost from measured tokens and the configured prices (0 for local models, "unknown" when unpriced)</p>
<table>
<thead><tr><th>model</th><th>source</th><th>field precision</th><th>field recall</th><th>field F1</th><th>record accuracy</th><th>coverage</th><th>accepted accuracy</th><th>p50</th><th>p95</th><th>$/1K requests</th></tr></thead>`
    : `<p class="muted">${report.testSize} test texts · created ${escapeHtml(report.createdAt)} · accuracy over in-scope items · coverage at each model's own threshold · latency one text per call · cost from measured tokens and the configured prices (0 for local models, "unknown" when unpriced)</p>
<table>
<thead><tr><th>model</th><th>source</th><th>accuracy</th><th>macro-F1</th><th>ECE</th><th>coverage</th><th>p50</th><th>p95</th><th>$/1K requests</th></tr></thead>`
}
<tbody>
${rows}
</tbody>
</table>
</body>
</html>
`;
}

function formatCost(cost: number | null): string {
  if (cost === null) return "unknown";
  if (cost === 0) return "0";
  return cost < 0.01 ? `$${cost.toPrecision(2)}` : `$${cost.toFixed(2)}`;
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
