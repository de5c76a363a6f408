// The cost report (TCO) of a served use case, for the dashboard: measured from the log, the model and the spec.

import { gatherTcoInputs } from "../cost/gather.js";
import { computeTco } from "../cost/tco.js";
import type { TcoReport } from "../cost/types.js";
import { loadUseCase } from "../spec/load.js";
import type { Store } from "../store/types.js";
import type { ServedUseCase } from "./runtime.js";

/** A use case's cost report by id; null for an id not served. */
export type CostReports = (id: string) => Promise<TcoReport | null>;

export function createCostReports(options: {
  store: Store;
  served: Map<string, ServedUseCase>;
}): CostReports {
  const { store, served } = options;
  // The cost report measures the model's throughput (about 0.3 s of predictions): computed at most once a
  // minute per use case and model version, and shared by concurrent callers.
  const tcoCache = new Map<string, { key: string; at: number; report: Promise<TcoReport> }>();
  return (id) => {
    const entry = served.get(id);
    if (entry === undefined) return Promise.resolve(null);
    const { runtime, path } = entry;
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
}
