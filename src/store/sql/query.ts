// A query is a generator that yields its statements and receives their results: one body that a SQLite
// backend runs synchronously (inside one transaction when asked) and a Postgres backend asynchronously.

import type { SqlDialect } from "./dialect.js";
import type { Sql } from "./sql.js";

/** One thing a query asks of the database. */
export type Step =
  /** Every row the statement returns. */
  | { kind: "all"; statement: Sql }
  /** The first row, or undefined. */
  | { kind: "get"; statement: Sql }
  /** A write: how many rows it changed. */
  | { kind: "run"; statement: Sql }
  /** A script of one or more statements without values (a migration). */
  | { kind: "exec"; script: string }
  /** Queries that do not depend on each other: a backend may run them at once. */
  | { kind: "together"; queries: readonly Query<unknown>[] };

/** A query that ends with a `T`. Written as `function* name(…): Query<T> { … yield* get<Row>(sql`…`) … }`. */
export type Query<T> = Generator<Step, T, unknown>;

/** What a write reports. */
export interface RunResult {
  changes: number;
}

// The casts below are where the database's untyped rows become the row types a query names, as a driver's
// own generic `query<Row>()` would do.

export function* all<Row>(statement: Sql): Query<Row[]> {
  return (yield { kind: "all", statement }) as Row[];
}

export function* get<Row>(statement: Sql): Query<Row | undefined> {
  return (yield { kind: "get", statement }) as Row | undefined;
}

export function* run(statement: Sql): Query<RunResult> {
  return (yield { kind: "run", statement }) as RunResult;
}

export function* exec(script: string): Query<void> {
  yield { kind: "exec", script };
}

type Results<Queries extends readonly Query<unknown>[]> = {
  -readonly [Index in keyof Queries]: Queries[Index] extends Query<infer Result> ? Result : never;
};

/**
 * Runs queries that do not depend on each other and answers their results in order: at once on separate
 * connections where the backend has them (Postgres' pool), one after another on one connection otherwise.
 */
export function* together<const Queries extends readonly Query<unknown>[]>(
  ...queries: Queries
): Query<Results<Queries>> {
  return (yield { kind: "together", queries }) as Results<Queries>;
}

/** A statement step, as a backend performs it (`together` is the drivers' own). */
export type StatementStep = Exclude<Step, { kind: "together" }>;

/** Runs a query to its end, performing each statement synchronously; `together` runs its queries in order. */
export function runQuerySync<T>(query: Query<T>, perform: (step: StatementStep) => unknown): T {
  let next = query.next();
  while (next.done !== true) {
    const step = next.value;
    const result =
      step.kind === "together" ? step.queries.map((inner) => runQuerySync(inner, perform)) : perform(step);
    next = query.next(result);
  }
  return next.value;
}

/**
 * Runs a query to its end, awaiting each statement; `together` runs its queries at once when `concurrent`
 * (statements on a pool), else in order (statements on one connection, e.g. in a transaction).
 */
export async function runQueryAsync<T>(
  query: Query<T>,
  perform: (step: StatementStep) => Promise<unknown>,
  concurrent: boolean,
): Promise<T> {
  let next = query.next();
  while (next.done !== true) {
    const step = next.value;
    let result: unknown;
    if (step.kind !== "together") {
      result = await perform(step);
    } else if (concurrent) {
      result = await Promise.all(step.queries.map((inner) => runQueryAsync(inner, perform, true)));
    } else {
      const results: unknown[] = [];
      for (const inner of step.queries) results.push(await runQueryAsync(inner, perform, false));
      result = results;
    }
    next = query.next(result);
  }
  return next.value;
}

/**
 * Where queries run: a backend's connection or pool, with its retries. Each method takes a function that
 * makes the query, so a backend can run it again from the start (SQLite retries a busy transaction whole).
 */
export interface SqlDatabase {
  readonly dialect: SqlDialect;
  /** Runs each statement on its own (no transaction); a `together`'s queries at once where it can. */
  run<T>(query: () => Query<T>): Promise<T>;
  /**
   * Reads that should agree with each other where that is cheap: SQLite reads them in one transaction (one
   * connection, one WAL snapshot). Postgres runs them as `run` does, a `together` on separate connections at
   * once: they may see a row or two apart while writes arrive, and one transaction would run them in turn.
   */
  snapshot<T>(query: () => Query<T>): Promise<T>;
  /** Runs every statement in one transaction: its writes land together or not at all. */
  transaction<T>(query: () => Query<T>): Promise<T>;
}
