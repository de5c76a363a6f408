// The Store's range reads (list, summary, shadow results, labelled requests) and the migrations of an old
// schema (version 2's columns, version 3's key roles), run against the real SQLite and the real Postgres.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, type TestContext, test } from "node:test";
import Database from "better-sqlite3";
import pg from "pg";
import { SlmkitError } from "../../src/errors.js";
import { generateApiKey } from "../../src/store/api-keys.js";
import { createStore } from "../../src/store/index.js";
import { migrationsTableSql, postgresMigrations, sqliteMigrations } from "../../src/store/migrations.js";
import { createSqliteStore } from "../../src/store/sqlite-store.js";
import type { RequestLogEntry, ShadowResult, Store } from "../../src/store/types.js";
import type { AnsweredBy } from "../../src/types.js";
import {
  dropPostgresSchemas,
  postgresUrl,
  probePostgres,
  requireService,
  testSchemaName,
} from "../helpers/services.js";

interface BackendUnderTest {
  /** Opens a store on this test's database; each call sees the same data. */
  open(options?: { retryInitialDelayMs?: number; retryMaxDelayMs?: number }): Store;
  /**
   * Creates the database at schema version 1 (as released) holding one request row written in v1's columns,
   * then runs `script` (statements of v1's shape, values written in).
   */
  createVersionOne(row: RequestLogEntry, script?: string): Promise<void>;
  /** Versions recorded in schema_migrations. */
  appliedVersions(): Promise<number[]>;
}

const hour = 3_600_000;
/** A Monday 00:00 UTC: hour buckets start on it. */
const base = Date.UTC(2025, 0, 6);

/** A v1-shaped row: no unknownShare, no inputChars. */
function entry(overrides: Partial<RequestLogEntry> = {}): RequestLogEntry {
  return {
    id: randomUUID(),
    useCaseId: "support",
    apiKeyId: null,
    createdAt: base,
    inputHash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    inputText: "my parcel never arrived",
    answeredBy: "slm",
    reason: "confidence 0.93 >= threshold 0.79",
    label: "shipping",
    confidence: 0.93,
    threshold: 0.79,
    slmLabel: "shipping",
    slmConfidence: 0.93,
    llmLabel: null,
    latencyMs: 1,
    inputTokens: 0,
    outputTokens: 0,
    costUsd: 0,
    modelVersion: "v1",
    ...overrides,
  };
}

/** What a row logged without the version-2 fields reads back as. */
function stored(item: RequestLogEntry): RequestLogEntry {
  return { ...item, unknownShare: item.unknownShare ?? null, inputChars: item.inputChars ?? null };
}

async function openStore(t: TestContext, backend: BackendUnderTest): Promise<Store> {
  const store = backend.open();
  t.after(() => store.close());
  await store.migrate();
  return store;
}

async function logAll(store: Store, items: readonly RequestLogEntry[]): Promise<void> {
  for (const item of items) store.logRequest(item);
  await store.flush();
}

function isInvalidInput(field: string) {
  return (error: unknown) =>
    SlmkitError.isInstance(error) && error.code === "INVALID_INPUT" && error.field === field;
}

function shadow(overrides: Partial<ShadowResult> = {}): ShadowResult {
  return {
    requestId: randomUUID(),
    useCaseId: "support",
    slmLabel: "shipping",
    llmLabel: "shipping",
    outcome: "agreed",
    modelVersion: "v1",
    createdAt: base,
    ...overrides,
  };
}

