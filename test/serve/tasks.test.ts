import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import OpenAI from "openai";
import type { LlmExtraction, LlmExtractor } from "../../src/models/llm.js";
import type { FaqAnswer, NativeAnswerer } from "../../src/models/native/answerer.js";
import { saveNativeAnswerer } from "../../src/models/native/answerer-directory.js";
import { saveNativeExtractor } from "../../src/models/native/extractor-directory.js";
import { type Gateway, startGateway } from "../../src/serve/server.js";
import { getTemplate } from "../../src/spec/catalog/index.js";
import { trainAnswerer } from "../../src/train/train-answerer.js";
import { trainExtractor } from "../../src/train/train-extractor.js";
import { answer, type FakeOpenAiServer, startFakeOpenAi } from "../helpers/fake-openai.js";
import { bookingExamples } from "../models/extractor-data.js";

const template = getTemplate("retail-faq");
if (template.examples !== "labeled") throw new Error("retail-faq is a labelled template");
// The order-tracking answer without its slot's fallback: a question without an order number cannot be answered.
const faq = (template.files?.find((file) => file.role === "faq")?.content ?? "")
  .split("\n")
  .filter(Boolean)
  .map((line) => JSON.parse(line) as FaqAnswer)
  .map((entry) =>
    entry.label === "order_tracking"
      ? { ...entry, slots: { order_id: { pattern: entry.slots?.order_id?.pattern ?? "" } } }
      : entry,
  );
const answers = new Map(faq.map((entry) => [entry.label, entry.answer]));
const faqTrain = template.generate({ seed: 1, perLabel: 30 });
const faqValid = template.generate({ seed: 2, perLabel: 10 });

/** Questions the trained answerer accepts, escalates for low confidence, and cannot fill a slot of. */
const clearQuestion = "Where is my order #A12345? I ordered last week";
const unsureQuestion = "qwerty asdf zxcv";
const noOrderNumber = "how do I track my order?";
/** Booking texts the extractor accepts, and one without the required date. */
const clearBooking = "Book a table for four on Friday at 8 pm.";
const noDate = "Hi, I'm Ana and we are 6 people.";

let dir: string;
let answerer: NativeAnswerer;
let gateway: Gateway;
let fake: FakeOpenAiServer;
let key: string;
let client: OpenAI;
/** What the fake OpenAI server replies to extraction requests (model "gpt-extractor"), by the user's text. */
let extractionReply: (user: string) => string;
/** The label the fake OpenAI server picks for answer escalations (model "gpt-labeler"). */
let labelerReply: string;

const llmSection = (model: string) => `llm:
  baseUrl: ${fake.baseUrl}
  model: ${model}
  apiKeyEnv: SLMKIT_TEST_LLM_KEY
  pricePer1kInputUsd: 0.15
  pricePer1kOutputUsd: 0.6
  timeoutMs: 2000`;

/** Where requests go: the main gateway with its key by default. */
interface Target {
  url: string;
  key: string;
}

