import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, before, beforeEach, describe, test } from "node:test";
import { SlmkitError } from "../../src/errors.js";
import type { NativeClassifier } from "../../src/models/native/classifier.js";
import { createDriftMonitor, type DriftMonitorUseCase } from "../../src/monitor/drift-monitor.js";
import { buildReferenceProfile } from "../../src/monitor/reference.js";
import type { DriftReport, ReferenceProfile } from "../../src/monitor/types.js";
import { generateSupportData } from "../../src/spec/catalog/support.js";
import type { UseCase } from "../../src/spec/schema.js";
import { createStore } from "../../src/store/index.js";
import type { RequestLogEntry, Store } from "../../src/store/types.js";
import {
  referenceTexts,
  rowsFor,
  sameDistributionTexts,
  supportUseCase,
  trainSupportModel,
} from "./support-model.js";

let model: NativeClassifier;
let reference: ReferenceProfile;
let dir: string;
let store: Store;
let useCase: UseCase;
/** createdAt of the next logged row: each batch comes after the previous one, as live traffic does. */
let clock: number;

/** Long tickets: several pasted together, a shape the model never saw. */
let longTexts: string[];

before(async () => {
  ({ model } = await trainSupportModel());
  reference = buildReferenceProfile(model, referenceTexts());
  dir = await mkdtemp(join(tmpdir(), "slmkit-drift-monitor-"));
  useCase = supportUseCase({ window: 300, minRequests: 200 });
  const fresh = generateSupportData({ seed: 9, perLabel: 30 }).map((example) => example.text);
  longTexts = Array.from({ length: 300 }, (_, index) => fresh.slice(index, index + 12).join(" "));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  store = createStore({ kind: "sqlite", path: join(dir, `gateway-${Date.now()}-${Math.random()}.db`) });
  await store.migrate();
  clock = 1_700_000_000_000;
});

afterEach(async () => {
  await store.close();
});

async function log(texts: readonly string[], modelVersion = "v1"): Promise<RequestLogEntry[]> {
  const rows = rowsFor(model, texts, { start: clock, modelVersion });
  clock += texts.length;
  for (const row of rows) store.logRequest(row);
  await store.flush();
  return rows;
}

function watched(overrides: Partial<DriftMonitorUseCase> = {}): DriftMonitorUseCase {
  return { id: "support", spec: useCase, modelVersion: () => "v1", reference: () => reference, ...overrides };
}

interface LoggedEvent {
  level: "info" | "warn" | "error";
  context: Record<string, unknown>;
  message: string;
}

function recordingLogger() {
  const events: LoggedEvent[] = [];
  return {
    events,
    warn: (context: object, message: string) =>
      events.push({ level: "warn", context: context as Record<string, unknown>, message }),
    error: (context: object, message: string) =>
      events.push({ level: "error", context: context as Record<string, unknown>, message }),
    info: (context: object, message: string) =>
      events.push({ level: "info", context: context as Record<string, unknown>, message }),
  };
}

const statusOf = (report: DriftReport, name: string) =>
  report.checks.find((check) => check.name === name)?.status;

