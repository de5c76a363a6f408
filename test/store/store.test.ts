// One Store contract, run against the real SQLite and the real Postgres, plus what only SQLite promises.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, type TestContext, test } from "node:test";
import Database from "better-sqlite3";
import pg from "pg";
import { SlmkitError } from "../../src/errors.js";
import { createStore } from "../../src/store/index.js";
import { sqliteMigrations } from "../../src/store/migrations.js";
import { requestColumns, requestValues } from "../../src/store/queries/request-log.js";
import {
  createSqliteStore,
  type SqliteStoreInternals,
  sqliteStoreInternals,
} from "../../src/store/sqlite-store.js";
import { chunkedInserts, startSqliteWorker } from "../../src/store/sqlite-worker.js";
import type { RequestLogEntry, Store } from "../../src/store/types.js";
import type { Logger } from "../../src/types.js";
import {
  dropPostgresSchemas,
  postgresUrl,
  probePostgres,
  requireService,
  testSchemaName,
} from "../helpers/services.js";

/** One backend under test, on a database of the test's own. */
interface BackendUnderTest {
  /** Opens a store on this test's database; each call sees the same data. */
  open(): Store;
  /** Reads the key hashes straight from the api_keys table, bypassing the store. */
  storedKeyHashes(): Promise<string[]>;
}

const day = 24 * 60 * 60 * 1000;

function entry(overrides: Partial<RequestLogEntry> = {}): RequestLogEntry {
  return {
    id: randomUUID(),
    useCaseId: "support",
    apiKeyId: "abcdefghijkl",
    createdAt: Date.now(),
    inputHash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    inputText: "my parcel never arrived",
    answeredBy: "slm",
    reason: "confidence 0.93 >= threshold 0.79",
    label: "shipping",
    confidence: 0.9312345678901234,
    threshold: 0.79,
    slmLabel: "shipping",
    slmConfidence: 0.9312345678901234,
    llmLabel: null,
    latencyMs: 0.8125,
    inputTokens: 17,
    outputTokens: 1,
    costUsd: 0.000012345,
    modelVersion: "sha256:0123abcd",
    unknownShare: 0.0625,
    inputChars: 23,
    ...overrides,
  };
}

/** Opens, migrates and schedules the close of a store for one test. */
async function openStore(t: TestContext, backend: BackendUnderTest): Promise<Store> {
  const store = backend.open();
  t.after(() => store.close());
  await store.migrate();
  return store;
}

