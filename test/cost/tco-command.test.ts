// `slmkit tco` end to end: flags through commander, the log in SQLite, the summary, the JSON and HTML files.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Command } from "commander";
import { registerTcoCommand, runTcoCommand, type TcoCommandOutput } from "../../src/cli/tco.js";
import type { TcoReport } from "../../src/cost/types.js";
import { SlmkitError } from "../../src/errors.js";
import { createStore } from "../../src/store/index.js";
import type { AnsweredBy } from "../../src/types.js";

let dir: string;
let useCasePath: string;
let storePath: string;
/** A demo's first minutes: 9 requests, 8 answered locally, 1 sent to a person because the LLM had no key. */
let smallStorePath: string;

function collector(): TcoCommandOutput & { out: () => string; err: () => string } {
  let out = "";
  let err = "";
  return {
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
    out: () => out,
    err: () => err,
  };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "slmkit-tco-command-"));
  useCasePath = join(dir, "usecase.yaml");
  writeFileSync(
    useCasePath,
    `version: 1
id: support
title: Support tickets
task: classify
labels:
  - name: billing
  - name: shipping
data:
  train: train.jsonl
llm:
  model: gpt-4o
  pricePer1kInputUsd: 0.0025
  pricePer1kOutputUsd: 0.01
`,
  );
  writeFileSync(
    join(dir, "train.jsonl"),
    `${JSON.stringify({ text: "my invoice is wrong", label: "billing" })}\n${JSON.stringify({ text: "where is my parcel", label: "shipping" })}\n`,
  );
  storePath = join(dir, "gateway.db");
  const store = createStore({ kind: "sqlite", path: storePath });
  await store.migrate();
  const kinds: AnsweredBy[] = [...Array<AnsweredBy>(85).fill("slm"), ...Array<AnsweredBy>(15).fill("llm")];
  kinds.forEach((answeredBy, index) => {
    const llm = answeredBy === "llm";
    store.logRequest({
      id: randomUUID(),
      useCaseId: "support",
      apiKeyId: null,
      createdAt: Date.UTC(2026, 10, 1) + index * 3_600_000,
      inputHash: String(index),
      inputText: null,
      answeredBy,
      reason: "test",
      label: "billing",
      confidence: 0.9,
      threshold: 0.8,
      slmLabel: "billing",
      slmConfidence: 0.9,
      llmLabel: llm ? "billing" : null,
      latencyMs: 1,
      inputTokens: llm ? 300 : 0,
      outputTokens: llm ? 2 : 0,
      costUsd: llm ? 0.00077 : 0,
      modelVersion: null,
    });
  });
  await store.close();
  smallStorePath = join(dir, "small.db");
  const small = createStore({ kind: "sqlite", path: smallStorePath });
  await small.migrate();
  for (let index = 0; index < 9; index++) {
    small.logRequest({
      id: randomUUID(),
      useCaseId: "support",
      apiKeyId: null,
      createdAt: Date.UTC(2026, 11, 1) + index * 60_000,
      inputHash: String(index),
      inputText: null,
      answeredBy: index < 8 ? "slm" : "review",
      reason: index < 8 ? "test" : "no LLM configured",
      label: index < 8 ? "billing" : null,
      confidence: 0.9,
      threshold: 0.8,
      slmLabel: "billing",
      slmConfidence: index < 8 ? 0.9 : 0.4,
      llmLabel: null,
      latencyMs: 1,
      inputTokens: 0,
      outputTokens: 0,
      costUsd: 0,
      modelVersion: null,
    });
  }
  await small.close();
});

after(() => rmSync(dir, { recursive: true, force: true }));

