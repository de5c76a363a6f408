// Starts the gateway: loads use cases and models, opens store and cache, wires routers, serves, drains on exit.

import { stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { FastifyInstance } from "fastify";
import { createCache, parseCacheSetting } from "../cache/index.js";
import type { ResponseCache } from "../cache/types.js";
import { readEnvironment } from "../config.js";
import { gatherTcoInputs } from "../cost/gather.js";
import { computeTco } from "../cost/tco.js";
import type { TcoReport } from "../cost/types.js";
import { SlmkitError } from "../errors.js";
import type { LlmExtractor, LlmLabeler } from "../models/llm.js";
import type { NativeAnswerer } from "../models/native/answerer.js";
import { loadNativeAnswerer } from "../models/native/answerer-directory.js";
import type { NativeClassifier } from "../models/native/classifier.js";
import type { NativeExtractor } from "../models/native/extractor.js";
import { loadNativeExtractor } from "../models/native/extractor-directory.js";
import { loadNativeModel, manifestFileName, readRawManifest } from "../models/native/model-directory.js";
import { createOpenAiExtractor, extractorOptionsFromUseCase } from "../models/openai/openai-extractor.js";
import { createOpenAiLabeler, labelerOptionsFromUseCase } from "../models/openai/openai-labeler.js";
import { createDriftMonitor, type DriftMonitor } from "../monitor/drift-monitor.js";
import { readModelVersion } from "../monitor/model-version.js";
import { loadReference } from "../monitor/reference.js";
import type { ReferenceProfile } from "../monitor/types.js";
import { createAnswerRouterModel } from "../route/answer-model.js";
import { createExtractRouter } from "../route/extract-router.js";
import { createRouter, type RouterModel } from "../route/router.js";
import { loadUseCase } from "../spec/load.js";
import type { UseCase } from "../spec/schema.js";
import { createStore, parseStoreSetting } from "../store/index.js";
import type { Store } from "../store/types.js";
import type { Logger } from "../types.js";
import { createApp, type RouterHandle, type ServedModel, type UseCaseRuntime } from "./app.js";
import { createGatewayMetrics } from "./metrics.js";
import { createRateLimiter, type RateLimiter } from "./rate-limit.js";
import { createSharedRateLimiter, type SharedRateLimiter } from "./shared-rate-limit.js";

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
  /** A pino logger for store, cache, router and HTTP errors. Default: none (the library never prints). */
  logger?: Logger;
  /**
   * How often each model directory's manifest is checked for a new model (e.g. promoted by `slmkit retrain`),
   * which is then hot-reloaded; in ms, or false to reload only through `POST /v1/usecases/{id}/reload`.
   * Default 2,000.
   */
  watchModelsMs?: number | false;
  /** Recompute drift of every use case every `monitor.intervalSeconds` (gauges, log events, dashboard). Default true. */
  monitorDrift?: boolean;
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

// One definition of a model's version string, shared with the drift monitor (which filters log rows by it).
const modelVersion = readModelVersion;

/** A loaded native model, by the task it serves. */
type NativeModel =
  | { task: "classify"; model: NativeClassifier }
  | { task: "answer"; model: NativeAnswerer }
  | { task: "extract"; model: NativeExtractor };

/** A use case's router, and how a hot reload swaps a model of the same task into it. */
interface TaskRouter {
  router: RouterHandle;
  swap(native: NativeModel, version: string): void;
}

/**
 * Loads the model directory of a use case of `task`, verified by its task's loader (format version, checksums).
 * A model of another task is refused before a loader misreads it.
 */
async function loadServedModel(dir: string, task: UseCase["task"]): Promise<NativeModel> {
  const found = (await readRawManifest(dir))?.task;
  // No readable manifest is the loader's to report, with its own message.
  if (typeof found === "string" && found !== task) {
    throw new SlmkitError(
      "INVALID_SPEC",
      `the model at ${dir} has task "${found}", but the use case's task is ${task}; point \`model:\` at a ${task} model or train one.`,
      { field: "model" },
    );
  }
  switch (task) {
    case "classify":
      return { task, model: await loadNativeModel(dir) };
    case "answer":
      return { task, model: await loadNativeAnswerer(dir) };
    case "extract":
      return { task, model: await loadNativeExtractor(dir) };
  }
}

/** `readModelVersion`'s form for every task: the drift monitor and log rows compare these strings. */
async function versionOf(dir: string, task: UseCase["task"]): Promise<string> {
  if (task === "classify") return modelVersion(dir);
  const manifest = await readRawManifest(dir);
  return `${String(manifest?.dataHash ?? "").slice(0, 12)}@${String(manifest?.createdAt ?? "")}`;
}

/** The labels of a classify or answer model, the fields of an extractor: what clients are answered with. */
function classesOf(native: NativeModel): readonly string[] {
  return native.task === "extract" ? native.model.fields : native.model.labels;
}

function declaredClasses(spec: UseCase): string[] {
  return spec.task === "extract"
    ? (spec.schema?.fields ?? []).map((field) => field.name)
    : (spec.labels ?? []).map((label) => label.name);
}

function servedModelOf(native: NativeModel): ServedModel {
  return native.task === "extract"
    ? { labels: native.model.fields, threshold: native.model.threshold }
    : native.model;
}

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
  // Settings are checked before anything is opened, so a wrong one leaves no connection behind.
  const cacheSetting = parseCacheSetting(options.cache ?? "memory");
  const rateLimitSetting = parseCacheSetting(
    options.rateLimitStore ?? (cacheSetting.kind === "redis" ? cacheSetting.url : "memory"),
    "rate-limit-store",
  );
  const environment = readEnvironment();
  const warnings: string[] = [];
  const logger = options.logger;
  // Load and verify every model before opening anything: a corrupt model refuses to start, clearly.
  const loaded: {
    spec: Awaited<ReturnType<typeof loadUseCase>>;
    native: NativeModel;
    version: string;
    modelDir: string;
    signature: string | undefined;
  }[] = [];
  for (const path of options.usecases) {
    const useCase = await loadUseCase(path);
    const modelDir = useCase.paths.model;
    if (modelDir === undefined) {
      throw new SlmkitError(
        "INVALID_SPEC",
        "the use case has no `model` directory to serve; train one and set `model:`.",
        { file: useCase.path, field: "model" },
      );
    }
    const signature = await manifestSignature(modelDir);
    const task = useCase.spec.task;
    let native: NativeModel;
    try {
      native = await loadServedModel(modelDir, task);
    } catch (error) {
      if (SlmkitError.isInstance(error) && error.code === "INVALID_SPEC")
        throw new SlmkitError(error.code, error.message, { file: useCase.path, field: "model" });
      throw error;
    }
    if (task === "extract") {
      const declared = declaredClasses(useCase.spec);
      const fields = classesOf(native);
      if (declared.length !== fields.length || declared.some((field) => !fields.includes(field)))
        warnings.push(
          `use case "${useCase.spec.id}": the model extracts ${fields.join(", ")} but schema.fields lists ${declared.join(", ")}; replies hold the schema's fields`,
        );
    }
    loaded.push({ spec: useCase, native, version: await versionOf(modelDir, task), modelDir, signature });
  }
  const store = createStore({
    ...parseStoreSetting(options.store ?? "sqlite:.slmkit/gateway.db"),
    ...(logger ? { logger } : {}),
  });
  await store.migrate();
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
  const rateLimitPerSecond = options.rateLimitPerSecond ?? 1000;
  let sharedLimiter: SharedRateLimiter | undefined;
  let rateLimiter: RateLimiter;
  if (rateLimitSetting.kind === "redis") {
    sharedLimiter = createSharedRateLimiter({
      url: rateLimitSetting.url,
      perSecond: rateLimitPerSecond,
      ...(logger ? { logger } : {}),
    });
    rateLimiter = sharedLimiter;
    if (!(await sharedLimiter.waitUntilReady()))
      warnings.push(
        `redis at ${rateLimitSetting.url} is not answering: each replica limits its own traffic until it is`,
      );
  } else rateLimiter = createRateLimiter({ perSecond: rateLimitPerSecond });
  const metrics = createGatewayMetrics();
  const useCases = new Map<string, UseCaseRuntime>();
  const usecasePaths = new Map<string, string>();
  const references = new Map<string, ReferenceProfile>();
  const served = new Map<string, { native: NativeModel; swap: TaskRouter["swap"] }>();
  const referenceOf = async (runtime: UseCaseRuntime, useCaseDir: string): Promise<void> => {
    const native = served.get(runtime.id)?.native;
    // Drift is profiled on an intent classifier's view of the text; an extractor has none to compare.
    const classifier =
      native?.task === "classify"
        ? native.model
        : native?.task === "answer"
          ? native.model.classifier
          : undefined;
    if (classifier === undefined) return;
    try {
      references.set(
        runtime.id,
        await loadReference({
          useCase: runtime.spec,
          useCaseDir,
          modelDir: runtime.modelDir,
          model: classifier,
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
  // Ready the escalation path (LLM client code, one kept-alive connection, spend figures) while the server
  // starts or reloads, so the first escalation does not stall on it; never throws, and nothing waits for it.
  const warmedUp = <Routed extends { warmUp(): Promise<void> }>(router: Routed): Routed => {
    void router.warmUp();
    return router;
  };
  const routerFor = (spec: UseCase, native: NativeModel, version: string): TaskRouter => {
    const common = { useCase: spec, cache, store, ...(logger ? { logger } : {}), modelVersion: version };
    if (native.task === "extract") {
      const llm = options.llmExtractor
        ? options.llmExtractor(spec.id)
        : defaultExtractor(spec, environment, warnings);
      const router = warmedUp(
        createExtractRouter({ ...common, model: native.model, ...(llm === undefined ? {} : { llm }) }),
      );
      return {
        router,
        swap: (next, nextVersion) => {
          if (next.task === "extract") router.setModel(next.model, nextVersion);
        },
      };
    }
    const llm = options.llm ? options.llm(spec.id) : defaultLabeler(spec, environment, warnings);
    // An answer model routes on its intent classifier and answers with its FAQ (createAnswerRouterModel).
    const routerModel = (next: Exclude<NativeModel, { task: "extract" }>): RouterModel =>
      next.task === "answer" ? createAnswerRouterModel(next.model) : next.model;
    const router = warmedUp(
      createRouter({ ...common, model: routerModel(native), ...(llm === undefined ? {} : { llm }) }),
    );
    return {
      router,
      swap: (next, nextVersion) => {
        if (next.task !== "extract") router.setModel(routerModel(next), nextVersion);
      },
    };
  };
  for (const entry of loaded) {
    const spec = entry.spec.spec;
    if (useCases.has(spec.id))
      throw new SlmkitError("INVALID_SPEC", `two use cases have the id "${spec.id}".`, {
        file: entry.spec.path,
        field: "id",
      });
    const { router, swap } = routerFor(spec, entry.native, entry.version);
    usecasePaths.set(spec.id, entry.spec.path);
    signatures.set(spec.id, { loaded: entry.signature, refused: undefined });
    served.set(spec.id, { native: entry.native, swap });
    useCases.set(spec.id, {
      id: spec.id,
      spec,
      modelDir: entry.modelDir,
      model: servedModelOf(entry.native),
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
      // Same task only: a model of another task would change what clients are answered with.
      const native = await loadServedModel(useCase.modelDir, useCase.spec.task);
      const version = await versionOf(useCase.modelDir, native.task);
      const current = served.get(id) as { native: NativeModel; swap: TaskRouter["swap"] };
      const classes = classesOf(native);
      if (classes.join("\n") === classesOf(current.native).join("\n")) {
        current.swap(native, version);
        current.native = native;
      } else {
        // A new label (or field) set changes the contract with clients: taken only when usecase.yaml says the
        // same (an operator added the intent there before retraining); the use case is then re-read with it.
        const path = usecasePaths.get(id) as string;
        const fresh = (await loadUseCase(path)).spec;
        const declared = declaredClasses(fresh);
        const sameSet =
          declared.length === classes.length && declared.every((label) => classes.includes(label));
        if (!sameSet || fresh.id !== id || fresh.task !== native.task) {
          const kind = native.task === "extract" ? "fields" : "labels";
          throw new SlmkitError(
            "MODEL_CORRUPT",
            `the new model's ${kind} differ from the served model's and from ${path}'s ${kind}; add the new ${kind} to the use case first, or restart the server.`,
          );
        }
        const previous = useCase.router;
        const next = routerFor(fresh, native, version);
        served.set(id, { native, swap: next.swap });
        useCase.router = next.router;
        useCase.spec = fresh;
        // Requests already inside the old router finish there; its background work drains on its own.
        void previous.close().catch((error: unknown) => {
          logger?.warn({ err: error, useCaseId: id }, "reload: the previous router did not close cleanly");
        });
      }
      useCase.model = servedModelOf(native);
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
    // A use case without a reference (no data to profile) has nothing to be compared with: each check fails and
    // is logged (drift_check_failed) until a reload brings one; start-up warned about it already.
    // Extract use cases are left out: drift is profiled on an intent classifier, which an extractor lacks.
    useCases: [...useCases.values()]
      .filter((runtime) => runtime.spec.task !== "extract")
      .map((runtime) => ({
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
    ...(sharedLimiter === undefined ? {} : { rateLimitStatus: sharedLimiter.status() }),
    routers: [...useCases.values()].map((useCase) => ({ id: useCase.id, stats: useCase.router.stats() })),
  }));
  const app = await createApp({
    useCases,
    store,
    metrics,
    rateLimiter,
    requireAuth: options.requireAuth ?? true,
    reload,
    ready: () => ready,
    dashboard: {
      // The timer's report can be a minute old; a page asks for one at most 10 s old (a check reads one window
      // of rows: about 15 ms on 20,000 SQLite rows).
      drift: async (id) => {
        const latest = drift.latest(id);
        if (latest !== undefined && Date.now() - latest.computedAt < 10_000) return latest;
        return references.has(id) ? await drift.check(id) : (latest ?? null);
      },
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
      await sharedLimiter?.close();
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
 * Whether the use case's own LLM is to be called (`routing.fallback` "llm" with an `llm` section), and with
 * which key: from the variable `llm.apiKeyEnv`; without one, a hosted endpoint (OpenAI, Azure) is left out
 * with a warning, while a local one (Ollama, vLLM, Foundry Local) is called without a key.
 */
function llmAccess(
  spec: UseCase,
  environment: ReturnType<typeof readEnvironment>,
  warnings: string[],
): { apiKey: string | undefined } | undefined {
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
  return { apiKey };
}

/** The labeler of a classify or answer use case: its LLM picks one of the use case's labels. */
function defaultLabeler(
  spec: UseCase,
  environment: ReturnType<typeof readEnvironment>,
  warnings: string[],
): LlmLabeler | undefined {
  const access = llmAccess(spec, environment, warnings);
  if (access === undefined) return undefined;
  const options = labelerOptionsFromUseCase(spec, access.apiKey);
  return options === undefined ? undefined : createOpenAiLabeler(options);
}

/** The extractor of an extract use case: its LLM fills the use case's fields as validated JSON. */
function defaultExtractor(
  spec: UseCase,
  environment: ReturnType<typeof readEnvironment>,
  warnings: string[],
): LlmExtractor | undefined {
  const access = llmAccess(spec, environment, warnings);
  if (access === undefined) return undefined;
  const options = extractorOptionsFromUseCase(spec, access.apiKey);
  return options === undefined ? undefined : createOpenAiExtractor(options);
}
