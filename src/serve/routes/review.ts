// The review queue: `GET /v1/review` lists items, `POST /v1/review/{id}` resolves one with the right answer.

import type { FastifyInstance } from "fastify";
import type { Store } from "../../store/types.js";
import { badRequest, reviewNotFound } from "../errors.js";
import type { UseCaseRuntime } from "../runtime.js";
import { fieldsAnswer, parseBody, queryParameter, reviewResolution } from "../wire.js";

export interface ReviewRouteOptions {
  useCases: Map<string, UseCaseRuntime>;
  store: Store;
}

export function registerReviewRoutes(app: FastifyInstance, options: ReviewRouteOptions): void {
  const { useCases, store } = options;

  app.get<{ Querystring: { usecase?: string; status?: string; limit?: string } }>(
    "/v1/review",
    async (request) => {
      const status = queryParameter(request.query, "status") ?? "open";
      if (status !== "open" && status !== "resolved")
        throw badRequest("invalid_value", "status must be open or resolved.", "status");
      const limit = Math.min(Number(queryParameter(request.query, "limit") ?? 100) || 100, 1000);
      const useCaseId = queryParameter(request.query, "usecase");
      const items = await store.listReview({
        ...(useCaseId ? { useCaseId } : {}),
        status,
        limit,
      });
      return { object: "list", data: items };
    },
  );

  /** The extract use case a review item belongs to; undefined for other tasks' items and unknown ids. */
  const extractUseCaseOfItem = async (id: string): Promise<UseCaseRuntime | undefined> => {
    const item = await store.getReview(id);
    const useCase = item === undefined ? undefined : useCases.get(item.useCaseId);
    return useCase?.spec.task === "extract" ? useCase : undefined;
  };

  app.post<{ Params: { id: string } }>("/v1/review/:id", async (request) => {
    const body = parseBody(reviewResolution, request.body);
    const extractUseCase = await extractUseCaseOfItem(request.params.id);
    // An extraction is resolved with the right fields, as the JSON the client would have been answered with.
    const resolution =
      extractUseCase === undefined
        ? body.label
        : fieldsAnswer(extractUseCase, body.label, `review item "${request.params.id}"`, "label");
    const item = await store.resolveReview(request.params.id, resolution);
    if (item === undefined) throw reviewNotFound(request.params.id);
    return item;
  });
}
