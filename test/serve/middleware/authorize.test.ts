// Roles and use-case scopes on every route of the real gateway, with real keys from its store: each role and
// scope allowed and refused, a refused role as a 403 in the documented shape, an out-of-scope use case as the 404
// of an unknown one.

import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import Database from "better-sqlite3";
import Fastify from "fastify";
import { saveNativeModel } from "../../../src/models/native/model-directory.js";
import { registerErrorHandlers } from "../../../src/serve/errors.js";
import { createGatewayMetrics } from "../../../src/serve/metrics.js";
import { registerAuthorization } from "../../../src/serve/middleware/authorize.js";
import { type Gateway, startGateway } from "../../../src/serve/server.js";
import { generateSupportData } from "../../../src/spec/catalog/support.js";
import { generateApiKey } from "../../../src/store/api-keys.js";
import { migrationsTableSql, sqliteMigrations } from "../../../src/store/migrations.js";
import type { ApiKeyRecord, ApiKeyRole, CreateApiKeyOptions, ReviewItem } from "../../../src/store/types.js";
import { trainClassifier } from "../../../src/train/train-classifier.js";

let dir: string;
let gateway: Gateway;
/** A low-confidence text: it goes to review in both use cases. */
let unsureText: string;
const clearText = "I want to cancel my order #A12345 before it ships";

/** The keys under test, by who holds them. */
const keys: Record<string, string> = {};
const keySpecs: Record<string, CreateApiKeyOptions> = {
  admin: { role: "admin" },
  reviewer: { role: "reviewer" },
  "support reviewer": { role: "reviewer", useCases: ["support"] },
  client: {},
  "support client": { useCases: ["support"] },
};

interface Answer {
  status: number;
  body: Record<string, unknown> & { error?: { message: string; type: string; code: string; param: unknown } };
  text: string;
}

async function call(method: string, path: string, who: string | null, body?: unknown): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (who !== null) headers.authorization = `Bearer ${keys[who]}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${gateway.url}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  let parsed: Answer["body"] = {};
  try {
    parsed = JSON.parse(text) as Answer["body"];
  } catch {
    // The Prometheus scrape is text.
  }
  return { status: response.status, body: parsed, text };
}

const chat = (who: string, model: string, content = clearText) =>
  call("POST", "/v1/chat/completions", who, { model, messages: [{ role: "user", content }] });

/** A 403 in the documented shape naming the role the route needs. */
function assertDenied(answer: Answer, needed: ApiKeyRole, role: ApiKeyRole): void {
  assert.equal(answer.status, 403, answer.text);
  assert.deepEqual(Object.keys(answer.body.error ?? {}).sort(), ["code", "message", "param", "type"]);
  assert.equal(answer.body.error?.type, "permission_error");
  assert.equal(answer.body.error?.code, "permission_denied");
  assert.equal(answer.body.error?.param, null);
  assert.match(answer.body.error?.message ?? "", new RegExp(`the ${needed} role`));
  assert.match(answer.body.error?.message ?? "", new RegExp(`this key's role is ${role}`));
}

/** The 404 of a use case the gateway does not serve: the same for one outside the key's scope. */
function assertNoUseCase(answer: Answer, id: string, param: string): void {
  assert.equal(answer.status, 404, answer.text);
  assert.deepEqual(answer.body.error, {
    message: `no use case "${id}"; GET /v1/models lists them.`,
    type: "not_found_error",
    code: "model_not_found",
    param,
  });
}

