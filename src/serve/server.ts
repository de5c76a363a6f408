// Starts the gateway and stops it: the wiring of its parts, in start-up order (settings, models, store, cache,
// rate limits, routers, hot reload, drift, the app) and the reverse for a drain. Each part is its own file.

import type { FastifyInstance } from "fastify";
import { createCache, parseCacheSetting } from "../cache/index.js";
import type { ResponseCache } from "../cache/types.js";
import { readEnvironment } from "../config.js";
import { SlmkitError } from "../errors.js";
import type { LlmExtractor, LlmLabeler } from "../models/llm.js";
import type { DriftMonitor } from "../monitor/drift-monitor.js";
import { createStore, parseStoreSetting } from "../store/index.js";
import type { Store } from "../store/types.js";
import type { Logger } from "../types.js";
import { createApp, createMetricsApp } from "./app.js";
import { createCostReports } from "./cost.js";
import { createDriftReferences, createGatewayDriftMonitor, freshDriftReport } from "./drift.js";
import { createGatewayMetrics } from "./metrics.js";
import { type ConnectionLimitOptions, resolveConnectionLimits } from "./middleware/limits.js";
import { createModelWatcher } from "./model-watcher.js";
import { createRateLimiter, type RateLimiter } from "./rate-limit.js";
import type { MetricsRouteOptions } from "./routes/metrics.js";
import {
  createRouterFactory,
  type LoadedModel,
  loadUseCaseModel,
  serveUseCases,
  type UseCaseRuntime,
} from "./runtime.js";
import { createSharedRateLimiter, type SharedRateLimiter } from "./shared-rate-limit.js";

/** Options of `startGateway`; the connection limits (timeouts, caps) are `ConnectionLimitOptions`, each with its default. */
export interface GatewayOptions extends ConnectionLimitOptions {
  /** usecase.yaml files to serve; each needs a trained model at its `model` path. */
  usecases: readonly string[];
  /** Default 8787. 0 picks a free port. */
  port?: number;
  /** Default "127.0.0.1": localhost only unless asked. */
  host?: string;
  /** `sqlite:<path>` (default `sqlite:.slmkit/gateway.db`), `sqlite::memory:` or a `postgres://` URL. */
  store?: string;
  /** `memory` (default) or a `redis://` URL. */
  cache?: string;
  /** Require API keys. Default true. */
  requireAuth?: boolean;
  /** Per-key (or, without a known key, per-address) requests per second. Default 1,000. */
  rateLimitPerSecond?: number;
  /**
   * Where rate limits are counted: `memory` (each replica limits its own traffic) or a `redis://` URL (the
   * limit holds across every replica sharing it; decided in memory and synced every 100 ms, see
   * `createSharedRateLimiter`). Default: the cache's Redis when `cache` is one, else `memory`.
   */
  rateLimitStore?: string;
  /**
   * Override of the LLM labeler of every classify and answer use case (tests, stand-ins); default: each use
   * case's `llm` section through `createOpenAiLabeler`.
   */
  llm?: (useCaseId: string) => LlmLabeler | undefined;
  /**
   * Override of the LLM extractor of every extract use case (tests, stand-ins); default: each use case's `llm`
   * section through `createOpenAiExtractor`.
   */
  llmExtractor?: (useCaseId: string) => LlmExtractor | undefined;
  /**
   * A pino logger for the start, reloads, drift events, store, cache, router and HTTP errors, and log rows queued or
   * dropped; each line about a request carries its `requestId`. Default: none (the library never prints).
   */
  logger?: Logger;
  /** One info line per answered request with its id, method, path, status and ms (needs `logger`). Default false. */
  logRequests?: boolean;
  /**
   * How often each model directory's manifest is checked for a new model (e.g. promoted by `slmkit retrain`),
   * which is then hot-reloaded; in ms, or false to reload only through `POST /v1/usecases/{id}/reload`.
   * Default 2,000.
   */
  watchModelsMs?: number | false;
  /** Recompute drift of every use case every `monitor.intervalSeconds` (gauges, log events, dashboard). Default true. */
  monitorDrift?: boolean;
  /**
   * `host:port` (`[::1]:9464` for IPv6) where `GET /metrics` is served on a listener of its own; the main listener
   * then has no `/metrics`. Default: none (`/metrics` on the main listener). Limited either way (`metricsRoute`).
   */
  metricsListen?: string;
  /** How `/metrics` is limited: one rendering reused for `cacheMs` (1,000), `perSecond` scrapes per address (5). */
  metricsRoute?: MetricsRouteOptions;
  /** How long a verified API key is trusted without asking the store again, in ms. Default 10,000. */
  apiKeyCacheMs?: number;
  /** Reloads a minute per use case through `POST /v1/usecases/{id}/reload` (a burst of 3; one at a time). Default 12. */
  reloadsPerMinute?: number;
}

