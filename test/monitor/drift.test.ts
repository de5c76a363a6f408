import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { NativeClassifier } from "../../src/models/native/classifier.js";
import { computeDrift, minAccuracyItems } from "../../src/monitor/drift.js";
import { driftGaugeValues } from "../../src/monitor/drift-monitor.js";
import { formatDriftReport } from "../../src/monitor/format.js";
import { buildReferenceProfile, profileFromLog } from "../../src/monitor/reference.js";
import type { DriftCheckName, DriftReport, ReferenceProfile } from "../../src/monitor/types.js";
import { generateSupportData } from "../../src/spec/catalog/support.js";
import type { UseCase } from "../../src/spec/schema.js";
import type { LabelledRequest, RequestLogEntry, ShadowOutcome, ShadowResult } from "../../src/store/types.js";
import {
  referenceTexts,
  rowsFor,
  sameDistributionTexts,
  supportUseCase,
  trainSupportModel,
} from "./support-model.js";

let model: NativeClassifier;
let reference: ReferenceProfile;
let useCase: UseCase;

before(async () => {
  ({ model } = await trainSupportModel());
  reference = buildReferenceProfile(model, referenceTexts());
  useCase = supportUseCase();
});

function drift(
  window: RequestLogEntry[],
  extra: { labelled?: LabelledRequest[]; shadow?: ShadowResult[]; useCase?: UseCase } = {},
): DriftReport {
  return computeDrift({
    useCase: extra.useCase ?? useCase,
    reference,
    window,
    ...(extra.labelled ? { labelled: extra.labelled } : {}),
    ...(extra.shadow ? { shadow: extra.shadow } : {}),
    modelVersion: "v1",
    now: 1_700_000_100_000,
  });
}

function statusOf(report: DriftReport): Record<DriftCheckName, string> {
  return Object.fromEntries(report.checks.map((check) => [check.name, check.status])) as Record<
    DriftCheckName,
    string
  >;
}

function alerting(report: DriftReport): DriftCheckName[] {
  return report.checks.filter((check) => check.status === "alert").map((check) => check.name);
}

/** A ticket stream from another seed than the reference's. */
const fresh = generateSupportData({ seed: 9, perLabel: 40 });

/** Replaces about half the words with ones the model never saw (a new product line, say). */
function withUnseenWords(text: string, index: number): string {
  const words = ["zorblax", "quintessa", "flurbo", "magnetar", "kvetch", "wibble", "gazump", "brindle"];
  return text
    .split(" ")
    .map((word, position) =>
      (index + position) % 2 === 0 ? (words[(index * 7 + position) % words.length] as string) : word,
    )
    .join(" ");
}

function labelled(
  count: number,
  correct: number,
  overrides: Partial<LabelledRequest> = {},
): LabelledRequest[] {
  return Array.from({ length: count }, (_, index) => ({
    requestId: `request-${index}`,
    useCaseId: "support",
    text: null,
    correct: "refund_status",
    source: "user" as const,
    servedLabel: index < correct ? "refund_status" : "order_status",
    answeredBy: "slm" as const,
    modelVersion: "v1",
    createdAt: 1_700_000_000_000 + index,
    ...overrides,
  }));
}

function shadow(outcomes: Partial<Record<ShadowOutcome, number>>): ShadowResult[] {
  return Object.entries(outcomes).flatMap(([outcome, count]) =>
    Array.from({ length: count }, (_, index) => ({
      requestId: `${outcome}-${index}`,
      useCaseId: "support",
      slmLabel: "refund_status",
      llmLabel: outcome === "agreed" ? "refund_status" : "order_status",
      outcome: outcome as ShadowOutcome,
      modelVersion: "v1",
      createdAt: 1_700_000_000_000 + index,
    })),
  );
}

