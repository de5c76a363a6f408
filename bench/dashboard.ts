// `node --import tsx bench/dashboard.ts`: the web dashboard over a store of 100,000 logged requests spread over
// 7 days. Prints the /v1/dashboard handler's time and, in headless Chromium, first contentful paint and time
// until the first data is rendered (median of 5 loads), next to a bare static page on the same Fastify app.
// Writes bench/results/dashboard.json. Prints figures; never asserts.

import { randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { saveNativeModel } from "../src/models/native/model-directory.js";
import { createApp } from "../src/serve/app.js";
import { createGatewayMetrics } from "../src/serve/metrics.js";
import { createRateLimiter } from "../src/serve/rate-limit.js";
import { startGateway } from "../src/serve/server.js";
import { generateSupportData } from "../src/spec/catalog/support.js";
import type { RequestLogEntry } from "../src/store/types.js";
import { trainClassifier } from "../src/train/train-classifier.js";
import type { AnsweredBy } from "../src/types.js";
import { chromiumArgs, chromiumPath, launchChromium } from "../test/helpers/chromium.js";
import { startBenchRun } from "./provenance.js";

const rowCount = 100_000;
const days = 7;
const loads = 5;
const handlerRuns = 20;

const hourMs = 3_600_000;
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};
const round = (value: number, digits = 1) => Number(value.toFixed(digits));
const progress = (message: string) => process.stderr.write(`${message}\n`);

