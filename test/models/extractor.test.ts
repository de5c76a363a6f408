import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { SlmkitError } from "../../src/errors.js";
import { loadNativeExtractor, saveNativeExtractor } from "../../src/models/native/extractor-directory.js";
import { tokenizeWithOffsets, trimRange } from "../../src/models/native/extractor-tokens.js";
import { readManifest } from "../../src/models/native/model-directory.js";
import { trainExtractor } from "../../src/train/train-extractor.js";
import { runExtractTraining } from "../../src/train/train-run.js";
import { bookingExamples } from "./extractor-data.js";

const train = bookingExamples(300, 1);
const valid = bookingExamples(80, 2);
const testSet = bookingExamples(100, 3);
const small = { hashBits: 16 };
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "slmkit-extractor-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("native extractor", () => {
  test("tokens keep their offsets and trimming removes surrounding spaces and punctuation only", () => {
    const text = "Table for 2, at 7:30pm! 👋 Zoë";
    for (const token of tokenizeWithOffsets(text))
      assert.equal(text.slice(token.start, token.end), token.text);
    assert.deepEqual(trimRange(" $20. ", 0, 6), { start: 1, end: 4 });
    assert.deepEqual(trimRange("...", 0, 3), { start: 3, end: 3 });
  });

  test("learns the generated fields and reports calibrated record confidences", async () => {
    const trained = await trainExtractor(train, { valid, seed: 7, features: small });
    assert.deepEqual(trained.model.fields, ["date", "name", "people", "time"]);
    assert.ok(trained.validation.spanF1 > 0.95, `validation F1 ${trained.validation.spanF1}`);
    const [prediction] = trained.model.extract(["Book a table for four on Friday at 8 pm."]);
    assert.ok(prediction);
    assert.deepEqual(
      prediction.spans.map((span) => [span.label, span.text]),
      [
        ["people", "four"],
        ["date", "Friday"],
        ["time", "8 pm"],
      ],
    );
    assert.equal(prediction.fields.people?.text, "four");
    assert.ok(prediction.confidence > 0 && prediction.confidence <= 1);
  });

  test("typed fields get normalized values, and a missing required field blocks acceptance", async () => {
    const trained = await trainExtractor(train, {
      valid,
      seed: 7,
      features: small,
      fieldTypes: { people: "quantity", time: "time", date: "date" },
      requiredFields: ["name"],
    });
    const [prediction] = trained.model.extract(["Book a table for four on tomorrow at 8 pm."], {
      referenceDate: new Date("2025-01-15T00:00:00Z"),
    });
    assert.deepEqual(prediction?.fields.people?.value, { value: 4, unit: null });
    assert.equal(prediction?.fields.time?.value, "20:00");
    assert.equal(prediction?.fields.date?.value, "2025-01-16");
    assert.equal(prediction?.accepted, false);
  });

  test("saves and loads a model directory that predicts the same; the same seed gives byte-identical weights", async () => {
    const first = await trainExtractor(train, { valid, seed: 3, features: small });
    const second = await trainExtractor(train, { valid, seed: 3, features: small });
    const other = await trainExtractor(train, { valid, seed: 4, features: small });
    const paths = ["a", "b", "c"].map((name) => join(dir, `model-${name}`));
    const manifest = await saveNativeExtractor(first.model, paths[0] as string, first.record);
    await saveNativeExtractor(second.model, paths[1] as string, second.record);
    await saveNativeExtractor(other.model, paths[2] as string, other.record);
    assert.equal(manifest.task, "extract");
    assert.deepEqual(manifest.fields, ["date", "name", "people", "time"]);
    const bytes = await Promise.all(paths.map((path) => readFile(join(path, "weights.bin"))));
    assert.ok(bytes[0]?.equals(bytes[1] as Buffer), "same seed, same bytes");
    assert.ok(!bytes[0]?.equals(bytes[2] as Buffer), "another seed, other bytes");
    const loaded = await loadNativeExtractor(paths[0] as string);
    const texts = testSet.map((example) => example.text);
    assert.deepEqual(loaded.extract(texts), first.model.extract(texts));
    assert.ok((loaded.info.modelBytes ?? 0) > 0);
    await assert.rejects(
      readManifest(paths[0] as string),
      (error) => SlmkitError.isInstance(error) && error.code === "NOT_SUPPORTED",
    );
  });

  test("a changed weights file is refused by its checksum", async () => {
    const trained = await trainExtractor(train, { valid, seed: 3, features: small, epochs: 2 });
    const path = join(dir, "tampered");
    await saveNativeExtractor(trained.model, path, trained.record);
    const weights = await readFile(join(path, "weights.bin"));
    weights[weights.length - 1] = (weights[weights.length - 1] as number) ^ 0xff;
    await writeFile(join(path, "weights.bin"), weights);
    await assert.rejects(loadNativeExtractor(path), /checksum mismatch/);
  });

  test("overlapping spans are resolved and counted, trailing punctuation trimmed, not errors", async () => {
    const messy = train.map((example) => ({ ...example, spans: [...example.spans] }));
    const first = messy[0];
    const span = first?.spans[0];
    assert.ok(first && span);
    first.spans.push({ start: span.start, end: span.end, label: span.label === "time" ? "date" : "time" });
    const withPunctuation = messy.find((example) => example.text.endsWith("?") && example.spans.length > 0);
    assert.ok(withPunctuation);
    const last = withPunctuation.spans[withPunctuation.spans.length - 1];
    assert.ok(last);
    last.end = withPunctuation.text.length;
    const trained = await trainExtractor(messy, { valid, seed: 7, features: small, epochs: 2 });
    assert.equal(trained.notes.overlapsResolved, 1);
    assert.ok(trained.notes.trimmed >= 1);
  });

  test("bad span data fails through the train path with the file and line", async () => {
    const cases: [string, string, RegExp][] = [
      [
        "out-of-range",
        JSON.stringify({ text: "for 2", spans: [{ start: 4, end: 9, label: "people" }] }),
        /out of range/,
      ],
      [
        "unknown-label",
        JSON.stringify({ text: "for 2", spans: [{ start: 4, end: 5, label: "guests" }] }),
        /not one of the allowed labels/,
      ],
      [
        "surrogate",
        JSON.stringify({ text: "hi 👋 there", spans: [{ start: 4, end: 6, label: "people" }] }),
        /surrogate pair/,
      ],
      [
        "empty-text",
        JSON.stringify({ text: "", spans: [{ start: 0, end: 1, label: "people" }] }),
        /is empty/,
      ],
    ];
    for (const [name, badLine, pattern] of cases) {
      const file = join(dir, `${name}.jsonl`);
      await writeFile(
        file,
        `${JSON.stringify({ text: "for 2", spans: [{ start: 4, end: 5, label: "people" }] })}\n${badLine}\n`,
      );
      await assert.rejects(
        runExtractTraining({ train: file, out: join(dir, `${name}-model`), fields: [{ name: "people" }] }),
        (error) => {
          assert.ok(SlmkitError.isInstance(error), String(error));
          assert.equal(error.file, file);
          assert.equal(error.line, 2);
          assert.match(error.message, pattern);
          return true;
        },
      );
    }
  });
});
