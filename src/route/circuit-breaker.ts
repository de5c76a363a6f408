// A circuit breaker for the LLM: stop calling an endpoint that keeps failing, try again after a cooldown.

export type CircuitState = "closed" | "open" | "half-open";

export interface CircuitBreakerOptions {
  /** Opens after this many failures in a row. Default 5. */
  consecutiveFailures?: number;
  /** Also opens when the share of failures among the last `windowSize` calls reaches this, in (0, 1]. Default 0.5. */
  failureRate?: number;
  /** Calls the failure rate is measured over (the most recent ones). Default 20. */
  windowSize?: number;
  /** The failure rate is only judged once the window holds this many calls. Default 10. */
  minimumCalls?: number;
  /** How long the circuit stays open before one trial call is let through, in milliseconds. Default 30,000. */
  cooldownMs?: number;
  /** Milliseconds since the epoch; injectable for tests. Default `Date.now`. */
  now?: () => number;
  /** Called on every change of state, e.g. to log it or export a metric. */
  onStateChange?: (state: CircuitState, previous: CircuitState) => void;
}

export interface CircuitBreakerStats {
  state: CircuitState;
  /** Failures in a row right now. */
  consecutiveFailures: number;
  /** Failure share of the calls in the window, 0 when it is empty. */
  failureRate: number;
  /** Times the circuit opened since it was created. */
  opened: number;
  /** Calls refused because the circuit was open (or a half-open trial was already running). */
  rejected: number;
}

export interface CircuitBreaker {
  /** The state now; an open circuit whose cooldown is over reads "half-open". */
  state(): CircuitState;
  /**
   * Whether a call may go ahead. Closed: yes. Open: no. Half-open: yes for one trial call at a time; its
   * outcome closes or reopens the circuit. A caller told yes must report the outcome.
   */
  allowRequest(): boolean;
  recordSuccess(): void;
  recordFailure(): void;
  stats(): CircuitBreakerStats;
}

/**
 * Closed → open after `consecutiveFailures` failures in a row, or when the failure rate over the last
 * `windowSize` calls reaches `failureRate`; open → half-open after `cooldownMs`; half-open → closed when the
 * trial call succeeds, → open again when it fails. A trial that never reports back (its caller crashed) is
 * given up after another `cooldownMs`, so the circuit cannot stay stuck half-open.
 */
export function createCircuitBreaker(options: CircuitBreakerOptions = {}): CircuitBreaker {
  const consecutiveLimit = options.consecutiveFailures ?? 5;
  const failureRateLimit = options.failureRate ?? 0.5;
  const windowSize = options.windowSize ?? 20;
  const minimumCalls = options.minimumCalls ?? 10;
  const cooldownMs = options.cooldownMs ?? 30_000;
  const now = options.now ?? Date.now;

  let current: CircuitState = "closed";
  let openedAt = 0;
  let trialStartedAt: number | null = null;
  let consecutive = 0;
  let opened = 0;
  let rejected = 0;
  // Outcomes of the last `windowSize` calls as a ring: true = failure.
  const window: boolean[] = [];
  let windowNext = 0;
  let windowFailures = 0;

  const setState = (next: CircuitState): void => {
    if (next === current) return;
    const previous = current;
    current = next;
    options.onStateChange?.(next, previous);
  };

  const resetWindow = (): void => {
    window.length = 0;
    windowNext = 0;
    windowFailures = 0;
    consecutive = 0;
  };

  const open = (): void => {
    openedAt = now();
    trialStartedAt = null;
    opened += 1;
    resetWindow();
    setState("open");
  };

  const remember = (failure: boolean): void => {
    if (window.length < windowSize) window.push(failure);
    else {
      if (window[windowNext] === true) windowFailures -= 1;
      window[windowNext] = failure;
    }
    windowNext = (windowNext + 1) % windowSize;
    if (failure) windowFailures += 1;
  };

  const refresh = (): void => {
    if (current === "open" && now() - openedAt >= cooldownMs) setState("half-open");
  };

  return {
    state() {
      refresh();
      return current;
    },
    allowRequest() {
      refresh();
      if (current === "closed") return true;
      if (current === "half-open") {
        const stale = trialStartedAt !== null && now() - trialStartedAt >= cooldownMs;
        if (trialStartedAt === null || stale) {
          trialStartedAt = now();
          return true;
        }
      }
      rejected += 1;
      return false;
    },
    recordSuccess() {
      refresh();
      if (current === "open") return; // a call that started before the circuit opened proves nothing now
      if (current === "half-open") {
        trialStartedAt = null;
        resetWindow();
        setState("closed");
        return;
      }
      consecutive = 0;
      remember(false);
    },
    recordFailure() {
      refresh();
      if (current === "open") return;
      if (current === "half-open") {
        open();
        return;
      }
      consecutive += 1;
      remember(true);
      const rateReached = window.length >= minimumCalls && windowFailures / window.length >= failureRateLimit;
      if (consecutive >= consecutiveLimit || rateReached) open();
    },
    stats() {
      refresh();
      return {
        state: current,
        consecutiveFailures: consecutive,
        failureRate: window.length === 0 ? 0 : windowFailures / window.length,
        opened,
        rejected,
      };
    },
  };
}
