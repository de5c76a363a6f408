// The figures of bench/serve.ts: their shapes, summaries, the issue's targets, the printed report and the JSON.

import { cpus } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { percentiles } from "../src/eval/latency.js";
import { type BenchRun, otherCoresBusyThreshold, type WrittenResult } from "./provenance.js";
import type { MachineLoad } from "./serve-processes.js";
import type { GatewayStats } from "./serve-protocol.js";

export const repositoryRoot = fileURLToPath(new URL("..", import.meta.url));
export const benchDir = join(repositoryRoot, "bench");
export const defaultDataDir = "../shared/datasets/banking77";
export const useCaseId = "banking77";
/** The environment variable the use case's `llm.apiKeyEnv` names; set only in the gateway child's env. */
export const llmKeyEnv = "SLMKIT_BENCH_LLM_KEY";
/** gpt-4o-mini's list price, the stand-in LLM's price: USD per 1M input and output tokens. */
export const price = { model: "gpt-4o-mini", inputPerMillionUsd: 0.15, outputPerMillionUsd: 0.6 };
export const targetAccuracy = 0.97;
/** The stand-in LLM's fixed delay, and the share of its answers that are wrong. */
export const standInDelayMs = 20;
export const standInErrorRate = 0.05;
export const rates = { steady: 500, cache: 500, escalation: 50, soak: 300, example: 300 };
/** The escalation target: the gateway adds at most this multiple of what a minimal forwarding proxy adds. */
export const proxyRatioTarget = 1.5;
export const wrkConnections = 32;
/** Texts the wrk script rotates through. */
export const wrkTexts = 200;
const megabyte = 1_000_000;

// ---------------------------------------------------------------------------------------------------------
// Options and figures

export interface BenchOptions {
  dataDir: string;
  quick: boolean;
  /** Seconds of the soak at 300 req/s; 0 skips it. */
  soakSeconds: number;
  /** Recorded seconds of each steady-rate phase. */
  phaseSeconds: number;
  /** Recorded seconds of each peak-throughput run. */
  peakSeconds: number;
  /** Unrecorded warm-up before each phase. */
  warmUpSeconds: number;
  seed: number;
  /** Use wrk for peak throughput (installing it if needed); false: the Node closed-loop generator. */
  wrk: boolean;
  /** A folder for the peak gateway's CPU profile (`node --cpu-prof`), or null for none. */
  cpuProfileDir: string | null;
  argv: string[];
}

export interface SteadyFigures {
  target: string;
  /** What was measured: the gateway, a bare route, the minimal forwarding proxy, or the stand-in LLM alone. */
  server: "gateway" | "bare" | "proxy" | "stand-in";
  rate: number;
  /** Requests sent, warm-up included. */
  sent: number;
  recorded: number;
  /** Recorded requests over the recorded seconds. */
  achievedRate: number;
  ok: number;
  errors: number;
  statuses: Record<string, number>;
  /** From the scheduled send time: the headline figure. */
  latencyMs: LatencySummary | null;
  latencyFromSendMs: LatencySummary | null;
  /** How late the generator sent behind its schedule. */
  sendLagMs: LatencySummary | null;
  /** The router's own `latency_ms` (gateway only). */
  routerLatencyMs: LatencySummary | null;
  answeredBy: Record<string, number>;
  /** Server CPU time per recorded request, µs (all threads of the server process, warm-up excluded). */
  serverCpuMicrosecondsPerRequest: number | null;
  generatorCpuSeconds: number;
  /** How busy the machine was over the recorded part, and how much of it was other work. */
  machine: MachineLoad | null;
  /** Gateway only: its event-loop delay and GC pauses over the recorded part. */
  gatewayProcess: GatewayProcessFigures | null;
}

/** What a gateway child reports of itself over a window (see GatewayStats). */
export type GatewayProcessFigures = Omit<GatewayStats, "event">;

export interface GatewayRows {
  name: string;
  /** Requests sent to the chat route (warm-up included). */
  sent: number;
  rows: number;
  dropped: number;
  closeMs: number;
  /** wrk does not count requests cut off at the end of its run; its rows are compared loosely. */
  exact: boolean;
}

export interface PeakFigures {
  target: string;
  tool: "wrk" | "node closed loop";
  command: string;
  requests: number;
  seconds: number;
  requestsPerSec: number;
  non2xx: number;
  socketErrors: string | null;
  latencyMs: { p50: number | null; p90: number | null; p99: number | null };
  /** Gateway only: who answered during the recorded run. */
  answeredBy: Record<string, number> | null;
  serverCpuMicrosecondsPerRequest: number | null;
  machine: MachineLoad | null;
  gatewayProcess: GatewayProcessFigures | null;
}