async function post(path: string, body: unknown, target: Target = { url: gateway.url, key }) {
  const response = await fetch(`${target.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${target.key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function chat(model: string, content: string, target?: Target) {
  const reply = await post("/v1/chat/completions", { model, messages: [{ role: "user", content }] }, target);
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  const choices = reply.body.choices as { message: { content: string } }[];
  return {
    content: choices[0]?.message.content ?? "",
    decision: reply.body.slmkit as Record<string, unknown>,
  };
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "slmkit-tasks-"));
  const trainedAnswerer = await trainAnswerer(faqTrain, faq, { valid: faqValid, seed: 3 });
  answerer = trainedAnswerer.model;
  await saveNativeAnswerer(answerer, join(dir, "faq-model"), trainedAnswerer.record);
  const trainedExtractor = await trainExtractor(bookingExamples(300, 1), {
    valid: bookingExamples(80, 2),
    seed: 7,
    features: { hashBits: 16 },
    fieldTypes: { people: "quantity", time: "time", date: "date" },
    requiredFields: ["date"],
  });
  await saveNativeExtractor(trainedExtractor.model, join(dir, "bookings-model"), trainedExtractor.record);
  const [clear, unsure, missing] = answerer.answer([clearQuestion, unsureQuestion, noOrderNumber]);
  assert.equal(clear?.accepted, true);
  assert.equal(unsure?.reason, "low-confidence");
  assert.equal(missing?.reason, "missing-slot");
  const [booking, dateless] = trainedExtractor.model.extract([clearBooking, noDate]);
  assert.equal(booking?.accepted, true);
  assert.equal(dateless?.accepted, false, "the date is required");

  extractionReply = () => JSON.stringify({ date: "2025-03-03", name: "Ana", people: 6, time: null });
  labelerReply = "return_policy";
  fake = await startFakeOpenAi((request) =>
    request.body?.model === "gpt-extractor"
      ? { kind: "content", content: extractionReply(request.user) }
      : answer(labelerReply)(request),
  );
  process.env.SLMKIT_TEST_LLM_KEY = "sk-test";
  await writeFile(
    join(dir, "faq.yaml"),
    `version: 1
id: faq
title: Store FAQ
task: answer
labels:
${answerer.labels.map((label) => `  - name: ${label}`).join("\n")}
faq: faq.jsonl
data:
  train: faq-train.jsonl
model: faq-model
${llmSection("gpt-labeler")}
privacy:
  storeText: true
`,
  );
  await writeFile(
    join(dir, "faq-train.jsonl"),
    faqTrain.map((example) => JSON.stringify(example)).join("\n"),
  );
  await writeFile(
    join(dir, "bookings.yaml"),
    `version: 1
id: bookings
title: Table bookings
task: extract
schema:
  fields:
    - name: date
      type: date
      required: true
    - name: name
      type: string
    - name: people
      type: quantity
    - name: time
      type: time
data:
  train: bookings-train.jsonl
model: bookings-model
${llmSection("gpt-extractor")}
privacy:
  storeText: true
`,
  );
  gateway = await startGateway({
    usecases: [join(dir, "faq.yaml"), join(dir, "bookings.yaml")],
    port: 0,
    store: `sqlite:${join(dir, "gateway.db")}`,
    watchModelsMs: false,
    monitorDrift: false,
  });
  key = (await gateway.store.createApiKey("test", { role: "admin" })).key;
  client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: key, maxRetries: 0 });
});

after(async () => {
  await gateway?.close();
  await fake?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("gateway serving answer and extract use cases", () => {
  test("lists every use case as a model, with its task", async () => {
    const models = await client.models.list();
    const listed = models.data.map((model) => [
      model.id,
      (model as unknown as { slmkit: { task: string } }).slmkit.task,
    ]);
    assert.deepEqual(listed, [
      ["faq", "answer"],
      ["bookings", "extract"],
    ]);
  });

  test("answer: the openai client gets the FAQ answer with its slot filled, from the small model", async () => {
    const reply = await client.chat.completions.create({
      model: "faq",
      messages: [{ role: "user", content: clearQuestion }],
    });
    assert.match(reply.choices[0]?.message.content ?? "", /^You can track #A12345 under Orders > Track/);
    const decision = (reply as unknown as { slmkit: Record<string, unknown> }).slmkit;
    assert.equal(decision.answered_by, "slm");
    assert.equal(decision.label, "order_tracking");
    assert.equal(decision.fields, undefined, "fields are for extract use cases");

    const stream = await client.chat.completions.create({
      model: "faq",
      messages: [{ role: "user", content: clearQuestion }],
      stream: true,
    });
    let content = "";
    for await (const chunk of stream) content += chunk.choices[0]?.delta.content ?? "";
    assert.equal(content, reply.choices[0]?.message.content);
  });

  test("answer: an unsure question escalates to the labeler, and the reply is its label's FAQ answer", async () => {
    labelerReply = "return_policy";
    const sent = fake.requests.length;
    const { content, decision } = await chat("faq", unsureQuestion);
    assert.equal(content, answers.get("return_policy"));
    assert.equal(decision.answered_by, "llm");
    assert.equal(decision.label, "return_policy");
    assert.ok(Number(decision.cost_usd) > 0);
    const asked = fake.requests.slice(sent);
    assert.equal(asked.length, 1);
    assert.equal(asked[0]?.body?.model, "gpt-labeler");
    assert.equal(asked[0]?.user, unsureQuestion);
  });

  test("answer: a label whose answer the question cannot fill goes to review with the holding answer", async () => {
    labelerReply = "order_tracking";
    const { content, decision } = await chat("faq", noOrderNumber);
    assert.equal(decision.answered_by, "review");
    assert.match(content, /passed to a person/);
    assert.match(String(decision.reason), /does not fill that answer's slots; queued for review$/);
    // A person resolves an answer item with a label, as for classify.
    const resolved = await post(`/v1/review/${decision.review_id}`, { label: "order_tracking" });
    assert.equal(resolved.status, 200, JSON.stringify(resolved.body));
    assert.equal(resolved.body.resolution, "order_tracking");
  });

  test("extract: the openai client gets the fields as JSON in the content and in slmkit.fields, streamed alike", async () => {
    const reply = await client.chat.completions.create({
      model: "bookings",
      messages: [{ role: "user", content: clearBooking }],
    });
    const content = reply.choices[0]?.message.content ?? "";
    const fields = JSON.parse(content) as Record<string, unknown>;
    assert.deepEqual(Object.keys(fields), ["date", "name", "people", "time"]);
    assert.match(String(fields.date), /^\d{4}-\d{2}-\d{2}$/);
    assert.deepEqual([fields.name, fields.people, fields.time], [null, 4, "20:00"]);
    const decision = (reply as unknown as { slmkit: Record<string, unknown> }).slmkit;
    assert.equal(decision.answered_by, "slm");
    assert.deepEqual(decision.fields, fields);
    assert.equal(decision.label, content);

    const stream = await client.chat.completions.create({
      model: "bookings",
      messages: [{ role: "user", content: clearBooking }],
      stream: true,
    });
    let streamed = "";
    let finalDecision: Record<string, unknown> | undefined;
    for await (const chunk of stream) {
      streamed += chunk.choices[0]?.delta.content ?? "";
      finalDecision = (chunk as unknown as { slmkit?: Record<string, unknown> }).slmkit ?? finalDecision;
    }
    assert.equal(streamed, content);
    assert.deepEqual(finalDecision?.fields, fields);
  });

  test("extract: a record without its required field escalates to the OpenAI extractor, whose fields answer", async () => {
    extractionReply = () => JSON.stringify({ date: "2025-03-03", name: "Ana", people: 6, time: null });
    const sent = fake.requests.length;
    const { content, decision } = await chat("bookings", noDate);
    assert.deepEqual(JSON.parse(content), { date: "2025-03-03", name: "Ana", people: 6, time: null });
    assert.equal(decision.answered_by, "llm");
    assert.match(
      String(decision.reason),
      /but required fields missing \(date\); llm answered \(3 of 4 fields\)$/,
    );
    const asked = fake.requests.slice(sent);
    assert.equal(asked.length, 1);
    assert.equal(asked[0]?.body?.model, "gpt-extractor");
    assert.equal(asked[0]?.user, noDate);
    // The same text again is answered from the cache.
    const again = await chat("bookings", noDate);
    assert.equal(again.decision.answered_by, "cache");
    assert.equal(again.content, content);
  });

  test("extract: when the LLM gives no valid JSON, review; the reviewer must resolve with JSON of the fields", async () => {
    extractionReply = () => "sorry, I cannot help with that";
    const text = "we are 3 people, name Goran";
    const { content, decision } = await chat("bookings", text);
    assert.equal(decision.answered_by, "review");
    assert.equal(decision.flagged, true);
    assert.equal(JSON.parse(content).people, 3, "the small model's fields, flagged");
    assert.match(
      String(decision.reason),
      /llm unsure \(no valid fields after 2 attempts\); queued for review$/,
    );

    const queue = (await (
      await fetch(`${gateway.url}/v1/review?usecase=bookings`, {
        headers: { authorization: `Bearer ${key}` },
      })
    ).json()) as { data: { id: string; inputText: string; slmLabel: string }[] };
    const item = queue.data.find((entry) => entry.inputText === text);
    assert.ok(item, "the extraction is in the review queue");
    assert.equal(item.id, decision.review_id);
    assert.deepEqual(JSON.parse(item.slmLabel), JSON.parse(content));

    for (const [bad, problem] of [
      ["Goran, 3 people", /not valid JSON/],
      ['["Goran"]', /not a JSON object/],
      ['{"name": "Goran", "table": 4}', /"table" is not a field/],
      ['{"people": {"value": 3}}', /the value of "people"/],
    ] as const) {
      const refused = await post(`/v1/review/${item.id}`, { label: bad });
      assert.equal(refused.status, 400, bad);
      const error = refused.body.error as { code: string; param: string; message: string };
      assert.equal(error.code, "invalid_fields");
      assert.equal(error.param, "label");
      assert.match(error.message, problem);
      assert.match(error.message, /date, name, people, time/);
    }
    const resolved = await post(`/v1/review/${item.id}`, { label: '{ "name": "Goran", "people": 3 }' });
    assert.equal(resolved.status, 200, JSON.stringify(resolved.body));
    assert.equal(resolved.body.resolution, '{"date":null,"name":"Goran","people":3,"time":null}');
    const feedback = await gateway.store.listFeedback({ requestId: String(decision.request_id) });
    assert.deepEqual(
      feedback.map((entry) => [entry.correct, entry.source]),
      [['{"date":null,"name":"Goran","people":3,"time":null}', "review"]],
    );
  });

  test("extract: feedback on an extraction must be JSON of the fields too", async () => {
    const { decision } = await chat("bookings", clearBooking);
    const refused = await post("/v1/feedback", { request_id: decision.request_id, label: "wrong date" });
    assert.equal(refused.status, 400);
    assert.equal((refused.body.error as { code: string }).code, "invalid_fields");
    const accepted = await post("/v1/feedback", {
      request_id: decision.request_id,
      label: '{"date":"2025-01-17","people":4,"time":"20:00"}',
    });
    assert.equal(accepted.status, 200);
  });

  test("the task API returns fields per extraction and the answer per question", async () => {
    labelerReply = "return_policy";
    const bookings = await post("/v1/usecases/bookings/predict", { texts: [clearBooking, noDate] });
    assert.equal(bookings.status, 200);
    const extracted = bookings.body.predictions as { fields: Record<string, unknown>; answered_by: string }[];
    assert.equal(extracted[0]?.fields.people, 4);
    assert.equal(extracted[0]?.answered_by, "slm");
    assert.equal(extracted[1]?.fields.name, "Ana");
    const questions = await post("/v1/usecases/faq/predict", { texts: [clearQuestion, unsureQuestion] });
    const answered = questions.body.predictions as { answer: string; answered_by: string }[];
    assert.match(answered[0]?.answer ?? "", /track #A12345/);
    assert.equal(answered[1]?.answer, answers.get("return_policy"));
  });

  test("one log row per request, the extraction's fields as JSON and the answer's intent as label", async () => {
    await gateway.store.flush();
    const before = await gateway.store.countRequests();
    const extraction = await chat("bookings", "Reservation under Lena at noon please");
    const answered = await chat("faq", clearQuestion);
    const batch = await post("/v1/usecases/bookings/predict", {
      texts: [clearBooking, "Do you have space for 2?"],
    });
    assert.equal(batch.status, 200);
    await gateway.store.flush();
    assert.equal(await gateway.store.countRequests(), before + 4);
    const extractionRow = await gateway.store.getRequest(String(extraction.decision.request_id));
    assert.equal(extractionRow?.label, extraction.content);
    assert.equal(extractionRow?.useCaseId, "bookings");
    assert.equal(extractionRow?.inputText, "Reservation under Lena at noon please");
    const answerRow = await gateway.store.getRequest(String(answered.decision.request_id));
    assert.equal(answerRow?.label, "order_tracking");
    assert.equal(answerRow?.answeredBy, "slm");
  });

  test("hot reload swaps in a new answer model; a model of another task is refused and the old one keeps serving", async () => {
    const before = gateway.useCases.get("faq")?.modelVersion;
    const retrained = await trainAnswerer(faqTrain, faq, { valid: faqValid, seed: 4 });
    await saveNativeAnswerer(retrained.model, join(dir, "faq-model"), retrained.record);
    const reloaded = await post("/v1/usecases/faq/reload", {});
    assert.equal(reloaded.status, 200, JSON.stringify(reloaded.body));
    assert.notEqual(reloaded.body.model_version, before);
    assert.equal(gateway.useCases.get("faq")?.model.threshold, retrained.model.threshold);
    const after = await chat("faq", clearQuestion);
    assert.equal(after.decision.model_version, reloaded.body.model_version);
    assert.match(after.content, /track #A12345/);

    const extractor = await trainExtractor(bookingExamples(120, 5), { seed: 1, features: { hashBits: 12 } });
    await saveNativeExtractor(extractor.model, join(dir, "faq-model"), extractor.record);
    const refused = await post("/v1/usecases/faq/reload", {});
    assert.equal(refused.status, 409);
    assert.match(String((refused.body.error as { message: string }).message), /has task "extract"/);
    const still = await chat("faq", clearQuestion);
    assert.equal(still.decision.model_version, reloaded.body.model_version);
    assert.match(still.content, /track #A12345/);
  });

  test("hot reload swaps in a new extract model", async () => {
    const before = gateway.useCases.get("bookings")?.modelVersion;
    const retrained = await trainExtractor(bookingExamples(300, 1), {
      valid: bookingExamples(80, 2),
      seed: 8,
      features: { hashBits: 16 },
      fieldTypes: { people: "quantity", time: "time", date: "date" },
      requiredFields: ["date"],
    });
    await saveNativeExtractor(retrained.model, join(dir, "bookings-model"), retrained.record);
    const reloaded = await post("/v1/usecases/bookings/reload", {});
    assert.equal(reloaded.status, 200, JSON.stringify(reloaded.body));
    assert.notEqual(reloaded.body.model_version, before);
    const after = await chat("bookings", clearBooking);
    assert.equal(after.decision.model_version, reloaded.body.model_version);
    assert.equal(after.decision.threshold, retrained.model.threshold);
    assert.equal(after.decision.answered_by, "slm");
    assert.equal(JSON.parse(after.content).people, 4);
  });

  test("a use case whose model is of another task refuses to start", async () => {
    const faqYaml = await readFile(join(dir, "faq.yaml"), "utf8");
    await writeFile(
      join(dir, "wrong.yaml"),
      faqYaml.replace("id: faq", "id: wrong").replace("model: faq-model", "model: bookings-model"),
    );
    await assert.rejects(
      startGateway({ usecases: [join(dir, "wrong.yaml")], port: 0, store: "sqlite::memory:" }),
      /wrong\.yaml: the model at .*bookings-model has task "extract", but the use case's task is answer/,
    );
  });
});

describe("gateway with an in-process LLM extractor", () => {
  test("an unsure extraction escalates to the given LlmExtractor, which sees the text with PII redacted", async () => {
    const sent: string[] = [];
    const standIn: LlmExtractor = {
      model: "stand-in",
      async extract(text): Promise<LlmExtraction> {
        sent.push(text);
        return {
          fields: { date: "2025-04-01", name: "Kofi", people: null },
          raw: "",
          attempts: 1,
          inputTokens: 10,
          outputTokens: 10,
          costUsd: 0,
          latencyMs: 1,
        };
      },
    };
    const local = await startGateway({
      usecases: [join(dir, "bookings.yaml")],
      port: 0,
      store: `sqlite:${join(dir, "local.db")}`,
      watchModelsMs: false,
      monitorDrift: false,
      llmExtractor: (id) => (id === "bookings" ? standIn : undefined),
    });
    try {
      const target = { url: local.url, key: (await local.store.createApiKey("test")).key };
      const text = "Hi, I'm Kofi and we are 5 people, kofi@example.com";
      const { content, decision } = await chat("bookings", text, target);
      assert.equal(decision.answered_by, "llm");
      assert.deepEqual(JSON.parse(content), { date: "2025-04-01", name: "Kofi", people: null, time: null });
      assert.deepEqual(decision.llm, { label: content, model: "stand-in" });
      assert.deepEqual(sent, ["Hi, I'm Kofi and we are 5 people, [EMAIL]"]);
      const accepted = await chat("bookings", clearBooking, target);
      assert.equal(accepted.decision.answered_by, "slm");
      assert.equal(sent.length, 1);
    } finally {
      await local.close();
    }
  });
});
