// The OpenAI-compatible routes: `GET /v1/models` lists the use cases as models, `POST /v1/chat/completions`
// routes the last user message (streamed as server-sent events when asked). Any key may use them (role client),
// for the use cases of its scope.

import type { FastifyInstance, FastifyReply } from "fastify";
import { findUseCaseFor, needs, visibleUseCases } from "../middleware/authorize.js";
import type { RoutingDeadline } from "../middleware/deadline.js";
import { checkInputLength } from "../middleware/limits.js";
import type { UseCaseRuntime } from "../runtime.js";
import { chatCompletion, chatCompletionChunks, lastUserText, parseChatRequest } from "../wire.js";

export interface OpenAiRouteOptions {
  useCases: Map<string, UseCaseRuntime>;
  deadline: RoutingDeadline;
  /** Longest input text, in characters. */
  maxInputChars: number;
}

export function registerOpenAiRoutes(app: FastifyInstance, options: OpenAiRouteOptions): void {
  const { useCases, deadline, maxInputChars } = options;

  app.get("/v1/models", needs.client, async (request) => ({
    object: "list",
    data: visibleUseCases(request.apiKey, useCases).map((useCase) => ({
      id: useCase.id,
      object: "model",
      created: Math.floor(useCase.createdAt / 1000),
      owned_by: "slmkit",
      slmkit: {
        title: useCase.spec.title,
        task: useCase.spec.task,
        model_version: useCase.modelVersion,
        threshold: useCase.model.threshold,
      },
    })),
  }));

  app.post("/v1/chat/completions", needs.client, async (request, reply: FastifyReply) => {
    const body = parseChatRequest(request.body);
    const useCase = findUseCaseFor(request, useCases, body.model, "model");
    const text = lastUserText(body);
    checkInputLength(text, maxInputChars, "messages");
    const result = await deadline.route(useCase.router, {
      useCaseId: useCase.id,
      text,
      apiKeyId: request.apiKey?.id ?? null,
      requestId: request.id,
    });
    const created = Math.floor(Date.now() / 1000);
    if (body.stream !== true) return chatCompletion(result, useCase.id, created);
    reply.hijack();
    reply.raw.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      connection: "keep-alive",
    });
    for (const chunk of chatCompletionChunks(result, useCase.id, created))
      reply.raw.write(`data: ${JSON.stringify(chunk)}\n\n`);
    reply.raw.end("data: [DONE]\n\n");
    return reply;
  });
}
