// `GET /metrics`: the Prometheus scrape. On the gateway's own listener it needs an admin key (it shows use case
// ids, traffic shares, LLM cost and refused keys): give Prometheus one as `authorization: {credentials: …}`.

import type { FastifyInstance } from "fastify";
import type { GatewayMetrics } from "../metrics.js";
import { needs } from "../middleware/authorize.js";

export function registerMetricsRoute(app: FastifyInstance, metrics: GatewayMetrics): void {
  app.get("/metrics", needs.admin, async (_request, reply) => {
    void reply.header("content-type", metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
