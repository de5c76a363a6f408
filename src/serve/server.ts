// Starts the gateway: loads use cases and models, opens store and cache, wires routers, serves, drains on exit.

import type { FastifyInstance } from "fastify";
import { createCache } from "../cache/index.js";
import type { ResponseCache } from "../cache/types.js";
import { readEnvironment } from "../config.js";
import { SlmkitError } from "../errors.js";
import type { NativeClassifier } from "../models/native/classifier.js";
import { loadNativeModel, readManifest } from "../models/native/model-directory.js";
import { createOpenAiLabeler } from "../models/openai/openai-labeler.js";
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
  /** Per-key requests per second. Default 200. */
  rateLimitPerSecond?: number;
  /** Override of the LLM for every use case (tests, stand-ins); default: each use case's `llm` section. */
  llm?: (useCaseId: string) => LlmLabeler | undefined;
  logger?: boolean | object;
}

export interface Gateway extends AsyncDisposable {
  app: FastifyInstance;
  url: string;
  store: Store;
  cache: ResponseCache;
  useCases: Map<string, UseCaseRuntime>;
  reload(id: string): Promise<{ version: string }>;
  /** Stops accepting, finishes in-flight requests, writes pending log rows, closes connections. */
  close(): Promise<void>;
}

export function parseStoreSetting(setting: string) {
  if (setting.startsWith("postgres://") || setting.startsWith("postgresql://")) {
    return { kind: "postgres" as const, connectionString: setting };
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
  const store = await createStore(parseStoreSetting(options.store ?? "sqlite:.slmkit/gateway.db"));
  await store.migrate();
  const cache = await createCache(parseCacheSetting(options.cache ?? "memory"));
  const metrics = createGatewayMetrics();
  const useCases = new Map<string, UseCaseRuntime>();
  for (const entry of loaded) {
    const spec = entry.spec.spec;
    if (useCases.has(spec.id))
      throw new SlmkitError("INVALID_SPEC", `two use cases have the id "${spec.id}".`, {
        file: entry.spec.path,
        field: "id",
      });
    const llm = options.llm ? options.llm(spec.id) : defaultLabeler(spec, environment);
    const router = createRouter({
      useCase: spec,
      model: entry.model,
      cache,
      store,
      ...(llm === undefined ? {} : { llm }),
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
  const app = await createApp({
    useCases,
    store,
    metrics,
    rateLimiter: createRateLimiter({ perSecond: options.rateLimitPerSecond ?? 200 }),
    requireAuth: options.requireAuth ?? true,
    reload,
    ready: () => ready,
    logger: options.logger ?? false,
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
  return { app, url, store, cache, useCases, reload, close, [Symbol.asyncDispose]: close };
}

function defaultLabeler(
  spec: Awaited<ReturnType<typeof loadUseCase>>["spec"],
  environment: ReturnType<typeof readEnvironment>,
): LlmLabeler | undefined {
  if (spec.llm === undefined || spec.routing.fallback !== "llm") return undefined;
  const apiKey = environment.get(spec.llm.apiKeyEnv);
  if (apiKey === undefined) return undefined;
  return createOpenAiLabeler({
    baseUrl: spec.llm.baseUrl,
    model: spec.llm.model,
    apiKey,
    labels: spec.labels ?? [],
    timeoutMs: spec.llm.timeoutMs,
    ...(spec.llm.pricePer1kInputUsd === undefined ? {} : { pricePer1kInputUsd: spec.llm.pricePer1kInputUsd }),
    ...(spec.llm.pricePer1kOutputUsd === undefined
      ? {}
      : { pricePer1kOutputUsd: spec.llm.pricePer1kOutputUsd }),
  });
}
