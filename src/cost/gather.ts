// Gathers the cost model's inputs: the gateway's log, the use case, the model directory, a distill report, flags.

import type { LoadedUseCase } from "../spec/load.js";
import type { Store } from "../store/types.js";
import { gatherLabelledItems, readDataFiles } from "./inputs/data-files.js";
import { teacherCost } from "./inputs/distill-report.js";
import { createFigurePicker, type TcoOverrides } from "./inputs/figures.js";
import { findGeneratedExamples } from "./inputs/generated-data.js";
import { gatherPrices, gatherTokensPerCall } from "./inputs/llm.js";
import {
  gatherTrainSeconds,
  measureThroughput,
  readModelSource,
  validationCoverage,
} from "./inputs/model.js";
import {
  describeLog,
  gatherRequestsPerMonth,
  gatherTrafficShares,
  llmWasUnreachable,
  trafficSampleOf,
} from "./inputs/request-log.js";
import type { ThroughputMeasurement } from "./throughput.js";
import type { TcoInput, TcoInputs } from "./types.js";

export { type TcoOverrides, tcoOverrideFlags } from "./inputs/figures.js";

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

/**
 * Builds `TcoInputs` for a use case. Each figure comes, in order of preference, from an override ("configured"),
 * the gateway's log over the range ("measured"), the use case's `llm` prices ("configured"), the model
 * directory (throughput measured in-process, training time and validation coverage from its manifest), the
 * data files (labelled examples counted), a distill report (teacher cost), or a stated default ("assumed").
 * Each source is a module of `inputs/`. Throws INVALID_OPTION when no LLM price is known: a cost report must
 * not assume the LLM is free.
 */
export async function gatherTcoInputs(options: GatherTcoInputsOptions): Promise<TcoInputs> {
  const { useCase, store } = options;
  const spec = useCase.spec;
  const overrides = options.overrides ?? {};
  const figures = createFigurePicker(overrides);
  const filter = {
    useCaseId: spec.id,
    ...(options.since === undefined ? {} : { since: options.since }),
    ...(options.until === undefined ? {} : { until: options.until }),
  };
  const { totals } = await store.summarizeRequests(filter);
  const model = await readModelSource(options.modelDir ?? useCase.paths.model);
  const data = await readDataFiles(useCase);
  const log = { totals, note: describeLog(totals, options.since, options.until) };

  const llmUnreachable = llmWasUnreachable(totals, spec.routing, spec.llm !== undefined);
  const traffic = gatherTrafficShares(figures, log, spec.routing, validationCoverage(model), llmUnreachable);
  const tokens = await gatherTokensPerCall(figures, log, { store, filter, useCase, dataTexts: data.texts });
  const prices = gatherPrices(figures, useCase);
  const throughputPerSec =
    figures.given("throughputPerSec", "requests/s") ??
    (await measureThroughput(model, data.texts, options.measureThroughput));
  const trainSeconds = gatherTrainSeconds(figures, model);
  const teacherCostUsd = figures.given("teacherCostUsd", "USD") ?? (await teacherCost(options.distillReport));
  const labelledItems = gatherLabelledItems(figures, data, await findGeneratedExamples(useCase, data));
  const requestsPerMonth = gatherRequestsPerMonth(totals, options, overrides);
  const targetCost = targetCostOf(figures.given("targetCostPer1kRequestsUsd", "USD per 1K requests"), spec);

  return {
    useCaseId: spec.id,
    ...tokens,
    ...prices,
    ...traffic,
    throughputPerSec,
    utilization: figures.defaultFor("utilization"),
    machineUsdPerHour: figures.defaultFor("machineUsdPerHour"),
    replicas: figures.defaultFor("replicas"),
    reviewCostUsdPerItem: figures.defaultFor("reviewCostUsdPerItem"),
    labelledItems,
    labelCostUsdPerItem: figures.defaultFor("labelCostUsdPerItem"),
    teacherCostUsd,
    trainSeconds,
    amortizeMonths: figures.defaultFor("amortizeMonths"),
    ...(requestsPerMonth === undefined ? {} : { requestsPerMonth }),
    ...(targetCost === undefined ? {} : { targetCostPer1kRequestsUsd: targetCost }),
    trafficSample: trafficSampleOf(log),
    notes: llmUnreachable
      ? [
          `The configured LLM (${spec.llm?.model ?? "llm"}) was not reached: no LLM call is logged, and the ${totals.answeredBy.review} escalated requests went to people (no API key, or the LLM was down). Both ways are priced with the LLM answering, as a deployment with its key would run: hybrid pays an LLM call for each escalation, and people answer only what either way would send them.`,
        ]
      : [],
  };
}

/** The cost target: given with a flag, else usecase.yaml's `targets.costPer1kRequestsUsd`, else none. */
function targetCostOf(given: TcoInput | undefined, spec: LoadedUseCase["spec"]): TcoInput | undefined {
  if (given !== undefined) return given;
  const configured = spec.targets?.costPer1kRequestsUsd;
  return configured === undefined
    ? undefined
    : {
        value: configured,
        unit: "USD per 1K requests",
        source: "configured",
        note: "usecase.yaml targets.costPer1kRequestsUsd",
      };
}
