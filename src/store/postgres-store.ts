// The scale-out Store on Postgres (pg Pool), shared by several gateway replicas; degrades and recovers when
// Postgres goes away: log rows wait in memory, reads fail with STORE_UNAVAILABLE, writes resume when it is back.
// This file holds what only Postgres has: the pool, its transactions, and which of its errors mean "not now".

import type { CustomTypesConfig, PoolClient } from "pg";
import pg from "pg";
import { SlmkitError } from "../errors.js";
import { insertRequestsSql, type RequestValues } from "./queries/request-log.js";
import { postgresDialect } from "./sql/dialect.js";
import { exec, get, type Query, runQueryAsync, type StatementStep } from "./sql/query.js";
import { renderSql, sql } from "./sql/sql.js";
import { createSqlStore, type SqlBackend } from "./sql-store.js";
import type { Store } from "./types.js";
import {
  type BatchedWriteOptions,
  describeError,
  requireInteger,
  resolveBatchedWriteOptions,
} from "./write-queue.js";

export interface PostgresStoreOptions extends BatchedWriteOptions {
  /** e.g. `postgres://user@host:5432/database`. */
  connectionString: string;
  /**
   * Schema holding the tables (created at `migrate()` if missing; set as `search_path` on every connection),
   * so several stores or test runs can share one database. Lowercase letters, digits and "_". Default: the
   * server's search_path (normally `public`).
   */
  schema?: string;
  /** Most connections held open. Default 10. */
  poolSize?: number;
  /** How long, in ms, to wait for a connection before the call fails as STORE_UNAVAILABLE. Default 2,000. */
  connectionTimeoutMs?: number;
  /** How long, in ms, a query may take before it fails (guards against a half-open connection). Default 15,000. */
  queryTimeoutMs?: number;
}

/** Rows per INSERT statement: at 21 parameters a row this stays under Postgres' limit of 65,535 parameters. */
const rowsPerStatement = 1_000;
const schemaPattern = /^[a-z_][a-z0-9_]{0,62}$/;

// BIGINT columns hold ms times and counts, all below 2^53: read them as numbers, for this pool only (the
// global pg.types would change every other pg user in the process).
const int8AsNumber = (value: string): number => Number(value);
const types: CustomTypesConfig = {
  getTypeParser: (id, format) =>
    id === pg.types.builtins.INT8 ? int8AsNumber : pg.types.getTypeParser(id, format),
};

/**
 * True when the error means Postgres cannot be reached or used right now (no connection, shut down, too many
 * clients, a timeout), as opposed to a statement Postgres answered with an error.
 */
function isUnavailable(error: unknown): boolean {
  if (error instanceof pg.DatabaseError) {
    const code = error.code ?? "";
    // 08 connection exception, 53 insufficient resources, 57 operator intervention (shutdown), 58 system
    // error, 28 authorization, 3D000 no such database.
    return /^(08|53|57|58|28)/.test(code) || code === "3D000";
  }
  // Socket errors, connect timeouts and "Connection terminated" carry no SQLSTATE; our own bugs do not count.
  return error instanceof Error && !(error instanceof TypeError) && !(error instanceof RangeError);
}

/** For log writes: only a definite refusal of the rows (bad data, a constraint) drops them; all else retries. */
function isTransientWriteError(error: unknown): boolean {
  if (error instanceof pg.DatabaseError) return !/^(22|23)/.test(error.code ?? "");
  return !(error instanceof TypeError) && !(error instanceof RangeError);
}

/** Where the store points, for messages, without the password. */
function describeTarget(connectionString: string, schema: string | undefined): string {
  let target = "the configured database";
  try {
    const url = new URL(connectionString);
    target = `${url.hostname}:${url.port || "5432"}${url.pathname}`;
  } catch {
    // Not a URL (a key=value string): keep the generic name rather than risk printing a password.
  }
  return schema === undefined ? target : `${target} (schema ${schema})`;
}