export function storeContract(name: string, factory: () => Promise<BackendUnderTest>, skip?: string): void {
  describe(`Store contract: ${name}`, { skip }, () => {
    test("migrations are idempotent: migrating twice, and again from a second store, changes nothing", async (t) => {
      const backend = await factory();
      const store = await openStore(t, backend);
      await store.migrate();
      store.logRequest(entry({ id: "kept" }));
      await store.flush();
      const second = await openStore(t, backend);
      assert.equal(await second.countRequests(), 1);
      assert.equal((await second.getRequest("kept"))?.id, "kept");
    });

    test("logs 1,000 rows off the caller's path, then flush writes every one with exact fields", async (t) => {
      const store = await openStore(t, await factory());
      const base = Date.now() - 60_000;
      const entries = Array.from({ length: 1_000 }, (_, index) =>
        entry({ createdAt: base + index, useCaseId: index % 4 === 0 ? "billing" : "support" }),
      );
      const started = performance.now();
      for (const item of entries) store.logRequest(item);
      const loggingMs = performance.now() - started;
      // logRequest only queues: 1,000 calls take well under a millisecond each even on a busy machine.
      assert.ok(loggingMs < 200, `logging 1,000 rows took ${loggingMs.toFixed(1)} ms`);
      await store.flush();
      assert.equal(store.pendingWrites(), 0);
      assert.equal(store.droppedWrites(), 0);
      assert.equal(await store.countRequests(), 1_000);
      assert.equal(await store.countRequests({ useCaseId: "billing" }), 250);
      assert.equal(await store.countRequests({ since: base + 900 }), 100);
      assert.equal(await store.countRequests({ useCaseId: "billing", since: base + 900 }), 25);
      const sample = entries[123] as RequestLogEntry;
      assert.deepEqual(await store.getRequest(sample.id), sample);
      assert.equal(await store.getRequest("no-such-id"), undefined);
    });

    test("keeps nulls as nulls, text null when not stored, and every answeredBy value", async (t) => {
      const store = await openStore(t, await factory());
      const bare = entry({
        apiKeyId: null,
        inputText: null,
        answeredBy: "review",
        label: null,
        confidence: null,
        threshold: null,
        slmLabel: null,
        slmConfidence: null,
        llmLabel: null,
        modelVersion: null,
        unknownShare: null,
        inputChars: null,
        latencyMs: 0,
        inputTokens: 0,
        outputTokens: 0,
        costUsd: 0,
      });
      const escalated = entry({ answeredBy: "llm", llmLabel: "billing", label: "billing", costUsd: 0.0021 });
      const cached = entry({ answeredBy: "cache", inputText: "ünïcödé ✓ 日本語" });
      for (const item of [bare, escalated, cached]) store.logRequest(item);
      await store.flush();
      assert.deepEqual(await store.getRequest(bare.id), bare);
      assert.deepEqual(await store.getRequest(escalated.id), escalated);
      assert.deepEqual(await store.getRequest(cached.id), cached);
    });

    test("a row logged twice under one id is written once, keeping the first", async (t) => {
      const store = await openStore(t, await factory());
      const first = entry({ id: "twice", label: "first" });
      store.logRequest(first);
      store.logRequest(entry({ id: "twice", label: "second" }));
      await store.flush();
      store.logRequest(entry({ id: "twice", label: "third" }));
      await store.flush();
      assert.equal(await store.countRequests(), 1);
      assert.equal((await store.getRequest("twice"))?.label, "first");
    });

    test("a row the database refuses is dropped and counted; the rest of its batch is written", async (t) => {
      const store = await openStore(t, await factory());
      const good = Array.from({ length: 20 }, () => entry());
      const bad = entry({ reason: null as unknown as string });
      for (const item of [...good.slice(0, 10), bad, ...good.slice(10)]) store.logRequest(item);
      await store.flush();
      assert.equal(await store.countRequests(), 20);
      assert.equal(await store.getRequest(bad.id), undefined);
      assert.equal(store.droppedWrites(), 1);
    });

    test("feedback is recorded and listed oldest first, by request and since", async (t) => {
      const store = await openStore(t, await factory());
      await store.addFeedback({ requestId: "r1", correct: "billing", source: "user", createdAt: 1_000 });
      await store.addFeedback({ requestId: "r2", correct: "shipping", source: "user", createdAt: 3_000 });
      await store.addFeedback({ requestId: "r1", correct: "refund", source: "review", createdAt: 2_000 });
      assert.deepEqual(await store.listFeedback({ requestId: "r1" }), [
        { requestId: "r1", correct: "billing", source: "user", createdAt: 1_000 },
        { requestId: "r1", correct: "refund", source: "review", createdAt: 2_000 },
      ]);
      assert.deepEqual(
        (await store.listFeedback({ since: 2_000 })).map((item) => item.correct),
        ["refund", "shipping"],
      );
      assert.equal((await store.listFeedback({ limit: 2 })).length, 2);
    });

    test("review items are queued open, listed, and resolved once with feedback recorded", async (t) => {
      const store = await openStore(t, await factory());
      const first = await store.enqueueReview({
        requestId: "request-1",
        useCaseId: "support",
        inputText: "where is my refund?",
        slmLabel: "billing",
        slmConfidence: 0.41,
        llmLabel: null,
        reason: "llm timed out after 10000 ms",
      });
      assert.match(first.id, /^[0-9a-f-]{36}$/);
      assert.equal(first.status, "open");
      assert.equal(first.resolution, null);
      assert.equal(first.resolvedAt, null);
      const second = await store.enqueueReview({
        requestId: "request-2",
        useCaseId: "clinic",
        inputText: "refill my prescription",
        slmLabel: null,
        slmConfidence: null,
        llmLabel: "refill",
        reason: "over budget",
      });
      assert.deepEqual(await store.listReview(), [first, second]);
      assert.deepEqual(await store.listReview({ useCaseId: "clinic" }), [second]);
      assert.deepEqual(await store.listReview({ limit: 1 }), [first]);

      assert.deepEqual(await store.getReview(second.id), second);
      assert.equal(await store.getReview(randomUUID()), undefined);
      const resolved = await store.resolveReview(first.id, "refund");
      assert.ok(resolved);
      assert.deepEqual(await store.getReview(first.id), resolved, "a resolved item is found too");
      assert.equal(resolved.status, "resolved");
      assert.equal(resolved.resolution, "refund");
      assert.equal(typeof resolved.resolvedAt, "number");
      assert.deepEqual({ ...resolved, status: "open", resolution: null, resolvedAt: null }, first);
      assert.equal(await store.resolveReview(first.id, "billing"), undefined, "resolving twice");
      assert.equal(await store.resolveReview(randomUUID(), "billing"), undefined, "unknown id");

      assert.deepEqual(await store.listReview({ status: "open" }), [second]);
      assert.deepEqual(await store.listReview({ status: "resolved" }), [resolved]);
      const feedback = await store.listFeedback({ requestId: "request-1" });
      assert.deepEqual(feedback, [
        { requestId: "request-1", correct: "refund", source: "review", createdAt: resolved.resolvedAt },
      ]);
    });

    test("API keys: created once, verified in constant time, refused when wrong, malformed or revoked", async (t) => {
      const backend = await factory();
      const store = await openStore(t, backend);
      const { record, key } = await store.createApiKey("ci");
      assert.match(key, /^slmk_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
      assert.equal(key.slice(5, 17), record.id);
      assert.equal(record.name, "ci");
      assert.equal(record.revokedAt, null);
      assert.deepEqual(await store.verifyApiKey(key), record);

      // Only sha256(secret) is stored: neither the key nor its secret appears in the table.
      const hashes = await backend.storedKeyHashes();
      const secret = key.slice(18);
      assert.deepEqual(hashes, [createHash("sha256").update(secret).digest("hex")]);
      assert.notEqual(hashes[0], key);
      assert.ok(!key.includes(hashes[0] as string) && !(hashes[0] as string).includes(secret));

      const lastCharacter = key.at(-1) === "A" ? "B" : "A";
      const wrongSecret = `${key.slice(0, -1)}${lastCharacter}`;
      assert.equal(await store.verifyApiKey(wrongSecret), undefined);
      const unknownId = `slmk_zzzzzzzzzzzz_${secret}`;
      assert.equal(await store.verifyApiKey(unknownId), undefined);
      const malformed = [
        "",
        "slmk_",
        "slmk__",
        `slmk_${record.id}_`,
        `${key}x`,
        ` ${key}`,
        key.toUpperCase(),
        "Bearer whatever",
        randomUUID(),
        "x".repeat(10_000),
        `slmk_${record.id}_${"é".repeat(43)}`,
      ];
      for (const candidate of malformed) {
        assert.equal(await store.verifyApiKey(candidate), undefined, JSON.stringify(candidate.slice(0, 40)));
      }
      for (const notAString of [undefined, null, 42, {}]) {
        assert.equal(await store.verifyApiKey(notAString as unknown as string), undefined);
      }

      const other = await store.createApiKey("dashboard");
      assert.deepEqual(
        (await store.listApiKeys()).map((item) => item.name),
        ["ci", "dashboard"],
      );
      assert.equal(await store.revokeApiKey(record.id), true);
      assert.equal(await store.revokeApiKey(record.id), false, "revoking twice");
      assert.equal(await store.revokeApiKey("nosuchkeyid0"), false);
      assert.equal(await store.verifyApiKey(key), undefined);
      assert.deepEqual(await store.verifyApiKey(other.key), other.record);
      const listed = await store.listApiKeys();
      assert.equal(typeof listed.find((item) => item.id === record.id)?.revokedAt, "number");
    });

    test("API keys carry a role and a use-case scope: client and every use case unless told, checked on create", async (t) => {
      const store = await openStore(t, await factory());
      const plain = await store.createApiKey("plain");
      assert.equal(plain.record.role, "client");
      assert.equal(plain.record.useCases, null);
      const reviewer = await store.createApiKey("support desk", {
        role: "reviewer",
        useCases: ["support", "billing-faq", "support"],
      });
      assert.deepEqual(reviewer.record.useCases, ["support", "billing-faq"], "repeats dropped, order kept");
      const admin = await store.createApiKey("operator", { role: "admin" });
      for (const created of [plain, reviewer, admin])
        assert.deepEqual(await store.verifyApiKey(created.key), created.record);
      assert.deepEqual(
        (await store.listApiKeys()).map((record) => [record.name, record.role, record.useCases]),
        [
          ["plain", "client", null],
          ["support desk", "reviewer", ["support", "billing-faq"]],
          ["operator", "admin", null],
        ],
      );
      const refused = [
        { role: "root" as never },
        { useCases: [] },
        { useCases: ["Support"] },
        { useCases: ["a b"] },
        { role: "admin" as const, useCases: ["support"] },
      ];
      for (const options of refused) {
        await assert.rejects(
          store.createApiKey("bad", options),
          (error: unknown) => {
            return SlmkitError.isInstance(error) && error.code === "INVALID_INPUT";
          },
          JSON.stringify(options),
        );
      }
      assert.equal((await store.listApiKeys()).length, 3, "a refused key is not created");
    });

    test("review items may keep no text, and are listed by a set of use cases", async (t) => {
      const store = await openStore(t, await factory());
      const queued = [];
      for (const useCaseId of ["support", "clinic", "support", "bank"]) {
        queued.push(
          await store.enqueueReview({
            requestId: randomUUID(),
            useCaseId,
            inputText: useCaseId === "clinic" ? null : `text of ${useCaseId}`,
            slmLabel: "x",
            slmConfidence: 0.2,
            llmLabel: null,
            reason: "unsure",
          }),
        );
      }
      assert.equal(queued[1]?.inputText, null);
      assert.deepEqual(await store.getReview(queued[1]?.id as string), queued[1]);
      const ids = async (filter: Parameters<Store["listReview"]>[0]) =>
        (await store.listReview(filter)).map((item) => item.useCaseId);
      assert.deepEqual(await ids({ useCaseIds: ["support", "clinic"] }), ["support", "clinic", "support"]);
      assert.deepEqual(await ids({ useCaseIds: ["bank"] }), ["bank"]);
      assert.deepEqual(await ids({ useCaseIds: [] }), []);
      assert.deepEqual(await ids({ useCaseIds: ["support", "bank"], useCaseId: "bank" }), ["bank"]);
      assert.deepEqual(await ids({ useCaseIds: ["clinic"], useCaseId: "bank" }), []);
    });

    test("spend adds up per scope and UTC day, from the day of `since` on", async (t) => {
      const store = await openStore(t, await factory());
      const dayOne = Date.UTC(2025, 0, 10);
      const dayTwo = dayOne + day;
      await store.addSpend("usecase:support", 0.5, dayOne + 10 * 3_600_000);
      await store.addSpend("usecase:support", 0.25, dayTwo - 1);
      await store.addSpend("usecase:support", 1, dayTwo + 60_000);
      await store.addSpend("key:abc", 7, dayTwo);
      await store.addSpend("usecase:support", 100, dayOne - 1);
      assert.equal(await store.getSpend("usecase:support", dayOne), 1.75);
      // `since` in the middle of day two still counts all of day two.
      assert.equal(await store.getSpend("usecase:support", dayTwo + 12 * 3_600_000), 1);
      assert.equal(await store.getSpend("key:abc", dayOne), 7);
      assert.equal(await store.getSpend("usecase:unknown", 0), 0);
      await store.addSpend("usecase:now", 0.1);
      assert.ok(Math.abs((await store.getSpend("usecase:now", Date.now())) - 0.1) < 1e-12);
      await assert.rejects(store.addSpend("usecase:support", Number.NaN), (error: unknown) => {
        return SlmkitError.isInstance(error) && error.code === "INVALID_INPUT";
      });
    });

    test("purgeText clears stored text older than the cutoff and says how many rows changed", async (t) => {
      const store = await openStore(t, await factory());
      const now = Date.now();
      const old = entry({ createdAt: now - 40 * day });
      const oldToo = entry({ createdAt: now - 31 * day });
      const oldWithoutText = entry({ createdAt: now - 40 * day, inputText: null });
      const recent = entry({ createdAt: now - day });
      for (const item of [old, oldToo, oldWithoutText, recent]) store.logRequest(item);
      await store.flush();
      assert.equal(await store.purgeText(now - 30 * day), 2);
      assert.deepEqual(await store.getRequest(old.id), { ...old, inputText: null });
      assert.deepEqual(await store.getRequest(oldToo.id), { ...oldToo, inputText: null });
      assert.deepEqual(await store.getRequest(recent.id), recent);
      assert.equal(await store.purgeText(now - 30 * day), 0);
      assert.equal(await store.countRequests(), 4);
    });

    test("purgeText clears every copy of old words: log text and records, review text, records and resolutions, record feedback", async (t) => {
      const store = await openStore(t, await factory());
      const now = Date.now();
      const record = '{"name":"Lena","phone":"020 7946 0958"}';
      const oldRecord = entry({
        useCaseId: "bookings",
        createdAt: now - 40 * day,
        inputText: "table for Lena, call 020 7946 0958",
        label: record,
        slmLabel: record,
        llmLabel: record,
      });
      const oldLabel = entry({ createdAt: now - 40 * day, inputText: "refund please", label: "refund" });
      const recent = entry({ useCaseId: "bookings", createdAt: now - day, label: record, slmLabel: record });
      for (const item of [oldRecord, oldLabel, recent]) store.logRequest(item);
      await store.flush();
      const oldItem = await store.enqueueReview({
        requestId: oldRecord.id,
        useCaseId: "bookings",
        inputText: oldRecord.inputText,
        slmLabel: record,
        slmConfidence: 0.4,
        llmLabel: null,
        reason: "unsure",
      });
      const classifyItem = await store.enqueueReview({
        requestId: oldLabel.id,
        useCaseId: "support",
        inputText: "refund please",
        slmLabel: "refund",
        slmConfidence: 0.4,
        llmLabel: "billing",
        reason: "unsure",
      });
      await store.resolveReview(oldItem.id, record);
      await store.resolveReview(classifyItem.id, "refund");
      await store.addFeedback({
        requestId: oldRecord.id,
        correct: record,
        source: "user",
        createdAt: now - 40 * day,
      });
      await store.addFeedback({
        requestId: oldLabel.id,
        correct: "refund",
        source: "user",
        createdAt: now - 40 * day,
      });
      await store.addFeedback({
        requestId: recent.id,
        correct: record,
        source: "user",
        createdAt: now - day,
      });
      // Review items and resolutions are as old as the time they were made: make them old too.
      const cutoff = Date.now() + 1;

      // One use case at a time: the other use case's copies stay.
      assert.equal(await store.purgeText(now - 30 * day, { useCaseId: "support" }), 1);
      assert.equal((await store.getRequest(oldLabel.id))?.inputText, null);
      assert.equal((await store.getRequest(oldRecord.id))?.inputText, oldRecord.inputText);

      const changed = await store.purgeText(cutoff);
      // requests: oldRecord, recent; review items: both (the support one's text); feedback: the three records
      // (two users', and the bookings item's resolution).
      assert.equal(changed, 2 + 2 + 3);
      assert.deepEqual(await store.getRequest(oldRecord.id), {
        ...oldRecord,
        inputText: null,
        label: null,
        slmLabel: null,
        llmLabel: null,
      });
      assert.deepEqual(await store.getRequest(oldLabel.id), { ...oldLabel, inputText: null }, "labels stay");
      const items = await store.listReview();
      assert.deepEqual(
        items.map((item) => [item.inputText, item.slmLabel, item.llmLabel, item.resolution, item.status]),
        [
          [null, null, null, null, "resolved"],
          [null, "refund", "billing", "refund", "resolved"],
        ],
      );
      assert.deepEqual(
        (await store.listFeedback()).map((item) => item.correct),
        ["refund", "refund"],
        "record feedback is deleted; labels and the review's label feedback stay",
      );
      assert.equal(await store.purgeText(cutoff), 0);
    });

    test("two close() calls at once both resolve, and both wait for the queued rows", async (t) => {
      const backend = await factory();
      const store = backend.open();
      await store.migrate();
      for (let index = 0; index < 100; index += 1) store.logRequest(entry());
      await Promise.all([store.close(), store.close()]);
      assert.equal(store.pendingWrites(), 0);
      const reopened = await openStore(t, backend);
      assert.equal(await reopened.countRequests(), 100);
    });

    test("a store's methods are its own: a copy spread to wrap one method, or a method taken alone, still works", async (t) => {
      const store = await openStore(t, await factory());
      const wrapped: Store = { ...store, countRequests: (filter) => store.countRequests(filter) };
      const { logRequest, flush, listRequests } = store;
      logRequest(entry());
      await flush();
      assert.equal(await wrapped.countRequests(), 1);
      assert.equal((await wrapped.listRequests()).length, 1);
      assert.equal((await listRequests()).length, 1);
    });

    test("times with a fraction of a millisecond bound whole-ms columns alike (e.g. `logs purge --days 0.5`)", async (t) => {
      const store = await openStore(t, await factory());
      const at = 1_700_000_000_000;
      const first = entry({ createdAt: at });
      const second = entry({ createdAt: at + 1 });
      for (const item of [first, second]) store.logRequest(item);
      await store.flush();
      await store.addFeedback({ requestId: first.id, correct: "billing", source: "user", createdAt: at });
      await store.addFeedback({ requestId: second.id, correct: "refund", source: "user", createdAt: at + 1 });
      // Times are whole ms, so "at or after at + 0.5" and "before at + 0.5" split the two rows.
      assert.equal(await store.countRequests({ since: at + 0.5 }), 1);
      assert.deepEqual(
        (await store.listFeedback({ since: at + 0.5 })).map((item) => item.correct),
        ["refund"],
      );
      assert.equal(await store.purgeText(at + 0.5), 1);
      assert.deepEqual(await store.getRequest(first.id), { ...first, inputText: null });
      assert.deepEqual(await store.getRequest(second.id), second);
    });

    test("close writes pending rows; a reopened store sees them; later rows are dropped and counted", async (t) => {
      const backend = await factory();
      const store = backend.open();
      await store.migrate();
      const entries = Array.from({ length: 2_500 }, () => entry());
      for (const item of entries) store.logRequest(item);
      await store.close();
      await store.close();
      assert.equal(store.pendingWrites(), 0);
      store.logRequest(entry());
      assert.equal(store.droppedWrites(), 1);
      await assert.rejects(store.countRequests(), (error: unknown) => {
        return SlmkitError.isInstance(error) && error.code === "STORE_UNAVAILABLE";
      });
      const reopened = await openStore(t, backend);
      assert.equal(await reopened.countRequests(), 2_500);
      assert.deepEqual(await reopened.getRequest((entries[2_499] as RequestLogEntry).id), entries[2_499]);
    });

    test("batched write throughput (a figure, not a target)", async (t) => {
      const store = await openStore(t, await factory());
      const rows = 20_000;
      const entries = Array.from({ length: rows }, () => entry());
      const started = performance.now();
      for (const item of entries) store.logRequest(item);
      await store.flush();
      const seconds = (performance.now() - started) / 1_000;
      assert.equal(await store.countRequests(), rows);
      t.diagnostic(`${name}: ${rows} rows in ${seconds.toFixed(3)} s = ${Math.round(rows / seconds)} rows/s`);
    });
  });
}

// SQLite: a fresh file per test.
const temporaryRoot = mkdtempSync(join(tmpdir(), "slmkit-store-"));
after(() => rmSync(temporaryRoot, { recursive: true, force: true }));

function sqliteBackend(): BackendUnderTest {
  const path = join(temporaryRoot, randomUUID(), "store.db");
  return {
    open: () => createSqliteStore({ path }),
    async storedKeyHashes() {
      const database = new Database(path, { readonly: true });
      try {
        return (database.prepare("SELECT key_hash FROM api_keys").all() as { key_hash: string }[]).map(
          (row) => row.key_hash,
        );
      } finally {
        database.close();
      }
    },
  };
}

storeContract("sqlite", async () => sqliteBackend());

/** Counts the log rows through a connection of the test's own, not the store's. */
function countRows(path: string): number {
  const database = new Database(path, { readonly: true });
  try {
    return (database.prepare("SELECT COUNT(*) AS count FROM requests").get() as { count: number }).count;
  } finally {
    database.close();
  }
}

function internalsOf(store: Store): SqliteStoreInternals {
  const internals = sqliteStoreInternals(store);
  assert.ok(internals, "a store made by createSqliteStore has internals");
  return internals;
}

// Postgres: a fresh schema per test, all dropped at the end.
const postgres = await requireService("postgres", () => probePostgres());
const schemas: string[] = [];
after(() => dropPostgresSchemas(schemas));

function postgresBackend(): BackendUnderTest {
  const schema = testSchemaName();
  schemas.push(schema);
  return {
    open: () => createStore({ kind: "postgres", connectionString: postgresUrl(), schema }),
    async storedKeyHashes() {
      const client = new pg.Client({ connectionString: postgresUrl() });
      await client.connect();
      try {
        const result = await client.query<{ key_hash: string }>(`SELECT key_hash FROM "${schema}".api_keys`);
        return result.rows.map((row) => row.key_hash);
      } finally {
        await client.end();
      }
    },
  };
}

storeContract("postgres", async () => postgresBackend(), postgres.skipReason);

describe("SQLite store only", () => {
  test("runs in WAL mode", async (t) => {
    const path = join(temporaryRoot, "wal-check.db");
    const store = createSqliteStore({ path });
    t.after(() => store.close());
    await store.migrate();
    // Read through a second connection: WAL is a property of the file, so it shows there too.
    const database = new Database(path, { readonly: true });
    try {
      assert.equal(database.pragma("journal_mode", { simple: true }), "wal");
    } finally {
      database.close();
    }
  });

  test("a file-backed store keeps every row across close and reopen", async (t) => {
    const path = join(temporaryRoot, "reopen", "nested", "store.db");
    const first = createSqliteStore({ path });
    await first.migrate();
    const entries = Array.from({ length: 3_000 }, (_, index) =>
      entry({ createdAt: 1_700_000_000_000 + index }),
    );
    for (const item of entries) first.logRequest(item);
    const { key } = await first.createApiKey("kept");
    await first.close();

    const second = createSqliteStore({ path });
    t.after(() => second.close());
    await second.migrate();
    assert.equal(await second.countRequests(), 3_000);
    for (const index of [0, 1_499, 2_999]) {
      const item = entries[index] as RequestLogEntry;
      assert.deepEqual(await second.getRequest(item.id), item);
    }
    assert.equal((await second.verifyApiKey(key))?.name, "kept");
    const database = new Database(path, { readonly: true });
    try {
      const versions = database.prepare("SELECT version FROM schema_migrations ORDER BY version").all();
      assert.deepEqual(
        versions,
        sqliteMigrations.map((migration) => ({ version: migration.version })),
      );
    } finally {
      database.close();
    }
  });

  test("a worker thread checkpoints the WAL into the database file", async (t) => {
    const path = join(temporaryRoot, "checkpoint", "store.db");
    const store = createSqliteStore({ path, checkpointIntervalMs: 20 });
    t.after(() => store.close());
    await store.migrate();
    const entries = Array.from({ length: 200 }, () => entry());
    for (const item of entries) store.logRequest(item);
    await store.flush();
    // SQLite alone would leave this little data in the WAL; the database file by itself must hold it all.
    let checkpointed = 0;
    for (let attempt = 0; attempt < 50 && checkpointed < entries.length; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      const copy = join(temporaryRoot, "checkpoint", `copy-${attempt}.db`);
      copyFileSync(path, copy);
      const database = new Database(copy, { readonly: true });
      try {
        checkpointed = (database.prepare("SELECT COUNT(*) AS count FROM requests").get() as { count: number })
          .count;
      } catch {
        // The tables themselves may not be checkpointed yet.
      } finally {
        database.close();
      }
    }
    assert.equal(checkpointed, entries.length);
  });

  test("log batches go through the worker thread by default, and stay on the main thread when told to", async (t) => {
    for (const logWritesOnWorker of [true, false]) {
      const path = join(temporaryRoot, `writer-${logWritesOnWorker}`, "store.db");
      const store = createSqliteStore({ path, logWritesOnWorker, batchSize: 100 });
      t.after(() => store.close());
      await store.migrate();
      const entries = Array.from({ length: 1_000 }, (_, index) =>
        entry({ createdAt: 1_700_000_000_000 + index }),
      );
      for (const item of entries) store.logRequest(item);
      await store.flush();
      // Once flush resolves the rows are committed: a connection of its own sees them, and so does the store's.
      assert.equal(countRows(path), 1_000, `logWritesOnWorker: ${logWritesOnWorker}`);
      assert.equal(await store.countRequests(), 1_000);
      const last = entries[999] as RequestLogEntry;
      assert.deepEqual(await store.getRequest(last.id), last);
      const internals = internalsOf(store);
      assert.equal(internals.workerRunning(), true, "the worker still checkpoints");
      assert.equal(internals.rowsWrittenByWorker(), logWritesOnWorker ? 1_000 : 0);
      assert.equal(internals.rowsWrittenOnMainThread(), logWritesOnWorker ? 0 : 1_000);
      assert.equal(store.droppedWrites(), 0);
    }
  });

  test("in memory, or with checkpointIntervalMs 0, no worker runs and log batches are written on the main thread", async (t) => {
    const inMemory = createSqliteStore({ path: ":memory:" });
    const withoutWorker = createSqliteStore({
      path: join(temporaryRoot, "no-worker", "store.db"),
      checkpointIntervalMs: 0,
    });
    for (const store of [inMemory, withoutWorker]) {
      t.after(() => store.close());
      await store.migrate();
      for (let index = 0; index < 300; index += 1) store.logRequest(entry());
      await store.flush();
      assert.equal(await store.countRequests(), 300);
      const internals = internalsOf(store);
      assert.equal(internals.workerRunning(), false);
      assert.equal(internals.rowsWrittenByWorker(), 0);
      assert.equal(internals.rowsWrittenOnMainThread(), 300);
    }
  });

  test("rows the worker's database refuses are dropped one by one; their batch-mates are written by the worker", async (t) => {
    const path = join(temporaryRoot, "refused-on-worker", "store.db");
    const store = createSqliteStore({ path });
    t.after(() => store.close());
    await store.migrate();
    const good = Array.from({ length: 20 }, () => entry());
    const refused = [
      // NULL in a NOT NULL column: SQLite's constraint error, with its code, rebuilt on the main thread.
      entry({ reason: undefined as unknown as string }),
      // A value the driver cannot bind: a TypeError without a code.
      entry({ latencyMs: true as unknown as number }),
      // A value that cannot even be sent to the worker: postMessage's DataCloneError.
      entry({ inputText: (() => "text") as unknown as string }),
    ];
    const mixed = [
      ...good.slice(0, 7),
      refused[0],
      ...good.slice(7, 14),
      refused[1],
      refused[2],
      ...good.slice(14),
    ];
    for (const item of mixed) store.logRequest(item as RequestLogEntry);
    await store.flush();
    assert.equal(countRows(path), 20);
    for (const item of refused) assert.equal(await store.getRequest((item as RequestLogEntry).id), undefined);
    assert.equal(store.droppedWrites(), 3);
    assert.equal(store.pendingWrites(), 0);
    assert.equal(internalsOf(store).rowsWrittenByWorker(), 20);
    assert.equal(internalsOf(store).rowsWrittenOnMainThread(), 0);
  });

  test("batches of every size are written whole and exact through multi-row INSERTs, on the worker and on the main thread", async (t) => {
    // INSERTs of 16 rows down to one: these sizes take each of them, alone and together.
    const sizes = [1, 2, 3, 15, 16, 17, 31, 32, 33, 100];
    for (const writer of ["worker", "main thread", "memory"] as const) {
      const store =
        writer === "memory"
          ? createSqliteStore({ path: ":memory:" })
          : createSqliteStore({
              path: join(temporaryRoot, `chunks-${writer.replace(" ", "-")}`, "store.db"),
              logWritesOnWorker: writer === "worker",
            });
      t.after(() => store.close());
      await store.migrate();
      const written: RequestLogEntry[] = [];
      for (const size of sizes) {
        // Every row differs in several columns, so a value bound to the wrong row or column would show.
        const batch = Array.from({ length: size }, (_, index) => {
          const position = written.length + index;
          return entry({
            createdAt: 1_700_000_000_000 + position,
            label: `label-${position}`,
            confidence: position / 1_000,
            inputChars: position,
            llmLabel: position % 2 === 0 ? null : `llm-${position}`,
          });
        });
        for (const item of batch) store.logRequest(item);
        // One flush, one batch: each size is one transaction.
        await store.flush();
        written.push(...batch);
      }
      assert.deepEqual(
        await store.listRequests({ order: "oldest", limit: written.length + 1 }),
        written,
        writer,
      );
      const internals = internalsOf(store);
      assert.equal(
        writer === "worker" ? internals.rowsWrittenByWorker() : internals.rowsWrittenOnMainThread(),
        written.length,
        writer,
      );
      assert.equal(store.droppedWrites(), 0);
    }
  });

  test("an id repeated in one batch keeps its first row, within one multi-row INSERT and across them, on the worker and on the main thread", async (t) => {
    for (const writer of ["worker", "main thread"] as const) {
      const store = createSqliteStore({
        path: join(temporaryRoot, `repeated-${writer.replace(" ", "-")}`, "store.db"),
        logWritesOnWorker: writer === "worker",
      });
      t.after(() => store.close());
      await store.migrate();
      // 40 rows: INSERTs of 16, 16 and 8 rows.
      const batch = Array.from({ length: 40 }, () => entry());
      const firsts: RequestLogEntry[] = [];
      const repeat = (id: string, positions: number[]) => {
        positions.forEach((position, index) => {
          const item = entry({ id, label: index === 0 ? "first" : `repeat ${index}`, inputChars: position });
          if (index === 0) firsts.push(item);
          batch[position] = item;
        });
      };
      repeat("same-statement", [2, 9]);
      repeat("next-statement", [5, 20]);
      repeat("last-statement", [33, 39]);
      repeat("thrice", [0, 17, 35]);
      for (const item of batch) store.logRequest(item);
      await store.flush();
      assert.equal(await store.countRequests(), 35, writer);
      for (const first of firsts) assert.deepEqual(await store.getRequest(first.id), first, writer);
      const internals = internalsOf(store);
      assert.equal(
        writer === "worker" ? internals.rowsWrittenByWorker() : internals.rowsWrittenOnMainThread(),
        40,
      );
      assert.equal(store.droppedWrites(), 0);
    }
  });

  test("the worker commits none of a batch with a refused row, wherever the row falls, and reports SQLite's code", async (t) => {
    const path = join(temporaryRoot, "worker-refuses-batch", "store.db");
    const setup = createSqliteStore({ path, checkpointIntervalMs: 0 });
    await setup.migrate();
    await setup.close();
    const worker = startSqliteWorker({
      path,
      checkpointIntervalMs: 0,
      busyTimeoutMs: 5_000,
      inserts: chunkedInserts("requests", requestColumns, "ON CONFLICT (id) DO NOTHING"),
      logger: undefined,
      onFailure: () => undefined,
    });
    t.after(() => worker.stop());
    // 37 rows: INSERTs of 16, 16, 4 and 1 rows. Refused first in its INSERT, last in it, after a whole
    // INSERT of the batch ran, and alone in the last one.
    for (const refusedAt of [0, 15, 20, 36]) {
      const rows = Array.from({ length: 37 }, (_, index) =>
        requestValues(entry(index === refusedAt ? { reason: null as unknown as string } : {})),
      );
      await assert.rejects(
        worker.writeRequests(rows),
        (error: unknown) =>
          error instanceof Database.SqliteError && error.code === "SQLITE_CONSTRAINT_NOTNULL",
      );
      assert.equal(countRows(path), 0, `refused at ${refusedAt}`);
    }
    await worker.writeRequests(Array.from({ length: 37 }, () => requestValues(entry())));
    assert.equal(countRows(path), 37);
  });

  test("rows logged to a file store before migrate() wait, then the worker writes them", async (t) => {
    const path = join(temporaryRoot, "before-migrate-worker", "store.db");
    const store = createSqliteStore({ path, retryInitialDelayMs: 5, retryMaxDelayMs: 20 });
    t.after(() => store.close());
    const item = entry();
    store.logRequest(item);
    // Several retries on the worker fail with "no such table" while nothing is migrated.
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(store.pendingWrites(), 1);
    await store.migrate();
    await store.flush();
    assert.deepEqual(await store.getRequest(item.id), item);
    assert.equal(store.droppedWrites(), 0);
    assert.equal(internalsOf(store).rowsWrittenByWorker(), 1);
  });

  test("close writes the queued rows through the worker, then stops it", async () => {
    const path = join(temporaryRoot, "close-through-worker", "store.db");
    const store = createSqliteStore({ path });
    await store.migrate();
    for (let index = 0; index < 2_000; index += 1) store.logRequest(entry());
    await store.close();
    const internals = internalsOf(store);
    assert.equal(internals.workerRunning(), false);
    assert.equal(internals.rowsWrittenByWorker(), 2_000);
    assert.equal(countRows(path), 2_000);
    assert.equal(store.droppedWrites(), 0);
  });

  test("a worker that dies loses no rows: the batch it held and every later row are written on the main thread", async (t) => {
    const path = join(temporaryRoot, "worker-dies", "store.db");
    const warnings: string[] = [];
    const logger: Logger = {
      warn: (_context, message) => warnings.push(message),
      error: (_context, message) => warnings.push(message),
      info: () => {},
    };
    const store = createSqliteStore({
      path,
      batchSize: 100,
      retryInitialDelayMs: 5,
      retryMaxDelayMs: 20,
      logger,
    });
    t.after(() => store.close());
    await store.migrate();
    const internals = internalsOf(store);
    const before = Array.from({ length: 250 }, () => entry());
    for (const item of before) store.logRequest(item);
    await store.flush();
    assert.equal(internals.rowsWrittenByWorker(), 250);

    const during = Array.from({ length: 500 }, () => entry());
    for (const item of during) store.logRequest(item);
    const flushing = store.flush();
    // The queue's timer was set before this one: when this fires, a batch has been handed to the worker.
    await new Promise((resolve) => setTimeout(resolve, 0));
    await internals.terminateWorker();
    assert.equal(internals.workerRunning(), false);
    const afterwards = Array.from({ length: 250 }, () => entry());
    for (const item of afterwards) store.logRequest(item);
    await flushing;
    await store.flush();

    assert.equal(countRows(path), 1_000);
    assert.equal(store.droppedWrites(), 0);
    assert.equal(store.pendingWrites(), 0);
    assert.ok(internals.rowsWrittenOnMainThread() >= afterwards.length);
    for (const item of [before[0], during[0], during[499], afterwards[249]] as RequestLogEntry[]) {
      assert.deepEqual(await store.getRequest(item.id), item);
    }
    const stopped = warnings.filter((message) => message.includes("worker thread stopped"));
    assert.equal(stopped.length, 1, warnings.join("; "));
    assert.ok(!warnings.some((message) => message.includes("dropped") || message.includes("lost")));
  });

  test("the worker lets an idle process exit, but not before the batch in flight is committed", async () => {
    const folder = join(temporaryRoot, "exit-in-flight");
    mkdirSync(folder, { recursive: true });
    const path = join(folder, "store.db");
    const setup = createSqliteStore({ path });
    await setup.migrate();
    await setup.close();
    // The child's worker must wait for this lock, so its batch is surely in flight when the child's own
    // code is done: only the worker's ref can then keep the child up until the batch is committed.
    const blocker = new Database(path);
    blocker.exec("BEGIN IMMEDIATE");
    const child = join(folder, "child.mjs");
    writeFileSync(
      child,
      `import { createSqliteStore } from ${JSON.stringify(new URL("../../src/store/sqlite-store.ts", import.meta.url).href)};
const store = createSqliteStore({ path: process.argv[2], batchSize: 500, busyTimeoutMs: 30000 });
const template = ${JSON.stringify(entry())};
for (let index = 0; index < 500; index += 1) store.logRequest({ ...template, id: "row-" + index });
// The queue's timer, set first, hands the full batch to the worker before this one fires.
await new Promise((resolve) => setTimeout(resolve, 5));
process.stdout.write("posted");
`,
    );
    const childProcess = spawn(process.execPath, ["--import", "tsx", child, path], {
      stdio: ["ignore", "pipe", "inherit"],
      timeout: 60_000,
    });
    let output = "";
    const posted = new Promise<void>((resolve) => {
      childProcess.stdout.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes("posted")) resolve();
      });
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      childProcess.once("exit", (code, signal) => resolve({ code, signal }));
    });
    try {
      await Promise.race([posted, exited]);
      await new Promise((resolve) => setTimeout(resolve, 200));
    } finally {
      blocker.exec("COMMIT");
      blocker.close();
    }
    const { code, signal } = await exited;
    assert.equal(signal, null, "the child was killed: an idle worker kept it alive");
    assert.equal(code, 0);
    assert.ok(output.includes("posted"));
    assert.equal(countRows(path), 500);
  });

  test("works in memory", async (t) => {
    const store = createStore({ kind: "sqlite", path: ":memory:" });
    t.after(() => store.close());
    await store.migrate();
    const item = entry();
    store.logRequest(item);
    await store.flush();
    assert.deepEqual(await store.getRequest(item.id), item);
  });

  test("rows logged before migrate() wait in the queue and are written after it", async (t) => {
    const store = createSqliteStore({ path: ":memory:", retryInitialDelayMs: 5, retryMaxDelayMs: 20 });
    t.after(() => store.close());
    const item = entry();
    store.logRequest(item);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(store.pendingWrites(), 1);
    await store.migrate();
    await store.flush();
    assert.deepEqual(await store.getRequest(item.id), item);
    assert.equal(store.droppedWrites(), 0);
  });

  test("a second connection's long write lock delays log writes without losing any", async (t) => {
    const path = join(temporaryRoot, "locked.db");
    const store = createSqliteStore({
      path,
      busyTimeoutMs: 10,
      retryInitialDelayMs: 5,
      retryMaxDelayMs: 20,
    });
    t.after(() => store.close());
    await store.migrate();
    const blocker = new Database(path);
    blocker.exec("BEGIN IMMEDIATE");
    const entries = Array.from({ length: 50 }, () => entry());
    for (const item of entries) store.logRequest(item);
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(store.pendingWrites(), 50, "rows stay queued while the database is locked");
    assert.equal(await store.countRequests(), 0, "WAL readers are not blocked by the writer");
    blocker.exec("COMMIT");
    blocker.close();
    await store.flush();
    assert.equal(await store.countRequests(), 50);
    assert.equal(store.droppedWrites(), 0);
  });

  test("a direct write that finds the database locked waits off the event loop, then succeeds or says why", async (t) => {
    const path = join(temporaryRoot, "busy-direct.db");
    const store = createSqliteStore({ path, busyTimeoutMs: 400 });
    t.after(() => store.close());
    await store.migrate();
    const blocker = new Database(path);
    t.after(() => blocker.close());
    blocker.exec("BEGIN IMMEDIATE");
    // A timer that keeps ticking proves the event loop is free while the write waits for the lock.
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 5);
    const started = performance.now();
    const written = store.addSpend("usecase:busy", 0.5);
    const synchronousMs = performance.now() - started;
    setTimeout(() => blocker.exec("COMMIT"), 100);
    await written;
    clearInterval(ticker);
    assert.ok(synchronousMs < 50, `the call returned at once (${synchronousMs.toFixed(1)} ms)`);
    assert.ok(ticks >= 5, `the loop ran ${ticks} timer ticks while the write waited`);
    assert.equal(await store.getSpend("usecase:busy", 0), 0.5);

    blocker.exec("BEGIN IMMEDIATE");
    await assert.rejects(
      store.addSpend("usecase:busy", 0.25),
      (error: unknown) => SlmkitError.isInstance(error) && error.code === "STORE_UNAVAILABLE",
    );
    blocker.exec("ROLLBACK");
    assert.equal(await store.getSpend("usecase:busy", 0), 0.5, "the refused write left nothing behind");
  });

  test("rejects bad options with an error that names the option", () => {
    assert.throws(
      () => createSqliteStore({ path: ":memory:", batchSize: 0 }),
      (error: unknown) =>
        SlmkitError.isInstance(error) && error.code === "INVALID_OPTION" && error.field === "batchSize",
    );
  });
});
