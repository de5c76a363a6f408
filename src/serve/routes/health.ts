// Probes, served without a key: `GET /healthz` (the process answers) and `GET /readyz` (models and store ready).

import type { FastifyInstance } from "fastify";
import type { UseCaseRuntime } from "../runtime.js";

export interface HealthRouteOptions {
  useCases: Map<string, UseCaseRuntime>;
  /** True once models and store are ready. */
  ready: () => boolean;
}

export function registerHealthRoutes(app: FastifyInstance, options: HealthRouteOptions): void {
  const { useCases, ready } = options;
  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (_request, reply) => {
    if (!ready()) return reply.code(503).send({ status: "starting" });
    return { status: "ready", usecases: [...useCases.keys()] };
  });
}
