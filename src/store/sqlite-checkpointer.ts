// WAL checkpoints on a worker thread: a checkpoint fsyncs the database file, which on the main thread stalls
// every request for ~10 ms each time the WAL fills (measured: 25-row batch p99 10.5 ms with SQLite's own
// auto-checkpoint, 0.7 ms without).

import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type { StoreLogger } from "./types.js";
import { describeError } from "./write-queue.js";

export interface Checkpointer {
  /** Asks the worker to close its connection and exit; resolves when it has. */
  stop(): Promise<void>;
}

// Plain CommonJS run with `eval`, so the worker needs no build step and loads under tsx as well as from dist.
const workerSource = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driverPath);
const database = new Database(workerData.path, { timeout: workerData.busyTimeoutMs });
const timer = setInterval(() => {
  try {
    // PASSIVE never waits for readers or the writer; what it cannot copy now it copies next time.
    database.pragma("wal_checkpoint(PASSIVE)");
  } catch (error) {
    parentPort.postMessage({ error: String(error && error.message || error) });
  }
}, workerData.intervalMs);
parentPort.on("message", () => {
  clearInterval(timer);
  database.close();
  parentPort.close();
});
`;

/**
 * Starts the worker. `onFailure` runs if the worker dies, so the caller can hand checkpoints back to SQLite.
 * The worker never keeps the process alive.
 */
export function startCheckpointer(options: {
  path: string;
  intervalMs: number;
  busyTimeoutMs: number;
  logger: StoreLogger | undefined;
  onFailure: () => void;
}): Checkpointer {
  const driverPath = createRequire(import.meta.url).resolve("better-sqlite3");
  const worker = new Worker(workerSource, {
    eval: true,
    // The worker runs plain JavaScript: it needs none of the parent's loaders (tsx in tests) or flags.
    execArgv: [],
    workerData: {
      driverPath,
      path: options.path,
      intervalMs: options.intervalMs,
      busyTimeoutMs: options.busyTimeoutMs,
    },
  });
  worker.unref();
  let stopping = false;
  let lastReport = 0;
  worker.on("message", (message: { error?: string }) => {
    // A locked or busy database makes a checkpoint fail now and then; say so at most once a minute.
    const now = Date.now();
    if (now - lastReport < 60_000) return;
    lastReport = now;
    options.logger?.warn({ backend: "sqlite", error: message.error }, "a background WAL checkpoint failed");
  });
  let failure: unknown;
  worker.once("error", (error) => {
    failure = error;
  });
  const exited = new Promise<void>((resolve) => {
    worker.once("exit", (code) => {
      resolve();
      if (stopping) return;
      options.logger?.warn(
        { backend: "sqlite", code, error: describeError(failure) },
        "the WAL checkpoint worker stopped; SQLite checkpoints on the main thread again",
      );
      options.onFailure();
    });
  });
  return {
    async stop() {
      if (stopping) return exited;
      stopping = true;
      worker.postMessage("stop");
      const timer = setTimeout(() => void worker.terminate(), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
