// The SQLite store's worker thread: it writes the request log's batches and checkpoints the WAL, so neither a
// batch's transaction nor a checkpoint's fsync runs on the event loop (measured before it took the writes:
// the batch transactions were 12% of the gateway's main thread at peak load; a checkpoint on the main
// thread stalled every request for ~10 ms each time the WAL filled).

import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import Database from "better-sqlite3";
import { SlmkitError } from "../errors.js";
import type { Logger } from "../types.js";
import type { RequestValues } from "./queries/request-log.js";
import { sqliteDialect } from "./sql/dialect.js";
import { batchInsertSql } from "./sql/sql.js";
import { describeError } from "./write-queue.js";

export interface SqliteWorker {
  /** False once the worker has died or been stopped: writes then belong on the main thread again. */
  isRunning(): boolean;
  /**
   * Inserts the rows in one transaction on the worker; resolves once they are committed. Rejects with the
   * worker's error rebuilt as a `SqliteError` with SQLite's `code` (so the caller classifies it as it would
   * on the main thread), or with a STORE_UNAVAILABLE `SlmkitError` if the worker died first.
   */
  writeRequests(rows: readonly RequestValues[]): Promise<void>;
  /** Asks the worker to finish the batches sent so far, close its connection and exit; resolves when it has. */
  stop(): Promise<void>;
  /** Kills the worker as a crash would, without letting it finish. For tests of the fallback. */
  terminate(): Promise<void>;
}

/**
 * One INSERT of a fixed number of rows. A batch is cut into the largest of these that fit, in the order
 * given, so the list runs from the largest to a one-row INSERT, which covers any remainder.
 */
export interface ChunkedInsert {
  rows: number;
  sql: string;
}

/**
 * Rows per INSERT, largest first: at most 5 statements are ever prepared. Measured on the worker at 20,000
 * log rows/s, 16-row INSERTs took ~1 µs less CPU per row than one-row INSERTs (10.7 to 9.7 µs); in memory,
 * where the disk's share is gone, 16 rows a statement cost less than 32 or 64, and 128 clearly more. 16
 * request rows bind 336 values, far below SQLite's limit of 32,766.
 */
const insertChunkRows = [16, 8, 4, 2, 1];

/**
 * The INSERTs that write rows of `columns` into `table`, 16 rows at a time down to 1, each ending with
 * `conflictClause` (e.g. "ON CONFLICT (id) DO NOTHING"). Both the worker and the main thread insert with them,
 * always inside a transaction (see `sqliteDialect.batchInsertVerb`).
 */
export function chunkedInserts(
  table: string,
  columns: readonly string[],
  conflictClause: string,
): ChunkedInsert[] {
  return insertChunkRows.map((rows) => ({
    rows,
    sql: batchInsertSql(sqliteDialect, table, columns, rows, conflictClause),
  }));
}

/** What the worker answers for a batch: its `id`, and the error if the transaction failed. */
interface BatchReply {
  id: number;
  error?: { code: unknown; name: string; message: string };
}

/** What the worker reports when a background checkpoint failed. */
interface CheckpointReply {
  checkpointError: string;
}

// Plain CommonJS run with `eval`, so the worker needs no build step and loads under tsx as well as from dist.
// Messages are handled one at a time, in order: a "stop" sent after batches runs after they are written.
const workerSource = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driverPath);
const database = new Database(workerData.path, { timeout: workerData.busyTimeoutMs });
// Both are settings of the connection, not of the file, and the main connection sets the same. Without the
// first, every commit here would fsync the WAL. Without the second, this connection, which makes nearly
// all commits, would also checkpoint (and fsync) every 4 MB of WAL between its batches: measured, that
// cut the batch write rate from ~80,000 to ~53,000 rows/s. The timer below keeps the WAL short instead.
database.pragma("synchronous = NORMAL");
database.pragma("wal_autocheckpoint = 16384");
// Prepared on first use, and again after a failure: the table exists only once migrate() has run.
const inserts = workerData.inserts.map(({ rows, sql }) => ({ rows, sql, statement: undefined }));
// One statement run per chunk of rows instead of one per row (see chunkedInserts). The driver binds the
// values of each row array passed, in turn.
const insertAll = database.transaction((rows) => {
  let offset = 0;
  for (const insert of inserts) {
    while (rows.length - offset >= insert.rows) {
      if (insert.statement === undefined) insert.statement = database.prepare(insert.sql);
      insert.statement.run(...rows.slice(offset, offset + insert.rows));
      offset += insert.rows;
    }
  }
});
const timer =
  workerData.checkpointIntervalMs > 0
    ? setInterval(() => {
        try {
          // PASSIVE never waits for readers or the writer; what it cannot copy now it copies next time.
          database.pragma("wal_checkpoint(PASSIVE)");
        } catch (error) {
          parentPort.postMessage({ checkpointError: String((error && error.message) || error) });
        }
      }, workerData.checkpointIntervalMs)
    : undefined;
