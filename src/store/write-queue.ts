// The batched, retrying, bounded queue behind `Store.logRequest`: rows leave the response path at once and are
// written in batches; a failing backend keeps them queued until it is back.

import { SlmkitError } from "../errors.js";
import type { Logger } from "../types.js";

/** How a store batches and retries its log writes. Shared by every backend. */
export interface BatchedWriteOptions {
  /** Rows written per batch (one transaction or one multi-row INSERT). Default 500. */
  batchSize?: number;
  /** Longest time, in ms, a row waits for its batch to fill before it is written anyway. Default 50. */
  flushIntervalMs?: number;
  /**
   * Most rows held in memory while the backend is failing; past it the oldest are dropped, counted by
   * `droppedWrites()` and reported to the logger. Default 100,000.
   */
  maxQueuedWrites?: number;
  /** Delay, in ms, before the first retry of a failed batch; it doubles with each failure. Default 100. */
  retryInitialDelayMs?: number;
  /** Longest delay, in ms, between two retries. Default 5,000. */
  retryMaxDelayMs?: number;
  /** How long, in ms, `close()` waits for queued rows to be written before giving up on them. Default 10,000. */
  closeTimeoutMs?: number;
  /** Receives warnings (backend failing, back again) and errors (rows dropped). Default: none. */
  logger?: Logger;
}

export type ResolvedBatchedWriteOptions = Required<Omit<BatchedWriteOptions, "logger">> & {
  logger: Logger | undefined;
};

/** Fills in defaults and rejects nonsensical values with an error that names the option. */
export function resolveBatchedWriteOptions(options: BatchedWriteOptions): ResolvedBatchedWriteOptions {
  const resolved = {
    batchSize: options.batchSize ?? 500,
    flushIntervalMs: options.flushIntervalMs ?? 50,
    maxQueuedWrites: options.maxQueuedWrites ?? 100_000,
    retryInitialDelayMs: options.retryInitialDelayMs ?? 100,
    retryMaxDelayMs: options.retryMaxDelayMs ?? 5_000,
    closeTimeoutMs: options.closeTimeoutMs ?? 10_000,
    logger: options.logger,
  };
  requireInteger("batchSize", resolved.batchSize, 1);
  requireInteger("flushIntervalMs", resolved.flushIntervalMs, 0);
  requireInteger("maxQueuedWrites", resolved.maxQueuedWrites, resolved.batchSize);
  requireInteger("retryInitialDelayMs", resolved.retryInitialDelayMs, 1);
  requireInteger("retryMaxDelayMs", resolved.retryMaxDelayMs, resolved.retryInitialDelayMs);
  requireInteger("closeTimeoutMs", resolved.closeTimeoutMs, 0);
  return resolved;
}

export function requireInteger(field: string, value: number, minimum: number): void {
  if (!Number.isInteger(value) || value < minimum) {
    throw new SlmkitError("INVALID_OPTION", `${field} must be an integer >= ${minimum}; got ${value}.`, {
      field,
    });
  }
}

export interface WriteQueueOptions<Row> extends ResolvedBatchedWriteOptions {
  /** Backend name for messages, e.g. "sqlite". */
  backend: string;
  /** Writes the rows, all or none (one transaction or one statement). */
  write(rows: readonly Row[]): Promise<void>;
  /**
   * True when the backend cannot take writes for now (connection lost, database locked): the batch is kept
   * and retried. False when the rows themselves were refused (a constraint, a value of the wrong type): the
   * batch is then written row by row so one bad row cannot block every other.
   */
  isTransient(error: unknown): boolean;
  /** A short label for a row in log messages, e.g. its id. */
  describe(row: Row): string;
}

interface FlushWaiter {
  /** Resolved once `settled` reaches this count. */
  target: number;
  resolve(): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/** Minimum time between two "rows dropped" log lines, so a long outage does not flood the log. */
const dropReportIntervalMs = 5_000;

export class WriteQueue<Row> {
  readonly #options: WriteQueueOptions<Row>;
  // Rows not yet taken for writing are `#queue[#head...]`; the head index avoids O(n) shifts.
  #queue: Row[] = [];
  #head = 0;
  #inFlight: readonly Row[] = [];
  // Every row ever accepted, and every row written or dropped. Rows leave in arrival order (drops take the
  // oldest queued row), so "all rows accepted before a flush are done" is `settled >= accepted at the call`.
  #accepted = 0;
  #settled = 0;
  #dropped = 0;
  #droppedSinceReport = 0;
  #lastDropReport = 0;
  #waiters: FlushWaiter[] = [];
  #writing = false;
  #timer: NodeJS.Timeout | undefined;
  #timerDue = 0;
  #retryDelayMs = 0;
  #failingSince: number | undefined;
  #lastError: unknown;
  #closed = false;

