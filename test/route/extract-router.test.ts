import assert from "node:assert/strict";
import { beforeEach, describe, test } from "node:test";
import { createMemoryCache } from "../../src/cache/memory-cache.js";
import type { ResponseCache } from "../../src/cache/types.js";
import { SlmkitError } from "../../src/errors.js";
import type { LlmExtraction, LlmExtractor } from "../../src/models/llm.js";
import { LlmError } from "../../src/models/llm-error.js";
import type { FieldsPrediction, FieldValue, FieldValues } from "../../src/models/task-model.js";
import {
  checkFieldValues,
  createExtractRouter,
  type ExtractRouterModel,
  type ExtractRouterOptions,
  redactedFieldValue,
} from "../../src/route/extract-router.js";
import { createRouter } from "../../src/route/router.js";
import type { RouteResult } from "../../src/route/types.js";
import type { UseCase, UseCaseInput } from "../../src/spec/schema.js";
import { validateUseCase } from "../../src/spec/validate.js";
import { createSqliteStore } from "../../src/store/sqlite-store.js";
import type { Store } from "../../src/store/types.js";

const fieldNames = ["date", "name", "people"];

/** What the stub extractor says of each text: record confidence, and field → [span text, normalized value]. */
const records: Record<string, { confidence: number; fields: Record<string, [string, unknown]> }> = {
  "Table for four on Friday, name Ana": {
    confidence: 0.98,
    fields: {
      date: ["Friday", "2025-01-17"],
      name: ["Ana", "Ana"],
      people: ["four", { value: 4, unit: null }],
    },
  },
  "Table for two on Sunday": {
    confidence: 0.95,
    fields: { date: ["Sunday", "2025-01-19"], people: ["two", { value: 2, unit: null }] },
  },
  "some day soon, a few of us, jane.doe@example.com": {
    confidence: 0.41,
    fields: { people: ["a few", null] },
  },
  "we are Bruno and friends": { confidence: 0.92, fields: { name: ["Bruno", "Bruno"] } },
  "a few of us, book it for jane.doe@example.com": {
    confidence: 0.41,
    fields: { name: ["jane.doe@example.com", "jane.doe@example.com"], people: ["a few", null] },
  },
  "Monday maybe?": { confidence: 0.6, fields: { date: ["Monday", "2025-01-20"] } },
};
const confidentText = "Table for four on Friday, name Ana";
const unsureText = "some day soon, a few of us, jane.doe@example.com";

/**
 * A stand-in for the native extractor: threshold 0.9, `date` required, as `NativeExtractor.predictSync` decides
 * (a value its type could not read keeps its words; a confident record without `date` is refused, naming it).
 */
function stubModel(threshold = 0.9): ExtractRouterModel & { calls: number } {
  const model = {
    fields: fieldNames,
    requiredFields: ["date"],
    threshold,
    calls: 0,
    predictSync(texts: readonly string[]): FieldsPrediction[] {
      model.calls += 1;
      return texts.map((text) => {
        const record = records[text] ?? { confidence: 0.2, fields: {} };
        const fields: FieldValues = Object.fromEntries(fieldNames.map((name) => [name, null]));
        const raw: Record<string, unknown> = {};
        for (const [name, [spanText, value]] of Object.entries(record.fields)) {
          fields[name] = flatValue(spanText, value);
          raw[name] = spanText;
        }
        const accepted = record.confidence >= threshold && fields.date !== null;
        const prediction: FieldsPrediction = { fields, raw, confidence: record.confidence, accepted };
        if (!accepted && record.confidence >= threshold)
          prediction.refusal = "required fields missing (date)";
        return prediction;
      });
    },
    async predict(texts: readonly string[]): Promise<FieldsPrediction[]> {
      return model.predictSync(texts);
    },
  };
  return model;
}

