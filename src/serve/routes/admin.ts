// Operators' routes: `POST /v1/usecases/{id}/reload` swaps in the model now on disk (see ../model-watcher.ts).
// Admin keys only: a reload costs every request in flight some latency.

import type { FastifyInstance } from "fastify";
import { reloadRefused } from "../errors.js";
import { needs } from "../middleware/authorize.js";
import { findUseCase, type UseCaseRuntime } from "../runtime.js";

export interface AdminRouteOptions {
  useCases: Map<string, UseCaseRuntime>;
  /** Reloads a use case's model from its directory; rejects (keeping the old model) when the new one is bad. */
  reload: (id: string) => Promise<{ version: string }>;
}

export function registerAdminRoutes(app: FastifyInstance, options: AdminRouteOptions): void {
  const { useCases, reload } = options;
  app.post<{ Params: { id: string } }>("/v1/usecases/:id/reload", needs.admin, async (request) => {
    findUseCase(useCases, request.params.id, "id");
    try {
      const { version } = await reload(request.params.id);
      return { ok: true, model_version: version };
    } catch (error) {
      throw reloadRefused(error);
    }
  });
}
