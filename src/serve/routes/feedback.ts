// `POST /v1/feedback`: a client says what the right answer to one of its logged requests was.

import type { FastifyInstance } from "fastify";
import type { Store } from "../../store/types.js";
import { requestNotFound, storeUnavailable } from "../errors.js";
import type { UseCaseRuntime } from "../runtime.js";
import { feedbackRequest, fieldsAnswer, parseBody } from "../wire.js";

export interface FeedbackRouteOptions {
  useCases: Map<string, UseCaseRuntime>;
  store: Store;
  /** Where a store failure is reported. Default: nowhere. */
  logger?: { error(context: object, message: string): void };
}

export function registerFeedbackRoutes(app: FastifyInstance, options: FeedbackRouteOptions): void {
  const { useCases, store, logger } = options;
  app.post("/v1/feedback", async (request) => {
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
    if (logged === undefined) throw requestNotFound(body.request_id);
    const given = (body.label ?? body.answer) as string;
    const servedBy = useCases.get(logged.useCaseId);
    // An extraction's right answer is the JSON of its fields, as the client would have been answered with.
    const correct =
      servedBy?.spec.task === "extract"
        ? fieldsAnswer(
            servedBy,
            given,
            `request "${body.request_id}"`,
            body.label === undefined ? "answer" : "label",
          )
        : given;
    await store.addFeedback({
      requestId: body.request_id,
      correct,
      source: "user",
      createdAt: Date.now(),
    });
    return { ok: true };
  });
}
