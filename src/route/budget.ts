// Spend limits on LLM escalation, per use case and per API key, checked before each call and recorded after.

import type { Store } from "../store/types.js";

/** Caps in US dollars; an absent cap is unlimited. */
export interface BudgetLimits {
  /** The use case's LLM spend per UTC day (usecase.yaml `budget.dailyUsd`). */
  dailyUsd?: number;
  /** The use case's LLM spend per UTC calendar month (usecase.yaml `budget.monthlyUsd`). */
  monthlyUsd?: number;
  /** One API key's LLM spend per UTC day, over every use case it calls. */
  perKeyDailyUsd?: number;
  /** One API key's LLM spend per UTC calendar month, over every use case it calls. */
  perKeyMonthlyUsd?: number;
}

export interface BudgetOptions {
  /** Where spend is kept: scopes `usecase:<id>` and `key:<apiKeyId>`. */
  store: Pick<Store, "addSpend" | "getSpend">;
  useCaseId: string;
  limits: BudgetLimits;
  /**
   * How long a spend figure read from the store is reused, in milliseconds, to keep the store off the
   * request path. Spend recorded by this process is added to the cached figure at once; other replicas'
   * spend shows up within this time. A check that finds the figure past half this age still uses it and
   * has it read again in the background, so under steady traffic no check waits for the store; only one
   * that finds it older than `cacheMs` (or finds none) waits for a fresh read. Default 1000.
   */
  cacheMs?: number;
  /** Milliseconds since the epoch; injectable for tests. Default `Date.now`. */
  now?: () => number;
  /** Told when the store cannot be read or written; the budget then keeps its last figures. */
  onStoreError?: (error: unknown, scope: string) => void;
}

export type BudgetDecision = { allowed: true } | { allowed: false; reason: string };

export interface Budget {
  /** Whether an LLM call is within every cap for this caller (null: no API key, only the use case's caps). */
  check(apiKeyId: string | null): Promise<BudgetDecision>;
  /**
   * Adds the cost of a call to the use case and to the key: at once to the figures `check` uses, and to the
   * store in a later turn of the event loop, so that the write is not on the answer's path. Resolves once
   * stored. Never throws: store errors go to `onStoreError`.
   */
  record(apiKeyId: string | null, usd: number): Promise<void>;
  /** Resolves when background reads of the store have finished (for a clean shutdown). */
  idle?(): Promise<void>;
  /** The limits in force, for reports. */
  readonly limits: Readonly<BudgetLimits>;
}

type Period = "day" | "month";

interface CachedFigure {
  /** Spend in the store when read, plus what this process recorded since the read began. */
  usd: number;
  fetchedAt: number;
  /** A read in flight: concurrent checks share it instead of each asking the store. */
  refreshing: Promise<void> | null;
  periodStart: number;
}

/**
 * Checks spend against caps before an LLM call. The check is approximate by design: concurrent requests that
 * pass it together may overshoot a cap by the cost of the calls in flight (cents), since a call's cost is
 * known only after it returns. A store that cannot be read keeps the last known figure (0 before the first
 * successful read) plus this process's own recorded spend, so one process alone never overspends its cap.
 */
