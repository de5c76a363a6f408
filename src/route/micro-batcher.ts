// Micro-batching: single predictions that arrive together under load are run as one batch.

export interface MicroBatcherOptions {
  /** Largest batch; a full queue is flushed at once without waiting. Default 64. */
  maxBatch?: number;
  /**
   * The longest a request waits for companions, in milliseconds. At 1 or less (the default, 1) the queue is
   * flushed by `setImmediate`, i.e. once the event loop has handled the I/O that was ready in this turn: every
   * request parsed in the same turn shares a batch, and a lone request waits only for the turn to end (measured
   * on a 2-core machine: about 10-30 µs when idle, see test/route/micro-batcher.test.ts). Above 1 a timer of
   * that length collects requests over several turns: larger batches, added latency.
   */
  maxWaitMs?: number;
}

export interface MicroBatcherStats {
  batches: number;
  items: number;
  largestBatch: number;
}

export interface MicroBatcher<Input, Output> {
  /** Queues one input; resolves with its own output, in the order `predictBatch` returned them. */
  submit(input: Input): Promise<Output>;
  /** Inputs waiting for the next flush. */
  pending(): number;
  stats(): MicroBatcherStats;
}

interface Waiting<Input, Output> {
  input: Input;
  resolve: (output: Output) => void;
  reject: (error: unknown) => void;
}

/**
 * Wraps a batch function so that concurrent single calls share batches. `predictBatch` must return one output
 * per input, in order; if it throws (or returns the wrong count) every request of that batch is rejected
 * with the error, and later batches are unaffected.
 */
export function createMicroBatcher<Input, Output>(
  predictBatch: (inputs: Input[]) => Output[] | Promise<Output[]>,
  options: MicroBatcherOptions = {},
): MicroBatcher<Input, Output> {
  const maxBatch = options.maxBatch ?? 64;
  const maxWaitMs = options.maxWaitMs ?? 1;
  if (!Number.isInteger(maxBatch) || maxBatch < 1)
    throw new RangeError(`maxBatch must be an integer ≥ 1, got ${maxBatch}`);
  let queue: Array<Waiting<Input, Output>> = [];
  let scheduled: { cancel: () => void } | null = null;
  const counters: MicroBatcherStats = { batches: 0, items: 0, largestBatch: 0 };

  const run = async (batch: Array<Waiting<Input, Output>>): Promise<void> => {
    counters.batches += 1;
    counters.items += batch.length;
    counters.largestBatch = Math.max(counters.largestBatch, batch.length);
    try {
      const outputs = await predictBatch(batch.map((waiting) => waiting.input));
      if (outputs.length !== batch.length) {
        throw new RangeError(`predictBatch returned ${outputs.length} outputs for ${batch.length} inputs`);
      }
      batch.forEach((waiting, index) => {
        waiting.resolve(outputs[index] as Output);
      });
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
    }
  };

  const flush = (): void => {
    scheduled?.cancel();
    scheduled = null;
    while (queue.length > 0) {
      const batch = queue.length <= maxBatch ? queue : queue.slice(0, maxBatch);
      queue = queue.length <= maxBatch ? [] : queue.slice(maxBatch);
      void run(batch);
    }
  };

  const schedule = (): void => {
    if (scheduled !== null) return;
    if (maxWaitMs <= 1) {
      const handle = setImmediate(flush);
      scheduled = { cancel: () => clearImmediate(handle) };
    } else {
      const handle = setTimeout(flush, maxWaitMs);
      scheduled = { cancel: () => clearTimeout(handle) };
    }
  };

  return {
    submit(input) {
      return new Promise<Output>((resolve, reject) => {
        queue.push({ input, resolve, reject });
        if (queue.length >= maxBatch) flush();
        else schedule();
      });
    },
    pending: () => queue.length,
    stats: () => ({ ...counters }),
  };
}
