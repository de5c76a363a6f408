import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, beforeEach, describe, test } from "node:test";
import { createMemoryCache } from "../../src/cache/memory-cache.js";
import type { ResponseCache } from "../../src/cache/types.js";
import { SlmkitError } from "../../src/errors.js";
import type { LlmLabeler } from "../../src/models/llm.js";
import type { NativeClassifier } from "../../src/models/native/classifier.js";
import { createOpenAiLabeler } from "../../src/models/openai/openai-labeler.js";
import { createBudget } from "../../src/route/budget.js";
import { createCircuitBreaker } from "../../src/route/circuit-breaker.js";
import {
  createRouter,
  defaultHoldingAnswer,
  formatComparison,
  type RouterOptions,
} from "../../src/route/router.js";
import type { RouteResult } from "../../src/route/types.js";
import { generateSupportData, supportTemplate } from "../../src/spec/index.js";
import type { UseCase, UseCaseInput } from "../../src/spec/schema.js";
import { validateUseCase } from "../../src/spec/validate.js";
import { createSqliteStore } from "../../src/store/sqlite-store.js";
import type { Store } from "../../src/store/types.js";
import { normalizeText } from "../../src/text/normalize.js";
import { trainClassifier } from "../../src/train/train-classifier.js";
import {
  answer,
  answerBy,
  type FakeOpenAiServer,
  serverError,
  startFakeOpenAi,
} from "../helpers/fake-openai.js";

let model: NativeClassifier;
let server: FakeOpenAiServer;
let store: Store;
let cache: ResponseCache;
/** Route calls made against `store`, to check one log row each. */
let calls: number;

/** Tickets the support model is sure of, and nonsense it is not. */
let confidentText: string;
const unsureText = "zzqx vvbn";
const piiText = "zzqx vvbn jane.doe@example.com 4111 1111 1111 1111";

before(async () => {
  const train = generateSupportData({ seed: 1, perLabel: 40 });
  ({ model } = await trainClassifier(train, { seed: 1 }));
  const candidates = generateSupportData({ seed: 7, perLabel: 3 }).map((example) => example.text);
  const sure = candidates.find((text) => model.predictDetailed(text).confidence >= model.threshold + 0.02);
  assert.ok(sure !== undefined, "some generated ticket must be accepted");
  confidentText = sure;
  for (const text of [unsureText, piiText]) {
    assert.ok(
      model.predictDetailed(text).confidence < model.threshold,
      `"${text}" must be below the threshold`,
    );
  }
  server = await startFakeOpenAi();
});

after(async () => {
  await server.close();
  await store?.close();
});

beforeEach(async () => {
  await store?.close();
  store = createSqliteStore({ path: ":memory:", flushIntervalMs: 1 });
  await store.migrate();
  cache = createMemoryCache();
  calls = 0;
  server.requests.length = 0;
  server.setHandler(answer("promo_code"));
});

function useCaseWith(
  overrides: Partial<UseCaseInput> = {},
  llm: Partial<NonNullable<UseCaseInput["llm"]>> = {},
): UseCase {
  return validateUseCase({
    ...supportTemplate.spec,
    llm: { ...supportTemplate.spec.llm, baseUrl: server.baseUrl, model: "gpt-fake", timeoutMs: 2000, ...llm },
    ...overrides,
  });
}

function labelerFor(useCase: UseCase, overrides: { baseUrl?: string; timeoutMs?: number } = {}): LlmLabeler {
  return createOpenAiLabeler({
    baseUrl: overrides.baseUrl ?? server.baseUrl,
    model: "gpt-fake",
    apiKey: "sk-fake",
    labels: useCase.labels ?? [],
    pricePer1kInputUsd: 0.15,
    pricePer1kOutputUsd: 0.6,
    timeoutMs: overrides.timeoutMs ?? 5000,
    maxRetries: 1,
    random: () => 0,
  });
}