describe("drift monitor on a SQLite request log", () => {
  test("reads the newest window and logs a status change once, not on every check", async () => {
    const logger = recordingLogger();
    const reports: DriftReport[] = [];
    const monitor = createDriftMonitor({
      store,
      useCases: [watched()],
      logger,
      onReport: (report) => reports.push(report),
    });
    await log(longTexts);
    await log(sameDistributionTexts(20));
    const first = await monitor.check("support");
    // The long tickets are older than the newest 300 rows: out of the window.
    assert.equal(first.window.n, 300);
    assert.equal(first.status, "ok");
    assert.equal(statusOf(first, "inputLength"), "ok");
    assert.equal(logger.events.length, 0, "a first check that finds nothing says nothing");

    await log(longTexts);
    const drifted = await monitor.check("support");
    assert.equal(drifted.status, "drift");
    assert.equal(statusOf(drifted, "inputLength"), "alert");
    assert.equal(logger.events.length, 1);
    const event = logger.events[0];
    assert.ok(event !== undefined);
    assert.equal(event.level, "warn");
    assert.equal(event.context.event, "drift");
    assert.equal(event.context.useCaseId, "support");
    assert.equal(event.context.status, "drift");
    assert.ok((event.context.checks as string[]).includes("inputLength"));

    await monitor.check("support");
    await monitor.check("support");
    assert.equal(logger.events.length, 1, "the same verdict is not logged again");

    await log(sameDistributionTexts(20));
    const recovered = await monitor.check("support");
    assert.equal(recovered.status, "ok");
    assert.equal(logger.events.length, 2);
    assert.deepEqual(logger.events[1]?.context, {
      event: "drift",
      useCaseId: "support",
      status: "ok",
      checks: [],
    });

    assert.equal(reports.length, 5, "every check is passed to onReport");
    assert.equal(monitor.latest("support"), recovered);
    await monitor.close();
  });

  test("reads the window in pages: rows sharing a millisecond across a page edge are each counted once", async () => {
    // 400 rows, two per millisecond: the 250-row pages end in the middle of a millisecond.
    const rows = rowsFor(model, sameDistributionTexts().slice(0, 400), { start: clock }).map(
      (row, index) => ({
        ...row,
        createdAt: clock + Math.floor(index / 2),
      }),
    );
    for (const row of rows) store.logRequest(row);
    await store.flush();
    const seen: string[] = [];
    const paging = {
      ...store,
      listRequests: async (filter: Parameters<Store["listRequests"]>[0]) => {
        const page = await store.listRequests(filter);
        seen.push(...page.map((row) => row.id));
        return page;
      },
    } as Store;
    const monitor = createDriftMonitor({ store: paging, useCases: [watched()] });
    const report = await monitor.check("support");
    await monitor.close();
    assert.equal(report.window.n, 300, "the window holds exactly monitor.window rows");
    assert.ok(seen.length > 300, "more than one page was read");
    // The newest 300 rows by time are the last 300 logged.
    assert.equal(report.window.from, rows[100]?.createdAt);
    assert.equal(report.window.to, rows[399]?.createdAt);
  });

  test("leaves out rows, feedback and shadow results of other model versions", async () => {
    await log(sameDistributionTexts(20), "v0");
    const monitor = createDriftMonitor({ store, useCases: [watched({ modelVersion: () => "v1" })] });
    const report = await monitor.check("support");
    assert.equal(report.window.n, 0);
    assert.equal(report.status, "insufficient");
    const anyVersion = createDriftMonitor({ store, useCases: [watched({ modelVersion: () => null })] });
    assert.equal((await anyVersion.check("support")).window.n, 300);
    await Promise.all([monitor.close(), anyVersion.close()]);
  });

  test("feedback and shadow comparisons of the window's range feed their checks", async () => {
    const old = await log(sameDistributionTexts(20));
    const rows = await log(sameDistributionTexts(20));
    // Before the window: must not count.
    for (const row of old.slice(0, 50)) {
      await store.addShadowResult({
        requestId: row.id,
        useCaseId: "support",
        slmLabel: row.slmLabel ?? "",
        llmLabel: "none",
        outcome: "disagreed",
        modelVersion: "v1",
        createdAt: row.createdAt,
      });
    }
    for (const [index, row] of rows.slice(0, 40).entries()) {
      await store.addShadowResult({
        requestId: row.id,
        useCaseId: "support",
        slmLabel: row.slmLabel ?? "",
        llmLabel: row.slmLabel,
        outcome: "agreed",
        modelVersion: "v1",
        createdAt: row.createdAt,
      });
      await store.addFeedback({
        requestId: row.id,
        correct: index < 28 ? (row.label ?? "") : "speak_to_human",
        source: "user",
        createdAt: clock + index,
      });
    }
    const monitor = createDriftMonitor({ store, useCases: [watched()] });
    const report = await monitor.check("support");
    const shadow = report.checks.find((check) => check.name === "shadowAgreement");
    assert.equal(shadow?.n, 40);
    assert.equal(shadow?.status, "ok");
    const feedback = report.checks.find((check) => check.name === "feedbackAccuracy");
    assert.equal(feedback?.n, 40);
    assert.equal(feedback?.value, 28 / 40);
    assert.equal(feedback?.status, "alert");
    assert.equal(report.status, "drift");
    await monitor.close();
  });

  test("start checks at once and on every interval until close; a failing check is logged", async () => {
    await log(sameDistributionTexts(20));
    const logger = recordingLogger();
    let reports = 0;
    const reported = new Set<string>();
    let reachedThree: () => void = () => {};
    const three = new Promise<void>((resolve) => {
      reachedThree = resolve;
    });
    const monitor = createDriftMonitor({
      store,
      intervalMs: 5,
      logger,
      useCases: [
        watched(),
        watched({
          id: "broken",
          reference: () => {
            throw new SlmkitError("MODEL_CORRUPT", "no reference");
          },
        }),
      ],
      onReport: (report) => {
        reported.add(report.useCaseId);
        reports += 1;
        if (reports === 3) reachedThree();
      },
    });
    monitor.start();
    monitor.start();
    // The monitor's timer is unref'd (it never keeps a process alive): hold the loop open while waiting for it.
    const keepAlive = setInterval(() => undefined, 1_000);
    try {
      await three;
    } finally {
      clearInterval(keepAlive);
    }
    await monitor.close();
    const afterClose = reports;
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(reports, afterClose, "no check runs after close");
    const failures = logger.events.filter((event) => event.context.event === "drift_check_failed");
    assert.ok(failures.length >= 1);
    assert.equal(failures[0]?.level, "error");
    assert.equal(failures[0]?.context.useCaseId, "broken");
    assert.equal(monitor.latest("broken"), undefined);
    assert.deepEqual([...reported], ["support"]);
  });

  test("an unknown use case is a clear error", async () => {
    const monitor = createDriftMonitor({ store, useCases: [watched()] });
    await assert.rejects(monitor.check("nope"), (error) => {
      assert.ok(SlmkitError.isInstance(error) && error.code === "INVALID_INPUT");
      assert.match(error.message, /no use case "nope".*known: support/);
      return true;
    });
    await monitor.close();
  });
});
