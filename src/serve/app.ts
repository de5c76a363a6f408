// The HTTP app: OpenAI-compatible routes, the task API, review queue, metrics and health, on Fastify.

import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { checkFieldValues } from "../route/extract-router.js";
import { createRequestId } from "../route/request-id.js";
import type { RouterStats } from "../route/router.js";
import type { RouteRequest, RouteResult } from "../route/types.js";
import type { UseCase } from "../spec/schema.js";
import type { ApiKeyRecord, Store } from "../store/types.js";
import { type DashboardSources, isDashboardPublicPath, registerDashboardRoutes } from "./dashboard/routes.js";
import { badRequest, HttpError, openAiErrorBody } from "./http-error.js";
import type { GatewayMetrics } from "./metrics.js";
import type { RateLimiter } from "./rate-limit.js";
import {
  chatCompletion,
  chatCompletionChunks,
  decisionFields,
  feedbackRequest,
  lastUserText,
  parseBody,
  parseChatRequest,
  predictRequest,
  reviewResolution,
} from "./wire.js";

/** What the app needs of a router of any task: route one text (hot reload is the server's business). */
export interface RouterHandle {
  route(request: RouteRequest): Promise<RouteResult>;
  /** Resolves when the router's background work so far (shadow calls, cache writes, spend records) is done. */
  idle(): Promise<void>;
  /** Waits for the router's background work (shadow calls, cache writes, spend records). */
  close(): Promise<void>;
  stats(): RouterStats;
}

/** What the app and dashboard read of a served model, whatever its task. */
export interface ServedModel {
  /** A classifier's or answerer's labels; an extractor's fields. */
  readonly labels: readonly string[];
  /** Calibrated threshold: of the label's confidence, or of an extracted record's. */
  readonly threshold: number;
}

/** One served use case. */
export interface UseCaseRuntime {
  id: string;
  spec: UseCase;
  modelDir: string;
  model: ServedModel;
  modelVersion: string;
  router: RouterHandle;
  createdAt: number;
}

export interface AppOptions {
  useCases: Map<string, UseCaseRuntime>;
  store: Store;
  metrics: GatewayMetrics;
  rateLimiter: RateLimiter;
  /** Require a valid API key (Authorization: Bearer …). Default true. */
  requireAuth?: boolean;
  /** Largest request body in bytes. Default 262,144. */
  bodyLimitBytes?: number;
  /** Longest input text in characters. Default 10,000. */
  maxInputChars?: number;
  /**
   * Per-request routing timeout in ms; a request still routing after it gets a 504 (checked every tenth of it,
   * at most every second). Default 30,000.
   */
  requestTimeoutMs?: number;
  /** Reloads a use case's model from its directory; rejects (keeping the old model) when the new one is bad. */
  reload: (id: string) => Promise<{ version: string }>;
  /** True once models and store are ready. */
  ready: () => boolean;
  /** Where server errors are reported (a pino logger fits). Default: nowhere. */
  logger?: { error(context: object, message: string): void };
  /** How long a verified API key is trusted without asking the store again, in ms. Default 10,000. */
  apiKeyCacheMs?: number;
  /** Reports the dashboard at `/` shows; absent ones read "not configured" there. Default: none. */
  dashboard?: DashboardSources;
}

declare module "fastify" {
  interface FastifyRequest {
    apiKey: ApiKeyRecord | null;
  }
}

const publicPaths = new Set(["/healthz", "/readyz", "/metrics"]);

/** The fields clients of an extract use case get: its schema's, else the model's. */
function fieldNamesOf(useCase: UseCaseRuntime): readonly string[] {
  return useCase.spec.schema?.fields.map((field) => field.name) ?? useCase.model.labels;
}

/**
 * The right answer for an extract use case's request as stored (compact JSON of every field, absent ones null),
 * or a 400: `text` must be a JSON object whose keys are field names and whose values are strings, numbers or null.
 */
