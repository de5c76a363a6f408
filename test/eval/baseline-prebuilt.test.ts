import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { baselineCandidates } from "../../src/cli/baseline.js";
import { runBaseline } from "../../src/eval/baseline.js";
import { loadUseCase } from "../../src/spec/load.js";
import { writeTinyGguf } from "../helpers/tiny-gguf.js";

async function useCaseWith(dir: string, prebuilt: string): Promise<string> {
  const rows = [
    "refund my invoice",
    "where is my parcel",
    "invoice charged twice",
    "courier lost the parcel",
  ];
  await writeFile(
    join(dir, "train.jsonl"),
    rows.map((text, index) => JSON.stringify({ text, label: index % 2 ? "shipping" : "billing" })).join("\n"),
  );
  const path = join(dir, `usecase-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(
    path,
    `version: 1
id: tickets
title: Tickets
task: classify
labels: [{name: billing, description: money matters}, {name: shipping, description: parcels}]
data: {train: train.jsonl}
prebuilt:
${prebuilt}
`,
  );
  return path;
}

test("baseline measures the use case's prebuilt GGUF model, and a missing LoRA adapter is a clear row error", async () => {
  const dir = await mkdtemp(join(tmpdir(), "slmkit-prebuilt-"));
  try {
    await writeTinyGguf(join(dir, "tiny.gguf"), { seed: 5 });
    const examples = [
      { text: "refund the invoice please", label: "billing" },
      { text: "the parcel never came", label: "shipping" },
    ];
    const good = await loadUseCase(await useCaseWith(dir, "  gguf: tiny.gguf\n  fewShot: 2"));
    const [row] = (
      await runBaseline(baselineCandidates({ concurrency: 1 }, good), examples, { latencySamples: 2 })
    ).rows;
    assert.equal(row?.source, "usecase prebuilt");
    assert.equal(row?.error, undefined, row?.error);
    assert.equal(row?.n, 2);
    assert.ok(typeof row?.accuracy === "number");
    assert.equal(row?.costPer1kRequestsUsd, 0);

    const missing = await loadUseCase(
      await useCaseWith(dir, "  gguf: tiny.gguf\n  loraAdapters: [adapters/none.gguf]"),
    );
    const [failed] = (
      await runBaseline(baselineCandidates({ concurrency: 1 }, missing), examples, { latencySamples: 2 })
    ).rows;
    assert.match(failed?.error ?? "", /LoRA adapter file .*none\.gguf/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
