import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { SlmkitError } from "../../src/errors.js";
import { loadUseCase, parseUseCase, stringifyUseCase } from "../../src/spec/load.js";
import { useCaseDefaults } from "../../src/spec/schema.js";
import { InvalidUseCaseError, validateUseCase } from "../../src/spec/validate.js";

const minimal = `version: 1
id: tickets
title: Ticket triage
task: classify
labels:
  - name: billing
    description: Invoices and charges.
  - name: shipping
data:
  train: data/train.jsonl
  test: ../shared/test.jsonl
model: models/current
`;

/** Parses `text` and returns the InvalidUseCaseError it must throw. */
function problemsOf(text: string): InvalidUseCaseError {
  try {
    parseUseCase(text, "case.yaml");
  } catch (error) {
    assert.ok(error instanceof InvalidUseCaseError, `expected InvalidUseCaseError, got ${String(error)}`);
    assert.equal(error.code, "INVALID_SPEC");
    assert.ok(SlmkitError.isInstance(error));
    return error;
  }
  assert.fail("expected the use case to be rejected");
}

describe("loadUseCase", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "slmkit-spec-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("a valid spec loads with defaults applied and paths resolved against its folder", async () => {
    const path = join(dir, "usecase.yaml");
    await writeFile(path, minimal);
    const loaded = await loadUseCase(path);
    assert.equal(loaded.path, path);
    assert.equal(loaded.dir, dir);
    assert.equal(loaded.spec.deployment, "hybrid");
    assert.deepEqual(loaded.spec.routing, { targetAccuracy: 0.97, fallback: "llm", shadowRate: 0 });
    assert.deepEqual(loaded.spec.privacy, { storeText: false, redactPii: true, retentionDays: 30 });
    assert.deepEqual(loaded.spec.monitor, useCaseDefaults.monitor);
    assert.equal(loaded.spec.llm, undefined);
    assert.deepEqual(loaded.paths, {
      train: join(dir, "data/train.jsonl"),
      test: join(dir, "../shared/test.jsonl"),
      model: join(dir, "models/current"),
    });
    // The spec keeps paths as written, so it can be written back unchanged.
    assert.equal(loaded.spec.data.train, "data/train.jsonl");
  });

  test("a missing file is an IO_ERROR that says how to create one", async () => {
    await assert.rejects(loadUseCase(join(dir, "nope.yaml")), (error: unknown) => {
      assert.ok(SlmkitError.isInstance(error));
      assert.equal(error.code, "IO_ERROR");
      assert.match(error.message, /nope\.yaml/);
      assert.match(error.message, /slmkit init/);
      return true;
    });
  });

  test("a section left empty (all entries commented out) counts as absent", () => {
    const spec = parseUseCase(`${minimal}budget:\n  # dailyUsd: 5\nrouting:\n`);
    assert.equal(spec.budget, undefined);
    assert.equal(spec.routing.targetAccuracy, 0.97);
  });

  test("an llm section gets its defaults", () => {
    const spec = parseUseCase(`${minimal}llm:\n  model: gpt-4o-mini\n`);
    assert.deepEqual(spec.llm, {
      baseUrl: "https://api.openai.com/v1",
      model: "gpt-4o-mini",
      apiKeyEnv: "OPENAI_API_KEY",
      timeoutMs: 10000,
    });
  });
});

