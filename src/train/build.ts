// One build of a use case: check data → train (or reuse the model when its data is unchanged) → evaluate.

import { join } from "node:path";
import { checkClassificationData, type DataReport } from "../data/check.js";
import { readClassificationData, readClassificationDataLenient } from "../data/io.js";
import { SlmkitError } from "../errors.js";
import type { ClassificationEvalReport } from "../eval/evaluate.js";
import { evaluateClassifier } from "../eval/evaluate.js";
import { renderEvalHtml } from "../eval/report-html.js";
import { writeFileAtomic } from "../internal/fs.js";
import { loadNativeModel, readManifest, saveNativeModel } from "../models/native/model-directory.js";
import { loadUseCase } from "../spec/load.js";
import { hashData, type TrainProgress, trainClassifier } from "./train-classifier.js";

/** The steps of a build, reported as they start and finish. */
export type BuildStep =
  | { step: "check"; report: DataReport }
  | { step: "train"; reused: boolean; modelDir: string; trainSeconds: number | undefined }
  | { step: "eval"; report: ClassificationEvalReport; jsonPath: string; htmlPath: string };

export interface BuildUseCaseOptions {
  /** Seed for training. Default 42. */
  seed?: number;
  /** Train again even when the model's data hash matches. Default false. */
  retrain?: boolean;
  /** Where reports go. Default `<use case folder>/reports`. */
  reportDir?: string;
  onStep?: (step: BuildStep) => void;
  onProgress?: (progress: TrainProgress) => void;
}

export interface BuildResult {
  usecasePath: string;
  modelDir: string;
  dataReport: DataReport;
  evalReport: ClassificationEvalReport;
  reused: boolean;
  jsonPath: string;
  htmlPath: string;
}

/**
 * Builds a classification use case from its usecase.yaml: its train, valid and test files are checked
 * together (leakage between them included), the model is trained into the use case's `model` directory
 * unless one trained on the same data and seed is already there, and the test file is evaluated into
 * `eval.json` and `eval.html`. A data check with errors stops the build before training.
 */
export async function buildUseCase(
  usecasePath: string,
  options: BuildUseCaseOptions = {},
): Promise<BuildResult> {
  const useCase = await loadUseCase(usecasePath);
  const { spec, paths } = useCase;
  if (spec.task !== "classify") {
    throw new SlmkitError(
      "NOT_SUPPORTED",
      `use case task "${spec.task}" cannot be built natively yet; only classify.`,
      {
        file: useCase.path,
        field: "task",
      },
    );
  }
  if (paths.test === undefined) {
    throw new SlmkitError("INVALID_SPEC", "the use case needs `data.test` to be evaluated.", {
      file: useCase.path,
      field: "data.test",
    });
  }
  const modelDir = paths.model ?? join(useCase.dir, "model");
  const seed = options.seed ?? 42;

  const trainRead = await readClassificationDataLenient(paths.train);
  const otherSplits: Record<string, Awaited<ReturnType<typeof readClassificationDataLenient>>> = {};
  if (paths.valid !== undefined) otherSplits.valid = await readClassificationDataLenient(paths.valid);
  otherSplits.test = await readClassificationDataLenient(paths.test);
  const dataReport = checkClassificationData(trainRead.examples, {
    file: paths.train,
    problems: trainRead.problems,
    otherSplits,
  });
  options.onStep?.({ step: "check", report: dataReport });
  if (!dataReport.ok) {
    const errors = dataReport.issues
      .filter((issue) => issue.severity === "error")
      .map((issue) => issue.message);
    throw new SlmkitError(
      "INVALID_DATA",
      `the data check found errors; fix them before training: ${errors.join("; ")}`,
      {
        file: paths.train,
      },
    );
  }

  const train = await readClassificationData(paths.train);
  const valid = paths.valid === undefined ? undefined : await readClassificationData(paths.valid);
  const dataHash = hashData(train, valid);
  let reused = false;
  if (!options.retrain) {
    try {
      const manifest = await readManifest(modelDir);
      reused = manifest.dataHash === dataHash && manifest.seed === seed;
    } catch {
      reused = false;
    }
  }
  let trainSeconds: number | undefined;
  if (!reused) {
    const trained = await trainClassifier(train, {
      ...(valid === undefined ? {} : { valid }),
      seed,
      targetAccuracy: spec.routing.targetAccuracy,
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    });
    await saveNativeModel(trained.model, modelDir, trained.record);
    trainSeconds = trained.record.trainSeconds;
  }
  options.onStep?.({ step: "train", reused, modelDir, trainSeconds });

  const model = await loadNativeModel(modelDir);
  const test = await readClassificationData(paths.test);
  const evalReport = await evaluateClassifier(model, test);
  const reportDir = options.reportDir ?? join(useCase.dir, "reports");
  const jsonPath = join(reportDir, "eval.json");
  const htmlPath = join(reportDir, "eval.html");
  await writeFileAtomic(jsonPath, `${JSON.stringify(evalReport, null, 2)}\n`);
  await writeFileAtomic(htmlPath, renderEvalHtml(evalReport));
  options.onStep?.({ step: "eval", report: evalReport, jsonPath, htmlPath });
  return { usecasePath: useCase.path, modelDir, dataReport, evalReport, reused, jsonPath, htmlPath };
}