function routerWith(
  options: Partial<RouterOptions> & { useCase?: UseCase } = {},
  { withoutCache = false } = {},
) {
  const useCase = options.useCase ?? useCaseWith();
  const router = createRouter({
    model,
    store,
    ...(withoutCache ? {} : { cache }),
    llm: labelerFor(useCase),
    modelVersion: "v1",
    ...options,
    useCase,
  });
  const route = async (text: string, apiKeyId: string | null = "key-1"): Promise<RouteResult> => {
    calls += 1;
    return router.route({ useCaseId: useCase.id, text, apiKeyId });
  };
  return { router, route, useCase };
}

/** The logged row of a result, after checking it says what the result says. */
async function loggedRow(result: RouteResult) {
  await store.flush();
  const row = await store.getRequest(result.requestId);
  assert.ok(row !== undefined, "every decision is logged");
  assert.equal(row.reason, result.reasonDetail ?? result.reason, "the log row keeps the reason's detail");
  assert.equal(row.answeredBy, result.answeredBy);
  assert.equal(row.label, result.label);
  assert.equal(row.slmLabel, result.slm.label);
  assert.equal(row.modelVersion, result.modelVersion);
  return row;
}

async function assertOneRowPerCall(): Promise<void> {
  await store.flush();
  assert.equal(await store.countRequests(), calls, "exactly one log row per route call");
}

