// `POST /v1/feedback`: a client says what the right answer to one of its logged requests was. Any key may give
// feedback on its own requests (the log row names the key); an admin on any request. Another key's request is
// the 404 of an unknown one, so request ids of other keys cannot be probed.

import type { FastifyInstance } from "fastify";
import type { Store } from "../../store/types.js";
import { requestNotFound, storeUnavailable } from "../errors.js";
import { hasRole, mayUseCase, needs } from "../middleware/authorize.js";
import type { UseCaseRuntime } from "../runtime.js";
import { feedbackRequest, parseBody, storedAnswer } from "../wire.js";

export interface FeedbackRouteOptions {
  useCases: Map<string, UseCaseRuntime>;
  store: Store;
  /** Where a store failure is reported. Default: nowhere. */
  logger?: { error(context: object, message: string): void };
}

export function registerFeedbackRoutes(app: FastifyInstance, options: FeedbackRouteOptions): void {
  const { useCases, store, logger } = options;
  app.post("/v1/feedback", needs.client, async (request) => {
    const body = parseBody(feedbackRequest, request.body);
    let logged: Awaited<ReturnType<Store["getRequest"]>>;
    try {
      // The request's own log row may still be queued: give the writer a moment, not the full flush timeout.
      await store.flush(1000).catch(() => undefined);
      logged = await store.getRequest(body.request_id);
    } catch (error) {
      logger?.error({ err: error }, "feedback lookup failed");
      throw storeUnavailable("cannot record feedback");
    }
    const key = request.apiKey;
    const allowed =
      logged !== undefined &&
      (hasRole(key, "admin") || (logged.apiKeyId === key?.id && mayUseCase(key, logged.useCaseId)));
    if (logged === undefined || !allowed) throw requestNotFound(body.request_id);
    const given = (body.label ?? body.answer) as string;
    // Kept as the log keeps words (an extraction's record checked against its fields first); see storedAnswer.
    const correct = storedAnswer(
      useCases.get(logged.useCaseId),
      given,
      "log",
      `request "${body.request_id}"`,
      body.label === undefined ? "answer" : "label",
    );
    await store.addFeedback({
      requestId: body.request_id,
      correct,
      source: "user",
      createdAt: Date.now(),
    });
    return { ok: true };
  });
}
