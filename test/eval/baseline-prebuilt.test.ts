import assert from "node:assert/strict";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { baselineCandidates } from "../../src/cli/baseline.js";
import { computeCostPer1kRequests, formatBaselineTable, runBaseline } from "../../src/eval/baseline.js";
import { loadUseCase } from "../../src/spec/load.js";
import { tinyGgufParameterCount, writeTinyGguf } from "../helpers/tiny-gguf.js";

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
    await writeTinyGguf(join(dir, "tiny.gguf"), { seed: 5, license: "mit" });
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
    // For choosing a base model: the header's figures, the file's size, the memory the load took, and the
    // machine's time per 1K requests at the assumed $0.10/h over the measured throughput.
    assert.equal(row?.parameters, tinyGgufParameterCount({}));
    assert.equal(row?.fileBytes, (await stat(join(dir, "tiny.gguf"))).size);
    assert.ok(typeof row?.memoryBytes === "number" && row.memoryBytes >= 0);
    assert.equal(row?.contextLength, 256);
    assert.equal(row?.license, "mit");
    assert.equal(row?.costBasis, "compute");
    assert.ok((row?.costPer1kRequestsUsd ?? 0) > 0, "a local model's cost is the machine's time, not $0");
    assert.equal(row?.costPer1kRequestsUsd, computeCostPer1kRequests(0.1, row?.throughputPerSec ?? 0));
    const table = formatBaselineTable({
      createdAt: "",
      testSize: 2,
      machineUsdPerHour: { value: 0.1, source: "assumed", note: "" },
      rows: row === undefined ? [] : [row],
    });
    assert.match(table, /params +size +memory +context +licence/);
    assert.match(table, new RegExp(`${(tinyGgufParameterCount({}) / 1000).toFixed(1)}k .* 256 +mit`));

    // A file that declares no licence shows the use case's `prebuilt.license`.
    await writeTinyGguf(join(dir, "unlicensed.gguf"), { seed: 5 });
    const configured = await loadUseCase(
      await useCaseWith(dir, "  gguf: unlicensed.gguf\n  fewShot: 0\n  license: llama3.2-community"),
    );
    const [configuredRow] = (
      await runBaseline(baselineCandidates({ concurrency: 1 }, configured), examples, { latencySamples: 1 })
    ).rows;
    assert.equal(configuredRow?.error, undefined, configuredRow?.error);
    assert.equal(configuredRow?.license, "llama3.2-community");

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
