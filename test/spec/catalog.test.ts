import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { SlmkitError } from "../../src/errors.js";
import { getTemplate, listTemplates } from "../../src/spec/catalog/index.js";
import { writeTemplate } from "../../src/spec/catalog/write-template.js";
import { loadUseCase } from "../../src/spec/load.js";
import { knownIndustries } from "../../src/spec/schema.js";
import type { SpanExample } from "../../src/types.js";

const catalog = listTemplates().filter((template) => template.id !== "support");

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), "slmkit-catalog-"));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("the catalog", () => {
  test("holds the brief's 20 use cases, 4 per industry, besides the support demo", () => {
    assert.equal(catalog.length, 20);
    assert.equal(new Set(listTemplates().map((template) => template.id)).size, listTemplates().length);
    for (const industry of knownIndustries) {
      assert.equal(
        catalog.filter((template) => template.industry === industry).length,
        4,
        `${industry} has 4 use cases`,
      );
    }
    const tasks = new Set(catalog.map((template) => template.task));
    assert.deepEqual([...tasks].sort(), ["answer", "classify", "extract"]);
  });

  test("every use case declares targets, deployment, routing and described labels or fields", () => {
    for (const summary of catalog) {
      const { spec } = getTemplate(summary.id);
      assert.ok(spec.targets?.accuracy !== undefined, `${summary.id} accuracy target`);
      assert.ok(spec.targets?.p95LatencyMs !== undefined, `${summary.id} latency target`);
      assert.ok(spec.targets?.costPer1kRequestsUsd !== undefined, `${summary.id} cost target`);
      assert.ok(spec.deployment !== undefined && spec.routing?.targetAccuracy !== undefined, summary.id);
      const described = spec.labels ?? spec.schema?.fields ?? [];
      assert.ok(described.length >= 2, summary.id);
      for (const item of described)
        assert.ok((item.description ?? "").length > 3, `${summary.id} ${item.name}`);
    }
  });

  test("ICD-10 suggestion uses valid-looking ICD-10-CM codes with their titles", () => {
    const labels = getTemplate("health-icd10-coding").spec.labels ?? [];
    assert.ok(labels.length >= 15);
    for (const label of labels) assert.match(label.name, /^[A-Z]\d{2}(\.[0-9A-Z]{1,4})?$/, label.name);
    assert.ok(
      labels.some((label) => label.name === "M54.50" && label.description === "Low back pain, unspecified"),
    );
  });

  test("an unknown template id lists the ones that exist", () => {
    assert.throws(
      () => getTemplate("mfg-nope"),
      (error: unknown) => {
        assert.ok(SlmkitError.isInstance(error));
        assert.equal(error.code, "INVALID_OPTION");
        for (const template of listTemplates()) assert.ok(error.message.includes(template.id), template.id);
        return true;
      },
    );
  });
});

describe("catalog generators", () => {
  for (const summary of catalog) {
    const template = getTemplate(summary.id);
    test(`${summary.id}: deterministic per seed, different across seeds, big enough`, () => {
      if (template.examples === "labeled") {
        const data = template.generate({ seed: 3 });
        assert.deepEqual(template.generate({ seed: 3 }), data);
        const other = template.generate({ seed: 4 });
        assert.notDeepEqual(other, data);
        const seen = new Set(data.map((example) => example.text));
        const shared = other.filter((example) => seen.has(example.text)).length;
        assert.ok(shared / other.length < 0.25, `${shared} of ${other.length} texts repeat across seeds`);
        for (const label of template.spec.labels ?? []) {
          const count = data.filter((example) => example.label === label.name).length;
          assert.ok(count >= 40, `${label.name}: ${count} examples`);
        }
      } else {
        const data = template.generate({ seed: 3 });
        assert.deepEqual(template.generate({ seed: 3 }), data);
        assert.notDeepEqual(template.generate({ seed: 4 }), data);
        assert.ok(data.length >= 400, `${data.length} records`);
      }
    });
  }

  for (const summary of catalog.filter((template) => template.task === "extract")) {
    test(`${summary.id}: spans are in range, non-empty, labelled with schema fields, over several seeds`, () => {
      const template = getTemplate(summary.id);
      assert.equal(template.examples, "spans");
      if (template.examples !== "spans") return;
      const fields = new Set((template.spec.schema?.fields ?? []).map((field) => field.name));
      const seenFields = new Set<string>();
      const required = (template.spec.schema?.fields ?? []).filter((field) => field.required);
      let records = 0;
      let complete = 0;
      for (const seed of [0, 1, 7, 42, 1234]) {
        for (const record of template.generate({ seed, records: 120 }) as SpanExample[]) {
          let previousEnd = 0;
          const ordered = [...record.spans].sort((a, b) => a.start - b.start);
          for (const span of ordered) {
            assert.ok(Number.isInteger(span.start) && Number.isInteger(span.end));
            assert.ok(span.start >= previousEnd, `overlap in ${JSON.stringify(record)}`);
            assert.ok(span.start < span.end && span.end <= record.text.length, JSON.stringify(record));
            const value = record.text.slice(span.start, span.end);
            assert.equal(value.trim(), value, `span with surrounding space in ${JSON.stringify(record)}`);
            assert.ok(value.length > 0);
            assert.ok(fields.has(span.label), span.label);
            seenFields.add(span.label);
            previousEnd = span.end;
          }
          records++;
          if (required.every((field) => record.spans.some((span) => span.label === field.name))) complete++;
        }
      }
      // Some requests lack a required field on purpose ("Rx # 1234 refill please"): they must escalate.
      assert.ok(complete / records >= 0.75, `${complete} of ${records} records have every required field`);
      assert.deepEqual([...seenFields].sort(), [...fields].sort(), "every field occurs");
    });
  }
});

describe("writing catalog templates", () => {
  for (const summary of catalog) {
    test(`${summary.id}: writes a use case that loads, with its data and extra files`, async () => {
      const dir = join(root, summary.id);
      const written = await writeTemplate(summary.id, dir, { seed: 5, perLabel: 40 });
      const loaded = await loadUseCase(written.usecasePath);
      assert.equal(loaded.spec.id, summary.id);
      assert.equal(loaded.spec.task, summary.task);
      const test = written.files.find((file) => file.role === "test");
      const train = written.files.find((file) => file.role === "train");
      assert.ok((test?.examples ?? 0) > 0 && (train?.examples ?? 0) > 0);
      const trainTexts = new Set(
        (await readFile(train?.path ?? "", "utf8"))
          .split("\n")
          .filter(Boolean)
          .map((line) => (JSON.parse(line) as { text: string }).text.toLowerCase()),
      );
      const testLines = (await readFile(test?.path ?? "", "utf8")).split("\n").filter(Boolean);
      const copied = testLines.filter((line) =>
        trainTexts.has((JSON.parse(line) as { text: string }).text.toLowerCase()),
      );
      assert.equal(copied.length, 0, "the test split shares no text with training");
      if (summary.task === "answer") {
        assert.ok(loaded.paths.faq !== undefined);
        const faq = (await readFile(loaded.paths.faq, "utf8"))
          .split("\n")
          .filter(Boolean)
          .map((line) => JSON.parse(line) as { label: string; answer: string });
        assert.deepEqual(
          faq.map((entry) => entry.label).sort(),
          (loaded.spec.labels ?? []).map((label) => label.name).sort(),
        );
      }
      if (summary.id === "retail-inventory-lookup" || summary.id === "retail-price-comparison") {
        const table = JSON.parse(await readFile(join(dir, "data/products.json"), "utf8")) as unknown[];
        assert.ok(table.length >= 10);
      }
    });
  }
});
