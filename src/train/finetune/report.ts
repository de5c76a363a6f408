// The report of a finished fine-tuning job: the model reference, the job's figures and its cost record for the TCO.

import type { FineTuningJobInfo } from "../../models/openai/jobs-api.js";
import type { FineTuneState } from "./state.js";

/**
 * US dollars per 1M trained tokens assumed when none is given: OpenAI's list price for fine-tuning gpt-4o-mini
 * (2025). Other base models cost more (gpt-4.1-mini $5, gpt-4o and gpt-4.1 $25 per 1M), and Azure OpenAI bills
 * training per 1K tokens and a hosted fine-tuned deployment per hour: pass the price of yours.
 */
export const defaultPricePer1mTrainedTokensUsd = 3;

/** What the fine-tuning cost, for the cost of ownership: a one-off cost, as a teacher's labels are. */
export interface FineTuneCostRecord {
  /** Billable tokens the job trained on (every epoch), as the job reports them; 0 when it reported none. */
  trainedTokens: number;
  /** "job": the job's `trained_tokens`; "none": it reported none (a job that failed or was cancelled early). */
  trainedTokensSource: "job" | "none";
  /** slmkit's estimate of one epoch of the training file (~4 characters a token), for a cost before the job ends. */
  estimatedTokensPerEpoch: number;
  pricePer1mTrainedTokensUsd: number;
  priceSource: "configured" | "assumed";
  priceNote: string;
  /** trainedTokens / 1,000,000 × pricePer1mTrainedTokensUsd. */
  trainingCostUsd: number;
  /** What the figure leaves out. */
  note: string;
}

/** `<usecase dir>/.slmkit/finetune-report.json`. */
export interface FineTuneReport {
  kind: "slmkit-finetune-report";
  formatVersion: 1;
  usecase: string;
  createdAt: string;
  provider: "openai" | "azure";
  baseUrl: string;
  base: string;
  suffix: string | null;
  jobId: string;
  status: "succeeded" | "failed" | "cancelled";
  fineTunedModel: string | null;
  /** `openai:<fine-tuned model>@<baseUrl>`: give it to `slmkit baseline --models` (and, in time, `routing.tiers`). */
  reference: string | null;
  error: { code: string; message: string; param: string | null } | null;
  files: {
    train: { id: string; examples: number; bytes: number } | null;
    valid: { id: string; examples: number; bytes: number } | null;
  };
  /** As the job reports them (the service's choice where slmkit set none). */
  hyperparameters: FineTuningJobInfo["hyperparameters"];
  /** When the job was created and finished (ISO 8601), and the seconds between. */
  startedAt: string;
  finishedAt: string | null;
  seconds: number | null;
  cost: FineTuneCostRecord;
  /** Things a reader should know, e.g. that an Azure model must be deployed before it answers. */
  notes: string[];
}

export interface ReportSettings {
  /** US dollars per 1M trained tokens; undefined: `defaultPricePer1mTrainedTokensUsd`, marked assumed. */
  pricePer1mTrainedTokensUsd: number | undefined;
}

/** The report of a job that reached a final status, from the job and the run's state. */
export function buildFineTuneReport(
  state: FineTuneState,
  job: FineTuningJobInfo,
  settings: ReportSettings,
): FineTuneReport {
  const status = job.status as FineTuneReport["status"];
  const file = (uploaded: FineTuneState["files"]["train"]) =>
    uploaded === null ? null : { id: uploaded.id, examples: uploaded.examples, bytes: uploaded.bytes };
  const notes: string[] = [];
  if (state.provider === "azure" && status === "succeeded") {
    notes.push(
      "Azure OpenAI serves a fine-tuned model only once it is deployed (portal, CLI or ARM): name the deployment in the reference, openai:<deployment>@<baseUrl>.",
    );
  }
  return {
    kind: "slmkit-finetune-report",
    formatVersion: 1,
    usecase: state.usecase,
    createdAt: new Date().toISOString(),
    provider: state.provider,
    baseUrl: state.baseUrl,
    base: state.base,
    suffix: state.suffix,
    jobId: job.id,
    status,
    fineTunedModel: job.fineTunedModel,
    reference: state.reference,
    error: job.error,
    files: { train: file(state.files.train), valid: file(state.files.valid) },
    hyperparameters: job.hyperparameters,
    startedAt: new Date(job.createdAt * 1000).toISOString(),
    finishedAt: job.finishedAt === null ? null : new Date(job.finishedAt * 1000).toISOString(),
    seconds: job.finishedAt === null ? null : Math.max(0, job.finishedAt - job.createdAt),
    cost: costRecord(job.trainedTokens, state.estimatedTokensPerEpoch, settings),
    notes,
  };
}

/** The cost record of `trainedTokens` at the configured price, or the assumed one. */
export function costRecord(
  trainedTokens: number | null,
  estimatedTokensPerEpoch: number,
  settings: ReportSettings,
): FineTuneCostRecord {
  const configured = settings.pricePer1mTrainedTokensUsd;
  const price = configured ?? defaultPricePer1mTrainedTokensUsd;
  const tokens = trainedTokens ?? 0;
  return {
    trainedTokens: tokens,
    trainedTokensSource: trainedTokens === null ? "none" : "job",
    estimatedTokensPerEpoch,
    pricePer1mTrainedTokensUsd: price,
    priceSource: configured === undefined ? "assumed" : "configured",
    priceNote:
      configured === undefined
        ? "OpenAI's list price for fine-tuning gpt-4o-mini ($3.00 per 1M training tokens); other base models and Azure differ: --price-per-1m-trained-tokens"
        : "--price-per-1m-trained-tokens",
    trainingCostUsd: Math.round((tokens / 1_000_000) * price * 1e6) / 1e6,
    note: "a one-off cost; serving the fine-tuned model (its per-token prices, or an Azure deployment's hosting per hour) is not included",
  };
}
