// `node --import tsx bench/router.ts`: the router's own overhead per request, in process, next to the bare model
// call it wraps: the slm path (with and without micro-batching, with the memory cache), a cache hit, an
// escalation to an in-process LLM stub, and a burst of concurrent requests. Writes bench/results/router.json.
// Prints figures; never asserts.

import { createMemoryCache } from "../src/cache/memory-cache.js";
import { percentiles } from "../src/eval/latency.js";
import type { LlmLabeler } from "../src/models/llm.js";
import { createOpenAiLabeler } from "../src/models/openai/openai-labeler.js";
import { createRouter, type RouterStore } from "../src/route/router.js";
import { generateSupportData, supportTemplate } from "../src/spec/index.js";
import { validateUseCase } from "../src/spec/validate.js";
import { createSqliteStore } from "../src/store/sqlite-store.js";
import { trainClassifier } from "../src/train/train-classifier.js";
import { answer, startFakeOpenAi } from "../test/helpers/fake-openai.js";
import { startBenchRun } from "./provenance.js";

const run = startBenchRun({ name: "router" });
const iterations = 20_000;
const warmup = 2_000;

const useCase = validateUseCase(supportTemplate.spec);
const { model } = await trainClassifier(generateSupportData({ seed: 1 }), { seed: 1 });
const texts = generateSupportData({ seed: 5, perLabel: 40 }).map((example) => example.text);
const accepted = texts.filter((text) => model.predictDetailed(text).confidence >= model.threshold);
const escalated = texts.filter((text) => model.predictDetailed(text).confidence < model.threshold);

/** A store whose writes cost nothing: isolates the router from the store's own queue. */
const nullStore: RouterStore = {
  logRequest() {},
  async enqueueReview(item) {
    return { ...item, id: "r", status: "open", resolution: null, createdAt: 0, resolvedAt: null };
  },
  async addSpend() {},
  async getSpend() {
    return 0;
  },
};

/** An LLM that answers at once, so the figure is the escalation machinery alone (redaction, budget, breaker). */
const instantLlm: LlmLabeler = {
  model: "stub",
  async classify() {
    return {
      label: "order_status",
      confidence: 1,
      raw: "order_status",
      inputTokens: 50,
      outputTokens: 5,
      costUsd: 0,
      latencyMs: 0,
    };
  },
};

/** Each timed row's microseconds, by name, for the results file. */
const rows: Record<string, { p50: number; p95: number; p99: number; calls: number }> = {};

async function time(
  name: string,
  pool: readonly string[],
  call: (text: string) => unknown,
  count = iterations,
): Promise<number> {
  for (let index = 0; index < Math.min(warmup, count); index++)
    await call(pool[index % pool.length] as string);
  const samples = new Float64Array(count);
  for (let index = 0; index < count; index++) {
    const started = performance.now();
    await call(pool[index % pool.length] as string);
    samples[index] = performance.now() - started;
  }
  const [p50 = 0, p95 = 0, p99 = 0] = percentiles(Array.from(samples), [50, 95, 99]);
  rows[name] = { p50: p50 * 1000, p95: p95 * 1000, p99: p99 * 1000, calls: count };
  console.log(
    `${name.padEnd(50)} p50 ${(p50 * 1000).toFixed(1).padStart(6)} µs  p95 ${(p95 * 1000).toFixed(1).padStart(6)} µs  p99 ${(p99 * 1000).toFixed(1).padStart(6)} µs`,
  );
  return p50;
}