export interface EscalationFigures {
  rate: number;
  uniqueTexts: number;
  /** Texts made unique by a numbered suffix because the data had too few rejected ones. */
  variants: number;
  gateway: SteadyFigures;
  /** Requests the LLM answered, whose stand-in handler time could be matched by text. */
  matched: number;
  /** Gateway latency (from the scheduled send) minus the stand-in's handler time for that request. */
  overheadMs: LatencySummary | null;
  standInHandlerMs: LatencySummary | null;
  /** The same client calling the stand-in directly with the labeler's request body. */
  direct: SteadyFigures;
  /** Direct latency minus handler time: what one loopback HTTP call to an OpenAI-wire server costs any client. */
  directOverheadMs: LatencySummary | null;
  /** Gateway overhead minus the direct call's, percentile by percentile: the gateway's own share. */
  gatewayShareMs: { p50: number | null; p99: number | null };
  /**
   * The same texts at the same rate through a minimal forwarding proxy (forwarding-proxy.mjs: a bare Fastify
   * route sending the labeler's request to the same stand-in over a keep-alive agent), same runtime as the
   * gateway: the floor of any gateway's escalation.
   */
  proxy: SteadyFigures;
  /** Proxy latency minus the stand-in's handler time for that request. */
  proxyOverheadMs: LatencySummary | null;
  /** Gateway overhead / proxy overhead, percentile by percentile: the target is ≤ `proxyRatioTarget`. */
  overProxy: { p50: number | null; p99: number | null };
}

export interface PartCost {
  name: string;
  /** Mean microseconds per call. */
  meanMicroseconds: number;
  p50Microseconds: number | null;
  calls: number;
  note: string;
}

export interface ExampleFigures {
  n: number;
  rate: number;
  answeredBy: Record<string, number>;
  /** slm + cache over all requests. */
  localShare: number;
  localAccuracy: number | null;
  llmAccuracy: number | null;
  overallAccuracy: number;
  errors: number;
  llm: {
    calls: number;
    standInRequests: number;
    promptTokens: number;
    completionTokens: number;
    meanPromptTokens: number | null;
    meanCompletionTokens: number | null;
    /** Share of the stand-in's answers that were wrong on purpose (its 5%), over the texts it answered. */
    standInWrongShare: number | null;
  };
  costUsd: number;
  llmOnlyCostUsd: number | null;
  /** hybrid / LLM-only. */
  costRatio: number | null;
  costPer1kRequestsUsd: number;
  llmOnlyCostPer1kRequestsUsd: number | null;
  /**
   * Escalation overhead inside this traffic (most requests answered locally, the rest escalated, as the brief
   * deploys it): for each LLM-answered request, its latency − the stand-in's handler time for that very
   * request, the same measure as `EscalationFigures.overheadMs` at its lone 50 req/s.
   */
  escalationOverheadMs: LatencySummary | null;
  /** LLM answers matched with a stand-in handler time, the sample of `escalationOverheadMs`. */
  escalationsMatched: number;
  steady: SteadyFigures;
}

export interface SoakFigures {
  seconds: number;
  warmUpSeconds: number;
  rate: number;
  steady: SteadyFigures;
  rss: {
    startBytes: number | null;
    endBytes: number | null;
    minBytes: number | null;
    maxBytes: number | null;
    /** (end − start) / start. */
    growth: number | null;
    /** RSS halfway through, and the growth over the second half: warm-up effects fade, a leak does not. */
    middleBytes: number | null;
    secondHalfGrowth: number | null;
    /** Least-squares slope over the recorded samples. */
    slopeBytesPerMinute: number | null;
  };
  /** VmRSS of the gateway every second: seconds since recording started (negative during warm-up). */
  samples: Array<{ seconds: number; rssBytes: number }>;
  rows: GatewayRows;
}

// Figures

export interface LatencySummary {
  n: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
}

export function summarize(samples: readonly (number | null)[]): LatencySummary | null {
  const values = samples.filter(
    (value): value is number => typeof value === "number" && Number.isFinite(value),
  );
  if (values.length === 0) return null;
  const [p50, p90, p95, p99, p999, max] = percentiles(values, [50, 90, 95, 99, 99.9, 100]) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  return { n: values.length, mean, p50, p90, p95, p99, p999, max };
}

export function countBy(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values)
    counts[value === "" ? "none" : value] = (counts[value === "" ? "none" : value] ?? 0) + 1;
  return counts;
}

export const fixed = (value: number | null | undefined, digits: number): string =>
  value === null || value === undefined || !Number.isFinite(value) ? "–" : value.toFixed(digits);
