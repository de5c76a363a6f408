// Drift in the gateway: each use case's reference profile (read at start and after every reload), the monitor
// that compares traffic with it on a timer (gauges, log events), and the fresh report the dashboard asks for.

import { dirname } from "node:path";
import { SlmkitError } from "../errors.js";
import { createDriftMonitor, type DriftMonitor } from "../monitor/drift-monitor.js";
import { loadReference } from "../monitor/reference.js";
import type { DriftReport, ReferenceProfile } from "../monitor/types.js";
import type { Store } from "../store/types.js";
import type { Logger } from "../types.js";
import type { GatewayMetrics } from "./metrics.js";
import type { ServedUseCase, UseCaseRuntime } from "./runtime.js";

/** The reference profile of each use case that has one. */
export interface DriftReferences {
  /** Re-reads the use case's reference for its model now served; a missing one is a warning, never an error. */
  refresh(served: ServedUseCase): Promise<void>;
  get(id: string): ReferenceProfile | undefined;
}

export function createDriftReferences(options: {
  store: Store;
  /** Where a missing reference is reported (the gateway's warnings). */
  warnings: string[];
  logger?: Logger | undefined;
}): DriftReferences {
  const { store, warnings, logger } = options;
  const references = new Map<string, ReferenceProfile>();
  return {
    async refresh({ runtime, path, native }) {
      // Drift is profiled on an intent classifier's view of the text; an extractor has none to compare.
      const classifier =
        native.task === "classify" ? native : native.task === "answer" ? native.classifier : undefined;
      if (classifier === undefined) return;
      try {
        references.set(
          runtime.id,
          await loadReference({
            useCase: runtime.spec,
            useCaseDir: dirname(path),
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
    },
    get: (id) => references.get(id),
  };
}

/** The drift monitor of every classify and answer use case, its reports set as gauges. Not started. */
export function createGatewayDriftMonitor(options: {
  store: Store;
  useCases: Map<string, UseCaseRuntime>;
  references: DriftReferences;
  metrics: GatewayMetrics;
  logger?: Logger | undefined;
}): DriftMonitor {
  const { store, useCases, references, metrics, logger } = options;
  return createDriftMonitor({
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
}

/**
 * The drift report a dashboard page shows: the timer's report can be a minute old, so a page gets one at most
 * 10 s old (a check reads one window of rows: about 15 ms on 20,000 SQLite rows).
 */
export async function freshDriftReport(
  drift: DriftMonitor,
  references: DriftReferences,
  id: string,
): Promise<DriftReport | null> {
  const latest = drift.latest(id);
  if (latest !== undefined && Date.now() - latest.computedAt < 10_000) return latest;
  return references.get(id) !== undefined ? await drift.check(id) : (latest ?? null);
}
