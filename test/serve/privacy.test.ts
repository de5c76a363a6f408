// Privacy for every copy, on the real gateway over SQLite and Postgres: requests holding a card number, an email
// and a phone go through chat, the LLM, the review queue, feedback and resolutions; then every table and column
// of the store is read directly, bypassing the store, and searched for the raw personal data.

import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import Database from "better-sqlite3";
import pg from "pg";
import type { LlmExtractor, LlmLabeler } from "../../src/models/llm.js";
import { saveNativeExtractor } from "../../src/models/native/extractor-directory.js";
import { saveNativeModel } from "../../src/models/native/model-directory.js";
import { type Gateway, startGateway } from "../../src/serve/server.js";
import { generateSupportData } from "../../src/spec/catalog/support.js";
import { trainClassifier } from "../../src/train/train-classifier.js";
import { trainExtractor } from "../../src/train/train-extractor.js";
import { runCli } from "../helpers/cli.js";
import {
  dropPostgresSchemas,
  postgresUrl,
  probePostgres,
  requireService,
  testSchemaName,
} from "../helpers/services.js";
import { bookingExamples } from "../models/extractor-data.js";

const card = "4111 1111 1111 1111";
const email = "jane.doe@example.com";
const phone = "+44 20 7946 0958";
/** Every form the raw data could take in a stored copy: as written, without separators, and in parts. */
const rawForms = [
  card,
  card.replaceAll(" ", ""),
  "1111 1111",
  email,
  "jane.doe",
  "example.com",
  phone,
  phone.replaceAll(" ", ""),
  "7946 0958",
  "79460958",
];
const supportText = `zzqx vvbn my card ${card} was charged, mail ${email} or call ${phone}`;
/** The extractor finds no date in it (the required field): the LLM is asked, is unsure, and it goes to review. */
const bookingForReview = `qqq ${email} ${phone} ${card}`;
/** The stub extractor LLM answers texts with this word, with a record that holds the personal data. */
const llmAnswersMarker = "llm-answers";
const bookingForLlm = `${llmAnswersMarker} ${email} ${phone} ${card}`;
const llmRecord = { date: "2025-03-03", name: email, people: 2, time: phone };

// Probed before anything runs: training in `before` holds the event loop longer than the probe waits.
const postgres = await requireService("postgres", () => probePostgres());
const schemas: string[] = [];
after(() => dropPostgresSchemas(schemas));

let dir: string;
let supportLabels: readonly string[];
/** What the LLM stubs were sent, over the whole file. */
const sentToLlm: string[] = [];

const labeler: LlmLabeler = {
  model: "stub-labeler",
  async classify(text) {
    sentToLlm.push(text);
    return {
      label: null,
      confidence: null,
      raw: "?",
      inputTokens: 10,
      outputTokens: 1,
      costUsd: 0.001,
      latencyMs: 1,
    };
  },
};

const extractor: LlmExtractor = {
  model: "stub-extractor",
  async extract(text) {
    sentToLlm.push(text);
    const fields = text.includes(llmAnswersMarker) ? llmRecord : null;
    return { fields, raw: "{}", attempts: 1, inputTokens: 10, outputTokens: 5, costUsd: 0.001, latencyMs: 1 };
  },
};

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "slmkit-privacy-"));
  const trained = await trainClassifier(generateSupportData({ seed: 1, perLabel: 30 }), {
    valid: generateSupportData({ seed: 2, perLabel: 10 }),
    seed: 1,
  });
  supportLabels = trained.model.labels;
  assert.ok(trained.model.predictDetailed(supportText).confidence < trained.model.threshold);
  await saveNativeModel(trained.model, join(dir, "support-model"), trained.record);
  const bookings = await trainExtractor(bookingExamples(200, 1), {
    valid: bookingExamples(60, 2),
    seed: 7,
    features: { hashBits: 16 },
    fieldTypes: { people: "quantity", time: "time", date: "date" },
    requiredFields: ["date"],
  });
  await saveNativeExtractor(bookings.model, join(dir, "bookings-model"), bookings.record);
  assert.equal(bookings.model.extract([bookingForReview])[0]?.accepted, false);
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Privacy {
  storeText: boolean;
  redactPii: boolean;
}

