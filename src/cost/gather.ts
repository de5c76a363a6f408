// Gathers the cost model's inputs: the gateway's log, the use case, the model directory, a distill report, flags.

import { readFile } from "node:fs/promises";
import { SlmkitError } from "../errors.js";
import { readRawManifest } from "../models/native/model-directory.js";
import { systemPrompt } from "../models/openai/openai-labeler.js";
import type { LoadedUseCase } from "../spec/load.js";
import type { RequestTotals, Store } from "../store/types.js";
import { hoursPerMonth, type TcoDefault, tcoDefaults } from "./defaults.js";
import { measureModelThroughput, type ThroughputMeasurement } from "./throughput.js";
import type { TcoInput, TcoInputName, TcoInputs } from "./types.js";

/** Figures given outright (flags): they win over everything gathered and are marked "configured". */
export type TcoOverrides = Partial<Record<TcoInputName, number>>;

/** The flag of `slmkit tco` that sets each input, named in notes so a reader knows how to change a figure. */
export const tcoOverrideFlags: Readonly<Record<TcoInputName, string>> = {
  llmInputTokensPerCall: "--llm-tokens-in",
  llmOutputTokensPerCall: "--llm-tokens-out",
  llmPricePer1kInputUsd: "--llm-price-in",
  llmPricePer1kOutputUsd: "--llm-price-out",
  escalationRate: "--escalation-rate",
  llmCallRate: "--llm-call-rate",
  reviewRate: "--review-rate",
  cacheHitRate: "--cache-hit-rate",
  llmOnlyReviewRate: "--llm-only-review-rate",
  throughputPerSec: "--throughput",
  utilization: "--utilization",
  machineUsdPerHour: "--machine-usd-per-hour",
  replicas: "--replicas",
  reviewCostUsdPerItem: "--review-cost-usd",
  labelledItems: "--labelled-items",
  labelCostUsdPerItem: "--label-cost-usd",
  teacherCostUsd: "--teacher-cost-usd",
  trainSeconds: "--train-seconds",
  amortizeMonths: "--amortize-months",
  requestsPerMonth: "--requests-per-month",
  targetCostPer1kRequestsUsd: "--target-cost-per-1k",
};

export interface GatherTcoInputsOptions {
  /** The gateway's store; only its read side is used. */
  store: Pick<Store, "summarizeRequests" | "listRequests">;
  useCase: LoadedUseCase;
  /** The model directory to measure and read the training time of. Default: the use case's `model`. */
  modelDir?: string;
  /** The log range read, ms since the epoch: `since` inclusive, `until` exclusive. Default: all of it. */
  since?: number;
  until?: number;
  /** Figures given outright; they win and are marked "configured". */
  overrides?: TcoOverrides;
  /** A distill run's report.json (path or parsed) whose `teacherCostUsd` is the teacher calls' cost. */
  distillReport?: string | { teacherCostUsd: number };
  /** Measures the model's throughput. Default `measureModelThroughput` (about 0.3 s of batched predictions). */
  measureThroughput?: (modelDir: string, texts: readonly string[]) => Promise<ThroughputMeasurement>;
}

/** Texts kept from the data files for measuring throughput and estimating input length. */
const sampleTextLimit = 2000;
/** Log rows read to estimate the input length when no LLM call was logged. */
const inputLengthRows = 1000;
const dayMs = 86_400_000;

/**
 * Builds `TcoInputs` for a use case. Each figure comes, in order of preference, from an override ("configured"),
 * the gateway's log over the range ("measured"), the use case's `llm` prices ("configured"), the model
 * directory (throughput measured in-process, training time and validation coverage from its manifest), the
 * data files (labelled examples counted), a distill report (teacher cost), or a stated default ("assumed").
 * Throws INVALID_OPTION when no LLM price is known: a cost report must not assume the LLM is free.
 */