  constructor(options: WriteQueueOptions<Row>) {
    this.#options = options;
  }

  /** Rows queued or being written. */
  pending(): number {
    return this.#queue.length - this.#head + this.#inFlight.length;
  }

  dropped(): number {
    return this.#dropped;
  }

  push(row: Row): void {
    if (this.#closed) {
      this.#drop(1, "a log row arrived after the store was closed; it was dropped", {
        row: this.#options.describe(row),
      });
      return;
    }
    this.#queue.push(row);
    this.#accepted += 1;
    if (this.pending() > this.#options.maxQueuedWrites && this.#queue.length > this.#head) {
      this.#head += 1;
      this.#settled += 1;
      this.#compact();
      this.#drop(1, "the log queue is full while the store is failing; dropped the oldest rows", {
        maxQueuedWrites: this.#options.maxQueuedWrites,
      });
    }
    // While the backend is failing, the retry timer decides when to try again: a full batch must not
    // turn the backoff into a busy loop.
    if (this.#failingSince !== undefined && (this.#timer !== undefined || this.#writing)) return;
    const queued = this.#queue.length - this.#head;
    this.#schedule(queued >= this.#options.batchSize ? 0 : this.#options.flushIntervalMs);
  }

  /** Resolves once every row accepted before the call is written or dropped; rejects after `timeoutMs`. */
  flush(timeoutMs: number): Promise<void> {
    const target = this.#accepted;
    if (this.#settled >= target) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      // This timer is deliberately not unref'd: someone awaits the flush, so the process must stay up.
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((waiter) => waiter.timer !== timer);
        reject(
          new SlmkitError(
            "STORE_UNAVAILABLE",
            `${this.pending()} log rows are still queued after ${timeoutMs} ms: ` +
              (this.#lastError === undefined
                ? `the ${this.#options.backend} store writes more slowly than that. `
                : `the ${this.#options.backend} store is not taking writes (${describeError(this.#lastError)}). `) +
              "The rows stay queued and are retried; check that the database is reachable.",
            { cause: this.#lastError },
          ),
        );
      }, timeoutMs);
      this.#waiters.push({ target, resolve, reject, timer });
      // An explicit flush tries at once, also during a backoff.
      this.#schedule(0);
    });
  }

  /** Flushes, then stops: later rows are dropped. Rows still queued when the flush fails are counted as dropped. */
  async close(timeoutMs: number): Promise<void> {
    try {
      await this.flush(timeoutMs);
    } finally {
      this.#closed = true;
      if (this.#timer !== undefined) clearTimeout(this.#timer);
      this.#timer = undefined;
      const lost = this.#queue.length - this.#head;
      if (lost > 0) {
        this.#queue = [];
        this.#head = 0;
        this.#settled += lost;
        this.#drop(
          lost,
          "the store closed with rows it could not write; they are lost",
          { error: describeError(this.#lastError) },
          true,
        );
      }
    }
  }

  #schedule(delayMs: number): void {
    if (this.#writing || this.#closed) return;
    const due = Date.now() + delayMs;
    if (this.#timer !== undefined) {
      if (this.#timerDue <= due) return;
      clearTimeout(this.#timer);
    }
    this.#timerDue = due;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#run();
    }, delayMs);
    // A log write alone must not keep the process alive; `close()` and `flush()` are how callers wait.
    this.#timer.unref();
  }

  async #run(): Promise<void> {
    if (this.#writing || this.#closed) return;
    this.#writing = true;
    let failure: { error: unknown } | undefined;
    while (this.#queue.length > this.#head) {
      const batch = this.#queue.slice(this.#head, this.#head + this.#options.batchSize);
      this.#head += batch.length;
      this.#compact();
      this.#inFlight = batch;
      const outcome = await this.#writeBatch(batch);
      this.#inFlight = [];
      this.#settle(outcome.settled);
      if (outcome.settled < batch.length) {
        // Put the unwritten rows back in front, in their order, for the retry.
        this.#queue = batch.slice(outcome.settled).concat(this.#queue.slice(this.#head));
        this.#head = 0;
        failure = { error: outcome.error };
        break;
      }
      if (this.#failingSince !== undefined) this.#recovered();
      const queued = this.#queue.length - this.#head;
      // Keep writing at once only when a full batch is ready or someone waits; otherwise let rows gather.
      if (queued < this.#options.batchSize && this.#waiters.length === 0) break;
      // Let requests run between batches: a synchronous backend would otherwise hold the event loop.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.#writing = false;
    if (this.#closed) {
      // A write that outlived `close()` failed: its rows can no longer be written.
      const lost = this.#queue.length - this.#head;
      this.#queue = [];
      this.#head = 0;
      this.#settled += lost;
      if (lost > 0)
        this.#drop(lost, "the store closed with rows it could not write; they are lost", {}, true);
      return;
    }
    if (failure !== undefined) {
      this.#failed(failure.error);
    } else if (this.#queue.length > this.#head) {
      this.#schedule(this.#waiters.length > 0 ? 0 : this.#options.flushIntervalMs);
    }
  }

  /** Writes a batch; on refused rows, isolates them. Returns how many leading rows are done (written or dropped). */
  async #writeBatch(batch: readonly Row[]): Promise<{ settled: number; error?: unknown }> {
    try {
      await this.#options.write(batch);
      return { settled: batch.length };
    } catch (error) {
      if (this.#options.isTransient(error)) return { settled: 0, error };
      if (batch.length === 1) {
        this.#refuse(batch[0] as Row, error);
        return { settled: 1 };
      }
    }
    for (let index = 0; index < batch.length; index += 1) {
      const row = batch[index] as Row;
      try {
        await this.#options.write([row]);
      } catch (error) {
        if (this.#options.isTransient(error)) return { settled: index, error };
        this.#refuse(row, error);
      }
    }
    return { settled: batch.length };
  }

  #refuse(row: Row, error: unknown): void {
    this.#drop(1, "the database refused a log row; it was dropped", {
      row: this.#options.describe(row),
      error: describeError(error),
    });
  }

  #settle(count: number): void {
    if (count === 0) return;
    this.#settled += count;
    if (this.#waiters.length === 0) return;
    const waiting: FlushWaiter[] = [];
    for (const waiter of this.#waiters) {
      if (waiter.target <= this.#settled) {
        clearTimeout(waiter.timer);
        waiter.resolve();
      } else {
        waiting.push(waiter);
      }
    }
    this.#waiters = waiting;
  }

  #failed(error: unknown): void {
    this.#lastError = error;
    if (this.#failingSince === undefined) {
      this.#failingSince = Date.now();
      this.#retryDelayMs = this.#options.retryInitialDelayMs;
      this.#options.logger?.warn(
        { backend: this.#options.backend, pending: this.pending(), error: describeError(error) },
        "store writes are failing; log rows stay queued and are retried",
      );
    } else {
      this.#retryDelayMs = Math.min(this.#retryDelayMs * 2, this.#options.retryMaxDelayMs);
    }
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#schedule(this.#retryDelayMs);
  }

  #recovered(): void {
    const downMs = Date.now() - (this.#failingSince ?? Date.now());
    this.#failingSince = undefined;
    this.#lastError = undefined;
    this.#options.logger?.warn(
      { backend: this.#options.backend, downMs, pending: this.pending(), dropped: this.#dropped },
      "store writes resumed",
    );
  }

  /** Counts dropped rows and reports them, at most once per interval unless `always` (a loss at close). */
  #drop(count: number, message: string, context: object, always = false): void {
    this.#dropped += count;
    this.#droppedSinceReport += count;
    const now = Date.now();
    if (!always && now - this.#lastDropReport < dropReportIntervalMs) return;
    this.#options.logger?.error(
      {
        ...context,
        backend: this.#options.backend,
        dropped: this.#droppedSinceReport,
        droppedTotal: this.#dropped,
      },
      message,
    );
    this.#lastDropReport = now;
    this.#droppedSinceReport = 0;
  }

  #compact(): void {
    // Reclaim the consumed front once it outweighs the live rows, keeping the amortized cost O(1) a row.
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }
}

export function describeError(error: unknown): string {
  if (error === undefined) return "no error recorded";
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === "string" && code !== "" ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
