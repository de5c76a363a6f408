import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";
import type { Browser, BrowserContext, Page } from "playwright-core";
import type { TcoReport } from "../../src/cost/types.js";
import { formatJsonl } from "../../src/data/io.js";
import { saveNativeModel } from "../../src/models/native/model-directory.js";
import type { DriftReport } from "../../src/monitor/types.js";
import { createApp } from "../../src/serve/app.js";
import type { DashboardResponse } from "../../src/serve/dashboard/routes.js";
import { createGatewayMetrics } from "../../src/serve/metrics.js";
import { createRateLimiter } from "../../src/serve/rate-limit.js";
import { type Gateway, startGateway } from "../../src/serve/server.js";
import { generateSupportData } from "../../src/spec/catalog/support.js";
import type { ReviewItem } from "../../src/store/types.js";
import { trainClassifier } from "../../src/train/train-classifier.js";
import { chromiumMissing, launchChromium } from "../helpers/chromium.js";
import { answerBy, type FakeOpenAiServer, startFakeOpenAi } from "../helpers/fake-openai.js";
import { skipUnlessAvailable } from "../helpers/skip.js";

/** Screenshots for a person to look at; the folder is gitignored. */
const artifacts = fileURLToPath(new URL("../../test-artifacts/dashboard/", import.meta.url));
const labels = [
  ...new Set(generateSupportData({ seed: 1, perLabel: 1 }).map((example) => example.label)),
].sort();

let dir: string;
let gateway: Gateway;
let fake: FakeOpenAiServer;
let key: string;

/** Texts the small model is unsure of: the fake LLM answers "volcano" ones outside the label set (review). */
const reviewTexts = [
  "volcano review one",
  "volcano review two",
  "volcano review three",
  "volcano review four",
];
const llmTexts = ["zebra tulip one", "zebra tulip two"];
const clearTexts = [
  "I want to cancel my order #A12345 before it ships",
  "where is my refund for the returned shoes",
  "my card payment failed at checkout",
];

