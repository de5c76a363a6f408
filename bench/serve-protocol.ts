// What bench/serve.ts and its child processes (serve-gateway.mjs, serve-bare.mjs, serve-load.ts) tell each other:
// one JSON object per stdout line from a child, and the load generator's config and result files.

/** A server child is listening. */
export interface ServerReady {
  event: "ready";
  url: string;
  pid: number;
  /** The gateway's API key (serve-gateway.mjs only). */
  key?: string;
}

/** A gateway child has drained and closed after SIGTERM, and counted its log rows with a fresh store. */
export interface GatewayClosed {
  event: "closed";
  /** Log rows in the store after the clean shutdown. */
  rows: number;
  /** Rows the store gave up on (`droppedWrites()`), read just before closing. */
  dropped: number;
  /** Milliseconds `gateway.close()` took: draining in-flight requests and writing pending rows. */
  closeMs: number;
}

/**
 * What the gateway process went through since the last `stats` line the parent wrote to its stdin: event-loop
 * delay (a blocked or starved loop) and garbage-collection pauses. Each `stats` request starts a new window.
 */
export interface GatewayStats {
  event: "stats";
  /** Event-loop delay beyond the 10 ms sampling interval, in milliseconds. */
  loopDelayMs: { p50: number; p99: number; max: number };
  gc: { count: number; totalMs: number; maxMs: number };
  heapUsedBytes: number;
}

/** The load generator has started sending, or has finished its warm-up and started recording. */
export interface LoadEvent {
  event: "sending" | "measuring" | "done";
  /** performance.timeOrigin + performance.now() of the child, as epoch milliseconds. */
  at: number;
  /** CPU seconds (user + system) the generator had used by then. */
  cpuSeconds: number;
}

export type ChildMessage = ServerReady | GatewayClosed | GatewayStats | LoadEvent;

/**
 * One load run. `open`: requests are scheduled at a fixed rate by time, never by completions, and each one's
 * latency runs from its scheduled send time (no coordinated omission). `closed`: `connections` requests are
 * kept in flight for `seconds`, each connection sending its next request when the last one is answered (the
 * fallback of the peak-throughput phase when wrk cannot be had).
 */
export interface LoadConfig {
  mode: "open" | "closed";
  url: string;
  headers: Record<string, string>;
  /** Request bodies, used in turn (request i sends bodies[i % bodies.length]). */
  bodies: string[];
  /** open: requests per second. */
  rate: number;
  /** open: seconds of warm-up at the same rate, sent but not recorded. closed: seconds of unrecorded warm-up. */
  warmUpSeconds: number;
  /** Seconds recorded after the warm-up. open: ignored when `count` is set. */
  seconds: number;
  /** open: send exactly this many recorded requests (e.g. one pass over the bodies) instead of `seconds`. */
  count?: number;
  /** closed: requests in flight at once. */
  connections: number;
  /** Parse each reply for slmkit's decision fields (answered_by, label, tokens, cost, router latency). */
  parseReplies: boolean;
  /** Keep the per-request label, tokens and cost (the brief's example needs them). */
  keepDetails: boolean;
  /** A request unanswered after this many milliseconds counts as an error. */
  timeoutMs: number;
}

export interface LoadResult {
  mode: "open" | "closed";
  /** Every request sent, warm-up included: what the gateway should have logged. */
  sent: number;
  /** Requests sent during warm-up. */
  warmUpSent: number;
  /** Warm-up requests that did not get a 200. */
  warmUpErrors: number;
  /** Recorded (post-warm-up) requests. */
  recorded: number;
  /** Seconds from the first recorded send to the last recorded answer. */
  recordedSeconds: number;
  /** Recorded requests that got a 200. */
  ok: number;
  /** Recorded requests with another status, a connection error or a timeout. */
  errors: number;
  /** Status code (or "error"/"timeout") → count, recorded requests only. */
  statuses: Record<string, number>;
  /** Milliseconds from the scheduled send time to the last byte of the reply; recorded requests in send order. */
  latencyFromScheduledMs: number[];
  /** Milliseconds from the actual send to the last byte of the reply. */
  latencyFromSendMs: number[];
  /** How late the generator sent each request behind its schedule, in milliseconds. */
  sendLagMs: number[];
  /** `slmkit.latency_ms` of each reply (the router's own time); NaN when absent. */
  routerLatencyMs: number[];
  /** `slmkit.answered_by` of each reply; "" when absent or an error. */
  answeredBy: string[];
  /** Index into `bodies` of each recorded request. */
  bodyIndex: number[];
  details?: RequestDetail[];
  /** CPU seconds of the load generator itself over the whole run (user + system). */
  generatorCpuSeconds: number;
}

export interface RequestDetail {
  label: string | null;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
}

// The two functions every child calls live in plain JavaScript, for the gateway child that runs without tsx.
export { onParentGone, sendToParent } from "./serve-child.mjs";
