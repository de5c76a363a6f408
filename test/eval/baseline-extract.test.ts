import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { isDeepStrictEqual } from "node:util";
import { baselineCandidates, registerBaselineCommand } from "../../src/cli/baseline.js";
import { formatJsonl } from "../../src/data/io.js";
import {
  type BaselineReport,
  formatBaselineTable,
  renderBaselineHtml,
  runExtractBaseline,
} from "../../src/eval/baseline.js";
import { loadNativeExtractor, saveNativeExtractor } from "../../src/models/native/extractor-directory.js";
import { loadUseCase } from "../../src/spec/load.js";
import { normalizeFieldValue } from "../../src/text/normalizers/index.js";
import { trainExtractor } from "../../src/train/train-extractor.js";
import type { Span, SpanExample } from "../../src/types.js";
import { runCommand } from "../helpers/cli.js";
import type { FakeHandler, FakeOpenAiServer } from "../helpers/fake-openai.js";
import { startFakeOpenAi } from "../helpers/fake-openai.js";
import { writeTinyGguf } from "../helpers/tiny-gguf.js";
import { bookingExamples } from "../models/extractor-data.js";

/** A record from its text and `[label, value]` pairs; each value's first occurrence is its span. */
function record(text: string, ...values: [string, string][]): SpanExample {
  const spans: Span[] = values.map(([label, value]) => {
    const start = text.indexOf(value);
    assert.ok(start >= 0, `"${value}" is not in "${text}"`);
    return { start, end: start + value.length, label };
  });
  return { text, spans };
}

// Five records whose figures are worked out by hand below.
const handSet = [
  record("Book a table for four on Friday at 7pm.", ["people", "four"], ["date", "Friday"], ["time", "7pm"]),
  record("Hi, I'm Ana and we are 2 people.", ["name", "Ana"], ["people", "2"]),
  record("Reservation under Bruno at 19:30 please", ["name", "Bruno"], ["time", "19:30"]),
  record("Just checking the opening hours"),
  record("Do you have space for 6?", ["people", "6"]),
];
const nothing = { name: null, people: null, date: null, time: null };
// Right (other words, same values), one wrong value, right, one value without gold, and never valid JSON.
const replies = new Map<string, string>([
  [handSet[0]?.text ?? "", JSON.stringify({ ...nothing, people: 4, date: "Friday", time: "19:00" })],
  [handSet[1]?.text ?? "", JSON.stringify({ ...nothing, name: "Ana", people: 3 })],
  [handSet[2]?.text ?? "", JSON.stringify({ ...nothing, name: " Bruno", time: "7:30 pm" })],
  [handSet[3]?.text ?? "", JSON.stringify({ ...nothing, date: "tomorrow" })],
  [handSet[4]?.text ?? "", "sorry, I cannot help with that"],
]);
// Answers by the first user message: a re-ask after an invalid reply adds messages after it.
const byFirstUserMessage: FakeHandler = (request) => {
  const text = request.body?.messages?.find((message) => message.role === "user")?.content ?? "";
  return {
    kind: "content",
    content: replies.get(text) ?? JSON.stringify(nothing),
    usage: { prompt_tokens: 100, completion_tokens: 20 },
  };
};

