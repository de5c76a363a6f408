// Small model directories of all three tasks, trained on generated data, for the bundle and edge tests.

import { join } from "node:path";
import type { FaqAnswer } from "../../src/models/native/answerer.js";
import { saveNativeAnswerer } from "../../src/models/native/answerer-directory.js";
import { saveNativeExtractor } from "../../src/models/native/extractor-directory.js";
import { saveNativeModel } from "../../src/models/native/model-directory.js";
import { referenceFiles } from "../../src/monitor/reference.js";
import { getTemplate } from "../../src/spec/catalog/index.js";
import { trainAnswerer } from "../../src/train/train-answerer.js";
import { trainClassifier } from "../../src/train/train-classifier.js";
import { trainExtractor } from "../../src/train/train-extractor.js";
import type { LabeledExample } from "../../src/types.js";
import { bookingExamples } from "../models/extractor-data.js";
import { syntheticExamples } from "./synthetic.js";

export interface EdgeFixtures {
  classifyDir: string;
  answerDir: string;
  extractDir: string;
  /** Validation and test examples of the classifier. */
  classifyValid: LabeledExample[];
  classifyTest: LabeledExample[];
  /** Texts of each task to predict, some sure and some not. */
  texts: { classify: string[]; answer: string[]; extract: string[] };
}

const oddTexts = ["", "Ünïcödé text with an unknown wörd", "qwerty asdf zxcv", "x".repeat(300), "🙂 ok?"];

/** A float32 classifier (with a monitor reference), an FAQ answerer and an extractor, saved under `root`. */
export async function writeEdgeFixtures(root: string, seed = 3): Promise<EdgeFixtures> {
  const classifyValid = syntheticExamples(15, seed + 1);
  const classifyTest = syntheticExamples(15, seed + 2);
  const classifier = await trainClassifier(syntheticExamples(40, seed), { valid: classifyValid, seed });
  const classifyDir = join(root, "classify");
  await saveNativeModel(classifier.model, classifyDir, {
    ...classifier.record,
    files: referenceFiles(
      classifier.model,
      classifyValid.map((example) => example.text),
    ),
  });

  const template = getTemplate("retail-faq");
  if (template.examples !== "labeled") throw new Error("retail-faq is a labelled template");
  const faq = (template.files?.find((file) => file.role === "faq")?.content ?? "")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as FaqAnswer);
  const answerValid = template.generate({ seed: seed + 1, perLabel: 15 });
  const answerer = await trainAnswerer(template.generate({ seed, perLabel: 40 }), faq, {
    valid: answerValid,
    seed,
  });
  const answerDir = join(root, "answer");
  await saveNativeAnswerer(answerer.model, answerDir, answerer.record);

  const extractor = await trainExtractor(bookingExamples(200, seed), {
    valid: bookingExamples(60, seed + 1),
    seed,
    features: { hashBits: 14 },
    fieldTypes: { people: "quantity", time: "time", date: "date" },
    requiredFields: ["people"],
  });
  const extractDir = join(root, "extract");
  await saveNativeExtractor(extractor.model, extractDir, extractor.record);

  return {
    classifyDir,
    answerDir,
    extractDir,
    classifyValid,
    classifyTest,
    texts: {
      classify: [...classifyTest.slice(0, 40).map((example) => example.text), ...oddTexts],
      answer: [
        ...answerValid.slice(0, 30).map((example) => example.text),
        "Where is my order #A12345?",
        ...oddTexts,
      ],
      extract: [...bookingExamples(30, seed + 2).map((example) => example.text), ...oddTexts],
    },
  };
}