/** A normalized value as clients get it: text, a number, or a quantity's number; the words when unread. */
function flatValue(spanText: string, value: unknown): FieldValue {
  if (typeof value === "string" || (typeof value === "number" && Number.isFinite(value))) return value;
  const typed = value as { amount?: unknown; value?: unknown } | null;
  if (typeof typed?.amount === "number") return typed.amount;
  if (typeof typed?.value === "number") return typed.value;
  return spanText;
}

/** An in-test LLM extractor: answers with `reply`, records what it was sent. */
function stubLlm(
  reply: (text: string) => Partial<LlmExtraction> | Promise<Partial<LlmExtraction>>,
): LlmExtractor & { sent: string[] } {
  const sent: string[] = [];
  return {
    model: "extractor-fake",
    sent,
    async extract(text) {
      sent.push(text);
      return {
        fields: null,
        raw: "",
        attempts: 1,
        inputTokens: 120,
        outputTokens: 30,
        costUsd: 0.001,
        latencyMs: 5,
        ...(await reply(text)),
      };
    },
  };
}

const llmFields = { date: "2025-01-20", name: null, people: 3 };

function useCaseWith(overrides: Partial<UseCaseInput> = {}): UseCase {
  return validateUseCase({
    version: 1,
    id: "bookings",
    title: "Table bookings",
    task: "extract",
    schema: {
      fields: [
        { name: "date", type: "date", required: true },
        { name: "name", type: "string" },
        { name: "people", type: "quantity" },
      ],
    },
    data: { train: "train.jsonl" },
    llm: { baseUrl: "http://127.0.0.1:9/v1", model: "extractor-fake", timeoutMs: 2000 },
    privacy: { storeText: true },
    ...overrides,
  });
}

let store: Store;
let cache: ResponseCache;
let calls: number;

beforeEach(async () => {
  await store?.close();
  store = createSqliteStore({ path: ":memory:", flushIntervalMs: 1 });
  await store.migrate();
  cache = createMemoryCache();
  calls = 0;
});

function routerWith(options: Partial<ExtractRouterOptions> = {}) {
  const useCase = options.useCase ?? useCaseWith();
  const router = createExtractRouter({
    model: stubModel(),
    store,
    cache,
    llm: stubLlm(() => ({ fields: llmFields })),
    modelVersion: "v1",
    now: () => Date.parse("2025-01-15T10:00:00Z"),
    ...options,
    useCase,
  });
  const route = async (text: string, apiKeyId: string | null = "key-1"): Promise<RouteResult> => {
    calls += 1;
    return router.route({ useCaseId: useCase.id, text, apiKeyId });
  };
  return { router, route, useCase };
}

async function loggedRow(result: RouteResult) {
  await store.flush();
  const row = await store.getRequest(result.requestId);
  assert.ok(row !== undefined, "every decision is logged");
  assert.equal(row.reason, result.reasonDetail ?? result.reason, "the log row keeps the reason's detail");
  assert.equal(row.answeredBy, result.answeredBy);
  assert.equal(row.confidence, result.confidence);
  return row;
}

async function assertOneRowPerCall(): Promise<void> {
  await store.flush();
  assert.equal(await store.countRequests(), calls, "exactly one log row per route call");
}