let dir: string;
let server: FakeOpenAiServer;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "slmkit-baseline-extract-"));
  server = await startFakeOpenAi(byFirstUserMessage);
  const trained = await trainExtractor(bookingExamples(300, 1), {
    valid: bookingExamples(80, 2),
    seed: 7,
    features: { hashBits: 16 },
  });
  await saveNativeExtractor(trained.model, join(dir, "model"), trained.record);
  await writeFile(join(dir, "hand.jsonl"), formatJsonl(handSet));
  await writeFile(join(dir, "test.jsonl"), formatJsonl(bookingExamples(60, 3)));
  await writeFile(
    join(dir, "usecase.yaml"),
    `version: 1
id: bookings
title: Table bookings
task: extract
schema:
  fields:
    - {name: name, type: string, required: true}
    - {name: people, type: integer}
    - {name: date, type: date}
    - {name: time, type: time}
data:
  train: train.jsonl
  test: test.jsonl
model: model
llm:
  baseUrl: ${server.baseUrl}
  model: gpt-test
  apiKeyEnv: SLMKIT_TEST_KEY
  pricePer1kInputUsd: 0.15
  pricePer1kOutputUsd: 0.6
`,
  );
});
after(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

test("an endpoint extractor is scored by normalized values, with figures that match a hand count", async () => {
  const jsonPath = join(dir, "hand.json");
  const htmlPath = join(dir, "hand.html");
  const { stdout: output } = await runCommand(registerBaselineCommand, [
    "baseline",
    "--usecase",
    join(dir, "usecase.yaml"),
    "--test",
    join(dir, "hand.jsonl"),
    "--latency-samples",
    "5",
    "--json",
    jsonPath,
    "--html",
    htmlPath,
  ]);
  const report = JSON.parse(await readFile(jsonPath, "utf8")) as BaselineReport;
  assert.equal(report.task, "extract");
  assert.equal(report.testSize, 5);
  const llm = report.rows.find((row) => row.source === "usecase llm");
  assert.ok(llm, "an endpoint row");
  assert.equal(llm.error, undefined, llm.error);
  // Per field (predicted / gold / right): name 2/2/2, people 2/3/1 (3 ≠ 2), date 2/1/1 ("tomorrow" has no
  // gold), time 2/2/2 ("7pm" = "19:00", "7:30 pm" = "19:30"). Micro: 6 right of 8 predicted and 8 gold.
  assert.equal(llm.fieldPrecision, 0.75);
  assert.equal(llm.fieldRecall, 0.75);
  assert.equal(llm.fieldF1, 0.75);
  assert.deepEqual(llm.extractReport?.perField.people, {
    precision: 0.5,
    recall: 0.333333,
    f1: 0.4,
    support: 3,
  });
  // Records 1 and 3 are entirely right; the invalid reply is never right.
  assert.equal(llm.recordAccuracy, 0.4);
  assert.equal(llm.unsure, 1);
  // Accepted: a valid record with the required name (records 2 and 3), of which record 3 is right.
  assert.equal(llm.coverage, 0.4);
  assert.equal(llm.acceptedAccuracy, 0.5);
  // Every text twice (scored pass, then 5 latency samples); the invalid one is asked twice each time:
  // 12 requests of 100 + 20 tokens over 10 extractions = 120 in, 24 out per request;
  // 0.12 × $0.15 + 0.024 × $0.60 = $0.0324 per request, $32.40 per 1K.
  assert.equal(llm.calls, 10);
  assert.deepEqual(llm.tokensPerRequest, { input: 120, output: 24 });
  assert.equal(llm.costPer1kRequestsUsd, 32.4);
  assert.equal(server.requests.length, 12);
  assert.ok(llm.latencyMs !== undefined && llm.latencyMs.p95 >= llm.latencyMs.p50);

  const native = report.rows.find((row) => row.source === "usecase model");
  assert.ok(native, "a native row");
  assert.equal(native.error, undefined, native.error);
  assert.equal(native.costBasis, "compute");
  assert.ok((native.costPer1kRequestsUsd ?? 0) > 0, "the machine's time, not $0");
  assert.ok((native.parameters ?? 0) > 0 && (native.memoryBytes ?? 0) > 0);
  assert.equal(native.calls, undefined);

  assert.match(output, /field-F1/);
  assert.match(output, /gpt-test.*0\.750.*40\.0%.*\$32\.40/);
  const html = await readFile(htmlPath, "utf8");
  assert.match(html, /<th>field F1<\/th>/);
  assert.match(html, /<td>0\.750<\/td>/);
});

test("the native extractor's row agrees with a direct count over its normalized field values", async () => {
  const useCase = await loadUseCase(join(dir, "usecase.yaml"));
  const examples = bookingExamples(60, 3);
  const referenceDate = new Date("2026-05-01T12:00:00Z");
  const candidates = baselineCandidates({ concurrency: 1 }, useCase).filter(
    (candidate) => candidate.source === "usecase model",
  );
  const fields = (useCase.spec.schema?.fields ?? []).map((field) => ({ ...field }));
  const report = await runExtractBaseline(candidates, fields, examples, { latencySamples: 3, referenceDate });
  const [row] = report.rows;
  assert.equal(row?.error, undefined, row?.error);
  assert.equal(row?.n, 60);
  assert.ok((row?.fieldF1 ?? 0) > 0.9, `field F1 ${row?.fieldF1}`);

  // An independent count: each found field's text and each gold span's text through the field type's normalizer
  // (this model was trained without types, so its own values are raw text); one span per field per record here.
  const model = await loadNativeExtractor(join(dir, "model"));
  const predictions = model.extract(
    examples.map((example) => example.text),
    { referenceDate },
  );
  await model.dispose();
  const types = new Map(fields.map((field) => [field.name, field.type]));
  let right = 0;
  let predicted = 0;
  let gold = 0;
  for (const [index, prediction] of predictions.entries()) {
    const example = examples[index] as SpanExample;
    predicted += Object.keys(prediction.fields).length;
    gold += example.spans.length;
    for (const span of example.spans) {
      const text = example.text.slice(span.start, span.end);
      const type = types.get(span.label) ?? "string";
      const goldValue = normalizeFieldValue(type, text, { referenceDate }) ?? text.trim();
      const field = prediction.fields[span.label];
      const value =
        field === undefined
          ? undefined
          : (normalizeFieldValue(type, field.text, { referenceDate }) ?? field.text.trim());
      if (isDeepStrictEqual(value, goldValue)) right++;
    }
  }
  assert.equal(row?.fieldPrecision, Math.round((right / predicted) * 1e6) / 1e6);
  assert.equal(row?.fieldRecall, Math.round((right / gold) * 1e6) / 1e6);
  assert.equal(row?.coverage, predictions.filter((prediction) => prediction.accepted).length / 60);
  assert.match(formatBaselineTable(report), /record acc/);
  assert.match(renderBaselineHtml(report), /accepted accuracy/);
});

test("a prebuilt GGUF model extracts in the baseline, and a missing model directory is a clear row error", async () => {
  await writeTinyGguf(join(dir, "tiny.gguf"), { seed: 5, contextLength: 1024 });
  const useCase = await loadUseCase(join(dir, "usecase.yaml"));
  const fields = (useCase.spec.schema?.fields ?? []).map((field) => ({ ...field }));
  const candidates = baselineCandidates(
    { concurrency: 1, models: [`gguf:${join(dir, "tiny.gguf")}`, join(dir, "missing-model")] },
    useCase,
  ).filter((candidate) => candidate.source === "--models");
  const report = await runExtractBaseline(candidates, fields, handSet.slice(0, 2), { latencySamples: 1 });
  const [gguf, missing] = report.rows;
  assert.equal(gguf?.error, undefined, gguf?.error);
  assert.equal(gguf?.n, 2);
  assert.equal(gguf?.costBasis, "compute");
  assert.ok((gguf?.costPer1kRequestsUsd ?? 0) > 0, "the machine's time, not $0");
  assert.equal(gguf?.contextLength, 1024);
  // The tiny model's output is grammar-constrained JSON: each record is valid or unsure, never a crash.
  assert.ok(typeof gguf?.fieldF1 === "number" && typeof gguf.recordAccuracy === "number");
  assert.ok(missing?.error !== undefined && missing.error.length > 0);
});
