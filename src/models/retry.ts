// Retries with exponential backoff and full jitter, for retryable errors only, honouring a server's Retry-After.

export interface RetryOptions {
  /** Retries after the first attempt (0 = one attempt only). */
  retries: number;
  /** Backoff before retry k (1-based) is drawn uniformly from [0, min(maxDelayMs, baseDelayMs * 2^(k-1))). Default 100. */
  baseDelayMs?: number;
  /** Cap of the backoff window, in milliseconds. Default 2000. */
  maxDelayMs?: number;
  /**
   * Whether an error is worth another attempt. Default `isRetryableError`: the error says so itself with
   * `isRetryable: true` (as `LlmError` does); anything else is thrown at once.
   */
  isRetryable?: (error: unknown) => boolean;
  /**
   * A server's Retry-After wins over the drawn backoff, up to this many milliseconds; a server asking for a
   * longer wait fails the call at once, since no caller waits that long for one answer. Default 30,000.
   */
  maxRetryAfterMs?: number;
  /**
   * When the caller stops waiting, in `now()` milliseconds: a Retry-After that would end later fails the call at
   * once, so the caller fails over now instead of waiting for its deadline. Default: none (`maxRetryAfterMs` only).
   */
  deadline?: number;
  /** The clock `deadline` is read against, in milliseconds. Default `performance.now`. */
  now?: () => number;
  /** Stops waiting and attempting: the signal's reason is thrown. Default: never aborted. */
  signal?: AbortSignal;
  /** Uniform in [0, 1): injectable so tests see fixed delays. Default `Math.random`. */
  random?: () => number;
  /** Waits `ms` or rejects with the signal's reason; injectable so tests need not sleep. Default a timer. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Called before each wait, e.g. to log. */
  onRetry?: (event: RetryEvent) => void;
}

export interface RetryEvent {
  /** The retry about to happen, 1-based. */
  retry: number;
  delayMs: number;
  error: unknown;
}

/**
 * Runs `attempt` until it resolves, an error is not retryable, retries run out or `signal` aborts. The attempt
 * receives its 0-based number. The last error is thrown as it was.
 */
export async function withRetries<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const baseDelayMs = options.baseDelayMs ?? 100;
  const maxDelayMs = options.maxDelayMs ?? 2000;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 30_000;
  const isRetryable = options.isRetryable ?? isRetryableError;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? sleepFor;
  for (let attemptNumber = 0; ; attemptNumber++) {
    options.signal?.throwIfAborted();
    try {
      return await attempt(attemptNumber);
    } catch (error) {
      if (attemptNumber >= options.retries || !isRetryable(error) || options.signal?.aborted) throw error;
      const retryAfter = retryAfterOf(error);
      if (retryAfter !== undefined && waitsTooLong(retryAfter, maxRetryAfterMs, options)) throw error;
      const window = Math.min(maxDelayMs, baseDelayMs * 2 ** attemptNumber);
      // Full jitter (AWS "Exponential Backoff and Jitter"): spreads the retries of many clients that failed
      // together, which a fixed or equal-jitter backoff would send back in a burst.
      const delayMs = retryAfter ?? Math.floor(random() * window);
      options.onRetry?.({ retry: attemptNumber + 1, delayMs, error });
      await sleep(delayMs, options.signal);
    }
  }
}

/** A server's wait longer than the cap, or ending after the caller's deadline: not worth waiting for. */
function waitsTooLong(retryAfterMs: number, maxRetryAfterMs: number, options: RetryOptions): boolean {
  if (retryAfterMs > maxRetryAfterMs) return true;
  if (options.deadline === undefined) return false;
  const now = options.now ?? (() => performance.now());
  return now() + retryAfterMs >= options.deadline;
}

/** True when the error carries `isRetryable: true`. */
export function isRetryableError(error: unknown): boolean {
  return (
    typeof error === "object" && error !== null && (error as { isRetryable?: unknown }).isRetryable === true
  );
}

function retryAfterOf(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const value = (error as { retryAfterMs?: unknown }).retryAfterMs;
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/**
 * Milliseconds a server asks to wait, from `retry-after-ms` (OpenAI's) or `Retry-After` (seconds or an HTTP
 * date); undefined when neither is present or readable.
 */
export function parseRetryAfterMs(
  headers: Headers | undefined,
  now: number = Date.now(),
): number | undefined {
  if (headers === undefined) return undefined;
  const milliseconds = Number.parseFloat(headers.get("retry-after-ms") ?? "");
  if (Number.isFinite(milliseconds) && milliseconds >= 0) return Math.round(milliseconds);
  const value = headers.get("retry-after")?.trim();
  if (value === undefined || value === "") return undefined;
  if (/^\d+(?:\.\d+)?$/.test(value)) return Math.round(Number.parseFloat(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function sleepFor(ms: number, signal?: AbortSignal): Promise<void> {
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