describe("computeDrift", () => {
  test("traffic from the distribution the model was built for is ok", () => {
    const report = drift(rowsFor(model, sameDistributionTexts()));
    assert.equal(report.status, "ok");
    assert.deepEqual(alerting(report), []);
    const status = statusOf(report);
    for (const name of ["labels", "confidence", "inputLength", "unknownTokens", "escalationRate"] as const)
      assert.equal(status[name], "ok", name);
    assert.equal(report.window.n, 450);
    assert.equal(report.window.from, 1_700_000_000_000);
    assert.equal(report.window.to, 1_700_000_000_449);
    assert.equal(report.reference.source, "training");
    const labels = report.checks.find((check) => check.name === "labels");
    assert.ok(labels?.value !== null && labels?.value !== undefined && labels.value < 0.1);
  });

  test("one label dominating alerts on the label mix", () => {
    const refunds = fresh
      .filter((example) => example.label === "refund_status")
      .map((example) => example.text);
    const others = fresh.filter((example) => example.label !== "refund_status").slice(0, 60);
    // 40 refund tickets, each arriving 5 times: 200 of 260 requests are about refunds.
    const texts = [
      ...refunds,
      ...refunds,
      ...refunds,
      ...refunds,
      ...refunds,
      ...others.map((example) => example.text),
    ];
    const report = drift(rowsFor(model, texts));
    assert.equal(report.status, "drift");
    assert.ok(alerting(report).includes("labels"));
    assert.equal(statusOf(report).inputLength, "ok");
    const check = report.checks.find((item) => item.name === "labels");
    assert.match(
      check?.detail ?? "",
      /^PSI \d+\.\d\d > 0\.20: the mix of predicted labels changed \(largest move: refund_status/,
    );
  });

  test("unseen words alert on unknown n-grams, not on input length", () => {
    const texts = fresh.slice(0, 300).map((example, index) => withUnseenWords(example.text, index));
    const report = drift(rowsFor(model, texts));
    const status = statusOf(report);
    assert.equal(status.unknownTokens, "alert");
    assert.equal(status.inputLength, "ok");
    const check = report.checks.find((item) => item.name === "unknownTokens");
    assert.ok(check !== undefined && check.value !== null && check.reference !== null);
    assert.ok(check.value > check.reference + useCase.monitor.unknownShareIncrease);
    assert.equal(check.threshold, check.reference + useCase.monitor.unknownShareIncrease);
  });

  test("long inputs alert on input length", () => {
    const texts = Array.from({ length: 250 }, (_, index) =>
      fresh
        .slice(index, index + 12)
        .map((example) => example.text)
        .join(" "),
    );
    const report = drift(rowsFor(model, texts));
    assert.equal(statusOf(report).inputLength, "alert");
    assert.equal(statusOf(report).unknownTokens, "ok");
    const check = report.checks.find((item) => item.name === "inputLength");
    assert.match(check?.detail ?? "", /inputs are longer than the model was built for/);
  });

  test("a rising escalation rate alerts against the reference's rate", () => {
    const rows = rowsFor(model, sameDistributionTexts()).map((row) => ({ ...row, threshold: 0.999 }));
    const report = drift(rows);
    assert.equal(statusOf(report).escalationRate, "alert");
    const check = report.checks.find((item) => item.name === "escalationRate");
    assert.equal(check?.reference, reference.escalationRate);
  });

  test("a window below monitor.minRequests is insufficient, check by check", () => {
    const report = drift(rowsFor(model, sameDistributionTexts(10)));
    assert.equal(report.window.n, 150);
    assert.equal(report.status, "insufficient");
    for (const check of report.checks) {
      assert.equal(check.status, "insufficient", check.name);
      assert.equal(check.value, null);
    }
    const labels = report.checks.find((check) => check.name === "labels");
    assert.match(labels?.detail ?? "", /150 requests .* 200 needed \(monitor\.minRequests\)/);
    const lower = drift(rowsFor(model, sameDistributionTexts(10)), {
      useCase: supportUseCase({ minRequests: 100 }),
    });
    assert.equal(lower.status, "ok");
  });

  test("an empty window is insufficient with no time range", () => {
    const report = drift([]);
    assert.equal(report.status, "insufficient");
    assert.deepEqual(report.window, { n: 0, from: null, to: null });
  });

  test("rows without a figure are skipped for that check only", () => {
    const rows = rowsFor(model, sameDistributionTexts()).map((row, index) =>
      index < 300 ? { ...row, unknownShare: null, inputChars: null, slmLabel: null } : row,
    );
    const status = statusOf(drift(rows));
    assert.equal(status.unknownTokens, "insufficient");
    assert.equal(status.inputLength, "insufficient");
    assert.equal(status.labels, "insufficient");
    assert.equal(status.confidence, "ok");
    assert.equal(status.escalationRate, "ok");
  });

  test("rows answered by the cache count, and kept text stands in for a missing length", () => {
    const rows = rowsFor(model, sameDistributionTexts()).map((row, index) =>
      index % 2 === 0
        ? { ...row, answeredBy: "cache" as const, inputChars: null, inputText: "x".repeat(2000) }
        : row,
    );
    const report = drift(rows);
    assert.equal(report.checks.find((check) => check.name === "inputLength")?.n, 450);
    assert.equal(statusOf(report).inputLength, "alert");
    assert.equal(statusOf(report).labels, "ok");
  });

  test("a reference without a figure makes that check insufficient rather than compare with zero", () => {
    const pinnedRows = rowsFor(model, referenceTexts()).map((row) => ({ ...row, unknownShare: null }));
    const pinned = profileFromLog(pinnedRows, model.labels);
    const report = computeDrift({
      useCase,
      reference: pinned,
      window: rowsFor(model, sameDistributionTexts()),
      modelVersion: "v1",
      now: 0,
    });
    assert.equal(report.reference.source, "window");
    assert.equal(statusOf(report).unknownTokens, "insufficient");
    assert.equal(statusOf(report).labels, "ok");
    assert.equal(report.status, "ok");
  });
});

describe("feedback and shadow checks", () => {
  const window = () => rowsFor(model, sameDistributionTexts());

  test("feedback accuracy below routing.targetAccuracy alerts", () => {
    const report = drift(window(), { labelled: labelled(40, 30) });
    const check = report.checks.find((item) => item.name === "feedbackAccuracy");
    assert.equal(check?.status, "alert");
    assert.equal(check?.value, 0.75);
    assert.equal(check?.threshold, 0.97);
    assert.equal(check?.direction, "below");
    assert.match(check?.detail ?? "", /^75\.0% of 40 feedback items < 97\.0% \(routing\.targetAccuracy\)/);
    assert.equal(report.status, "drift");
  });

  test("feedback accuracy uses monitor.minAccuracy when set", () => {
    const report = drift(window(), {
      labelled: labelled(40, 30),
      useCase: supportUseCase({ minAccuracy: 0.7 }),
    });
    const check = report.checks.find((item) => item.name === "feedbackAccuracy");
    assert.equal(check?.status, "ok");
    assert.equal(check?.threshold, 0.7);
  });

  test("fewer than 30 judged feedback items is insufficient; unserved requests are not judged", () => {
    const few = drift(window(), { labelled: labelled(minAccuracyItems - 1, 0) });
    assert.equal(statusOf(few).feedbackAccuracy, "insufficient");
    const unserved = labelled(40, 40).map((item, index) =>
      index < 20 ? { ...item, servedLabel: null } : item,
    );
    const report = drift(window(), { labelled: unserved });
    assert.equal(statusOf(report).feedbackAccuracy, "insufficient");
    assert.equal(report.checks.find((item) => item.name === "feedbackAccuracy")?.n, 20);
    assert.equal(statusOf(drift(window(), { labelled: labelled(40, 40) })).feedbackAccuracy, "ok");
  });

  test("shadow agreement counts agreed and disagreed only", () => {
    const report = drift(window(), { shadow: shadow({ agreed: 35, disagreed: 5, unsure: 50, failed: 10 }) });
    const check = report.checks.find((item) => item.name === "shadowAgreement");
    assert.equal(check?.status, "alert");
    assert.equal(check?.n, 40);
    assert.equal(check?.value, 35 / 40);
    const ok = drift(window(), { shadow: shadow({ agreed: 40, failed: 10 }) });
    assert.equal(statusOf(ok).shadowAgreement, "ok");
    const few = drift(window(), { shadow: shadow({ agreed: 20, disagreed: 5, unsure: 100 }) });
    assert.equal(statusOf(few).shadowAgreement, "insufficient");
  });

  test("an alerting feedback check makes a short window's report drift, not insufficient", () => {
    const report = drift(rowsFor(model, sameDistributionTexts(5)), { labelled: labelled(40, 10) });
    assert.equal(report.status, "drift");
    assert.equal(statusOf(report).labels, "insufficient");
  });
});

describe("report outputs", () => {
  test("gauge values carry each check's value and alert flag, NaN without a value", () => {
    const report = drift(rowsFor(model, sameDistributionTexts()), { labelled: labelled(40, 30) });
    const gauges = driftGaugeValues(report);
    assert.equal(gauges.length, 7);
    const feedback = gauges.find((gauge) => gauge.check === "feedbackAccuracy");
    assert.deepEqual(feedback, { check: "feedbackAccuracy", value: 0.75, alert: 1 });
    const labels = gauges.find((gauge) => gauge.check === "labels");
    assert.equal(labels?.alert, 0);
    assert.ok(labels !== undefined && labels.value >= 0 && labels.value < 0.1);
    assert.ok(Number.isNaN(gauges.find((gauge) => gauge.check === "shadowAgreement")?.value));
  });

  test("the text table lists every check and ends with the verdict", () => {
    const report = drift(rowsFor(model, sameDistributionTexts()), { labelled: labelled(40, 30) });
    const text = formatDriftReport(report);
    for (const check of report.checks) assert.match(text, new RegExp(`^${check.name} `, "m"));
    assert.match(text, /^feedbackAccuracy +75\.0% +- +< 97\.0% +alert /m);
    assert.match(text, /status: drift \(feedbackAccuracy\)\n$/);
  });
});
