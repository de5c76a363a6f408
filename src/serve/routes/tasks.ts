// The task API: `POST /v1/usecases/{id}/predict` routes a batch of texts, each its own request (and log row).
// Any key may use it (role client), for the use cases of its scope.

import type { FastifyInstance } from "fastify";
import { createRequestId } from "../../route/request-id.js";
import { badRequest } from "../errors.js";
import { findUseCaseFor, needs } from "../middleware/authorize.js";
import type { RoutingDeadline } from "../middleware/deadline.js";
import { checkInputLength } from "../middleware/limits.js";
import type { UseCaseRuntime } from "../runtime.js";
import { decisionFields, parseBody, predictRequest } from "../wire.js";

export interface TaskRouteOptions {
  useCases: Map<string, UseCaseRuntime>;
  deadline: RoutingDeadline;
  /** Longest input text, in characters. */
  maxInputChars: number;
}

export function registerTaskRoutes(app: FastifyInstance, options: TaskRouteOptions): void {
  const { useCases, deadline, maxInputChars } = options;
  app.post<{ Params: { id: string } }>("/v1/usecases/:id/predict", needs.client, async (request) => {
    const useCase = findUseCaseFor(request, useCases, request.params.id, "id");
    const body = parseBody(predictRequest, request.body);
    body.texts.forEach((text, index) => {
      if (text.trim() === "") throw badRequest("empty_text", `texts[${index}] is empty.`, `texts.${index}`);
      checkInputLength(text, maxInputChars, `texts.${index}`);
    });
    const apiKeyId = request.apiKey?.id ?? null;
    const results = await Promise.all(
      body.texts.map((text) =>
        deadline.route(useCase.router, {
          useCaseId: useCase.id,
          text,
          apiKeyId,
          requestId: createRequestId(),
        }),
      ),
    );
    return {
      usecase: useCase.id,
      predictions: results.map((result) => ({ answer: result.answer, ...decisionFields(result) })),
    };
  });
}