/** Writes the two use cases with these privacy settings into a folder of their own; returns their paths. */
async function writeUseCases(name: string, privacy: Privacy): Promise<string[]> {
  const section = `privacy:
  storeText: ${privacy.storeText}
  redactPii: ${privacy.redactPii}
  retentionDays: 30`;
  const support = join(dir, `${name}-support.yaml`);
  await writeFile(
    support,
    `version: 1
id: support
title: Support tickets
task: classify
labels:
${supportLabels.map((label) => `  - name: ${label}`).join("\n")}
data:
  train: train.jsonl
model: support-model
routing:
  fallback: llm
${section}
`,
  );
  const bookings = join(dir, `${name}-bookings.yaml`);
  await writeFile(
    bookings,
    `version: 1
id: bookings
title: Table bookings
task: extract
schema:
  fields:
    - name: date
      type: date
      required: true
    - name: name
      type: string
    - name: people
      type: quantity
    - name: time
      type: time
data:
  train: bookings-train.jsonl
model: bookings-model
routing:
  fallback: llm
${section}
`,
  );
  return [support, bookings];
}

/** Every table of a store, every row, read directly: for SQLite from the file, for Postgres from the schema. */
type ReadEveryTable = () => Promise<Map<string, Record<string, unknown>[]>>;

function readSqlite(path: string): ReadEveryTable {
  return async () => {
    const database = new Database(path, { readonly: true });
    try {
      const tables = database
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .all() as { name: string }[];
      return new Map(
        tables.map(({ name }) => [
          name,
          database.prepare(`SELECT * FROM "${name}"`).all() as Record<string, unknown>[],
        ]),
      );
    } finally {
      database.close();
    }
  };
}

function readPostgres(schema: string): ReadEveryTable {
  return async () => {
    const client = new pg.Client({ connectionString: postgresUrl() });
    client.on("error", () => {});
    await client.connect();
    try {
      const tables = await client.query<{ table_name: string }>(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = $1",
        [schema],
      );
      const rows = new Map<string, Record<string, unknown>[]>();
      for (const { table_name: name } of tables.rows)
        rows.set(name, (await client.query(`SELECT * FROM "${schema}"."${name}"`)).rows);
      return rows;
    } finally {
      await client.end();
    }
  };
}

/** Every stored value holding raw personal data, as `table.column: value`. */
async function findRawPii(read: ReadEveryTable): Promise<string[]> {
  const found: string[] = [];
  const tables = await read();
  for (const table of ["requests", "review_items", "feedback", "shadow_results", "api_keys", "spend"])
    assert.ok(tables.has(table), `the store has a ${table} table`);
  for (const [table, rows] of tables) {
    for (const row of rows) {
      for (const [column, value] of Object.entries(row)) {
        if (value === null || value === undefined) continue;
        const text = String(value);
        if (rawForms.some((form) => text.includes(form))) found.push(`${table}.${column}: ${text}`);
      }
    }
  }
  return found;
}

