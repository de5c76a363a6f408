// One build of a use case: check data → train (or reuse the model when its data is unchanged) → evaluate.

import { join } from "node:path";
import {
  type CheckDataOptions,
  checkClassificationData,
  checkSpanData,
  type DataReport,
} from "../data/check.js";
import { readFaqFile } from "../data/faq-file.js";
import { type DataReadResult, readClassificationDataLenient, readSpanDataLenient } from "../data/io.js";
import { SlmkitError } from "../errors.js";
import type { ClassificationEvalReport } from "../eval/evaluate.js";
import { evaluateClassifier } from "../eval/evaluate.js";
import { type ExtractionEvalReport, evaluateExtractor } from "../eval/evaluate-extract.js";
import { renderExtractHtml } from "../eval/report-extract-html.js";
import { renderEvalHtml } from "../eval/report-html.js";
import { writeFileAtomic } from "../internal/fs.js";
import { loadNativeAnswerer, saveNativeAnswerer } from "../models/native/answerer-directory.js";
import { loadNativeExtractor, saveNativeExtractor } from "../models/native/extractor-directory.js";
import { loadNativeModel, readRawManifest, saveNativeModel } from "../models/native/model-directory.js";
import { referenceFiles } from "../monitor/reference.js";
import { type LoadedUseCase, loadUseCase } from "../spec/load.js";
import { trainAnswerer } from "./train-answerer.js";
import { hashData, type TrainProgress, trainClassifier } from "./train-classifier.js";
import { hashSpanData, trainExtractor } from "./train-extractor.js";

/** The steps of a build, reported as they start and finish. */
export type BuildStep =
  | { step: "check"; report: DataReport }
  | { step: "train"; reused: boolean; modelDir: string; trainSeconds: number | undefined }
  | {
      step: "eval";
      report: ClassificationEvalReport | ExtractionEvalReport;
      jsonPath: string;
      htmlPath: string;
    };

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

interface BuildResultCommon {
  usecasePath: string;
  modelDir: string;
  dataReport: DataReport;
  reused: boolean;
  jsonPath: string;
  htmlPath: string;
}

/** A classify or answer build: the intent figures of the test file. */
export interface LabelBuildResult extends BuildResultCommon {
  task: "classify" | "answer";
  evalReport: ClassificationEvalReport;
  /** answer: the whole answer gate (classifier threshold, BM25 agreement, slots) on the test questions. */
  answerReport?: AnswerEvalSummary;
}

/** An extract build: span and whole-record figures of the test file. */
export interface ExtractBuildResult extends BuildResultCommon {
  task: "extract";
  evalReport: ExtractionEvalReport;
}

export type BuildResult = LabelBuildResult | ExtractBuildResult;

/** How the answer model did on the test questions, beside the intent classifier's figures. */
export interface AnswerEvalSummary {
  n: number;
  /** Share of questions answered (not escalated). */
  coverage: number;
  /** Share of answered questions whose intent is right; null when none was answered. */
  acceptedAccuracy: number | null;
  /** Why questions were escalated, by reason. */
  escalated: Record<string, number>;
}

/**
 * Builds a use case from its usecase.yaml, whatever its task: its train, valid and test files are checked
 * together (leakage between them included), the model (classifier, answer model or extractor) is trained
 * into the use case's `model` directory unless one trained on the same data and seed is already there, and
 * the test file is evaluated into `eval.json` and `eval.html`. A data check with errors stops the build
 * before training.
 */
