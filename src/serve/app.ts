// The HTTP app: Fastify with the gateway's parts put together in request order. Each part is its own file:
// middleware/ (JSON bodies, API keys and rate limits, roles and scopes, the routing deadline), routes/ (one file
// per group of routes, each declaring the role it needs), errors.ts (every error in the OpenAI shape), dashboard/ (the pages and their JSON).

import Fastify, { type FastifyInstance } from "fastify";
import { createRequestId } from "../route/request-id.js";
import type { Store } from "../store/types.js";
import type { Logger } from "../types.js";
import { type DashboardSources, isDashboardPublicPath, registerDashboardRoutes } from "./dashboard/routes.js";
import {
  createClientErrorHandler,
  createErrorSender,
  maxParamLength,
  registerErrorHandlers,
} from "./errors.js";
import type { GatewayMetrics } from "./metrics.js";
import { createApiKeyCache, registerAuth } from "./middleware/auth.js";
import { registerAuthorization } from "./middleware/authorize.js";
import { createRoutingDeadline } from "./middleware/deadline.js";
import { registerJsonBody } from "./middleware/json-body.js";
import {
  type ConnectionLimitOptions,
  capConnections,
  defaultBodyLimitBytes,
  defaultMaxInputChars,
  resolveConnectionLimits,
  serverTimeoutOptions,
} from "./middleware/limits.js";
import type { RateLimiter } from "./rate-limit.js";
import { registerAdminRoutes } from "./routes/admin.js";
import { registerFeedbackRoutes } from "./routes/feedback.js";
import { registerHealthRoutes } from "./routes/health.js";
import { type MetricsRouteOptions, registerMetricsRoute } from "./routes/metrics.js";
import { registerOpenAiRoutes } from "./routes/openai.js";
import { registerReviewRoutes } from "./routes/review.js";
import { registerTaskRoutes } from "./routes/tasks.js";
import type { UseCaseRuntime } from "./runtime.js";

export type { RouterHandle, ServedModel, UseCaseRuntime } from "./runtime.js";

export interface AppOptions extends ConnectionLimitOptions {
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
  /** Reloads a minute per use case through `POST /v1/usecases/{id}/reload` (a burst of 3; one at a time). Default 12. */
  reloadsPerMinute?: number;
  /** True once models and store are ready. */
  ready: () => boolean;
  /** Where server errors are reported (a pino logger fits). Default: nowhere. */
  logger?: Logger;
  /**
   * Log one line per answered request at info (request id, method, URL without its query, status, ms). Default false:
   * the request log in the store has every request, and a line each costs CPU at peak.
   */
  logRequests?: boolean;
  /** How long a verified API key is trusted without asking the store again, in ms. Default 10,000. */
  apiKeyCacheMs?: number;
  /** Reports the dashboard at `/` shows; absent ones read "not configured" there. Default: none. */
  dashboard?: DashboardSources;
  /**
   * Serve `GET /metrics` on this app. Default true; false when the scrape has a listener of its own
   * (`createMetricsApp`), which keeps use-case ids, traffic and spend off the public port.
   */
  serveMetrics?: boolean;
  /** How `/metrics` is limited (rendering reused for a moment, scrapes per address). Defaults in `MetricsRouteOptions`. */
  metricsRoute?: MetricsRouteOptions;
}

/** Served without an API key: probes and the dashboard's pages (which hold no data). */
const publicPaths = new Set(["/healthz", "/readyz"]);
const isPublic = (path: string): boolean => publicPaths.has(path) || isDashboardPublicPath(path);

