// `slmkit train`: train a native classifier or extractor from files (or a use case) into a model directory.

import type { Command } from "commander";
import { detectFileTask } from "../data/io.js";
import { SlmkitError } from "../errors.js";
import { loadUseCase } from "../spec/load.js";
import type { ExtractFieldType } from "../text/normalizers/index.js";
import { runExtractTraining, runTraining } from "../train/train-run.js";
import { parseIntegerOption, parseNumberOption } from "./options.js";
import { createProgress, writeJsonOutput } from "./output.js";

interface TrainFlags {
  usecase?: string;
  train?: string;
  valid?: string;
  out?: string;
  task?: string;
  targetAccuracy?: number;
  seed: number;
  epochs?: number;
  lr?: number;
  wordNgrams?: number;
  minn?: number;
  maxn?: number;
  minCount?: number;
  maxFeatures?: number;
  autotune?: number;
  threads: number;
  quantize?: string;
  textField?: string;
  labelField?: string;
  json?: string;
}

export function registerTrainCommand(program: Command): void {
  program
    .command("train")
    .description(
      "train a native classifier ({text,label} data) or extractor ({text,spans} data); writes a model directory (manifest.json, weights.bin, model-card.md)",
    )
    .option("--usecase <yaml>", "read data paths, model directory and target accuracy from a usecase.yaml")
    .option("--train <file>", "training data, JSONL {text,label} or CSV")
    .option(
      "--valid <file>",
      "validation data for early stopping, calibration and the threshold (default: 10% of train)",
    )
    .option("--out <dir>", "model directory to write (default: the use case's `model`)")
    .option(
      "--task <task>",
      "classify or extract (default: read from the data: `spans` → extract, `label` → classify)",
    )
    .option(
      "--target-accuracy <x>",
      "accepted accuracy the threshold is chosen for (default 0.97)",
      parseNumberOption("--target-accuracy"),
    )
    .option(
      "--seed <n>",
      "random seed; same seed, data and one thread give byte-identical weights",
      parseIntegerOption("--seed"),
      42,
    )
    .option("--epochs <n>", "maximum epochs (default 15)", parseIntegerOption("--epochs", 1))
    .option("--lr <x>", "initial learning rate (default 0.5)", parseNumberOption("--lr"))
    .option("--word-ngrams <n>", "longest word n-gram (default 2)", parseIntegerOption("--word-ngrams", 1))
    .option("--minn <n>", "shortest character n-gram, 0 = none (default 2)", parseIntegerOption("--minn"))
    .option("--maxn <n>", "longest character n-gram (default 5)", parseIntegerOption("--maxn"))
    .option(
      "--min-count <n>",
      "keep features seen in at least n training texts (default 2)",
      parseIntegerOption("--min-count", 1),
    )
    .option(
      "--max-features <n>",
      "keep at most n features (default 200000)",
      parseIntegerOption("--max-features", 1),
    )
    .option(
      "--autotune <seconds>",
      "search hyperparameters on the validation data for this long",
      parseNumberOption("--autotune"),
    )
    .option(
      "--threads <n>",
      "SGD worker threads; only 1 gives byte-identical weights run to run",
      parseIntegerOption("--threads", 1),
      1,
    )
    .option(
      "--quantize <precision>",
      "store weights as int8 (about 4x smaller) and report the accuracy change",
    )
    .option("--text-field <name>", "JSONL key / CSV column of the text", "text")
    .option("--label-field <name>", "JSONL key / CSV column of the label", "label")
    .option("--json <file>", "write the training report as JSON (`-` for stdout)")
    .action(async (flags: TrainFlags) => {
      await trainAction(flags);
    });
}

