// Starts the gateway: loads use cases and models, opens store and cache, wires routers, serves, drains on exit.

import type { FastifyInstance } from "fastify";
import { createCache } from "../cache/index.js";
import type { ResponseCache } from "../cache/types.js";
import { readEnvironment } from "../config.js";
import { SlmkitError } from "../errors.js";
import type { NativeClassifier } from "../models/native/classifier.js";
import { loadNativeModel, readManifest } from "../models/native/model-directory.js";
import { createOpenAiLabeler, labelerOptionsFromUseCase } from "../models/openai/openai-labeler.js";
import { createRouter } from "../route/router.js";
import type { LlmLabeler } from "../route/types.js";
import { loadUseCase } from "../spec/load.js";
import { createStore } from "../store/index.js";
import type { Store } from "../store/types.js";
import { createApp, type UseCaseRuntime } from "./app.js";
import { createGatewayMetrics } from "./metrics.js";
import { createRateLimiter } from "./rate-limit.js";

export interface GatewayOptions {
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
  /** Override of the LLM for every use case (tests, stand-ins); default: each use case's `llm` section. */
  llm?: (useCaseId: string) => LlmLabeler | undefined;
  /** A pino logger for store, cache, router and HTTP errors. Default: none (the library never prints). */
  logger?: GatewayLogger;
}

/** The part of a pino logger the gateway uses. */
export interface GatewayLogger {
  info(context: object, message: string): void;
  warn(context: object, message: string): void;
  error(context: object, message: string): void;
}

export interface Gateway extends AsyncDisposable {
  app: FastifyInstance;
  /** Things an operator should know, e.g. a use case whose LLM is not configured. */
  warnings: string[];
  url: string;
  store: Store;
  cache: ResponseCache;
  useCases: Map<string, UseCaseRuntime>;
  reload(id: string): Promise<{ version: string }>;
  /** Stops accepting, finishes in-flight requests, writes pending log rows, closes connections. */
  close(): Promise<void>;
}

/**
 * `sqlite:<path>` or a Postgres URL. A `schema` query parameter on the URL (`postgres://…/db?schema=slmkit`)
 * selects the Postgres schema, so several deployments can share one database.
 */
export function parseStoreSetting(setting: string) {
  if (setting.startsWith("postgres://") || setting.startsWith("postgresql://")) {
    const url = new URL(setting);
    const schema = url.searchParams.get("schema");
    url.searchParams.delete("schema");
    return { kind: "postgres" as const, connectionString: url.toString(), ...(schema ? { schema } : {}) };
  }
  if (setting.startsWith("sqlite:"))
    return { kind: "sqlite" as const, path: setting.slice("sqlite:".length) };
  throw new SlmkitError("INVALID_OPTION", `--store ${setting}: use sqlite:<path> or a postgres:// URL.`, {
    field: "store",
  });
}

export function parseCacheSetting(setting: string) {
  if (setting === "memory") return { kind: "memory" as const };
  if (setting.startsWith("redis://") || setting.startsWith("rediss://"))
    return { kind: "redis" as const, url: setting };
  throw new SlmkitError("INVALID_OPTION", `--cache ${setting}: use memory or a redis:// URL.`, {
    field: "cache",
  });
}