function queriesContract(name: string, factory: () => Promise<BackendUnderTest>, skip?: string): void {
  describe(`Store range reads: ${name}`, { skip }, () => {
    test("rows logged without unknownShare and inputChars read back with null; given ones read back exact", async (t) => {
      const store = await openStore(t, await factory());
      const without = entry({ createdAt: base });
      const withSignals = entry({ createdAt: base + 1, unknownShare: 0.375, inputChars: 23 });
      const explicitNull = entry({ createdAt: base + 2, unknownShare: null, inputChars: null });
      // Malformed signals cost neither the row nor the backends' agreement: unknown, and a whole length.
      const malformed = entry({ createdAt: base + 3, unknownShare: Number.NaN, inputChars: 12.5 });
      await logAll(store, [without, withSignals, explicitNull, malformed]);
      assert.deepEqual(await store.getRequest(malformed.id), {
        ...malformed,
        unknownShare: null,
        inputChars: 13,
      });
      assert.equal(store.droppedWrites(), 0);
      assert.deepEqual(await store.getRequest(without.id), stored(without));
      assert.deepEqual(await store.getRequest(withSignals.id), withSignals);
      assert.deepEqual(await store.getRequest(explicitNull.id), explicitNull);
      const listed = await store.listRequests({ order: "oldest" });
      assert.deepEqual(
        listed.map((item) => [item.unknownShare, item.inputChars]),
        [
          [null, null],
          [0.375, 23],
          [null, null],
          [null, 13],
        ],
      );
    });

    test("listRequests filters by use case, range, answeredBy and kept text; newest first unless told", async (t) => {
      const store = await openStore(t, await factory());
      const rows = [
        entry({ id: "a", createdAt: base - 1 }),
        entry({ id: "b", createdAt: base, answeredBy: "llm", inputText: null }),
        entry({ id: "c", createdAt: base + 10, useCaseId: "billing" }),
        entry({ id: "d", createdAt: base + 20, answeredBy: "llm" }),
        entry({ id: "e", createdAt: base + 30 }),
        entry({ id: "f", createdAt: base + 30, answeredBy: "cache", inputText: null }),
      ];
      await logAll(store, rows);
      const ids = async (filter: Parameters<Store["listRequests"]>[0]) =>
        (await store.listRequests(filter)).map((item) => item.id);
      // Ties in createdAt are ordered by id, the same way on every backend.
      assert.deepEqual(await ids(undefined), ["f", "e", "d", "c", "b", "a"]);
      assert.deepEqual(await ids({ order: "oldest" }), ["a", "b", "c", "d", "e", "f"]);
      assert.deepEqual(await ids({ since: base, until: base + 30 }), ["d", "c", "b"], "since in, until out");
      assert.deepEqual(await ids({ useCaseId: "support", since: base }), ["f", "e", "d", "b"]);
      assert.deepEqual(await ids({ answeredBy: "llm" }), ["d", "b"]);
      assert.deepEqual(await ids({ withText: true, useCaseId: "support" }), ["e", "d", "a"]);
      assert.deepEqual(await ids({ withText: false, answeredBy: "cache" }), ["f"]);
      assert.deepEqual(await ids({ useCaseId: "nobody" }), []);
      assert.deepEqual(await store.listRequests({ limit: 1, order: "oldest" }), [
        stored(rows[0] as RequestLogEntry),
      ]);
    });

    test("listRequests returns 1,000 rows by default, any limit up to 100,000, and refuses bad values", async (t) => {
      const store = await openStore(t, await factory());
      const rows = Array.from({ length: 1_005 }, (_, index) => entry({ createdAt: base + index }));
      await logAll(store, rows);
      const page = await store.listRequests();
      assert.equal(page.length, 1_000);
      assert.equal(page[0]?.createdAt, base + 1_004, "newest first");
      assert.equal((await store.listRequests({ limit: 100_000 })).length, 1_005);
      assert.equal((await store.listRequests({ limit: 3 })).length, 3);
      assert.deepEqual(await store.listRequests({ limit: 0 }), []);
      for (const limit of [-1, 1.5, 100_001, Number.NaN, Number.POSITIVE_INFINITY]) {
        await assert.rejects(store.listRequests({ limit }), isInvalidInput("limit"), String(limit));
      }
      await assert.rejects(store.listRequests({ since: Number.NaN }), isInvalidInput("since"));
      await assert.rejects(store.listRequests({ until: Number.POSITIVE_INFINITY }), isInvalidInput("until"));
      await assert.rejects(
        store.listRequests({ answeredBy: "robot" as AnsweredBy }),
        isInvalidInput("answeredBy"),
      );
      await assert.rejects(store.listRequests({ order: "random" as "newest" }), isInvalidInput("order"));
    });

    test("summarizeRequests counts rows into buckets by their first millisecond, within [since, until)", async (t) => {
      const store = await openStore(t, await factory());
      const rows = [
        entry({ createdAt: base - 1, costUsd: 8 }),
        entry({ createdAt: base, answeredBy: "slm" }),
        entry({
          createdAt: base + hour - 1,
          answeredBy: "llm",
          costUsd: 0.25,
          inputTokens: 100,
          outputTokens: 3,
        }),
        entry({ createdAt: base + hour, answeredBy: "cache" }),
        entry({
          createdAt: base + 3 * hour + 5,
          answeredBy: "review",
          label: null,
          costUsd: 0.5,
          inputTokens: 40,
          outputTokens: 0,
        }),
        // An LLM that failed after using tokens still counts as a call.
        entry({ createdAt: base + 3 * hour + 6, answeredBy: "review", inputTokens: 12 }),
        entry({ createdAt: base + 4 * hour, costUsd: 16 }),
        entry({ createdAt: base + hour, useCaseId: "billing", costUsd: 32 }),
      ];
      await logAll(store, rows);
      const summary = await store.summarizeRequests({
        useCaseId: "support",
        since: base,
        until: base + 4 * hour,
      });
      assert.equal(summary.bucketMs, hour);
      assert.deepEqual(
        summary.buckets.map((bucket) => [bucket.start, bucket.requests, bucket.answeredBy, bucket.costUsd]),
        [
          [base, 2, { slm: 1, cache: 0, llm: 1, review: 0 }, 0.25],
          [base + hour, 1, { slm: 0, cache: 1, llm: 0, review: 0 }, 0],
          [base + 3 * hour, 2, { slm: 0, cache: 0, llm: 0, review: 2 }, 0.5],
        ],
      );
      const { totals } = summary;
      assert.equal(totals.requests, 5);
      assert.deepEqual(totals.answeredBy, { slm: 1, cache: 1, llm: 1, review: 2 });
      assert.equal(totals.llmCalls, 3);
      assert.equal(totals.inputTokens, 152);
      assert.equal(totals.outputTokens, 3);
      assert.equal(totals.costUsd, 0.75);
      assert.equal(totals.firstAt, base);
      assert.equal(totals.lastAt, base + 3 * hour + 6);

      const daily = await store.summarizeRequests({ bucketMs: 24 * hour });
      assert.deepEqual(
        daily.buckets.map((bucket) => [bucket.start, bucket.requests]),
        [
          [base - 24 * hour, 1],
          [base, 7],
        ],
      );
      assert.equal(daily.totals.requests, 8);
      assert.equal(daily.totals.costUsd, 56.75);
      assert.equal(daily.bucketMs, 24 * hour);
    });

    test("latency percentiles are nearest rank, for each bucket and for the whole range", async (t) => {
      const store = await openStore(t, await factory());
      // Bucket one: latencies 1..100 in shuffled order; bucket two: 1..10; bucket three: one row.
      const shuffled = Array.from({ length: 100 }, (_, index) => ((index * 37) % 100) + 1);
      const rows = [
        ...shuffled.map((latencyMs, index) => entry({ createdAt: base + index, latencyMs })),
        ...Array.from({ length: 10 }, (_, index) =>
          entry({ createdAt: base + hour + index, latencyMs: 10 - index }),
        ),
        entry({ createdAt: base + 2 * hour, latencyMs: 0.75 }),
      ];
      await logAll(store, rows);
      const summary = await store.summarizeRequests();
      assert.deepEqual(
        summary.buckets.map((bucket) => bucket.latencyMs),
        [
          { p50: 50, p95: 95, p99: 99 },
          { p50: 5, p95: 10, p99: 10 },
          { p50: 0.75, p95: 0.75, p99: 0.75 },
        ],
      );
      // 111 values sorted: 0.75, 1, 1, 2, 2, ..., 10, 10, 11, ..., 100; ranks 56, 106 and 110.
      assert.deepEqual(summary.totals.latencyMs, { p50: 45, p95: 95, p99: 99 });
      const firstHour = await store.summarizeRequests({ since: base, until: base + hour });
      assert.deepEqual(firstHour.totals.latencyMs, { p50: 50, p95: 95, p99: 99 });
    });

    test("an empty range summarizes to zeros, no buckets and null latency", async (t) => {
      const store = await openStore(t, await factory());
      await logAll(store, [entry({ createdAt: base })]);
      const summary = await store.summarizeRequests({ since: base + 1 });
      assert.deepEqual(summary, {
        totals: {
          requests: 0,
          answeredBy: { slm: 0, cache: 0, llm: 0, review: 0 },
          llmCalls: 0,
          inputTokens: 0,
          outputTokens: 0,
          costUsd: 0,
          latencyMs: null,
          feedback: { n: 0, correct: 0, slm: { n: 0, correct: 0 } },
          shadow: { agreed: 0, disagreed: 0, unsure: 0, failed: 0 },
          reviewOpen: 0,
          firstAt: null,
          lastAt: null,
        },
        buckets: [],
        bucketMs: hour,
      });
      for (const bucketMs of [0, 999, 1.5 * hour + 0.5, -hour]) {
        await assert.rejects(
          store.summarizeRequests({ bucketMs }),
          isInvalidInput("bucketMs"),
          String(bucketMs),
        );
      }
    });

    test("feedback accuracy joins the latest feedback of each request of the range to what was served", async (t) => {
      const store = await openStore(t, await factory());
      const corrected = entry({ id: "corrected", createdAt: base, answeredBy: "slm", label: "shipping" });
      const wrong = entry({ id: "wrong", createdAt: base + 1, answeredBy: "llm", label: "billing" });
      const unanswered = entry({ id: "unanswered", createdAt: base + 2, answeredBy: "review", label: null });
      const slmWrong = entry({ id: "slm-wrong", createdAt: base + 3, answeredBy: "slm", label: "refund" });
      const outside = entry({ id: "outside", createdAt: base + 2 * hour, label: "shipping" });
      const otherUseCase = entry({ id: "other", createdAt: base, useCaseId: "billing", label: "x" });
      await logAll(store, [corrected, wrong, unanswered, slmWrong, outside, otherUseCase]);
      // A user says wrong, a reviewer later says right: the reviewer's word wins (and the reverse for slm-wrong).
      await store.addFeedback({
        requestId: "corrected",
        correct: "billing",
        source: "user",
        createdAt: base + 10,
      });
      await store.addFeedback({
        requestId: "corrected",
        correct: "shipping",
        source: "review",
        createdAt: base + 20,
      });
      await store.addFeedback({
        requestId: "slm-wrong",
        correct: "refund",
        source: "user",
        createdAt: base + 10,
      });
      await store.addFeedback({
        requestId: "slm-wrong",
        correct: "billing",
        source: "review",
        createdAt: base + 20,
      });
      await store.addFeedback({
        requestId: "wrong",
        correct: "refund",
        source: "user",
        createdAt: base + 10,
      });
      await store.addFeedback({
        requestId: "unanswered",
        correct: "refund",
        source: "review",
        createdAt: base + 10,
      });
      await store.addFeedback({
        requestId: "outside",
        correct: "shipping",
        source: "user",
        createdAt: base + 10,
      });
      await store.addFeedback({ requestId: "other", correct: "x", source: "user", createdAt: base + 10 });
      await store.addFeedback({
        requestId: "never-logged",
        correct: "x",
        source: "user",
        createdAt: base + 10,
      });
      // First fewer requests than feedback rows, then more: a backend may join from either side.
      for (const unrated of [0, 30]) {
        const extra = Array.from({ length: unrated }, (_, index) => entry({ createdAt: base + 100 + index }));
        await logAll(store, extra);
        const summary = await store.summarizeRequests({
          useCaseId: "support",
          since: base,
          until: base + hour,
        });
        assert.deepEqual(summary.totals.feedback, { n: 4, correct: 1, slm: { n: 2, correct: 1 } });
        const everything = await store.summarizeRequests();
        assert.deepEqual(everything.totals.feedback, { n: 6, correct: 3, slm: { n: 4, correct: 3 } });
      }
    });

    test("shadow outcomes count the latest result of each request of the range; open reviews of the range count", async (t) => {
      const store = await openStore(t, await factory());
      const now = Date.now();
      const rows = Array.from({ length: 6 }, (_, index) =>
        entry({ id: `r${index}`, createdAt: now - 1_000 + index }),
      );
      const old = entry({ id: "old", createdAt: now - 48 * hour });
      await logAll(store, [...rows, old]);
      const outcomes = ["agreed", "agreed", "disagreed", "unsure", "failed"] as const;
      for (const [index, outcome] of outcomes.entries()) {
        await store.addShadowResult(shadow({ requestId: `r${index}`, outcome, createdAt: now }));
      }
      // A retried comparison: its later outcome replaces the failed one.
      await store.addShadowResult(
        shadow({ requestId: "r5", outcome: "failed", llmLabel: null, createdAt: now }),
      );
      await store.addShadowResult(shadow({ requestId: "r5", outcome: "disagreed", createdAt: now + 1 }));
      await store.addShadowResult(shadow({ requestId: "old", outcome: "agreed", createdAt: now }));
      await store.addShadowResult(shadow({ requestId: "unknown", outcome: "agreed", createdAt: now }));

      const review = (requestId: string, useCaseId = "support") =>
        store.enqueueReview({
          requestId,
          useCaseId,
          inputText: "where is it",
          slmLabel: null,
          slmConfidence: null,
          llmLabel: null,
          reason: "llm timed out",
        });
      const open = await review("r3");
      await review("r4");
      const resolved = await review("r5");
      await review("r0", "billing");
      await store.resolveReview(resolved.id, "shipping");

      // First fewer requests than shadow rows, then more: a backend may join from either side.
      for (const unshadowed of [0, 30]) {
        const extra = Array.from({ length: unshadowed }, (_, index) =>
          entry({ createdAt: now - 2_000 - index }),
        );
        await logAll(store, extra);
        const summary = await store.summarizeRequests({
          useCaseId: "support",
          since: now - hour,
          until: now + hour,
        });
        assert.deepEqual(summary.totals.shadow, { agreed: 2, disagreed: 2, unsure: 1, failed: 1 });
        assert.equal(summary.totals.reviewOpen, 2);
      }
      const all = await store.summarizeRequests({ since: now - hour, until: now + hour });
      assert.equal(all.totals.reviewOpen, 3);
      const before = await store.summarizeRequests({ useCaseId: "support", until: now - hour });
      assert.deepEqual(before.totals.shadow, { agreed: 1, disagreed: 0, unsure: 0, failed: 0 });
      assert.equal(before.totals.reviewOpen, 0);
      const boundary = await store.summarizeRequests({ useCaseId: "support", until: open.createdAt });
      assert.equal(boundary.totals.reviewOpen, 0, "items created at or after `until` are outside");
      const from = await store.summarizeRequests({ useCaseId: "support", since: open.createdAt });
      assert.equal(from.totals.reviewOpen, 2, "items created at `since` are inside");
    });

    test("shadow results are listed newest first by use case and range, with a limit; bad ones are refused", async (t) => {
      const store = await openStore(t, await factory());
      const results = [
        shadow({ requestId: "a", createdAt: base }),
        shadow({ requestId: "b", createdAt: base + 1, outcome: "disagreed", llmLabel: "billing" }),
        shadow({ requestId: "c", createdAt: base + 1, useCaseId: "billing", modelVersion: null }),
        shadow({ requestId: "d", createdAt: base + 2, outcome: "failed", llmLabel: null }),
      ];
      for (const result of results) await store.addShadowResult(result);
      assert.deepEqual(await store.listShadowResults(), [results[3], results[2], results[1], results[0]]);
      assert.deepEqual(await store.listShadowResults({ useCaseId: "support", since: base + 1 }), [
        results[3],
        results[1],
      ]);
      assert.deepEqual(await store.listShadowResults({ until: base + 1 }), [results[0]]);
      assert.deepEqual(await store.listShadowResults({ limit: 1 }), [results[3]]);
      await assert.rejects(
        store.addShadowResult(shadow({ outcome: "maybe" as "agreed" })),
        isInvalidInput("outcome"),
      );
      await assert.rejects(
        store.addShadowResult(shadow({ createdAt: Number.NaN })),
        isInvalidInput("createdAt"),
      );
      await assert.rejects(store.listShadowResults({ limit: 100_001 }), isInvalidInput("limit"));
      assert.equal((await store.listShadowResults()).length, 4);
    });

    test("labelled requests: text from the log, else the review item, else null; latest feedback only; oldest first", async (t) => {
      const store = await openStore(t, await factory());
      const logged = entry({
        id: "logged",
        inputText: "from the log",
        label: "shipping",
        modelVersion: "v2",
      });
      const reviewedOnly = entry({ id: "private", inputText: null, answeredBy: "review", label: null });
      const bare = entry({ id: "bare", inputText: null, answeredBy: "llm", label: "billing" });
      const billing = entry({ id: "billing", useCaseId: "billing", inputText: "invoice" });
      await logAll(store, [logged, reviewedOnly, bare, billing]);
      const review = (requestId: string, inputText: string) =>
        store.enqueueReview({
          requestId,
          useCaseId: "support",
          inputText,
          slmLabel: null,
          slmConfidence: null,
          llmLabel: null,
          reason: "llm timed out",
        });
      await review("private", "from the review item");
      // The log's text wins over a review item's.
      await review("logged", "stale copy");
      await store.addFeedback({
        requestId: "logged",
        correct: "billing",
        source: "user",
        createdAt: base + 10,
      });
      await store.addFeedback({
        requestId: "private",
        correct: "refund",
        source: "review",
        createdAt: base + 20,
      });
      await store.addFeedback({
        requestId: "bare",
        correct: "billing",
        source: "user",
        createdAt: base + 30,
      });
      await store.addFeedback({
        requestId: "logged",
        correct: "shipping",
        source: "review",
        createdAt: base + 40,
      });
      await store.addFeedback({
        requestId: "billing",
        correct: "invoice",
        source: "user",
        createdAt: base + 50,
      });
      await store.addFeedback({
        requestId: "never-logged",
        correct: "x",
        source: "user",
        createdAt: base + 60,
      });

      const labelled = await store.listLabelledRequests({ useCaseId: "support" });
      assert.deepEqual(labelled, [
        {
          requestId: "private",
          useCaseId: "support",
          text: "from the review item",
          correct: "refund",
          source: "review",
          servedLabel: null,
          answeredBy: "review",
          modelVersion: "v1",
          createdAt: base + 20,
        },
        {
          requestId: "bare",
          useCaseId: "support",
          text: null,
          correct: "billing",
          source: "user",
          servedLabel: "billing",
          answeredBy: "llm",
          modelVersion: "v1",
          createdAt: base + 30,
        },
        {
          requestId: "logged",
          useCaseId: "support",
          text: "from the log",
          correct: "shipping",
          source: "review",
          servedLabel: "shipping",
          answeredBy: "slm",
          modelVersion: "v2",
          createdAt: base + 40,
        },
      ]);
      const ids = async (filter: Parameters<Store["listLabelledRequests"]>[0]) =>
        (await store.listLabelledRequests(filter)).map((row) => row.requestId);
      assert.deepEqual(await ids({}), ["private", "bare", "logged", "billing"]);
      // The range is on feedback time. "logged" was corrected after it, so it belongs to the later range only.
      assert.deepEqual(await ids({ since: base, until: base + 35 }), ["private", "bare"]);
      assert.deepEqual(await ids({ since: base + 35 }), ["logged", "billing"]);
      assert.deepEqual(await ids({ limit: 2 }), ["private", "bare"]);
      await assert.rejects(store.listLabelledRequests({ limit: -5 }), isInvalidInput("limit"));
    });

    test("a version-1 database migrates in place: old rows read back with nulls, rows queued before migrate() wait", async (t) => {
      const backend = await factory();
      const old = entry({ id: "from-v1", createdAt: base, latencyMs: 7 });
      await backend.createVersionOne(old);
      const store = backend.open({ retryInitialDelayMs: 5, retryMaxDelayMs: 20 });
      t.after(() => store.close());
      // Logged before migrate(): the columns do not exist yet, so the row must wait rather than be dropped.
      const early = entry({
        id: "early",
        createdAt: base + 1,
        unknownShare: 0.5,
        inputChars: 12,
        latencyMs: 9,
      });
      store.logRequest(early);
      await new Promise((resolve) => setTimeout(resolve, 60));
      assert.equal(store.pendingWrites(), 1);
      await store.migrate();
      await store.flush();
      assert.deepEqual(await backend.appliedVersions(), [1, 2, 3]);
      assert.equal(store.droppedWrites(), 0);
      assert.deepEqual(await store.getRequest("from-v1"), stored(old));
      assert.deepEqual(await store.getRequest("early"), early);
      const summary = await store.summarizeRequests();
      assert.equal(summary.totals.requests, 2);
      assert.deepEqual(summary.totals.latencyMs, { p50: 7, p95: 9, p99: 9 });
      await store.addShadowResult(shadow({ requestId: "from-v1" }));
      assert.equal((await store.listShadowResults()).length, 1);
      await store.migrate();
      assert.deepEqual(await backend.appliedVersions(), [1, 2, 3]);
    });
    test("a key made before roles existed keeps working as an admin of every use case after migrate", async (t) => {
      const backend = await factory();
      const generated = generateApiKey();
      // A key and a review item as version 1 and 2 wrote them: no role, no scope, text required.
      await backend.createVersionOne(
        entry({ id: "from-v1" }),
        `INSERT INTO api_keys (id, name, key_hash, created_at, revoked_at)
VALUES ('${generated.id}', 'old key', '${generated.hash}', ${base}, NULL);
INSERT INTO review_items (id, request_id, use_case_id, input_text, slm_label, slm_confidence, llm_label, reason,
  status, resolution, created_at, resolved_at)
VALUES ('old-item', 'from-v1', 'support', 'where is my parcel', 'shipping', 0.4, NULL, 'unsure', 'open', NULL,
  ${base}, NULL);`,
      );
      const store = backend.open();
      t.after(() => store.close());
      await store.migrate();
      assert.deepEqual(await backend.appliedVersions(), [1, 2, 3]);
      const record = {
        id: generated.id,
        name: "old key",
        role: "admin",
        useCases: null,
        createdAt: base,
        revokedAt: null,
      };
      assert.deepEqual(await store.verifyApiKey(generated.key), record);
      assert.deepEqual(await store.listApiKeys(), [record]);
      const [item] = await store.listReview();
      assert.equal(item?.inputText, "where is my parcel");
      // Items may keep no text now, and are still listed in arrival order.
      const textless = await store.enqueueReview({
        requestId: "new",
        useCaseId: "support",
        inputText: null,
        slmLabel: "billing",
        slmConfidence: 0.3,
        llmLabel: null,
        reason: "unsure",
      });
      assert.deepEqual(
        (await store.listReview()).map((each) => [each.id, each.inputText]),
        [
          ["old-item", "where is my parcel"],
          [textless.id, null],
        ],
      );
      // New keys are clients unless told otherwise.
      const created = await store.createApiKey("new key");
      assert.equal(created.record.role, "client");
      assert.deepEqual(await store.verifyApiKey(created.key), created.record);
    });
  });
}

