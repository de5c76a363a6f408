// Starts the gateway: loads use cases and models, opens store and cache, wires routers, serves, drains on exit.

import { stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { FastifyInstance } from "fastify";
import { createCache } from "../cache/index.js";
import type { ResponseCache } from "../cache/types.js";
import { readEnvironment } from "../config.js";
import { gatherTcoInputs } from "../cost/gather.js";
import { computeTco } from "../cost/tco.js";
import type { TcoReport } from "../cost/types.js";
import { SlmkitError } from "../errors.js";
import type { NativeClassifier } from "../models/native/classifier.js";
import { loadNativeModel, manifestFileName } from "../models/native/model-directory.js";
import { createOpenAiLabeler, labelerOptionsFromUseCase } from "../models/openai/openai-labeler.js";
import { createDriftMonitor, type DriftMonitor } from "../monitor/drift-monitor.js";
import { readModelVersion } from "../monitor/model-version.js";
import { loadReference } from "../monitor/reference.js";
import type { ReferenceProfile } from "../monitor/types.js";
import { createRouter } from "../route/router.js";
import type { LlmLabeler } from "../route/types.js";
import { loadUseCase } from "../spec/load.js";
import type { UseCase } from "../spec/schema.js";
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
  /**
   * How often each model directory's manifest is checked for a new model (e.g. promoted by `slmkit retrain`),
   * which is then hot-reloaded; in ms, or false to reload only through `POST /v1/usecases/{id}/reload`.
   * Default 2,000.
   */
  watchModelsMs?: number | false;
  /** Recompute drift of every use case every `monitor.intervalSeconds` (gauges, log events, dashboard). Default true. */
  monitorDrift?: boolean;
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
  /** Drift of each use case against its reference (see `slmkit monitor`). */
  drift: DriftMonitor;
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

// One definition of a model's version string, shared with the drift monitor (which filters log rows by it).
const modelVersion = readModelVersion;

/** Identity of the manifest file as it is on disk: an atomic directory swap changes its inode. */
async function manifestSignature(dir: string): Promise<string | undefined> {
  try {
    const info = await stat(join(dir, manifestFileName));
    return `${info.ino}:${info.size}:${info.mtimeMs}`;
  } catch {
    return undefined;
  }
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
    signature: string | undefined;
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
    const signature = await manifestSignature(modelDir);
    const model = await loadNativeModel(modelDir);
    loaded.push({ spec: useCase, model, version: await modelVersion(modelDir), modelDir, signature });
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
  const usecasePaths = new Map<string, string>();
  const references = new Map<string, ReferenceProfile>();
  const referenceOf = async (runtime: UseCaseRuntime, useCaseDir: string): Promise<void> => {
    try {
      references.set(
        runtime.id,
        await loadReference({
          useCase: runtime.spec,
          useCaseDir,
          modelDir: runtime.modelDir,
          model: runtime.model,
          store,
        }),
      );
    } catch (error) {
      references.delete(runtime.id);
      const message = `use case "${runtime.id}": no drift reference (${(error as Error).message}); drift is not monitored until one exists`;
      warnings.push(message);
      logger?.warn({ event: "drift_reference_missing", useCaseId: runtime.id, err: error }, message);
    }
  };
  const signatures = new Map<string, { loaded: string | undefined; refused: string | undefined }>();
  const routerFor = (spec: UseCase, model: NativeClassifier, version: string) => {
    const llm = options.llm ? options.llm(spec.id) : defaultLabeler(spec, environment, warnings);
    const router = createRouter({
      useCase: spec,
      model,
      cache,
      store,
      ...(llm === undefined ? {} : { llm }),
      ...(logger ? { logger } : {}),
      modelVersion: version,
    });
    // Ready the escalation path (LLM client code, one kept-alive connection, spend figures) while the server
    // starts or reloads, so the first escalation does not stall on it; never throws, and nothing waits for it.
    void router.warmUp();
    return router;
  };
  for (const entry of loaded) {
    const spec = entry.spec.spec;
    if (useCases.has(spec.id))
      throw new SlmkitError("INVALID_SPEC", `two use cases have the id "${spec.id}".`, {
        file: entry.spec.path,
        field: "id",
      });
    const router = routerFor(spec, entry.model, entry.version);
    usecasePaths.set(spec.id, entry.spec.path);
    signatures.set(spec.id, { loaded: entry.signature, refused: undefined });
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
    const watched = signatures.get(id);
    const signature = await manifestSignature(useCase.modelDir);
    try {
      const model = await loadNativeModel(useCase.modelDir);
      const version = await modelVersion(useCase.modelDir);
      if (model.labels.join("\n") === useCase.model.labels.join("\n")) {
        useCase.router.setModel(model, version);
      } else {
        // A new label set changes the contract with clients: taken only when usecase.yaml says the same (an
        // operator added the intent there before retraining); the use case is then re-read with it.
        const path = usecasePaths.get(id) as string;
        const fresh = (await loadUseCase(path)).spec;
        const declared = (fresh.labels ?? []).map((label) => label.name);
        const sameSet =
          declared.length === model.labels.length && declared.every((label) => model.labels.includes(label));
        if (!sameSet || fresh.id !== id) {
          throw new SlmkitError(
            "MODEL_CORRUPT",
            `the new model's labels differ from the served model's and from ${path}'s labels; add the new labels to the use case first, or restart the server.`,
          );
        }
        const previous = useCase.router;
        useCase.router = routerFor(fresh, model, version);
        useCase.spec = fresh;
        // Requests already inside the old router finish there; its background work drains on its own.
        void previous.close().catch((error: unknown) => {
          logger?.warn({ err: error, useCaseId: id }, "reload: the previous router did not close cleanly");
        });
      }
      useCase.model = model;
      useCase.modelVersion = version;
      if (watched !== undefined) watched.loaded = signature;
      await referenceOf(useCase, dirname(usecasePaths.get(id) as string));
      metrics.reload(id, "ok");
      return { version };
    } catch (error) {
      if (watched !== undefined) watched.refused = signature;
      metrics.reload(id, "refused");
      throw error;
    }
  };
  // A promoted model is a new manifest on disk (an atomic directory swap): reload it when it appears. A refused
  // one is not tried again until the directory changes once more.
  let watchTimer: NodeJS.Timeout | undefined;
  let watching: Promise<void> | undefined;
  const checkModels = async () => {
    for (const [id, watched] of signatures) {
      const useCase = useCases.get(id);
      if (useCase === undefined) continue;
      const signature = await manifestSignature(useCase.modelDir);
      if (signature === undefined || signature === watched.loaded || signature === watched.refused) continue;
      try {
        const { version } = await reload(id);
        logger?.info({ event: "model_reloaded", useCaseId: id, version }, "reload: serving a new model");
      } catch (error) {
        logger?.warn(
          { event: "model_reload_refused", useCaseId: id, err: error },
          "reload: the new model was refused; the previous one keeps serving",
        );
      }
    }
  };
  if (options.watchModelsMs !== false) {
    watchTimer = setInterval(() => {
      watching ??= checkModels().finally(() => {
        watching = undefined;
      });
    }, options.watchModelsMs ?? 2000);
    watchTimer.unref();
  }
  for (const runtime of useCases.values())
    await referenceOf(runtime, dirname(usecasePaths.get(runtime.id) as string));
  const drift = createDriftMonitor({
    store,
    // A use case without a reference has nothing to be compared with; its checks fail and are logged once each.
    useCases: [...useCases.values()].map((runtime) => ({
      id: runtime.id,
      get spec() {
        return (useCases.get(runtime.id) as UseCaseRuntime).spec;
      },
      modelVersion: () => useCases.get(runtime.id)?.modelVersion ?? null,
      reference: () => {
        const reference = references.get(runtime.id);
        if (reference === undefined)
          throw new SlmkitError(
            "EMPTY_DATA",
            `use case "${runtime.id}" has no drift reference; give it data.valid or data.train, or retrain its model.`,
          );
        return reference;
      },
    })),
    onReport: (report) => metrics.drift(report),
    ...(logger ? { logger } : {}),
  });
  if (options.monitorDrift !== false) drift.start();
  // The cost report measures the model's throughput (about 0.3 s of predictions): computed at most once a
  // minute per use case and model version, and shared by concurrent callers.
  const tcoCache = new Map<string, { key: string; at: number; report: Promise<TcoReport> }>();
  const tcoOf = (id: string): Promise<TcoReport | null> => {
    const runtime = useCases.get(id);
    const path = usecasePaths.get(id);
    if (runtime === undefined || path === undefined) return Promise.resolve(null);
    const key = runtime.modelVersion;
    const cached = tcoCache.get(id);
    if (cached !== undefined && cached.key === key && Date.now() - cached.at < 60_000) return cached.report;
    const report = (async () => {
      const useCase = await loadUseCase(path);
      return computeTco(await gatherTcoInputs({ store, useCase, modelDir: runtime.modelDir }));
    })();
    tcoCache.set(id, { key, at: Date.now(), report });
    report.catch(() => tcoCache.delete(id));
    return report;
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
    dashboard: {
      drift: async (id) => drift.latest(id) ?? (references.has(id) ? await drift.check(id) : null),
      tco: (id) => tcoOf(id),
    },
    ...(logger ? { logger } : {}),
  });
  const url = await app.listen({ port: options.port ?? 8787, host: options.host ?? "127.0.0.1" });
  ready = true;
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      ready = false;
      if (watchTimer !== undefined) clearInterval(watchTimer);
      await watching;
      await drift.close();
      await app.close();
      for (const useCase of useCases.values()) await useCase.router.close();
      await store.close();
      await cache.close();
    })();
    return closing;
  };
  return {
    app,
    url,
    warnings,
    store,
    cache,
    useCases,
    drift,
    reload,
    close,
    [Symbol.asyncDispose]: close,
  };
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
