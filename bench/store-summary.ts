// `node --import tsx bench/store-summary.ts`: how long the Store's range reads take on a week of traffic
// (100,000 log rows by default, with feedback, shadow results and review items beside them), on a temporary
// SQLite file and, when it answers, on Postgres in a schema of its own (dropped at the end). Each figure is
// set beside a bare `COUNT(*)` over the same rows, the least any read of them can cost. Writes
// bench/results/store-summary.json (under local/ when Postgres was skipped or the sizes are not the defaults).
// It prints figures; it never asserts timings.
//
// Usage: node --import tsx bench/store-summary.ts [--rows 100000] [--days 7] [--repeat 9] [--seed 42]
//        [--skip-postgres] [--postgres-url postgres://postgres@127.0.0.1:5432/test]

import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { createRandom } from "../src/internal/random.js";
import { createPostgresStore } from "../src/store/postgres-store.js";
import { createSqliteStore } from "../src/store/sqlite-store.js";
import type { RequestLogEntry, ShadowOutcome, Store } from "../src/store/types.js";
import type { AnsweredBy } from "../src/types.js";
import { startBenchRun } from "./provenance.js";

const defaults = { rows: "100000", days: "7", repeat: "9" };
const { values } = parseArgs({
  options: {
    rows: { type: "string", default: defaults.rows },
    days: { type: "string", default: defaults.days },
    repeat: { type: "string", default: defaults.repeat },
    seed: { type: "string", default: "42" },
    "skip-postgres": { type: "boolean", default: false },
    "postgres-url": { type: "string", default: "postgres://postgres@127.0.0.1:5432/test" },
  },
});
const rows = Number(values.rows);
const days = Number(values.days);
const repeat = Number(values.repeat);
const seed = Number(values.seed);
const hour = 3_600_000;
const day = 24 * hour;
// The newest row is an hour before `end`, so the last day's range holds a full day of rows.
const end = Math.floor(Date.now() / hour) * hour;
const start = end - days * day;
const useCaseId = "support";
const labels = ["shipping", "billing", "refund", "account", "other"];

interface Workload {
  entries: RequestLogEntry[];
  feedback: { requestId: string; correct: string; createdAt: number }[];
  shadow: { requestId: string; slmLabel: string; outcome: ShadowOutcome; createdAt: number }[];
  review: { requestId: string; inputText: string }[];
}

/** A week of plausible traffic: mostly the small model, some cache hits, LLM escalations and reviews. */
function workload(): Workload {
  const random = createRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[random.int(items.length)] as T;
  const entries: RequestLogEntry[] = [];
  const feedback: Workload["feedback"] = [];
  const shadow: Workload["shadow"] = [];
  const review: Workload["review"] = [];
  // Rows reach the log in time order, as a gateway writes them: the table's order follows `created_at`.
  const times = Array.from({ length: rows }, () => start + Math.floor(random.next() * (days * day - hour)));
  times.sort((a, b) => a - b);
  for (let index = 0; index < rows; index += 1) {
    const draw = random.next();
    const answeredBy: AnsweredBy =
      draw < 0.8 ? "slm" : draw < 0.85 ? "cache" : draw < 0.97 ? "llm" : "review";
    const createdAt = times[index] as number;
    const slmLabel = pick(labels);
    const label = answeredBy === "review" ? null : answeredBy === "llm" ? pick(labels) : slmLabel;
    const asksLlm = answeredBy === "llm" || answeredBy === "review";
    // Small-model latencies around a millisecond, LLM ones around a second, both with a long tail.
    const latencyMs = (asksLlm ? 600 : 0.5) * Math.exp(random.next() * 1.5) * (random.next() < 0.02 ? 5 : 1);
    const text = `customer message ${index}`;
    const entry: RequestLogEntry = {
      id: randomUUID(),
      useCaseId,
      apiKeyId: "abcdefghijkl",
      createdAt,
      inputHash: `hash-${index}`,
      inputText: random.next() < 0.5 ? text : null,
      answeredBy,
      reason: asksLlm ? "confidence 0.41 < threshold 0.79" : "confidence 0.93 >= threshold 0.79",
      label,
      confidence: asksLlm ? 0.41 : 0.93,
      threshold: 0.79,
      slmLabel,
      slmConfidence: asksLlm ? 0.41 : 0.93,
      llmLabel: answeredBy === "llm" ? label : null,
      latencyMs,
      inputTokens: asksLlm ? 120 + random.int(200) : 0,
      outputTokens: asksLlm ? 3 : 0,
      costUsd: asksLlm ? 0.0002 + random.next() * 0.0004 : 0,
      modelVersion: "sha256:0123abcd",
      unknownShare: random.next() * 0.3,
      inputChars: text.length,
    };
    entries.push(entry);
    if (random.next() < 0.02) {
      feedback.push({
        requestId: entry.id,
        correct: random.next() < 0.9 && label !== null ? label : pick(labels),
        createdAt: createdAt + 60_000,
      });
    }
    if (answeredBy === "slm" && random.next() < 0.05) {
      const outcome: ShadowOutcome = random.next() < 0.9 ? "agreed" : pick(["disagreed", "unsure", "failed"]);
      shadow.push({ requestId: entry.id, slmLabel, outcome, createdAt: createdAt + 1_000 });
    }
    if (answeredBy === "review" && random.next() < 0.3) review.push({ requestId: entry.id, inputText: text });
  }
  return { entries, feedback, shadow, review };
}