console.log(
  `router overhead, ${iterations} sequential requests each (${accepted.length} accepted / ${escalated.length} escalated texts)\n`,
);
await time("bare model.predictSync([text])", accepted, (text) => model.predictSync([text]));
const unbatched = createRouter({ useCase, model, store: nullStore, batching: false });
await time("route, slm path, no batching", accepted, (text) =>
  unbatched.route({ useCaseId: "support", text, apiKeyId: null }),
);
const batched = createRouter({ useCase, model, store: nullStore });
await time("route, slm path, micro-batched", accepted, (text) =>
  batched.route({ useCaseId: "support", text, apiKeyId: null }),
);
const sqlite = createSqliteStore({ path: ":memory:" });
await sqlite.migrate();
const logged = createRouter({ useCase, model, store: sqlite });
await time("route, slm path, micro-batched + SQLite log", accepted, (text) =>
  logged.route({ useCaseId: "support", text, apiKeyId: null }),
);
const cache = createMemoryCache();
const cached = createRouter({ useCase, model, store: nullStore, cache });
await time("route, slm path, + memory cache (embed + miss)", accepted, (text) =>
  cached.route({ useCaseId: "support", text, apiKeyId: null }),
);
const escalatingUncached = createRouter({ useCase, model, store: nullStore, llm: instantLlm });
await time("route, llm path (instant stub LLM), no cache", escalated, (text) =>
  escalatingUncached.route({ useCaseId: "support", text, apiKeyId: "k" }),
);
// Each text is new (a counter appended), so every call escalates and the semantic index grows to its bound.
let counter = 0;
const escalating = createRouter({ useCase, model, store: nullStore, cache, llm: instantLlm });
await time("route, llm path (instant stub LLM), memory cache", escalated, (text) =>
  escalating.route({ useCaseId: "support", text: `${text} #${counter++}`, apiKeyId: "k" }),
);
await time("route, cache hit (llm answer cached)", escalated, (text) =>
  escalating.route({ useCaseId: "support", text, apiKeyId: "k" }),
);

// Escalation over HTTP: the same local chat.completions server called by the labeler alone, then through the router.
const server = await startFakeOpenAi(answer("order_status"));
const labeler = createOpenAiLabeler({ baseUrl: server.baseUrl, model: "fake", labels: useCase.labels ?? [] });
const httpCalls = 3000;
const direct = await time(
  "labeler.classify alone (local HTTP server)",
  escalated,
  (text) => labeler.classify(text),
  httpCalls,
);
const viaRouter = createRouter({ useCase, model, store: nullStore, llm: labeler });
const routed = await time(
  "route, llm path via the same server",
  escalated,
  (text) => viaRouter.route({ useCaseId: "support", text, apiKeyId: "k" }),
  httpCalls,
);
console.log(`escalation overhead (p50 difference): ${((routed - direct) * 1000).toFixed(1)} µs`);
await server.close();

// A burst: 64 requests at once, as a loaded server sees them, with and without micro-batching.
console.log("");
const bursts: Record<string, { requestsPerSec: number; meanBatch: number | null }> = {};
for (const batching of [true, false]) {
  const burst = createRouter({ useCase, model, store: nullStore, ...(batching ? {} : { batching: false }) });
  const started = performance.now();
  let burstRequests = 0;
  for (let round = 0; round < 500; round++) {
    const batch = accepted.slice(0, 64);
    await Promise.all(batch.map((text) => burst.route({ useCaseId: "support", text, apiKeyId: null })));
    burstRequests += batch.length;
  }
  const seconds = (performance.now() - started) / 1000;
  const stats = burst.stats().batcher;
  const meanBatch = stats === null ? "none" : (stats.items / stats.batches).toFixed(1);
  bursts[batching ? "microBatched" : "noBatching"] = {
    requestsPerSec: burstRequests / seconds,
    meanBatch: stats === null ? null : stats.items / stats.batches,
  };
  console.log(
    `burst of 64 concurrent, ${batching ? "micro-batched" : "no batching  "}: ${(burstRequests / seconds).toFixed(0)} req/s (mean batch ${meanBatch})`,
  );
}
await sqlite.close();
await run.write({
  iterations,
  texts: { accepted: accepted.length, escalated: escalated.length },
  units: { rows: "microseconds per sequential call" },
  rows,
  escalationOverheadMicroseconds: (routed - direct) * 1000,
  bursts,
});