export const whole = (value: number | null | undefined): string =>
  value === null || value === undefined || !Number.isFinite(value)
    ? "–"
    : Math.round(value).toLocaleString("en-US");
const percent = (share: number | null | undefined, digits = 1): string =>
  share === null || share === undefined || !Number.isFinite(share)
    ? "–"
    : `${(share * 100).toFixed(digits)}%`;
const signedPercent = (share: number | null | undefined): string =>
  share === null || share === undefined || !Number.isFinite(share)
    ? "–"
    : `${share >= 0 ? "+" : ""}${(share * 100).toFixed(1)}%`;
const ratio = (value: number | null | undefined, digits = 2): string =>
  value === null || value === undefined || !Number.isFinite(value) ? "–" : `${value.toFixed(digits)}×`;
const megabytes = (bytes: number | null | undefined): string =>
  bytes === null || bytes === undefined ? "–" : fixed(bytes / megabyte, 1);
export const divide = (a: number | null | undefined, b: number | null | undefined): number | null =>
  a === null || a === undefined || b === null || b === undefined || b === 0 ? null : a / b;
const usd = (value: number): string => `$${value.toFixed(value < 1 ? 4 : 2)}`;

export function shares(counts: Record<string, number>): string {
  const total = Object.values(counts).reduce((sum, count) => sum + count, 0);
  const order = ["slm", "cache", "llm", "review", "none"];
  return Object.entries(counts)
    .sort(([a], [b]) => order.indexOf(a) - order.indexOf(b))
    .map(([name, count]) => `${name} ${percent(count / total)}`)
    .join(", ");
}

