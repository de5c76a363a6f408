// Child process of bench/serve.ts: the load generator, in its own process so it never shares the server's
// event loop. Open loop (default): requests leave at a fixed rate scheduled by time, never by completions, over
// keep-alive connections, and each latency runs from the request's scheduled send time, so a stalled server is
// charged for every request it delayed (no coordinated omission). Closed loop: N requests in flight, each
// connection sending again when answered (the peak-throughput fallback when wrk cannot be had).
//
// Usage: node --import tsx bench/serve-load.ts --config <config.json> --result <result.json>

import { readFileSync, writeFileSync } from "node:fs";
import { Agent, request as httpRequest } from "node:http";
import { parseArgs } from "node:util";
import {
  type LoadConfig,
  type LoadResult,
  onParentGone,
  type RequestDetail,
  sendToParent,
} from "./serve-protocol.js";

/**
 * Timers fire late by ~0.1-0.3 ms here; the last stretch before a send is spent polling with setImmediate
 * (which still lets replies in) so requests leave on time. The generator's lag is measured and reported.
 */
const spinMarginMs = 0.4;
/** Open loop: the longest the generator waits for the last replies after the last send, beyond timeoutMs. */
const drainGraceMs = 2_000;

const { values } = parseArgs({
  options: { config: { type: "string" }, result: { type: "string" } },
  strict: true,
});
if (values.config === undefined || values.result === undefined)
  throw new Error("serve-load needs --config <file> --result <file>.");
const resultFile = values.result;
const config = JSON.parse(readFileSync(values.config, "utf8")) as LoadConfig;
const target = new URL(config.url);
const bodies = config.bodies.map((body) => Buffer.from(body, "utf8"));
if (bodies.length === 0) throw new Error("serve-load: no request bodies.");
const agent = new Agent({ keepAlive: true, maxSockets: config.mode === "closed" ? config.connections : 256 });
const epoch = (time: number) => performance.timeOrigin + time;

/** Tells the parent where the run is, with the generator's own CPU so far (its share of the machine). */
function report(event: "sending" | "measuring" | "done", time: number): void {
  const cpu = process.cpuUsage();
  sendToParent({ event, at: epoch(time), cpuSeconds: (cpu.user + cpu.system) / 1e6 });
}

interface Reply {
  status: number | "error" | "timeout";
  body: string;
  /** performance.now() when the last byte arrived. */
  at: number;
}

function post(bodyIndex: number): Promise<Reply> {
  const body = bodies[bodyIndex] as Buffer;
  return new Promise<Reply>((resolve) => {
    let settled = false;
    const settle = (reply: Reply) => {
      if (settled) return;
      settled = true;
      resolve(reply);
    };
    const outgoing = httpRequest(
      {
        agent,
        hostname: target.hostname,
        port: target.port,
        path: target.pathname,
        method: "POST",
        headers: { ...config.headers, "content-type": "application/json", "content-length": body.length },
      },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
        incoming.on("end", () =>
          settle({
            status: incoming.statusCode ?? 0,
            body: Buffer.concat(chunks).toString("utf8"),
            at: performance.now(),
          }),
        );
        incoming.on("error", () => settle({ status: "error", body: "", at: performance.now() }));
      },
    );
    outgoing.setTimeout(config.timeoutMs, () => {
      settle({ status: "timeout", body: "", at: performance.now() });
      outgoing.destroy();
    });
    outgoing.on("error", () => settle({ status: "error", body: "", at: performance.now() }));
    outgoing.end(body);
  });
}

interface Decision {
  answeredBy: string;
  routerLatencyMs: number;
  detail: RequestDetail;
}

function readDecision(body: string): Decision {
  const none: Decision = {
    answeredBy: "",
    routerLatencyMs: Number.NaN,
    detail: { label: null, promptTokens: 0, completionTokens: 0, costUsd: 0 },
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return none;
  }
  if (typeof parsed !== "object" || parsed === null) return none;
  const reply = parsed as {
    slmkit?: { answered_by?: unknown; latency_ms?: unknown; label?: unknown; cost_usd?: unknown };
    choices?: Array<{ message?: { content?: unknown } }>;
    usage?: { prompt_tokens?: unknown; completion_tokens?: unknown };
  };
  const decision = reply.slmkit ?? {};
  const content = reply.choices?.[0]?.message?.content;
  const number = (value: unknown) => (typeof value === "number" ? value : 0);
  return {
    answeredBy: typeof decision.answered_by === "string" ? decision.answered_by : "",
    routerLatencyMs: typeof decision.latency_ms === "number" ? decision.latency_ms : Number.NaN,
    detail: {
      label:
        typeof decision.label === "string" ? decision.label : typeof content === "string" ? content : null,
      promptTokens: number(reply.usage?.prompt_tokens),
      completionTokens: number(reply.usage?.completion_tokens),
      costUsd: number(decision.cost_usd),
    },
  };
}

/** Collects the recorded requests. */
class Recorder {
  readonly result: LoadResult;
  private firstSend = Number.POSITIVE_INFINITY;
  private lastAnswer = 0;

