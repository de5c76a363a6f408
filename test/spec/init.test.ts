import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { registerInitCommand } from "../../src/cli/init.js";
import { SlmkitError } from "../../src/errors.js";
import { getTemplate, listTemplates } from "../../src/spec/catalog/index.js";
import { writeTemplate } from "../../src/spec/catalog/write-template.js";
import { loadUseCase } from "../../src/spec/load.js";
import { runCommand } from "../helpers/cli.js";

interface Row {
  text: string;
  label: string;
}

async function readJsonl(path: string): Promise<Row[]> {
  const text = await readFile(path, "utf8");
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as Row);
}

/** Runs `slmkit init ...args` through commander and returns what it printed. */
async function runInit(args: string[]): Promise<string> {
  return (await runCommand(registerInitCommand, ["init", ...args])).stdout;
}

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), "slmkit-init-"));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("catalog", () => {
  test("lists the built-in support template", () => {
    const support = listTemplates().find((template) => template.id === "support");
    assert.ok(support);
    assert.equal(support.task, "classify");
    assert.equal(support.industry, "retail");
    assert.ok(support.classes >= 12);
  });

  test("the support use case has the targets and routing of the brief", () => {
    const { spec } = getTemplate("support");
    assert.deepEqual(spec.targets, { accuracy: 0.95, p95LatencyMs: 100, costPer1kRequestsUsd: 0.05 });
    assert.equal(spec.deployment, "hybrid");
    assert.equal(spec.routing?.targetAccuracy, 0.97);
    assert.equal(spec.routing?.fallback, "llm");
    for (const label of spec.labels ?? []) assert.ok((label.description ?? "").length > 10, label.name);
  });

  test("an unknown template id lists the ones that exist", () => {
    assert.throws(
      () => getTemplate("helpdesk"),
      (error: unknown) => {
        assert.ok(SlmkitError.isInstance(error));
        assert.equal(error.code, "INVALID_OPTION");
        assert.match(error.message, /unknown template "helpdesk"; built-in templates: support/);
        return true;
      },
    );
  });
});

