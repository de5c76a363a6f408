// TCO inputs about the LLM: tokens per call (from the log, else estimated from the prompt) and its prices.

import { SlmkitError } from "../../errors.js";
import { systemPrompt } from "../../models/openai/openai-labeler.js";
import type { LoadedUseCase } from "../../spec/load.js";
import type { Store } from "../../store/types.js";
import { tcoDefaults } from "../defaults.js";
import type { TcoInput } from "../types.js";
import type { FigurePicker } from "./figures.js";
import type { LogSummary } from "./request-log.js";

/** Log rows read to estimate the input length when no LLM call was logged. */
const inputLengthRows = 1000;

/** Where an estimate of the tokens per call reads input lengths from. */
export interface TokenEstimateSources {
  store: Pick<Store, "listRequests">;
  /** The log range the totals were read over. */
  filter: { useCaseId: string; since?: number; until?: number };
  useCase: LoadedUseCase;
  /** Texts of the use case's data files, when the log has none. */
  dataTexts: readonly string[];
}

/** Tokens per LLM call: measured when the log has calls, else estimated from input length and the prompt. */
export async function gatherTokensPerCall(
  figures: FigurePicker,
  log: LogSummary,
  sources: TokenEstimateSources,
): Promise<{ llmInputTokensPerCall: TcoInput; llmOutputTokensPerCall: TcoInput }> {
  const { totals, note: logNote } = log;
  const estimate = totals.llmCalls > 0 ? undefined : await estimateTokens(sources);
  const llmInputTokensPerCall = figures.pick("llmInputTokensPerCall", "tokens", () =>
    estimate === undefined
      ? {
          value: totals.inputTokens / totals.llmCalls,
          unit: "tokens",
          source: "measured",
          note: `${totals.inputTokens} input tokens / ${totals.llmCalls} LLM calls; ${logNote}`,
        }
      : estimate.input,
  );
  const llmOutputTokensPerCall = figures.pick("llmOutputTokensPerCall", "tokens", () =>
    estimate === undefined
      ? {
          value: totals.outputTokens / totals.llmCalls,
          unit: "tokens",
          source: "measured",
          note: `${totals.outputTokens} output tokens / ${totals.llmCalls} LLM calls; ${logNote}`,
        }
      : estimate.output,
  );
  return { llmInputTokensPerCall, llmOutputTokensPerCall };
}

/**
 * The LLM's prices from usecase.yaml's `llm`. Throws INVALID_OPTION when one is neither there nor given: a cost
 * report must not assume the LLM is free.
 */
export function gatherPrices(
  figures: FigurePicker,
  useCase: LoadedUseCase,
): { llmPricePer1kInputUsd: TcoInput; llmPricePer1kOutputUsd: TcoInput } {
  const llm = useCase.spec.llm;
  const price = (name: "llmPricePer1kInputUsd" | "llmPricePer1kOutputUsd", configured: number | undefined) =>
    figures.pick(name, "USD per 1K tokens", () => {
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
  return { llmPricePer1kInputUsd, llmPricePer1kOutputUsd };
}

/**
 * Tokens of one LLM call when none was logged: the system prompt the labeler sends (labels and their
 * descriptions) and the input, at about 4 characters a token, plus the chat format's overhead; the reply is
 * one label name and an end token.
 */
async function estimateTokens(sources: TokenEstimateSources): Promise<{ input: TcoInput; output: TcoInput }> {
  const spec = sources.useCase.spec;
  const rows = await sources.store.listRequests({ ...sources.filter, limit: inputLengthRows });
  const loggedLengths = rows
    .map((row) => row.inputChars ?? row.inputText?.length ?? null)
    .filter((length): length is number => length !== null);
  const lengths = loggedLengths.length > 0 ? loggedLengths : sources.dataTexts.map((text) => text.length);
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

function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}