/** Runs `items` through `work`, `concurrency` at a time (one at a time costs Postgres a round trip each). */
async function each<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<unknown>) {
  for (let index = 0; index < items.length; index += concurrency) {
    await Promise.all(items.slice(index, index + concurrency).map(work));
  }
}

async function fill(store: Store, data: Workload): Promise<number> {
  const started = performance.now();
  for (const entry of data.entries) store.logRequest(entry);
  await store.flush(600_000);
  await each(data.feedback, 20, (item) => store.addFeedback({ ...item, source: "user" }));
  await each(data.shadow, 20, (item) =>
    store.addShadowResult({ ...item, useCaseId, llmLabel: item.slmLabel, modelVersion: "sha256:0123abcd" }),
  );
  await each(data.review, 20, (item) =>
    store.enqueueReview({
      ...item,
      useCaseId,
      slmLabel: null,
      slmConfidence: null,
      llmLabel: null,
      reason: "llm timed out",
    }),
  );
  return (performance.now() - started) / 1_000;
}

interface Timing {
  median: number;
  min: number;
  /** Median CPU time of this process: for SQLite, which works in-process, the work itself, less affected by
   * other load on the machine than the wall time; for Postgres only the client's share. */
  cpu: number;
}

/** Median and best of `repeat` runs after one warm-up (statements prepared, pages cached). */
async function time(work: () => Promise<unknown>): Promise<Timing> {
  await work();
  const samples: number[] = [];
  const cpuSamples: number[] = [];
  for (let run = 0; run < repeat; run += 1) {
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    await work();
    samples.push(performance.now() - started);
    const cpu = process.cpuUsage(cpuStarted);
    cpuSamples.push((cpu.user + cpu.system) / 1_000);
  }
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
  return { median: median(samples), min: Math.min(...samples), cpu: median(cpuSamples) };
}

interface OperationFigures {
  operation: string;
  medianMs: number;
  bestMs: number;
  cpuMs: number;
  countMedianMs: number;
  /** median / COUNT(*)'s median. */
  ratio: number;
}

interface StoreFigures {
  store: string;
  rows: number;
  lastDayRows: number;
  fillSeconds: number;
  operations: OperationFigures[];
}

async function measure(
  name: string,
  store: Store,
  data: Workload,
  afterFill?: () => Promise<void>,
): Promise<StoreFigures> {
  await store.migrate();
  const fillSeconds = await fill(store, data);
  await afterFill?.();
  const lastDay = { useCaseId, since: end - day, until: end };
  const week = { useCaseId, since: start, until: end };
  const dayRows = await store.countRequests({ useCaseId, since: end - day });
  const weekRows = await store.countRequests({ useCaseId, since: start });
  const weekSummary = await store.summarizeRequests(week);
  console.log(
    `\n${name}: ${weekRows.toLocaleString("en")} rows over ${days} days (${dayRows.toLocaleString("en")} in the last 24 h), ` +
      `${data.feedback.length} feedback, ${data.shadow.length} shadow results, ${data.review.length} review items; ` +
      `filled in ${fillSeconds.toFixed(1)} s`,
  );
  console.log(
    `  week summary: ${weekSummary.buckets.length} buckets, p50/p95/p99 latency ` +
      `${weekSummary.totals.latencyMs?.p50.toFixed(2)}/${weekSummary.totals.latencyMs?.p95.toFixed(1)}/` +
      `${weekSummary.totals.latencyMs?.p99.toFixed(1)} ms, feedback ${weekSummary.totals.feedback.correct}/` +
      `${weekSummary.totals.feedback.n} right, shadow agreed ${weekSummary.totals.shadow.agreed}`,
  );
  // The baseline: COUNT(*) over the same rows through the same store (an index range scan, nothing read).
  const cases: [string, () => Promise<unknown>, () => Promise<unknown>][] = [
    [
      "summarizeRequests, 24 h, hourly",
      () => store.summarizeRequests(lastDay),
      () => store.countRequests({ useCaseId, since: end - day }),
    ],
    [
      `summarizeRequests, ${days} d, hourly`,
      () => store.summarizeRequests(week),
      () => store.countRequests({ useCaseId, since: start }),
    ],
    [
      `summarizeRequests, ${days} d, daily`,
      () => store.summarizeRequests({ ...week, bucketMs: day }),
      () => store.countRequests({ useCaseId, since: start }),
    ],
    [
      "listRequests, limit 1,000",
      () => store.listRequests({ ...week, limit: 1_000 }),
      () => store.countRequests({ useCaseId, since: start }),
    ],
    [
      `listLabelledRequests, ${days} d`,
      () => store.listLabelledRequests(week),
      () => store.countRequests({ useCaseId, since: start }),
    ],
  ];
  console.log(
    `  ${"operation".padEnd(36)}${"median ms".padStart(11)}${"best ms".padStart(10)}${"cpu ms".padStart(9)}` +
      `${"COUNT(*) ms".padStart(13)}${"ratio".padStart(9)}`,
  );
  const operations: OperationFigures[] = [];
  for (const [operation, work, baseline] of cases) {
    const measured = await time(work);
    const counted = await time(baseline);
    const ratio = measured.median / counted.median;
    operations.push({
      operation,
      medianMs: measured.median,
      bestMs: measured.min,
      cpuMs: measured.cpu,
      countMedianMs: counted.median,
      ratio,
    });
    console.log(
      `  ${operation.padEnd(36)}${measured.median.toFixed(1).padStart(11)}${measured.min.toFixed(1).padStart(10)}` +
        `${measured.cpu.toFixed(1).padStart(9)}` +
        `${counted.median.toFixed(2).padStart(13)}${`${ratio.toFixed(ratio < 10 ? 1 : 0)}×`.padStart(9)}`,
    );
  }
  return { store: name, rows: weekRows, lastDayRows: dayRows, fillSeconds, operations };
}