describe("writeTemplate", () => {
  test("writes a use case that loads, whose data files exist and hold the generated set", async () => {
    const dir = join(root, "written");
    const written = await writeTemplate("support", dir, { seed: 5, perLabel: 40 });
    assert.equal(written.files.at(-1)?.role, "usecase", "usecase.yaml is written last");
    const loaded = await loadUseCase(join(dir, "usecase.yaml"));
    assert.equal(loaded.spec.id, "support");
    assert.deepEqual(written.paths, loaded.paths);
    const { train, valid, test: testPath } = loaded.paths;
    assert.ok(valid !== undefined && testPath !== undefined);
    for (const path of [train, valid, testPath, join(dir, "data/all.jsonl")])
      assert.ok((await stat(path)).size > 0);

    const labels = (loaded.spec.labels ?? []).map((label) => label.name);
    const all = await readJsonl(join(dir, "data/all.jsonl"));
    const trainRows = await readJsonl(train);
    const validRows = await readJsonl(valid);
    const testRows = await readJsonl(testPath);
    assert.equal(trainRows.length, labels.length * 40);
    assert.equal(trainRows.length + validRows.length, all.length, "all.jsonl is train and valid together");
    // Default validShare 0.25: 40 · 0.25 / 0.75 ≈ 13 a label, generated with a seed of its own.
    assert.equal(validRows.filter((row) => row.label === labels[0]).length, 13);
    const normalized = (rows: { text: string }[]) =>
      new Set(rows.map((row) => row.text.toLowerCase().replace(/\s+/g, " ").trim()));
    const normalizedTrain = normalized(trainRows);
    assert.ok(
      validRows.every((row) => !normalizedTrain.has(row.text.toLowerCase().replace(/\s+/g, " ").trim())),
      "valid shares no text with train",
    );
    assert.ok(
      [...trainRows, ...validRows, ...testRows].every((row) => !/[{}]/.test(row.text)),
      "every slot is filled",
    );
    assert.equal(testRows.length, labels.length * 20);
    assert.ok(testRows.every((row) => labels.includes(row.label)));

    const trainTexts = new Set([...trainRows, ...validRows].map((row) => row.text));
    const overlap = testRows.filter((row) => trainTexts.has(row.text)).length;
    assert.ok(overlap / testRows.length <= 0.01, `${overlap} test texts also in train or valid`);
  });

  test("is reproducible: the same seed writes byte-identical data", async () => {
    await writeTemplate("support", join(root, "again-1"), { seed: 9, perLabel: 10 });
    await writeTemplate("support", join(root, "again-2"), { seed: 9, perLabel: 10 });
    for (const name of [
      "usecase.yaml",
      "data/all.jsonl",
      "data/train.jsonl",
      "data/valid.jsonl",
      "data/test.jsonl",
    ]) {
      const first = await readFile(join(root, "again-1", name), "utf8");
      assert.equal(await readFile(join(root, "again-2", name), "utf8"), first, name);
    }
  });

  test("refuses to overwrite an existing use case unless forced", async () => {
    const dir = join(root, "existing");
    await writeTemplate("support", dir, { perLabel: 5 });
    await writeFile(join(dir, "usecase.yaml"), "# my edits\n");
    await assert.rejects(writeTemplate("support", dir, { perLabel: 5 }), (error: unknown) => {
      assert.ok(SlmkitError.isInstance(error));
      assert.match(error.message, /usecase\.yaml: already exists/);
      assert.match(error.message, /--force/);
      return true;
    });
    assert.equal(await readFile(join(dir, "usecase.yaml"), "utf8"), "# my edits\n", "left untouched");
    await writeTemplate("support", dir, { perLabel: 5, force: true });
    assert.match(await readFile(join(dir, "usecase.yaml"), "utf8"), /id: support/);
  });

  test("an empty usecase.yaml is not worth protecting", async () => {
    const dir = join(root, "empty");
    await writeTemplate("support", dir, { perLabel: 5 });
    await rm(join(dir, "data"), { recursive: true });
    await writeFile(join(dir, "usecase.yaml"), "");
    await writeTemplate("support", dir, { perLabel: 5 });
    assert.match(await readFile(join(dir, "usecase.yaml"), "utf8"), /id: support/);
  });
});

describe("slmkit init", () => {
  test("writes the working use case and prints the files and next commands", async () => {
    const dir = join(root, "cli");
    const printed = await runInit([dir, "--seed", "3", "--per-label", "20"]);
    const loaded = await loadUseCase(join(dir, "usecase.yaml"));
    assert.equal(loaded.spec.task, "classify");
    assert.match(printed, /Wrote the "support" use case \(15 labels\)/);
    assert.match(printed, /data\/train\.jsonl +\d+ examples/);
    assert.match(printed, /slmkit data check \S*data\/all\.jsonl/);
    assert.match(printed, /slmkit train --usecase \S*usecase\.yaml --train \S*train\.jsonl/);
    assert.match(printed, /slmkit eval --model \S*model --test \S*test\.jsonl/);
  });

  test("an unknown template is an error listing the known ones", async () => {
    await assert.rejects(
      runInit([join(root, "unknown"), "--template", "nope"]),
      /built-in templates: support/,
    );
    await assert.rejects(stat(join(root, "unknown", "usecase.yaml")));
  });

  test("refuses to overwrite without --force and overwrites with it", async () => {
    const dir = join(root, "cli-force");
    await runInit([dir, "--per-label", "5"]);
    await assert.rejects(runInit([dir, "--per-label", "5"]), /already exists/);
    const printed = await runInit([dir, "--per-label", "5", "--force"]);
    assert.match(printed, /Wrote/);
  });

  test("a bad --seed names the flag", async () => {
    await assert.rejects(runInit([join(root, "bad-seed"), "--seed", "abc"]), /--seed must be a whole number/);
  });
});