/** Sends the traffic: chat to both use cases, feedback by the client, resolutions by a reviewer. */
async function sendTraffic(gateway: Gateway, piiInLabels: boolean): Promise<void> {
  const client = (await gateway.store.createApiKey("client")).key;
  const reviewer = (await gateway.store.createApiKey("reviewer", { role: "reviewer" })).key;
  const post = async (key: string, path: string, body: unknown) => {
    const response = await fetch(`${gateway.url}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const parsed = (await response.json()) as Record<string, unknown>;
    assert.equal(response.status, 200, JSON.stringify(parsed));
    return parsed;
  };
  const chat = async (model: string, content: string) => {
    const reply = await post(client, "/v1/chat/completions", {
      model,
      messages: [{ role: "user", content }],
    });
    return reply.slmkit as { request_id: string; answered_by: string; review_id: string | null };
  };
  const support = await chat("support", supportText);
  assert.equal(support.answered_by, "review");
  const review = await chat("bookings", bookingForReview);
  assert.equal(review.answered_by, "review");
  const answered = await chat("bookings", bookingForLlm);
  assert.equal(answered.answered_by, "llm");

  const label = piiInLabels ? `refund, call ${phone}` : supportLabels[0];
  await post(client, "/v1/feedback", { request_id: support.request_id, label });
  await post(client, "/v1/feedback", { request_id: answered.request_id, answer: JSON.stringify(llmRecord) });
  await post(reviewer, `/v1/review/${support.review_id}`, { label });
  await post(reviewer, `/v1/review/${review.review_id}`, {
    label: JSON.stringify({ date: "2025-03-03", name: email, people: 2, time: null }),
  });
  await gateway.store.flush();
}

function privacySuite(
  backend: string,
  open: () => { store: string; read: ReadEveryTable },
  skip?: string,
): void {
  describe(`privacy of every stored copy: ${backend}`, { skip }, () => {
    test("storeText false, redactPii true: no raw card, email or phone anywhere in the store; the reviewer reads the redacted words", async () => {
      const { store, read } = open();
      const gateway = await startGateway({
        usecases: await writeUseCases(`${backend}-redacted`, { storeText: false, redactPii: true }),
        port: 0,
        store,
        llm: () => labeler,
        llmExtractor: () => extractor,
        watchModelsMs: false,
        monitorDrift: false,
      });
      try {
        const sentBefore = sentToLlm.length;
        await sendTraffic(gateway, true);
        const sent = sentToLlm.slice(sentBefore);
        assert.ok(
          sent.some((text) => text.includes("[CARD]")),
          "the LLM was asked, with the card redacted",
        );
        assert.deepEqual(
          sent.filter((text) => rawForms.some((form) => text.includes(form))),
          [],
          "the LLM got no raw data",
        );
        assert.deepEqual(await findRawPii(read), []);
        const items = await gateway.store.listReview({ useCaseId: "support" });
        assert.equal(
          items[0]?.inputText,
          "zzqx vvbn my card [CARD] was charged, mail [EMAIL] or call [PHONE]",
        );
        assert.equal(items[0]?.resolution, "refund, call [PHONE]");
      } finally {
        await gateway.close();
      }
    });

    test("storeText true, redactPii false: the text is kept as written, and `slmkit logs purge` removes every copy", async () => {
      const { store, read } = open();
      const gateway = await startGateway({
        usecases: await writeUseCases(`${backend}-kept`, { storeText: true, redactPii: false }),
        port: 0,
        store,
        llm: () => labeler,
        llmExtractor: () => extractor,
        watchModelsMs: false,
        monitorDrift: false,
      });
      try {
        await sendTraffic(gateway, false);
      } finally {
        await gateway.close();
      }
      const before = await findRawPii(read);
      const tablesBefore = new Set(before.map((hit) => hit.slice(0, hit.indexOf("."))));
      assert.deepEqual(tablesBefore, new Set(["requests", "review_items", "feedback"]), before.join("\n"));

      const purged = await runCli(["logs", "purge", "--days", "0", "--store", store]);
      assert.equal(purged.code, 0, purged.stderr);
      assert.match(purged.stdout, /removed the text of \d+ stored rows older than 0 days/);
      assert.deepEqual(await findRawPii(read), []);
    });
  });
}

privacySuite("sqlite", () => {
  const path = join(dir, `${testSchemaName("store")}.db`);
  return { store: `sqlite:${path}`, read: readSqlite(path) };
});

privacySuite(
  "postgres",
  () => {
    const schema = testSchemaName("slmkit_privacy");
    schemas.push(schema);
    const url = new URL(postgresUrl());
    url.searchParams.set("schema", schema);
    return { store: url.toString(), read: readPostgres(schema) };
  },
  postgres.skipReason,
);
