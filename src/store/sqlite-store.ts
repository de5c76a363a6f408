// The embedded Store on SQLite (better-sqlite3, WAL): the default, with nothing to set up. This file holds what
// only SQLite has: the connection, its busy waits, transactions run synchronously, and the writer thread.

import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { SlmkitError } from "../errors.js";
import { type RequestValues, requestInsert } from "./queries/request-log.js";
import { sqliteDialect } from "./sql/dialect.js";
import { type Query, runQuerySync, type StatementStep } from "./sql/query.js";
import { renderSql } from "./sql/sql.js";
import { addSqliteFunctions } from "./sql/sqlite-functions.js";
import { createSqlStore, type SqlBackend } from "./sql-store.js";
import { chunkedInserts, type SqliteWorker, startSqliteWorker } from "./sqlite-worker.js";
import type { Store } from "./types.js";
import {
  type BatchedWriteOptions,
  describeError,
  requireInteger,
  resolveBatchedWriteOptions,
} from "./write-queue.js";

export interface SqliteStoreOptions extends BatchedWriteOptions {
  /** Database file (parent folders are created), or ":memory:" for a store that lives with the process. */
  path: string;
  /** How long, in ms, a statement waits for another connection's lock before failing. Default 5,000. */
  busyTimeoutMs?: number;
  /**
   * How often, in ms, a worker thread checkpoints the WAL into the database file, keeping that fsync off the
   * event loop. 0 leaves checkpoints to SQLite, on the thread that commits, and starts no worker (log
   * writes then stay on the main thread too). Default 1,000. Files in WAL mode only.
   */
  checkpointIntervalMs?: number;
  /**
   * Whether the worker thread that checkpoints also writes the `logRequest` batches, keeping their
   * transactions off the event loop. False writes them on the main thread. Reads, and every other write,
   * stay on the main thread either way. Applies only where the worker runs (see `checkpointIntervalMs`);
   * should the worker die, writes move back to the main thread. Default true.
   */
  logWritesOnWorker?: boolean;
}

/**
 * What a SQLite store shows tests about itself, beyond `Store`: not part of the public API.
 * @internal
 */
export interface SqliteStoreInternals {
  /** Rows the worker thread committed, and rows the main thread committed, through the log queue. */
  rowsWrittenByWorker(): number;
  rowsWrittenOnMainThread(): number;
  /** Whether a worker thread is running. */
  workerRunning(): boolean;
  /** Kills the worker as a crash would; resolves once it is gone. */
  terminateWorker(): Promise<void>;
}

const internalsOfStores = new WeakMap<Store, SqliteStoreInternals>();

/**
 * The internals of a store made by `createSqliteStore`, undefined for any other store.
 * @internal
 */
export function sqliteStoreInternals(store: Store): SqliteStoreInternals | undefined {
  return internalsOfStores.get(store);
}

// SQLite result codes that mean "not now" rather than "this row is wrong": the batch is kept and retried.
const transientCodes = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|PROTOCOL|NOMEM)/;

/** The schema is older than this code: true until `migrate()` has run (no table, or a column still missing). */
function isSchemaBehind(error: unknown): boolean {
  return error instanceof Error && /no such table|has no column named/.test(error.message);
}

function isTransient(error: unknown): boolean {
  // The worker thread died with the batch: the main thread writes it on the retry.
  if (SlmkitError.isInstance(error) && error.code === "STORE_UNAVAILABLE") return true;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && transientCodes.test(code)) return true;
  // Rows logged before `migrate()` wait for their table (or, on a database of an older version, their
  // columns) instead of being dropped.
  return isSchemaBehind(error);
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("SQLITE_BUSY");
}