async function call(path: string, init: { method?: string; body?: unknown; key?: string | null } = {}) {
  const headers: Record<string, string> = {};
  const useKey = init.key === undefined ? key : init.key;
  if (useKey !== null) headers.authorization = `Bearer ${useKey}`;
  if (init.body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${gateway.url}${path}`, {
    method: init.method ?? "GET",
    headers,
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as never };
}

const predict = (texts: string[]) =>
  call("/v1/usecases/support/predict", { method: "POST", body: { texts } }) as Promise<{
    status: number;
    body: { predictions: { answered_by: string; request_id: string }[] };
  }>;

async function dashboard(query = ""): Promise<DashboardResponse> {
  const response = await call(`/v1/dashboard${query}`);
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body;
}

async function openReview(): Promise<ReviewItem[]> {
  const response = await call("/v1/review?usecase=support&status=open&limit=1000");
  return (response.body as { data: ReviewItem[] }).data;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "slmkit-dashboard-"));
  const trainData = generateSupportData({ seed: 1, perLabel: 40 });
  // The gateway profiles this file as the drift reference, and the cost report counts it as labelled data.
  await writeFile(join(dir, "train.jsonl"), formatJsonl(trainData));
  const trained = await trainClassifier(trainData, {
    valid: generateSupportData({ seed: 2, perLabel: 15 }),
    seed: 1,
  });
  for (const text of [...reviewTexts, ...llmTexts])
    assert.ok(trained.model.predictDetailed(text).confidence < trained.model.threshold, text);
  await saveNativeModel(trained.model, join(dir, "model"), trained.record);
  fake = await startFakeOpenAi(answerBy((user) => (user.includes("volcano") ? "not_a_label" : labels[1]!)));
  process.env.SLMKIT_TEST_DASHBOARD_LLM_KEY = "sk-test";
  await writeFile(
    join(dir, "usecase.yaml"),
    `version: 1
id: support
title: Support tickets
task: classify
labels:
${labels.map((label) => `  - name: ${label}`).join("\n")}
data:
  train: train.jsonl
model: model
routing:
  targetAccuracy: 0.97
  fallback: llm
llm:
  baseUrl: ${fake.baseUrl}
  model: gpt-fake
  apiKeyEnv: SLMKIT_TEST_DASHBOARD_LLM_KEY
  pricePer1kInputUsd: 0.15
  pricePer1kOutputUsd: 0.6
  timeoutMs: 2000
privacy:
  storeText: true
`,
  );
  gateway = await startGateway({
    usecases: [join(dir, "usecase.yaml")],
    port: 0,
    store: `sqlite:${join(dir, "gateway.db")}`,
  });
  key = (await gateway.store.createApiKey("dashboard test", { role: "admin" })).key;
  const seeded = await predict([...clearTexts, ...llmTexts, ...reviewTexts]);
  assert.equal(seeded.status, 200);
  const answeredBy = seeded.body.predictions.map((prediction) => prediction.answered_by);
  assert.equal(answeredBy.filter((who) => who === "review").length, reviewTexts.length, answeredBy.join());
  assert.ok(answeredBy.includes("llm"), answeredBy.join());
  // Feedback so that the accuracy figure has something to show.
  await call("/v1/feedback", {
    method: "POST",
    body: { request_id: seeded.body.predictions[0]?.request_id, label: labels[0] },
  });
  await mkdir(artifacts, { recursive: true });
});

after(async () => {
  await gateway?.close();
  await fake?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("GET /v1/dashboard", () => {
  test("returns the use cases, the range's summary and the figures derived from it", async () => {
    const body = await dashboard("?usecase=support");
    assert.equal(body.object, "dashboard");
    assert.equal(body.usecase, "support");
    const useCase = gateway.useCases.get("support");
    assert.deepEqual(body.usecases, [
      {
        id: "support",
        title: "Support tickets",
        task: "classify",
        modelVersion: useCase?.modelVersion,
        threshold: useCase?.model.threshold,
        targetAccuracy: 0.97,
        labels,
      },
    ]);
    assert.equal(body.range.hours, 24);
    assert.equal(body.range.bucketMs, 3_600_000);
    const totals = body.summary.totals;
    assert.equal(totals.requests, await gateway.store.countRequests({ useCaseId: "support" }));
    assert.equal(totals.answeredBy.review, reviewTexts.length);
    const shares = body.derived.shares;
    assert.ok(shares !== null);
    assert.ok(Math.abs(shares.slm + shares.cache + shares.llm + shares.review - 1) < 1e-9);
    assert.equal(shares.local, shares.slm + shares.cache);
    assert.equal(body.derived.accuracy.n, 1);
    const money = body.derived.money;
    assert.ok(totals.llmCalls > 0 && money.actualUsd > 0);
    assert.equal(money.meanLlmCallUsd, totals.costUsd / totals.llmCalls);
    assert.equal(money.llmOnlyEstimateUsd, (totals.costUsd / totals.llmCalls) * totals.requests);
    assert.equal(money.savedUsd, (money.llmOnlyEstimateUsd ?? 0) - money.actualUsd);
    // startGateway wires both sources: drift against the training file's profile (too few requests yet to
    // judge), and the cost report from the log, the model and usecase.yaml's prices.
    assert.equal(body.drift.configured, true);
    assert.equal(body.drift.error, null);
    assert.equal(body.drift.report?.status, "insufficient");
    assert.equal(body.tco.configured, true);
    assert.equal(body.tco.error, null);
    assert.equal(body.tco.report?.inputs.llmPricePer1kInputUsd?.value, 0.15);
    assert.equal(body.tco.report?.inputs.escalationRate?.source, "measured");
    assert.equal(body.review.open, (await openReview()).length);
    assert.equal(body.review.capped, false);
  });

  test("chooses the bucket width from the range and defaults to the first use case", async () => {
    assert.equal((await dashboard("?hours=6")).range.bucketMs, 5 * 60_000);
    assert.equal((await dashboard("?hours=168")).range.bucketMs, 3_600_000);
    const month = await dashboard("?hours=720");
    assert.equal(month.range.bucketMs, 86_400_000);
    assert.equal(month.usecase, "support");
    assert.equal(month.range.since % 86_400_000, 0, "the range starts on a bucket boundary");
  });

  test("requires an API key like the other /v1 routes", async () => {
    const missing = await call("/v1/dashboard", { key: null });
    assert.equal(missing.status, 401);
    assert.equal((missing.body as { error: { code: string } }).error.code, "missing_api_key");
    const wrong = await call("/v1/dashboard", { key: "slmk_aaaaaaaaaaaa_wrong" });
    assert.equal(wrong.status, 401);
    assert.equal((wrong.body as { error: { code: string } }).error.code, "invalid_api_key");
  });

  test("answers an unknown use case with a 404 and bad hours with a 400, in the OpenAI error shape", async () => {
    const unknown = await call("/v1/dashboard?usecase=nope");
    assert.equal(unknown.status, 404);
    assert.deepEqual(unknown.body, {
      error: {
        message: 'no use case "nope"; GET /v1/models lists them.',
        type: "not_found_error",
        code: "model_not_found",
        param: "usecase",
      },
    });
    for (const hours of ["0", "-1", "abc", "100000"]) {
      const bad = await call(`/v1/dashboard?hours=${hours}`);
      assert.equal(bad.status, 400, hours);
      assert.equal((bad.body as { error: { param: string } }).error.param, "hours");
    }
  });

  test("serves the pages and their files without a key, and nothing outside the folder", async () => {
    for (const [path, type] of [
      ["/", "text/html"],
      ["/review", "text/html"],
      ["/assets/app.js", "text/javascript"],
      ["/assets/style.css", "text/css"],
    ] as const) {
      const response = await fetch(`${gateway.url}${path}`);
      assert.equal(response.status, 200, path);
      assert.match(response.headers.get("content-type") ?? "", new RegExp(`^${type}`), path);
      assert.match(response.headers.get("content-security-policy") ?? "", /default-src 'none'/);
      const etag = response.headers.get("etag") ?? "";
      const again = await fetch(`${gateway.url}${path}`, { headers: { "if-none-match": etag } });
      assert.equal(again.status, 304, path);
    }
    for (const path of ["/assets/routes.ts", "/assets/..%2Froutes.ts", "/assets/nope.js"]) {
      const response = await fetch(`${gateway.url}${path}`);
      assert.equal(response.status, 404, path);
    }
  });
});

const driftReport: DriftReport = {
  useCaseId: "support",
  modelVersion: "abc@1",
  status: "drift",
  window: { n: 1000, from: Date.now() - 3_600_000, to: Date.now() },
  reference: { source: "training", n: 600, createdAt: "2026-01-01T00:00:00.000Z" },
  checks: [
    {
      name: "labels",
      metric: "PSI of predicted labels",
      value: 0.41,
      reference: null,
      threshold: 0.2,
      direction: "above",
      status: "alert",
      n: 1000,
      detail: "PSI 0.41 > 0.20: the mix of predicted labels changed",
    },
    {
      name: "escalationRate",
      metric: "escalation rate",
      value: 0.12,
      reference: 0.1,
      threshold: 0.1,
      direction: "above",
      status: "ok",
      n: 1000,
      detail: "escalation rate 0.12, reference 0.10",
    },
  ],
  computedAt: Date.now(),
};

/**
 * The cost report fixture's curve, 4 volumes a decade from 10K to 10M: hybrid and small-model-only pay the
 * $36 a month fixed, so hybrid meets LLM-only at 36 / (0.42 − 0.05) · 1000 = 97,297 requests a month.
 */
function fixtureCurve(): TcoReport["curve"] {
  return Array.from({ length: 13 }, (_, step) => {
    const volume = Number((10 ** (4 + step / 4)).toPrecision(3));
    const thousands = volume / 1000;
    return {
      requestsPerMonth: volume,
      llmOnly: thousands * 0.42,
      slmOnly: 36 + thousands * 0.01,
      hybrid: 36 + thousands * 0.05,
      machines: 1,
    };
  });
}

const tcoReport: TcoReport = {
  useCaseId: "support",
  inputs: {
    escalationRate: { value: 0.1, unit: "share", source: "measured", note: "request log" },
    llmPricePer1kInputUsd: {
      value: 0.15,
      unit: "USD per 1K tokens",
      source: "configured",
      note: "usecase.yaml llm.pricePer1kInputUsd",
    },
    machineUsdPerHour: { value: 0.05, unit: "USD per hour", source: "assumed", note: "default" },
    requestsPerMonth: { value: 120_000, unit: "requests/month", source: "measured", note: "request log" },
  },
  perThousand: { llmOnly: 0.42, slmOnly: 0.01, hybrid: 0.05 },
  monthlyFixedUsd: 36,
  breakEvenRequestsPerMonth: 97_297,
  breakEvenSlmOnlyRequestsPerMonth: 87_805,
  curve: fixtureCurve(),
  atCurrentVolume: { requestsPerMonth: 120_000, llmOnly: 50.4, slmOnly: 37.2, hybrid: 42, machines: 1 },
  formulas: ["hybrid = 0.1 × 0.42 + 0.008 = 0.05"],
  costTarget: { perThousandUsd: 0.1, met: { llmOnly: false, slmOnly: true, hybrid: true } },
  notes: ["one machine carries up to 2.6M requests a month"],
  breakdown: {
    llmCostPerCallUsd: 0.00042,
    requestsPerMachinePerMonth: 2_628_000,
    llmOnlyLlmUsdPerThousand: 0.42,
    llmOnlyReviewUsdPerThousand: 0,
    machineUsdPerThousand: 0.01,
    hybridLlmUsdPerThousand: 0.042,
    hybridReviewUsdPerThousand: 0,
    slmOnlyReviewUsdPerThousand: 0,
    machineMonthlyUsd: 36.5,
    replicasMonthlyUsd: 36.5,
    oneOff: { labellingUsd: 0, teacherUsd: 0, trainingUsd: 0, totalUsd: 0 },
    amortizedOneOffMonthlyUsd: 0,
  },
  computedAt: Date.now(),
};

/**
 * The browser globals functions run in the page use. The tests compile without the DOM library, and the
 * pages' Content-Security-Policy refuses predicates given as source text, so functions (serialized into the
 * page, so they cannot call helpers of this file) cast `globalThis` to this.
 */
interface PageGlobals {
  document: { querySelector(selector: string): { textContent: string | null } | null };
  sessionStorage: { getItem(key: string): string | null; setItem(key: string, value: string): void };
}

/** A second app over the gateway's store and use cases whose drift and cost sources are wired. */
async function appWithReports(sources: NonNullable<Parameters<typeof createApp>[0]["dashboard"]>) {
  const app = await createApp({
    useCases: gateway.useCases,
    store: gateway.store,
    metrics: createGatewayMetrics(),
    rateLimiter: createRateLimiter(),
    reload: gateway.reload,
    ready: () => true,
    dashboard: sources,
  });
  return app;
}

describe("GET /v1/dashboard with drift and cost sources", () => {
  test("includes their reports, and a failing source is reported without failing the rest", async () => {
    const app = await appWithReports({
      drift: async () => driftReport,
      tco: async () => {
        throw new Error("no prices configured");
      },
    });
    try {
      const response = await app.inject({
        url: "/v1/dashboard?usecase=support",
        headers: { authorization: `Bearer ${key}` },
      });
      assert.equal(response.statusCode, 200);
      const body = response.json() as DashboardResponse;
      assert.deepEqual(body.drift, { configured: true, report: driftReport, error: null });
      assert.deepEqual(body.tco, { configured: true, report: null, error: "no prices configured" });
    } finally {
      await app.close();
    }
  });
});

describe("GET /v1/dashboard over a slow store", () => {
  test("shares one computation between concurrent requests and reuses a slow one for a while", async () => {
    let summaries = 0;
    const slowStore = new Proxy(gateway.store, {
      get(target, property, receiver) {
        if (property === "summarizeRequests")
          return async (...parameters: Parameters<typeof target.summarizeRequests>) => {
            summaries += 1;
            await new Promise((resolve) => setTimeout(resolve, 200));
            return target.summarizeRequests(...parameters);
          };
        const value = Reflect.get(target, property, receiver);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const app = await createApp({
      useCases: gateway.useCases,
      store: slowStore,
      metrics: createGatewayMetrics(),
      rateLimiter: createRateLimiter(),
      reload: gateway.reload,
      ready: () => true,
    });
    try {
      const ask = (hours: number) =>
        app.inject({
          url: `/v1/dashboard?usecase=support&hours=${hours}`,
          headers: { authorization: `Bearer ${key}` },
        });
      const together = await Promise.all([ask(24), ask(24), ask(24)]);
      assert.deepEqual(
        together.map((response) => response.statusCode),
        [200, 200, 200],
      );
      assert.equal(summaries, 1, "concurrent identical requests share one summary");
      // It took ≥ 200 ms, so it is reused for ≥ 2 s: plenty for the next request.
      const again = await ask(24);
      assert.equal(again.json().range.until, together[0]?.json().range.until);
      assert.equal(summaries, 1);
      await ask(168);
      assert.equal(summaries, 2, "another range is its own computation");
    } finally {
      await app.close();
    }
  });
});

describe("dashboard and review pages in headless Chromium", {
  skip: skipUnlessAvailable(chromiumMissing()),
}, () => {
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const consoleErrors: string[] = [];
  const requested: string[] = [];

  before(async () => {
    browser = await launchChromium();
    context = await browser.newContext({ locale: "en-US", viewport: { width: 1280, height: 1000 } });
    context.setDefaultTimeout(5000);
    page = await context.newPage();
    page.on("request", (request) => requested.push(request.url()));
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(message.text());
    });
    page.on("pageerror", (error) => consoleErrors.push(error.message));
  });

  after(async () => {
    await browser?.close();
  });

  const tile = async (name: string) =>
    (await page.locator(`[data-tile="${name}"] .value`).textContent()) ?? "";
  const count = async (name: string) => Number((await tile(name)).replaceAll(",", "").replace("+", ""));
  /** Waits until an element's text, read as a number, is `expected` (the page also refreshes on its own). */
  const waitForNumber = (selector: string, expected: number) =>
    page.waitForFunction(
      ([target, value]) =>
        Number(
          ((globalThis as unknown as PageGlobals).document.querySelector(target)?.textContent ?? "")
            .replaceAll(",", "")
            .replace("+", ""),
        ) === value,
      [selector, expected] as const,
    );
  const waitForCount = (name: string, expected: number) =>
    waitForNumber(`[data-tile="${name}"] .value`, expected);

  test("asks for the key, then shows the API's figures, with no request to another host and no console error", async () => {
    await page.goto(`${gateway.url}/`);
    await page.getByLabel("API key", { exact: true }).waitFor();
    assert.equal(await page.locator("#content").isHidden(), true);
    await page.getByLabel("API key", { exact: true }).fill(key);
    await page.getByRole("button", { name: "Open the dashboard" }).click();
    await page.waitForSelector("body[data-ready='true']");
    const api = await dashboard("?usecase=support");
    assert.equal(await count("requests"), api.summary.totals.requests);
    assert.equal(await count("open-review"), api.review.open);
    assert.equal(await tile("review"), `${((api.derived.shares?.review ?? 0) * 100).toFixed(1)}%`);
    assert.equal(await tile("local"), `${((api.derived.shares?.local ?? 0) * 100).toFixed(1)}%`);
    assert.equal(await tile("drift"), "insufficient");
    assert.equal(await tile("model"), api.usecases[0]?.modelVersion);
    assert.equal(await page.locator("#usecase").inputValue(), "support");
    assert.ok((await page.locator("#chart svg rect").count()) > 0, "the chart has bars");
    assert.match((await page.locator("#tco").textContent()) ?? "", /break-even|never cheaper/i);
    await page.screenshot({ path: join(artifacts, "dashboard.png"), fullPage: true });
    const origin = new URL(gateway.url).origin;
    assert.deepEqual(
      requested.filter((url) => new URL(url).origin !== origin),
      [],
    );
    assert.deepEqual(consoleErrors, []);
  });

  test("'try it' routes a text and the counts grow; API traffic shows after a refresh", async () => {
    const before = await count("requests");
    await page.getByLabel("A text to send to the use case").fill("where is my order #A99999, it is late");
    await page.getByRole("button", { name: "Send" }).click();
    const label = (await page.locator("[data-field='label']").textContent()) ?? "";
    assert.ok(labels.includes(label), label);
    assert.match((await page.locator("[data-field='reason']").textContent()) ?? "", /threshold/);
    await waitForCount("requests", before + 1);
    const sent = await predict(["volcano review five", "my parcel never arrived"]);
    assert.equal(sent.status, 200);
    await page.getByRole("button", { name: "Refresh" }).click();
    await waitForCount("requests", before + 3);
    await waitForCount("open-review", (await openReview()).length);
    await page.screenshot({ path: join(artifacts, "dashboard-after-traffic.png"), fullPage: true });
    assert.deepEqual(consoleErrors, []);
  });

  test("the review page resolves items with the keyboard only; the count drops and feedback is recorded", async () => {
    // One item whose LLM did name a label, so that `2` has something to take.
    const logged = await predict(["volcano review six"]);
    const requestId = logged.body.predictions[0]?.request_id ?? "";
    await gateway.store.enqueueReview({
      requestId,
      useCaseId: "support",
      inputText: "volcano review six",
      slmLabel: labels[2]!,
      slmConfidence: 0.31,
      llmLabel: labels[3]!,
      reason: "test item",
    });
    const open = await openReview();
    assert.ok(open.length >= 3);
    await page.getByRole("link", { name: "Review queue" }).click();
    await page.waitForSelector("body[data-ready='true']");
    const remaining = async () => Number((await page.locator("#remaining").textContent()) ?? "");
    assert.equal(await remaining(), open.length);
    assert.equal(await page.locator("#item-text").textContent(), open[0]?.inputText);

    // First item: type a label after `/`, then Enter.
    await page.keyboard.press("/");
    await page.keyboard.type(labels[4]!);
    await page.keyboard.press("Enter");
    await waitForNumber("#remaining", open.length - 1);
    assert.equal(await page.locator("#item-text").textContent(), open[1]?.inputText);

    // `j` and `k` move through the queue; `1` then Enter takes the small model's label.
    await page.keyboard.press("j");
    assert.equal(await page.locator("#item-text").textContent(), open[2]?.inputText);
    await page.keyboard.press("k");
    assert.equal(await page.locator("#item-text").textContent(), open[1]?.inputText);
    await page.keyboard.press("1");
    await page.keyboard.press("Enter");
    await waitForNumber("#remaining", open.length - 2);

    // The enqueued item is last: skip forward to it with `j`, take the LLM's label with `2`.
    for (let step = 0; step < open.length; step++) await page.keyboard.press("j");
    assert.equal(await page.locator("#item-text").textContent(), "volcano review six");
    await page.keyboard.press("2");
    assert.equal(await page.locator("#label-input").inputValue(), labels[3]);
    await page.keyboard.press("Enter");
    await waitForNumber("#remaining", open.length - 3);
    await page.screenshot({ path: join(artifacts, "review.png"), fullPage: true });

    const resolved = (
      (await call("/v1/review?usecase=support&status=resolved&limit=1000")).body as { data: ReviewItem[] }
    ).data;
    const byId = new Map(resolved.map((item) => [item.id, item]));
    assert.equal(byId.get(open[0]?.id ?? "")?.resolution, labels[4]);
    assert.equal(byId.get(open[1]?.id ?? "")?.resolution, open[1]?.slmLabel);
    const feedback = await gateway.store.listFeedback({ requestId: open[0]?.requestId ?? "" });
    assert.deepEqual(
      feedback.map((entry) => [entry.correct, entry.source]),
      [[labels[4], "review"]],
    );
    assert.equal((await openReview()).length, open.length - 3);
    assert.deepEqual(consoleErrors, []);
  });

  test("a label outside the set is not sent on the first Enter; a second Enter records it as a new label", async () => {
    const before = await openReview();
    await page.keyboard.press("/");
    await page.keyboard.type("gift_wrapping");
    await page.keyboard.press("Enter");
    assert.match(
      (await page.locator("#resolve-message").textContent()) ?? "",
      /not one of this use case's labels.*Enter again to record it as a new label/,
    );
    assert.equal((await openReview()).length, before.length);
    await page.keyboard.press("Enter");
    // The first Enter's message names the label too: wait for the one that says it was resolved.
    await page.locator("#resolve-message").filter({ hasText: "Resolved as “gift_wrapping”" }).waitFor();
    const after = await openReview();
    assert.equal(after.length, before.length - 1);
    const resolvedId = before.find((item) => !after.some((left) => left.id === item.id))?.id;
    const resolved = (await gateway.store.listReview({ status: "resolved", limit: 100 })).find(
      (item) => item.id === resolvedId,
    );
    assert.equal(resolved?.resolution, "gift_wrapping");
  });

  test("a wrong key shows a clear message and the key prompt again", async () => {
    const fresh = await browser.newContext({ locale: "en-US" });
    fresh.setDefaultTimeout(5000);
    try {
      const other = await fresh.newPage();
      await other.goto(`${gateway.url}/`);
      await other.getByLabel("API key", { exact: true }).fill("slmk_aaaaaaaaaaaa_wrong");
      await other.getByRole("button", { name: "Open the dashboard" }).click();
      const message = other.getByRole("alert").filter({ hasText: "refused" });
      await message.waitFor();
      assert.match((await message.textContent()) ?? "", /refused this API key: the API key is not valid/);
      assert.equal(await other.getByLabel("API key", { exact: true }).isVisible(), true);
      assert.equal(
        await other.evaluate(() =>
          (globalThis as unknown as PageGlobals).sessionStorage.getItem("slmkit.apiKey"),
        ),
        null,
      );
      await other.screenshot({ path: join(artifacts, "wrong-key.png") });
    } finally {
      await fresh.close();
    }
  });

  test("a client key is asked to give way to a reviewer's, naming the role; an item whose text is not kept says so", async () => {
    const clientKey = (await gateway.store.createApiKey("a client")).key;
    const item = await gateway.store.enqueueReview({
      requestId: "textless",
      useCaseId: "support",
      inputText: null,
      slmLabel: labels[0]!,
      slmConfidence: 0.2,
      llmLabel: null,
      reason: "privacy test item",
    });
    const fresh = await browser.newContext({ locale: "en-US" });
    fresh.setDefaultTimeout(5000);
    try {
      const other = await fresh.newPage();
      await other.goto(`${gateway.url}/review`);
      await other.getByLabel("API key", { exact: true }).fill(clientKey);
      await other.getByRole("button", { name: "Open the review queue" }).click();
      const message = other.getByRole("alert").filter({ hasText: "refused" });
      await message.waitFor();
      assert.match((await message.textContent()) ?? "", /needs a key with the reviewer role or higher/);
      assert.equal(await other.getByLabel("API key", { exact: true }).isVisible(), true);

      await other.getByLabel("API key", { exact: true }).fill(key);
      await other.getByRole("button", { name: "Open the review queue" }).click();
      await other.waitForSelector("body[data-ready='true']");
      const open = await openReview();
      for (let step = 0; step < open.length; step++) await other.keyboard.press("j");
      const text = other.locator("#item-text");
      assert.match((await text.textContent()) ?? "", /not kept \(the use case's privacy settings\)/);
      assert.equal(await text.getAttribute("class"), "input-text not-kept");
      await other.screenshot({ path: join(artifacts, "review-text-not-kept.png") });
    } finally {
      await fresh.close();
      await call(`/v1/review/${item.id}`, { method: "POST", body: { label: labels[0] } });
    }
  });

  /**
   * Opens the dashboard in a context of its own on an app whose drift and cost sources return the fixtures;
   * `errors` collects the page's console errors (a CSP refusal among them).
   */
  async function withReportsPage(run: (other: Page, errors: string[]) => Promise<void>) {
    const app: FastifyInstance = await appWithReports({
      drift: async () => driftReport,
      tco: async () => tcoReport,
    });
    const url = await app.listen({ port: 0, host: "127.0.0.1" });
    const fresh = await browser.newContext({ locale: "en-US", viewport: { width: 1280, height: 1000 } });
    fresh.setDefaultTimeout(5000);
    const errors: string[] = [];
    try {
      await fresh.addInitScript(
        (apiKey) => (globalThis as unknown as PageGlobals).sessionStorage.setItem("slmkit.apiKey", apiKey),
        key,
      );
      const other = await fresh.newPage();
      other.on("console", (message) => {
        if (message.type() === "error") errors.push(message.text());
      });
      other.on("pageerror", (error) => errors.push(error.message));
      await other.goto(`${url}/`);
      await other.waitForSelector("body[data-ready='true']");
      await run(other, errors);
    } finally {
      await fresh.close();
      await app.close();
    }
  }

  test("renders the drift checks and the cost of ownership when they are wired", async () => {
    await withReportsPage(async (other) => {
      assert.equal(await other.locator("[data-tile='drift'] .value").textContent(), "drift");
      assert.equal(await other.locator("#drift-table tbody tr").count(), driftReport.checks.length);
      assert.match(
        (await other.locator("#drift-table tr[data-check='labels']").textContent()) ?? "",
        /PSI of predicted labels.*0\.410.*alert/,
      );
      assert.equal(await other.locator("#tco-table tbody tr").count(), 3);
      assert.deepEqual(await other.locator("#tco-table tr[data-way='hybrid'] td").allTextContents(), [
        "$0.0500",
        "$42.00",
      ]);
      assert.match(
        (await other.locator("#tco-break-even").textContent()) ?? "",
        /above 97,297 requests a month/,
      );
      assert.match(
        (await other.locator("#tco").textContent()) ?? "",
        /target of \$0\.1000 per 1,000 requests is met by small model only and hybrid/,
      );
      await other.screenshot({ path: join(artifacts, "dashboard-reports.png"), fullPage: true });
    });
  });

  test("charts monthly cost against volume on log axes, marks the break-even and today, and lists the inputs with their sources", async () => {
    await withReportsPage(async (other, errors) => {
      const chart = other.locator("#tco-chart svg");
      assert.equal(await chart.getAttribute("role"), "img");
      assert.equal(
        await chart.locator("title").first().textContent(),
        "Monthly cost against requests per month",
      );
      assert.match(
        (await chart.getAttribute("aria-label")) ?? "",
        /Break-even: hybrid becomes cheaper than LLM-only above 97,297 requests a month, where both cost \$40\.86 a month\./,
      );
      const paths = chart.locator("path");
      assert.equal(await paths.count(), 3);
      const ways = await Promise.all((await paths.all()).map((path) => path.getAttribute("data-way")));
      assert.deepEqual(ways.sort(), ["hybrid", "llmOnly", "slmOnly"]);
      assert.deepEqual(await chart.locator("text.x-label").allTextContents(), ["10K", "100K", "1M", "10M"]);
      assert.deepEqual(await chart.locator("text.y-label").allTextContents(), [
        "$1",
        "$10",
        "$100",
        "$1K",
        "$10K",
      ]);

      // Where an axis puts a value, read off its ticks at powers of ten: equally spaced on a log scale.
      const scale = async (selector: string, valueAttribute: string, positionAttribute: string) => {
        const ticks = await Promise.all(
          (await chart.locator(selector).all()).map(async (tick) => ({
            value: Number(await tick.getAttribute(valueAttribute)),
            position: Number(await tick.getAttribute(positionAttribute)),
          })),
        );
        const first = ticks[0];
        const last = ticks.at(-1);
        assert.ok(first !== undefined && last !== undefined && ticks.length >= 2, selector);
        const step = (last.position - first.position) / (ticks.length - 1);
        ticks.forEach((tick, index) => {
          assert.equal(tick.value, first.value * 10 ** index, selector);
          assert.ok(Math.abs(tick.position - (first.position + index * step)) < 0.02, selector);
        });
        return (value: number) => first.position + Math.log10(value / first.value) * step;
      };
      const x = await scale("line.x-tick", "data-volume", "x1");
      const y = await scale("line.y-tick", "data-usd", "y1");
      const near = (actual: string | null, expected: number, what: string) =>
        assert.ok(Math.abs(Number(actual) - expected) < 0.5, `${what}: ${actual} is not ${expected}`);

      // The lines follow the curve: LLM-only costs $4.20 a month at 10K requests, $4,200 at 10M.
      const llmOnly = (await chart.locator("path[data-way='llmOnly']").getAttribute("d")) ?? "";
      const coordinates = llmOnly.replace(/[ML]/g, " ").trim().split(/\s+/).map(Number);
      near(String(coordinates[0]), x(10_000), "LLM-only's first x");
      near(String(coordinates[1]), y(4.2), "LLM-only's first y");
      near(String(coordinates.at(-2)), x(10_000_000), "LLM-only's last x");
      near(String(coordinates.at(-1)), y(4200), "LLM-only's last y");

      const breakEven = chart.locator(".break-even");
      near(await breakEven.locator("line").getAttribute("x1"), x(97_297), "the break-even marker");
      near(await breakEven.locator("circle").getAttribute("cx"), x(97_297), "the break-even dot's x");
      // Where the lines meet: LLM-only's cost at that volume.
      near(await breakEven.locator("circle").getAttribute("cy"), y(97.297 * 0.42), "the break-even dot's y");
      assert.equal(await breakEven.locator("text").textContent(), "break-even 97.3K/month");
      const today = chart.locator(".current-volume");
      near(await today.locator("line").getAttribute("x1"), x(120_000), "today's marker");
      assert.equal(await today.locator("text").textContent(), "today 120K/month");
      assert.deepEqual(
        await other.locator("#tco-chart figcaption").textContent(),
        "LLM onlySmall model onlyHybrid",
      );

      const inputs = other.locator("#tco-inputs");
      assert.equal(await inputs.getAttribute("open"), null, "the inputs start collapsed");
      assert.equal(
        await inputs.locator("summary").textContent(),
        "Inputs (2 measured, 1 configured, 1 assumed)",
      );
      assert.equal(await inputs.locator("table").isVisible(), false);
      await inputs.locator("summary").click();
      assert.equal(await inputs.locator("tbody tr").count(), Object.keys(tcoReport.inputs).length);
      for (const [name, input] of Object.entries(tcoReport.inputs)) {
        const row = inputs.locator(`tr[data-input='${name}']`);
        assert.equal(await row.locator("[data-field='source']").textContent(), input.source, name);
        assert.ok(((await row.textContent()) ?? "").includes(input.note), name);
      }
      assert.match(
        (await inputs.locator("tr[data-input='requestsPerMonth']").textContent()) ?? "",
        /120,000 requests\/month/,
      );
      const formulas = other.locator("#tco-formulas");
      assert.equal(await formulas.getAttribute("open"), null, "the formulas start collapsed");
      await formulas.locator("summary").click();
      assert.deepEqual(await formulas.locator("li").allTextContents(), tcoReport.formulas);

      // The page rebuilds the panel on every refresh; what the reader opened stays open.
      await other.evaluate(() => {
        const node = (globalThis as unknown as PageGlobals).document.querySelector("#tco-inputs");
        (node as unknown as { dataset: Record<string, string> }).dataset.stale = "true";
      });
      await other.getByRole("button", { name: "Refresh" }).click();
      await other.waitForSelector("#tco-inputs:not([data-stale])");
      assert.equal(await other.locator("#tco-inputs").getAttribute("open"), "");
      assert.equal(await other.locator("#tco-formulas").getAttribute("open"), "");

      const panel = other.locator("section[aria-labelledby='tco-heading']");
      await panel.screenshot({ path: join(artifacts, "tco-chart.png") });
      await other.emulateMedia({ colorScheme: "dark" });
      await panel.screenshot({ path: join(artifacts, "tco-chart-dark.png") });
      assert.deepEqual(errors, []);
    });
  });
});
