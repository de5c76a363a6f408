// The SQL the store's queries are written in: fragments rendered per dialect, and the two ways a query runs.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { postgresDialect, sqliteDialect } from "../../src/store/sql/dialect.js";
import {
  all,
  get,
  type Query,
  run,
  runQueryAsync,
  runQuerySync,
  type StatementStep,
  together,
} from "../../src/store/sql/query.js";
import { batchInsertSql, join, raw, renderSql, type Sql, sql, where } from "../../src/store/sql/sql.js";

describe("SQL fragments", () => {
  test("values become placeholders in order: ? on SQLite, $1 … $n on Postgres, through nested fragments", () => {
    const conditions = [sql`use_case_id = ${"support"}`, sql`created_at >= ${1_000}`];
    const statement = sql`SELECT * FROM requests${where(conditions)} ORDER BY created_at ${raw("DESC")} LIMIT ${10}`;
    assert.deepEqual(renderSql(statement, sqliteDialect), {
      text: "SELECT * FROM requests WHERE use_case_id = ? AND created_at >= ? ORDER BY created_at DESC LIMIT ?",
      values: ["support", 1_000, 10],
    });
    assert.deepEqual(renderSql(statement, postgresDialect), {
      text: "SELECT * FROM requests WHERE use_case_id = $1 AND created_at >= $2 ORDER BY created_at DESC LIMIT $3",
      values: ["support", 1_000, 10],
    });
  });

  test("a value is never spliced into the text, whatever it holds", () => {
    const hostile = "x'; DROP TABLE requests; --";
    const rendered = renderSql(
      sql`SELECT * FROM requests WHERE id = ${hostile} AND label = ${null}`,
      postgresDialect,
    );
    assert.equal(rendered.text, "SELECT * FROM requests WHERE id = $1 AND label = $2");
    assert.deepEqual(rendered.values, [hostile, null]);
  });

  test("no conditions make no WHERE; join puts its separator only between fragments", () => {
    assert.deepEqual(renderSql(sql`SELECT 1${where([])}`, sqliteDialect), { text: "SELECT 1", values: [] });
    assert.deepEqual(renderSql(join([], ", "), sqliteDialect), { text: "", values: [] });
    assert.deepEqual(renderSql(join([sql`${1}`, raw("b"), sql`c = ${2}`], ", "), postgresDialect), {
      text: "$1, b, c = $2",
      values: [1, 2],
    });
  });

  test("a fixed statement renders to the same string every time, per dialect, with this call's values", () => {
    const statement = (id: string): Sql => sql`SELECT * FROM review_items WHERE id = ${id}`;
    const first = renderSql(statement("a"), sqliteDialect);
    const second = renderSql(statement("b"), sqliteDialect);
    // Rendered once per call site and dialect (SQLite's statement cache then finds the same string object).
    assert.equal(first.text, "SELECT * FROM review_items WHERE id = ?");
    assert.equal(second.text, first.text);
    assert.deepEqual([first.values, second.values], [["a"], ["b"]]);
    assert.equal(renderSql(statement("c"), postgresDialect).text, "SELECT * FROM review_items WHERE id = $1");
  });

  test("a batch INSERT numbers its placeholders row after row, with the dialect's verb", () => {
    assert.equal(
      batchInsertSql(sqliteDialect, "t", ["a", "b"], 2, "ON CONFLICT (a) DO NOTHING"),
      "INSERT OR FAIL INTO t (a, b) VALUES (?, ?), (?, ?) ON CONFLICT (a) DO NOTHING",
    );
    assert.equal(
      batchInsertSql(postgresDialect, "t", ["a", "b"], 3, "ON CONFLICT (a) DO NOTHING"),
      "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4), ($5, $6) ON CONFLICT (a) DO NOTHING",
    );
  });

  test("the dialects differ in what they say they differ in", () => {
    assert.equal(
      renderSql(sql`ORDER BY created_at, ${sqliteDialect.insertionOrder}`, sqliteDialect).text,
      "ORDER BY created_at, rowid",
    );
    assert.equal(
      renderSql(sql`ORDER BY created_at, ${postgresDialect.insertionOrder}`, postgresDialect).text,
      "ORDER BY created_at, seq",
    );
  });
});

/** A fake database: answers each statement with its rendered text, and records the order statements ran in. */
function recorder() {
  const log: string[] = [];
  const answer = (step: StatementStep): unknown => {
    if (step.kind === "exec") return undefined;
    const { text } = renderSql(step.statement, postgresDialect);
    log.push(`start ${text}`);
    if (step.kind === "run") return { changes: 1 };
    return step.kind === "get" ? { text } : [{ text }];
  };
  return { log, answer };
}

function* twoReads(): Query<[string, string, number]> {
  const first = yield* get<{ text: string }>(sql`SELECT ${1}`);
  const [second, changes] = yield* together(
    all<{ text: string }>(sql`SELECT ${2}`),
    run(sql`UPDATE t SET a = ${3}`),
  );
  return [first?.text ?? "", second[0]?.text ?? "", changes.changes];
}

describe("Running a query", () => {
  test("synchronously: each statement's result goes back into the query, a together's in order", () => {
    const { log, answer } = recorder();
    assert.deepEqual(runQuerySync(twoReads(), answer), ["SELECT $1", "SELECT $1", 1]);
    assert.deepEqual(log, ["start SELECT $1", "start SELECT $1", "start UPDATE t SET a = $1"]);
  });

  test("asynchronously: a together's queries start at once when concurrent, one after another when not", async () => {
    for (const concurrent of [true, false]) {
      const { log, answer } = recorder();
      const perform = async (step: StatementStep) => {
        const result = answer(step);
        await new Promise((resolve) => setTimeout(resolve, 5));
        log.push("end");
        return result;
      };
      assert.deepEqual(await runQueryAsync(twoReads(), perform, concurrent), ["SELECT $1", "SELECT $1", 1]);
      assert.deepEqual(
        log,
        concurrent
          ? ["start SELECT $1", "end", "start SELECT $1", "start UPDATE t SET a = $1", "end", "end"]
          : ["start SELECT $1", "end", "start SELECT $1", "end", "start UPDATE t SET a = $1", "end"],
      );
    }
  });
});
