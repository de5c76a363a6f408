// The one loader of a native model directory, whatever it holds: a classifier, an extractor or an FAQ answerer.

import { SlmkitError } from "../../errors.js";
import type { TaskType } from "../../types.js";
import type { NativeAnswerer } from "./answerer.js";
import { loadNativeAnswerer } from "./answerer-directory.js";
import type { NativeClassifier } from "./classifier.js";
import type { NativeExtractor } from "./extractor.js";
import { loadNativeExtractor } from "./extractor-directory.js";
import { loadNativeModel, readRawManifest } from "./model-directory.js";

/** A loaded native model; `task` tells which. */
export type NativeModel = NativeClassifier | NativeAnswerer | NativeExtractor;

/**
 * Loads the model directory `dir` by the task its manifest names, verified by that task's loader (format
 * version, every file's sha256). With `expectedTask`, a model of another task is refused (INVALID_SPEC naming
 * both) before a loader misreads it. A missing or unreadable manifest is the classifier loader's to report.
 */
export async function loadModelDirectory(dir: string, expectedTask?: TaskType): Promise<NativeModel> {
  const found = (await readRawManifest(dir))?.task;
  if (expectedTask !== undefined && typeof found === "string" && found !== expectedTask) {
    throw new SlmkitError(
      "INVALID_SPEC",
      `the model at ${dir} has task "${found}", but the use case's task is ${expectedTask}; point \`model:\` at a ${expectedTask} model or train one.`,
      { field: "model" },
    );
  }
  if (found === "answer") return loadNativeAnswerer(dir);
  if (found === "extract") return loadNativeExtractor(dir);
  return loadNativeModel(dir);
}