export async function gatherTcoInputs(options: GatherTcoInputsOptions): Promise<TcoInputs> {
  const { useCase, store } = options;
  const spec = useCase.spec;
  const overrides = options.overrides ?? {};
  const filter = {
    useCaseId: spec.id,
    ...(options.since === undefined ? {} : { since: options.since }),
    ...(options.until === undefined ? {} : { until: options.until }),
  };
  const { totals } = await store.summarizeRequests(filter);
  const modelDir = options.modelDir ?? useCase.paths.model;
  const manifest = modelDir === undefined ? undefined : await readRawManifest(modelDir);
  const data = await readDataFiles(useCase);
  const logNote = describeLog(totals, options.since, options.until);

  const given = (name: TcoInputName, unit: string): TcoInput | undefined => {
    const value = overrides[name];
    return value === undefined
      ? undefined
      : { value, unit, source: "configured", note: `given with ${tcoOverrideFlags[name]}` };
  };
  const pick = (name: TcoInputName, unit: string, gathered: () => TcoInput): TcoInput =>
    given(name, unit) ?? gathered();
  const assumed = (fallback: TcoDefault): TcoInput => ({
    value: fallback.value,
    unit: fallback.unit,
    source: "assumed",
    note: fallback.note,
  });

  // Traffic shares: from the log when it has rows, else from the model's validation coverage.
  const requests = totals.requests;
  const shadowCalls = Object.values(totals.shadow).reduce((sum, count) => sum + count, 0);
  const validationCoverage = numberAt(manifest, ["validation", "coverage"]);
  const escalationRate = pick("escalationRate", "share", () => {
    if (requests > 0) {
      return {
        value: (totals.answeredBy.llm + totals.answeredBy.review) / requests,
        unit: "share",
        source: "measured",
        note: `(llm ${totals.answeredBy.llm} + review ${totals.answeredBy.review}) / ${requests} requests; ${logNote}`,
      };
    }
    if (validationCoverage !== undefined) {
      return {
        value: 1 - validationCoverage,
        unit: "share",
        source: "measured",
        note: `1 − coverage ${validationCoverage} at the threshold on validation data (model manifest); no requests logged, and traffic is usually harder than validation data: serve for a while to measure it`,
      };
    }
    return assumed(tcoDefaults.escalationRate);
  });
  const fallback = spec.routing.fallback;
  const shadowRate = spec.routing.shadowRate;
  const llmCallRate = pick("llmCallRate", "LLM calls per request", () => {
    if (requests > 0) {
      return {
        value: Math.min(1, (totals.llmCalls + shadowCalls) / requests),
        unit: "LLM calls per request",
        source: "measured",
        note: `(${totals.llmCalls} logged LLM calls + ${shadowCalls} shadow comparisons) / ${requests} requests; ${logNote}`,
      };
    }
    const escalated = fallback === "llm" ? escalationRate.value : 0;
    return {
      value: Math.min(1, escalated + shadowRate * (1 - escalationRate.value)),
      unit: "LLM calls per request",
      source: "assumed",
      note: `no requests logged: escalation rate × (routing.fallback "${fallback}" ${fallback === "llm" ? "asks the LLM" : "never asks it"}) + routing.shadowRate ${shadowRate} × the rest`,
    };
  });
  const reviewRate = pick("reviewRate", "share", () => {
    if (requests > 0) {
      return {
        value: totals.answeredBy.review / requests,
        unit: "share",
        source: "measured",
        note: `review ${totals.answeredBy.review} / ${requests} requests; ${logNote}`,
      };
    }
    return {
      value: fallback === "review" ? escalationRate.value : 0,
      unit: "share",
      source: "assumed",
      note: `no requests logged: routing.fallback "${fallback}" ${fallback === "review" ? "sends every escalation to a person" : "sends none to a person unless the LLM fails"}`,
    };
  });
  const cacheHitRate = pick("cacheHitRate", "share", () =>
    requests > 0
      ? {
          value: totals.answeredBy.cache / requests,
          unit: "share",
          source: "measured",
          note: `cache ${totals.answeredBy.cache} / ${requests} requests; ${logNote}`,
        }
      : { value: 0, unit: "share", source: "assumed", note: "no requests logged: no cache hits counted on" },
  );

  // What the LLM could not answer in hybrid would go to people in LLM-only too; the easy requests the small
  // model answered, the LLM would answer as well. So LLM-only's review share is hybrid's (measured over all
  // requests): people's cost cancels out of the comparison instead of tilting it towards hybrid.
  const llmOnlyReviewRate = pick("llmOnlyReviewRate", "share", () =>
    fallback === "llm" && totals.llmCalls > 0 && totals.requests > 0
      ? {
          value: totals.answeredBy.review / totals.requests,
          unit: "share",
          source: "measured",
          note: `review ${totals.answeredBy.review} / ${totals.requests} requests: the requests the LLM left to a person in hybrid would be left to one in LLM-only too (--llm-only-review-rate); ${logNote}`,
        }
      : {
          value: 0,
          unit: "share",
          source: "assumed",
          note: "no LLM answers logged to tell how often the LLM fails: people are assumed to answer nothing in LLM-only",
        },
  );

  // Tokens per LLM call: measured when the log has calls, else estimated from input length and the prompt.
  const estimate =
    totals.llmCalls > 0 ? undefined : await estimateTokens(options, useCase, data.texts, filter);
  const llmInputTokensPerCall = pick("llmInputTokensPerCall", "tokens", () =>
    estimate === undefined
      ? {
          value: totals.inputTokens / totals.llmCalls,
          unit: "tokens",
          source: "measured",
          note: `${totals.inputTokens} input tokens / ${totals.llmCalls} LLM calls; ${logNote}`,
        }
      : estimate.input,
  );
  const llmOutputTokensPerCall = pick("llmOutputTokensPerCall", "tokens", () =>
    estimate === undefined
      ? {
          value: totals.outputTokens / totals.llmCalls,
          unit: "tokens",
          source: "measured",
          note: `${totals.outputTokens} output tokens / ${totals.llmCalls} LLM calls; ${logNote}`,
        }
      : estimate.output,
  );

  const llm = spec.llm;
  const price = (name: "llmPricePer1kInputUsd" | "llmPricePer1kOutputUsd", configured: number | undefined) =>
    pick(name, "USD per 1K tokens", () => {
      if (configured !== undefined) {
        const field = name === "llmPricePer1kInputUsd" ? "pricePer1kInputUsd" : "pricePer1kOutputUsd";
        return {
          value: configured,
          unit: "USD per 1K tokens",
          source: "configured",
          note: `usecase.yaml llm.${field} (${llm?.model ?? "LLM"})`,
        };
      }
      throw new SlmkitError(
        "INVALID_OPTION",
        `the LLM's price is unknown: set llm.pricePer1kInputUsd and llm.pricePer1kOutputUsd in ${useCase.path}, or pass --llm-price-in and --llm-price-out (US dollars per 1,000 tokens).`,
        { field: name },
      );
    });
  const llmPricePer1kInputUsd = price("llmPricePer1kInputUsd", llm?.pricePer1kInputUsd);
  const llmPricePer1kOutputUsd = price("llmPricePer1kOutputUsd", llm?.pricePer1kOutputUsd);

  const throughputPerSec =
    given("throughputPerSec", "requests/s") ??
    (await measureThroughput(options, modelDir, manifest, data.texts));

  const trainSeconds = pick("trainSeconds", "seconds", () => {
    const recorded = numberAt(manifest, ["trainSeconds"]);
    return recorded === undefined
      ? assumed(tcoDefaults.trainSeconds)
      : {
          value: recorded,
          unit: "seconds",
          source: "measured",
          note: `trainSeconds of ${modelDir}/manifest.json`,
        };
  });
  const teacherCostUsd = given("teacherCostUsd", "USD") ?? (await teacherCost(options.distillReport));
  const labelledItems = pick("labelledItems", "examples", () =>
    data.files.length > 0
      ? {
          value: data.lines,
          unit: "examples",
          source: "measured",
          note: `non-blank lines of ${data.files.join(", ")}; pass --labelled-items 0 if a teacher labelled them`,
        }
      : { value: 0, unit: "examples", source: "assumed", note: "no data file could be read" },
  );

  const requestsPerMonth = gatherRequestsPerMonth(totals, options, overrides);
  const configuredTarget = spec.targets?.costPer1kRequestsUsd;
  const targetCost =
    given("targetCostPer1kRequestsUsd", "USD per 1K requests") ??
    (configuredTarget === undefined
      ? undefined
      : {
          value: configuredTarget,
          unit: "USD per 1K requests",
          source: "configured" as const,
          note: "usecase.yaml targets.costPer1kRequestsUsd",
        });
  const defaultFor = (name: keyof typeof tcoDefaults & TcoInputName) => {
    const fallbackFigure = tcoDefaults[name] as TcoDefault;
    return pick(name, fallbackFigure.unit, () => assumed(fallbackFigure));
  };

  return {
    useCaseId: spec.id,
    llmInputTokensPerCall,
    llmOutputTokensPerCall,
    llmPricePer1kInputUsd,
    llmPricePer1kOutputUsd,
    escalationRate,
    llmCallRate,
    reviewRate,
    cacheHitRate,
    llmOnlyReviewRate,
    throughputPerSec,
    utilization: defaultFor("utilization"),
    machineUsdPerHour: defaultFor("machineUsdPerHour"),
    replicas: defaultFor("replicas"),
    reviewCostUsdPerItem: defaultFor("reviewCostUsdPerItem"),
    labelledItems,
    labelCostUsdPerItem: defaultFor("labelCostUsdPerItem"),
    teacherCostUsd,
    trainSeconds,
    amortizeMonths: defaultFor("amortizeMonths"),
    ...(requestsPerMonth === undefined ? {} : { requestsPerMonth }),
    ...(targetCost === undefined ? {} : { targetCostPer1kRequestsUsd: targetCost }),
  };
}