export function createBudget(options: BudgetOptions): Budget {
  const cacheMs = options.cacheMs ?? 1000;
  const now = options.now ?? Date.now;
  const { store, limits } = options;
  const figures = new Map<string, CachedFigure>();
  const background = new Set<Promise<void>>();
  /** Spend recorded by this process whose store write has not finished yet, by scope. */
  const unsaved = new Map<string, number>();

  const figureKey = (scope: string, period: Period) => `${period}|${scope}`;

  /** Reads the figure from the store; `deferred` waits for the next turn of the event loop first. */
  const refresh = (target: CachedFigure, scope: string, deferred: boolean): Promise<void> => {
    target.refreshing ??= (async () => {
      if (deferred) await nextTurn();
      const startedAt = now();
      const localBefore = target.usd;
      // Recorded but not yet written: not in what the store returns, so added back.
      const pending = unsaved.get(scope) ?? 0;
      try {
        const stored = await store.getSpend(scope, target.periodStart);
        // Spend recorded while the read was in flight may or may not be in `stored`; counting it again errs
        // on the side of spending less (as does a write in flight now that lands before the read).
        target.usd = stored + pending + Math.max(0, target.usd - localBefore);
      } catch (error) {
        options.onStoreError?.(error, scope);
      } finally {
        target.fetchedAt = startedAt;
        target.refreshing = null;
      }
    })();
    return target.refreshing;
  };

  const spendOf = async (scope: string, period: Period): Promise<number> => {
    const at = now();
    const periodStart = period === "day" ? startOfUtcDay(at) : startOfUtcMonth(at);
    const key = figureKey(scope, period);
    let figure = figures.get(key);
    if (figure === undefined || figure.periodStart !== periodStart) {
      figure = { usd: 0, fetchedAt: Number.NEGATIVE_INFINITY, refreshing: null, periodStart };
      figures.set(key, figure);
    }
    const age = at - figure.fetchedAt;
    if (age >= cacheMs) await refresh(figure, scope, false);
    else if (age >= cacheMs / 2 && figure.refreshing === null) {
      // Read ahead of expiry, between requests: the figure in hand is still within its age.
      const reading = refresh(figure, scope, true);
      background.add(reading);
      void reading.finally(() => background.delete(reading));
    }
    return figure.usd;
  };

  const over = async (
    scope: string,
    period: Period,
    limit: number | undefined,
    what: string,
  ): Promise<string | undefined> => {
    if (limit === undefined) return undefined;
    const spent = await spendOf(scope, period);
    if (spent < limit) return undefined;
    return `${what} ${period === "day" ? "daily" : "monthly"} budget reached ($${spent.toFixed(4)} of $${limit.toFixed(2)})`;
  };

  return {
    limits,
    async check(apiKeyId) {
      const useCaseScope = `usecase:${options.useCaseId}`;
      const checks: Array<Promise<string | undefined>> = [
        over(useCaseScope, "day", limits.dailyUsd, `use case "${options.useCaseId}"`),
        over(useCaseScope, "month", limits.monthlyUsd, `use case "${options.useCaseId}"`),
      ];
      if (apiKeyId !== null) {
        const keyScope = `key:${apiKeyId}`;
        checks.push(over(keyScope, "day", limits.perKeyDailyUsd, `API key "${apiKeyId}"`));
        checks.push(over(keyScope, "month", limits.perKeyMonthlyUsd, `API key "${apiKeyId}"`));
      }
      const reasons = (await Promise.all(checks)).filter((reason) => reason !== undefined);
      return reasons.length === 0 ? { allowed: true } : { allowed: false, reason: reasons.join("; ") };
    },
    async record(apiKeyId, usd) {
      if (!(usd > 0)) return;
      const at = now();
      const scopes = [`usecase:${options.useCaseId}`];
      if (apiKeyId !== null) scopes.push(`key:${apiKeyId}`);
      for (const scope of scopes) {
        unsaved.set(scope, (unsaved.get(scope) ?? 0) + usd);
        for (const period of ["day", "month"] as const) {
          const figure = figures.get(figureKey(scope, period));
          if (figure !== undefined) figure.usd += usd;
        }
      }
      // The figures above already count this spend; the store's copy (for other replicas and restarts) can
      // wait until the answer has been sent.
      await nextTurn();
      await Promise.all(
        scopes.map(async (scope) => {
          try {
            await store.addSpend(scope, usd, at);
          } catch (error) {
            options.onStoreError?.(error, scope);
          } finally {
            const left = (unsaved.get(scope) ?? 0) - usd;
            if (left > 1e-12) unsaved.set(scope, left);
            else unsaved.delete(scope);
          }
        }),
      );
    },
    async idle() {
      while (background.size > 0) await Promise.all([...background]);
    },
  };
}

/** Resolves in the event loop's next check phase, after the I/O that is ready now (e.g. sending a reply). */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export function startOfUtcDay(at: number): number {
  const date = new Date(at);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
}

export function startOfUtcMonth(at: number): number {
  const date = new Date(at);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
}
