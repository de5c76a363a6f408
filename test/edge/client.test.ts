import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { join } from "node:path";
import { afterEach, before, beforeEach, describe, test } from "node:test";
import { createFileStorage } from "../../src/edge/file-storage.js";
import {
  createEdgeClient,
  createMemoryStorage,
  type EdgeClient,
  type EdgeClientOptions,
  type FetchLike,
  loadEdgeModel,
} from "../../src/edge/index.js";
import { buildBundle } from "../../src/models/bundle/write.js";
import { saveNativeModel } from "../../src/models/native/model-directory.js";
import { trainClassifier } from "../../src/train/train-classifier.js";
import { temporaryDirectory } from "../helpers/cli.js";
import { type EdgeFixtures, writeEdgeFixtures } from "../helpers/edge-fixtures.js";
import { type EdgeGatewayStandIn, startEdgeGateway } from "../helpers/edge-gateway.js";
import { syntheticExamples } from "../helpers/synthetic.js";

const root = temporaryDirectory("slmkit-edge-client-");
const useCase = "support";
let fixtures: EdgeFixtures;
let bundle: Uint8Array;
/** A second model of the same labels (another seed): what a promotion would publish. */
let newerBundle: Uint8Array;
let gateway: EdgeGatewayStandIn;
let sureTexts: string[];
let unsureTexts: string[];
const clients: EdgeClient[] = [];

before(async () => {
  fixtures = await writeEdgeFixtures(root);
  bundle = (await buildBundle(fixtures.classifyDir, { useCase: { id: useCase } })).bytes;
  const retrained = await trainClassifier(syntheticExamples(50, 21), {
    valid: fixtures.classifyValid,
    seed: 9,
  });
  await saveNativeModel(retrained.model, join(root, "newer"), retrained.record);
  newerBundle = (await buildBundle(join(root, "newer"), { useCase: { id: useCase } })).bytes;
  const model = await loadEdgeModel(bundle);
  const texts = fixtures.texts.classify;
  sureTexts = texts.filter((text) => model.task === "classify" && model.predict(text).accepted);
  unsureTexts = texts.filter((text) => model.task === "classify" && !model.predict(text).accepted);
  assert.ok(
    sureTexts.length >= 5 && unsureTexts.length >= 3,
    `${sureTexts.length} sure, ${unsureTexts.length} unsure`,
  );
});

beforeEach(async () => {
  gateway = await startEdgeGateway({ useCase, bundle });
});

afterEach(async () => {
  for (const created of clients.splice(0)) await created.close();
  await gateway.close();
});

/** A fetch that fails like a device without network while `offline.now` is true. */
function switchableFetch(): { fetch: FetchLike; offline: { now: boolean } } {
  const offline = { now: false };
  const fetchFunction: FetchLike = async (url, init) => {
    if (offline.now) throw new TypeError("fetch failed");
    return fetch(url, init);
  };
  return { fetch: fetchFunction, offline };
}

/** A client of the stand-in that syncs only when asked; `bundle: null` starts it without a shipped bundle. */
async function client(
  overrides: Partial<Omit<EdgeClientOptions, "bundle">> & { bundle?: Uint8Array | null } = {},
): Promise<EdgeClient> {
  const { bundle: shipped = bundle, ...rest } = overrides;
  const created = await createEdgeClient({
    useCase,
    gateway: { baseURL: gateway.url, apiKey: gateway.apiKey },
    ...(shipped === null ? {} : { bundle: shipped }),
    syncIntervalMs: 0,
    ...rest,
  });
  clients.push(created);
  return created;
}

