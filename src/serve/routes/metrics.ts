// `GET /metrics`: the Prometheus scrape, served without a key.

import type { FastifyInstance } from "fastify";
import type { GatewayMetrics } from "../metrics.js";

export function registerMetricsRoute(app: FastifyInstance, metrics: GatewayMetrics): void {
  app.get("/metrics", async (_request, reply) => {
    void reply.header("content-type", metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
