import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { LlmError } from "../../src/models/llm-error.js";
import { loadModel } from "../../src/models/load.js";
import type { NativeClassifier } from "../../src/models/native/classifier.js";
import { createOpenAiLabeler } from "../../src/models/openai/openai-labeler.js";
import type { ClassifyModel } from "../../src/models/task-model.js";
import { generateSupportData } from "../../src/spec/catalog/support.js";
import {
  type DistillProgress,
  distill,
  perturbedCopies,
  type Teacher,
  teacherCacheFileName,
  teacherFromLabeler,
  teacherFromModel,
} from "../../src/train/distill.js";
import { trainClassifier } from "../../src/train/train-classifier.js";
import { answerBy, type FakeOpenAiServer, rateLimited, startFakeOpenAi } from "../helpers/fake-openai.js";

let dir: string;
let teacherModel: NativeClassifier;
const unlabelled = generateSupportData({ seed: 2, perLabel: 80 }).map((example) => example.text);
const gold = generateSupportData({ seed: 3, perLabel: 15 });

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "slmkit-distill-"));
  teacherModel = (await trainClassifier(generateSupportData({ seed: 1, perLabel: 40 }), { seed: 1 })).model;
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The real teacher, counting how often it is asked: the resume test's evidence. */
function counting(teacher: Teacher, onCall?: (calls: number) => void): Teacher & { calls: () => number } {
  let calls = 0;
  return {
    reference: teacher.reference,
    labels: teacher.labels,
    deterministic: teacher.deterministic,
    calls: () => calls,
    async label(text, signal) {
      calls++;
      onCall?.(calls);
      return teacher.label(text, signal);
    },
  };
}