describe("the hybrid client answers", () => {
  test("on the device when the model is sure, and logs the decision without its text", async () => {
    const edge = await client();
    const decision = await edge.predict(sureTexts[0] as string);
    assert.equal(decision.answeredBy, "edge");
    assert.equal(decision.queued, false);
    assert.equal(decision.flagged, false);
    assert.equal(gateway.chats.length, 0);
    const result = await edge.sync();
    assert.equal(result.uploaded, 1);
    assert.equal(result.bundle, "unchanged");
    const [event] = [...gateway.events.values()];
    assert.equal(event?.type, "decision");
    assert.equal(event?.id, decision.id);
    assert.equal(event?.type === "decision" && event.bundle, edge.model.sha256);
    assert.equal(event?.type === "decision" && event.text, undefined);
    assert.equal(event?.type === "decision" && event.text_length, (sureTexts[0] as string).length);
  });

  test("through the gateway's chat route when unsure and online, with the event id as Idempotency-Key", async () => {
    const edge = await client();
    const decision = await edge.predict(unsureTexts[0] as string);
    assert.equal(decision.answeredBy, "llm");
    assert.equal(decision.label, "escalated");
    assert.equal(decision.queued, false);
    assert.equal(gateway.chats.length, 1);
    assert.equal(gateway.chats[0]?.text, unsureTexts[0]);
    assert.match(
      gateway.chats[0]?.idempotencyKey ?? "",
      /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    assert.equal(decision.id, "req-1");
    assert.equal(edge.status().queued, 0);
  });

  test("offline with the flagged guess, queued; back online, each queued item reaches the gateway once", async () => {
    const { fetch: fetchFunction, offline } = switchableFetch();
    const edge = await client({ fetch: fetchFunction });
    offline.now = true;
    const local = await edge.predict(unsureTexts[0] as string);
    assert.equal(local.answeredBy, "fallback");
    assert.equal(local.flagged, true);
    assert.equal(local.queued, true);
    assert.ok(local.label !== null);
    assert.match(local.reason, /unreachable/);
    assert.equal((await edge.predict(sureTexts[0] as string)).answeredBy, "edge");
    const failed = await edge.sync();
    assert.match(failed.error ?? "", /unreachable/);
    assert.equal(failed.remaining, 2);
    offline.now = false;
    const synced = await edge.sync();
    assert.equal(synced.uploaded, 2);
    assert.equal(synced.remaining, 0);
    const escalation = gateway.events.get(local.id);
    assert.equal(escalation?.type, "escalation");
    assert.equal(escalation?.type === "escalation" && escalation.text, unsureTexts[0]);
    assert.equal(escalation?.type === "escalation" && escalation.fallback, "guess");
    assert.equal((await edge.sync()).uploaded, 0);
    assert.equal(gateway.events.size, 2);
  });

  test("with the holding answer when configured, and a gateway failure (503) counts as unreachable", async () => {
    const edge = await client({ fallback: { holdingAnswer: "We will get back to you." } });
    gateway.failWith(503);
    const decision = await edge.predict(unsureTexts[1] as string);
    assert.equal(decision.answeredBy, "fallback");
    assert.equal(decision.answer, "We will get back to you.");
    assert.equal(decision.label, null);
    assert.equal(decision.flagged, false);
    assert.match(decision.reason, /status 503/);
    const failed = await edge.sync();
    assert.match(failed.error ?? "", /status 503/);
    assert.equal(failed.remaining, 1);
    gateway.failWith(null);
    assert.equal((await edge.sync()).uploaded, 1);
  });
});

describe("sync", () => {
  test("a reply lost after the gateway stored a batch is retried, and the retry counts nothing twice", async () => {
    const edge = await client();
    for (const text of sureTexts.slice(0, 5)) await edge.predict(text);
    await edge.feedback("req-9", { label: "billing" });
    gateway.loseNextEventsReply();
    const lost = await edge.sync();
    assert.match(lost.error ?? "", /unreachable/);
    assert.equal(lost.remaining, 6);
    assert.equal(gateway.events.size, 6);
    const retried = await edge.sync();
    assert.equal(retried.duplicates, 6);
    assert.equal(retried.uploaded, 0);
    assert.equal(retried.remaining, 0);
    assert.equal(gateway.events.size, 6);
    const feedback = [...gateway.events.values()].find((event) => event.type === "feedback");
    assert.equal(feedback?.type === "feedback" && feedback.request_id, "req-9");
  });

  test("uploads in batches of at most 100 events", async () => {
    const edge = await client();
    for (let i = 0; i < 230; i++) await edge.predict(sureTexts[i % sureTexts.length] as string);
    const result = await edge.sync();
    assert.equal(result.uploaded, 230);
    assert.deepEqual(
      gateway.batches.map((batch) => batch.events.length),
      [100, 100, 30],
    );
    assert.ok(
      gateway.batches.every((batch) => batch.device.runtime === "slmkit-edge/1" && batch.usecase === useCase),
    );
  });

  test("a newer bundle is downloaded with If-None-Match, checked, kept and swapped in; then 304", async () => {
    const storage = createMemoryStorage();
    const edge = await client({ storage });
    const before = edge.model.sha256;
    gateway.setBundle(newerBundle);
    const result = await edge.sync();
    assert.equal(result.bundle, "updated");
    assert.equal(gateway.bundleRequests[0]?.ifNoneMatch, `"${before}"`);
    assert.notEqual(edge.model.sha256, before);
    assert.deepEqual(await storage.get("bundle"), newerBundle);
    assert.equal((await edge.sync()).bundle, "unchanged");
    assert.equal(gateway.bundleRequests.at(-1)?.status, 304);
    const decision = await edge.predict(sureTexts[0] as string);
    const newer = await loadEdgeModel(newerBundle);
    assert.equal(
      decision.label,
      newer.task === "classify" ? newer.predict(sureTexts[0] as string).label : null,
    );
  });

  test("with a sync interval, a first sync starts on its own at once", async () => {
    gateway.setBundle(newerBundle);
    const edge = await client({ syncIntervalMs: 60_000 });
    for (let waited = 0; edge.status().lastSync === null && waited < 5000; waited += 20)
      await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(edge.status().lastSync?.bundle, "updated");
    assert.equal(edge.model.sha256, (await loadEdgeModel(newerBundle)).sha256);
  });

  test("a tampered bundle is refused and the old model keeps answering", async () => {
    const edge = await client();
    const before = edge.model.sha256;
    const tampered = newerBundle.slice();
    tampered[100] = (tampered[100] as number) ^ 0xff;
    gateway.setBundle(tampered);
    const result = await edge.sync();
    assert.equal(result.bundle, "refused");
    assert.match(result.error ?? "", /old one keeps serving.*sha256/);
    assert.equal(edge.model.sha256, before);
    assert.equal((await edge.predict(sureTexts[0] as string)).answeredBy, "edge");
  });

  test("with a public key, only bundles signed by it are taken: at start and from sync", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const signingKey = privateKey.export({ format: "pem", type: "pkcs8" }).toString();
    const trusted = Buffer.from(String(publicKey.export({ format: "jwk" }).x), "base64url").toString(
      "base64",
    );
    const signed = (await buildBundle(fixtures.classifyDir, { useCase: { id: useCase }, signingKey })).bytes;
    await assert.rejects(client({ publicKey: trusted }), /not signed/);
    const edge = await client({ publicKey: trusted, bundle: signed });
    assert.equal(edge.status().bundle.signedBy, trusted);
    gateway.setBundle(newerBundle);
    const result = await edge.sync();
    assert.equal(result.bundle, "refused");
    assert.match(result.error ?? "", /not signed/);
  });

  test("a bundle made for another use case is refused", async () => {
    const other = (await buildBundle(fixtures.classifyDir, { useCase: { id: "other" } })).bytes;
    await assert.rejects(client({ bundle: other }), /for use case "other", not "support"/);
    const edge = await client();
    gateway.setBundle(other);
    assert.equal((await edge.sync()).bundle, "refused");
  });

  test("without any bundle, the client downloads one at start, and says so when it cannot", async () => {
    const storage = createMemoryStorage();
    const edge = await client({ storage, bundle: null });
    assert.equal(edge.model.sha256, (await loadEdgeModel(bundle)).sha256);
    assert.ok((await storage.get("bundle")) instanceof Uint8Array);
    gateway.failWith(503);
    await assert.rejects(client({ bundle: null }), /no bundle to start with.*status 503/);
  });
});