function fieldsAnswer(useCase: UseCaseRuntime, text: string, what: string, param: string): string {
  const names = fieldNamesOf(useCase);
  let problem: string;
  try {
    const checked = checkFieldValues(JSON.parse(text), names);
    if ("fields" in checked) return JSON.stringify(checked.fields);
    problem = checked.problem;
  } catch {
    problem = "not valid JSON";
  }
  const example = JSON.stringify(Object.fromEntries(names.slice(0, 2).map((name) => [name, "…"])));
  throw badRequest(
    "invalid_fields",
    `${what} is of the extract use case "${useCase.id}": give a JSON object of its fields (${names.join(", ")}) as a string, e.g. ${example}; this one is ${problem}.`,
    param,
  );
}

export async function createApp(options: AppOptions): Promise<FastifyInstance> {
  const requireAuth = options.requireAuth ?? true;
  const maxInputChars = options.maxInputChars ?? 10_000;
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  const { useCases, store, metrics } = options;
  const app = Fastify({
    logger: false,
    bodyLimit: options.bodyLimitBytes ?? 262_144,
    genReqId: () => createRequestId(),
    return503OnClosing: true,
  });
  app.decorateRequest("apiKey", null);

  // Bodies are read as bytes so that invalid UTF-8 is a clear 400 instead of silently replaced characters.
  // One decoder serves every request: a whole-buffer decode keeps no state between calls, even after an error.
  const utf8 = new TextDecoder("utf-8", { fatal: true });
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (_request, body, done) => {
    let text: string;
    try {
      text = utf8.decode(body as Buffer);
    } catch {
      done(badRequest("invalid_encoding", "the request body is not valid UTF-8."), undefined);
      return;
    }
    try {
      done(null, text.trim() === "" ? undefined : JSON.parse(text));
    } catch {
      done(badRequest("invalid_json", "the request body is not valid JSON."), undefined);
    }
  });

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    let httpError: HttpError;
    if (error instanceof HttpError) httpError = error;
    else if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
      httpError = new HttpError(
        413,
        "invalid_request_error",
        "body_too_large",
        `the request body is larger than ${options.bodyLimitBytes ?? 262_144} bytes.`,
      );
    } else if (
      error.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE" ||
      error.code === "FST_ERR_CTP_EMPTY_JSON_BODY"
    ) {
      httpError = badRequest("invalid_body", "send a JSON body with Content-Type: application/json.");
    } else if (typeof error.statusCode === "number" && error.statusCode >= 400 && error.statusCode < 500) {
      httpError = badRequest("invalid_request", error.message);
    } else {
      options.logger?.error({ err: error, url: request.url }, "request failed");
      httpError = new HttpError(
        500,
        "server_error",
        "internal_error",
        "the server failed to answer; the error is logged.",
      );
    }
    metrics.httpError(request.routeOptions.url ?? "unknown", httpError.statusCode);
    void reply.code(httpError.statusCode).headers(httpError.headers).send(openAiErrorBody(httpError));
  });
  app.setNotFoundHandler((request, reply) => {
    const error = new HttpError(
      404,
      "not_found_error",
      "not_found",
      `no route ${request.method} ${request.url}.`,
    );
    void reply.code(404).send(openAiErrorBody(error));
  });

  // Verified keys are remembered briefly so the store is not asked on every request; a revoked key stops
  // working within `apiKeyCacheMs`. A store that cannot answer is a 503, never a 401.
  const apiKeyCacheMs = options.apiKeyCacheMs ?? 10_000;
  const verifiedKeys = new Map<string, { record: ApiKeyRecord; until: number }>();
  const verifyKey = async (key: string): Promise<ApiKeyRecord | undefined> => {
    const cached = verifiedKeys.get(key);
    const now = Date.now();
    if (cached !== undefined && cached.until > now) return cached.record;
    let record: ApiKeyRecord | undefined;
    try {
      record = await store.verifyApiKey(key);
    } catch (error) {
      options.logger?.error({ err: error }, "api key check failed");
      throw new HttpError(
        503,
        "server_error",
        "store_unavailable",
        "cannot check the API key right now; retry shortly.",
        null,
        { "retry-after": "1" },
      );
    }
    if (record === undefined) verifiedKeys.delete(key);
    else {
      if (verifiedKeys.size >= 10_000) verifiedKeys.clear();
      verifiedKeys.set(key, { record, until: now + apiKeyCacheMs });
    }
    return record;
  };

  const rateLimited = (wait: number) =>
    new HttpError(
      429,
      "rate_limit_error",
      "rate_limit_exceeded",
      `too many requests; retry in ${wait} s.`,
      null,
      {
        "retry-after": String(wait),
      },
    );
  const invalidKey = () =>
    new HttpError(401, "authentication_error", "invalid_api_key", "the API key is not valid or was revoked.");
  // A callback hook, not an async one: a request with a key verified moments ago (nearly all of them) passes
  // without a promise or a microtask turn; only a key the store must check waits for it.
  app.addHook("onRequest", (request, _reply, done) => {
    const query = request.url.indexOf("?");
    const path = query === -1 ? request.url : request.url.slice(0, query);
    if (publicPaths.has(path) || isDashboardPublicPath(path)) {
      done();
      return;
    }
    const header = request.headers.authorization;
    const key = header?.startsWith("Bearer ") ? header.slice(7).trim() : undefined;
    // Requests without a known-good key are limited by address before the store is asked, so guessing keys
    // is throttled like any other traffic.
    const cached = key === undefined ? undefined : verifiedKeys.get(key);
    const known = cached !== undefined && cached.until > Date.now() ? cached.record : undefined;
    const wait = options.rateLimiter.take(known === undefined ? `ip:${request.ip}` : `key:${known.id}`);
    if (wait > 0) {
      done(rateLimited(wait));
      return;
    }
    if (known !== undefined) {
      request.apiKey = known;
      done();
    } else if (key) {
      verifyKey(key).then(
        (record) => {
          if (record === undefined) done(invalidKey());
          else {
            request.apiKey = record;
            done();
          }
        },
        (error: Error) => done(error),
      );
    } else if (requireAuth) {
      done(
        new HttpError(
          401,
          "authentication_error",
          "missing_api_key",
          "send an API key as `Authorization: Bearer <key>` (create one with `slmkit keys create`).",
        ),
      );
    } else done();
  });

  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (_request, reply) => {
    if (!options.ready()) return reply.code(503).send({ status: "starting" });
    return { status: "ready", usecases: [...useCases.keys()] };
  });
  app.get("/metrics", async (_request, reply) => {
    void reply.header("content-type", metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  app.get("/v1/models", async () => ({
    object: "list",
    data: [...useCases.values()].map((useCase) => ({
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

  const findUseCase = (id: string, param: string): UseCaseRuntime => {
    const useCase = useCases.get(id);
    if (useCase === undefined) {
      throw new HttpError(
        404,
        "not_found_error",
        "model_not_found",
        `no use case "${id}"; GET /v1/models lists them.`,
        param,
      );
    }
    return useCase;
  };
  const checkInput = (text: string, param: string) => {
    if (text.length > maxInputChars) {
      throw badRequest(
        "input_too_long",
        `the input has ${text.length} characters; the limit is ${maxInputChars}.`,
        param,
      );
    }
  };
  // Requests still routing, each with its deadline. One sweep timer serves them all, running while any is in
  // flight, instead of a timer and a Promise.race per request (0.6-1.1 µs less a request, measured). A request
  // past its deadline gets its 504 at the next sweep: at most a tenth of the timeout (and 1 s) late.
  const routing = new Set<{ deadline: number; fail: (error: HttpError) => void }>();
  const sweepEveryMs = Math.max(1, Math.min(1000, requestTimeoutMs / 10));
  let sweeper: NodeJS.Timeout | undefined;
  const sweep = () => {
    const now = performance.now();
    for (const entry of routing) {
      if (entry.deadline > now) continue;
      routing.delete(entry);
      entry.fail(new HttpError(504, "server_error", "timeout", `no answer within ${requestTimeoutMs} ms.`));
    }
    if (routing.size === 0) {
      clearInterval(sweeper);
      sweeper = undefined;
    }
  };
  app.addHook("onClose", async () => {
    clearInterval(sweeper);
    sweeper = undefined;
  });
  const route = (
    useCase: UseCaseRuntime,
    text: string,
    request: FastifyRequest,
    requestId = request.id,
  ): Promise<RouteResult> =>
    new Promise<RouteResult>((resolve, reject) => {
      let settled = false;
      const entry = {
        deadline: performance.now() + requestTimeoutMs,
        fail: (error: HttpError) => {
          settled = true;
          reject(error);
        },
      };
      routing.add(entry);
      if (sweeper === undefined) {
        sweeper = setInterval(sweep, sweepEveryMs);
        sweeper.unref();
      }
      useCase.router
        .route({ useCaseId: useCase.id, text, apiKeyId: request.apiKey?.id ?? null, requestId })
        .then(
          (result) => {
            routing.delete(entry);
            // Answered after its 504: the router logged it; the client has its answer already.
            if (settled) return;
            metrics.observe(result);
            resolve(result);
          },
          (error: unknown) => {
            routing.delete(entry);
            reject(error);
          },
        );
    });

  app.post("/v1/chat/completions", async (request, reply: FastifyReply) => {
    const body = parseChatRequest(request.body);
    const useCase = findUseCase(body.model, "model");
    const text = lastUserText(body);
    checkInput(text, "messages");
    const result = await route(useCase, text, request);
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

  app.post<{ Params: { id: string } }>("/v1/usecases/:id/predict", async (request) => {
    const useCase = findUseCase(request.params.id, "id");
    const body = parseBody(predictRequest, request.body);
    body.texts.forEach((text, index) => {
      if (text.trim() === "") throw badRequest("empty_text", `texts[${index}] is empty.`, `texts.${index}`);
      checkInput(text, `texts.${index}`);
    });
    const results = await Promise.all(
      body.texts.map((text) => route(useCase, text, request, createRequestId())),
    );
    return {
      usecase: useCase.id,
      predictions: results.map((result) => ({ answer: result.answer, ...decisionFields(result) })),
    };
  });

  app.post("/v1/feedback", async (request) => {
    const body = parseBody(feedbackRequest, request.body);
    let logged: Awaited<ReturnType<Store["getRequest"]>>;
    try {
      // The request's own log row may still be queued: give the writer a moment, not the full flush timeout.
      await store.flush(1000).catch(() => undefined);
      logged = await store.getRequest(body.request_id);
    } catch (error) {
      options.logger?.error({ err: error }, "feedback lookup failed");
      throw new HttpError(
        503,
        "server_error",
        "store_unavailable",
        "cannot record feedback right now; retry shortly.",
        null,
        { "retry-after": "1" },
      );
    }
    if (logged === undefined)
      throw new HttpError(
        404,
        "not_found_error",
        "request_not_found",
        `no logged request "${body.request_id}".`,
        "request_id",
      );
    const given = (body.label ?? body.answer) as string;
    const servedBy = useCases.get(logged.useCaseId);
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

  app.get<{ Querystring: { usecase?: string; status?: string; limit?: string } }>(
    "/v1/review",
    async (request) => {
      const status = request.query.status ?? "open";
      if (status !== "open" && status !== "resolved")
        throw badRequest("invalid_value", "status must be open or resolved.", "status");
      const limit = Math.min(Number(request.query.limit ?? 100) || 100, 1000);
      const items = await store.listReview({
        ...(request.query.usecase ? { useCaseId: request.query.usecase } : {}),
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
    if (item === undefined)
      throw new HttpError(
        404,
        "not_found_error",
        "review_not_found",
        `no open review item "${request.params.id}".`,
        "id",
      );
    return item;
  });

  app.post<{ Params: { id: string } }>("/v1/usecases/:id/reload", async (request) => {
    findUseCase(request.params.id, "id");
    try {
      const { version } = await options.reload(request.params.id);
      return { ok: true, model_version: version };
    } catch (error) {
      throw new HttpError(
        409,
        "invalid_request_error",
        "reload_refused",
        `the new model was refused and the old one keeps serving: ${(error as Error).message}`,
      );
    }
  });

  await registerDashboardRoutes(app, {
    useCases,
    store,
    ...(options.dashboard ? { sources: options.dashboard } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });

  return app;
}