const useCaseYaml = (id: string, labels: readonly string[]) => `version: 1
id: ${id}
title: ${id} tickets
task: classify
labels:
${labels.map((label) => `  - name: ${label}`).join("\n")}
data:
  train: train.jsonl
model: model
routing:
  targetAccuracy: 0.97
  fallback: review
`;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "slmkit-authorize-"));
  const trained = await trainClassifier(generateSupportData({ seed: 1, perLabel: 30 }), {
    valid: generateSupportData({ seed: 2, perLabel: 10 }),
    seed: 1,
  });
  await saveNativeModel(trained.model, join(dir, "model"), trained.record);
  unsureText =
    ["purple elephants sing quantum opera", "hmm", "the weather in lisbon", "bananas and volcanoes"].find(
      (text) => trained.model.predictDetailed(text).confidence < trained.model.threshold,
    ) ?? "";
  assert.ok(unsureText !== "", "one candidate must fall below the threshold");
  // Two use cases over the same model: "support" and "returns".
  await writeFile(join(dir, "support.yaml"), useCaseYaml("support", trained.model.labels));
  await writeFile(join(dir, "returns.yaml"), useCaseYaml("returns", trained.model.labels));
  // The store starts at schema version 2, before roles, holding a key made then; the gateway migrates it.
  const old = generateApiKey();
  const database = new Database(join(dir, "gateway.db"));
  database.exec(migrationsTableSql);
  for (const migration of sqliteMigrations.filter((each) => each.version <= 2)) {
    database.exec(migration.sql);
    database
      .prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)")
      .run(migration.version, migration.name, Date.now());
  }
  database
    .prepare("INSERT INTO api_keys (id, name, key_hash, created_at, revoked_at) VALUES (?, ?, ?, ?, NULL)")
    .run(old.id, "made before roles", old.hash, Date.now());
  database.close();
  keys["made before roles"] = old.key;
  gateway = await startGateway({
    usecases: [join(dir, "support.yaml"), join(dir, "returns.yaml")],
    port: 0,
    store: `sqlite:${join(dir, "gateway.db")}`,
    watchModelsMs: false,
    monitorDrift: false,
  });
  for (const [who, options] of Object.entries(keySpecs))
    keys[who] = (await gateway.store.createApiKey(who, options)).key;
});

