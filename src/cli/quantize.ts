// `slmkit quantize <dir>`: store a trained model's weights as int8, measuring the change on validation data.

import type { Command } from "commander";
import { readClassificationData } from "../data/io.js";
import { SlmkitError } from "../errors.js";
import { chooseThreshold } from "../eval/selective.js";
import { loadNativeModel, readManifest, saveNativeModel } from "../models/native/model-directory.js";
import { quantizeClassifier } from "../models/native/quantize.js";
import { referenceFiles } from "../monitor/reference.js";

export function registerQuantizeCommand(program: Command): void {
  program
    .command("quantize")
    .description("convert a model directory's weights to int8 (about 4x smaller)")
    .argument("<dir>", "model directory")
    .requiredOption(
      "--valid <file>",
      "validation data: measures the accuracy change and re-chooses the threshold",
    )
    .option("--out <dir>", "write the quantized model here (default: replace <dir>)")
    .action(async (dir: string, flags: { valid: string; out?: string }) => {
      const manifest = await readManifest(dir);
      if (manifest.precision === "int8")
        throw new SlmkitError("INVALID_INPUT", `${dir} is already int8.`, { file: dir });
      const model = await loadNativeModel(dir);
      const valid = (await readClassificationData(flags.valid)).filter((example) =>
        model.labels.includes(example.label),
      );
      if (valid.length === 0)
        throw new SlmkitError("EMPTY_DATA", "no validation example has a label the model knows.", {
          file: flags.valid,
        });
      const quantized = quantizeClassifier(model);
      const score = (predictions: { label: string; confidence: number }[]) => ({
        confidences: predictions.map((prediction) => prediction.confidence),
        correct: predictions.map((prediction, index) => prediction.label === valid[index]?.label),
      });
      const texts = valid.map((example) => example.text);
      const before = score(model.predictSync(texts));
      const after = score(quantized.predictSync(texts));
      const accuracy = (correct: boolean[]) => correct.filter(Boolean).length / correct.length;
      const choice = chooseThreshold(after.confidences, after.correct, manifest.calibration.targetAccuracy);
      const quantization = {
        precision: "int8" as const,
        validationAccuracyBefore: accuracy(before.correct),
        validationAccuracyAfter: accuracy(after.correct),
        accuracyChange: accuracy(after.correct) - accuracy(before.correct),
      };
      const out = flags.out ?? dir;
      await saveNativeModel(
        quantized.withThreshold(choice.threshold),
        out,
        {
          hyperparameters: manifest.hyperparameters,
          seed: manifest.seed,
          dataHash: manifest.dataHash,
          targetAccuracy: manifest.calibration.targetAccuracy,
          validation: {
            ...manifest.validation,
            accuracy: quantization.validationAccuracyAfter,
            coverage: choice.coverage,
            acceptedAccuracy: choice.accuracy,
          },
          ...(manifest.trainSeconds === undefined ? {} : { trainSeconds: manifest.trainSeconds }),
          extra: { quantization },
          // The drift reference is rebuilt for the int8 model on the same validation texts.
          files: referenceFiles(quantized.withThreshold(choice.threshold), texts),
        },
        "int8",
      );
      const change = quantization.accuracyChange * 100;
      process.stdout.write(
        `int8 model written to ${out}\n  validation accuracy ${quantization.validationAccuracyBefore.toFixed(4)} → ${quantization.validationAccuracyAfter.toFixed(4)} (${change >= 0 ? "+" : ""}${change.toFixed(2)} points)\n`,
      );
    });
}