async function modelVersion(dir: string): Promise<string> {
  const manifest = await readManifest(dir);
  return `${manifest.dataHash.slice(0, 12)}@${manifest.createdAt}`;
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  if (options.usecases.length === 0) {
    throw new SlmkitError("INVALID_OPTION", "give at least one --usecase <yaml> to serve.", {
      field: "usecase",
    });
  }
  const environment = readEnvironment();
  const warnings: string[] = [];
  const logger = options.logger;
  // Load and verify every model before opening anything: a corrupt model refuses to start, clearly.
  const loaded: {
    spec: Awaited<ReturnType<typeof loadUseCase>>;
    model: NativeClassifier;
    version: string;
    modelDir: string;
  }[] = [];
  for (const path of options.usecases) {
    const useCase = await loadUseCase(path);
    if (useCase.spec.task !== "classify") {
      throw new SlmkitError(
        "NOT_SUPPORTED",
        `use case "${useCase.spec.id}" is ${useCase.spec.task}; the gateway serves classify use cases in this version.`,
        { file: useCase.path },
      );
    }
    const modelDir = useCase.paths.model;
    if (modelDir === undefined) {
      throw new SlmkitError(
        "INVALID_SPEC",
        "the use case has no `model` directory to serve; train one and set `model:`.",
        { file: useCase.path, field: "model" },
      );
    }
    const model = await loadNativeModel(modelDir);
    loaded.push({ spec: useCase, model, version: await modelVersion(modelDir), modelDir });
  }
  const store = createStore({
    ...parseStoreSetting(options.store ?? "sqlite:.slmkit/gateway.db"),
    ...(logger ? { logger } : {}),
  });
  await store.migrate();
  const cacheSetting = parseCacheSetting(options.cache ?? "memory");
  const cache: ResponseCache =
    cacheSetting.kind === "redis"
      ? await (async () => {
          const redis = createCache({ ...cacheSetting, ...(logger ? { logger } : {}) });
          // Without waiting the first requests would all miss; a Redis that is down only degrades the cache.
          if (!(await redis.waitUntilReady()))
            warnings.push(
              `redis at ${cacheSetting.url} is not answering: the shared cache is degraded until it is`,
            );
          return redis;
        })()
      : createCache(cacheSetting);
  const metrics = createGatewayMetrics();
  const useCases = new Map<string, UseCaseRuntime>();
  for (const entry of loaded) {
    const spec = entry.spec.spec;
    if (useCases.has(spec.id))
      throw new SlmkitError("INVALID_SPEC", `two use cases have the id "${spec.id}".`, {
        file: entry.spec.path,
        field: "id",
      });
    const llm = options.llm ? options.llm(spec.id) : defaultLabeler(spec, environment, warnings);
    const router = createRouter({
      useCase: spec,
      model: entry.model,
      cache,
      store,
      ...(llm === undefined ? {} : { llm }),
      ...(logger ? { logger } : {}),
      modelVersion: entry.version,
    });
    useCases.set(spec.id, {
      id: spec.id,
      spec,
      modelDir: entry.modelDir,
      model: entry.model,
      modelVersion: entry.version,
      router,
      createdAt: Date.now(),
    });
  }
  let ready = false;
  const reload = async (id: string): Promise<{ version: string }> => {
    const useCase = useCases.get(id);
    if (useCase === undefined)
      throw new SlmkitError("INVALID_OPTION", `no use case "${id}".`, { field: "id" });
    try {
      const model = await loadNativeModel(useCase.modelDir);
      if (model.labels.join("\n") !== useCase.model.labels.join("\n")) {
        // A new label set is a new task contract for clients; it needs a restart, not a hot swap.
        throw new SlmkitError(
          "MODEL_CORRUPT",
          "the new model's labels differ from the served model's; restart the server to change labels.",
        );
      }
      const version = await modelVersion(useCase.modelDir);
      useCase.router.setModel(model, version);
      useCase.model = model;
      useCase.modelVersion = version;
      metrics.reload(id, "ok");
      return { version };
    } catch (error) {
      metrics.reload(id, "refused");
      throw error;
    }
  };
  metrics.watch(() => ({
    cache: cache.stats(),
    cacheStatus: cache.status(),
    routers: [...useCases.values()].map((useCase) => ({ id: useCase.id, stats: useCase.router.stats() })),
  }));
  const app = await createApp({
    useCases,
    store,
    metrics,
    rateLimiter: createRateLimiter({ perSecond: options.rateLimitPerSecond ?? 1000 }),
    requireAuth: options.requireAuth ?? true,
    reload,
    ready: () => ready,
    ...(logger ? { logger } : {}),
  });
  const url = await app.listen({ port: options.port ?? 8787, host: options.host ?? "127.0.0.1" });
  ready = true;
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      ready = false;
      await app.close();
      for (const useCase of useCases.values()) await useCase.router.close();
      await store.close();
      await cache.close();
    })();
    return closing;
  };
  return { app, url, warnings, store, cache, useCases, reload, close, [Symbol.asyncDispose]: close };
}

/**
 * The use case's own LLM, when `routing.fallback` is "llm". Its key comes from the variable `llm.apiKeyEnv`;
 * without one, a hosted endpoint (OpenAI, Azure) is left out with a warning, while a local one (Ollama,
 * vLLM, Foundry Local) is called without a key.
 */
function defaultLabeler(
  spec: Awaited<ReturnType<typeof loadUseCase>>["spec"],
  environment: ReturnType<typeof readEnvironment>,
  warnings: string[],
): LlmLabeler | undefined {
  if (spec.llm === undefined || spec.routing.fallback !== "llm") {
    if (spec.routing.fallback === "llm")
      warnings.push(`use case "${spec.id}" has no \`llm\` section: escalations go to the review queue`);
    return undefined;
  }
  const apiKey = environment.get(spec.llm.apiKeyEnv);
  const host = new URL(spec.llm.baseUrl).hostname;
  if (apiKey === undefined && (host === "api.openai.com" || host.endsWith(".azure.com"))) {
    warnings.push(
      `use case "${spec.id}": ${spec.llm.apiKeyEnv} is not set, so ${spec.llm.model} is not called and escalations go to the review queue`,
    );
    return undefined;
  }
  const options = labelerOptionsFromUseCase(spec, apiKey);
  return options === undefined ? undefined : createOpenAiLabeler(options);
}
