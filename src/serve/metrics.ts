// Prometheus metrics of the gateway: requests by who answered, latency, spend, review queue, reloads.

import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";
import type { RouteResult } from "../route/types.js";

export interface GatewayMetrics {
  readonly registry: Registry;
  observe(result: RouteResult): void;
  httpError(route: string, status: number): void;
  reload(useCaseId: string, outcome: "ok" | "refused"): void;
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
  return {
    registry,
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
    reload(useCaseId, outcome) {
      reloads.inc({ usecase: useCaseId, outcome });
    },
  };
}
