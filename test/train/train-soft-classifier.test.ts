import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { NativeClassifier } from "../../src/models/native/classifier.js";
import { saveNativeModel } from "../../src/models/native/model-directory.js";
import { generateSupportData } from "../../src/spec/catalog/support.js";
import { type SoftExample, trainSoftClassifier } from "../../src/train/train-soft-classifier.js";

const data = generateSupportData({ seed: 5, perLabel: 30 });
const labels = [...new Set(data.map((example) => example.label))];
/** Each label's partner: the label after it. The teacher puts 0.2 on it, 0.8 on the right label. */
const partnerOf = (label: string) => labels[(labels.indexOf(label) + 1) % labels.length] as string;
const softExamples: SoftExample[] = data.map((example) => ({
  text: example.text,
  probabilities: labels.map((name) =>
    name === example.label ? 0.8 : name === partnerOf(example.label) ? 0.2 : 0,
  ),
}));

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "slmkit-soft-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The student's own distribution, before its calibration temperature: what the soft targets trained. */
function rawProbabilities(model: NativeClassifier, text: string): Map<string, number> {
  const uncalibrated = new NativeClassifier({
    labels: model.labels,
    vocabulary: model.vocabulary,
    weights: model.weights,
    temperature: 1,
    threshold: 0,
  });
  const detailed = uncalibrated.predictDetailed(text);
  return new Map(model.labels.map((name, index) => [name, detailed.probabilities[index] as number]));
}

function meanPartnerProbability(model: NativeClassifier): number {
  let sum = 0;
  for (const example of data) sum += rawProbabilities(model, example.text).get(partnerOf(example.label)) ?? 0;
  return sum / data.length;
}

describe("trainSoftClassifier", () => {
  test("learns the teacher's second choice; T = 3 softens it, a hard-label weight sharpens it", async () => {
    const options = { labels, seed: 3, hyperparameters: { epochs: 40, patience: 40 } };
    const plain = await trainSoftClassifier(softExamples, {
      ...options,
      distillationTemperature: 1,
      hardLabelWeight: 0,
    });
    const softened = await trainSoftClassifier(softExamples, {
      ...options,
      distillationTemperature: 3,
      hardLabelWeight: 0,
    });
    const sharpened = await trainSoftClassifier(softExamples, {
      ...options,
      distillationTemperature: 1,
      hardLabelWeight: 0.5,
    });
    // Targets: 0.8 / 0.2 as given; T = 3 makes them 0.8^(1/3) : 0.2^(1/3) = 0.61 / 0.39; weight 0.5 makes 0.9 / 0.1.
    const plainPartner = meanPartnerProbability(plain.model);
    const softenedPartner = meanPartnerProbability(softened.model);
    const sharpenedPartner = meanPartnerProbability(sharpened.model);
    assert.ok(plainPartner > 0.12 && plainPartner < 0.28, `T=1: partner ${plainPartner}`);
    assert.ok(softenedPartner > 0.3 && softenedPartner < 0.48, `T=3: partner ${softenedPartner}`);
    assert.ok(sharpenedPartner > 0.03 && sharpenedPartner < 0.16, `weight 0.5: partner ${sharpenedPartner}`);
    assert.equal(softened.record.hyperparameters.distillationTemperature, 3);
    assert.equal(softened.record.hyperparameters.loss, "soft-cross-entropy");
    // The student's top label is the teacher's on the texts it learnt.
    const predictions = plain.model.predictSync(data.map((example) => example.text));
    const same = predictions.filter((prediction, index) => prediction.label === data[index]?.label).length;
    assert.ok(same / data.length > 0.9, `top label matches on ${same} of ${data.length}`);
    assert.ok(plain.validation.heldOutFromTrain, "no valid given: 10% held out");
  });

  test("a student trained twice with the same seed is saved byte for byte the same; another seed differs", async () => {
    const weightsOf = async (seed: number, name: string) => {
      const trained = await trainSoftClassifier(softExamples, {
        labels,
        seed,
        hyperparameters: { epochs: 4 },
      });
      await saveNativeModel(trained.model, join(dir, name), trained.record);
      return readFile(join(dir, name, "weights.bin"));
    };
    const first = await weightsOf(7, "first");
    const second = await weightsOf(7, "second");
    const other = await weightsOf(8, "other");
    assert.ok(first.equals(second), "same seed, same bytes");
    assert.ok(!first.equals(other), "another seed, other bytes");
  });

  test("keeps the epoch with the lowest validation loss, and records the soft schedule's defaults", async () => {
    const valid = softExamples.slice(0, 60);
    const trained = await trainSoftClassifier(softExamples.slice(60), { labels, valid, seed: 1 });
    const losses = trained.history.map((epoch) => epoch.validationLoss);
    const bestEpoch = trained.validation.bestEpoch;
    assert.equal(Math.min(...losses), losses[bestEpoch - 1]);
    assert.equal(trained.record.hyperparameters.epochs, 30);
    assert.equal(trained.record.hyperparameters.learningRate, 2);
    assert.equal(trained.record.hyperparameters.distillationTemperature, 3);
    assert.equal(trained.record.hyperparameters.hardLabelWeight, 0.1);
    assert.equal(trained.validationExamples.length, valid.length);
    assert.equal(trained.validation.heldOutFromTrain, false);
  });

  test("rejects a distribution of the wrong length, a temperature of 0 and a weight above 1, naming the problem", async () => {
    await assert.rejects(
      trainSoftClassifier([{ text: "hello there", probabilities: [1, 0] }], { labels }),
      /soft target must hold 15/,
    );
    await assert.rejects(
      trainSoftClassifier(softExamples, { labels, distillationTemperature: 0 }),
      /distillationTemperature must be > 0/,
    );
    await assert.rejects(
      trainSoftClassifier(softExamples, { labels, hardLabelWeight: 1.5 }),
      /hardLabelWeight must be <= 1/,
    );
  });
});