describe("slmkit tco", () => {
  test("reads the log, prints the summary and writes the JSON and HTML reports", async () => {
    const output = collector();
    const jsonPath = join(dir, "out", "tco.json");
    const htmlPath = join(dir, "out", "tco.html");
    const report = await runTcoCommand(
      {
        usecase: useCasePath,
        store: `sqlite:${storePath}`,
        json: jsonPath,
        html: htmlPath,
        machineUsdPerHour: 0.2,
        throughput: 5000,
      },
      output,
    );
    assert.equal(report.inputs.escalationRate?.value, 0.15);
    assert.equal(report.inputs.escalationRate?.source, "measured");
    assert.deepEqual(
      [report.inputs.machineUsdPerHour?.value, report.inputs.machineUsdPerHour?.source],
      [0.2, "configured"],
    );
    assert.equal(report.inputs.throughputPerSec?.value, 5000);
    assert.equal(report.inputs.llmInputTokensPerCall?.value, 300);
    assert.match(output.out(), /^Total cost of ownership: support/);
    assert.match(output.out(), /wrote .*tco\.json/);
    const written = JSON.parse(readFileSync(jsonPath, "utf8")) as TcoReport;
    assert.deepEqual(written, JSON.parse(JSON.stringify(report)));
    const html = readFileSync(htmlPath, "utf8");
    assert.match(html, /<svg class="tco-chart"/);
  });

  test("flags reach the report through commander, camel-cased", async () => {
    const output = collector();
    const program = new Command().exitOverride();
    registerTcoCommand(program, output);
    await program.parseAsync(
      [
        "tco",
        "--usecase",
        useCasePath,
        "--store",
        `sqlite:${storePath}`,
        "--json",
        "-",
        "--machine-usd-per-hour",
        "0.3",
        "--throughput",
        "2000",
        "--replicas",
        "2",
        "--llm-price-in",
        "0.001",
        "--review-cost-usd",
        "0.5",
        "--amortize-months",
        "6",
      ],
      { from: "user" },
    );
    // `--json -`: stdout is only the JSON.
    const report = JSON.parse(output.out()) as TcoReport;
    assert.equal(report.inputs.machineUsdPerHour?.value, 0.3);
    assert.equal(report.inputs.throughputPerSec?.value, 2000);
    assert.equal(report.inputs.replicas?.value, 2);
    assert.equal(report.inputs.llmPricePer1kInputUsd?.value, 0.001);
    assert.equal(report.inputs.llmPricePer1kOutputUsd?.source, "configured");
    assert.match(report.inputs.llmPricePer1kOutputUsd?.note ?? "", /usecase\.yaml/);
    assert.equal(report.inputs.reviewCostUsdPerItem?.value, 0.5);
    assert.equal(report.inputs.amortizeMonths?.value, 6);
    for (const name of ["machineUsdPerHour", "replicas", "amortizeMonths"]) {
      assert.equal(report.inputs[name]?.source, "configured", name);
    }
  });

  test("a missing SQLite log is not created: traffic figures fall back and a note says so", async () => {
    const output = collector();
    const missing = join(dir, "nothing-here", "gateway.db");
    const report = await runTcoCommand(
      { usecase: useCasePath, store: `sqlite:${missing}`, throughput: 5000 },
      output,
    );
    assert.ok(!existsSync(missing));
    assert.match(output.out(), /no gateway log at/);
    assert.equal(report.inputs.escalationRate?.source, "assumed", "no model and no log");
    assert.equal(report.inputs.llmInputTokensPerCall?.source, "assumed");
  });

  test("a bad date is an error naming the flag", async () => {
    await assert.rejects(
      runTcoCommand(
        { usecase: useCasePath, store: `sqlite:${storePath}`, since: "last tuesday" },
        collector(),
      ),
      (error: unknown) => SlmkitError.isInstance(error) && /--since/.test(error.message),
    );
  });

  test("a handful of requests gives the interval of costs, not a verdict, in lines a person reads", async () => {
    const output = collector();
    const report = await runTcoCommand(
      { usecase: useCasePath, store: `sqlite:${smallStorePath}`, throughput: 5000 },
      output,
    );
    const lines = output.out().split("\n");
    const at = lines.findIndex((line) => line.startsWith("No verdict"));
    assert.ok(at > 0, output.out());
    // Money and volumes vary with the measured defaults; the wording and the interval do not.
    const shape = (line: string) =>
      line.replace(/\$[\d.,]+/g, "$X").replace(/[\d,]+ requests\/month/g, "N/month");
    assert.deepEqual(lines.slice(at, at + 6).map(shape), [
      "No verdict: too few requests logged (9 of the 200 needed).",
      "  Local share:          8 of 9 = 88.9%; 95% interval 56.5% to 98.0% (Wilson score)",
      "  Hybrid per 1,000:     $X to $X across that interval (LLM-only $X)",
      "  SLM-only per 1,000:   $X to $X",
      "  Hybrid break-even:    N/month at best, N/month at worst",
      "  The figures below are at the measured share; read them as one point of that range.",
    ]);
    assert.match(output.out(), /break-even at the measured share/);
    assert.doesNotMatch(output.out(), /Hybrid cheaper than LLM-only above/);
    // The LLM had no key: both ways are priced with it, and the note says so.
    assert.match(output.out(), /Notes\n {2}- The configured LLM \(gpt-4o\) was not reached/);
    assert.equal(report.inputs.llmCallRate?.value, 1 / 9);
    assert.equal(report.inputs.reviewRate?.value, 0);
    assert.match(report.verdict ?? "", /^Too few requests logged for a verdict \(9 of the 200 needed\)/);
  });

  test("--min-sample sets how many logged requests a verdict needs", async () => {
    const output = collector();
    const program = new Command().exitOverride();
    registerTcoCommand(program, output);
    await program.parseAsync(
      [
        "tco",
        "--usecase",
        useCasePath,
        "--store",
        `sqlite:${smallStorePath}`,
        "--throughput",
        "5000",
        "--min-sample",
        "5",
      ],
      { from: "user" },
    );
    assert.match(output.out(), /\nHybrid cheaper than LLM-only above: {3}/);
    assert.doesNotMatch(output.out(), /No verdict/);
  });
});
