// Prometheus metrics of the gateway: requests by who answered, latency, spend, review queue, reloads.

import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { CacheStats } from "../cache/types.js";
import { driftGaugeValues } from "../monitor/drift-monitor.js";
import type { DriftReport } from "../monitor/types.js";
import type { RouterStats } from "../route/router.js";
import type { RouteResult } from "../route/types.js";

export interface GatewayMetrics {
  readonly registry: Registry;
  observe(result: RouteResult): void;
  httpError(route: string, status: number): void;
  reload(useCaseId: string, outcome: "ok" | "refused"): void;
  /** Exposes router and cache statistics as gauges, read at each scrape. */
  watch(read: () => RuntimeStats): void;
  /** Sets the drift gauges of a use case from its latest report. */
  drift(report: DriftReport): void;
  /** Counts a connection closed as it arrived, over the cap in all or per address, on `listener` (main, metrics). */
  connectionRefused(listener: string, cap: "total" | "per_address"): void;
  /** Exposes `listener`'s open connections as a gauge, read at each scrape. */
  watchConnections(listener: string, open: () => number): void;
}

export interface RuntimeStats {
  cache: CacheStats;
  cacheStatus: "ready" | "degraded";
  /** Absent when rate limits are counted in memory (each replica alone). */
  rateLimitStatus?: "ready" | "degraded";
  routers: { id: string; stats: RouterStats }[];
  /** The store's log rows waiting to be written and dropped since start (`pendingWrites`, `droppedWrites`). */
  logRows?: { waiting: number; dropped: number };
}

export function createGatewayMetrics(): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "slmkit_process_" });
  const requests = new Counter({
    name: "slmkit_requests_total",
    help: "Requests answered, by use case and by who answered (slm, cache, llm, review).",
    labelNames: ["usecase", "answered_by"] as const,
    registers: [registry],
  });
  const flagged = new Counter({
    name: "slmkit_flagged_total",
    help: "Replies that were an unverified fallback (small model's guess below threshold).",
    labelNames: ["usecase"] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: "slmkit_request_duration_seconds",
    help: "Routing time per request, by who answered.",
    labelNames: ["usecase", "answered_by"] as const,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10],
    registers: [registry],
  });
  const cost = new Counter({
    name: "slmkit_llm_cost_usd_total",
    help: "Money spent on LLM calls, in USD.",
    labelNames: ["usecase"] as const,
    registers: [registry],
  });
  const confidence = new Histogram({
    name: "slmkit_slm_confidence",
    help: "The small model's calibrated confidence.",
    labelNames: ["usecase"] as const,
    buckets: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99],
    registers: [registry],
  });
  const errors = new Counter({
    name: "slmkit_http_errors_total",
    help: "HTTP error responses by route and status.",
    labelNames: ["route", "status"] as const,
    registers: [registry],
  });
  const reloads = new Counter({
    name: "slmkit_model_reloads_total",
    help: "Model hot reloads, by outcome (a refused reload keeps the old model serving).",
    labelNames: ["usecase", "outcome"] as const,
    registers: [registry],
  });
  const driftValue = new Gauge({
    name: "slmkit_drift_value",
    help: "Latest drift figure per check (PSI, share or accuracy; NaN without enough data); see `slmkit monitor`.",
    labelNames: ["usecase", "check"] as const,
    registers: [registry],
  });
  const driftAlert = new Gauge({
    name: "slmkit_drift_alert",
    help: "1 while a drift check is past its threshold (monitor section of usecase.yaml).",
    labelNames: ["usecase", "check"] as const,
    registers: [registry],
  });
  const connectionsRefused = new Counter({
    name: "slmkit_connections_refused_total",
    help: "Connections closed as they arrived: over the cap in all (total) or from one address (per_address).",
    labelNames: ["listener", "cap"] as const,
    registers: [registry],
  });
  const openConnections = new Map<string, () => number>();
  new Gauge({
    name: "slmkit_connections_open",
    help: "Open client connections, by listener (main, metrics).",
    labelNames: ["listener"] as const,
    registers: [registry],
    collect() {
      for (const [listener, open] of openConnections) this.set({ listener }, open());
    },
  });
  let read: (() => RuntimeStats) | undefined;
  registerRuntimeGauges(registry, () => read?.());
  return {
    registry,
    watch(reader) {
      read = reader;
    },
    observe(result) {
      requests.inc({ usecase: result.useCaseId, answered_by: result.answeredBy });
      latency.observe({ usecase: result.useCaseId, answered_by: result.answeredBy }, result.latencyMs / 1000);
      confidence.observe({ usecase: result.useCaseId }, result.slm.confidence);
      if (result.flagged) flagged.inc({ usecase: result.useCaseId });
      if (result.costUsd > 0) cost.inc({ usecase: result.useCaseId }, result.costUsd);
    },
    httpError(route, status) {
      errors.inc({ route, status: String(status) });
    },
    connectionRefused(listener, cap) {
      connectionsRefused.inc({ listener, cap });
    },
    watchConnections(listener, open) {
      openConnections.set(listener, open);
    },
    reload(useCaseId, outcome) {
      reloads.inc({ usecase: useCaseId, outcome });
    },
    drift(report) {
      for (const sample of driftGaugeValues(report)) {
        driftValue.set({ usecase: report.useCaseId, check: sample.check }, sample.value);
        driftAlert.set({ usecase: report.useCaseId, check: sample.check }, sample.alert);
      }
    },
  };
}