export async function buildUseCase(
  usecasePath: string,
  options: BuildUseCaseOptions = {},
): Promise<BuildResult> {
  const useCase = await loadUseCase(usecasePath);
  const { spec, paths } = useCase;
  if (spec.task === "extract") return buildExtractUseCase(useCase, options);
  const modelDir = paths.model ?? join(useCase.dir, "model");
  const seed = options.seed ?? 42;
  const { dataReport, train, valid, test } = await checkedSplits(
    useCase,
    options,
    readClassificationDataLenient,
    checkClassificationData,
  );
  const faq = spec.task === "answer" ? await readUseCaseFaq(useCase) : undefined;
  const trainOptions = {
    ...(valid === undefined ? {} : { valid }),
    seed,
    targetAccuracy: spec.routing.targetAccuracy,
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
  };
  let reused = false;
  let trainSeconds: number | undefined;
  if (faq === undefined) {
    reused = !options.retrain && (await sameTraining(modelDir, "classify", hashData(train, valid), seed));
    if (!reused) {
      const trained = await trainClassifier(train, trainOptions);
      await saveNativeModel(trained.model, modelDir, {
        ...trained.record,
        files: referenceFiles(
          trained.model,
          trained.validationExamples.map((example) => example.text),
        ),
      });
      trainSeconds = trained.record.trainSeconds;
    }
  } else {
    // The answer model's data hash covers the FAQ too; it is only known after training, so compare the
    // classifier part and the FAQ recorded in the manifest.
    const trained = options.retrain
      ? undefined
      : await reusableAnswerer(modelDir, hashData(train, valid), faq, seed);
    reused = trained !== undefined;
    if (!reused) {
      const fresh = await trainAnswerer(train, faq, trainOptions);
      await saveNativeAnswerer(fresh.model, modelDir, {
        ...fresh.record,
        extra: { ...fresh.record.extra, classifierDataHash: hashData(train, valid) },
      });
      trainSeconds = fresh.record.trainSeconds;
    }
  }
  options.onStep?.({ step: "train", reused, modelDir, trainSeconds });

  const reportDir = options.reportDir ?? join(useCase.dir, "reports");
  const jsonPath = join(reportDir, "eval.json");
  const htmlPath = join(reportDir, "eval.html");
  let evalReport: ClassificationEvalReport;
  let answerReport: AnswerEvalSummary | undefined;
  if (faq === undefined) {
    evalReport = await evaluateClassifier(await loadNativeModel(modelDir), test);
  } else {
    const answerer = await loadNativeAnswerer(modelDir);
    // The intent figures come from the classifier alone (its own threshold); the answer gate is reported apart.
    evalReport = await evaluateClassifier(answerer.classifier, test);
    answerReport = summarizeAnswers(
      answerer.answer(test.map((example) => example.text)),
      test.map((example) => example.label),
    );
  }
  const json = answerReport === undefined ? evalReport : { ...evalReport, answer: answerReport };
  await writeFileAtomic(jsonPath, `${JSON.stringify(json, null, 2)}\n`);
  await writeFileAtomic(htmlPath, renderEvalHtml(evalReport));
  options.onStep?.({ step: "eval", report: evalReport, jsonPath, htmlPath });
  return {
    task: spec.task === "answer" ? "answer" : "classify",
    usecasePath: useCase.path,
    modelDir,
    dataReport,
    evalReport,
    ...(answerReport === undefined ? {} : { answerReport }),
    reused,
    jsonPath,
    htmlPath,
  };
}

/** Builds an extract use case: span data check → extractor → span and record figures. */
async function buildExtractUseCase(
  useCase: LoadedUseCase,
  options: BuildUseCaseOptions,
): Promise<ExtractBuildResult> {
  const { spec, paths } = useCase;
  const modelDir = paths.model ?? join(useCase.dir, "model");
  const seed = options.seed ?? 42;
  const { dataReport, train, valid, test } = await checkedSplits(
    useCase,
    options,
    readSpanDataLenient,
    checkSpanData,
  );
  const reused =
    !options.retrain && (await sameTraining(modelDir, "extract", hashSpanData(train, valid), seed));
  let trainSeconds: number | undefined;
  if (!reused) {
    const fields = spec.schema?.fields ?? [];
    const trained = await trainExtractor(train, {
      ...(valid === undefined ? {} : { valid }),
      fields: fields.map((field) => field.name),
      fieldTypes: Object.fromEntries(fields.map((field) => [field.name, field.type])),
      requiredFields: fields.filter((field) => field.required).map((field) => field.name),
      seed,
      targetAccuracy: spec.routing.targetAccuracy,
    });
    await saveNativeExtractor(trained.model, modelDir, trained.record);
    trainSeconds = trained.record.trainSeconds;
  }
  options.onStep?.({ step: "train", reused, modelDir, trainSeconds });
  const model = await loadNativeExtractor(modelDir);
  const evalReport = await evaluateExtractor(model, test);
  const reportDir = options.reportDir ?? join(useCase.dir, "reports");
  const jsonPath = join(reportDir, "eval.json");
  const htmlPath = join(reportDir, "eval.html");
  await writeFileAtomic(jsonPath, `${JSON.stringify(evalReport, null, 2)}\n`);
  await writeFileAtomic(htmlPath, renderExtractHtml(evalReport));
  options.onStep?.({ step: "eval", report: evalReport, jsonPath, htmlPath });
  return {
    task: "extract",
    usecasePath: useCase.path,
    modelDir,
    dataReport,
    evalReport,
    reused,
    jsonPath,
    htmlPath,
  };
}