/** The columns of schema version 1, in order, and a row's values for them. */
const versionOneColumns = [
  "id",
  "use_case_id",
  "api_key_id",
  "created_at",
  "input_hash",
  "input_text",
  "answered_by",
  "reason",
  "label",
  "confidence",
  "threshold",
  "slm_label",
  "slm_confidence",
  "llm_label",
  "latency_ms",
  "input_tokens",
  "output_tokens",
  "cost_usd",
  "model_version",
];

function versionOneValues(row: RequestLogEntry): (string | number | null)[] {
  return [
    row.id,
    row.useCaseId,
    row.apiKeyId,
    row.createdAt,
    row.inputHash,
    row.inputText,
    row.answeredBy,
    row.reason,
    row.label,
    row.confidence,
    row.threshold,
    row.slmLabel,
    row.slmConfidence,
    row.llmLabel,
    row.latencyMs,
    row.inputTokens,
    row.outputTokens,
    row.costUsd,
    row.modelVersion,
  ];
}

const temporaryRoot = mkdtempSync(join(tmpdir(), "slmkit-queries-"));
after(() => rmSync(temporaryRoot, { recursive: true, force: true }));

function sqliteBackend(): BackendUnderTest {
  const path = join(temporaryRoot, randomUUID(), "store.db");
  const readVersions = (): number[] => {
    const database = new Database(path, { readonly: true });
    try {
      return (
        database.prepare("SELECT version FROM schema_migrations ORDER BY version").all() as {
          version: number;
        }[]
      ).map((row) => row.version);
    } finally {
      database.close();
    }
  };
  return {
    open: (options = {}) => createSqliteStore({ path, ...options }),
    async createVersionOne(row, script) {
      mkdirSync(dirname(path), { recursive: true });
      const database = new Database(path);
      try {
        const versionOne = sqliteMigrations[0];
        assert.equal(versionOne?.version, 1);
        database.exec(migrationsTableSql);
        database.exec(versionOne.sql);
        database
          .prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (1, ?, ?)")
          .run(versionOne.name, Date.now());
        database
          .prepare(
            `INSERT INTO requests (${versionOneColumns.join(", ")}) VALUES (${versionOneColumns.map(() => "?").join(", ")})`,
          )
          .run(versionOneValues(row));
        if (script !== undefined) database.exec(script);
      } finally {
        database.close();
      }
    },
    appliedVersions: async () => readVersions(),
  };
}

