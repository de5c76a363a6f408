// Internal: runs one endpoint call per text with bounded concurrency, results in input order; tallies usage.

import type { OpenAiUsage } from "./openai-classifier-model.js";

/** What every endpoint reply reports about its cost. */
interface ReplyUsage {
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  latencyMs: number;
}

/** Running totals of an endpoint model's calls: `record` each reply, `usage` reads a copy. */
export function createUsageTally(): {
  record(reply: ReplyUsage, unsure: boolean): void;
  usage(): OpenAiUsage;
} {
  const totals: OpenAiUsage = {
    calls: 0,
    unsure: 0,
    inputTokens: 0,
    outputTokens: 0,
    costUsd: 0,
    latencyMs: 0,
  };
  return {
    record(reply, unsure) {
      totals.calls += 1;
      totals.inputTokens += reply.inputTokens;
      totals.outputTokens += reply.outputTokens;
      totals.costUsd += reply.costUsd;
      totals.latencyMs += reply.latencyMs;
      if (unsure) totals.unsure += 1;
    },
    usage: () => ({ ...totals }),
  };
}

/**
 * `call` on every item, at most `concurrency` in flight. After one failure the other workers stop taking items:
 * the batch fails anyway, so the remaining calls (paid requests) are saved. The first error is thrown.
 */
export async function mapConcurrently<Item, Result>(
  items: readonly Item[],
  concurrency: number,
  call: (item: Item) => Promise<Result>,
): Promise<Result[]> {
  const results: Result[] = new Array(items.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    for (let index = next++; index < items.length && !failed; index = next++) {
      try {
        results[index] = await call(items[index] as Item);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  const workers = Math.max(1, Math.min(Math.floor(concurrency), items.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return results;
}