/**
 * Reads train, valid and test once each, checks them together (leakage between them included) and stops the
 * build on errors. An `ok` report means no line was malformed, so the lenient reader's examples are the
 * whole data and nothing is read twice.
 */
async function checkedSplits<T>(
  useCase: LoadedUseCase,
  options: BuildUseCaseOptions,
  read: (path: string) => Promise<DataReadResult<T>>,
  check: (examples: readonly T[], checkOptions: CheckDataOptions<T>) => DataReport,
): Promise<{ dataReport: DataReport; train: T[]; valid: T[] | undefined; test: T[] }> {
  const { paths } = useCase;
  if (paths.test === undefined) {
    throw new SlmkitError("INVALID_SPEC", "the use case needs `data.test` to be evaluated.", {
      file: useCase.path,
      field: "data.test",
    });
  }
  const trainRead = await read(paths.train);
  const validRead = paths.valid === undefined ? undefined : await read(paths.valid);
  const testRead = await read(paths.test);
  const dataReport = check(trainRead.examples, {
    file: paths.train,
    problems: trainRead.problems,
    otherSplits: { ...(validRead === undefined ? {} : { valid: validRead }), test: testRead },
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
  return { dataReport, train: trainRead.examples, valid: validRead?.examples, test: testRead.examples };
}

async function readUseCaseFaq(useCase: LoadedUseCase) {
  if (useCase.paths.faq === undefined) {
    throw new SlmkitError(
      "INVALID_SPEC",
      "an answer use case needs `faq`, a JSONL file of {label, answer}.",
      {
        file: useCase.path,
        field: "faq",
      },
    );
  }
  return readFaqFile(useCase.paths.faq);
}

/** True when `dir` holds a model of `task` trained on data with `dataHash` and `seed`. */
async function sameTraining(dir: string, task: string, dataHash: string, seed: number): Promise<boolean> {
  const manifest = await readRawManifest(dir);
  return manifest?.task === task && manifest.dataHash === dataHash && manifest.seed === seed;
}

/** The saved answer model when it was trained on the same questions, FAQ and seed and still loads. */
async function reusableAnswerer(dir: string, classifierDataHash: string, faq: unknown, seed: number) {
  const manifest = await readRawManifest(dir);
  if (
    manifest?.task !== "answer" ||
    manifest.classifierDataHash !== classifierDataHash ||
    manifest.seed !== seed
  )
    return undefined;
  try {
    const model = await loadNativeAnswerer(dir);
    return JSON.stringify(model.faq) === JSON.stringify(faq) ? model : undefined;
  } catch {
    return undefined;
  }
}

function summarizeAnswers(
  results: readonly { label: string; accepted: boolean; reason?: string }[],
  gold: readonly string[],
): AnswerEvalSummary {
  let accepted = 0;
  let right = 0;
  const escalated: Record<string, number> = {};
  results.forEach((result, index) => {
    if (result.accepted) {
      accepted++;
      if (result.label === gold[index]) right++;
    } else {
      const reason = result.reason ?? "unknown";
      escalated[reason] = (escalated[reason] ?? 0) + 1;
    }
  });
  return {
    n: results.length,
    coverage: results.length === 0 ? 0 : accepted / results.length,
    acceptedAccuracy: accepted === 0 ? null : right / accepted,
    escalated,
  };
}