parentPort.on("message", (message) => {
  if (message === "stop") {
    clearInterval(timer);
    database.close();
    parentPort.close();
    return;
  }
  try {
    insertAll(message.rows);
    parentPort.postMessage({ id: message.id });
  } catch (error) {
    const failure = error instanceof Error ? error : new Error(String(error));
    parentPort.postMessage({
      id: message.id,
      error: { code: failure.code, name: failure.name, message: failure.message },
    });
  }
});
`;

/**
 * Starts the worker on the database file at `path` (in WAL mode: the worker's commits are then visible to the
 * main connection's next read). `inserts` (from `chunkedInserts`) are the statements a batch's rows are
 * inserted with. `onFailure` runs if the worker dies, so the caller can hand checkpoints back to SQLite. The
 * worker keeps the process alive only while a batch is in flight.
 */
export function startSqliteWorker(options: {
  path: string;
  checkpointIntervalMs: number;
  busyTimeoutMs: number;
  inserts: readonly ChunkedInsert[];
  logger: Logger | undefined;
  onFailure: () => void;
}): SqliteWorker {
  const driverPath = createRequire(import.meta.url).resolve("better-sqlite3");
  const worker = new Worker(workerSource, {
    eval: true,
    // The worker runs plain JavaScript: it needs none of the parent's loaders (tsx in tests) or flags.
    execArgv: [],
    workerData: {
      driverPath,
      path: options.path,
      checkpointIntervalMs: options.checkpointIntervalMs,
      busyTimeoutMs: options.busyTimeoutMs,
      inserts: options.inserts,
    },
  });
  let running = true;
  let stopping = false;
  let failure: unknown;
  let lastCheckpointReport = 0;
  let nextId = 0;
  const pending = new Map<number, { resolve(): void; reject(error: Error): void }>();

  // An idle worker must not keep the process alive, but a batch in flight must finish: the write queue
  // awaits it, and its rows are already out of the queue's hands. So the worker is ref'd exactly while
  // a batch is pending.
  const settled = (id: number) => {
    const batch = pending.get(id);
    pending.delete(id);
    if (pending.size === 0) worker.unref();
    return batch;
  };

  worker.on("message", (message: BatchReply | CheckpointReply) => {
    if ("checkpointError" in message) {
      // A locked or busy database makes a checkpoint fail now and then; say so at most once a minute.
      const now = Date.now();
      if (now - lastCheckpointReport < 60_000) return;
      lastCheckpointReport = now;
      options.logger?.warn(
        { backend: "sqlite", error: message.checkpointError },
        "a background WAL checkpoint failed",
      );
      return;
    }
    const batch = settled(message.id);
    if (batch === undefined) return;
    if (message.error === undefined) batch.resolve();
    else batch.reject(rebuildError(message.error));
  });

  // After the "message" listener, not before: adding that listener refs the worker's port again, and an
  // idle store would then keep the process alive forever.
  worker.unref();

  const rejectPending = () => {
    if (pending.size === 0) return;
    // Transient on purpose: the rows stay queued and are retried on the main thread. A batch the worker
    // committed just before it died is then inserted again, which `ON CONFLICT (id) DO NOTHING` absorbs.
    const error = new SlmkitError(
      "STORE_UNAVAILABLE",
      "the SQLite worker thread stopped before it confirmed a batch of log rows; they stay queued and are " +
        "written on the main thread.",
      { file: options.path, cause: failure },
    );
    const batches = [...pending.values()];
    pending.clear();
    worker.unref();
    for (const batch of batches) batch.reject(error);
  };

  worker.once("error", (error) => {
    failure = error;
    running = false;
    rejectPending();
  });
  const exited = new Promise<void>((resolve) => {
    worker.once("exit", (code) => {
      running = false;
      rejectPending();
      resolve();
      if (stopping) return;
      options.logger?.warn(
        { backend: "sqlite", code, error: describeError(failure) },
        "the SQLite worker thread stopped; log writes and WAL checkpoints run on the main thread again",
      );
      options.onFailure();
    });
  });

  return {
    isRunning: () => running,

    writeRequests(rows) {
      if (!running) {
        return Promise.reject(
          new SlmkitError("STORE_UNAVAILABLE", "the SQLite worker thread is not running.", {
            file: options.path,
          }),
        );
      }
      const id = nextId;
      nextId += 1;
      return new Promise<void>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        if (pending.size === 1) worker.ref();
        try {
          worker.postMessage({ id, rows });
        } catch (error) {
          // A value that cannot be copied to the worker (a function, a symbol from an untyped caller) is a
          // refused row, as the driver's own TypeError would be on the main thread.
          settled(id);
          reject(error);
        }
      });
    },

    async stop() {
      if (stopping) return exited;
      stopping = true;
      worker.postMessage("stop");
      const timer = setTimeout(() => void worker.terminate(), 5_000);
      await exited;
      clearTimeout(timer);
    },

    async terminate() {
      await worker.terminate();
      await exited;
    },
  };
}

/** The worker's error as the main thread would have seen it, so `isTransient` classifies it the same. */
function rebuildError(reported: { code: unknown; name: string; message: string }): Error {
  if (typeof reported.code === "string") return new Database.SqliteError(reported.message, reported.code);
  const error = new Error(reported.message);
  error.name = reported.name;
  return error;
}