  constructor() {
    this.result = {
      mode: config.mode,
      sent: 0,
      warmUpSent: 0,
      warmUpErrors: 0,
      recorded: 0,
      recordedSeconds: 0,
      ok: 0,
      errors: 0,
      statuses: {},
      latencyFromScheduledMs: [],
      latencyFromSendMs: [],
      sendLagMs: [],
      routerLatencyMs: [],
      answeredBy: [],
      bodyIndex: [],
      generatorCpuSeconds: 0,
      ...(config.keepDetails ? { details: [] } : {}),
    };
  }

  record(bodyIndex: number, scheduled: number, sent: number, reply: Reply): void {
    const result = this.result;
    this.firstSend = Math.min(this.firstSend, sent);
    this.lastAnswer = Math.max(this.lastAnswer, reply.at);
    result.recorded += 1;
    const status = String(reply.status);
    result.statuses[status] = (result.statuses[status] ?? 0) + 1;
    if (reply.status === 200) result.ok += 1;
    else result.errors += 1;
    result.latencyFromScheduledMs.push(reply.at - scheduled);
    result.latencyFromSendMs.push(reply.at - sent);
    result.sendLagMs.push(sent - scheduled);
    result.bodyIndex.push(bodyIndex);
    const decision =
      config.parseReplies && reply.status === 200
        ? readDecision(reply.body)
        : { answeredBy: "", routerLatencyMs: Number.NaN, detail: null };
    result.answeredBy.push(decision.answeredBy);
    result.routerLatencyMs.push(decision.routerLatencyMs);
    if (result.details !== undefined)
      result.details.push(
        decision.detail ?? { label: null, promptTokens: 0, completionTokens: 0, costUsd: 0 },
      );
  }

  finish(): LoadResult {
    const result = this.result;
    result.recordedSeconds = result.recorded === 0 ? 0 : (this.lastAnswer - this.firstSend) / 1000;
    const cpu = process.cpuUsage();
    result.generatorCpuSeconds = (cpu.user + cpu.system) / 1e6;
    return result;
  }
}

async function runOpenLoop(recorder: Recorder): Promise<void> {
  const interval = 1000 / config.rate;
  const warmUpCount = Math.round(config.rate * config.warmUpSeconds);
  const recordedCount = config.count ?? Math.round(config.rate * config.seconds);
  const total = warmUpCount + recordedCount;
  const pending = new Set<Promise<void>>();
  const start = performance.now() + 20;
  let next = 0;
  report("sending", start);
  if (warmUpCount === 0) report("measuring", start);

  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (next < total && start + next * interval <= now) {
        const index = next++;
        const scheduled = start + index * interval;
        // Bodies are taken in one sequence across warm-up and recording: a pool of unique texts stays unique.
        const bodyIndex = index % bodies.length;
        if (index === warmUpCount && warmUpCount > 0) report("measuring", now);
        const sent = performance.now();
        recorder.result.sent += 1;
        if (index < warmUpCount) recorder.result.warmUpSent += 1;
        const work = post(bodyIndex).then((reply) => {
          if (index >= warmUpCount) recorder.record(bodyIndex, scheduled, sent, reply);
          else if (reply.status !== 200) recorder.result.warmUpErrors += 1;
        });
        const tracked = work.finally(() => pending.delete(tracked));
        pending.add(tracked);
      }
      if (next >= total) {
        resolve();
        return;
      }
      const wait = start + next * interval - performance.now();
      if (wait >= 1 + spinMarginMs) setTimeout(tick, wait - spinMarginMs);
      else setImmediate(tick);
    };
    tick();
  });
  // Every request has its own timeout; this bounds the wait even if one of them misbehaves.
  const deadline = new Promise<void>((resolve) =>
    setTimeout(resolve, config.timeoutMs + drainGraceMs).unref(),
  );
  await Promise.race([Promise.all([...pending]), deadline]);
}

async function runClosedLoop(recorder: Recorder): Promise<void> {
  const start = performance.now();
  const measureFrom = start + config.warmUpSeconds * 1000;
  const end = measureFrom + config.seconds * 1000;
  let next = 0;
  let measuring = false;
  report("sending", start);
  const connection = async () => {
    for (;;) {
      const sent = performance.now();
      if (sent >= end) return;
      if (!measuring && sent >= measureFrom) {
        measuring = true;
        report("measuring", sent);
      }
      const bodyIndex = next++ % bodies.length;
      recorder.result.sent += 1;
      const warmUp = sent < measureFrom;
      if (warmUp) recorder.result.warmUpSent += 1;
      const reply = await post(bodyIndex);
      if (warmUp && reply.status !== 200) recorder.result.warmUpErrors += 1;
      if (!warmUp && reply.at <= end) recorder.record(bodyIndex, sent, sent, reply);
    }
  };
  await Promise.all(Array.from({ length: config.connections }, () => connection()));
}

const recorder = new Recorder();
onParentGone(async () => {
  process.exit(1);
});
if (config.mode === "open") await runOpenLoop(recorder);
else await runClosedLoop(recorder);
writeFileSync(resultFile, JSON.stringify(recorder.finish()));
agent.destroy();
report("done", performance.now());
process.exit(0);