async function trainAction(flags: TrainFlags): Promise<void> {
  let train = flags.train;
  let valid = flags.valid;
  let out = flags.out;
  let targetAccuracy = flags.targetAccuracy;
  let task = flags.task;
  let schemaFields: { name: string; type?: ExtractFieldType; required?: boolean }[] | undefined;
  if (task !== undefined && task !== "classify" && task !== "extract") {
    throw new SlmkitError("NOT_SUPPORTED", `--task ${task}: native training covers classify and extract.`, {
      field: "task",
    });
  }
  if (flags.usecase !== undefined) {
    const useCase = await loadUseCase(flags.usecase);
    if (useCase.spec.task !== "classify" && useCase.spec.task !== "extract") {
      throw new SlmkitError(
        "NOT_SUPPORTED",
        `use case task "${useCase.spec.task}": \`slmkit train\` covers classify and extract; build FAQ (answer) use cases with \`slmkit demo --template <id>\` or the library's trainAnswerer.`,
        {
          field: "task",
        },
      );
    }
    task ??= useCase.spec.task;
    if (useCase.spec.task === "extract") schemaFields = useCase.spec.schema?.fields;
    train ??= useCase.paths.train;
    valid ??= useCase.paths.valid;
    out ??= useCase.paths.model;
    targetAccuracy ??= useCase.spec.routing.targetAccuracy;
  }
  if (train === undefined)
    throw new SlmkitError("INVALID_OPTION", "give --train <file> or --usecase <yaml>.", { field: "train" });
  if (out === undefined)
    throw new SlmkitError("INVALID_OPTION", "give --out <dir> (or a `model` path in the use case).", {
      field: "out",
    });
  task ??= await detectFileTask(
    train,
    flags.labelField === undefined ? {} : { labelField: flags.labelField },
  );
  if (task === "extract") {
    await trainExtractAction(flags, { train, out, targetAccuracy, valid, schemaFields });
    return;
  }
  if (flags.quantize !== undefined && flags.quantize !== "int8") {
    throw new SlmkitError("INVALID_OPTION", `--quantize ${flags.quantize}: the only precision is int8.`, {
      field: "quantize",
    });
  }
  const features = {
    ...(flags.wordNgrams === undefined ? {} : { wordNgrams: flags.wordNgrams }),
    ...(flags.minn === undefined ? {} : { minCharNgram: flags.minn }),
    ...(flags.maxn === undefined ? {} : { maxCharNgram: flags.maxn }),
  };
  const progress = createProgress();
  const quietJson = flags.json === "-";
  const result = await runTraining({
    train,
    out,
    ...(valid === undefined ? {} : { valid }),
    ...(flags.textField === undefined ? {} : { textField: flags.textField }),
    ...(flags.labelField === undefined ? {} : { labelField: flags.labelField }),
    seed: flags.seed,
    threads: flags.threads,
    ...(targetAccuracy === undefined ? {} : { targetAccuracy }),
    hyperparameters: {
      ...(flags.epochs === undefined ? {} : { epochs: flags.epochs }),
      ...(flags.lr === undefined ? {} : { learningRate: flags.lr }),
      ...(flags.minCount === undefined ? {} : { minCount: flags.minCount }),
      ...(flags.maxFeatures === undefined ? {} : { maxFeatures: flags.maxFeatures }),
      features,
    },
    ...(flags.autotune === undefined ? {} : { autotuneSeconds: flags.autotune }),
    ...(flags.quantize === "int8" ? { quantize: "int8" as const } : {}),
    onProgress: (step) =>
      progress.update(
        `epoch ${step.epoch}/${step.epochs}  loss ${step.trainLoss.toFixed(4)}  valid acc ${step.validationAccuracy.toFixed(4)}  ${step.elapsedSeconds.toFixed(1)}s`,
      ),
    onTrial: (trial) =>
      progress.update(
        `autotune trial ${trial.index + 1}: valid acc ${trial.validationAccuracy.toFixed(4)} (${trial.seconds.toFixed(1)}s)`,
      ),
  });
  progress.done();
  const { validation } = result.trained;
  const report = {
    out: result.out,
    labels: result.manifest.labels.length,
    trainSeconds: result.trained.record.trainSeconds,
    validation,
    calibration: result.manifest.calibration,
    hyperparameters: result.manifest.hyperparameters,
    ...(result.quantization ? { quantization: result.quantization } : {}),
    ...(result.trials.length > 0 ? { autotuneTrials: result.trials } : {}),
  };
  if (flags.json !== undefined) await writeJsonOutput(flags.json, report);
  if (quietJson) return;
  const lines = [
    `model written to ${result.out}`,
    `  ${result.manifest.labels.length} labels, trained in ${(result.trained.record.trainSeconds ?? 0).toFixed(1)}s (best epoch ${validation.bestEpoch})`,
    `  validation${validation.heldOutFromTrain ? " (10% held out of train)" : ""}: accuracy ${validation.accuracy.toFixed(4)}, ECE ${validation.ece.toFixed(4)}, n ${validation.n}`,
    `  threshold ${result.manifest.calibration.threshold.toFixed(4)} for ${result.manifest.calibration.targetAccuracy} accepted accuracy: coverage ${validation.coverage.toFixed(3)}`,
  ];
  if (result.quantization) {
    const change = result.quantization.accuracyChange * 100;
    lines.push(
      `  int8: validation accuracy ${result.quantization.validationAccuracyBefore.toFixed(4)} → ${result.quantization.validationAccuracyAfter.toFixed(4)} (${change >= 0 ? "+" : ""}${change.toFixed(2)} points)`,
    );
  }
  if (result.trials.length > 0)
    lines.push(
      `  autotune: ${result.trials.length} trials, chose ${JSON.stringify(result.trained.record.hyperparameters)}`,
    );
  process.stdout.write(`${lines.join("\n")}\n`);
}