queriesContract("sqlite", async () => sqliteBackend());

const postgres = await requireService("postgres", () => probePostgres());
const schemas: string[] = [];
after(() => dropPostgresSchemas(schemas));

async function withClient<T>(schema: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: postgresUrl() });
  client.on("error", () => {});
  await client.connect();
  try {
    await client.query(`SET search_path TO "${schema}"`);
    return await work(client);
  } finally {
    await client.end();
  }
}

function postgresBackend(): BackendUnderTest {
  const schema = testSchemaName("slmkit_queries");
  schemas.push(schema);
  return {
    open: (options = {}) =>
      createStore({ kind: "postgres", connectionString: postgresUrl(), schema, ...options }),
    async createVersionOne(row, script) {
      await withClient(schema, async (client) => {
        const versionOne = postgresMigrations[0];
        assert.equal(versionOne?.version, 1);
        await client.query(`CREATE SCHEMA "${schema}"`);
        await client.query(migrationsTableSql);
        await client.query(versionOne.sql);
        await client.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES (1, $1, $2)", [
          versionOne.name,
          Date.now(),
        ]);
        await client.query(
          `INSERT INTO requests (${versionOneColumns.join(", ")}) ` +
            `VALUES (${versionOneColumns.map((_, index) => `$${index + 1}`).join(", ")})`,
          versionOneValues(row),
        );
        if (script !== undefined) await client.query(script);
      });
    },
    appliedVersions: () =>
      withClient(schema, async (client) => {
        const result = await client.query<{ version: number }>(
          "SELECT version FROM schema_migrations ORDER BY version",
        );
        return result.rows.map((row) => row.version);
      }),
  };
}

queriesContract("postgres", async () => postgresBackend(), postgres.skipReason);