describe("extract router", () => {
  test("an accepted record is answered by the extractor with every field of the schema, typed values flattened", async () => {
    const llm = stubLlm(() => ({ fields: llmFields }));
    const { route } = routerWith({ llm });
    const result = await route(confidentText);
    assert.equal(result.answeredBy, "slm");
    assert.deepEqual(result.fields, { date: "2025-01-17", name: "Ana", people: 4 });
    assert.equal(result.label, '{"date":"2025-01-17","name":"Ana","people":4}');
    assert.equal(result.answer, null);
    assert.equal(result.confidence, 0.98);
    assert.equal(result.threshold, 0.9);
    assert.match(result.reason, /^confidence 0\.980 >= threshold 0\.900$/);
    assert.deepEqual(result.slm, { label: result.label, confidence: 0.98 });
    assert.equal(llm.sent.length, 0, "the LLM is not asked");
    const row = await loggedRow(result);
    assert.equal(row.label, result.label, "storeText: the fields are logged as compact JSON");
    assert.equal(row.slmLabel, result.label);
    assert.equal(row.llmLabel, null);
    await assertOneRowPerCall();
  });

  test("an unsure record goes to the LLM, whose validated fields answer and are cached as JSON", async () => {
    const llm = stubLlm(() => ({ fields: llmFields }));
    const { route, router } = routerWith({ llm });
    const first = await route(unsureText);
    assert.equal(first.answeredBy, "llm");
    assert.deepEqual(first.fields, llmFields);
    assert.equal(first.label, JSON.stringify(llmFields));
    assert.equal(first.confidence, null);
    assert.deepEqual(first.llm, { label: JSON.stringify(llmFields), model: "extractor-fake" });
    assert.match(first.reason, /^confidence 0\.410 < threshold 0\.900; llm answered \(2 of 3 fields\)$/);
    assert.equal(first.costUsd, 0.001);
    assert.equal(first.inputTokens, 120);
    assert.deepEqual(llm.sent, ["some day soon, a few of us, [EMAIL]"], "PII is redacted before it leaves");
    const row = await loggedRow(first);
    assert.equal(row.llmLabel, JSON.stringify(llmFields));
    assert.equal(
      row.slmLabel,
      '{"date":null,"name":null,"people":"a few"}',
      "unreadable values keep their words",
    );

    await router.idle();
    const second = await route(unsureText);
    assert.equal(second.answeredBy, "cache");
    assert.deepEqual(second.fields, llmFields);
    assert.match(second.reason, /cache hit \(exact\) of an earlier llm answer/);
    assert.equal(llm.sent.length, 1, "the cache answered");
    const otherKey = await route(unsureText, "key-2");
    assert.equal(otherKey.answeredBy, "llm", "cache scopes never cross API keys");
    assert.equal(router.stats().llm.calls, 2);
    await assertOneRowPerCall();
  });

  test("a confident record without a required field escalates, naming the field", async () => {
    const { route } = routerWith();
    const result = await route("we are Bruno and friends");
    assert.equal(result.answeredBy, "llm");
    assert.match(
      result.reason,
      /^confidence 0\.920 >= threshold 0\.900 but required fields missing \(date\); /,
    );
  });

  for (const [name, reply, expected] of [
    [
      "returns no valid fields",
      () => ({ fields: null, attempts: 2 }),
      /llm unsure \(no valid fields after 2 attempts\)/,
    ],
    [
      "names a field the schema does not have",
      () => ({ fields: { ...llmFields, table: "7" } }),
      /llm unsure \("table" is not a field; the fields are date, name, people\)/,
    ],
    [
      "gives an object as a value",
      () => ({ fields: { ...llmFields, people: { value: 3 } } as never }),
      /llm unsure \(the value of "people" must be a string, a number or null\)/,
    ],
    [
      "fails",
      () => {
        throw new LlmError("LLM_ERROR", "extractor-fake answered 500", {
          statusCode: 500,
          isRetryable: true,
        });
      },
      /; llm_error 500; /,
    ],
  ] as const) {
    test(`when the LLM ${name}: a review item holding the extractor's fields as JSON, and those fields flagged`, async () => {
      const { route, router } = routerWith({ llm: stubLlm(reply) });
      const result = await route(unsureText);
      assert.equal(result.answeredBy, "review");
      assert.equal(result.flagged, true);
      assert.deepEqual(result.fields, { date: null, name: null, people: "a few" });
      assert.equal(result.confidence, 0.41);
      assert.match(result.reason, expected);
      assert.match(result.reason, /; queued for review$/);
      assert.ok(result.reviewId !== null);
      const [item] = await store.listReview({ status: "open" });
      assert.equal(item?.id, result.reviewId);
      assert.equal(
        item?.inputText,
        "some day soon, a few of us, [EMAIL]",
        "reviewers see the words, PII redacted (privacy.redactPii)",
      );
      assert.equal(item?.slmLabel, '{"date":null,"name":null,"people":"a few"}');
      assert.equal(item?.slmConfidence, 0.41);
      assert.equal(item?.llmLabel, null);
      await loggedRow(result);
      const stats = router.stats();
      assert.equal(stats.llm.calls, 1);
      assert.equal(stats.llm.unsure + stats.llm.failures, 1);
      await assertOneRowPerCall();
    });
  }

  test("an LLM slower than the deadline is cut off and the request goes to review", async () => {
    const hanging = stubLlm(() => new Promise<never>(() => undefined));
    const { route } = routerWith({ llm: hanging, llmTimeoutMs: 30 });
    const result = await route(unsureText);
    assert.equal(result.answeredBy, "review");
    assert.match(result.reason, /; llm_timeout; queued for review$/);
    assert.match(result.reasonDetail ?? "", /llm_timeout \(.* did not answer within 30 ms\)/);
  });

  test('fallback "review": no LLM call, null fields and the holding answer', async () => {
    const llm = stubLlm(() => ({ fields: llmFields }));
    const { route } = routerWith({ llm, useCase: useCaseWith({ routing: { fallback: "review" } }) });
    const result = await route(unsureText);
    assert.equal(result.answeredBy, "review");
    assert.equal(result.fields, null);
    assert.equal(result.label, null);
    assert.match(result.answer ?? "", /passed to a person/);
    assert.equal(result.flagged, false);
    assert.match(result.reason, /fallback is review; queued for review$/);
    assert.equal(llm.sent.length, 0);
  });

  test("without privacy.storeText the log keeps which fields were found, not their values", async () => {
    const { route } = routerWith({ useCase: useCaseWith({ privacy: { storeText: false } }) });
    const accepted = await route(confidentText);
    const escalated = await route(unsureText);
    const acceptedRow = await loggedRow(accepted);
    assert.equal(acceptedRow.inputText, null);
    assert.deepEqual(JSON.parse(acceptedRow.label ?? ""), {
      date: redactedFieldValue,
      name: redactedFieldValue,
      people: redactedFieldValue,
    });
    const escalatedRow = await loggedRow(escalated);
    assert.deepEqual(JSON.parse(escalatedRow.llmLabel ?? ""), {
      date: redactedFieldValue,
      name: null,
      people: redactedFieldValue,
    });
    assert.equal(escalated.label, JSON.stringify(llmFields), "the client still gets the values");
  });

  for (const [storeText, redactPii, expected] of [
    [
      false,
      true,
      {
        logText: null,
        logFields: { date: null, name: redactedFieldValue, people: redactedFieldValue },
        reviewText: "a few of us, book it for [EMAIL]",
        reviewFields: { date: null, name: "[EMAIL]", people: "a few" },
      },
    ],
    [
      false,
      false,
      {
        logText: null,
        logFields: { date: null, name: redactedFieldValue, people: redactedFieldValue },
        reviewText: null,
        reviewFields: { date: null, name: redactedFieldValue, people: redactedFieldValue },
      },
    ],
    [
      true,
      true,
      {
        logText: "a few of us, book it for [EMAIL]",
        logFields: { date: null, name: "[EMAIL]", people: "a few" },
        reviewText: "a few of us, book it for [EMAIL]",
        reviewFields: { date: null, name: "[EMAIL]", people: "a few" },
      },
    ],
    [
      true,
      false,
      {
        logText: "a few of us, book it for jane.doe@example.com",
        logFields: { date: null, name: "jane.doe@example.com", people: "a few" },
        reviewText: "a few of us, book it for jane.doe@example.com",
        reviewFields: { date: null, name: "jane.doe@example.com", people: "a few" },
      },
    ],
  ] as const) {
    test(`storeText ${storeText}, redactPii ${redactPii}: the log and the review item keep the text and field values as the privacy rule says`, async () => {
      const { route } = routerWith({
        useCase: useCaseWith({ privacy: { storeText, redactPii } }),
        llm: stubLlm(() => ({ fields: null })),
      });
      const result = await route("a few of us, book it for jane.doe@example.com");
      assert.equal(result.answeredBy, "review");
      assert.equal(result.fields?.name, "jane.doe@example.com", "the client still gets the values");
      const row = await loggedRow(result);
      assert.equal(row.inputText, expected.logText);
      assert.deepEqual(JSON.parse(row.slmLabel ?? ""), expected.logFields);
      assert.deepEqual(JSON.parse(row.label ?? ""), expected.logFields, "the flagged guess, as logged");
      const [item] = await store.listReview();
      assert.equal(item?.inputText, expected.reviewText);
      assert.deepEqual(JSON.parse(item?.slmLabel ?? ""), expected.reviewFields);
    });
  }

  test("setModel swaps the extractor for later requests; invalid requests are refused and not logged", async () => {
    const { router, route, useCase } = routerWith();
    assert.equal((await route("Monday maybe?")).answeredBy, "llm");
    router.setModel(stubModel(0.5), "v2");
    // Another key, so that the cached LLM answer does not answer first.
    const result = await route("Monday maybe?", "key-2");
    assert.equal(result.answeredBy, "slm");
    assert.equal(result.modelVersion, "v2");
    assert.equal(result.threshold, 0.5);
    assert.deepEqual(result.fields, { date: "2025-01-20", name: null, people: null });
    await assert.rejects(
      router.route({ useCaseId: "other", text: confidentText, apiKeyId: null }),
      (error: unknown) => SlmkitError.isInstance(error) && error.code === "INVALID_INPUT",
    );
    await assert.rejects(
      router.route({ useCaseId: useCase.id, text: "  ", apiKeyId: null }),
      /the text to extract from is empty/,
    );
    await assertOneRowPerCall();
  });

  test("createRouter routes an extract use case with the extract policy; an LLM of the wrong kind is refused", async () => {
    const extractCase = useCaseWith();
    const router = createRouter({ useCase: extractCase, model: stubModel(), store, batching: false });
    const result = await router.route({ useCaseId: extractCase.id, text: confidentText, apiKeyId: null });
    assert.equal(result.answeredBy, "slm");
    assert.deepEqual(result.fields, { date: "2025-01-17", name: "Ana", people: 4 });
    const labeler = { model: "labeler", classify: async () => ({}) as never };
    assert.throws(
      () => createRouter({ useCase: extractCase, model: stubModel(), store, llm: labeler }),
      (error: unknown) =>
        SlmkitError.isInstance(error) && error.code === "INVALID_OPTION" && error.field === "llm",
    );
    const classify = validateUseCase({
      version: 1,
      id: "tickets",
      title: "Tickets",
      task: "classify",
      labels: [{ name: "a" }, { name: "b" }],
      data: { train: "train.jsonl" },
    });
    assert.throws(
      () => createExtractRouter({ useCase: classify, model: stubModel(), store }),
      /createRouter/,
    );
  });
});

describe("checkFieldValues", () => {
  test("fills absent fields with null and keeps strings, numbers and nulls", () => {
    assert.deepEqual(checkFieldValues({ people: 2, name: "Ana" }, fieldNames), {
      fields: { date: null, name: "Ana", people: 2 },
    });
  });

  test("refuses what is not an object of the fields", () => {
    for (const [value, problem] of [
      [[], /not a JSON object/],
      ["Ana", /not a JSON object/],
      [null, /not a JSON object/],
      [{ name: "Ana", table: 4, seat: 1 }, /"table", "seat" are not fields/],
      [{ people: Number.NaN }, /the value of "people"/],
      [{ people: [2] }, /the value of "people"/],
    ] as const) {
      const checked = checkFieldValues(value, fieldNames);
      assert.ok("problem" in checked, JSON.stringify(value));
      assert.match(checked.problem, problem);
    }
  });
});