/** "request log, 12,400 requests 2026-11-01..2026-11-28" or "request log empty in range". */
function describeLog(totals: RequestTotals, since?: number, until?: number): string {
  const first = since ?? totals.firstAt;
  const last = until ?? totals.lastAt;
  const range = first === null || last === null ? "" : ` ${isoDay(first)}..${isoDay(last)}`;
  return `request log, ${totals.requests.toLocaleString("en-US")} requests${range}`;
}

function isoDay(milliseconds: number): string {
  return new Date(milliseconds).toISOString().slice(0, 10);
}

/** The volume of the logged range scaled to a 730-hour month; only when the range spans a day or more. */
function gatherRequestsPerMonth(
  totals: RequestTotals,
  options: GatherTcoInputsOptions,
  overrides: TcoOverrides,
): TcoInput | undefined {
  const given = overrides.requestsPerMonth;
  if (given !== undefined) {
    return {
      value: given,
      unit: "requests/month",
      source: "configured",
      note: `given with ${tcoOverrideFlags.requestsPerMonth}`,
    };
  }
  const start = options.since ?? totals.firstAt;
  const end = options.until ?? totals.lastAt;
  if (totals.requests === 0 || start === null || end === null || end - start < dayMs) return undefined;
  const months = (end - start) / (hoursPerMonth * 3_600_000);
  return {
    value: totals.requests / months,
    unit: "requests/month",
    source: "measured",
    note: `${totals.requests} requests over ${((end - start) / dayMs).toFixed(1)} days (${isoDay(start)}..${isoDay(end)}), scaled to ${hoursPerMonth} h`,
  };
}