export interface Gateway extends AsyncDisposable {
  app: FastifyInstance;
  /** Things an operator should know, e.g. a use case whose LLM is not configured. */
  warnings: string[];
  url: string;
  /** Where `/metrics` is served when `metricsListen` is set (e.g. `http://127.0.0.1:9464`); else undefined. */
  metricsUrl: string | undefined;
  store: Store;
  cache: ResponseCache;
  useCases: Map<string, UseCaseRuntime>;
  /** Drift of each use case against its reference (see `slmkit monitor`). */
  drift: DriftMonitor;
  reload(id: string): Promise<{ version: string }>;
  /** Stops accepting, finishes in-flight requests, writes pending log rows, closes connections. */
  close(): Promise<void>;
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  if (options.usecases.length === 0) {
    throw new SlmkitError("INVALID_OPTION", "give at least one --usecase <yaml> to serve.", {
      field: "usecase",
    });
  }
  // Settings are checked before anything is opened, so a wrong one leaves no connection behind.
  const cacheSetting = parseCacheSetting(options.cache ?? "memory");
  const rateLimitSetting = parseCacheSetting(
    options.rateLimitStore ?? (cacheSetting.kind === "redis" ? cacheSetting.url : "memory"),
    "rate-limit-store",
  );
  const connectionLimits = resolveConnectionLimits(options);
  const metricsListen =
    options.metricsListen === undefined
      ? undefined
      : parseListenAddress(options.metricsListen, "metrics-listen");
  const environment = readEnvironment();
  const warnings: string[] = [];
  const logger = options.logger;
  // Load and verify every model before opening anything: a corrupt model refuses to start, clearly.
  const loaded: LoadedModel[] = [];
  for (const path of options.usecases) loaded.push(await loadUseCaseModel(path, warnings));
  const store = createStore({
    ...parseStoreSetting(options.store ?? "sqlite:.slmkit/gateway.db"),
    ...(logger ? { logger } : {}),
  });
  await store.migrate();
  const cache = await openCache(cacheSetting, logger, warnings);
  const limits = await openRateLimiter(
    rateLimitSetting,
    options.rateLimitPerSecond ?? 1000,
    logger,
    warnings,
  );
  const metrics = createGatewayMetrics();
  const routerFor = createRouterFactory({
    cache,
    store,
    ...(logger ? { logger } : {}),
    llm: options.llm,
    llmExtractor: options.llmExtractor,
    environment,
    warnings,
  });
  const { useCases, served } = serveUseCases(loaded, routerFor);
  const references = createDriftReferences({ store, warnings, logger });
  const watcher = createModelWatcher({
    served,
    signatures: new Map(loaded.map((entry) => [entry.useCase.spec.id, entry.signature])),
    routerFor,
    onReloaded: (entry) => references.refresh(entry),
    metrics,
    ...(logger ? { logger } : {}),
    intervalMs: options.watchModelsMs ?? 2000,
  });
  for (const entry of served.values()) await references.refresh(entry);
  const drift = createGatewayDriftMonitor({ store, useCases, references, metrics, logger });
  if (options.monitorDrift !== false) drift.start();
  metrics.watch(() => ({
    cache: cache.stats(),
    cacheStatus: cache.status(),
    ...(limits.shared === undefined ? {} : { rateLimitStatus: limits.shared.status() }),
    routers: [...useCases.values()].map((useCase) => ({ id: useCase.id, stats: useCase.router.stats() })),
    logRows: { waiting: store.pendingWrites(), dropped: store.droppedWrites() },
  }));
  let ready = false;
  const app = await createApp({
    useCases,
    store,
    metrics,
    rateLimiter: limits.rateLimiter,
    ...connectionLimits,
    serveMetrics: metricsListen === undefined,
    ...(options.metricsRoute === undefined ? {} : { metricsRoute: options.metricsRoute }),
    ...(options.apiKeyCacheMs === undefined ? {} : { apiKeyCacheMs: options.apiKeyCacheMs }),
    ...(options.reloadsPerMinute === undefined ? {} : { reloadsPerMinute: options.reloadsPerMinute }),
    ...(options.logRequests === undefined ? {} : { logRequests: options.logRequests }),
    requireAuth: options.requireAuth ?? true,
    reload: watcher.reload,
    ready: () => ready,
    dashboard: {
      drift: (id) => freshDriftReport(drift, references, id),
      tco: createCostReports({ store, served }),
    },
    ...(logger ? { logger } : {}),
  });
  const metricsApp =
    metricsListen === undefined
      ? undefined
      : await createMetricsApp({
          metrics,
          ...(options.metricsRoute === undefined ? {} : { metricsRoute: options.metricsRoute }),
        });
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      ready = false;
      await watcher.close();
      await drift.close();
      await app.close();
      await metricsApp?.close();
      for (const useCase of useCases.values()) await useCase.router.close();
      await store.close();
      await cache.close();
      await limits.shared?.close();
    })();
    return closing;
  };
  let url: string;
  let metricsUrl: string | undefined;
  try {
    url = await app.listen({ port: options.port ?? 8787, host: options.host ?? "127.0.0.1" });
    if (metricsListen !== undefined) metricsUrl = await metricsApp?.listen(metricsListen);
  } catch (error) {
    // An address in use: nothing opened so far outlives the failed start.
    await close();
    throw error;
  }
  ready = true;
  logger?.info(
    { event: "gateway_started", url, metricsUrl, usecases: [...useCases.keys()], warnings },
    "gateway listening",
  );
  return {
    app,
    url,
    metricsUrl,
    warnings,
    store,
    cache,
    useCases,
    drift,
    reload: watcher.reload,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** The response cache: in memory, or Redis (waited for briefly: a Redis that is down only degrades the cache). */
async function openCache(
  setting: ReturnType<typeof parseCacheSetting>,
  logger: Logger | undefined,
  warnings: string[],
): Promise<ResponseCache> {
  if (setting.kind !== "redis") return createCache(setting);
  const redis = createCache({ ...setting, ...(logger ? { logger } : {}) });
  // Without waiting the first requests would all miss; a Redis that is down only degrades the cache.
  if (!(await redis.waitUntilReady()))
    warnings.push(`redis at ${setting.url} is not answering: the shared cache is degraded until it is`);
  return redis;
}

/** The rate limiter: each replica's own buckets, or windows shared through Redis (`shared`, to close). */
async function openRateLimiter(
  setting: ReturnType<typeof parseCacheSetting>,
  perSecond: number,
  logger: Logger | undefined,
  warnings: string[],
): Promise<{ rateLimiter: RateLimiter; shared: SharedRateLimiter | undefined }> {
  if (setting.kind !== "redis") return { rateLimiter: createRateLimiter({ perSecond }), shared: undefined };
  const shared = createSharedRateLimiter({ url: setting.url, perSecond, ...(logger ? { logger } : {}) });
  if (!(await shared.waitUntilReady()))
    warnings.push(
      `redis at ${setting.url} is not answering: each replica limits its own traffic until it is`,
    );
  return { rateLimiter: shared, shared };
}

/** `host:port` or `[ipv6]:port` as listen options; anything else is an error naming the flag. */
export function parseListenAddress(value: string, flag: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value.trim());
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (host === undefined || !Number.isInteger(port) || port > 65_535)
    throw new SlmkitError(
      "INVALID_OPTION",
      `--${flag} "${value}" is not host:port; give e.g. 127.0.0.1:9464, 0.0.0.0:9464 or [::1]:9464.`,
      { field: flag },
    );
  return { host, port };
}