describe("the queue", () => {
  test("is bounded: past the bound the oldest local decisions go first, escalations stay", async () => {
    const { fetch: fetchFunction, offline } = switchableFetch();
    const edge = await client({ fetch: fetchFunction, maxQueuedEvents: 5 });
    offline.now = true;
    const escalation = await edge.predict(unsureTexts[0] as string);
    for (const text of sureTexts.slice(0, 6)) await edge.predict(text);
    assert.equal(edge.status().queued, 5);
    assert.equal(edge.status().dropped, 2);
    offline.now = false;
    await edge.sync();
    assert.ok(gateway.events.has(escalation.id));
    assert.equal(gateway.batches[0]?.dropped_total, 2);
  });

  test("survives a restart on file storage: the queue and the downloaded bundle come back", async () => {
    const dir = join(root, "device-storage");
    const { fetch: fetchFunction, offline } = switchableFetch();
    const first = await client({ storage: createFileStorage(dir), fetch: fetchFunction });
    gateway.setBundle(newerBundle);
    assert.equal((await first.sync()).bundle, "updated");
    offline.now = true;
    const queued = await first.predict(unsureTexts[0] as string);
    await first.predict(sureTexts[0] as string);
    await first.close();
    const second = await client({ storage: createFileStorage(dir) });
    assert.equal(second.model.sha256, (await loadEdgeModel(newerBundle)).sha256);
    assert.equal(second.status().queued, 2);
    assert.equal((await second.sync()).uploaded, 2);
    assert.ok(gateway.events.has(queued.id));
  });
});
