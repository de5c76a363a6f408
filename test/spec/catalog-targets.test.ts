import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { evaluateExtractor } from "../../src/eval/evaluate-extract.js";
import type { faqEntries } from "../../src/spec/catalog/answer-template.js";
import { getTemplate, listTemplates } from "../../src/spec/catalog/index.js";
import type { UseCaseTemplate } from "../../src/spec/catalog/template.js";
import { normalizeText } from "../../src/text/normalize.js";
import { trainAnswerer } from "../../src/train/train-answerer.js";
import { trainClassifier } from "../../src/train/train-classifier.js";
import { trainExtractor } from "../../src/train/train-extractor.js";
import type { LabeledExample, SpanExample } from "../../src/types.js";

// The splits `writeTemplate` writes with its defaults: train seed 42, valid seed 44, test seed 43, each free of
// the texts before it, sized 80 / 27 / 40 per label (or 480 / 160 / 240 records).
function splits<T extends { text: string }>(
  generate: (seed: number, size: number, exclude: Set<string>) => T[],
  size: number,
) {
  const train = generate(42, size, new Set());
  const seen = new Set(train.map((example) => normalizeText(example.text)));
  const valid = generate(44, Math.round(size / 3), seen);
  for (const example of valid) seen.add(normalizeText(example.text));
  const test = generate(43, Math.ceil(size / 2), seen);
  return { train, valid, test };
}

function labeledSplits(template: UseCaseTemplate) {
  if (template.examples !== "labeled") throw new Error(`${template.id} is not labelled`);
  return splits<LabeledExample>(
    (seed, perLabel, exclude) => template.generate({ seed, perLabel, exclude }),
    80,
  );
}

const catalog = listTemplates().filter((template) => template.id !== "support");
const percent = (value: number) => `${(value * 100).toFixed(1)}%`;

describe("every catalog use case meets its own declared accuracy target on its own test split", () => {
  for (const summary of catalog.filter((template) => template.task === "classify")) {
    test(`${summary.id} (classify)`, async () => {
      const template = getTemplate(summary.id);
      const { train, valid, test: testSet } = labeledSplits(template);
      const started = performance.now();
      const { model } = await trainClassifier(train, {
        valid,
        seed: 42,
        targetAccuracy: template.spec.routing?.targetAccuracy ?? 0.97,
      });
      const seconds = (performance.now() - started) / 1000;
      const predictions = model.predictSync(testSet.map((example) => example.text));
      const accuracy =
        predictions.filter((prediction, index) => prediction.label === testSet[index]?.label).length /
        testSet.length;
      const target = template.spec.targets?.accuracy ?? 1;
      console.log(
        `# ${summary.id}: test accuracy ${percent(accuracy)} (target ${percent(target)}), trained in ${seconds.toFixed(2)} s on ${train.length} examples`,
      );
      assert.ok(accuracy >= target, `accuracy ${accuracy} below the declared target ${target}`);
    });
  }

  for (const summary of catalog.filter((template) => template.task === "answer")) {
    test(`${summary.id} (answer)`, async () => {
      const template = getTemplate(summary.id);
      const { train, valid, test: testSet } = labeledSplits(template);
      const faqFile = template.files?.find((file) => file.role === "faq");
      assert.ok(faqFile !== undefined);
      const faq = faqFile.content
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as ReturnType<typeof faqEntries>[number]);
      const started = performance.now();
      const { model } = await trainAnswerer(train, faq, {
        valid,
        seed: 42,
        targetAccuracy: template.spec.routing?.targetAccuracy ?? 0.97,
      });
      const seconds = (performance.now() - started) / 1000;
      const results = model.answer(testSet.map((example) => example.text));
      const accuracy =
        results.filter((result, index) => result.label === testSet[index]?.label).length / testSet.length;
      const answered = results.filter((result) => result.accepted);
      const answeredRight = results.filter(
        (result, index) => result.accepted && result.label === testSet[index]?.label,
      );
      const target = template.spec.targets?.accuracy ?? 1;
      console.log(
        `# ${summary.id}: intent accuracy ${percent(accuracy)} (target ${percent(target)}), answered ${percent(answered.length / results.length)} at ${percent(answeredRight.length / Math.max(answered.length, 1))}, trained in ${seconds.toFixed(2)} s`,
      );
      assert.ok(accuracy >= target, `accuracy ${accuracy} below the declared target ${target}`);
      assert.ok(
        answered.every((result) => result.answer !== null && !/\{\w+\}/.test(result.answer)),
        "answers are filled",
      );
      assert.ok(
        results.filter((result) => !result.accepted).every((result) => result.answer === null),
        "no made-up answers",
      );
    });
  }

  for (const summary of catalog.filter((template) => template.task === "extract")) {
    test(`${summary.id} (extract: span F1 against the accuracy target)`, async () => {
      const template = getTemplate(summary.id);
      if (template.examples !== "spans") throw new Error(`${summary.id} is not an extract template`);
      const {
        train,
        valid,
        test: testSet,
      } = splits<SpanExample>((seed, records, exclude) => template.generate({ seed, records, exclude }), 480);
      const fields = template.spec.schema?.fields ?? [];
      const started = performance.now();
      const { model } = await trainExtractor(train, {
        valid,
        fields: fields.map((field) => field.name),
        requiredFields: fields.filter((field) => field.required).map((field) => field.name),
        seed: 42,
        targetAccuracy: template.spec.routing?.targetAccuracy ?? 0.97,
      });
      const seconds = (performance.now() - started) / 1000;
      const report = await evaluateExtractor(model, testSet, { latencySamples: 20 });
      const target = template.spec.targets?.accuracy ?? 1;
      console.log(
        `# ${summary.id}: span F1 ${percent(report.spanF1)} (target ${percent(target)}), coverage ${percent(report.coverage)}, trained in ${seconds.toFixed(2)} s`,
      );
      assert.ok(report.spanF1 >= target, `span F1 ${report.spanF1} below the declared target ${target}`);
    });
  }
});