describe("router", () => {
  test("a confident small model answers; the LLM is not asked; the log keeps a hash, not the text", async () => {
    const { route } = routerWith();
    const result = await route(confidentText);
    assert.equal(result.answeredBy, "slm");
    assert.equal(result.flagged, false);
    assert.equal(result.label, result.slm.label);
    assert.ok(result.confidence !== null && result.confidence >= result.threshold);
    assert.match(result.reason, /^confidence 0\.\d{3,} >= threshold 0\.\d{3,}$/);
    assert.equal(result.modelVersion, "v1");
    assert.equal(result.costUsd, 0);
    assert.equal(server.requests.length, 0);
    const row = await loggedRow(result);
    assert.equal(row.inputText, null, "privacy.storeText is false");
    assert.equal(row.inputHash, createHash("sha256").update(normalizeText(confidentText)).digest("hex"));
    await assertOneRowPerCall();
  });

  test("an unsure small model escalates to the LLM, whose answer is cached for the next identical request", async () => {
    const { route } = routerWith();
    const first = await route(unsureText);
    assert.equal(first.answeredBy, "llm");
    assert.equal(first.label, "promo_code");
    assert.deepEqual(first.llm, { label: "promo_code", model: "gpt-fake" });
    assert.match(first.reason, /< threshold .*; llm answered "promo_code"$/);
    assert.ok(first.costUsd > 0 && first.inputTokens > 0);
    assert.equal(server.requests.length, 1);
    const firstRow = await loggedRow(first);
    assert.equal(firstRow.llmLabel, "promo_code");
    assert.equal(firstRow.costUsd, first.costUsd);

    // The cache write is off the response path; give it its turn.
    await new Promise((resolve) => setImmediate(resolve));
    const second = await route(`  ${unsureText.toUpperCase()} `);
    assert.equal(second.answeredBy, "cache");
    assert.equal(second.label, "promo_code");
    assert.match(second.reason, /cache hit \(exact\) of an earlier llm answer/);
    assert.equal(server.requests.length, 1, "the cache answered");
    assert.equal(second.costUsd, 0);
    await loggedRow(second);

    const otherTenant = await route(unsureText, "key-2");
    assert.equal(otherTenant.answeredBy, "llm", "cache scopes never cross API keys");
    await assertOneRowPerCall();
  });

  for (const [name, reply, expected, expectedDetail] of [
    [
      "answers 500",
      () => serverError(500),
      /; llm_error 500; /,
      /llm_error 500 \(gpt-fake at http:\/\/127\.0\.0\.1:\d+\/v1 answered 500/,
    ],
    [
      "replies with a label outside the set",
      answer("free_pizza"),
      /llm unsure \(replied "\{\\"label\\":\\"free_pizza\\"\}"\)/,
      null,
    ],
    [
      "returns an HTML page",
      () => ({
        kind: "raw" as const,
        body: "<html><h1>502 at llm.internal</h1></html>",
        contentType: "text/html",
      }),
      /; llm_error malformed_reply; /,
      /llm_error malformed_reply \(.*not JSON: .*<html><h1>502 at llm\.internal/,
    ],
  ] as const) {
    test(`when the LLM ${name}: a review item and the small model's guess, flagged`, async () => {
      server.setHandler(reply);
      const { route, router } = routerWith();
      const result = await route(unsureText);
      assert.equal(result.answeredBy, "review");
      assert.equal(result.flagged, true);
      assert.equal(result.label, result.slm.label);
      assert.equal(result.confidence, result.slm.confidence);
      assert.equal(result.answer, null);
      assert.match(result.reason, expected);
      assert.match(result.reason, /; queued for review$/);
      // What a client reads names the kind of failure only; the detail (URL, body) is for the log row.
      assert.doesNotMatch(result.reason, /127\.0\.0\.1|html|gpt-fake at/);
      if (expectedDetail === null) assert.equal(result.reasonDetail, null);
      else assert.match(result.reasonDetail ?? "", expectedDetail);
      assert.ok(result.reviewId !== null);
      const [item] = await store.listReview();
      assert.equal(item?.id, result.reviewId);
      assert.equal(item?.inputText, unsureText);
      assert.equal(item?.slmLabel, result.slm.label);
      assert.equal(item?.reason, result.reason, "a review item keeps the reason a client may read");
      await loggedRow(result);
      await assertOneRowPerCall();
      assert.ok(router.stats().answeredBy.review === 1);
    });
  }

  test("an LLM slower than llm.timeoutMs is cut off: review, with the timeout in the reason", async () => {
    server.setHandler(() => ({ kind: "hang" }));
    const useCase = useCaseWith({}, { timeoutMs: 150 });
    const { route, router } = routerWith({ useCase, llm: labelerFor(useCase, { timeoutMs: 5000 }) });
    const started = performance.now();
    const result = await route(unsureText);
    const elapsed = performance.now() - started;
    assert.equal(result.answeredBy, "review");
    assert.match(result.reason, /; llm_timeout; queued for review$/);
    assert.match(result.reasonDetail ?? "", /llm_timeout \(gpt-fake did not answer within 150 ms\)/);
    assert.ok(elapsed < 1500, `took ${elapsed} ms`);
    assert.equal(router.stats().llm.timeouts, 1);
    await loggedRow(result);
  });

  test("an LLM that is down (connection refused) sends the request to review", async () => {
    const down = await startFakeOpenAi();
    const baseUrl = down.baseUrl;
    await down.close();
    const useCase = useCaseWith();
    const { route } = routerWith({ useCase, llm: labelerFor(useCase, { baseUrl }) });
    const result = await route(unsureText);
    assert.equal(result.answeredBy, "review");
    assert.match(result.reason, /; llm_error connection; queued for review$/);
    assert.match(result.reasonDetail ?? "", /llm_error connection \(could not reach gpt-fake at http/);
  });

  test("a failure's detail goes to the log row and the server log only: the LLM's URL and a database error", async () => {
    server.setHandler(() => serverError(500));
    const logged: { level: string; context: Record<string, unknown>; message: string }[] = [];
    const record = (level: string) => (context: object, message: string) =>
      logged.push({ level, context: context as Record<string, unknown>, message });
    const logger = { info: record("info"), warn: record("warn"), error: record("error") };
    const failingQueue: typeof store = Object.assign(Object.create(store) as typeof store, {
      enqueueReview: async () => {
        throw new Error("SQLITE_FULL: database or disk is full (/var/lib/slmkit/gateway.db)");
      },
    });
    const { route } = routerWith({ store: failingQueue, logger });
    const result = await route(unsureText);
    assert.equal(result.answeredBy, "review");
    assert.equal(result.reviewId, null);
    assert.match(result.reason, /; llm_error 500; queued for review \(not queued: store_unavailable\)$/);
    assert.doesNotMatch(result.reason, /SQLITE|\/var|127\.0\.0\.1/);
    assert.match(result.reasonDetail ?? "", /llm_error 500 \(gpt-fake at http:\/\/127\.0\.0\.1/);
    assert.match(
      result.reasonDetail ?? "",
      /\(not queued: store_unavailable: SQLITE_FULL: database or disk is full/,
    );
    await loggedRow(result);
    const failure = logged.find(
      (line) => line.message === "router: the LLM failed; the request goes to review",
    );
    assert.equal(failure?.level, "warn");
    assert.equal(failure?.context.requestId, result.requestId);
    assert.match(String(failure?.context.reason), /127\.0\.0\.1/);
    const queue = logged.find((line) => line.message === "router: could not queue a request for review");
    assert.equal(queue?.context.requestId, result.requestId);
  });

  test("an open circuit skips the LLM at once", async () => {
    server.setHandler(() => serverError(503));
    const breaker = createCircuitBreaker({ consecutiveFailures: 1, cooldownMs: 60_000 });
    const { route, router } = routerWith({ breaker });
    await route(unsureText);
    assert.equal(breaker.state(), "open");
    const requestsBefore = server.requests.length;
    // Were the LLM asked now, it would hang until the 2 s deadline.
    server.setHandler(() => ({ kind: "hang" }));
    const started = performance.now();
    const result = await route("qqq www zzz");
    const elapsed = performance.now() - started;
    assert.equal(server.requests.length, requestsBefore, "no call while open");
    assert.equal(result.answeredBy, "review");
    assert.match(result.reason, /llm skipped: circuit open/);
    assert.ok(elapsed < 500, `open-circuit path took ${elapsed} ms`);
    assert.equal(router.stats().llm.skippedOpenCircuit, 1);
    await assertOneRowPerCall();
  });

  test("PII is redacted in what the LLM receives and in the reviewer's copy", async () => {
    server.setHandler(answer("not_a_label"));
    const { route } = routerWith();
    const result = await route(piiText);
    assert.equal(result.answeredBy, "review");
    const sent = server.requests[0]?.user ?? "";
    assert.ok(!sent.includes("jane.doe@example.com") && !sent.includes("4111"), `sent: ${sent}`);
    assert.match(sent, /\[EMAIL\]/);
    assert.match(sent, /\[CARD\]/);
    const [item] = await store.listReview();
    assert.equal(item?.inputText, "zzqx vvbn [EMAIL] [CARD]");
    assert.equal((await loggedRow(result)).inputText, null, "storeText is false");
  });

  test("privacy.redactPii false sends the text as written; storeText true logs it", async () => {
    const useCase = useCaseWith({ privacy: { redactPii: false, storeText: true, retentionDays: 30 } });
    const { route } = routerWith({ useCase });
    const result = await route(piiText);
    assert.equal(server.requests[0]?.user, piiText);
    assert.equal((await loggedRow(result)).inputText, piiText);
  });

  for (const [storeText, redactPii, logText, reviewText] of [
    [false, true, null, "zzqx vvbn [EMAIL] [CARD]"],
    [false, false, null, null],
    [true, true, "zzqx vvbn [EMAIL] [CARD]", "zzqx vvbn [EMAIL] [CARD]"],
    [true, false, piiText, piiText],
  ] as const) {
    test(`storeText ${storeText}, redactPii ${redactPii}: the log keeps ${logText === null ? "no text" : logText === piiText ? "the text as written" : "the redacted text"}, the review item ${reviewText === null ? "none" : reviewText === piiText ? "the text as written" : "the redacted text"}`, async () => {
      server.setHandler(answer("not_a_label"));
      const useCase = useCaseWith({ privacy: { storeText, redactPii, retentionDays: 30 } });
      const { route } = routerWith({ useCase });
      const result = await route(piiText);
      assert.equal(result.answeredBy, "review");
      assert.equal((await loggedRow(result)).inputText, logText);
      const [item] = await store.listReview();
      assert.equal(item?.inputText, reviewText);
    });
  }

  test('fallback "review": no LLM call, label null and the holding answer', async () => {
    const useCase = useCaseWith({ routing: { targetAccuracy: 0.97, fallback: "review", shadowRate: 0 } });
    const { route } = routerWith({ useCase });
    const result = await route(unsureText);
    assert.equal(server.requests.length, 0);
    assert.equal(result.answeredBy, "review");
    assert.equal(result.label, null);
    assert.equal(result.confidence, null);
    assert.equal(result.answer, defaultHoldingAnswer);
    assert.equal(result.flagged, false);
    assert.ok(result.reviewId !== null);
    assert.match(result.reason, /fallback is review; queued for review$/);
    const confident = await route(confidentText);
    assert.equal(confident.answeredBy, "slm", "confident answers are unaffected");
    await assertOneRowPerCall();
  });

  test('fallback "slm": no LLM call, the small model\'s guess flagged and queued for review', async () => {
    const useCase = useCaseWith({ routing: { targetAccuracy: 0.97, fallback: "slm", shadowRate: 0 } });
    const { route } = routerWith({ useCase });
    const result = await route(unsureText);
    assert.equal(server.requests.length, 0);
    assert.equal(result.answeredBy, "review");
    assert.equal(result.label, result.slm.label);
    assert.equal(result.flagged, true);
    assert.ok(result.reviewId !== null);
  });

  test("no LLM configured: review with the small model's guess", async () => {
    const useCase = useCaseWith();
    const router = createRouter({ useCase, model, store });
    calls += 1;
    const result = await router.route({ useCaseId: "support", text: unsureText, apiKeyId: null });
    assert.equal(result.answeredBy, "review");
    assert.match(result.reason, /no LLM configured/);
    assert.equal(result.flagged, true);
  });

  test("a spent use-case budget sends escalations to review without calling the LLM", async () => {
    await store.addSpend("usecase:support", 5);
    const { route, router } = routerWith();
    const result = await route(unsureText);
    assert.equal(server.requests.length, 0);
    assert.equal(result.answeredBy, "review");
    assert.match(result.reason, /llm skipped: use case "support" daily budget reached/);
    assert.equal(router.stats().llm.skippedBudget, 1);
  });

  test("a key over its own daily cap is stopped; other keys still escalate", async () => {
    const useCase = useCaseWith();
    const budget = createBudget({ store, useCaseId: "support", limits: { perKeyDailyUsd: 0.000001 } });
    const { route } = routerWith({ useCase, budget });
    assert.equal((await route(unsureText, "key-a")).answeredBy, "llm");
    await new Promise((resolve) => setImmediate(resolve));
    const blocked = await route("qqq www zzz", "key-a");
    assert.equal(blocked.answeredBy, "review");
    assert.match(blocked.reason, /API key "key-a" daily budget reached/);
    assert.equal((await route("qqq www zzz", "key-b")).answeredBy, "llm");
    assert.ok((await store.getSpend("key:key-a", 0)) > 0, "spend is recorded per key");
    assert.ok((await store.getSpend("usecase:support", 0)) > 0, "and per use case");
  });

  test("shadow traffic: accepted requests also go to the LLM in the background and agreement is counted", async () => {
    const useCase = useCaseWith({ routing: { targetAccuracy: 0.97, fallback: "llm", shadowRate: 1 } });
    const expected = model.predictDetailed(confidentText).label;
    server.setHandler(answerBy((text) => (text === confidentText ? expected : "promo_code")));
    const { route, router } = routerWith({ useCase, random: () => 0 });
    const result = await route(confidentText);
    assert.equal(result.answeredBy, "slm", "the reply does not wait for the shadow call");
    await router.idle();
    assert.equal(server.requests.length, 1);
    const shadow = router.stats().shadow;
    assert.equal(shadow.sent, 1);
    assert.equal(shadow.agreed, 1);
    assert.equal(shadow.agreement, 1);
    await assertOneRowPerCall();
  });

  test("concurrent requests share micro-batches and each gets its own answer and log row", async () => {
    const { route, router } = routerWith({}, { withoutCache: true });
    const texts = generateSupportData({ seed: 11, perLabel: 2 }).map((example) => example.text);
    server.setHandler(answer("order_status"));
    const results = await Promise.all(texts.map((text) => route(text)));
    const expected = model.predictSync(texts);
    for (const [index, result] of results.entries()) assert.equal(result.slm.label, expected[index]?.label);
    const batches = router.stats().batcher?.batches ?? 0;
    assert.ok(batches < texts.length / 4, `${texts.length} requests in ${batches} batches`);
    await assertOneRowPerCall();
  });

  test("setModel swaps the model for later requests", async () => {
    const { route, router } = routerWith();
    const strict = model.withThreshold(0.9999999);
    router.setModel(strict, "v2");
    const result = await route(confidentText);
    assert.equal(result.modelVersion, "v2");
    assert.equal(result.threshold, 0.9999999);
    assert.equal(result.answeredBy, "llm");
  });

  test("a hot-reloaded model's sentence vectors are never matched with the old model's cached ones", async () => {
    const spaces: (string | undefined)[] = [];
    // A low threshold so that a short rephrasing is a semantic hit for the same model.
    const lenient = createMemoryCache({ semanticThreshold: 0.6 });
    const recording: ResponseCache = {
      ...lenient,
      get: (scope, text, vector, vectorSpace) => {
        if (vector !== undefined) spaces.push(vectorSpace);
        return lenient.get(scope, text, vector, vectorSpace);
      },
    };
    const { route, router } = routerWith({ cache: recording });
    assert.equal((await route(unsureText)).answeredBy, "llm");
    await router.idle();
    // A rephrasing that only the semantic layer can match (punctuation survives normalization).
    const rephrased = `${unsureText} !`;
    const before = await route(rephrased);
    assert.equal(before.answeredBy, "cache");
    assert.match(before.reason, /semantic/);
    // The same weights under a new version: the same text gives the same vector, but in another space.
    router.setModel(model, "v2");
    const after = await route(rephrased);
    assert.equal(after.answeredBy, "llm");
    assert.deepEqual(spaces, ["v1", "v1", "v2"]);
    // Exact entries are the LLM's answers to the very text: they stay valid across model versions.
    assert.equal((await route(unsureText)).answeredBy, "cache");
    await assertOneRowPerCall();
  });

  test("requests for another use case or with empty text are refused and not logged", async () => {
    const { router } = routerWith();
    await assert.rejects(
      router.route({ useCaseId: "other", text: "hi", apiKeyId: null }),
      (error) => SlmkitError.isInstance(error) && error.code === "INVALID_INPUT",
    );
    await assert.rejects(router.route({ useCaseId: "support", text: "   ", apiKeyId: null }), /empty/);
    await assertOneRowPerCall();
  });

  test("a failing small model fails the request, even while a slow cache is still answering", async () => {
    const slowCache: ResponseCache = {
      ...cache,
      get: (scope, text, vector) =>
        new Promise((resolve) => setTimeout(() => resolve(cache.get(scope, text, vector)), 20)),
    };
    const broken = {
      labels: model.labels,
      threshold: 0.5,
      predict: async () => [],
      predictSync: (): never => {
        throw new Error("weights unreadable");
      },
    };
    const { router } = routerWith({ model: broken, cache: slowCache });
    await assert.rejects(
      router.route({ useCaseId: "support", text: "hello", apiKeyId: null }),
      /weights unreadable/,
    );
    await assertOneRowPerCall();
  });

  test("the given request id is used", async () => {
    const { router } = routerWith();
    calls += 1;
    const result = await router.route({
      useCaseId: "support",
      text: confidentText,
      apiKeyId: null,
      requestId: "req-42",
    });
    assert.equal(result.requestId, "req-42");
    await loggedRow(result);
  });
});

describe("formatComparison", () => {
  test("adds decimals rather than print a false tie", () => {
    assert.equal(formatComparison(0.9312, 0.79), "confidence 0.931 >= threshold 0.790");
    assert.equal(formatComparison(0.7896, 0.79), "confidence 0.7896 < threshold 0.7900");
    assert.equal(formatComparison(0.79, 0.79), "confidence 0.790 >= threshold 0.790");
  });
});
