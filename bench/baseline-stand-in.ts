// Child process of bench/baseline.ts: the stand-in LLM. A second native classifier (a stratified half of train, its
// own seed) answers over OpenAI's chat.completions wire (test/helpers/fake-openai.ts), never from the gold labels.
//
// Usage: node --import tsx bench/baseline-stand-in.ts --data <dir> --test <file> --summary <file>
//        [--seed 43] [--delay 20]
// Prints one `ready` JSON line (serve-protocol.ts) when it listens; on SIGTERM it closes and writes --summary.

import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { readClassificationData } from "../src/data/io.js";
import { stratifiedSplit } from "../src/data/split.js";
import { createRandom } from "../src/internal/random.js";
import { trainClassifier } from "../src/train/train-classifier.js";
import type { LabeledExample } from "../src/types.js";
import { answer, responseFormatType, startFakeOpenAi } from "../test/helpers/fake-openai.js";
import { onParentGone, sendToParent } from "./serve-protocol.js";

/** What the stand-in tells the parent once it has stopped. No dataset text: counts and figures only. */
export interface StandInSummary {
  trainExamples: number;
  validExamples: number;
  seed: number;
  delayMs: number;
  trainSeconds: number;
  validationAccuracy: number;
  /** The stand-in model's own accuracy on the bench's test file, computed in-process (no HTTP). */
  directTestAccuracy: number;
  testExamples: number;
  /** chat.completions requests answered. */
  calls: number;
  /** Of those, how many asked for `response_format: json_schema` (answered `{"label": …}`). */
  jsonSchemaCalls: number;
  /** Of those, how many asked for logprobs (given: the label's tokens multiply to the model's confidence). */
  logprobCalls: number;
  /** Requests whose user text was empty (nothing to classify). */
  emptyTexts: number;
}

const { values } = parseArgs({
  options: {
    data: { type: "string" },
    test: { type: "string" },
    summary: { type: "string" },
    seed: { type: "string", default: "43" },
    delay: { type: "string", default: "20" },
  },
  strict: true,
});
if (values.data === undefined || values.test === undefined || values.summary === undefined)
  throw new Error("baseline-stand-in needs --data <dir> --test <file> --summary <file>.");
const seed = Number(values.seed);
const delayMs = Number(values.delay);
const summaryPath = values.summary;

/** A seeded half of each label's examples (rounded up), so every label stays known but the model sees half the data. */
function stratifiedHalf(examples: readonly LabeledExample[], seed: number): LabeledExample[] {
  const random = createRandom(seed);
  const [half = []] = stratifiedSplit(examples, {
    stratumOf: (example) => example.label,
    random,
    deal: { firstPartSize: (size) => Math.ceil(size / 2) },
  });
  return random.shuffle(half);
}

const [train, valid, test] = await Promise.all([
  readClassificationData(join(values.data, "train.jsonl")),
  readClassificationData(join(values.data, "valid.jsonl")),
  readClassificationData(values.test),
]);
const half = stratifiedHalf(train, seed);
process.stderr.write(`training the stand-in's model on ${half.length} of ${train.length} train texts…\n`);
const started = performance.now();
const trained = await trainClassifier(half, { valid, seed });
const trainSeconds = (performance.now() - started) / 1000;
const model = trained.model;
const directCorrect = test.filter((example) => model.predictDetailed(example.text).label === example.label);

const summary: StandInSummary = {
  trainExamples: half.length,
  validExamples: valid.length,
  seed,
  delayMs,
  trainSeconds,
  validationAccuracy: trained.validation.accuracy,
  directTestAccuracy: test.length === 0 ? 0 : directCorrect.length / test.length,
  testExamples: test.length,
  calls: 0,
  jsonSchemaCalls: 0,
  logprobCalls: 0,
  emptyTexts: 0,
};

const server = await startFakeOpenAi((request) => {
  summary.calls += 1;
  if (responseFormatType(request) === "json_schema") summary.jsonSchemaCalls += 1;
  if (request.body?.logprobs === true) summary.logprobCalls += 1;
  if (request.user === "") summary.emptyTexts += 1;
  const prediction = model.predictDetailed(request.user);
  // log(0) would be -Infinity, which JSON cannot carry: the floor keeps the logprobs finite.
  const probability = Math.min(1, Math.max(1e-9, prediction.confidence));
  return answer(prediction.label, { probability, delayMs })(request);
});

onParentGone(async () => {
  await server.close();
  await writeFile(summaryPath, `${JSON.stringify(summary, null, 2)}\n`);
});
sendToParent({ event: "ready", url: server.baseUrl, pid: process.pid });