async function postgresAnswers(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.query("SELECT 1");
    return undefined;
  } catch (error) {
    return (error as Error).message;
  } finally {
    await client.end().catch(() => {});
  }
}

const postgresUrl = values["postgres-url"];
const unavailable = values["skip-postgres"] ? "--skip-postgres" : await postgresAnswers(postgresUrl);
// Without Postgres, or at other sizes, the result is not the README's: it is kept under local/.
const partial = [
  ...(["rows", "days", "repeat"] as const)
    .filter((name) => values[name] !== defaults[name])
    .map((name) => `--${name} ${values[name]}`),
  ...(unavailable === undefined ? [] : [`Postgres skipped: ${unavailable}`]),
];
const run = startBenchRun({
  name: "store-summary",
  ...(partial.length === 0 ? {} : { partial: partial.join("; ") }),
});
const stores: StoreFigures[] = [];
console.log(
  `store-summary bench: ${rows.toLocaleString("en")} rows over ${days} days, seed ${seed}, ` +
    `median and best of ${repeat} runs after a warm-up; node ${process.version}, ${cpus().length} CPUs, ` +
    `load average ${loadavg()
      .map((value) => value.toFixed(1))
      .join(" ")} (other work on the machine slows every figure alike)`,
);
const data = workload();

const directory = mkdtempSync(join(tmpdir(), "slmkit-bench-store-"));
try {
  const sqlite = createSqliteStore({
    path: join(directory, "store.db"),
    batchSize: 5_000,
    maxQueuedWrites: rows + 5_000,
  });
  try {
    stores.push(await measure("SQLite (WAL, temp file)", sqlite, data));
  } finally {
    await sqlite.close();
  }
} finally {
  rmSync(directory, { recursive: true, force: true });
}

if (unavailable !== undefined) {
  console.log(`\nPostgres skipped (${unavailable}).`);
} else {
  const schema = `slmkit_bench_${process.pid}_${Date.now().toString(36)}`;
  const postgres = createPostgresStore({
    connectionString: postgresUrl,
    schema,
    batchSize: 5_000,
    maxQueuedWrites: rows + 5_000,
    queryTimeoutMs: 120_000,
  });
  try {
    // Autovacuum analyzes a table within a minute or so of a bulk load; before that the planner, blind to
    // the row counts, joins the range's 100,000 requests to feedback by index probes, 5x slower.
    const postgresFigures = await measure(`Postgres (analyzed)`, postgres, data, async () => {
      const client = new pg.Client({ connectionString: postgresUrl });
      await client.connect();
      try {
        await client.query(`ANALYZE "${schema}".requests, "${schema}".feedback, "${schema}".shadow_results`);
      } finally {
        await client.end();
      }
    });
    stores.push(postgresFigures);
  } finally {
    await postgres.close();
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  }
}

await run.write({
  options: { rows, days, repeat, seed },
  postgres: { skipped: unavailable ?? null },
  units: { time: "milliseconds, median and best of `repeat` runs after a warm-up; cpu = this process's" },
  stores,
});
