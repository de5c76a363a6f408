// `node --import tsx bench/cache.ts`: memory-cache lookup latency at 10,000 entries in one scope, exact and
// semantic, beside a bare Map.get measured the same way. Vectors are real: a native model trained on
// banking77 (dimension 77) embeds its train+valid texts (stored) and its test texts (asked), so the semantic
// rows also show how often unseen questions hit and how often such a hit carries the right label. Without
// the dataset, or with --synthetic, random unit vectors stand in (a result kept under bench/results/local/).
// Writes bench/results/cache.json. It prints figures; it never asserts timings.
//
// Usage: node --import tsx bench/cache.ts [--data ../shared/datasets/banking77] [--synthetic]
//        [--entries 10000] [--lookups 20000] [--threshold 0.95] [--seed 42]

import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createMemoryCache } from "../src/cache/memory-cache.js";
import type { CachedAnswer, CacheStats } from "../src/cache/types.js";
import { readClassificationData } from "../src/data/io.js";
import { createRandom, type Random } from "../src/internal/random.js";
import type { LabeledExample } from "../src/types.js";
import { startBenchRun } from "./provenance.js";

const { values } = parseArgs({
  options: {
    data: { type: "string", default: "../shared/datasets/banking77" },
    synthetic: { type: "boolean", default: false },
    entries: { type: "string", default: "10000" },
    lookups: { type: "string", default: "20000" },
    threshold: { type: "string", default: "0.95" },
    seed: { type: "string", default: "42" },
  },
});
const entries = Number(values.entries);
const lookups = Number(values.lookups);
const threshold = Number(values.threshold);
const seed = Number(values.seed);
const random = createRandom(seed);
const scope = "banking77:tenant";

interface Workload {
  source: string;
  /** Stored texts with their labels and vectors. */
  stored: LabeledExample[];
  storedVectors: Float32Array[];
  /** Unseen questions with their gold labels and vectors, for the semantic rows. */
  asked: LabeledExample[];
  askedVectors: Float32Array[];
  /** The model's own label for a text, to compare semantic hits with what the model would have answered. */
  predict?: (text: string) => string;
}

async function banking77Workload(dir: string): Promise<Workload> {
  const { trainClassifier } = await import("../src/train/train-classifier.js");
  const train = await readClassificationData(join(dir, "train.jsonl"));
  const valid = await readClassificationData(join(dir, "valid.jsonl"));
  const test = await readClassificationData(join(dir, "test.jsonl"));
  const started = performance.now();
  const { model } = await trainClassifier(train, { valid, seed });
  const trainSeconds = (performance.now() - started) / 1000;
  const stored = [...train, ...valid].slice(0, entries);
  return {
    source: `banking77 model (${model.labels.length} labels, trained in ${trainSeconds.toFixed(1)} s): ${stored.length} train+valid texts stored, ${test.length} test texts asked`,
    stored,
    storedVectors: model.embed(stored.map((example) => example.text)),
    asked: test,
    askedVectors: model.embed(test.map((example) => example.text)),
    predict: (text) => model.predictSync([text])[0]?.label ?? "",
  };
}

/** Random unit vectors of dimension 77, each question a slightly moved stored vector (cosine about 0.98). */
function syntheticWorkload(): Workload {
  const dimension = 77;
  const unitVector = (source: Random): Float32Array => {
    const vector = Float32Array.from(
      { length: dimension },
      () => source.next() + source.next() + source.next() - 1.5,
    );
    const norm = Math.hypot(...vector);
    return vector.map((value) => value / norm);
  };
  const stored = Array.from({ length: entries }, (_, index) => ({
    text: `question number R${index}`,
    label: "x",
  }));
  const storedVectors = stored.map(() => unitVector(random));
  const picks = Array.from({ length: 3_000 }, () => random.int(entries));
  return {
    source: `random unit vectors of dimension ${dimension}: ${entries} stored, ${picks.length} near-duplicates asked`,
    stored,
    storedVectors,
    asked: picks.map((index) => ({ text: `please, question number R${index}`, label: "x" })),
    askedVectors: picks.map((index) => {
      const noise = unitVector(random);
      const moved = Float32Array.from(
        storedVectors[index] as Float32Array,
        (value, at) => value + 0.2 * (noise[at] as number),
      );
      const norm = Math.hypot(...moved);
      return moved.map((value) => value / norm);
    }),
  };
}

interface Figures {
  p50: number;
  p99: number;
  mean: number;
}

/** Per-call latency in microseconds, timed one call at a time with the same harness for every row. */
async function measure(count: number, call: (index: number) => unknown): Promise<Figures> {
  for (let index = 0; index < Math.min(count, 2_000); index++) await call(index);
  const samples = new Float64Array(count);
  for (let index = 0; index < count; index++) {
    const started = process.hrtime.bigint();
    await call(index);
    samples[index] = Number(process.hrtime.bigint() - started) / 1_000;
  }
  samples.sort();
  const at = (quantile: number): number =>
    samples[Math.min(count - 1, Math.floor(quantile * count))] as number;
  return { p50: at(0.5), p99: at(0.99), mean: samples.reduce((sum, value) => sum + value, 0) / count };
}

