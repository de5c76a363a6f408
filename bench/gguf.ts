// GGUF classify overhead: slmkit's loadGgufModel classify vs node-llama-cpp evaluating the very same tokens
// directly (prefix cached, per-text query, label continuations, with next-token probabilities). Writes
// bench/results/gguf.json (under local/ with --model: not the tiny generated model the README quotes). Prints
// figures; never asserts timings. It imports node-llama-cpp itself on purpose: the direct path is the baseline.
//
// Usage: node --import tsx bench/gguf.ts [--model path.gguf] [--texts 40] [--rounds 5] [--threads 1]

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { ControlledEvaluateInputItem, LlamaContextSequence, Token } from "node-llama-cpp";
import { defaultGgufThreads, loadGgufModel } from "../src/models/gguf/index.js";
import { classificationPrefix, classificationQuery, labelContinuation } from "../src/models/gguf/prompt.js";
import { getSharedLlama } from "../src/models/gguf/runtime.js";
import { writeTinyGguf } from "../test/helpers/tiny-gguf.js";
import { startBenchRun } from "./provenance.js";

const { values } = parseArgs({
  options: {
    model: { type: "string" },
    texts: { type: "string", default: "40" },
    rounds: { type: "string", default: "5" },
    threads: { type: "string" },
  },
});

const labels = [
  { name: "billing", description: "invoices, charges, refunds and payment problems" },
  { name: "shipping", description: "parcels, delivery dates and tracking" },
  { name: "account", description: "log-in, passwords and profile changes" },
  { name: "technical_support", description: "the product does not work as expected" },
];
const examples = [
  { text: "I was charged twice for one order", label: "billing" },
  { text: "Where is my parcel? It has been ten days", label: "shipping" },
];
const subjects = ["invoice", "parcel", "password", "app", "refund", "delivery", "login", "screen"];
const problems = ["is wrong", "never arrived", "does not work", "was lost", "keeps failing", "is late"];

function benchTexts(count: number): string[] {
  return Array.from({ length: count }, (_, index) => {
    const subject = subjects[index % subjects.length] as string;
    const problem = problems[(index * 7) % problems.length] as string;
    return `Hello, my ${subject} ${problem} since order #${1000 + index}, what can you do?`;
  });
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

// Another model, fewer texts or rounds: not the README's figure, so the result is kept under local/.
const partial = [
  ...(values.model === undefined ? [] : [`--model ${values.model}`]),
  ...(values.texts === "40" ? [] : [`--texts ${values.texts}`]),
  ...(values.rounds === "5" ? [] : [`--rounds ${values.rounds}`]),
];
const run = startBenchRun({ name: "gguf", ...(partial.length === 0 ? {} : { partial: partial.join(" ") }) });
const textCount = Number(values.texts);
const rounds = Number(values.rounds);
const threads = values.threads === undefined ? defaultGgufThreads() : Number(values.threads);
const scratch = await mkdtemp(join(tmpdir(), "slmkit-bench-gguf-"));
const modelPath = values.model ?? join(scratch, "tiny.gguf");
if (values.model === undefined) await writeTinyGguf(modelPath, { seed: 1, contextLength: 1024 });

const texts = benchTexts(textCount);
const slmkitModel = await loadGgufModel(modelPath, { labels, examples, threads });

// The direct path: its own LlamaModel and context from the same shared runtime, same sizes and threads.
const llama = await getSharedLlama();
const rawModel = await llama.loadModel({ modelPath });
const rawContext = await rawModel.createContext({
  contextSize: slmkitModel.info.contextSize,
  sequences: 1,
  threads,
});
const sequence = rawContext.getSequence();
const bos = rawModel.tokens.bos;
const prefixText = rawModel.tokenize(classificationPrefix(labels, examples));
const prefixTokens =
  bos !== null && rawModel.tokens.shouldPrependBosToken ? [bos, ...prefixText] : prefixText;
const labelTokens = labels.map((label) => rawModel.tokenize(labelContinuation(label.name)));
// Tokenized before timing: the baseline is evaluation alone.
const queryTokens = texts.map((text) => rawModel.tokenize(classificationQuery(text)));

async function eraseFrom(target: LlamaContextSequence, start: number): Promise<void> {
  const end = target.nextTokenIndex;
  if (end > start) await target.eraseContextTokenRanges([{ start, end }]);
}

let sink = 0;
async function directOnce(query: Token[]): Promise<void> {
  await eraseFrom(sequence, prefixTokens.length);
  const input: ControlledEvaluateInputItem[] = query.slice(0, -1);
  input.push([query.at(-1) as Token, { generateNext: { probabilities: true } }]);
  const output = await sequence.controlledEvaluate(input);
  const textEnd = sequence.nextTokenIndex;
  const first = output.at(-1)?.next.probabilities;
  for (const tokens of labelTokens) {
    sink += first?.get(tokens[0] as Token) ?? 0;
    if (tokens.length > 1) {
      const continuation = await sequence.controlledEvaluate(
        tokens.slice(0, -1).map((token) => [token, { generateNext: { probabilities: true } }]),
      );
      sink += continuation.length;
      await eraseFrom(sequence, textEnd);
    }
  }
}

await sequence.controlledEvaluate(prefixTokens.slice());
// Warm both paths (first evaluations allocate buffers).
await directOnce(queryTokens[0] as Token[]);
await slmkitModel.classify(texts.slice(0, 1));

const directTimes: number[] = [];
const slmkitTimes: number[] = [];
for (let round = 0; round < rounds; round++) {
  // Interleaved rounds so drift on a noisy machine hits both paths alike.
  let started = performance.now();
  for (const query of queryTokens) await directOnce(query);
  directTimes.push((performance.now() - started) / textCount);
  started = performance.now();
  for (const text of texts) await slmkitModel.classify([text]);
  slmkitTimes.push((performance.now() - started) / textCount);
}

// The fastest round counts (as in bench/classifier.ts): on a shared machine the slower ones measure the neighbours.
const direct = Math.min(...directTimes);
const viaSlmkit = Math.min(...slmkitTimes);
const labelTokenCount = labelTokens.reduce((total, tokens) => total + Math.max(0, tokens.length - 1), 0);
const meanQueryTokens = queryTokens.reduce((total, tokens) => total + tokens.length, 0) / textCount;
const info = slmkitModel.info;
const figures = {
  model: values.model ?? "tiny generated llama (seed 1, 1 block, 32 wide)",
  threads,
  texts: textCount,
  rounds,
  tokensPerText: { query: Number(meanQueryTokens.toFixed(1)), labelContinuations: labelTokenCount },
  directMsPerText: Number(direct.toFixed(3)),
  slmkitMsPerText: Number(viaSlmkit.toFixed(3)),
  overheadPercent: Number((((viaSlmkit - direct) / direct) * 100).toFixed(1)),
  medianOverheadPercent: Number(
    (((median(slmkitTimes) - median(directTimes)) / median(directTimes)) * 100).toFixed(1),
  ),
  target: "<= 10%",
  loadSeconds: Number(info.loadSeconds.toFixed(3)),
  memoryMB: Number((info.memoryBytes / 1e6).toFixed(1)),
  tokensPerSecond: Math.round(info.tokensPerSecond),
};
console.log(JSON.stringify(figures, null, 2));
if (sink < 0) console.log(sink);
await run.write({ ...figures, roundsMsPerText: { direct: directTimes, slmkit: slmkitTimes } });

await slmkitModel.dispose();
await rawModel.dispose();
await rm(scratch, { recursive: true, force: true });