async function readJsonl(path: string): Promise<Array<Record<string, unknown>>> {
  const text = await readFile(path, "utf8");
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe("distill with a native teacher", () => {
  test("the student trained on teacher labels of other texts scores within a few points of the teacher", async () => {
    const out = join(dir, "end-to-end");
    const teacher = counting(teacherFromModel(teacherModel));
    const result = await distill({ teacher, texts: unlabelled, out, test: gold, selfConsistency: 3 });
    const report = result.report;
    assert.equal(report.texts, unlabelled.length);
    assert.equal(report.teacherCalls, teacher.calls());
    assert.equal(report.teacherCostUsd, 0);
    assert.equal(report.selfConsistency, 1, "a deterministic teacher is asked once");
    assert.ok(report.notes.some((note) => note.includes("deterministic")));
    assert.ok(report.softLabels);
    assert.equal(report.distillationTemperature, 3);
    assert.equal(report.hardLabelWeight, 0.1);
    assert.equal(report.augment, 0);
    assert.equal(report.augmentedTexts, 0);
    assert.equal(report.augmentTeacherCalls, 0);
    assert.ok(report.teacherAccuracy !== undefined && report.studentAccuracy !== undefined);
    assert.ok(
      report.studentAccuracy >= report.teacherAccuracy - 0.05,
      `student ${report.studentAccuracy} vs teacher ${report.teacherAccuracy}`,
    );
    assert.ok(report.agreement > 0.8, `agreement ${report.agreement}`);

    const labels = await readJsonl(join(out, "teacher-labels.jsonl"));
    assert.equal(labels.length, report.labelled);
    assert.deepEqual(Object.keys(labels[0] ?? {}).sort(), ["confidence", "label", "teacher", "text"]);
    assert.equal(labels[0]?.teacher, teacherModel.reference);
    const written = JSON.parse(await readFile(join(out, "report.json"), "utf8")) as Record<string, unknown>;
    assert.equal(written.agreement, report.agreement);
    const student = await loadModel(join(out, "model"));
    assert.deepEqual([...student.labels].sort(), [...teacherModel.labels].sort());
    const manifest = JSON.parse(await readFile(join(out, "model", "manifest.json"), "utf8"));
    assert.equal(JSON.stringify(manifest).includes('"soft-cross-entropy"'), true, "trained on soft targets");
  });

  test("the same seed gives a byte-identical student; another seed a different one", async () => {
    const texts = unlabelled.slice(0, 600);
    const weightsOf = async (seed: number, name: string) => {
      const result = await distill({
        teacher: teacherFromModel(teacherModel),
        texts,
        out: join(dir, name),
        seed,
      });
      return readFile(join(result.paths.model, "weights.bin"));
    };
    const first = await weightsOf(5, "seed-a");
    const second = await weightsOf(5, "seed-b");
    const other = await weightsOf(6, "seed-c");
    assert.ok(first.equals(second), "same seed, same bytes");
    assert.ok(!first.equals(other), "another seed, other bytes");
  });

  test("--augment has the teacher label perturbed copies of the training texts, cached and counted apart", async () => {
    const out = join(dir, "augment");
    const texts = unlabelled.slice(0, 400);
    const stages = new Set<DistillProgress["stage"]>();
    const teacher = counting(teacherFromModel(teacherModel));
    const result = await distill({
      teacher,
      texts,
      out,
      augment: 2,
      onProgress: (progress) => stages.add(progress.stage),
    });
    const report = result.report;
    assert.deepEqual([...stages].sort(), ["augmented", "texts"]);
    assert.equal(report.augment, 2);
    assert.equal(report.teacherCalls, teacher.calls());
    assert.equal(report.augmentTeacherCalls, teacher.calls() - texts.length);
    assert.ok(report.augmentedTexts > report.trainTexts / 2, `${report.augmentedTexts} copies`);
    assert.ok(report.augmentTeacherCalls <= 2 * (report.trainTexts - report.augmentedTexts));
    assert.equal(
      report.trainTexts + report.validTexts + report.heldOut,
      report.labelled + report.augmentedTexts,
    );

    const lines = await readJsonl(result.paths.teacherLabels);
    const copies = lines.filter((line) => line.augmentedFrom !== undefined);
    assert.equal(copies.length, report.augmentedTexts);
    const originals = new Set(texts);
    for (const copy of copies) {
      assert.ok(originals.has(copy.augmentedFrom as string), "a copy names the text it was made from");
      assert.ok(!originals.has(copy.text as string), "a copy is a new text");
    }

    const again = counting(teacherFromModel(teacherModel));
    const rerun = await distill({ teacher: again, texts, out, augment: 2 });
    assert.equal(again.calls(), 0, "perturbed copies are answered from the cache too");
    assert.equal(rerun.report.augmentedTexts, report.augmentedTexts);
  });

  test("an interrupted run resumes without asking the teacher again for cached texts", async () => {
    const out = join(dir, "resume");
    const controller = new AbortController();
    const first = counting(teacherFromModel(teacherModel), (calls) => {
      if (calls === 100) controller.abort(new Error("killed mid-run"));
    });
    await assert.rejects(
      distill({ teacher: first, texts: unlabelled, out, concurrency: 3, signal: controller.signal }),
      /killed mid-run/,
    );
    const cached = await readJsonl(join(out, teacherCacheFileName));
    assert.ok(cached.length >= 97 && cached.length <= 100, `${cached.length} answers cached`);

    const second = counting(teacherFromModel(teacherModel));
    const result = await distill({ teacher: second, texts: unlabelled, out });
    assert.equal(second.calls(), unlabelled.length - cached.length);
    assert.equal(result.report.teacherCalls, second.calls());
    assert.equal(result.report.teacherCachedAnswers, cached.length);

    const third = counting(teacherFromModel(teacherModel));
    await distill({ teacher: third, texts: unlabelled, out });
    assert.equal(third.calls(), 0, "a finished run is answered wholly from the cache");
  });

  test("a cache line cut off by a crash is skipped and asked again", async () => {
    const out = join(dir, "torn");
    const texts = unlabelled.slice(0, 120);
    await distill({ teacher: teacherFromModel(teacherModel), texts, out });
    const cachePath = join(out, teacherCacheFileName);
    const content = await readFile(cachePath, "utf8");
    const { writeFile } = await import("node:fs/promises");
    await writeFile(cachePath, content.slice(0, content.length - 20));
    const again = counting(teacherFromModel(teacherModel));
    await distill({ teacher: again, texts, out });
    assert.equal(again.calls(), 1);
  });

  test("--min-confidence leaves low-confidence teacher labels out of training", async () => {
    const result = await distill({
      teacher: teacherFromModel(teacherModel),
      texts: unlabelled,
      out: join(dir, "filtered"),
      minConfidence: 0.9,
    });
    assert.ok(result.report.belowMinConfidence > 0);
    assert.ok(
      result.report.trainTexts + result.report.validTexts + result.report.heldOut < result.report.labelled,
    );
  });
});

describe("perturbedCopies", () => {
  test("gives up to n distinct copies made of the text's own words, the same for the same seed", () => {
    const text = "my card payment was declined at the shop this morning";
    const copies = perturbedCopies(text, 3, 1);
    assert.equal(copies.length, 3);
    assert.equal(new Set(copies).size, 3);
    const words = text.split(" ");
    for (const copy of copies) {
      assert.notEqual(copy, text);
      assert.ok(
        copy.split(" ").every((word) => words.includes(word)),
        `"${copy}" uses only the text's words`,
      );
      assert.ok(copy.split(" ").length >= words.length - 4, `"${copy}" keeps most words`);
    }
    assert.deepEqual(perturbedCopies(text, 3, 1), copies);
    assert.notDeepEqual(perturbedCopies(text, 3, 2), copies);
    assert.deepEqual(perturbedCopies("too short", 3, 1), []);
    assert.deepEqual(perturbedCopies(text, 0, 1), []);
  });
});

describe("distill with a teacher that gives distributions through classify (as a GGUF model does)", () => {
  /** A TaskModel with `classify` returning every label's probability, over the native teacher. */
  function distributionModel(noisy: boolean): ClassifyModel & {
    classify(
      texts: readonly string[],
    ): Promise<Array<{ label: string; confidence: number; accepted: boolean; probabilities: number[] }>>;
  } {
    let call = 0;
    return {
      task: "classify",
      reference: noisy ? "gguf:noisy.gguf" : "gguf:teacher.gguf",
      labels: teacherModel.labels,
      threshold: 0,
      info: {},
      predict: (texts) => teacherModel.predict(texts),
      async classify(texts) {
        return texts.map((text) => {
          const detailed = teacherModel.predictDetailed(text);
          const probabilities = [...detailed.probabilities];
          // Every other answer of the noisy model puts all its weight on the first label.
          if (noisy && call++ % 2 === 1) probabilities.fill(0).splice(0, 1, 1);
          return { label: detailed.label, confidence: detailed.confidence, accepted: true, probabilities };
        });
      },
      dispose: async () => {},
      [Symbol.asyncDispose]: async () => {},
    };
  }

  test("its distributions become the soft labels", async () => {
    const result = await distill({
      teacher: teacherFromModel(distributionModel(false)),
      texts: unlabelled.slice(0, 300),
      out: join(dir, "distribution"),
    });
    assert.equal(result.report.softLabels, true);
    assert.equal(result.report.distillationTemperature, 3);
    const cached = await readJsonl(result.paths.cache);
    const probabilities = cached[0]?.probabilities as Record<string, number>;
    assert.deepEqual(Object.keys(probabilities).sort(), [...teacherModel.labels].sort());
  });

  test("with self-consistency, the soft label is the mean of the k distributions", async () => {
    const texts = unlabelled.slice(0, 200);
    const result = await distill({
      teacher: teacherFromModel(distributionModel(true)),
      texts,
      out: join(dir, "distribution-votes"),
      selfConsistency: 2,
      concurrency: 1,
    });
    assert.equal(result.report.teacherCalls, texts.length * 2);
    const first = (await readJsonl(result.paths.cache))[0] as Record<string, unknown>;
    const expected = teacherModel.predictDetailed(texts[0] as string).probabilities;
    const firstLabel = teacherModel.labels[0] as string;
    const probabilities = first.probabilities as Record<string, number>;
    teacherModel.labels.forEach((name, index) => {
      const mean = ((expected[index] as number) + (name === firstLabel ? 1 : 0)) / 2;
      assert.ok(
        Math.abs((probabilities[name] ?? -1) - mean) < 1e-9,
        `${name}: ${probabilities[name]} vs ${mean}`,
      );
    });
    assert.equal(result.report.softLabels, true);
  });
});

describe("distill with an OpenAI-compatible teacher", () => {
  let server: FakeOpenAiServer;
  const labelSet = [
    { name: "billing", description: "invoices, charges, refunds" },
    { name: "shipping", description: "delivery and parcels" },
  ];
  const words = {
    billing: ["invoice", "charge", "refund", "payment", "bill", "price"],
    shipping: ["parcel", "delivery", "courier", "tracking", "package", "shipment"],
  };
  const texts = Array.from({ length: 60 }, (_, index) => {
    const label = index % 2 === 0 ? "billing" : "shipping";
    const pool = words[label];
    return `question ${index} about my ${pool[index % 6]} and the ${pool[(index + 2) % 6]}`;
  });
  const choose = (user: string) =>
    words.billing.some((word) => user.includes(word)) ? "billing" : "shipping";

  before(async () => {
    server = await startFakeOpenAi(answerBy(choose));
  });
  after(async () => {
    await server.close();
  });

  const teacher = () =>
    teacherFromLabeler(
      createOpenAiLabeler({
        baseUrl: server.baseUrl,
        model: "gpt-teacher",
        apiKey: "sk-test",
        labels: labelSet,
        pricePer1kInputUsd: 0.15,
        pricePer1kOutputUsd: 0.6,
        random: () => 0,
      }),
    );

  test("labels every text through the endpoint, survives a 429 and a malformed body, and reports its cost", async () => {
    server.requests.length = 0;
    server.enqueue(rateLimited(0), { kind: "raw", body: "{not json" });
    const result = await distill({ teacher: teacher(), texts, out: join(dir, "openai"), concurrency: 2 });
    const report = result.report;
    assert.equal(report.labelled, texts.length);
    assert.equal(report.teacherCalls, texts.length, "retries are inside one call");
    assert.equal(server.requests.length, texts.length + 2);
    assert.ok(report.teacherCostUsd > 0);
    assert.ok(report.teacherInputTokens > 0);
    assert.equal(report.softLabels, false, "an LLM gives no distribution");
    assert.ok(report.agreement >= 0.8, `agreement ${report.agreement}`);
    const labels = await readJsonl(result.paths.teacherLabels);
    assert.equal(labels[0]?.teacher, `openai:gpt-teacher@${server.baseUrl}`);
  });

  test("a body that stays malformed fails the run, and what was answered stays cached", async () => {
    const out = join(dir, "openai-broken");
    let answered = 0;
    server.setHandler((request) => {
      answered++;
      if (answered > 10) return { kind: "raw", body: "<html>proxy error</html>", contentType: "text/html" };
      return answerBy(choose)(request);
    });
    try {
      await assert.rejects(distill({ teacher: teacher(), texts, out, concurrency: 1 }), (error: unknown) =>
        LlmError.isLlmError(error),
      );
      const cached = await readJsonl(join(out, teacherCacheFileName));
      assert.equal(cached.length, 10);
    } finally {
      server.setHandler(answerBy(choose));
    }
  });

  test("self-consistency asks k times and keeps the majority with its vote share as confidence", async () => {
    let call = 0;
    // Every third answer disagrees: 2 of 3 votes for the right label.
    server.setHandler((request) => {
      call++;
      const right = choose(request.user);
      const label = call % 3 === 0 ? (right === "billing" ? "shipping" : "billing") : right;
      return answerBy(() => label)(request);
    });
    try {
      const result = await distill({
        teacher: teacher(),
        texts,
        out: join(dir, "openai-vote"),
        selfConsistency: 3,
        concurrency: 1,
      });
      assert.equal(result.report.teacherCalls, texts.length * 3);
      const first = result.labels[0];
      assert.equal(first?.label, choose(texts[0] as string));
      assert.deepEqual(first?.votes, { agree: 2, of: 3 });
      assert.ok(Math.abs((first?.confidence ?? 0) - 2 / 3) < 1e-9);
    } finally {
      server.setHandler(answerBy(choose));
    }
  });
});
