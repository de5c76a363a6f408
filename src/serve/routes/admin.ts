// Operators' routes: `POST /v1/usecases/{id}/reload` swaps in the model now on disk (see ../model-watcher.ts), for
// admin keys only, one reload at a time per use case and a few a minute: each one reads and verifies the model files
// and builds a router, and a stream of them slows every request (1,096 in 7 s moved chat p99 from 2.9 to 18.6 ms).

import type { FastifyInstance } from "fastify";
import { rateLimited, reloadInProgress, reloadRefused } from "../errors.js";
import { needs } from "../middleware/authorize.js";
import { createRateLimiter } from "../rate-limit.js";
import { findUseCase, type UseCaseRuntime } from "../runtime.js";

export interface AdminRouteOptions {
  useCases: Map<string, UseCaseRuntime>;
  /** Reloads a use case's model from its directory; rejects (keeping the old model) when the new one is bad. */
  reload: (id: string) => Promise<{ version: string }>;
  /** Reloads a minute per use case through this route, in a burst of 3 at most; over it a 429. Default 12. */
  reloadsPerMinute?: number;
}

export function registerAdminRoutes(app: FastifyInstance, options: AdminRouteOptions): void {
  const { useCases, reload } = options;
  const reloads = createRateLimiter({ perSecond: (options.reloadsPerMinute ?? 12) / 60, burst: 3 });
  const reloading = new Set<string>();
  app.post<{ Params: { id: string } }>("/v1/usecases/:id/reload", needs.admin, async (request) => {
    const { id } = findUseCase(useCases, request.params.id, "id");
    // Refused before a token is taken: waiting out a reload under way costs the next one nothing.
    if (reloading.has(id)) throw reloadInProgress(id);
    const wait = reloads.take(id);
    if (wait > 0) throw rateLimited(wait);
    reloading.add(id);
    try {
      const { version } = await reload(id);
      return { ok: true, model_version: version };
    } catch (error) {
      throw reloadRefused(error);
    } finally {
      reloading.delete(id);
    }
  });
}
