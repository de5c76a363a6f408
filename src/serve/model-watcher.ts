// Hot reload, when and with what outcome: a use case's model is replaced by the one now in its directory
// (`replaceModel` in runtime.ts) on request, or when the watcher sees a new manifest there (a model promoted by
// `slmkit retrain`); a bad new model leaves the old one serving and is not tried again until the files change.

import { SlmkitError } from "../errors.js";
import type { Logger } from "../types.js";
import type { GatewayMetrics } from "./metrics.js";
import { manifestSignature, type RouterFor, replaceModel, type ServedUseCase } from "./runtime.js";

export interface ModelWatcherOptions {
  /** The served use cases, whose runtimes a reload updates in place. */
  served: Map<string, ServedUseCase>;
  /** Each use case's manifest identity when its model was loaded (`manifestSignature`). */
  signatures: ReadonlyMap<string, string | undefined>;
  /** Builds a new router when a reload brings a new label (or field) set. */
  routerFor: RouterFor;
  /** Runs after a new model is taken, before the reload counts as done (the drift reference is re-read). */
  onReloaded(served: ServedUseCase): Promise<void>;
  metrics: GatewayMetrics;
  logger?: Logger;
  /** How often each manifest is checked, in ms; false reloads only on request. Default 2,000. */
  intervalMs?: number | false;
}

export interface ModelWatcher {
  /** Reloads a use case's model from its directory; rejects (keeping the old model) when the new one is bad. */
  reload(id: string): Promise<{ version: string }>;
  /** Stops watching and waits for a check under way. */
  close(): Promise<void>;
}

/** The manifest identity a use case's model was loaded from, and the last one refused (not tried again). */
interface Watched {
  loaded: string | undefined;
  refused: string | undefined;
}

export function createModelWatcher(options: ModelWatcherOptions): ModelWatcher {
  const { served, metrics, logger } = options;
  const signatures = new Map<string, Watched>();
  for (const [id, signature] of options.signatures)
    signatures.set(id, { loaded: signature, refused: undefined });

  const reload = async (id: string): Promise<{ version: string }> => {
    const entry = served.get(id);
    if (entry === undefined) throw new SlmkitError("INVALID_OPTION", `no use case "${id}".`, { field: "id" });
    const watched = signatures.get(id);
    const signature = await manifestSignature(entry.runtime.modelDir);
    try {
      const { version } = await replaceModel(entry, options.routerFor, logger);
      if (watched !== undefined) watched.loaded = signature;
      await options.onReloaded(entry);
      metrics.reload(id, "ok");
      logger?.info({ event: "model_reloaded", useCaseId: id, version }, "reload: serving a new model");
      return { version };
    } catch (error) {
      if (watched !== undefined) watched.refused = signature;
      metrics.reload(id, "refused");
      logger?.warn(
        { event: "model_reload_refused", useCaseId: id, err: error },
        "reload: the new model was refused; the previous one keeps serving",
      );
      throw error;
    }
  };

  // A promoted model is a new manifest on disk (an atomic directory swap): reload it when it appears. A refused
  // one is not tried again until the directory changes once more.
  let watchTimer: NodeJS.Timeout | undefined;
  let watching: Promise<void> | undefined;
  const checkModels = async () => {
    for (const [id, watched] of signatures) {
      const entry = served.get(id);
      if (entry === undefined) continue;
      const signature = await manifestSignature(entry.runtime.modelDir);
      if (signature === undefined || signature === watched.loaded || signature === watched.refused) continue;
      // Logged by `reload`, as every reload is (this watcher's, SIGHUP's, the route's).
      await reload(id).catch(() => undefined);
    }
  };
  if (options.intervalMs !== false) {
    watchTimer = setInterval(() => {
      watching ??= checkModels().finally(() => {
        watching = undefined;
      });
    }, options.intervalMs ?? 2000);
    watchTimer.unref();
  }

  return {
    reload,
    close: async () => {
      if (watchTimer !== undefined) clearInterval(watchTimer);
      await watching;
    },
  };
}