export async function createApp(options: AppOptions): Promise<FastifyInstance> {
  const { useCases, store, metrics, logger } = options;
  const bodyLimitBytes = options.bodyLimitBytes ?? defaultBodyLimitBytes;
  const maxInputChars = options.maxInputChars ?? defaultMaxInputChars;
  const errorOptions = { bodyLimitBytes, metrics, ...(logger ? { logger } : {}) };
  const limits = resolveConnectionLimits(options);
  const app = Fastify({
    logger: false,
    ...serverTimeoutOptions(limits),
    bodyLimit: bodyLimitBytes,
    genReqId: () => createRequestId(),
    routerOptions: { maxParamLength },
    // Every error in one shape, Fastify's and Node's own included: a bad URL encoding or an over-long path parameter
    // (before any hook), what Node's parser refuses, and requests that outlast their timeouts.
    frameworkErrors: createErrorSender(errorOptions),
    clientErrorHandler: createClientErrorHandler({ metrics }),
    // While draining, a request that still arrives on an open connection is answered (with `Connection: close`)
    // rather than refused with Fastify's own 503 body: the store and routers close only after the app.
    return503OnClosing: false,
  });
  const connections = capConnections(app.server, limits, (cap) => metrics.connectionRefused("main", cap));
  metrics.watchConnections("main", connections.open);
  app.decorateRequest("apiKey", null);
  registerJsonBody(app);
  registerErrorHandlers(app, errorOptions);
  registerAuth(app, {
    keys: createApiKeyCache({
      store,
      ...(options.apiKeyCacheMs === undefined ? {} : { apiKeyCacheMs: options.apiKeyCacheMs }),
      ...(logger ? { logger } : {}),
    }),
    rateLimiter: options.rateLimiter,
    requireAuth: options.requireAuth ?? true,
    isPublic,
  });
  registerAuthorization(app, { isPublic });
  if (options.logRequests === true && logger !== undefined) logEachRequest(app, logger);
  const deadline = createRoutingDeadline({
    timeoutMs: options.requestTimeoutMs ?? 30_000,
    onAnswer: (result) => metrics.observe(result),
  });
  app.addHook("onClose", async () => deadline.close());

  registerHealthRoutes(app, { useCases, ready: options.ready });
  if (options.serveMetrics !== false) registerMetricsRoute(app, metrics, options.metricsRoute);
  registerOpenAiRoutes(app, { useCases, deadline, maxInputChars });
  registerTaskRoutes(app, { useCases, deadline, maxInputChars });
  registerFeedbackRoutes(app, { useCases, store, ...(logger ? { logger } : {}) });
  registerReviewRoutes(app, { useCases, store });
  registerAdminRoutes(app, {
    useCases,
    reload: options.reload,
    ...(options.reloadsPerMinute === undefined ? {} : { reloadsPerMinute: options.reloadsPerMinute }),
  });
  await registerDashboardRoutes(app, {
    useCases,
    store,
    ...(options.dashboard ? { sources: options.dashboard } : {}),
    ...(logger ? { logger } : {}),
  });
  return app;
}

/** One info line per answered request, with its id: added only when asked, so the request path is unchanged without. */
function logEachRequest(app: FastifyInstance, logger: Logger): void {
  app.addHook("onResponse", (request, reply, done) => {
    const query = request.url.indexOf("?");
    logger.info(
      {
        requestId: request.id,
        method: request.method,
        url: query === -1 ? request.url : request.url.slice(0, query),
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
      },
      "request",
    );
    done();
  });
}

/** The scrape's own listener: a small cap on connections (Prometheus holds one or two), the same timeouts. */
const metricsListenerLimits = { maxConnections: 64, maxConnectionsPerAddress: 8 };

export interface MetricsAppOptions {
  metrics: GatewayMetrics;
  /** How `/metrics` is limited. Defaults in `MetricsRouteOptions`. */
  metricsRoute?: MetricsRouteOptions;
}

/**
 * An app that serves only `GET /metrics` (`--metrics-listen host:port`), for a scrape kept off the clients' port: at
 * most 64 connections, 8 per address, the default timeouts, errors in the OpenAI shape.
 */
export async function createMetricsApp(options: MetricsAppOptions): Promise<FastifyInstance> {
  const { metrics } = options;
  const limits = { ...resolveConnectionLimits({}), ...metricsListenerLimits };
  const errorOptions = { bodyLimitBytes: 1024, metrics };
  const app = Fastify({
    logger: false,
    bodyLimit: 1024,
    ...serverTimeoutOptions(limits),
    frameworkErrors: createErrorSender(errorOptions),
    clientErrorHandler: createClientErrorHandler({ metrics }),
  });
  const connections = capConnections(app.server, limits, (cap) => metrics.connectionRefused("metrics", cap));
  metrics.watchConnections("metrics", connections.open);
  registerErrorHandlers(app, errorOptions);
  registerMetricsRoute(app, metrics, options.metricsRoute);
  await app.ready();
  return app;
}
