// Recomputes drift of served use cases on a timer, keeps the latest report, and logs when a verdict changes.

import { SlmkitError } from "../errors.js";
import type { UseCase } from "../spec/schema.js";
import type { LabelledRequest, RequestLogEntry, ShadowResult, Store } from "../store/types.js";
import type { Logger } from "../types.js";
import { computeDrift } from "./drift.js";
import type { DriftCheckName, DriftReport, ReferenceProfile } from "./types.js";

/** One use case the monitor watches. Functions, so a hot reload's new model and reference are picked up. */
export interface DriftMonitorUseCase {
  id: string;
  /** The validated use case: its `monitor` section sets window, thresholds and interval. */
  spec: UseCase;
  /** The version now served; rows, feedback and shadow results of other versions are left out. Null: keep all. */
  modelVersion(): string | null;
  /** The reference of the model now served (e.g. from `loadReference`, cached by the caller). */
  reference(): ReferenceProfile | Promise<ReferenceProfile>;
}

export interface DriftMonitorOptions {
  /** The request log. Only the three read methods are used. */
  store: Pick<Store, "listRequests" | "listShadowResults" | "listLabelledRequests">;
  useCases: readonly DriftMonitorUseCase[];
  /** Period of the timer `start()` sets, in ms. Default: each use case's `monitor.intervalSeconds`. */
  intervalMs?: number;
  /** Called with every report (timer or `check`), e.g. to set Prometheus gauges with `driftGaugeValues`. */
  onReport?: (report: DriftReport) => void;
  /** Where status changes and failed checks are reported. Default: nowhere. */
  logger?: Logger;
  /** The clock, in ms since the epoch. Default `Date.now`. */
  now?: () => number;
}

export interface DriftMonitor extends AsyncDisposable {
  /** Computes a use case's report now from the store, keeps it as the latest, and passes it to `onReport`. */
  check(id: string): Promise<DriftReport>;
  /** The last report of a use case; undefined before its first check. */
  latest(id: string): DriftReport | undefined;
  /**
   * Checks every use case now, then again every interval. The timers are unref'd: they never keep the
   * process alive. A failing check is logged and retried at the next tick. Calling it twice does nothing.
   */
  start(): void;
  /** Stops the timers and waits for checks in flight. */
  close(): Promise<void>;
}

/** Most rows the store returns per read (its documented maximum); also bounds a very large `monitor.window`. */
const storeListLimit = 100_000;

/**
 * Rows read per page of the window. An embedded SQLite store reads synchronously on the event loop the gateway
 * routes on: one read of 1,000 rows held it for 7-12 ms; pages of 250 with a turn of the loop between them keep
 * each hold to a few milliseconds.
 */
const windowPageRows = 250;

/** The newest `count` rows of a use case, read page by page (newest first), each row once. */
async function readNewest(
  store: Pick<Store, "listRequests">,
  useCaseId: string,
  count: number,
): Promise<RequestLogEntry[]> {
  const rows: RequestLogEntry[] = [];
  const seen = new Set<string>();
  let until: number | undefined;
  while (rows.length < count) {
    const page = await store.listRequests({
      useCaseId,
      order: "newest",
      limit: windowPageRows,
      ...(until === undefined ? {} : { until }),
    });
    let added = 0;
    for (const row of page) {
      if (seen.has(row.id) || rows.length >= count) continue;
      seen.add(row.id);
      rows.push(row);
      added += 1;
    }
    const oldest = page.at(-1);
    if (oldest === undefined || added === 0 || page.length < windowPageRows) break;
    // Rows of the oldest row's millisecond may not all be in this page: read that millisecond again.
    until = oldest.createdAt + 1;
    await new Promise((resolve) => setImmediate(resolve));
  }
  return rows;
}

/**
 * Creates the drift monitor of a set of use cases. Each check reads the newest `monitor.window` log rows of the
 * use case (of the served model version), the feedback given and the shadow comparisons made since the first
 * of them, and runs `computeDrift`. When a use case's status changes from one check to the next, a warn event
 * `{event: "drift", useCaseId, status, checks}` names the alerting checks; the first check logs only "drift".
 */