/** A seeded generator, so every run writes the same rows. */
function mulberry32(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = Math.imul(state ^ (state >>> 15), 1 | state);
    value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value;
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const run = startBenchRun({ name: "dashboard" });
const dir = await mkdtemp(join(tmpdir(), "slmkit-bench-dashboard-"));
let browser: Browser | undefined;
try {
  progress("training a small model…");
  const trained = await trainClassifier(generateSupportData({ seed: 1, perLabel: 40 }), { seed: 1 });
  await saveNativeModel(trained.model, join(dir, "model"), trained.record);
  const labels = [...trained.model.labels];
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
  fallback: review
`,
  );
  const gateway = await startGateway({
    usecases: [join(dir, "usecase.yaml")],
    port: 0,
    store: `sqlite:${join(dir, "gateway.db")}`,
    // The bench's own requests must not be throttled.
    rateLimitPerSecond: 100_000,
  });
  const { key } = await gateway.store.createApiKey("bench", { role: "admin" });
  const modelVersion = gateway.useCases.get("support")?.modelVersion ?? null;

  progress(`writing ${rowCount.toLocaleString("en-US")} log rows over ${days} days…`);
  const random = mulberry32(7);
  const now = Date.now();
  const writeStart = performance.now();
  const threshold = trained.model.threshold;
  for (let index = 0; index < rowCount; index++) {
    // Office hours are busier: a daily cycle on top of a uniform spread.
    let createdAt: number;
    do createdAt = now - random() * days * 24 * hourMs;
    while (random() > 0.35 + 0.65 * Math.sin((Math.PI * (new Date(createdAt).getHours() + 0.5)) / 24) ** 2);
    const draw = random();
    const answeredBy: AnsweredBy =
      draw < 0.78 ? "slm" : draw < 0.86 ? "cache" : draw < 0.97 ? "llm" : "review";
    const label = labels[Math.floor(random() * labels.length)] ?? null;
    const slmConfidence =
      answeredBy === "slm" ? threshold + random() * (1 - threshold) : random() * threshold;
    const asksLlm = answeredBy === "llm" || answeredBy === "review";
    const inputTokens = asksLlm ? 160 + Math.floor(random() * 80) : 0;
    const outputTokens = asksLlm ? 4 + Math.floor(random() * 4) : 0;
    const latencyMs =
      answeredBy === "slm"
        ? 0.4 + random() * 2
        : answeredBy === "cache"
          ? 0.2 + random() * 0.5
          : 350 + random() * random() * 2500;
    const entry: RequestLogEntry = {
      id: randomUUID(),
      useCaseId: "support",
      apiKeyId: null,
      createdAt: Math.floor(createdAt),
      inputHash: randomUUID().replaceAll("-", ""),
      inputText: null,
      answeredBy,
      reason: answeredBy === "slm" ? "confidence above threshold" : "confidence below threshold",
      label: answeredBy === "review" ? null : label,
      confidence: answeredBy === "review" ? null : slmConfidence,
      threshold,
      slmLabel: label,
      slmConfidence,
      llmLabel: answeredBy === "llm" ? label : null,
      latencyMs,
      inputTokens,
      outputTokens,
      costUsd: (inputTokens / 1000) * 0.15 + (outputTokens / 1000) * 0.6,
      modelVersion,
      unknownShare: random() * 0.2,
      inputChars: 20 + Math.floor(random() * 200),
    };
    gateway.store.logRequest(entry);
    if (index % 50 === 0)
      await gateway.store.addFeedback({
        requestId: entry.id,
        correct: random() < 0.95 ? (label ?? "") : (labels[0] ?? ""),
        source: "user",
        createdAt: entry.createdAt + 60_000,
      });
    if (answeredBy === "review" && entry.createdAt > now - 24 * hourMs)
      await gateway.store.enqueueReview({
        requestId: entry.id,
        useCaseId: "support",
        inputText: `ticket ${index}`,
        slmLabel: label,
        slmConfidence,
        llmLabel: null,
        reason: "llm unsure; queued for review",
      });
    if (index % 10_000 === 9_999) await gateway.store.flush(60_000);
  }
  await gateway.store.flush(60_000);
  const writeSeconds = (performance.now() - writeStart) / 1000;
  progress(`  written in ${writeSeconds.toFixed(1)} s`);

  // An app over the gateway's store and use cases, built per measurement so that the dashboard's reuse of slow
  // computations (see src/serve/dashboard/routes.ts) starts empty: every figure below is a cold computation
  // unless it says "reused". It also serves the bare baseline page, so both come from the same Fastify.
  const freshApp = async () => {
    const app = await createApp({
      useCases: gateway.useCases,
      store: gateway.store,
      metrics: createGatewayMetrics(),
      rateLimiter: createRateLimiter({ perSecond: 100_000 }),
      reload: gateway.reload,
      ready: () => true,
    });
    // Under /assets/ so that it is public like the dashboard's own pages.
    app.get("/assets/bench/bare.html", (_request, reply) =>
      reply
        .type("text/html; charset=utf-8")
        .send(
          '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>bare</title></head>' +
            "<body><h1>Dashboard</h1><p>A bare static page.</p></body></html>",
        ),
    );
    return app;
  };

  // The handler's time in process through Fastify's inject (routing, auth, store queries, serialization; no
  // socket), cold and reused, and the store's summary alone, the query it spends most of its time in.
  const handler: Record<
    string,
    { coldMs: number; reusedMs: number; httpColdMs: number; summarizeMs: number; bytes: number }
  > = {};
  for (const hours of [24, 168]) {
    const coldTimes: number[] = [];
    const reusedTimes: number[] = [];
    const httpTimes: number[] = [];
    const summarizeTimes: number[] = [];
    let bytes = 0;
    for (let run = 0; run < handlerRuns + 2; run++) {
      const app = await freshApp();
      const ask = async () => {
        const start = performance.now();
        const response = await app.inject({
          url: `/v1/dashboard?usecase=support&hours=${hours}`,
          headers: { authorization: `Bearer ${key}` },
        });
        if (response.statusCode !== 200) throw new Error(`/v1/dashboard answered ${response.statusCode}`);
        bytes = response.body.length;
        return performance.now() - start;
      };
      const cold = await ask();
      const reused = await ask();
      await app.close();
      // The same over loopback HTTP from this process, as a page's fetch would ask it.
      const served = await freshApp();
      const url = await served.listen({ port: 0, host: "127.0.0.1" });
      const httpStart = performance.now();
      const response = await fetch(`${url}/v1/dashboard?usecase=support&hours=${hours}`, {
        headers: { authorization: `Bearer ${key}` },
      });
      await response.arrayBuffer();
      const httpCold = performance.now() - httpStart;
      await served.close();
      const summaryStart = performance.now();
      await gateway.store.summarizeRequests({
        useCaseId: "support",
        since: Date.now() - hours * hourMs,
        until: Date.now(),
        bucketMs: hours <= 6 ? 300_000 : hours <= 168 ? hourMs : 24 * hourMs,
      });
      const summaryElapsed = performance.now() - summaryStart;
      // The first two runs warm the statement cache and the JIT.
      if (run >= 2) {
        coldTimes.push(cold);
        reusedTimes.push(reused);
        httpTimes.push(httpCold);
        summarizeTimes.push(summaryElapsed);
      }
    }
    handler[`${hours}h`] = {
      coldMs: median(coldTimes),
      reusedMs: median(reusedTimes),
      httpColdMs: median(httpTimes),
      summarizeMs: median(summarizeTimes),
      bytes,
    };
  }

  progress(`loading pages in ${chromiumPath} (${loads} loads each)…`);
  browser = await launchChromium();
  const readTimeline = () => {
    const timeline = globalThis as unknown as {
      performance: {
        getEntriesByName(name: string): { startTime: number }[];
        getEntriesByType(type: string): { name: string; startTime: number; responseEnd: number }[];
      };
    };
    const api = timeline.performance
      .getEntriesByType("resource")
      .find((entry) => entry.name.includes("/v1/dashboard?"));
    return {
      firstContentfulPaint:
        timeline.performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? null,
      ready: timeline.performance.getEntriesByName("slmkit:ready")[0]?.startTime ?? null,
      apiStart: api?.startTime ?? null,
      apiEnd: api?.responseEnd ?? null,
    };
  };
  const loadPage = async (path: string, waitForData: boolean) => {
    const app = await freshApp();
    const url = await app.listen({ port: 0, host: "127.0.0.1" });
    const context = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      await context.addInitScript(
        (apiKey) =>
          (
            globalThis as unknown as { sessionStorage: { setItem(name: string, value: string): void } }
          ).sessionStorage.setItem("slmkit.apiKey", apiKey),
        key,
      );
      const page = await context.newPage();
      await page.goto(`${url}${path}`, { waitUntil: "load" });
      if (waitForData) await page.waitForSelector("body[data-ready='true']", { timeout: 30_000 });
      else
        await page.waitForFunction(() => performance.getEntriesByName("first-contentful-paint").length > 0);
      return await page.evaluate(readTimeline);
    } finally {
      await context.close();
      await app.close();
    }
  };
  const pages: Record<
    string,
    {
      firstContentfulPaintMs: number;
      readyMs: number | null;
      apiStartMs: number | null;
      apiEndMs: number | null;
      loads: number[];
    }
  > = {};
  for (const [name, path, waitForData] of [
    ["bare static page", "/assets/bench/bare.html", false],
    ["dashboard, 24 h", "/?usecase=support&hours=24", true],
    ["dashboard, 7 days", "/?usecase=support&hours=168", true],
  ] as const) {
    await loadPage(path, waitForData); // warm-up: Chromium's own first-start costs are not the page's
    const paints: number[] = [];
    const readies: number[] = [];
    const apiStarts: number[] = [];
    const apiEnds: number[] = [];
    for (let load = 0; load < loads; load++) {
      const timeline = await loadPage(path, waitForData);
      if (timeline.firstContentfulPaint !== null) paints.push(timeline.firstContentfulPaint);
      if (timeline.ready !== null) readies.push(timeline.ready);
      if (timeline.apiStart !== null) apiStarts.push(timeline.apiStart);
      if (timeline.apiEnd !== null) apiEnds.push(timeline.apiEnd);
    }
    pages[name] = {
      firstContentfulPaintMs: median(paints),
      readyMs: readies.length === 0 ? null : median(readies),
      apiStartMs: apiStarts.length === 0 ? null : median(apiStarts),
      apiEndMs: apiEnds.length === 0 ? null : median(apiEnds),
      loads: readies.length > 0 ? readies : paints,
    };
  }
  await gateway.close();

  const bareFcp = pages["bare static page"]?.firstContentfulPaintMs ?? Number.NaN;
  const lines = [
    `Dashboard over ${rowCount.toLocaleString("en-US")} logged requests (${days} days, SQLite), loopback, Chromium ${browser.version()}`,
    "",
    `/v1/dashboard handler (median of ${handlerRuns}, in process through Fastify inject):`,
    `  ${"range".padEnd(6)} ${"cold".padStart(10)} ${"reused".padStart(10)} ${"cold, HTTP".padStart(11)} ${"store summary".padStart(14)} ${"JSON".padStart(10)}`,
    ...Object.entries(handler).map(
      ([range, figures]) =>
        `  ${range.padEnd(6)} ${`${figures.coldMs.toFixed(1)} ms`.padStart(10)} ${`${figures.reusedMs.toFixed(2)} ms`.padStart(10)} ${`${figures.httpColdMs.toFixed(1)} ms`.padStart(11)} ${`${figures.summarizeMs.toFixed(1)} ms`.padStart(14)} ${`${(figures.bytes / 1024).toFixed(1)} KiB`.padStart(10)}`,
    ),
    "",
    `Page loads (median of ${loads}; fresh browser context and app each, so the data is computed cold;`,
    "times from navigation start, read from the page's performance timeline):",
    `  ${"page".padEnd(20)} ${"first paint".padStart(12)} ${"paint ratio".padStart(12)} ${"API asked".padStart(10)} ${"API answered".padStart(13)} ${"data shown".padStart(11)}`,
    ...Object.entries(pages).map(([name, figures]) => {
      const ms = (value: number | null) => (value === null ? "–" : `${value.toFixed(0)} ms`);
      return `  ${name.padEnd(20)} ${ms(figures.firstContentfulPaintMs).padStart(12)} ${`${(figures.firstContentfulPaintMs / bareFcp).toFixed(2)}×`.padStart(12)} ${ms(figures.apiStartMs).padStart(10)} ${ms(figures.apiEndMs).padStart(13)} ${ms(figures.readyMs).padStart(11)}`;
    }),
    "",
    "Target: first paint ≤ 1,000 ms on loopback.",
  ];
  console.log(lines.join("\n"));
  await run.write({
    rows: rowCount,
    days,
    chromium: { path: chromiumPath, args: chromiumArgs, version: browser.version() },
    writeSeconds: round(writeSeconds),
    handler: Object.fromEntries(
      Object.entries(handler).map(([range, figures]) => [
        range,
        {
          coldMs: round(figures.coldMs, 2),
          reusedMs: round(figures.reusedMs, 2),
          httpColdMs: round(figures.httpColdMs, 2),
          summarizeMs: round(figures.summarizeMs, 2),
          bytes: figures.bytes,
        },
      ]),
    ),
    pages: Object.fromEntries(
      Object.entries(pages).map(([name, figures]) => [
        name,
        {
          firstContentfulPaintMs: round(figures.firstContentfulPaintMs),
          readyMs: figures.readyMs === null ? null : round(figures.readyMs),
          apiStartMs: figures.apiStartMs === null ? null : round(figures.apiStartMs),
          apiEndMs: figures.apiEndMs === null ? null : round(figures.apiEndMs),
          firstPaintRatioToBare: round(figures.firstContentfulPaintMs / bareFcp, 2),
          samplesMs: figures.loads.map((value) => round(value)),
        },
      ]),
    ),
  });
} finally {
  await browser?.close();
  await rm(dir, { recursive: true, force: true });
}