async function measureThroughput(
  options: GatherTcoInputsOptions,
  modelDir: string | undefined,
  manifest: Record<string, unknown> | undefined,
  texts: readonly string[],
): Promise<TcoInput> {
  if (modelDir === undefined || manifest === undefined || texts.length === 0) {
    return {
      value: tcoDefaults.throughputPerSec.value,
      unit: tcoDefaults.throughputPerSec.unit,
      source: "assumed",
      note:
        modelDir === undefined || manifest === undefined
          ? tcoDefaults.throughputPerSec.note
          : "no texts in the use case's data to time the model on; pass --throughput",
    };
  }
  const measure = options.measureThroughput ?? measureModelThroughput;
  const measured = await measure(modelDir, texts);
  return {
    value: measured.perSecond,
    unit: "requests/s",
    source: "measured",
    note: `${measured.texts.toLocaleString("en-US")} texts in ${measured.seconds.toFixed(2)} s, batches of ${measured.batchSize}, in-process on this machine (${modelDir})`,
  };
}

async function teacherCost(report: GatherTcoInputsOptions["distillReport"]): Promise<TcoInput> {
  if (report === undefined) {
    return {
      value: 0,
      unit: "USD",
      source: "assumed",
      note: "no distill report given (--distill-report); the labels were not bought from a teacher",
    };
  }
  if (typeof report !== "string") {
    return {
      value: report.teacherCostUsd,
      unit: "USD",
      source: "measured",
      note: "teacherCostUsd of the distill report",
    };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(report, "utf8"));
  } catch (error) {
    throw new SlmkitError(
      "IO_ERROR",
      `cannot read the distill report: ${(error as Error).message}. Pass the report.json that \`slmkit distill\` wrote.`,
      { file: report, cause: error },
    );
  }
  const cost = (parsed as { teacherCostUsd?: unknown } | null)?.teacherCostUsd;
  if (typeof cost !== "number" || !Number.isFinite(cost) || cost < 0) {
    throw new SlmkitError(
      "INVALID_INPUT",
      "this is not a distill report: it has no teacherCostUsd. Pass the report.json that `slmkit distill` wrote.",
      { file: report },
    );
  }
  return { value: cost, unit: "USD", source: "measured", note: `teacherCostUsd of ${report}` };
}

