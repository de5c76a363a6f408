import assert from "node:assert/strict";
import { join } from "node:path";
import { after, afterEach, before, beforeEach, describe, test } from "node:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { buildEdgeModule } from "../../scripts/build-edge.mjs";
import { type EdgeModel, loadEdgeModel } from "../../src/edge/index.js";
import { buildBundle } from "../../src/models/bundle/write.js";
import { saveNativeModel } from "../../src/models/native/model-directory.js";
import { trainClassifier } from "../../src/train/train-classifier.js";
import { chromiumMissing, launchChromium } from "../helpers/chromium.js";
import { temporaryDirectory } from "../helpers/cli.js";
import { type EdgeFixtures, writeEdgeFixtures } from "../helpers/edge-fixtures.js";
import { type EdgeGatewayStandIn, startEdgeGateway } from "../helpers/edge-gateway.js";
import { skipUnlessAvailable } from "../helpers/skip.js";
import { syntheticExamples } from "../helpers/synthetic.js";

type EdgeModule = typeof import("../../src/edge/index.js");
/** What the page's code reads of the DOM (TypeScript's lib for Node declares none of it). */
type PageDocument = { document: { title: string }; location: { origin: string } };
/** What the test page keeps on `window`: the module, and the client a test made. */
type PageGlobals = { edge: EdgeModule; client?: Awaited<ReturnType<EdgeModule["createEdgeClient"]>> };

const root = temporaryDirectory("slmkit-edge-browser-");
const useCase = "support";
const referenceDate = "2026-03-02T12:00:00.000Z";
const tasks = ["classify", "answer", "extract"] as const;
let fixtures: EdgeFixtures;
let moduleText: string;
const bundles: Record<string, Uint8Array> = {};
let browser: Browser;
let gateway: EdgeGatewayStandIn;
let context: BrowserContext;
let sureTexts: string[];
let unsureTexts: string[];

const page = `<!doctype html><meta charset="utf-8"><title>edge</title>
<script type="module">import * as edge from "/slmkit-edge.js"; window.edge = edge; document.title = "ready";</script>`;

/** Each text's prediction as the page or Node gives it: the contract's fields, JSON-safe. */
function predictAll(model: EdgeModel, texts: readonly string[], date: string): unknown[] {
  return texts.map((text) =>
    model.task === "extract" ? model.predict(text, { referenceDate: new Date(date) }) : model.predict(text),
  );
}