/** Creates a Postgres store. No connection is made until the first call; call `migrate()` first. */
export function createPostgresStore(options: PostgresStoreOptions): Store {
  const writeOptions = resolveBatchedWriteOptions(options);
  const poolSize = options.poolSize ?? 10;
  const connectionTimeoutMs = options.connectionTimeoutMs ?? 2_000;
  const queryTimeoutMs = options.queryTimeoutMs ?? 15_000;
  requireInteger("poolSize", poolSize, 1);
  requireInteger("connectionTimeoutMs", connectionTimeoutMs, 1);
  requireInteger("queryTimeoutMs", queryTimeoutMs, 1);
  const schema = options.schema;
  if (schema !== undefined && !schemaPattern.test(schema)) {
    throw new SlmkitError(
      "INVALID_OPTION",
      `schema must be lowercase letters, digits and "_", starting with a letter or "_"; got "${schema}".`,
      { field: "schema" },
    );
  }
  const logger = writeOptions.logger;

  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: poolSize,
    connectionTimeoutMillis: connectionTimeoutMs,
    query_timeout: queryTimeoutMs,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    types,
    // A startup parameter rather than a SET after connecting: no query can run before it takes effect.
    ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
  });
  // Idle connections die when Postgres restarts; without a listener that would crash the process.
  pool.on("error", (error) => {
    logger?.warn({ backend: "postgres", error: describeError(error) }, "an idle Postgres connection failed");
  });
  const backend = createPostgresBackend(pool, schema, describeTarget(options.connectionString, schema));
  return createSqlStore(backend, writeOptions);
}

/** Performs a query's statement on a pooled connection, or on the one a transaction holds. */
async function perform(connection: pg.Pool | PoolClient, step: StatementStep): Promise<unknown> {
  if (step.kind === "exec") {
    await connection.query(step.script);
    return undefined;
  }
  const { text, values } = renderSql(step.statement, postgresDialect);
  const result = await connection.query(text, values);
  if (step.kind === "all") return result.rows;
  if (step.kind === "get") return result.rows[0];
  return { changes: result.rowCount ?? 0 };
}

/**
 * The backend: each statement on any pooled connection (a `together`'s at once), transactions on one
 * connection, and "cannot reach Postgres" turned into STORE_UNAVAILABLE.
 */
function createPostgresBackend(pool: pg.Pool, schema: string | undefined, target: string): SqlBackend {
  let closed = false;
  const closedError = () =>
    new SlmkitError("STORE_UNAVAILABLE", `the Postgres store at ${target} is closed.`);

  const toStoreError = (error: unknown): unknown => {
    if (SlmkitError.isInstance(error) || !isUnavailable(error)) return error;
    return new SlmkitError(
      "STORE_UNAVAILABLE",
      `Postgres at ${target} is not answering (${describeError(error)}). Log rows keep queuing in memory and ` +
        "are written when it is back; reads fail until then. Check that Postgres is running and reachable.",
      { cause: error },
    );
  };

  const performOnPool = async (step: StatementStep): Promise<unknown> => {
    if (closed) throw closedError();
    try {
      return await perform(pool, step);
    } catch (error) {
      throw toStoreError(error);
    }
  };

  /** Runs `work` in a transaction on one connection; a broken connection is discarded, not returned. */
  const transaction = async <T>(work: (client: PoolClient) => Promise<T>): Promise<T> => {
    if (closed) throw closedError();
    let client: PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      throw toStoreError(error);
    }
    // A checked-out client has no pool listener: an unhandled connection error would crash the process.
    let connectionError: Error | undefined;
    const onError = (error: Error) => {
      connectionError = error;
    };
    client.on("error", onError);
    try {
      await client.query("BEGIN");
      const result = await work(client);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      try {
        await client.query("ROLLBACK");
      } catch (rollbackError) {
        connectionError ??= rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      }
      throw toStoreError(error);
    } finally {
      client.removeListener("error", onError);
      client.release(connectionError);
    }
  };

  const run = <T>(query: () => Query<T>) => runQueryAsync(query(), performOnPool, true);
  return {
    dialect: postgresDialect,
    run,
    snapshot: run,
    transaction: <T>(query: () => Query<T>) =>
      transaction((client) => runQueryAsync(query(), (step) => perform(client, step), false)),

    async writeRequests(rows: readonly RequestValues[]) {
      // Each statement is atomic, and its ON CONFLICT makes a retried batch a no-op (see `requestInsert`).
      for (let start = 0; start < rows.length; start += rowsPerStatement) {
        const chunk = rows.slice(start, start + rowsPerStatement);
        await pool.query(insertRequestsSql(postgresDialect, chunk.length), chunk.flat());
      }
    },
    isTransientWriteError,

    *beforeMigrations(): Query<void> {
      // Replicas starting together take turns; the second finds the work done.
      yield* get(sql`SELECT pg_advisory_xact_lock(hashtext(${`slmkit.migrate:${schema ?? ""}`}))`);
      if (schema !== undefined) yield* exec(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    },

    async close() {
      closed = true;
      await pool.end();
    },
  };
}