describe("invalid use cases", () => {
  test("a bad enum names the field, the value and the allowed values", () => {
    const error = problemsOf(`${minimal}routing:\n  fallback: cloud\n`);
    assert.match(error.message, /routing\.fallback: "cloud" is not one of llm, review, slm/);
    assert.match(error.message, /^case\.yaml:14: /);
    assert.equal(error.field, "routing.fallback");
    assert.equal(error.line, 14);
  });

  test("unknown keys are listed by name, with the allowed keys and a suggestion", () => {
    const error = problemsOf(`${minimal}lables: []\nrouting:\n  fallbak: review\n  colour: red\n`);
    assert.equal(error.problems.length, 3);
    assert.match(error.message, /lables: unknown key "lables"; the top level allows version, id, title/);
    assert.match(error.message, /did you mean "labels"\?/);
    assert.match(
      error.message,
      /routing\.fallbak: unknown key "fallbak"; routing allows targetAccuracy, fallback, shadowRate/,
    );
    assert.match(error.message, /routing\.colour: unknown key "colour"/);
    assert.match(error.message, /line 13: lables/);
  });

  test("a missing required field is named", () => {
    const error = problemsOf(minimal.replace("title: Ticket triage\n", ""));
    assert.equal(error.problems.length, 1);
    assert.match(error.message, /title: missing/);
  });

  test("a missing version says what to write", () => {
    const error = problemsOf(minimal.replace("version: 1\n", ""));
    assert.match(error.message, /version: missing; the file must say "version: 1"/);
  });

  test("a wrong type names the expected and the actual type", () => {
    const error = problemsOf(minimal.replace("train: data/train.jsonl", "train: 3"));
    assert.match(error.message, /data\.train: expected text, got the number 3/);
  });

  test("classify with one label is rejected", () => {
    const error = problemsOf(minimal.replace("  - name: shipping\n", ""));
    assert.match(error.message, /labels: task "classify" needs at least 2 labels, got 1/);
  });

  test("duplicate label names are rejected", () => {
    const error = problemsOf(minimal.replace("name: shipping", "name: billing"));
    assert.match(error.message, /labels\[1\]\.name: duplicate label "billing"/);
  });

  test("each task needs its own sections and rejects the others", () => {
    const extract = problemsOf(minimal.replace("task: classify", "task: extract"));
    assert.match(extract.message, /schema: missing: task "extract" needs schema/);
    assert.match(extract.message, /labels: not used by task "extract"/);
    const answer = problemsOf(minimal.replace("task: classify", "task: answer"));
    assert.match(answer.message, /faq: missing: task "answer" needs faq/);
  });

  test("extract field types are checked against the allowed list", () => {
    const text = minimal
      .replace("task: classify", "task: extract")
      .replace(/labels:\n(?: {2}.*\n)+/, "schema:\n  fields:\n    - name: when\n      type: datetime\n");
    const error = problemsOf(text);
    assert.match(
      error.message,
      /schema\.fields\[0\]\.type: "datetime" is not one of string, date, time, integer, number, money, quantity, code/,
    );
  });

  test("numbers out of range name the allowed range", () => {
    const error = problemsOf(
      `${minimal}routing:\n  targetAccuracy: 1.5\n  shadowRate: -0.1\nllm:\n  model: m\n  pricePer1kInputUsd: -1\n  timeoutMs: 2.5\n`,
    );
    assert.match(error.message, /routing\.targetAccuracy: must be in \(0, 1\], got 1\.5/);
    assert.match(error.message, /routing\.shadowRate: must be in \[0, 1\], got -0\.1/);
    assert.match(error.message, /llm\.pricePer1kInputUsd: must be ≥ 0/);
    assert.match(error.message, /llm\.timeoutMs: must be a whole number, got 2\.5/);
  });

  test("every problem is listed, not only the first", () => {
    const error = problemsOf(
      minimal.replace("id: tickets", "id: Ticket Triage").replace("task: classify", "task: sort") +
        "deployment: moon\n",
    );
    assert.equal(error.problems.length, 3);
    assert.match(error.message, /3 problems/);
    assert.match(error.message, /id: must be a slug/);
    assert.match(error.message, /task: "sort" is not one of classify, extract, answer/);
    assert.match(error.message, /deployment: "moon" is not one of edge, cloud, hybrid/);
  });

  test("a YAML syntax error names the line and column", () => {
    const error = problemsOf("version: 1\nid: x\n  title: y\n");
    assert.match(error.message, /YAML syntax error at line 2, column 5: Nested mappings/);
    assert.equal(error.problems[0]?.line, 2);
  });

  test("duplicate YAML keys are a syntax error", () => {
    const error = problemsOf(`${minimal}model: other\n`);
    assert.match(error.message, /YAML syntax error at line 13, column 1: Map keys must be unique/);
  });

  test("an empty file or a list says what a use case needs", () => {
    assert.match(problemsOf("").message, /the file is empty/);
    assert.match(problemsOf("- a\n- b\n").message, /must be a mapping/);
  });

  test("validateUseCase checks plain objects the same way, without line numbers", () => {
    assert.throws(
      () => validateUseCase({ version: 1, id: "x", title: "X", task: "classify", data: {} }, "request body"),
      (error: unknown) => {
        assert.ok(error instanceof InvalidUseCaseError);
        assert.match(error.message, /^request body: /);
        assert.match(error.message, /data\.train: missing/);
        assert.match(error.message, /labels: missing: task "classify" needs labels/);
        return true;
      },
    );
  });
});

describe("stringifyUseCase", () => {
  test("round-trips: parsing the written YAML gives the same spec", () => {
    const spec = parseUseCase(`${minimal}budget:\n  dailyUsd: 2\n`);
    const text = stringifyUseCase(spec, { header: "A test use case" });
    assert.match(text, /^# A test use case\n/);
    assert.deepEqual(parseUseCase(text), spec);
  });

  test("refuses to write an invalid spec", () => {
    const spec = parseUseCase(minimal);
    assert.throws(() => stringifyUseCase({ ...spec, id: "Not A Slug" }), /id: must be a slug/);
  });
});
