// Waiting between polls of a long-running job: a delay that backs off while nothing changes, and an abortable sleep.

export interface PollingDelayOptions {
  /** The first delay, and the delay after any change, in milliseconds. */
  initialMs: number;
  /** The longest delay, in milliseconds. */
  maxMs: number;
  /** Growth of the delay after each poll that saw no change. Default 1.5. */
  factor?: number;
}

/**
 * The delay before the next poll: `initialMs` after a poll that saw a change (the job is moving: look again soon),
 * growing by `factor` after each quiet one up to `maxMs` (an hours-long job is not asked every few seconds).
 */
export function createPollingDelay(options: PollingDelayOptions): (changed: boolean) => number {
  const factor = options.factor ?? 1.5;
  let delay = options.initialMs;
  return (changed) => {
    delay = changed ? options.initialMs : Math.min(options.maxMs, delay * factor);
    return Math.round(delay);
  };
}

/** Waits `ms` milliseconds; rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