/** Columns padded to their widest cell: the first and any in `leftAligned` on the right, the others on the left. */
function renderTable(rows: string[][], leftAligned: readonly number[] = []): string {
  const widths = (rows[0] as string[]).map((_, column) =>
    Math.max(...rows.map((row) => (row[column] ?? "").length)),
  );
  return rows
    .map((row) =>
      row
        .map((cell, column) =>
          column === 0 || leftAligned.includes(column)
            ? cell.padEnd(widths[column] as number)
            : cell.padStart(widths[column] as number),
        )
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

// ---------------------------------------------------------------------------------------------------------
// Report

interface Target {
  name: string;
  measured: string;
  /** null: not judged in this run. */
  pass: boolean | null;
  /**
   * The same figure for the floor measured in the same run (bare Fastify, or the client calling the stand-in
   * directly), so a target the machine itself cannot meet today reads as such; "" where there is none.
   */
  floor: string;
}

export interface BenchFigures {
  options: BenchOptions;
  workload: {
    dataset: string;
    train: number;
    valid: number;
    test: number;
    labels: number;
    threshold: number;
    trainSeconds: number;
    acceptedTest: number;
    rejectedTest: number;
  };
  wrk: { available: boolean; notice: string | null; version: string | null };
  replyBytes: number;
  peak: PeakFigures[];
  steady: SteadyFigures[];
  cache: SteadyFigures;
  escalation: EscalationFigures;
  parts: PartCost[];
  example: ExampleFigures;
  soak: SoakFigures | null;
  gateways: GatewayRows[];
  ratios: {
    peakGatewayOverFastify: number | null;
    peakGatewayOverHttp: number | null;
    peakFastifyOverHttp: number | null;
    steadyP50GatewayOverFastify: number | null;
    steadyP99GatewayOverFastify: number | null;
    escalationP50GatewayOverProxy: number | null;
    escalationP99GatewayOverProxy: number | null;
    /** Each server's CPU µs per request in the phase each ratio compares, beside the ratios. */
    serverCpuMicrosecondsPerRequest: Record<string, number | null>;
  };
  /** Phases whose recorded part had other processes using ≥ `otherCoresBusyThreshold` cores. */
  machineBusy: { busy: boolean; threshold: number; busyPhases: string[] };
  targets: Target[];
}

/** Every recorded window whose other processes kept ≥ `otherCoresBusyThreshold` cores busy. */
export function busyPhases(
  figures: Omit<BenchFigures, "targets" | "machineBusy">,
): BenchFigures["machineBusy"] {
  const windows: Array<{ name: string; machine: MachineLoad | null }> = [
    ...figures.peak.map((run) => ({ name: `peak ${run.target}`, machine: run.machine })),
    ...figures.steady.map((run) => ({ name: run.target, machine: run.machine })),
    { name: figures.cache.target, machine: figures.cache.machine },
    { name: figures.escalation.gateway.target, machine: figures.escalation.gateway.machine },
    { name: figures.escalation.proxy.target, machine: figures.escalation.proxy.machine },
    { name: figures.escalation.direct.target, machine: figures.escalation.direct.machine },
    { name: figures.example.steady.target, machine: figures.example.steady.machine },
    ...(figures.soak === null
      ? []
      : [{ name: figures.soak.steady.target, machine: figures.soak.steady.machine }]),
  ];
  const busy = windows
    .filter((window) => (window.machine?.otherCores ?? 0) >= otherCoresBusyThreshold)
    .map((window) => `${window.name} (${fixed(window.machine?.otherCores, 2)} cores)`);
  return { busy: busy.length > 0, threshold: otherCoresBusyThreshold, busyPhases: busy };
}

export function evaluateTargets(figures: Omit<BenchFigures, "targets">): Target[] {
  const escalation = figures.escalation;
  const proxy = escalation.proxyOverheadMs;
  const gatewaySteady = figures.steady.find((run) => run.server === "gateway");
  const p50 = gatewaySteady?.latencyMs?.p50 ?? null;
  const p99 = gatewaySteady?.latencyMs?.p99 ?? null;
  const cacheP99 = figures.cache.latencyMs?.p99 ?? null;
  const bare = figures.steady.find((run) => run.target === "bare Fastify")?.latencyMs;
  const floorOf = (who: string, value: number | undefined) =>
    value === undefined ? "" : `${who} ${fixed(value, 3)} ms`;
  const overhead = escalation.overheadMs;
  const soak = figures.soak;
  const judge = (value: number | null, limit: number) => (value === null ? null : value <= limit);
  return [
    {
      name: `slm path at a steady ${rates.steady} req/s: p50 ≤ 1 ms`,
      measured: `${fixed(p50, 3)} ms`,
      pass: judge(p50, 1),
      floor: floorOf("bare Fastify", bare?.p50),
    },
    {
      name: `slm path at a steady ${rates.steady} req/s: p99 ≤ 3 ms`,
      measured: `${fixed(p99, 3)} ms`,
      pass: judge(p99, 3),
      floor: floorOf("bare Fastify", bare?.p99),
    },
    {
      name: "peak throughput ≥ 50% of the bare Fastify route",
      measured: ratio(figures.ratios.peakGatewayOverFastify),
      pass:
        figures.ratios.peakGatewayOverFastify === null ? null : figures.ratios.peakGatewayOverFastify >= 0.5,
      floor: "",
    },
    ...(["p50", "p99"] as const).map((percentile) => {
      const over = percentile === "p50" ? escalation.overProxy.p50 : escalation.overProxy.p99;
      return {
        name: `escalation: added latency ≤ ${proxyRatioTarget}× a minimal forwarding proxy's (${percentile})`,
        measured: `${fixed(overhead?.[percentile], 3)} ms = ${ratio(over)}`,
        pass: over === null ? null : over <= proxyRatioTarget,
        floor: floorOf("proxy", proxy?.[percentile]),
      };
    }),
    {
      name: `cache hit at ${rates.cache} req/s: p99 ≤ 2 ms`,
      measured: `${fixed(cacheP99, 3)} ms`,
      pass: judge(cacheP99, 2),
      floor: floorOf("bare Fastify", bare?.p99),
    },
    {
      name: `soak at ${rates.soak} req/s: RSS growth ≤ 10% (issue: 600 s)`,
      measured:
        soak === null
          ? "not run"
          : `${signedPercent(soak.rss.growth)} over ${soak.seconds} s${soak.seconds < 600 ? " (shorter than 600 s)" : ""}`,
      pass: soak === null ? null : soak.rss.growth === null ? null : soak.rss.growth <= 0.1,
      floor: "",
    },
    {
      name: "soak: log rows = requests sent",
      measured: soak === null ? "not run" : `${whole(soak.rows.rows)} rows / ${whole(soak.rows.sent)} sent`,
      pass: soak === null ? null : soak.rows.rows === soak.rows.sent,
      floor: "",
    },
    {
      name: "brief's example: answered locally ≥ 80%",
      measured: percent(figures.example.localShare),
      pass: figures.example.localShare >= 0.8,
      floor: "",
    },
  ];
}

function latencyRow(name: string, summary: LatencySummary | null, extra: string[]): string[] {
  return [
    name,
    fixed(summary?.p50, 3),
    fixed(summary?.p95, 3),
    fixed(summary?.p99, 3),
    fixed(summary?.max, 2),
    ...extra,
  ];
}

export function renderReport(figures: BenchFigures): string {
  const lines: string[] = [];
  const { workload, options } = figures;
  lines.push(
    `slmkit serve bench: ${workload.dataset} (train ${workload.train}, valid ${workload.valid}, test ${workload.test}, ${workload.labels} labels)${options.quick ? " · QUICK run" : ""}`,
    `${new Date().toISOString()} · node ${process.version} · ${cpus()[0]?.model ?? "unknown CPU"} × ${cpus().length} · loopback 127.0.0.1 · seed ${options.seed}`,
    ...(figures.machineBusy.busy
      ? [
          `MACHINE BUSY: other processes used ≥ ${figures.machineBusy.threshold} cores during ${figures.machineBusy.busyPhases.join(", ")}; latency figures are the scheduler's as much as the servers'`,
        ]
      : []),
    `model: native, trained in ${fixed(workload.trainSeconds, 1)} s; threshold ${fixed(workload.threshold, 4)} (target accuracy ${targetAccuracy} on valid); test: ${workload.acceptedTest} accepted, ${workload.rejectedTest} below it`,
    "",
    `peak throughput (${figures.peak[0]?.tool ?? "–"}: -t1 -c${wrkConnections}, ${options.peakSeconds} s after ${options.warmUpSeconds} s warm-up, each target alone; ${wrkTexts} test texts rotating)`,
  );
  const peakRows: string[][] = [
    [
      "target",
      "req/s",
      "vs bare Fastify",
      "p50 ms",
      "p90 ms",
      "p99 ms",
      "non-2xx",
      "server CPU µs/req",
      "busy cores",
      "others",
    ],
  ];
  const fastify = figures.peak.find((run) => run.target === "bare Fastify")?.requestsPerSec ?? null;
  for (const run of figures.peak) {
    peakRows.push([
      run.target,
      whole(run.requestsPerSec),
      ratio(divide(run.requestsPerSec, fastify)),
      fixed(run.latencyMs.p50, 2),
      fixed(run.latencyMs.p90, 2),
      fixed(run.latencyMs.p99, 2),
      whole(run.non2xx),
      fixed(run.serverCpuMicrosecondsPerRequest, 0),
      fixed(run.machine?.busyCores, 2),
      fixed(run.machine?.otherCores, 2),
    ]);
  }
  lines.push(renderTable(peakRows));
  lines.push(
    `  peak gateway / bare Fastify ${ratio(figures.ratios.peakGatewayOverFastify)}, / bare node:http ${ratio(figures.ratios.peakGatewayOverHttp)}; server CPU per request: gateway ${fixed(figures.ratios.serverCpuMicrosecondsPerRequest.peakGateway, 0)} µs, bare Fastify ${fixed(figures.ratios.serverCpuMicrosecondsPerRequest.peakBareFastify, 0)} µs, bare node:http ${fixed(figures.ratios.serverCpuMicrosecondsPerRequest.peakBareHttp, 0)} µs (all plain node on JavaScript, no tsx)`,
  );
  const gatewayPeak = figures.peak.find((run) => run.target === "gateway");
  if (gatewayPeak?.answeredBy)
    lines.push(
      `  gateway answered by: ${shares(gatewayPeak.answeredBy)} (escalated texts were cached during warm-up)`,
    );
  lines.push(
    `  reply size: ${whole(figures.replyBytes)} bytes (the bare routes return a reply the gateway gave); latency here is under saturation.`,
  );
  lines.push(
    `  busy cores: the machine's CPU in use during the run (of ${cpus().length}, from /proc/stat, steal included); others: what was not`,
    "  this bench's processes (server, generator, this process): other work on the machine makes every figure noisier.",
  );
  if (figures.wrk.notice !== null) lines.push(`  NOTICE: ${figures.wrk.notice}`);

  lines.push(
    "",
    `latency at a steady rate (open loop from ${"bench/serve-load.ts"}, latency from each request's scheduled send time; ms)`,
  );
  const latencyRows: string[][] = [
    [
      "phase",
      "p50",
      "p95",
      "p99",
      "max",
      "req/s",
      "errors",
      "router p50",
      "router p99",
      "lag p99",
      "loop max",
      "gc max",
      "others",
      "answered by",
    ],
  ];
  const steadyRow = (run: SteadyFigures) =>
    latencyRow(run.target, run.latencyMs, [
      whole(run.achievedRate),
      whole(run.errors),
      fixed(run.routerLatencyMs?.p50, 3),
      fixed(run.routerLatencyMs?.p99, 3),
      fixed(run.sendLagMs?.p99, 2),
      fixed(run.gatewayProcess?.loopDelayMs.max, 1),
      fixed(run.gatewayProcess?.gc.maxMs, 1),
      fixed(run.machine?.otherCores, 2),
      run.server === "gateway" ? shares(run.answeredBy) : "",
    ]);
  for (const run of figures.steady) latencyRows.push(steadyRow(run));
  latencyRows.push(steadyRow(figures.cache));
  latencyRows.push(steadyRow(figures.escalation.gateway));
  latencyRows.push(steadyRow(figures.escalation.proxy));
  latencyRows.push(steadyRow(figures.escalation.direct));
  latencyRows.push(steadyRow(figures.example.steady));
  if (figures.soak !== null) latencyRows.push(steadyRow(figures.soak.steady));
  lines.push(renderTable(latencyRows));
  const gatewaySteady = figures.steady.find((run) => run.server === "gateway");
  const bareSteady = figures.steady.find((run) => run.server === "bare");
  const cpu = figures.ratios.serverCpuMicrosecondsPerRequest;
  lines.push(
    `  gateway / bare Fastify at ${rates.steady} req/s: p50 ${ratio(figures.ratios.steadyP50GatewayOverFastify)}, p99 ${ratio(figures.ratios.steadyP99GatewayOverFastify)}; server CPU per request: gateway ${fixed(cpu.steadyGateway, 0)} µs, bare Fastify ${fixed(cpu.steadyBareFastify, 0)} µs`,
    `  the generator's own send lag behind schedule (included above): p50 ${fixed(gatewaySteady?.sendLagMs?.p50, 3)} ms, p99 ${fixed(gatewaySteady?.sendLagMs?.p99, 3)} ms; latency from the actual send: gateway p50 ${fixed(gatewaySteady?.latencyFromSendMs?.p50, 3)} / p99 ${fixed(gatewaySteady?.latencyFromSendMs?.p99, 3)}, bare Fastify p50 ${fixed(bareSteady?.latencyFromSendMs?.p50, 3)} / p99 ${fixed(bareSteady?.latencyFromSendMs?.p99, 3)}`,
    "  router p50/p99: the gateway's own `slmkit.latency_ms` (routing inside the process, no HTTP). lag p99: how late the",
    "  generator sent (a machine-wide stall shows here too). loop max / gc max: the gateway's longest event-loop delay and",
    "  GC pause in ms. others: cores used by other processes on the machine during the recorded part.",
  );

  const escalation = figures.escalation;
  lines.push(
    "",
    `escalation overhead at ${escalation.rate} req/s: ${escalation.uniqueTexts} unique texts below the threshold${escalation.variants > 0 ? ` (${escalation.variants} numbered variants)` : ""}, stand-in LLM with a ${standInDelayMs} ms delay`,
    `  per request: gateway latency − the stand-in's handler time for that request (${escalation.matched} LLM answers matched)`,
    `    overhead p50 ${fixed(escalation.overheadMs?.p50, 3)} ms · p95 ${fixed(escalation.overheadMs?.p95, 3)} · p99 ${fixed(escalation.overheadMs?.p99, 3)} · max ${fixed(escalation.overheadMs?.max, 2)}  (handler p50 ${fixed(escalation.standInHandlerMs?.p50, 2)} ms)`,
    `  the same client calling the stand-in directly (the labeler's body): latency − handler p50 ${fixed(escalation.directOverheadMs?.p50, 3)} ms · p99 ${fixed(escalation.directOverheadMs?.p99, 3)} ms`,
    `  the gateway's own share (overhead − direct, by percentile): p50 ${fixed(escalation.gatewayShareMs.p50, 3)} ms · p99 ${fixed(escalation.gatewayShareMs.p99, 3)} ms`,
    `  the same texts through a minimal forwarding proxy (bare Fastify route → the same stand-in, keep-alive; plain node like the gateway): added p50 ${fixed(escalation.proxyOverheadMs?.p50, 3)} ms · p99 ${fixed(escalation.proxyOverheadMs?.p99, 3)} ms`,
    `  gateway / proxy added latency: p50 ${ratio(escalation.overProxy.p50)} · p99 ${ratio(escalation.overProxy.p99)} (target ≤ ${proxyRatioTarget}×); server CPU per escalation: gateway ${fixed(escalation.gateway.serverCpuMicrosecondsPerRequest, 0)} µs, proxy ${fixed(escalation.proxy.serverCpuMicrosecondsPerRequest, 0)} µs`,
    "  what the escalation's parts cost (in-process, sequential; the HTTP rows against the stand-in with no delay):",
  );
  lines.push(
    renderTable([
      ["    part", "µs/call", "p50 µs", "calls", "note"],
      ...figures.parts.map((part) => [
        `    ${part.name}`,
        fixed(part.meanMicroseconds, part.meanMicroseconds < 10 ? 2 : 0),
        fixed(part.p50Microseconds, 0),
        whole(part.calls),
        part.note,
      ]),
    ]),
  );

  const example = figures.example;
  lines.push(
    "",
    `the brief's example: all ${whole(example.n)} banking77 test texts once (seeded shuffle) at ${example.rate} req/s through a fresh gateway`,
    `  (after ${options.warmUpSeconds} s of warm-up on train texts the model accepts);`,
    `  stand-in LLM answers the gold label 95% of the time (seeded; wrong 5% → another label), priced as ${price.model} list: $${price.inputPerMillionUsd} / 1M input, $${price.outputPerMillionUsd} / 1M output tokens`,
  );
  lines.push(
    renderTable([
      ["  answered by", "requests", "share"],
      ...["slm", "cache", "llm", "review", "none"]
        .filter((name) => (example.answeredBy[name] ?? 0) > 0)
        .map((name) => [
          `  ${name}`,
          whole(example.answeredBy[name]),
          percent((example.answeredBy[name] ?? 0) / example.n),
        ]),
    ]),
    `  answered locally (slm + cache): ${percent(example.localShare)}; accuracy of those: ${fixed(example.localAccuracy, 4)}; of the LLM's: ${fixed(example.llmAccuracy, 4)}; overall: ${fixed(example.overallAccuracy, 4)}${example.errors > 0 ? `; ${example.errors} errors` : ""}`,
    `  LLM: ${whole(example.llm.calls)} calls (stand-in saw ${whole(example.llm.standInRequests)} requests), ${whole(example.llm.promptTokens)} input + ${whole(example.llm.completionTokens)} output tokens (${fixed(example.llm.meanPromptTokens, 0)} + ${fixed(example.llm.meanCompletionTokens, 1)} per call; the fake counts 4 characters a token)`,
    `  escalation overhead in this traffic (latency − the stand-in's handler time, ${whole(example.escalationsMatched)} LLM answers; no proxy run in this traffic, so no target): p50 ${fixed(example.escalationOverheadMs?.p50, 3)} ms · p95 ${fixed(example.escalationOverheadMs?.p95, 3)} · p99 ${fixed(example.escalationOverheadMs?.p99, 3)} · max ${fixed(example.escalationOverheadMs?.max, 2)}`,
    `  cost: hybrid ${usd(example.costUsd)} (${usd(example.costPer1kRequestsUsd)} per 1K requests) vs LLM-only ${example.llmOnlyCostUsd === null ? "–" : usd(example.llmOnlyCostUsd)} (${example.llmOnlyCostPer1kRequestsUsd === null ? "–" : usd(example.llmOnlyCostPer1kRequestsUsd)} per 1K): hybrid costs ${ratio(example.costRatio)} LLM-only`,
    "  LLM-only = every request sent to the LLM at the measured mean tokens per call.",
  );

  if (figures.soak !== null) {
    const soak = figures.soak;
    lines.push(
      "",
      `soak: ${soak.seconds} s at ${soak.rate} req/s (after ${soak.warmUpSeconds} s warm-up), test texts rotating, fresh gateway`,
      `  gateway RSS: start ${megabytes(soak.rss.startBytes)} MB → end ${megabytes(soak.rss.endBytes)} MB (${signedPercent(soak.rss.growth)}), min ${megabytes(soak.rss.minBytes)} MB, max ${megabytes(soak.rss.maxBytes)} MB; MB = 10^6 bytes`,
      `    second half: ${megabytes(soak.rss.middleBytes)} → ${megabytes(soak.rss.endBytes)} MB (${signedPercent(soak.rss.secondHalfGrowth)}); least-squares slope ${soak.rss.slopeBytesPerMinute === null ? "–" : `${soak.rss.slopeBytesPerMinute >= 0 ? "+" : ""}${fixed(soak.rss.slopeBytesPerMinute / megabyte, 2)}`} MB/min`,
      `  log rows after SIGTERM: ${whole(soak.rows.rows)} for ${whole(soak.rows.sent)} requests sent (${soak.rows.rows === soak.rows.sent ? "equal" : "DIFFERENT"}); dropped ${soak.rows.dropped}; close took ${fixed(soak.rows.closeMs, 0)} ms`,
    );
  } else {
    lines.push("", "soak: not run (--quick or --soak 0).");
  }

  lines.push("", "log rows after each gateway's clean SIGTERM shutdown (a fresh store counts them):");
  lines.push(
    renderTable([
      ["  gateway", "requests sent", "rows", "dropped", "close ms", ""],
      ...figures.gateways.map((rows) => [
        `  ${rows.name}`,
        whole(rows.sent),
        whole(rows.rows),
        whole(rows.dropped),
        fixed(rows.closeMs, 0),
        rows.exact
          ? rows.rows === rows.sent
            ? "equal"
            : "DIFFERENT"
          : "(wrk: sent = answers counted by /metrics)",
      ]),
    ]),
  );

  lines.push(
    "",
    "targets (read, not enforced; floor: the same figure of bare Fastify, or of the minimal forwarding proxy, in",
    `this run: a target its floor misses is out of this machine's reach today)${figures.machineBusy.busy ? "; MACHINE BUSY in this run, see the top" : ""}`,
  );
  lines.push(
    renderTable(
      figures.targets.map((target) => [
        `  ${target.name}`,
        target.measured,
        target.pass === null ? "n/a" : target.pass ? "PASS" : "MISS",
        target.floor === "" ? "" : `floor: ${target.floor}`,
      ]),
      [3],
    ),
  );
  return `${lines.join("\n")}\n`;
}

/** Writes the figures through the run's provenance: bench/results/serve.json, or local/ for a quick run. */
export function writeResults(run: BenchRun, figures: BenchFigures): Promise<WrittenResult> {
  const { argv: _argv, dataDir, ...options } = figures.options;
  return run.write({
    data: { dir: relative(repositoryRoot, dataDir), ...figures.workload },
    options,
    notRun: [
      ...(figures.wrk.available ? [] : [`wrk: ${figures.wrk.notice ?? "not available"}`]),
      ...(figures.soak === null ? ["the soak (--quick or --soak 0)"] : []),
    ],
    machineBusy: figures.machineBusy,
    units: {
      latency: "milliseconds, from each request's scheduled send time unless named otherwise",
      cpu: "microseconds of server CPU (all threads) per request",
      rss: "bytes",
      cost: "US dollars",
    },
    prices: price,
    rates,
    standIn: { delayMs: standInDelayMs, errorRate: standInErrorRate },
    wrk: figures.wrk,
    replyBytes: figures.replyBytes,
    peak: figures.peak,
    ratios: figures.ratios,
    steady: figures.steady,
    cache: figures.cache,
    escalation: figures.escalation,
    escalationParts: figures.parts,
    example: figures.example,
    soak: figures.soak,
    gateways: figures.gateways,
    targets: figures.targets,
  });
}

// ---------------------------------------------------------------------------------------------------------

/** What a bench's classify use case says: everything else is the same for every bench. */
export interface BenchUseCase {
  id: string;
  title: string;
  labels: readonly string[];
  /** The folder usecase.yaml is written to: data paths are relative to it. */
  scratchDir: string;
  /** Where train.jsonl, valid.jsonl and test.jsonl lie; they are referenced there, never copied. */
  dataDir: string;
  targetAccuracy: number;
  llm: {
    baseUrl: string;
    model: string;
    apiKeyEnv: string;
    pricePer1kInputUsd: number;
    pricePer1kOutputUsd: number;
  };
  /** Spend caps, for benches that want the budget check to read the store as a capped deployment does. */
  budget?: { dailyUsd: number; monthlyUsd: number };
}

/** The usecase.yaml of a bench: the data where it lies, model in `model/`, fallback to the given LLM. */
export function benchUseCaseYaml(useCase: BenchUseCase): string {
  const dataPath = (name: string) =>
    JSON.stringify(relative(useCase.scratchDir, join(useCase.dataDir, `${name}.jsonl`)));
  const labels = useCase.labels
    .map(
      (label) =>
        `  - name: ${JSON.stringify(label)}\n    description: ${JSON.stringify(label.replaceAll("_", " "))}`,
    )
    .join("\n");
  const budget =
    useCase.budget === undefined
      ? ""
      : `budget:\n  dailyUsd: ${useCase.budget.dailyUsd}\n  monthlyUsd: ${useCase.budget.monthlyUsd}\n`;
  const { llm } = useCase;
  return `version: 1
id: ${useCase.id}
title: ${useCase.title}
task: classify
labels:
${labels}
data:
  train: ${dataPath("train")}
  valid: ${dataPath("valid")}
  test: ${dataPath("test")}
model: model
routing:
  targetAccuracy: ${useCase.targetAccuracy}
  fallback: llm
${budget}llm:
  baseUrl: ${llm.baseUrl}
  model: ${llm.model}
  apiKeyEnv: ${llm.apiKeyEnv}
  pricePer1kInputUsd: ${llm.pricePer1kInputUsd}
  pricePer1kOutputUsd: ${llm.pricePer1kOutputUsd}
  timeoutMs: 10000
`;
}