/** Gauges (and the log rows' counter) read from the runtime at each scrape: cache, Redis, LLM, shadow, log rows. */
function registerRuntimeGauges(registry: Registry, runtime: () => RuntimeStats | undefined): void {
  new Gauge({
    name: "slmkit_cache_events",
    help: "Cache lookups since start by outcome (exact_hit, semantic_hit, miss, guard_rejection, backend_error).",
    labelNames: ["event"] as const,
    registers: [registry],
    collect() {
      const stats = runtime()?.cache;
      if (stats === undefined) return;
      this.set({ event: "exact_hit" }, stats.exactHits);
      this.set({ event: "semantic_hit" }, stats.semanticHits);
      this.set({ event: "miss" }, stats.misses);
      this.set({ event: "guard_rejection" }, stats.guardRejections);
      this.set({ event: "backend_error" }, stats.backendErrors);
    },
  });
  new Gauge({
    name: "slmkit_cache_degraded",
    help: "1 while the shared cache backend (Redis) is not answering.",
    registers: [registry],
    collect() {
      const status = runtime()?.cacheStatus;
      if (status !== undefined) this.set(status === "degraded" ? 1 : 0);
    },
  });
  new Gauge({
    name: "slmkit_rate_limit_degraded",
    help: "1 while the Redis that shares rate limits between replicas is not answering (each replica then limits alone).",
    registers: [registry],
    collect() {
      const status = runtime()?.rateLimitStatus;
      if (status !== undefined) this.set(status === "degraded" ? 1 : 0);
    },
  });
  new Gauge({
    name: "slmkit_llm_events",
    help: "LLM escalations since start by outcome (call, failure, timeout, unsure, skipped_open_circuit, skipped_budget).",
    labelNames: ["usecase", "event"] as const,
    registers: [registry],
    collect() {
      for (const { id, stats } of runtime()?.routers ?? []) {
        this.set({ usecase: id, event: "call" }, stats.llm.calls);
        this.set({ usecase: id, event: "failure" }, stats.llm.failures);
        this.set({ usecase: id, event: "timeout" }, stats.llm.timeouts);
        this.set({ usecase: id, event: "unsure" }, stats.llm.unsure);
        this.set({ usecase: id, event: "skipped_open_circuit" }, stats.llm.skippedOpenCircuit);
        this.set({ usecase: id, event: "skipped_budget" }, stats.llm.skippedBudget);
      }
    },
  });
  new Gauge({
    name: "slmkit_log_rows_waiting",
    help: "Request log rows queued in memory, not yet written to the store (grows while the store is away).",
    registers: [registry],
    collect() {
      const rows = runtime()?.logRows;
      if (rows !== undefined) this.set(rows.waiting);
    },
  });
  new Counter({
    name: "slmkit_log_rows_dropped_total",
    help: "Request log rows given up on: the oldest dropped when the queue hit its bound, or refused by the store.",
    registers: [registry],
    collect() {
      const rows = runtime()?.logRows;
      if (rows === undefined) return;
      // The store counts; the counter shows its count.
      this.reset();
      this.inc(rows.dropped);
    },
  });
  new Gauge({
    name: "slmkit_shadow_agreement",
    help: "Share of shadow-sampled small-model answers the LLM agreed with (routing.shadowRate).",
    labelNames: ["usecase"] as const,
    registers: [registry],
    collect() {
      for (const { id, stats } of runtime()?.routers ?? []) {
        const compared = stats.shadow.agreed + stats.shadow.disagreed;
        if (compared > 0) this.set({ usecase: id }, stats.shadow.agreed / compared);
      }
    },
  });
}