/** Creates a SQLite store. Call `migrate()` before use; rows logged earlier wait in the queue. */
export function createSqliteStore(options: SqliteStoreOptions): Store {
  const writeOptions = resolveBatchedWriteOptions(options);
  const busyTimeoutMs = options.busyTimeoutMs ?? 5_000;
  requireInteger("busyTimeoutMs", busyTimeoutMs, 0);
  const checkpointIntervalMs = options.checkpointIntervalMs ?? 1_000;
  requireInteger("checkpointIntervalMs", checkpointIntervalMs, 0);
  const { database, journalMode, inMemory } = openDatabase(options.path, busyTimeoutMs);
  const connection: Connection = { database, path: options.path, busyTimeoutMs, closed: false };

  // The worker opens a connection of its own to the file, so it needs one (":memory:" is private to this
  // connection) and WAL, where its commits do not block this connection's readers.
  let worker: SqliteWorker | undefined;
  if (journalMode === "wal" && checkpointIntervalMs > 0) {
    // SQLite still checkpoints by itself past 64 MB of WAL, should the worker ever fall behind.
    database.pragma("wal_autocheckpoint = 16384");
    worker = startSqliteWorker({
      path: options.path,
      checkpointIntervalMs,
      busyTimeoutMs,
      inserts: requestInserts,
      logger: writeOptions.logger,
      onFailure: () => {
        if (!connection.closed) database.pragma("wal_autocheckpoint = 1000");
      },
    });
  } else if (!inMemory && journalMode !== "wal") {
    writeOptions.logger?.warn(
      { backend: "sqlite", path: options.path, journalMode },
      "SQLite could not switch to WAL mode (is the file on a network file system?); readers will block writes",
    );
  }
  const writer = options.logWritesOnWorker === false ? undefined : worker;
  // While the worker writes the log, this connection's own writes (spend, reviews, feedback, keys) would
  // otherwise wait for its lock inside SQLite's busy handler, which sleeps on the event loop (measured at
  // 20,000 log rows/s: 2.6% of spend writes stalled every request for 1 ms or more, up to 33 ms). So this
  // connection does not wait in SQLite: a statement that finds the database busy is retried after a timer,
  // with the event loop free meanwhile, for up to `busyTimeoutMs` in all (see `retryWhileBusy`).
  if (writer !== undefined) database.pragma("busy_timeout = 0");

  const backend = createSqliteBackend(connection, writer, worker);
  const store = createSqlStore(backend, writeOptions);
  internalsOfStores.set(store, backend.internals);
  return store;
}

/** The connection and what the backend's parts share about it. */
interface Connection {
  database: Database.Database;
  path: string;
  busyTimeoutMs: number;
  /** Set once the store has closed: later calls fail as STORE_UNAVAILABLE. */
  closed: boolean;
}

/** Opens the file (creating its folder) in WAL mode, with the functions the queries need. */
function openDatabase(
  path: string,
  busyTimeoutMs: number,
): { database: Database.Database; journalMode: unknown; inMemory: boolean } {
  const inMemory = path === ":memory:" || path === "";
  if (!inMemory) {
    try {
      mkdirSync(dirname(path), { recursive: true });
    } catch (error) {
      throw new SlmkitError(
        "IO_ERROR",
        `cannot create the folder of the SQLite store ${path}: ${(error as Error).message}.`,
        { file: path, cause: error },
      );
    }
  }
  try {
    const database = new Database(path, { timeout: busyTimeoutMs });
    // WAL lets readers run beside the writer; NORMAL is durable across a process crash in WAL mode and
    // only an OS crash can lose the last commits, which is the right trade for a request log.
    const journalMode = database.pragma("journal_mode = WAL", { simple: true });
    database.pragma("synchronous = NORMAL");
    addSqliteFunctions(database);
    return { database, journalMode, inMemory };
  } catch (error) {
    throw new SlmkitError(
      "IO_ERROR",
      `cannot open the SQLite store ${path}: ${(error as Error).message}. ` +
        "Check that the path is a writable file (or ':memory:').",
      { file: path, cause: error },
    );
  }
}

/** The log's INSERTs of 16 rows down to one, as both the worker and the main thread write batches. */
const requestInserts = chunkedInserts(
  requestInsert.table,
  requestInsert.columns,
  requestInsert.conflictClause,
);

/**
 * The backend: queries run synchronously on the one connection (a transaction whole, so nothing else runs on
 * the connection mid-transaction), log batches go to the worker while it runs and to this thread otherwise.
 */