describe("the edge runtime in headless Chromium", { skip: skipUnlessAvailable(chromiumMissing()) }, () => {
  before(async () => {
    fixtures = await writeEdgeFixtures(root);
    moduleText = (await buildEdgeModule()).text;
    for (const task of tasks) {
      bundles[task] = (await buildBundle(fixtures[`${task}Dir`], { useCase: { id: useCase } })).bytes;
    }
    const retrained = await trainClassifier(syntheticExamples(50, 21), {
      valid: fixtures.classifyValid,
      seed: 9,
    });
    await saveNativeModel(retrained.model, join(root, "newer"), retrained.record);
    bundles.newer = (await buildBundle(join(root, "newer"), { useCase: { id: useCase } })).bytes;
    const model = await loadEdgeModel(bundles.classify as Uint8Array);
    const accepted = (text: string) => model.task === "classify" && model.predict(text).accepted;
    sureTexts = fixtures.texts.classify.filter(accepted);
    unsureTexts = fixtures.texts.classify.filter((text) => !accepted(text));
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
  });

  beforeEach(async () => {
    const files: Record<string, { type: string; body: string | Uint8Array }> = {
      "/": { type: "text/html", body: page },
      "/slmkit-edge.js": { type: "text/javascript", body: moduleText },
    };
    for (const [name, bytes] of Object.entries(bundles))
      files[`/bundles/${name}`] = { type: "application/octet-stream", body: bytes };
    gateway = await startEdgeGateway({ useCase, bundle: bundles.classify as Uint8Array, files });
    context = await browser.newContext();
  });

  afterEach(async () => {
    await context.close();
    await gateway.close();
  });

  async function openPage(options: { withoutWebAssembly?: boolean } = {}): Promise<Page> {
    const tab = await context.newPage();
    if (options.withoutWebAssembly === true) {
      // As on React Native: no WebAssembly at all, so the classifier takes its JavaScript path.
      await tab.addInitScript(() => {
        Reflect.deleteProperty(globalThis, "WebAssembly");
      });
    }
    await tab.goto(gateway.url);
    await tab.waitForFunction(() => (globalThis as unknown as PageDocument).document.title === "ready");
    return tab;
  }

  /** Loads each task's bundle in the page (fetched first, then the network cut) and predicts every text. */
  async function pagePredictions(
    tab: Page,
  ): Promise<{ backend: unknown; predictions: Record<string, unknown[]> }> {
    const texts = fixtures.texts;
    const fetched = await tab.evaluate(async () => {
      const bytes: Record<string, number[]> = {};
      for (const name of ["classify", "answer", "extract"])
        bytes[name] = [...new Uint8Array(await (await fetch(`/bundles/${name}`)).arrayBuffer())];
      (globalThis as unknown as { fetched: Record<string, number[]> }).fetched = bytes;
      return Object.keys(bytes).length;
    });
    assert.equal(fetched, 3);
    await context.setOffline(true);
    return tab.evaluate(
      async ({ texts, date }) => {
        const { edge, fetched } = globalThis as unknown as PageGlobals & {
          fetched: Record<string, number[]>;
        };
        const predictions: Record<string, unknown[]> = {};
        let backend: unknown = null;
        for (const task of ["classify", "answer", "extract"] as const) {
          const model = await edge.loadEdgeModel(new Uint8Array(fetched[task] as number[]));
          if (task === "classify") backend = model.backend;
          predictions[task] = texts[task].map((text) =>
            model.task === "extract"
              ? model.predict(text, { referenceDate: new Date(date) })
              : model.predict(text),
          );
        }
        return { backend, predictions };
      },
      { texts, date: referenceDate },
    );
  }

  async function nodePredictions(): Promise<Record<string, unknown[]>> {
    const predictions: Record<string, unknown[]> = {};
    for (const task of tasks)
      predictions[task] = predictAll(
        await loadEdgeModel(bundles[task] as Uint8Array),
        fixtures.texts[task],
        referenceDate,
      );
    return predictions;
  }

  test("offline, the page predicts every task from its bundle exactly as Node does", async () => {
    const tab = await openPage();
    const { backend, predictions } = await pagePredictions(tab);
    assert.equal(backend, "webassembly");
    assert.deepEqual(predictions, await nodePredictions());
  });

  test("with WebAssembly disabled, the JavaScript path gives the same predictions", async () => {
    const tab = await openPage({ withoutWebAssembly: true });
    assert.equal(
      await tab.evaluate(() => typeof (globalThis as { WebAssembly?: unknown }).WebAssembly),
      "undefined",
    );
    const { backend, predictions } = await pagePredictions(tab);
    assert.equal(backend, "javascript");
    assert.deepEqual(predictions, await nodePredictions());
  });

  /** Creates the page's client on IndexedDB; it downloads its bundle from the stand-in when it has none stored. */
  async function startClient(tab: Page): Promise<void> {
    await tab.evaluate(
      async ({ useCase, apiKey }) => {
        const globals = globalThis as unknown as PageGlobals;
        globals.client = await globals.edge.createEdgeClient({
          useCase,
          gateway: { baseURL: (globalThis as unknown as PageDocument).location.origin, apiKey },
          storage: globals.edge.createIndexedDbStorage({ name: "edge-test" }),
          syncIntervalMs: 0,
        });
      },
      { useCase, apiKey: gateway.apiKey },
    );
  }

  const predictInPage = (tab: Page, text: string) =>
    tab.evaluate(async (input) => {
      const decision = await (globalThis as unknown as PageGlobals).client?.predict(input);
      return decision === undefined
        ? null
        : {
            id: decision.id,
            answeredBy: decision.answeredBy,
            label: decision.label,
            queued: decision.queued,
          };
    }, text);

  const syncInPage = (tab: Page) =>
    tab.evaluate(() => (globalThis as unknown as PageGlobals).client?.sync() ?? null);

  test("escalates when online; offline it falls back and queues in IndexedDB; after a reload the queue reaches the gateway once", async () => {
    const tab = await openPage();
    await startClient(tab);
    const escalated = await predictInPage(tab, unsureTexts[0] as string);
    assert.equal(escalated?.answeredBy, "llm");
    assert.equal(gateway.chats.length, 1);
    await context.setOffline(true);
    const local = await predictInPage(tab, sureTexts[0] as string);
    assert.equal(local?.answeredBy, "edge");
    const queued = await predictInPage(tab, unsureTexts[1] as string);
    assert.equal(queued?.answeredBy, "fallback");
    assert.equal(queued?.queued, true);
    assert.equal(gateway.chats.length, 1);
    // The page goes away at once: an escalation is written (with every decision before it) before predict returns.
    await context.setOffline(false);
    await tab.reload();
    await tab.waitForFunction(() => (globalThis as unknown as PageDocument).document.title === "ready");
    await startClient(tab);
    const queuedAfterReload = await tab.evaluate(
      () => (globalThis as unknown as PageGlobals).client?.status().queued,
    );
    assert.equal(queuedAfterReload, 2);
    const synced = await syncInPage(tab);
    assert.equal(synced?.uploaded, 2);
    assert.equal(gateway.events.get(queued?.id as string)?.type, "escalation");
    assert.equal(gateway.events.get(local?.id as string)?.type, "decision");
    assert.equal((await syncInPage(tab))?.uploaded, 0);
    assert.equal(gateway.events.size, 2);
    assert.equal(gateway.duplicates, 0);
  });

  test("a newer bundle synced while the page is open answers the next prediction; a tampered one is refused", async () => {
    const tab = await openPage();
    await startClient(tab);
    const newer = await loadEdgeModel(bundles.newer as Uint8Array);
    gateway.setBundle(bundles.newer as Uint8Array);
    assert.equal((await syncInPage(tab))?.bundle, "updated");
    const text = sureTexts[0] as string;
    const decision = await predictInPage(tab, text);
    assert.equal(decision?.label, newer.task === "classify" ? newer.predict(text).label : null);
    const sha = await tab.evaluate(
      () => (globalThis as unknown as PageGlobals).client?.status().bundle.sha256,
    );
    assert.equal(sha, newer.sha256);
    const tampered = (bundles.classify as Uint8Array).slice();
    tampered[200] = (tampered[200] as number) ^ 0x55;
    gateway.setBundle(tampered);
    const refused = await syncInPage(tab);
    assert.equal(refused?.bundle, "refused");
    assert.match(refused?.error ?? "", /sha256/);
    assert.equal(
      await tab.evaluate(() => (globalThis as unknown as PageGlobals).client?.status().bundle.sha256),
      newer.sha256,
    );
    assert.equal((await predictInPage(tab, text))?.answeredBy, "edge");
  });
});
