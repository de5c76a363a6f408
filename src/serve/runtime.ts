// The per-use-case runtime: a use case's served model (loaded and verified for its task, its version, its
// identity on disk), the router built around it, and how a model of the same task is swapped in.

import { stat } from "node:fs/promises";
import { join } from "node:path";
import type { ResponseCache } from "../cache/types.js";
import type { Environment } from "../config.js";
import { SlmkitError } from "../errors.js";
import type { LlmExtractor, LlmLabeler } from "../models/llm.js";
import { loadModelDirectory, type NativeModel } from "../models/native/load-directory.js";
import { manifestFileName, readRawManifest } from "../models/native/model-directory.js";
import { createOpenAiExtractor, extractorOptionsFromUseCase } from "../models/openai/openai-extractor.js";
import { createOpenAiLabeler, labelerOptionsFromUseCase } from "../models/openai/openai-labeler.js";
import { readModelVersion } from "../monitor/model-version.js";
import { createRouter, type RouterStats } from "../route/router.js";
import type { RouteRequest, RouteResult } from "../route/types.js";
import { type LoadedUseCase, loadUseCase } from "../spec/load.js";
import type { UseCase } from "../spec/schema.js";
import type { Store } from "../store/types.js";
import type { Logger } from "../types.js";
import { useCaseNotFound } from "./errors.js";

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

/** The served use case `id`, or a 404 naming `param` (where the client gave the id). */
export function findUseCase(
  useCases: ReadonlyMap<string, UseCaseRuntime>,
  id: string,
  param: string,
): UseCaseRuntime {
  const useCase = useCases.get(id);
  if (useCase === undefined) throw useCaseNotFound(id, param);
  return useCase;
}

export type { NativeModel };

/** A use case's router, and how a hot reload swaps a model of the same task into it. */
export interface TaskRouter {
  router: RouterHandle;
  swap(native: NativeModel, version: string): void;
}

/** What the gateway keeps of a served use case beyond its runtime: where its spec is and the model it serves. */
export interface ServedUseCase {
  runtime: UseCaseRuntime;
  /** The usecase.yaml it was read from (re-read when a reload brings a new label set). */
  path: string;
  native: NativeModel;
  swap: TaskRouter["swap"];
}

/**
 * Loads the model directory of a use case of `task`, verified by its task's loader (format version, checksums).
 * A model of another task is refused before a loader misreads it.
 */
export function loadServedModel(dir: string, task: UseCase["task"]): Promise<NativeModel> {
  return loadModelDirectory(dir, task);
}

// One definition of a model's version string, shared with the drift monitor (which filters log rows by it).
const modelVersion = readModelVersion;

/** `readModelVersion`'s form for every task: the drift monitor and log rows compare these strings. */
export async function versionOf(dir: string, task: UseCase["task"]): Promise<string> {
  if (task === "classify") return modelVersion(dir);
  const manifest = await readRawManifest(dir);
  return `${String(manifest?.dataHash ?? "").slice(0, 12)}@${String(manifest?.createdAt ?? "")}`;
}

/** The labels of a classify or answer model, the fields of an extractor: what clients are answered with. */
export function classesOf(native: NativeModel): readonly string[] {
  return native.labels;
}

/** The labels (or, for extract, the fields) usecase.yaml lists. */
export function declaredClasses(spec: UseCase): string[] {
  return spec.task === "extract"
    ? (spec.schema?.fields ?? []).map((field) => field.name)
    : (spec.labels ?? []).map((label) => label.name);
}

export function servedModelOf(native: NativeModel): ServedModel {
  return native;
}

/** Identity of the manifest file as it is on disk: an atomic directory swap changes its inode. */
export async function manifestSignature(dir: string): Promise<string | undefined> {
  try {
    const info = await stat(join(dir, manifestFileName));
    return `${info.ino}:${info.size}:${info.mtimeMs}`;
  } catch {
    return undefined;
  }
}

/** A use case as start-up reads it, before anything is opened: its spec and its verified model. */
export interface LoadedModel {
  useCase: LoadedUseCase;
  native: NativeModel;
  version: string;
  modelDir: string;
  /** The manifest's identity when it was read, so a model promoted while loading is still noticed. */
  signature: string | undefined;
}

/**
 * Reads a usecase.yaml and loads and verifies its model; a corrupt model or one of another task refuses to
 * start, naming the file. An extractor whose fields differ from the schema's adds a warning.
 */
export async function loadUseCaseModel(path: string, warnings: string[]): Promise<LoadedModel> {
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
  return { useCase, native, version: await versionOf(modelDir, task), modelDir, signature };
}

export interface RouterFactoryOptions {
  cache: ResponseCache;
  store: Store;
  logger?: Logger;
  /** Override of the LLM labeler of every classify and answer use case; default: from each use case's `llm`. */
  llm?: ((useCaseId: string) => LlmLabeler | undefined) | undefined;
  /** Override of the LLM extractor of every extract use case; default: from each use case's `llm`. */
  llmExtractor?: ((useCaseId: string) => LlmExtractor | undefined) | undefined;
  /** Where each use case's LLM key is read (`llm.apiKeyEnv`). */
  environment: Environment;
  /** Where a use case whose LLM cannot be called says so. */
  warnings: string[];
}

/** How the gateway builds a use case's router for a model, at start and when a reload brings a new label set. */
export type RouterFor = (spec: UseCase, native: NativeModel, version: string) => TaskRouter;

