// `node --import tsx bench/escalation.ts`: where an escalation's milliseconds go, layer by layer, in one run: the
// stand-in LLM called with plain node:http and with fetch, through the openai SDK, through createOpenAiLabeler,
// through the router (real SQLite store, memory cache), through the HTTP gateway, and through a minimal
// forwarding proxy (a bare Fastify route, forwarding-proxy.mjs). The escalation target: the gateway's added
// latency at most 1.5× the proxy's, at p50 and p99, both run as plain node on built JavaScript, calls interleaved
// in the same run; with the gateway's own CPU per escalation. Writes bench/results/escalation.json. Prints
// figures; never asserts.
//
// Usage: node --import tsx bench/escalation.ts [--calls 400] [--delay 20] [--data <dir>] [--seed 42]

import { type ChildProcess, fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { Agent, request as httpRequest } from "node:http";
import { cpus, loadavg, tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import OpenAI from "openai";
import { createCache } from "../src/cache/index.js";
import { readClassificationData } from "../src/data/io.js";
import { redactPii } from "../src/data/pii.js";
import { percentiles } from "../src/eval/latency.js";
import type { NativeClassifier } from "../src/models/native/classifier.js";
import { saveNativeModel } from "../src/models/native/model-directory.js";
import {
  createOpenAiLabeler,
  labelerOptionsFromUseCase,
  systemPrompt,
} from "../src/models/openai/openai-labeler.js";
import { createRouter } from "../src/route/router.js";
import { loadUseCase } from "../src/spec/load.js";
import { createSqliteStore } from "../src/store/sqlite-store.js";
import { trainClassifier } from "../src/train/train-classifier.js";
import type { LabeledExample } from "../src/types.js";
import { answer, startFakeOpenAi } from "../test/helpers/fake-openai.js";
import { startBenchRun } from "./provenance.js";
import {
  BenchChild,
  cleanUpOnSignal,
  endAllChildren,
  ensureBuilt,
  machineCpu,
  preciseCpuSeconds,
  progress,
  track,
} from "./serve-processes.js";
import { benchUseCaseYaml, defaultDataDir, repositoryRoot } from "./serve-report.js";

const useCaseId = "banking77";
const llmModel = "gpt-4o-mini";
const llmKeyEnv = "SLMKIT_BENCH_LLM_KEY";
const llmKey = "sk-bench-stand-in";
const targetAccuracy = 0.97;
/** The escalation target: the gateway adds at most this multiple of what a minimal forwarding proxy adds. */
const proxyRatioTarget = 1.5;

const { values } = parseArgs({
  options: {
    calls: { type: "string", default: "400" },
    "warm-up": { type: "string", default: "30" },
    delay: { type: "string", default: "20" },
    data: { type: "string" },
    seed: { type: "string", default: "42" },
    "stand-in": { type: "boolean", default: false },
    label: { type: "string", default: "" },
    help: { type: "boolean", short: "h", default: false },
  },
  strict: true,
});

// ---------------------------------------------------------------------------------------------------------
// The stand-in LLM, in a child process of its own (this file run with --stand-in), so the client's event loop
// holds only the client's work. It times each request's handler and hands the times over when asked.

interface StandInTiming {
  /** The user message as received (after redaction). */
  user: string;
  handlerMs: number;
}

type ParentMessage = { type: "drain" };
type StandInMessage = { type: "ready"; baseUrl: string } | { type: "timings"; entries: StandInTiming[] };

async function runStandIn(delayMs: number, label: string): Promise<void> {
  const entries: StandInTiming[] = [];
  const server = await startFakeOpenAi(async (request) => {
    const started = performance.now();
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    const reply = answer(label)(request);
    entries.push({ user: request.user, handlerMs: performance.now() - started });
    return reply;
  });
  process.on("message", (message: ParentMessage) => {
    if (message.type !== "drain") return;
    process.send?.({ type: "timings", entries: entries.splice(0) } satisfies StandInMessage);
  });
  process.on("disconnect", () => {
    void server.close().finally(() => process.exit(0));
  });
  process.send?.({ type: "ready", baseUrl: server.baseUrl } satisfies StandInMessage);
}

interface StandInHandle {
  child: ChildProcess;
  baseUrl: string;
  drain(): Promise<StandInTiming[]>;
}

async function startStandInChild(delayMs: number, label: string): Promise<StandInHandle> {
  const child = track(
    fork(fileURLToPath(import.meta.url), ["--stand-in", "--delay", String(delayMs), "--label", label], {
      execArgv: ["--import", "tsx"],
      cwd: repositoryRoot,
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    }),
  );
  const next = () =>
    new Promise<StandInMessage>((resolveMessage, reject) => {
      const onExit = () => reject(new Error("the stand-in LLM exited"));
      child.once("exit", onExit);
      child.once("message", (message: StandInMessage) => {
        child.off("exit", onExit);
        resolveMessage(message);
      });
    });
  const ready = await next();
  if (ready.type !== "ready") throw new Error("the stand-in LLM did not start");
  return {
    child,
    baseUrl: ready.baseUrl,
    async drain() {
      const reply = next();
      child.send({ type: "drain" } satisfies ParentMessage);
      const message = await reply;
      return message.type === "timings" ? message.entries : [];
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Data, model, use case

interface Workload {
  labels: string[];
  model: NativeClassifier;
  /** Unique texts the model rejects (below its threshold): every one escalates and misses the cache. */
  rejected: string[];
  /** Texts the model accepts: the gateway answers them itself. */
  accepted: string[];
  useCasePath: string;
}

async function prepareWorkload(
  dataDir: string,
  seed: number,
  scratchDir: string,
  llmBaseUrl: string,
  needed: number,
): Promise<Workload> {
  const split = (name: string) => readClassificationData(join(dataDir, `${name}.jsonl`));
  const [train, valid, test] = await Promise.all([split("train"), split("valid"), split("test")]);
  const labels = [...new Set(train.map((example) => example.label))].sort();
  progress(`training the native model on ${basename(dataDir)} (seed ${seed})…`);
  const trained = await trainClassifier(train, { valid, seed, targetAccuracy });
  const model = trained.model;
  await saveNativeModel(model, join(scratchDir, "model"), trained.record);
  const rejected = rejectedTexts(model, [...test, ...valid, ...train], needed);
  const accepted = test
    .map((example) => example.text)
    .filter((text) => model.predictDetailed(text).confidence >= model.threshold);
  const useCasePath = join(scratchDir, "usecase.yaml");
  // A budget with caps, so that the spend check reads the store as a deployment with caps does.
  await writeFile(
    useCasePath,
    benchUseCaseYaml({
      id: useCaseId,
      title: "Banking77 (escalation bench)",
      labels,
      scratchDir,
      dataDir,
      targetAccuracy,
      budget: { dailyUsd: 1000, monthlyUsd: 10000 },
      llm: {
        baseUrl: llmBaseUrl,
        model: llmModel,
        apiKeyEnv: llmKeyEnv,
        pricePer1kInputUsd: 0.00015,
        pricePer1kOutputUsd: 0.0006,
      },
    }),
  );
  return { labels, model, rejected, accepted, useCasePath };
}

/** Unique texts below the threshold; numbered variants (each checked to stay below it) when the data runs out. */
function rejectedTexts(
  model: NativeClassifier,
  examples: readonly LabeledExample[],
  needed: number,
): string[] {
  const seen = new Set<string>();
  const pool: string[] = [];
  const below = (text: string) => model.predictDetailed(text).confidence < model.threshold;
  for (const example of examples) {
    if (pool.length >= needed) break;
    if (!seen.has(example.text) && below(example.text)) {
      seen.add(example.text);
      pool.push(example.text);
    }
  }
  const originals = [...pool];
  for (let round = 2; pool.length < needed && round < 100; round++) {
    for (const text of originals) {
      if (pool.length >= needed) break;
      const variant = `${text} (ticket ${round}${String(pool.length).padStart(4, "0")})`;
      if (!seen.has(variant) && below(variant)) {
        seen.add(variant);
        pool.push(variant);
      }
    }
  }
  if (pool.length < needed) throw new Error(`only ${pool.length} texts fall below the threshold`);
  return pool;
}

// ---------------------------------------------------------------------------------------------------------
// Layers

interface Layer {
  key: string;
  name: string;
  /** The layer the Δ columns subtract: what this one adds on top of it. */
  base: string | null;
  /** Makes one escalation of `text`; resolves when the whole reply is read, false when no LLM was asked. */
  call(text: string): Promise<boolean>;
  /** Texts this layer must never repeat (the router and the gateway cache LLM answers). */
  unique: boolean;
  /** CPU seconds of the process doing the work; the client's own process when absent. */
  cpu?: () => number | null;
  /** Answered without the LLM (the gateway's HTTP hop alone): the whole latency is the figure. */
  local?: boolean;
}

interface Sample {
  layer: string;
  text: string;
  /** The text the stand-in must receive for this call; null when the call never reached it (a cache hit). */
  received: string | null;
  local: boolean;
  latencyMs: number;
  cpuMs: number | null;
}

/** The body createOpenAiLabeler sends: system prompt with the labels, the text, a strict JSON schema. */
function labelerBody(labels: readonly string[], prompt: string, text: string) {
  return {
    model: llmModel,
    messages: [
      { role: "system" as const, content: prompt },
      { role: "user" as const, content: text },
    ],
    temperature: 0,
    max_tokens: 16 + Math.max(...labels.map((name) => name.length)),
    logprobs: true,
    response_format: {
      type: "json_schema" as const,
      json_schema: {
        name: "label",
        strict: true,
        schema: {
          type: "object",
          properties: { label: { type: "string", enum: labels } },
          required: ["label"],
          additionalProperties: false,
        },
      },
    },
  };
}

/** POST with node:http on a kept-alive agent: the floor any client pays for one round trip. */
function postJson(
  agent: Agent,
  url: URL,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; text: string }> {
  return new Promise((resolvePost, reject) => {
    const payload = Buffer.from(body);
    const outgoing = httpRequest(
      {
        agent,
        hostname: url.hostname,
        port: url.port,
        path: url.pathname,
        method: "POST",
        headers: { "content-type": "application/json", "content-length": payload.length, ...headers },
      },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
        incoming.on("end", () =>
          resolvePost({ status: incoming.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
        );
        incoming.on("error", reject);
      },
    );
    outgoing.on("error", reject);
    outgoing.end(payload);
  });
}

// ---------------------------------------------------------------------------------------------------------
// Figures

interface Summary {
  n: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

function summarize(values: readonly number[]): Summary | null {
  if (values.length === 0) return null;
  const [p50, p90, p99, max] = percentiles(values, [50, 90, 99, 100]) as [number, number, number, number];
  return {
    n: values.length,
    mean: values.reduce((sum, value) => sum + value, 0) / values.length,
    p50,
    p90,
    p99,
    max,
  };
}

const fixed = (value: number | null | undefined, digits = 2): string =>
  value === null || value === undefined || !Number.isFinite(value) ? "–" : value.toFixed(digits);
const signed = (value: number | null | undefined, digits = 2): string =>
  value === null || value === undefined || !Number.isFinite(value)
    ? "–"
    : `${value >= 0 ? "+" : ""}${value.toFixed(digits)}`;

function table(rows: string[][]): string {
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? "").length))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, column) =>
          column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0),
        )
        .join("  "),
    )
    .join("\n");
}