export function createDriftMonitor(options: DriftMonitorOptions): DriftMonitor {
  const { store, logger } = options;
  const now = options.now ?? Date.now;
  const useCases = new Map(options.useCases.map((useCase) => [useCase.id, useCase]));
  const latestReports = new Map<string, DriftReport>();
  const inFlight = new Map<string, Promise<DriftReport>>();
  const timers: NodeJS.Timeout[] = [];
  let closed = false;

  async function compute(useCase: DriftMonitorUseCase): Promise<DriftReport> {
    const version = useCase.modelVersion();
    const sameVersion = (row: { modelVersion: string | null }) =>
      version === null || row.modelVersion === version;
    const rows: RequestLogEntry[] = (
      await readNewest(store, useCase.id, Math.min(useCase.spec.monitor.window, storeListLimit))
    ).filter(sameVersion);
    let labelled: LabelledRequest[] = [];
    let shadow: ShadowResult[] = [];
    const at = now();
    if (rows.length > 0) {
      const since = Math.min(...rows.map((row) => row.createdAt));
      const until = Math.max(...rows.map((row) => row.createdAt)) + 1;
      [labelled, shadow] = await Promise.all([
        // Feedback comes after its request: everything given since the window began.
        store.listLabelledRequests({ useCaseId: useCase.id, since, limit: storeListLimit }),
        store.listShadowResults({ useCaseId: useCase.id, since, until, limit: storeListLimit }),
      ]);
      labelled = labelled.filter(sameVersion);
      shadow = shadow.filter(sameVersion);
    }
    return computeDrift({
      useCase: useCase.spec,
      reference: await useCase.reference(),
      window: rows,
      labelled,
      shadow,
      modelVersion: version,
      now: at,
    });
  }

  function record(report: DriftReport): void {
    const previous = latestReports.get(report.useCaseId);
    latestReports.set(report.useCaseId, report);
    const changed = previous === undefined ? report.status === "drift" : previous.status !== report.status;
    if (changed) {
      const checks: DriftCheckName[] = report.checks
        .filter((check) => check.status === "alert")
        .map((check) => check.name);
      const message =
        report.status === "drift"
          ? `drift in use case ${report.useCaseId}: ${checks.join(", ")}`
          : `drift status of use case ${report.useCaseId} is now ${report.status}`;
      logger?.warn({ event: "drift", useCaseId: report.useCaseId, status: report.status, checks }, message);
    }
    try {
      options.onReport?.(report);
    } catch (error) {
      logger?.error(
        { event: "drift_report_failed", useCaseId: report.useCaseId, error: (error as Error).message },
        "the drift report callback threw",
      );
    }
  }

  function check(id: string): Promise<DriftReport> {
    const useCase = useCases.get(id);
    if (useCase === undefined) {
      return Promise.reject(
        new SlmkitError(
          "INVALID_INPUT",
          `no use case "${id}" is monitored; known: ${[...useCases.keys()].join(", ") || "none"}.`,
        ),
      );
    }
    // Concurrent callers share one computation: the timer and an HTTP request must not double the queries.
    const running = inFlight.get(id);
    if (running !== undefined) return running;
    const started = compute(useCase)
      .then((report) => {
        record(report);
        return report;
      })
      .finally(() => inFlight.delete(id));
    inFlight.set(id, started);
    return started;
  }

  function tick(id: string): void {
    if (closed) return;
    check(id).catch((error: unknown) => {
      logger?.error(
        { event: "drift_check_failed", useCaseId: id, error: (error as Error).message },
        `drift check of use case ${id} failed; retrying at the next interval`,
      );
    });
  }

  async function close(): Promise<void> {
    closed = true;
    for (const timer of timers.splice(0)) clearInterval(timer);
    await Promise.allSettled([...inFlight.values()]);
  }

  return {
    check,
    latest: (id) => latestReports.get(id),
    start() {
      if (closed || timers.length > 0) return;
      for (const useCase of useCases.values()) {
        const period = options.intervalMs ?? useCase.spec.monitor.intervalSeconds * 1000;
        const timer = setInterval(() => tick(useCase.id), period);
        timer.unref();
        timers.push(timer);
        tick(useCase.id);
      }
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** One gauge sample per check: its value (NaN when there is not enough data) and whether it alerts (1) or not (0). */
export interface DriftGaugeValue {
  check: DriftCheckName;
  value: number;
  alert: 0 | 1;
}

/**
 * A report as gauge samples, e.g. `slmkit_drift_value{usecase, check}` and `slmkit_drift_alert{usecase, check}`.
 * A check without a value gives NaN, so a gauge does not keep showing a stale figure.
 */
export function driftGaugeValues(report: DriftReport): DriftGaugeValue[] {
  return report.checks.map((check) => ({
    check: check.name,
    value: check.value ?? Number.NaN,
    alert: check.status === "alert" ? 1 : 0,
  }));
}
