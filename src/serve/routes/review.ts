// The review queue: `GET /v1/review` lists items, `POST /v1/review/{id}` resolves one with the right answer.
// Reviewer keys and up, for the use cases of their scope: another use case's item is the 404 of an unknown one.

import type { FastifyInstance } from "fastify";
import type { Store } from "../../store/types.js";
import { badRequest, reviewNotFound, useCaseNotFound } from "../errors.js";
import { mayUseCase, needs } from "../middleware/authorize.js";
import type { UseCaseRuntime } from "../runtime.js";
import { parseBody, queryParameter, reviewResolution, storedAnswer } from "../wire.js";

export interface ReviewRouteOptions {
  useCases: Map<string, UseCaseRuntime>;
  store: Store;
}

export function registerReviewRoutes(app: FastifyInstance, options: ReviewRouteOptions): void {
  const { useCases, store } = options;

  app.get<{ Querystring: { usecase?: string; status?: string; limit?: string } }>(
    "/v1/review",
    needs.reviewer,
    async (request) => {
      const status = queryParameter(request.query, "status") ?? "open";
      if (status !== "open" && status !== "resolved")
        throw badRequest("invalid_value", "status must be open or resolved.", "status");
      const limit = Math.min(Number(queryParameter(request.query, "limit") ?? 100) || 100, 1000);
      const useCaseId = queryParameter(request.query, "usecase");
      const key = request.apiKey;
      if (useCaseId && !mayUseCase(key, useCaseId)) throw useCaseNotFound(useCaseId, "usecase");
      const items = await store.listReview({
        ...(useCaseId ? { useCaseId } : {}),
        ...(key?.useCases ? { useCaseIds: key.useCases } : {}),
        status,
        limit,
      });
      return { object: "list", data: items };
    },
  );

  app.post<{ Params: { id: string } }>("/v1/review/:id", needs.reviewer, async (request) => {
    const body = parseBody(reviewResolution, request.body);
    const { id } = request.params;
    const item = await store.getReview(id);
    if (item === undefined || !mayUseCase(request.apiKey, item.useCaseId)) throw reviewNotFound(id);
    // An extraction is resolved with the right fields (checked), and every resolution is kept as a review item
    // keeps words (see storedAnswer).
    const resolution = storedAnswer(
      useCases.get(item.useCaseId),
      body.label,
      "review",
      `review item "${id}"`,
      "label",
    );
    const resolved = await store.resolveReview(id, resolution);
    if (resolved === undefined) throw reviewNotFound(id);
    return resolved;
  });
}
