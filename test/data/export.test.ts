import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { registerExportCommand } from "../../src/cli/export.js";
import { registerDataSelectCommand } from "../../src/cli/select.js";
import { buildChatExport, estimateTokens } from "../../src/data/export-chat.js";
import { parseClassificationData } from "../../src/data/io.js";
import type { NativeClassifier } from "../../src/models/native/classifier.js";
import { saveNativeModel } from "../../src/models/native/model-directory.js";
import { generateSupportData } from "../../src/spec/catalog/support.js";
import { selectInformative } from "../../src/train/active-learning.js";
import { trainClassifier } from "../../src/train/train-classifier.js";
import { runCommand } from "../helpers/cli.js";

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "slmkit-export-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("export", () => {
  const lines = [
    JSON.stringify({ text: "Where is my parcel?", label: "shipping" }),
    JSON.stringify({ text: "I was charged twice", label: "billing" }),
    JSON.stringify({ text: "   ", label: "billing" }),
    JSON.stringify({ text: "no label here" }),
    "{broken",
    JSON.stringify({ text: "x".repeat(400), label: "billing" }),
    ...Array.from({ length: 10 }, (_, index) =>
      JSON.stringify({ text: `refund request number ${index}`, label: "billing" }),
    ),
  ];

  test("writes system, user, assistant chat examples and drops bad rows with their reasons", async () => {
    const dataPath = join(dir, "data.jsonl");
    await writeFile(dataPath, `${lines.join("\n")}\n`);
    const out = join(dir, "chat.jsonl");
    const summaryPath = join(dir, "summary.json");
    const { stdout: printed } = await runCommand(registerExportCommand, [
      "export",
      "--format",
      "openai-chat",
      "--data",
      dataPath,
      "--out",
      out,
      "--max-tokens",
      "80",
      "--json",
      summaryPath,
    ]);
    const written = (await readFile(out, "utf8"))
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { messages: Array<{ role: string; content: string }> });
    assert.equal(written.length, 12);
    for (const example of written) {
      assert.deepEqual(
        example.messages.map((message) => message.role),
        ["system", "user", "assistant"],
      );
      assert.ok(example.messages.every((message) => message.content.trim() !== ""));
    }
    assert.equal(written[0]?.messages[1]?.content, "Where is my parcel?");
    assert.equal(written[0]?.messages[2]?.content, "shipping");
    assert.match(written[0]?.messages[0]?.content ?? "", /billing/);
    const summary = JSON.parse(await readFile(summaryPath, "utf8")) as {
      examples: number;
      dropped: Array<{ line: number; reason: string }>;
      tokens: { max: number };
    };
    assert.equal(summary.examples, 12);
    const reasons = new Map(summary.dropped.map((item) => [item.line, item.reason]));
    assert.match(reasons.get(3) ?? "", /empty-text/);
    assert.match(reasons.get(4) ?? "", /missing-label/);
    assert.match(reasons.get(5) ?? "", /malformed-json/);
    assert.match(reasons.get(6) ?? "", /over the limit of 80/);
    assert.ok(summary.tokens.max <= 80);
    assert.match(printed, /dropped 4/);
  });

  test("hf-chat writes TRL's conversational messages format", () => {
    const { examples, problems } = parseClassificationData(lines.slice(0, 2).join("\n"));
    const result = buildChatExport(
      examples,
      { format: "hf-chat", systemPrompt: "Pick one label." },
      problems,
    );
    assert.deepEqual(result.examples[0], {
      messages: [
        { role: "system", content: "Pick one label." },
        { role: "user", content: "Where is my parcel?" },
        { role: "assistant", content: "shipping" },
      ],
    });
    assert.ok(result.summary.warnings.some((warning) => warning.includes("at least 10")));
    assert.equal(estimateTokens([{ role: "user", content: "abcdefgh" }]), 6);
  });
});

describe("data select", () => {
  let model: NativeClassifier;
  const pool = generateSupportData({ seed: 12, perLabel: 20 }).map((example) => example.text);

  before(async () => {
    model = (await trainClassifier(generateSupportData({ seed: 11, perLabel: 25 }), { seed: 11 })).model;
  });

  test("returns N low-margin texts, none a near-duplicate of another", () => {
    // Exact and near duplicates of the least certain text must not all be picked.
    const picked = selectInformative(model, [...pool, ...pool.slice(0, 50)], { n: 15 });
    assert.equal(picked.length, 15);
    assert.equal(new Set(picked.map((item) => item.text)).size, 15);
    for (let index = 1; index < picked.length; index++) {
      assert.ok((picked[index]?.margin ?? 0) >= (picked[index - 1]?.margin ?? 0));
    }
    const margins = pool
      .map((text) => {
        const probabilities = [...model.predictDetailed(text).probabilities].sort((a, b) => b - a);
        return (probabilities[0] ?? 0) - (probabilities[1] ?? 0);
      })
      .sort((a, b) => a - b);
    const median = margins[Math.floor(margins.length / 2)] ?? 1;
    assert.ok(
      picked.every((item) => item.margin < median),
      "every pick is less certain than the median text",
    );
    const vectors = model.embed(picked.map((item) => item.text));
    for (let a = 0; a < vectors.length; a++) {
      for (let b = a + 1; b < vectors.length; b++) {
        const first = vectors[a] as Float32Array;
        const second = vectors[b] as Float32Array;
        let cosine = 0;
        for (let k = 0; k < first.length; k++) cosine += (first[k] as number) * (second[k] as number);
        assert.ok(cosine < 0.9, `picks ${a} and ${b} have cosine ${cosine}`);
      }
    }
  });

  test("the command writes JSONL {text, predicted, margin}", async () => {
    const trained = await trainClassifier(generateSupportData({ seed: 11, perLabel: 25 }), { seed: 11 });
    await saveNativeModel(trained.model, join(dir, "model"), trained.record);
    const poolPath = join(dir, "pool.jsonl");
    await writeFile(poolPath, `${pool.map((text) => JSON.stringify({ text })).join("\n")}\n`);
    const out = join(dir, "selected.jsonl");
    await runCommand(
      (program) => registerDataSelectCommand(program.command("data")),
      ["data", "select", "--model", join(dir, "model"), "--pool", poolPath, "--n", "7", "--out", out],
    );
    const rows = (await readFile(out, "utf8"))
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.equal(rows.length, 7);
    assert.deepEqual(Object.keys(rows[0] ?? {}).sort(), ["margin", "predicted", "text"]);
  });
});