after(async () => {
  await gateway?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("roles and scopes on the client routes", () => {
  test("GET /v1/models lists the use cases of the key's scope, for every role", async () => {
    for (const [who, expected] of [
      ["admin", ["support", "returns"]],
      ["reviewer", ["support", "returns"]],
      ["support reviewer", ["support"]],
      ["client", ["support", "returns"]],
      ["support client", ["support"]],
    ] as const) {
      const answer = await call("GET", "/v1/models", who);
      assert.equal(answer.status, 200, `${who}: ${answer.text}`);
      const ids = (answer.body.data as { id: string }[]).map((model) => model.id);
      assert.deepEqual(ids, expected, who);
    }
  });

  test("chat: every role may, for the use cases of its scope; outside it the 404 of an unknown use case", async () => {
    for (const who of Object.keys(keySpecs)) {
      const answer = await chat(who, "support");
      assert.equal(answer.status, 200, `${who}: ${answer.text}`);
    }
    for (const who of ["admin", "reviewer", "client"]) assert.equal((await chat(who, "returns")).status, 200);
    for (const who of ["support client", "support reviewer"]) {
      assertNoUseCase(await chat(who, "returns"), "returns", "model");
      assertNoUseCase(await chat(who, "nope"), "nope", "model");
    }
  });

  test("predict: every role may, for the use cases of its scope", async () => {
    const predict = (who: string, id: string) =>
      call("POST", `/v1/usecases/${id}/predict`, who, { texts: [clearText] });
    for (const who of Object.keys(keySpecs)) assert.equal((await predict(who, "support")).status, 200, who);
    assert.equal((await predict("client", "returns")).status, 200);
    assertNoUseCase(await predict("support client", "returns"), "returns", "id");
    assertNoUseCase(await predict("support reviewer", "returns"), "returns", "id");
  });

  test("feedback: a key on its own requests; an admin on any; another key's request is not found", async () => {
    const requestOf = async (who: string) => {
      const answer = await chat(who, "support");
      return (answer.body.slmkit as { request_id: string }).request_id;
    };
    const feedback = (who: string, requestId: string) =>
      call("POST", "/v1/feedback", who, { request_id: requestId, label: "refund" });
    const clientRequest = await requestOf("client");
    assert.equal((await feedback("client", clientRequest)).status, 200, "own request");
    const scopedRequest = await requestOf("support client");
    assert.equal((await feedback("support client", scopedRequest)).status, 200, "own request, in scope");
    for (const who of ["support client", "reviewer", "support reviewer"]) {
      const refused = await feedback(who, clientRequest);
      assert.equal(refused.status, 404, `${who}: ${refused.text}`);
      assert.equal(refused.body.error?.code, "request_not_found");
    }
    assert.equal((await feedback("admin", clientRequest)).status, 200, "an admin on another key's request");
    await gateway.store.flush();
    const stored = await gateway.store.listFeedback({ requestId: clientRequest });
    assert.equal(stored.length, 2, "only the allowed feedback was stored");
  });
});

describe("roles and scopes on the reviewer routes", () => {
  let items: Record<"support" | "returns", ReviewItem>;

  before(async () => {
    for (const id of ["support", "returns"]) {
      const answer = await chat("admin", id, unsureText);
      assert.equal((answer.body.slmkit as { answered_by: string }).answered_by, "review", answer.text);
    }
    const open = await gateway.store.listReview({ status: "open" });
    const find = (id: string) => open.find((item) => item.useCaseId === id) as ReviewItem;
    items = { support: find("support"), returns: find("returns") };
  });

  test("the review queue: clients are refused; a reviewer sees the items of its use cases only", async () => {
    for (const who of ["client", "support client"])
      assertDenied(await call("GET", "/v1/review", who), "reviewer", "client");
    const seen = async (who: string, query = "") => {
      const answer = await call("GET", `/v1/review${query}`, who);
      assert.equal(answer.status, 200, `${who}: ${answer.text}`);
      return new Set((answer.body.data as ReviewItem[]).map((item) => item.useCaseId));
    };
    assert.deepEqual(await seen("admin"), new Set(["support", "returns"]));
    assert.deepEqual(await seen("reviewer"), new Set(["support", "returns"]));
    assert.deepEqual(await seen("support reviewer"), new Set(["support"]));
    assert.deepEqual(await seen("support reviewer", "?usecase=support"), new Set(["support"]));
    assertNoUseCase(
      await call("GET", "/v1/review?usecase=returns", "support reviewer"),
      "returns",
      "usecase",
    );
  });

  test("resolving: clients are refused before the body is read; another use case's item is not found", async () => {
    const resolve = (who: string, item: ReviewItem, body: unknown = { label: "refund" }) =>
      call("POST", `/v1/review/${item.id}`, who, body);
    // Refused for the role even with a body that would be a 400: the role is checked first.
    assertDenied(await resolve("client", items.support, { nonsense: true }), "reviewer", "client");
    const outside = await resolve("support reviewer", items.returns);
    assert.equal(outside.status, 404, outside.text);
    assert.equal(outside.body.error?.code, "review_not_found");
    assert.equal((await gateway.store.getReview(items.returns.id))?.status, "open", "left open");
    const resolved = await resolve("support reviewer", items.support);
    assert.equal(resolved.status, 200, resolved.text);
    assert.equal(resolved.body.resolution, "refund");
    assert.equal((await resolve("reviewer", items.returns)).status, 200);
  });

  test("the dashboard data: clients are refused; a reviewer sees the use cases of its scope only", async () => {
    for (const path of ["/v1/dashboard", "/v1/dashboard/usecases"])
      assertDenied(await call("GET", path, "support client"), "reviewer", "client");
    const listed = await call("GET", "/v1/dashboard/usecases", "support reviewer");
    assert.deepEqual(
      (listed.body.data as { id: string }[]).map((useCase) => useCase.id),
      ["support"],
    );
    const opened = await call("GET", "/v1/dashboard", "support reviewer");
    assert.equal(opened.status, 200, opened.text);
    assert.equal(opened.body.usecase, "support", "opens on the first use case the key may see");
    assert.deepEqual(
      (opened.body.usecases as { id: string }[]).map((useCase) => useCase.id),
      ["support"],
    );
    assertNoUseCase(
      await call("GET", "/v1/dashboard?usecase=returns", "support reviewer"),
      "returns",
      "usecase",
    );
    const all = await call("GET", "/v1/dashboard?usecase=returns", "reviewer");
    assert.equal(all.status, 200, all.text);
    assert.equal(all.body.usecase, "returns");
    assert.equal((all.body.usecases as unknown[]).length, 2);
  });

  test("the pages themselves are public: they hold no data", async () => {
    for (const path of ["/", "/review"]) assert.equal((await call("GET", path, null)).status, 200, path);
  });
});

describe("roles on the admin routes", () => {
  test("reload: admins only", async () => {
    for (const [who, role] of [
      ["client", "client"],
      ["reviewer", "reviewer"],
      ["support reviewer", "reviewer"],
    ] as const) {
      assertDenied(await call("POST", "/v1/usecases/support/reload", who, {}), "admin", role);
    }
    const reloaded = await call("POST", "/v1/usecases/support/reload", "admin", {});
    assert.equal(reloaded.status, 200, reloaded.text);
    assert.equal(reloaded.body.ok, true);
  });

  test("/metrics on the gateway's listener: admins only; without a key a 401", async () => {
    const anonymous = await call("GET", "/metrics", null);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.body.error?.code, "missing_api_key");
    assertDenied(await call("GET", "/metrics", "client"), "admin", "client");
    assertDenied(await call("GET", "/metrics", "reviewer"), "admin", "reviewer");
    const scraped = await call("GET", "/metrics", "admin");
    assert.equal(scraped.status, 200);
    assert.match(scraped.text, /^slmkit_requests_total\{/m);
  });

  test("a key made before roles existed still works after the migration, as an admin of every use case", async () => {
    const who = "made before roles";
    const models = await call("GET", "/v1/models", who);
    assert.deepEqual(
      (models.body.data as { id: string }[]).map((model) => model.id),
      ["support", "returns"],
    );
    assert.equal((await chat(who, "returns")).status, 200);
    assert.equal((await call("GET", "/v1/review", who)).status, 200);
    assert.equal((await call("GET", "/metrics", who)).status, 200);
    assert.equal((await call("POST", "/v1/usecases/returns/reload", who, {})).status, 200);
  });

  test("the probes stay public", async () => {
    assert.equal((await call("GET", "/healthz", null)).status, 200);
    assert.equal((await call("GET", "/readyz", null)).status, 200);
  });
});

describe("registerAuthorization", () => {
  const record = (role: ApiKeyRole): ApiKeyRecord => ({
    id: `${role}key00000`.slice(0, 12),
    name: role,
    role,
    useCases: null,
    createdAt: 0,
    revokedAt: null,
  });

  async function appWith(keyOf: (header: string | undefined) => ApiKeyRecord | null) {
    const app = Fastify();
    app.decorateRequest("apiKey", null);
    registerErrorHandlers(app, { bodyLimitBytes: 1024, metrics: createGatewayMetrics() });
    // Stands in for middleware/auth.ts: the key named by a header (none: auth turned off).
    app.addHook("onRequest", (request, _reply, done) => {
      request.apiKey = keyOf(request.headers["x-role"] as string | undefined);
      done();
    });
    registerAuthorization(app, { isPublic: (path) => path === "/open" });
    app.get("/undeclared", async () => ({ ok: true }));
    app.get("/open", async () => ({ ok: true }));
    app.get("/reviewers", { config: { role: "reviewer" } }, async () => ({ ok: true }));
    app.get("/clients", { config: { role: "client" } }, async () => ({ ok: true }));
    await app.ready();
    return app;
  }

  test("a keyed route that declares no role is admin-only; a public path needs none", async () => {
    const app = await appWith((header) => (header === undefined ? null : record(header as ApiKeyRole)));
    const status = async (url: string, role?: ApiKeyRole) =>
      (await app.inject({ url, headers: role === undefined ? {} : { "x-role": role } })).statusCode;
    assert.equal(await status("/undeclared", "reviewer"), 403);
    assert.equal(await status("/undeclared", "admin"), 200);
    assert.equal(await status("/open", "client"), 200);
    assert.equal(await status("/reviewers", "client"), 403);
    assert.equal(await status("/reviewers", "reviewer"), 200);
    assert.equal(await status("/reviewers", "admin"), 200);
    assert.equal(await status("/clients", "client"), 200);
    // The HEAD route Fastify adds beside each GET is checked alike.
    const head = await app.inject({ method: "HEAD", url: "/reviewers", headers: { "x-role": "client" } });
    assert.equal(head.statusCode, 403);
    // No key at all only reaches a route when auth is turned off (`--no-auth`): everything is allowed then.
    assert.equal(await status("/undeclared"), 200);
    assert.equal(await status("/reviewers"), 200);
    await app.close();
  });
});