export function createRouterFactory(options: RouterFactoryOptions): RouterFor {
  const { cache, store, logger, environment, warnings } = options;
  // Ready the escalation path (LLM client code, one kept-alive connection, spend figures) while the server
  // starts or reloads, so the first escalation does not stall on it; never throws, and nothing waits for it.
  const warmedUp = <Routed extends { warmUp(): Promise<void> }>(router: Routed): Routed => {
    void router.warmUp();
    return router;
  };
  return (spec, native, version) => {
    const llm =
      spec.task === "extract"
        ? options.llmExtractor
          ? options.llmExtractor(spec.id)
          : defaultExtractor(spec, environment, warnings)
        : options.llm
          ? options.llm(spec.id)
          : defaultLabeler(spec, environment, warnings);
    const router = warmedUp(
      createRouter({
        useCase: spec,
        cache,
        store,
        ...(logger ? { logger } : {}),
        modelVersion: version,
        model: native,
        ...(llm === undefined ? {} : { llm }),
      }),
    );
    // The loader refuses a model of another task, so a reload always swaps in one of the router's task.
    return { router, swap: (next, nextVersion) => router.setModel(next, nextVersion) };
  };
}

/**
 * Builds every loaded use case's router and runtime: `useCases` is what the app serves, `served` what hot
 * reload and drift need besides. Two use cases with one id refuse to start.
 */
export function serveUseCases(
  loaded: readonly LoadedModel[],
  routerFor: RouterFor,
): { useCases: Map<string, UseCaseRuntime>; served: Map<string, ServedUseCase> } {
  const useCases = new Map<string, UseCaseRuntime>();
  const served = new Map<string, ServedUseCase>();
  for (const entry of loaded) {
    const spec = entry.useCase.spec;
    if (useCases.has(spec.id))
      throw new SlmkitError("INVALID_SPEC", `two use cases have the id "${spec.id}".`, {
        file: entry.useCase.path,
        field: "id",
      });
    const { router, swap } = routerFor(spec, entry.native, entry.version);
    const runtime: UseCaseRuntime = {
      id: spec.id,
      spec,
      modelDir: entry.modelDir,
      model: servedModelOf(entry.native),
      modelVersion: entry.version,
      router,
      createdAt: Date.now(),
    };
    served.set(spec.id, { runtime, path: entry.useCase.path, native: entry.native, swap });
    useCases.set(spec.id, runtime);
  }
  return { useCases, served };
}

/**
 * Loads the model in `entry`'s directory and serves it: swapped into the running router when its labels (or
 * fields) are the served ones, else in a new router, taken only when usecase.yaml now lists the new set.
 * Throws, changing nothing, when the new model is unreadable, of another task, or of an undeclared set.
 */
export async function replaceModel(
  entry: ServedUseCase,
  routerFor: RouterFor,
  logger: Logger | undefined,
): Promise<{ version: string }> {
  const useCase = entry.runtime;
  const id = useCase.id;
  // Same task only: a model of another task would change what clients are answered with.
  const native: NativeModel = await loadServedModel(useCase.modelDir, useCase.spec.task);
  const version = await versionOf(useCase.modelDir, native.task);
  const classes = classesOf(native);
  if (classes.join("\n") === classesOf(entry.native).join("\n")) {
    entry.swap(native, version);
    entry.native = native;
  } else {
    // A new label (or field) set changes the contract with clients: taken only when usecase.yaml says the
    // same (an operator added the intent there before retraining); the use case is then re-read with it.
    const fresh = (await loadUseCase(entry.path)).spec;
    const declared = declaredClasses(fresh);
    const sameSet = declared.length === classes.length && declared.every((label) => classes.includes(label));
    if (!sameSet || fresh.id !== id || fresh.task !== native.task) {
      const kind = native.task === "extract" ? "fields" : "labels";
      throw new SlmkitError(
        "MODEL_CORRUPT",
        `the new model's ${kind} differ from the served model's and from ${entry.path}'s ${kind}; add the new ${kind} to the use case first, or restart the server.`,
      );
    }
    const previous = useCase.router;
    const next = routerFor(fresh, native, version);
    entry.native = native;
    entry.swap = next.swap;
    useCase.router = next.router;
    useCase.spec = fresh;
    // Requests already inside the old router finish there; its background work drains on its own.
    void previous.close().catch((error: unknown) => {
      logger?.warn({ err: error, useCaseId: id }, "reload: the previous router did not close cleanly");
    });
  }
  useCase.model = servedModelOf(native);
  useCase.modelVersion = version;
  return { version };
}

/**
 * Whether the use case's own LLM is to be called (`routing.fallback` "llm" with an `llm` section), and with
 * which key: from the variable `llm.apiKeyEnv`; without one, a hosted endpoint (OpenAI, Azure) is left out
 * with a warning, while a local one (Ollama, vLLM, Foundry Local) is called without a key.
 */
function llmAccess(
  spec: UseCase,
  environment: Environment,
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
function defaultLabeler(spec: UseCase, environment: Environment, warnings: string[]): LlmLabeler | undefined {
  const access = llmAccess(spec, environment, warnings);
  if (access === undefined) return undefined;
  const options = labelerOptionsFromUseCase(spec, access.apiKey);
  return options === undefined ? undefined : createOpenAiLabeler(options);
}

/** The extractor of an extract use case: its LLM fills the use case's fields as validated JSON. */
function defaultExtractor(
  spec: UseCase,
  environment: Environment,
  warnings: string[],
): LlmExtractor | undefined {
  const access = llmAccess(spec, environment, warnings);
  if (access === undefined) return undefined;
  const options = extractorOptionsFromUseCase(spec, access.apiKey);
  return options === undefined ? undefined : createOpenAiExtractor(options);
}