// ---------------------------------------------------------------------------------------------------------
// Main

async function main(): Promise<void> {
  const calls = Number(values.calls);
  const warmUp = Number(values["warm-up"]);
  const delayMs = Number(values.delay);
  const seed = Number(values.seed);
  if (!(calls > 0) || !(warmUp >= 0) || !(delayMs >= 0) || !Number.isInteger(seed))
    throw new Error("--calls must be > 0, --warm-up and --delay ≥ 0, --seed an integer.");
  const dataDir = resolve(repositoryRoot, values.data ?? defaultDataDir);
  const run = startBenchRun({ name: "escalation" });
  const scratchDir = mkdtempSync(join(tmpdir(), "slmkit-bench-escalation-"));
  const cleanUp = async () => {
    await endAllChildren();
    rmSync(scratchDir, { recursive: true, force: true });
  };
  cleanUpOnSignal(cleanUp, `stopping the children and removing ${scratchDir}`);
  try {
    // The gateway child runs dist/, the built package users run.
    ensureBuilt();
    // The stand-in answers the first label (sorted); which one does not matter for timing.
    const firstLabel =
      [
        ...new Set((await readClassificationData(join(dataDir, "train.jsonl"))).map((e) => e.label)),
      ].sort()[0] ?? "";
    const standIn = await startStandInChild(delayMs, firstLabel);
    // d and e each need fresh texts for every call (answers are cached): cold + warm-up + recorded.
    const perLayer = 1 + warmUp + calls;
    const workload = await prepareWorkload(dataDir, seed, scratchDir, standIn.baseUrl, perLayer * 2);
    const loaded = await loadUseCase(workload.useCasePath);
    const spec = loaded.spec;
    const labelerOptions = labelerOptionsFromUseCase(spec, llmKey);
    if (labelerOptions === undefined) throw new Error("the bench use case has no llm section");
    const definitions = spec.labels ?? [];
    const prompt = systemPrompt(definitions, true);
    const completionsUrl = new URL(`${standIn.baseUrl}/chat/completions`);
    const authorization = { authorization: `Bearer ${llmKey}` };

    // (e) the gateway, in its own process as deployed.
    progress("starting the gateway child…");
    const gateway = new BenchChild(
      "gateway",
      "serve-gateway.mjs",
      ["--usecase", workload.useCasePath, "--store", `sqlite:${join(scratchDir, "gateway.db")}`],
      { ...process.env, [llmKeyEnv]: llmKey },
    );
    const ready = await gateway.waitFor("ready", 60_000);
    const gatewayUrl = new URL(`${ready.url}/v1/chat/completions`);

    // (p) the floor: a bare Fastify route forwarding the labeler's request to the same stand-in, same runtime.
    const requestTemplate = join(scratchDir, "labeler-request.json");
    await writeFile(requestTemplate, JSON.stringify(labelerBody(workload.labels, prompt, "")));
    const proxy = new BenchChild("forwarding proxy", "forwarding-proxy.mjs", [
      "--upstream",
      standIn.baseUrl,
      "--request",
      requestTemplate,
      "--api-key",
      llmKey,
    ]);
    const proxyUrl = new URL(`${(await proxy.waitFor("ready", 30_000)).url}/v1/chat/completions`);

    // (d) the router in this process, wired as the gateway wires it.
    const store = createSqliteStore({ path: join(scratchDir, "router.db") });
    await store.migrate();
    const cache = createCache({ kind: "memory" });
    const router = createRouter({
      useCase: spec,
      model: workload.model,
      store,
      cache,
      llm: createOpenAiLabeler(labelerOptions),
      modelVersion: "bench",
    });

    const httpAgent = new Agent({ keepAlive: true, maxSockets: 1 });
    const gatewayAgent = new Agent({ keepAlive: true, maxSockets: 1 });
    const proxyAgent = new Agent({ keepAlive: true, maxSockets: 1 });
    const sdkOptions = {
      baseURL: standIn.baseUrl,
      apiKey: llmKey,
      maxRetries: 0,
      timeout: 10_000,
      organization: null,
      project: null,
      logLevel: "off",
    } as const;
    const sdkOnFetch = new OpenAI(sdkOptions);
    // slmkit's own transport, when this checkout has it (the bench also runs on older ones, for before/after).
    const transport = await import("../src/models/openai/http-transport.js").catch(() => null);
    const httpFetch = transport?.createHttpFetch() ?? null;
    const sdkOnHttp = httpFetch === null ? null : new OpenAI({ ...sdkOptions, fetch: httpFetch });
    const labeler = createOpenAiLabeler(labelerOptions);
    /** The router latency the gateway reported, by text. */
    const gatewayRouterMs = new Map<string, number>();

    const layers: Layer[] = [
      {
        key: "a1",
        name: "(a1) node:http, kept-alive agent",
        base: null,
        unique: false,
        async call(text) {
          const reply = await postJson(
            httpAgent,
            completionsUrl,
            JSON.stringify(labelerBody(workload.labels, prompt, text)),
            authorization,
          );
          if (reply.status !== 200) throw new Error(`stand-in answered ${reply.status}`);
          JSON.parse(reply.text);
          return true;
        },
      },
      {
        key: "a2",
        name: "(a2) fetch (undici), kept alive",
        base: "a1",
        unique: false,
        async call(text) {
          const response = await fetch(completionsUrl, {
            method: "POST",
            headers: { "content-type": "application/json", ...authorization },
            body: JSON.stringify(labelerBody(workload.labels, prompt, text)),
          });
          const body = await response.text();
          if (response.status !== 200) throw new Error(`stand-in answered ${response.status}`);
          JSON.parse(body);
          return true;
        },
      },
      {
        key: "b1",
        name: "(b1) openai SDK on fetch",
        base: "a2",
        unique: false,
        async call(text) {
          const response = await sdkOnFetch.chat.completions
            .create(labelerBody(workload.labels, prompt, text), { maxRetries: 0 })
            .asResponse();
          JSON.parse(await response.text());
          return true;
        },
      },
    ];
    if (sdkOnHttp !== null) {
      layers.push({
        key: "b2",
        name: "(b2) openai SDK on slmkit's node:http fetch",
        base: "a1",
        unique: false,
        async call(text) {
          const response = await sdkOnHttp.chat.completions
            .create(labelerBody(workload.labels, prompt, text), { maxRetries: 0 })
            .asResponse();
          JSON.parse(await response.text());
          return true;
        },
      });
    }
    layers.push(
      {
        key: "c",
        name: "(c) createOpenAiLabeler.classify",
        // The labeler's own work on top of the SDK as it uses it.
        base: sdkOnHttp === null ? "b1" : "b2",
        unique: false,
        async call(text) {
          // The router passes a deadline signal; so does this layer, so that c − b is the labeler's own work.
          const deadline = new AbortController();
          const reply = await labeler.classify(text, deadline.signal);
          if (reply.label === null) throw new Error("the labeler found no label");
          return true;
        },
      },
      {
        key: "d",
        name: "(d) router.route (SQLite store, memory cache)",
        base: "c",
        unique: true,
        async call(text) {
          const result = await router.route({ useCaseId, text, apiKeyId: "bench-key" });
          if (result.answeredBy === "cache") return false;
          if (result.answeredBy !== "llm")
            throw new Error(`the router answered by ${result.answeredBy}: ${result.reason}`);
          return true;
        },
      },
      {
        key: "e0",
        name: "(e0) HTTP gateway, a small-model answer",
        base: null,
        unique: false,
        local: true,
        cpu: () => preciseCpuSeconds(gateway.pid),
        async call(text) {
          const reply = await postJson(
            gatewayAgent,
            gatewayUrl,
            JSON.stringify({ model: useCaseId, messages: [{ role: "user", content: text }] }),
            { authorization: `Bearer ${ready.key ?? ""}` },
          );
          const decision = (JSON.parse(reply.text) as { slmkit?: { answered_by?: string } }).slmkit;
          if (decision?.answered_by !== "slm")
            throw new Error(`the gateway answered by ${decision?.answered_by}`);
          return true;
        },
      },
      {
        key: "e",
        name: "(e) HTTP gateway (own process)",
        base: "d",
        unique: true,
        cpu: () => preciseCpuSeconds(gateway.pid),
        async call(text) {
          const reply = await postJson(
            gatewayAgent,
            gatewayUrl,
            JSON.stringify({ model: useCaseId, messages: [{ role: "user", content: text }] }),
            { authorization: `Bearer ${ready.key ?? ""}` },
          );
          if (reply.status !== 200) throw new Error(`the gateway answered ${reply.status}: ${reply.text}`);
          const decision = (
            JSON.parse(reply.text) as { slmkit?: { answered_by?: string; latency_ms?: number } }
          ).slmkit;
          if (decision?.answered_by === "cache") return false;
          if (decision?.answered_by !== "llm")
            throw new Error(`the gateway answered by ${decision?.answered_by}`);
          gatewayRouterMs.set(text, decision.latency_ms ?? Number.NaN);
          return true;
        },
      },
      {
        key: "p",
        name: "(p) minimal forwarding proxy (bare Fastify, own process)",
        base: "a1",
        unique: false,
        cpu: () => preciseCpuSeconds(proxy.pid),
        async call(text) {
          const reply = await postJson(
            proxyAgent,
            proxyUrl,
            JSON.stringify({ model: useCaseId, messages: [{ role: "user", content: text }] }),
            {},
          );
          if (reply.status !== 200) throw new Error(`the proxy answered ${reply.status}: ${reply.text}`);
          JSON.parse(reply.text);
          return true;
        },
      },
    );

    // Texts: the unique layers take disjoint slices of the rejected pool; the others reuse the pool in order.
    let uniqueOffset = 0;
    const textsOf = new Map<string, string[]>();
    for (const layer of layers) {
      if (layer.unique) {
        textsOf.set(layer.key, workload.rejected.slice(uniqueOffset, uniqueOffset + perLayer));
        uniqueOffset += perLayer;
      } else if (layer.local === true) {
        textsOf.set(
          layer.key,
          Array.from({ length: perLayer }, (_, index) => {
            return workload.accepted[index % workload.accepted.length] as string;
          }),
        );
      } else textsOf.set(layer.key, workload.rejected.slice(0, perLayer));
    }
    // a, b and c send what the router would send: the redacted text.
    const sentText = (layer: Layer, text: string) =>
      layer.key === "d" || layer.key.startsWith("e") ? text : redactPii(text);

    const runOne = async (layer: Layer, index: number): Promise<Sample> => {
      const text = (textsOf.get(layer.key) as string[])[index] as string;
      const cpuBefore = layer.cpu === undefined ? process.cpuUsage() : null;
      const externalBefore = layer.cpu?.() ?? null;
      const started = performance.now();
      const escalated = await layer.call(sentText(layer, text));
      const latencyMs = performance.now() - started;
      let cpuMs: number | null = null;
      if (cpuBefore !== null) {
        const used = process.cpuUsage(cpuBefore);
        cpuMs = (used.user + used.system) / 1000;
      } else {
        const after = layer.cpu?.() ?? null;
        cpuMs = after === null || externalBefore === null ? null : (after - externalBefore) * 1000;
      }
      const local = layer.local === true;
      const received = escalated && !local ? redactPii(text) : null;
      return { layer: layer.key, text, received, local, latencyMs, cpuMs };
    };

    /** Pairs samples with the stand-in's handler times, in arrival order (one request in flight at a time). */
    let skipped = 0;
    const settle = async (all: Sample[]) => {
      const timings = await standIn.drain();
      // A semantic cache hit (a text close enough to an earlier one) never reaches the stand-in: not an escalation.
      const samples = all.filter((sample) => sample.received !== null);
      const local = all.filter((sample) => sample.local);
      skipped += all.length - samples.length - local.length;
      if (timings.length !== samples.length)
        throw new Error(`the stand-in saw ${timings.length} requests for ${samples.length} calls (retries?)`);
      return [
        ...samples.map((sample, index) => {
          const timing = timings[index] as StandInTiming;
          if (timing.user !== sample.received)
            throw new Error(`call ${index} (${sample.layer}): the stand-in received another text`);
          return { ...sample, handlerMs: timing.handlerMs, overheadMs: sample.latencyMs - timing.handlerMs };
        }),
        ...local.map((sample) => ({ ...sample, handlerMs: 0, overheadMs: sample.latencyMs })),
      ];
    };

    // Cold: the first call of each layer. The gateway is a fresh process, so its figure is what a fresh
    // deployment's first escalation costs; the in-process layers share modules, so only the first of them
    // (and the first SDK call) pays this process's lazy loading.
    progress("cold calls (the first of each layer)…");
    const cold = await settle(await sequential(layers.map((layer) => () => runOne(layer, 0))));

    progress(`warm-up: ${warmUp} calls per layer, interleaved…`);
    const warmUpCalls: Array<() => Promise<Sample>> = [];
    for (let round = 0; round < warmUp; round++)
      for (const layer of layers) warmUpCalls.push(() => runOne(layer, 1 + round));
    await settle(await sequential(warmUpCalls));
    skipped = 0;

    progress(
      `recording: ${calls} calls per layer, interleaved round-robin (the stand-in waits ${delayMs} ms)…`,
    );
    const machineBefore = machineCpu();
    const serversBefore = { gateway: preciseCpuSeconds(gateway.pid), proxy: preciseCpuSeconds(proxy.pid) };
    const wallStarted = performance.now();
    const recorded: Awaited<ReturnType<typeof settle>> = [];
    const chunk = 50;
    for (let first = 0; first < calls; first += chunk) {
      const batch: Array<() => Promise<Sample>> = [];
      for (let round = first; round < Math.min(calls, first + chunk); round++) {
        // The starting layer rotates, so no layer always follows the same neighbour.
        for (let offset = 0; offset < layers.length; offset++) {
          const layer = layers[(round + offset) % layers.length] as Layer;
          batch.push(() => runOne(layer, 1 + warmUp + round));
        }
      }
      recorded.push(...(await settle(await sequential(batch))));
      progress(`  ${Math.min(calls, first + chunk)} / ${calls}`);
    }
    const wallSeconds = (performance.now() - wallStarted) / 1000;
    const machineAfter = machineCpu();
    const serversAfter = { gateway: preciseCpuSeconds(gateway.pid), proxy: preciseCpuSeconds(proxy.pid) };
    const busyCores =
      machineBefore === null || machineAfter === null
        ? null
        : ((machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total)) *
          cpus().length;

    // Report
    const rows: string[][] = [
      ["layer", "p50", "p90", "p99", "mean", "Δp50", "Δp99", "Δmean", "Δ over", "cpu ms/call", "cold"],
    ];
    const figures: Record<string, unknown> = {};
    const summaries = new Map<string, Summary | null>();
    const cpuMeans = new Map<string, number | null>();
    for (const layer of layers) {
      const mine = recorded.filter((sample) => sample.layer === layer.key);
      const overhead = summarize(mine.map((sample) => sample.overheadMs));
      const cpu = mine.map((sample) => sample.cpuMs).filter((value): value is number => value !== null);
      const cpuMean = cpu.length === 0 ? null : cpu.reduce((sum, value) => sum + value, 0) / cpu.length;
      const coldSample = cold.find((sample) => sample.layer === layer.key);
      const base = layer.base === null ? null : (summaries.get(layer.base) ?? null);
      summaries.set(layer.key, overhead);
      cpuMeans.set(layer.key, cpuMean);
      rows.push([
        layer.name,
        fixed(overhead?.p50),
        fixed(overhead?.p90),
        fixed(overhead?.p99),
        fixed(overhead?.mean),
        base === null ? "" : signed((overhead?.p50 ?? Number.NaN) - base.p50),
        base === null ? "" : signed((overhead?.p99 ?? Number.NaN) - base.p99),
        base === null ? "" : signed((overhead?.mean ?? Number.NaN) - base.mean),
        layer.base ?? "",
        fixed(cpuMean, 3),
        fixed(coldSample?.overheadMs, 1),
      ]);
      figures[layer.key] = {
        name: layer.name,
        base: layer.base,
        overheadMs: overhead,
        cpuMsPerCall: cpuMean,
        coldOverheadMs: coldSample?.overheadMs ?? null,
      };
    }
    const handler = summarize(recorded.filter((sample) => !sample.local).map((sample) => sample.handlerMs));
    const gatewayRouter = summarize(
      recorded
        .filter((sample) => sample.layer === "e")
        .map((sample) => (gatewayRouterMs.get(sample.text) ?? Number.NaN) - sample.handlerMs),
    );
    const comparison = proxyComparison(summaries, cpuMeans, {
      // Over the whole recorded window, per request each server answered (the gateway: e and e0 alike).
      gatewayPerRequest: windowCpuMs(serversBefore.gateway, serversAfter.gateway, 2 * calls),
      proxyPerRequest: windowCpuMs(serversBefore.proxy, serversAfter.proxy, calls),
    });
    const lines = [
      "",
      `Escalation overhead by layer: client latency − the stand-in's handler time for that very request, ms`,
      `(${calls} calls per layer, interleaved; stand-in waits ${delayMs} ms, in its own process; Δ = this layer − the one named in "Δ over"; Δp99 is a difference of percentiles)`,
      "",
      table(rows),
      "",
      `stand-in handler: p50 ${fixed(handler?.p50)} ms, p99 ${fixed(handler?.p99)} ms`,
      `inside the gateway, router only (slmkit.latency_ms − handler): p50 ${fixed(gatewayRouter?.p50)} ms, p99 ${fixed(gatewayRouter?.p99)} ms`,
      "e0: the whole latency of a request the small model answers (no LLM): the gateway's HTTP hop at this cadence",
      "cpu ms/call: this process's CPU (a–d; includes its side of the loopback) or the server process's (e0, e, p: all its",
      "  threads' scheduler run time around each call, /proc/<pid>/task/*/schedstat)",
      "",
      ...describeComparison(comparison),
      `cold: the first call of each layer, after the model and modules were loaded in this process (e: a fresh gateway)`,
      ...(skipped === 0
        ? []
        : [`${skipped} recorded calls of d/e were semantic cache hits and are left out`]),
      `machine: ${fixed(busyCores)} of ${cpus().length} cores busy over ${fixed(wallSeconds, 1)} s, load average ${fixed(loadavg()[0])}`,
      "",
    ];
    process.stdout.write(lines.join("\n"));
    await run.write({
      calls,
      warmUp,
      standInDelayMs: delayMs,
      layers: figures,
      standInHandlerMs: handler,
      gatewayRouterOverheadMs: gatewayRouter,
      semanticHitsLeftOut: skipped,
      proxyComparison: comparison,
      recordedWindow: { busyCores, cores: cpus().length, wallSeconds },
    });
    gateway.process.kill("SIGTERM");
    await gateway.waitFor("closed", 60_000).catch(() => undefined);
    await router.close();
    await store.close();
    await cache.close();
    httpAgent.destroy();
    gatewayAgent.destroy();
    proxyAgent.destroy();
    httpFetch?.close();
  } finally {
    await cleanUp();
  }
}