/**
 * Tokens of one LLM call when none was logged: the system prompt the labeler sends (labels and their
 * descriptions) and the input, at about 4 characters a token, plus the chat format's overhead; the reply is
 * one label name and an end token.
 */
async function estimateTokens(
  options: GatherTcoInputsOptions,
  useCase: LoadedUseCase,
  dataTexts: readonly string[],
  filter: { useCaseId: string; since?: number; until?: number },
): Promise<{ input: TcoInput; output: TcoInput }> {
  const spec = useCase.spec;
  const rows = await options.store.listRequests({ ...filter, limit: inputLengthRows });
  const loggedLengths = rows
    .map((row) => row.inputChars ?? row.inputText?.length ?? null)
    .filter((length): length is number => length !== null);
  const lengths = loggedLengths.length > 0 ? loggedLengths : dataTexts.map((text) => text.length);
  const lengthSource =
    loggedLengths.length > 0
      ? `${loggedLengths.length} logged requests`
      : lengths.length > 0
        ? `${lengths.length} texts of the use case's data`
        : "no texts found; 200 characters assumed";
  const meanChars = lengths.length > 0 ? mean(lengths) : 200;
  const labels =
    spec.labels ??
    (spec.schema?.fields ?? []).map((field) => ({ name: field.name, description: field.description }));
  const definitions = labels.map((label) =>
    label.description === undefined
      ? { name: label.name }
      : { name: label.name, description: label.description },
  );
  const promptChars = systemPrompt(definitions, false).length;
  const perToken = tcoDefaults.charactersPerToken;
  const overhead = tcoDefaults.chatOverheadTokens;
  const inputTokens = Math.ceil(promptChars / perToken) + Math.ceil(meanChars / perToken) + overhead;
  const meanLabelChars = labels.length > 0 ? mean(labels.map((label) => label.name.length)) : 8;
  const outputTokens = Math.ceil(meanLabelChars / perToken) + 1;
  return {
    input: {
      value: inputTokens,
      unit: "tokens",
      source: "assumed",
      note: `no LLM call logged: ⌈system prompt ${promptChars} chars / ${perToken}⌉ + ⌈mean input ${meanChars.toFixed(0)} chars (${lengthSource}) / ${perToken}⌉ + ${overhead} chat-format tokens`,
    },
    output: {
      value: outputTokens,
      unit: "tokens",
      source: "assumed",
      note: `no LLM call logged: ⌈mean label name ${meanLabelChars.toFixed(1)} chars / ${perToken}⌉ + 1 end token`,
    },
  };
}

interface DataFiles {
  /** Files that could be read. */
  files: string[];
  /** Non-blank lines over every file: the labelled examples. */
  lines: number;
  /** Up to `sampleTextLimit` texts, from the training file first. */
  texts: string[];
}

/** Counts the labelled examples of the use case's data files and keeps some texts; unreadable files are skipped. */
async function readDataFiles(useCase: LoadedUseCase): Promise<DataFiles> {
  const paths = [useCase.paths.train, useCase.paths.valid, useCase.paths.test].filter(
    (path): path is string => path !== undefined,
  );
  const result: DataFiles = { files: [], lines: 0, texts: [] };
  for (const path of paths) {
    let content: string;
    try {
      content = await readFile(path, "utf8");
    } catch {
      continue;
    }
    result.files.push(path);
    const csv = path.toLowerCase().endsWith(".csv");
    const lines = content.split(/\r?\n/).filter((line) => line.trim() !== "");
    // A CSV file's first line is its header, not an example.
    result.lines += csv ? Math.max(0, lines.length - 1) : lines.length;
    if (csv) continue;
    for (const line of lines) {
      if (result.texts.length >= sampleTextLimit) break;
      const text = textOf(line);
      if (text !== undefined) result.texts.push(text);
    }
  }
  return result;
}

function textOf(line: string): string | undefined {
  try {
    const value = (JSON.parse(line) as { text?: unknown } | null)?.text;
    return typeof value === "string" && value !== "" ? value : undefined;
  } catch {
    return undefined;
  }
}

function numberAt(record: Record<string, unknown> | undefined, path: readonly string[]): number | undefined {
  let current: unknown = record;
  for (const key of path) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return typeof current === "number" && Number.isFinite(current) ? current : undefined;
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}