const useDataset = !values.synthetic && existsSync(join(values.data, "train.jsonl"));
const run = startBenchRun({
  name: "cache",
  ...(useDataset
    ? {}
    : { partial: values.synthetic ? "--synthetic" : `no dataset at ${values.data}: random vectors` }),
});
const workload = useDataset ? await banking77Workload(values.data) : syntheticWorkload();
const cache = createMemoryCache({ maxEntriesPerScope: entries, semanticThreshold: threshold });
const answers = new Map<string, CachedAnswer>();
const answerOf = (label: string): CachedAnswer => {
  const known = answers.get(label);
  if (known !== undefined) return known;
  const answer: CachedAnswer = { label, confidence: 0.97, answeredBy: "slm" };
  answers.set(label, answer);
  return answer;
};
const stored = workload.stored;
const setStarted = performance.now();
for (const [index, example] of stored.entries()) {
  await cache.set(scope, example.text, answerOf(example.label), workload.storedVectors[index]);
}
const setMicroseconds = ((performance.now() - setStarted) * 1000) / stored.length;

const baseline = new Map(stored.map((example) => [example.text, answerOf(example.label)]));
const pick = Int32Array.from({ length: lookups }, () => random.int(stored.length));
const storedText = (index: number): string => (stored[pick[index] as number] as LabeledExample).text;
const asked = workload.asked;
const askedText = (index: number): string => (asked[index % asked.length] as LabeledExample).text;
const askedVector = (index: number): Float32Array =>
  workload.askedVectors[index % asked.length] as Float32Array;

const rows: [string, Figures][] = [];
const before = (): CacheStats => cache.stats();
rows.push(["Map.get (baseline)", await measure(lookups, (index) => baseline.get(storedText(index)))]);
rows.push(["exact hit", await measure(lookups, (index) => cache.get(scope, storedText(index)))]);
rows.push(["exact miss, no vector", await measure(lookups, (index) => cache.get(scope, askedText(index)))]);
const semanticBefore = before();
rows.push([
  "semantic lookup (hit or miss)",
  await measure(lookups, (index) => cache.get(scope, askedText(index), askedVector(index))),
]);
const semanticAfter = before();

// Hit rate and label agreement of semantic hits, one pass over the unseen questions.
let hits = 0;
let agreeing = 0;
let exact = 0;
let modelAgreeing = 0;
for (const [index, example] of asked.entries()) {
  const hit = await cache.get(scope, example.text, workload.askedVectors[index]);
  if (hit === undefined) continue;
  if (hit.kind === "exact") exact++;
  else hits++;
  if (hit.answer.label === example.label) agreeing++;
  if (workload.predict?.(example.text) === example.label) modelAgreeing++;
}

const base = rows[0]?.[1].p50 ?? 1;
console.log(
  `memory cache, one scope of ${stored.length.toLocaleString("en")} entries, semantic threshold ${threshold}`,
);
console.log(`vectors: ${workload.source}`);
console.log(
  `${lookups.toLocaleString("en")} lookups per row, µs per call (timer included); fill ${setMicroseconds.toFixed(1)} µs per set`,
);
console.log("");
console.log(
  `${"lookup".padEnd(32)}${"p50".padStart(10)}${"p99".padStart(10)}${"mean".padStart(10)}${"p50 / Map.get".padStart(16)}${"p99 / Map.get".padStart(16)}`,
);
for (const [name, figures] of rows) {
  console.log(
    `${name.padEnd(32)}${figures.p50.toFixed(2).padStart(10)}${figures.p99.toFixed(2).padStart(10)}` +
      `${figures.mean.toFixed(2).padStart(10)}${`${(figures.p50 / base).toFixed(0)}×`.padStart(16)}` +
      `${`${(figures.p99 / (rows[0]?.[1].p99 ?? 1)).toFixed(0)}×`.padStart(16)}`,
  );
}
console.log("");
const semanticLookups =
  semanticAfter.semanticHits + semanticAfter.misses - semanticBefore.semanticHits - semanticBefore.misses;
console.log(
  `semantic row: ${semanticAfter.semanticHits - semanticBefore.semanticHits} of ${semanticLookups} lookups hit; ` +
    `${semanticAfter.guardRejections - semanticBefore.guardRejections} candidates refused by the guards`,
);
console.log(
  `unseen questions: ${hits} semantic hits and ${exact} exact of ${asked.length} (${((100 * (hits + exact)) / asked.length).toFixed(1)}%); ` +
    `label agrees with the gold label on ${agreeing} of them (${((100 * agreeing) / Math.max(1, hits + exact)).toFixed(1)}%)`,
);
if (workload.predict !== undefined) {
  console.log(
    `the model itself labels those same questions right ${modelAgreeing} times ` +
      `(${((100 * modelAgreeing) / Math.max(1, hits + exact)).toFixed(1)}%)`,
  );
}
const vectorMemoryBytes = stored.length * (workload.storedVectors[0]?.length ?? 0) * 4;
console.log(`vector memory of a full scope: ${(vectorMemoryBytes / 1e6).toFixed(1)} MB`);

await run.write({
  options: { entries, lookups, threshold, seed, data: useDataset ? values.data : null },
  vectors: workload.source,
  setMicroseconds,
  units: { latency: "microseconds per call, timer included" },
  lookupsMicroseconds: Object.fromEntries(rows),
  semanticRow: {
    lookups: semanticLookups,
    hits: semanticAfter.semanticHits - semanticBefore.semanticHits,
    guardRejections: semanticAfter.guardRejections - semanticBefore.guardRejections,
  },
  unseenQuestions: {
    asked: asked.length,
    semanticHits: hits,
    exactHits: exact,
    hitsWithGoldLabel: agreeing,
    modelRightOnHits: workload.predict === undefined ? null : modelAgreeing,
  },
  vectorMemoryBytes,
});