/** The redefined escalation target: the gateway's added latency over the minimal forwarding proxy's. */
interface ProxyComparison {
  target: number;
  gatewayOverheadMs: { p50: number | null; p99: number | null };
  proxyOverheadMs: { p50: number | null; p99: number | null };
  /** Gateway / proxy, percentile by percentile. */
  ratio: { p50: number | null; p99: number | null };
  pass: { p50: boolean | null; p99: boolean | null };
  /** The gateway process's CPU per escalation (all threads, around each call), ms. */
  gatewayCpuMsPerEscalation: number | null;
  proxyCpuMsPerRequest: number | null;
  /** The same over the whole recorded window, per request each answered; catches work done after a reply. */
  windowCpuMs: { gatewayPerRequest: number | null; proxyPerRequest: number | null };
}

function proxyComparison(
  summaries: ReadonlyMap<string, Summary | null>,
  cpuMeans: ReadonlyMap<string, number | null>,
  windowCpu: ProxyComparison["windowCpuMs"],
): ProxyComparison {
  const gateway = summaries.get("e") ?? null;
  const proxy = summaries.get("p") ?? null;
  const ratioOf = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined || b <= 0 ? null : a / b;
  const ratio = { p50: ratioOf(gateway?.p50, proxy?.p50), p99: ratioOf(gateway?.p99, proxy?.p99) };
  const judge = (value: number | null) => (value === null ? null : value <= proxyRatioTarget);
  return {
    target: proxyRatioTarget,
    gatewayOverheadMs: { p50: gateway?.p50 ?? null, p99: gateway?.p99 ?? null },
    proxyOverheadMs: { p50: proxy?.p50 ?? null, p99: proxy?.p99 ?? null },
    ratio,
    pass: { p50: judge(ratio.p50), p99: judge(ratio.p99) },
    gatewayCpuMsPerEscalation: cpuMeans.get("e") ?? null,
    proxyCpuMsPerRequest: cpuMeans.get("p") ?? null,
    windowCpuMs: windowCpu,
  };
}