function createSqliteBackend(
  connection: Connection,
  writer: SqliteWorker | undefined,
  worker: SqliteWorker | undefined,
): SqlBackend & { internals: SqliteStoreInternals } {
  const { database } = connection;
  const { perform, prepared } = statementPerformer(database);
  const inTransaction = database.transaction((work: () => unknown) => work());
  const retrying = <T>(action: () => T) => retryWhileBusy(connection, writer !== undefined, action);

  // As the worker inserts a batch (see sqlite-worker.ts), for when it does not run.
  const insertOnMainThread = database.transaction((rows: readonly RequestValues[]) => {
    let offset = 0;
    for (const insert of requestInserts) {
      while (rows.length - offset >= insert.rows) {
        prepared(insert.sql).run(...rows.slice(offset, offset + insert.rows));
        offset += insert.rows;
      }
    }
  });
  let rowsWrittenByWorker = 0;
  let rowsWrittenOnMainThread = 0;

  return {
    dialect: sqliteDialect,
    run: <T>(query: () => Query<T>) => retrying(() => runQuerySync(query(), perform)),
    snapshot: <T>(query: () => Query<T>) =>
      retrying(() => inTransaction.deferred(() => runQuerySync(query(), perform)) as T),
    transaction: <T>(query: () => Query<T>) =>
      retrying(() => inTransaction.immediate(() => runQuerySync(query(), perform)) as T),

    async writeRequests(rows) {
      if (writer?.isRunning()) {
        await writer.writeRequests(rows);
        rowsWrittenByWorker += rows.length;
        return;
      }
      insertOnMainThread(rows);
      rowsWrittenOnMainThread += rows.length;
    },
    isTransientWriteError: isTransient,

    async close() {
      connection.closed = true;
      // Only now: the queue's last batches went through the worker, which finishes them before it stops.
      await worker?.stop();
      database.close();
    },

    internals: {
      rowsWrittenByWorker: () => rowsWrittenByWorker,
      rowsWrittenOnMainThread: () => rowsWrittenOnMainThread,
      workerRunning: () => worker?.isRunning() ?? false,
      terminateWorker: async () => worker?.terminate(),
    },
  };
}

/**
 * Performs a query's statements on the connection. Each SQL text is prepared once, on first use (tables exist
 * only after `migrate()`), and kept: the queries render a fixed statement to the same text every time.
 */
function statementPerformer(database: Database.Database) {
  const statements = new Map<string, Database.Statement>();
  const prepared = (text: string): Database.Statement => {
    let found = statements.get(text);
    if (found === undefined) {
      found = database.prepare(text);
      statements.set(text, found);
    }
    return found;
  };
  const perform = (step: StatementStep): unknown => {
    if (step.kind === "exec") {
      database.exec(step.script);
      return undefined;
    }
    const { text, values } = renderSql(step.statement, sqliteDialect);
    const statement = prepared(text);
    if (step.kind === "all") return statement.all(values);
    if (step.kind === "get") return statement.get(values);
    return { changes: statement.run(values).changes };
  };
  return { perform, prepared };
}

/** Runs a read or a direct write once, turning "closed" and "locked" into a clear STORE_UNAVAILABLE. */
function runOnce<T>(connection: Connection, action: () => T, giveUp: boolean): T {
  if (connection.closed) {
    throw new SlmkitError("STORE_UNAVAILABLE", `the SQLite store ${connection.path} is closed.`);
  }
  try {
    return action();
  } catch (error) {
    if (!giveUp && isBusy(error)) throw error;
    if (isTransient(error) && !isSchemaBehind(error)) {
      throw new SlmkitError(
        "STORE_UNAVAILABLE",
        `the SQLite store ${connection.path} cannot be used now (${describeError(error)}). ` +
          "Another process may hold a long lock, or the disk may be full or read-only.",
        { file: connection.path, cause: error },
      );
    }
    throw error;
  }
}

/**
 * Runs a read or a direct write. When `waitsOffLoop` (the worker holds the write lock often, see
 * `createSqliteStore`), a busy database is retried after 1, 2, 4 … 25 ms timers until `busyTimeoutMs` has
 * passed; otherwise SQLite's own busy handler waits. A transaction that finds it busy was rolled back whole
 * and runs again whole.
 */
async function retryWhileBusy<T>(connection: Connection, waitsOffLoop: boolean, action: () => T): Promise<T> {
  if (!waitsOffLoop) return runOnce(connection, action, true);
  const deadline = Date.now() + connection.busyTimeoutMs;
  let delayMs = 1;
  for (;;) {
    const last = Date.now() >= deadline;
    try {
      return runOnce(connection, action, last);
    } catch (error) {
      if (last || !isBusy(error)) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    delayMs = Math.min(delayMs * 2, 25);
  }
}