async function trainExtractAction(
  flags: TrainFlags,
  settings: {
    train: string;
    out: string;
    valid: string | undefined;
    targetAccuracy: number | undefined;
    schemaFields: { name: string; type?: ExtractFieldType; required?: boolean }[] | undefined;
  },
): Promise<void> {
  if (flags.quantize !== undefined) {
    throw new SlmkitError(
      "NOT_SUPPORTED",
      "--quantize applies to classifiers; extractors are stored as float32.",
      {
        field: "quantize",
      },
    );
  }
  const progress = createProgress();
  const result = await runExtractTraining({
    train: settings.train,
    out: settings.out,
    ...(settings.valid === undefined ? {} : { valid: settings.valid }),
    ...(settings.schemaFields === undefined ? {} : { fields: settings.schemaFields }),
    seed: flags.seed,
    ...(settings.targetAccuracy === undefined ? {} : { targetAccuracy: settings.targetAccuracy }),
    ...(flags.epochs === undefined ? {} : { epochs: flags.epochs }),
    onProgress: (step) =>
      progress.update(
        `epoch ${step.epoch}/${step.epochs}  valid span F1 ${step.validationF1.toFixed(4)}  ${step.elapsedSeconds.toFixed(1)}s`,
      ),
  });
  progress.done();
  const { validation, notes } = result.trained;
  const report = {
    out: result.out,
    task: "extract",
    fields: result.manifest.fields,
    trainSeconds: result.trained.record.trainSeconds,
    validation,
    dataNotes: notes,
    calibration: result.manifest.calibration,
    hyperparameters: result.manifest.hyperparameters,
  };
  if (flags.json !== undefined) await writeJsonOutput(flags.json, report);
  if (flags.json === "-") return;
  const lines = [
    `model written to ${result.out}`,
    `  extractor of ${result.manifest.fields.length} fields (${result.manifest.fields.join(", ")}), trained in ${(result.trained.record.trainSeconds ?? 0).toFixed(1)}s (best epoch ${validation.bestEpoch})`,
    `  validation${validation.heldOutFromTrain ? " (10% held out of train)" : ""}: exact span F1 ${validation.spanF1.toFixed(4)}, records right ${validation.recordAccuracy.toFixed(4)}, n ${validation.n}`,
    `  threshold ${result.manifest.calibration.threshold.toFixed(4)} for ${result.manifest.calibration.targetAccuracy} accepted record accuracy: coverage ${validation.coverage.toFixed(3)}`,
    `  data: ${notes.overlapsResolved} overlapping spans resolved (longest kept), ${notes.trimmed} trimmed, ${notes.snapped} snapped to tokens, ${notes.dropped} dropped`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}