function windowCpuMs(before: number | null, after: number | null, requests: number): number | null {
  return before === null || after === null || requests === 0 ? null : ((after - before) / requests) * 1000;
}

function describeComparison(comparison: ProxyComparison): string[] {
  const verdict = (pass: boolean | null) => (pass === null ? "n/a" : pass ? "PASS" : "MISS");
  return [
    `escalation target: the gateway adds at most ${comparison.target}× what a minimal forwarding proxy adds (e over p)`,
    `  p50: gateway ${fixed(comparison.gatewayOverheadMs.p50)} ms, proxy ${fixed(comparison.proxyOverheadMs.p50)} ms: ${fixed(comparison.ratio.p50)}× ${verdict(comparison.pass.p50)}`,
    `  p99: gateway ${fixed(comparison.gatewayOverheadMs.p99)} ms, proxy ${fixed(comparison.proxyOverheadMs.p99)} ms: ${fixed(comparison.ratio.p99)}× ${verdict(comparison.pass.p99)}`,
    `  CPU per escalation: gateway ${fixed(comparison.gatewayCpuMsPerEscalation, 3)} ms, proxy ${fixed(comparison.proxyCpuMsPerRequest, 3)} ms per forward (over the whole window: gateway ${fixed(comparison.windowCpuMs.gatewayPerRequest, 3)} ms per request it answered, e and e0 alike; proxy ${fixed(comparison.windowCpuMs.proxyPerRequest, 3)} ms)`,
  ];
}

async function sequential<T>(work: ReadonlyArray<() => Promise<T>>): Promise<T[]> {
  const results: T[] = [];
  for (const run of work) results.push(await run());
  return results;
}

if (values.help) {
  process.stdout.write(
    "Usage: node --import tsx bench/escalation.ts [--calls 400] [--warm-up 30] [--delay 20] [--data <dir>] [--seed 42]\n",
  );
} else if (values["stand-in"]) {
  await runStandIn(Number(values.delay), values.label);
} else {
  await main();
}
