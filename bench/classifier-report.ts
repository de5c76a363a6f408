// The figures of bench/classifier.ts: one comparison row per system (the table the README renders), the ratios
// between the native model and its fair peers, the issue's targets, and the printed report.

import type { FastTextRun, FastTextSection } from "./classifier-fasttext.js";
import type {
  AtValidationThresholds,
  CoverageAtTargets,
  NativeMainFigures,
  NativeUnknownFigures,
} from "./figures.js";
import type { MemoryProbe } from "./measured-process.js";

/** MB here is 10^6 bytes everywhere: model files and peak memory alike. */
export const megabyte = 1_000_000;

/** One native worker run: its figures and what the parent measured of its process. */
export interface NativeResult {
  figures: NativeMainFigures;
  /** Peak of the whole worker process: training, saving, then loading and evaluating both models. */
  processPeakRssBytes: number | null;
  processWallSeconds: number;
  processCpuSeconds: number | null;
}

/**
 * One system in the comparison table, every figure measured the same way for each: accuracy and coverage on
 * test (thresholds read off test, an upper bound, and chosen on valid, what a deployment gets), training as
 * process wall time, the training process's peak memory, the model file, and predictions per second.
 */
export interface ComparisonRow {
  id: string;
  system: string;
  accuracy: number;
  coverageAt: CoverageAtTargets;
  atValidationThresholds: AtValidationThresholds;
  /** Process wall seconds: start → model written (native) or the `fasttext supervised` process (fastText). */
  trainWallSeconds: number | null;
  /** Peak resident memory of the training process; native: when training ended (before its evaluation). */
  peakRssBytes: number | null;
  /** weights.bin (native) or model.bin (fastText). */
  modelBytes: number;
  /** Native: in-process, batched; fastText: `predict-prob` over the test file, process start included. */
  textsPerSec: number | null;
  textsPerSecIncludesProcessStart: boolean;
  /** What a reader needs to know about the row (e.g. the bucket, the autotune budget). */
  note: string;
}

export function nativeRows(native: NativeResult, autotune: NativeResult | null): ComparisonRow[] {
  const figures = native.figures;
  const row = (result: NativeResult, id: string, system: string, note: string): ComparisonRow => ({
    id,
    system,
    accuracy: result.figures.test.accuracy,
    coverageAt: result.figures.test.coverageAt,
    atValidationThresholds: result.figures.test.atValidationThresholds,
    trainWallSeconds: result.figures.processSecondsToSaved,
    peakRssBytes: result.figures.peakRssAfterTrainBytes,
    modelBytes: result.figures.modelBytes.float32Weights,
    textsPerSec: result.figures.throughputPerSec,
    textsPerSecIncludesProcessStart: false,
    note,
  });
  const float32 = row(native, "native", "slmkit native, float32", "defaults, one thread");
  const rows = [float32];
  rows.push({
    ...float32,
    id: "native-int8",
    system: "slmkit native, int8",
    accuracy: figures.int8.test.accuracy,
    coverageAt: figures.int8.test.coverageAt,
    // The int8 model keeps the float32 model's threshold, re-checked on valid by quantizeWithReport.
    atValidationThresholds: figures.test.atValidationThresholds,
    modelBytes: figures.modelBytes.int8Weights,
    textsPerSec: figures.int8.throughputPerSec,
    note: "the float32 model quantized; same training",
  });
  if (autotune !== null) {
    const search = autotune.figures.autotune;
    rows.push(
      row(
        autotune,
        "native-autotune",
        `slmkit native, autotune ${search?.seconds ?? "?"} s`,
        `train --autotune ${search?.seconds ?? "?"}: ${search?.trials ?? "?"} trials on valid`,
      ),
    );
  }
  return rows;
}

export function fastTextRows(fastText: FastTextSection): ComparisonRow[] {
  return fastText.runs.map((run) => ({
    id: `fasttext-${run.id}`,
    system: run.name,
    accuracy: run.test.accuracy,
    coverageAt: run.test.coverageAt,
    atValidationThresholds: run.atValidationThresholds,
    trainWallSeconds: run.trainSeconds,
    peakRssBytes: run.peakRssBytes,
    modelBytes: run.modelBytes,
    textsPerSec: run.predictionsPerSec,
    textsPerSecIncludesProcessStart: true,
    note:
      run.chosenArguments === null
        ? `-bucket ${run.bucket?.toLocaleString("en-US")}`
        : `chose ${["epoch", "dim", "wordNgrams", "minn", "maxn", "bucket"]
            .map((name) => `-${name} ${run.chosenArguments?.[name] ?? "?"}`)
            .join(" ")}`,
  }));
}

export interface Ratios {
  /** Native / fastText (b), bucket sized, 1 thread, both process wall time (start → model written). */
  trainWallSeconds: number | null;
  peakMemory: number | null;
  modelSizeFloat32: number | null;
  modelSizeInt8: number | null;
  /** Native float32 minus fastText test accuracy, in points. */
  accuracyPointsVersusB: number | null;
  accuracyPointsVersusA: number | null;
  /** Coverage at the valid-chosen threshold for 97%, native minus fastText (b), in points. */
  validationCoverage97PointsVersusB: number | null;
  /** The same-budget autotunes: native minus fastText accuracy in points, and train wall ratio. */
  autotuneAccuracyPoints: number | null;
  autotuneValidationCoverage97Points: number | null;
  autotuneTrainWallSeconds: number | null;
}

export function divide(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === null || a === undefined || b === null || b === undefined) return null;
  return b === 0 ? null : a / b;
}

const pointsBetween = (a: number | null | undefined, b: number | null | undefined): number | null =>
  a === null || a === undefined || b === null || b === undefined ? null : (a - b) * 100;

export function computeRatios(rows: readonly ComparisonRow[]): Ratios {
  const byId = (id: string) => rows.find((row) => row.id === id);
  const native = byId("native");
  const int8 = byId("native-int8");
  const a = byId("fasttext-a");
  const b = byId("fasttext-b");
  const nativeTuned = byId("native-autotune");
  const fastTextTuned = byId("fasttext-autotune");
  const coverage97 = (row: ComparisonRow | undefined) => row?.atValidationThresholds["0.97"].coverage;
  return {
    trainWallSeconds: divide(native?.trainWallSeconds, b?.trainWallSeconds),
    peakMemory: divide(native?.peakRssBytes, b?.peakRssBytes),
    modelSizeFloat32: divide(native?.modelBytes, b?.modelBytes),
    modelSizeInt8: divide(int8?.modelBytes, b?.modelBytes),
    accuracyPointsVersusB: pointsBetween(native?.accuracy, b?.accuracy),
    accuracyPointsVersusA: pointsBetween(native?.accuracy, a?.accuracy),
    validationCoverage97PointsVersusB: pointsBetween(coverage97(native), coverage97(b)),
    autotuneAccuracyPoints: pointsBetween(nativeTuned?.accuracy, fastTextTuned?.accuracy),
    autotuneValidationCoverage97Points: pointsBetween(coverage97(nativeTuned), coverage97(fastTextTuned)),
    autotuneTrainWallSeconds: divide(nativeTuned?.trainWallSeconds, fastTextTuned?.trainWallSeconds),
  };
}

export const fixed = (value: number | null | undefined, digits: number): string =>
  value === null || value === undefined || !Number.isFinite(value) ? "–" : value.toFixed(digits);
export const whole = (value: number | null | undefined): string =>
  value === null || value === undefined || !Number.isFinite(value)
    ? "–"
    : Math.round(value).toLocaleString("en-US");
export const megabytes = (bytes: number | null | undefined): string =>
  bytes === null || bytes === undefined ? "–" : fixed(bytes / megabyte, bytes < 10 * megabyte ? 2 : 0);
const percent = (share: number | null | undefined): string =>
  share === null || share === undefined ? "–" : `${(share * 100).toFixed(1)}%`;
const signedPoints = (points: number | null): string =>
  points === null ? "–" : `${points >= 0 ? "+" : ""}${points.toFixed(2)} points`;
const ratio = (value: number | null, digits = 2): string =>
  value === null ? "–" : `${value.toFixed(digits)}×`;

function renderTable(rows: string[][]): string {
  const widths = (rows[0] as string[]).map((_, column) =>
    Math.max(...rows.map((row) => (row[column] ?? "").length)),
  );
  return rows
    .map((row) =>
      row
        .map((cell, column) =>
          column === 0 ? cell.padEnd(widths[column] as number) : cell.padStart(widths[column] as number),
        )
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

export interface Target {
  name: string;
  measured: string;
  /** null: could not be judged in this run. */
  pass: boolean | null;
}

export function evaluateTargets(
  native: NativeResult,
  unknown: NativeUnknownFigures | null,
  rows: readonly ComparisonRow[],
): Target[] {
  const figures = native.figures;
  const b = rows.find((row) => row.id === "fasttext-b");
  const accepted = figures.test.atThreshold.acceptedAccuracy;
  const targetAccuracy = 0.97;
  const peak = figures.peakRssAfterTrainBytes;
  const int8Loss = -figures.int8.accuracyChangePoints;
  return [
    {
      name: "test accuracy ≥ 0.91",
      measured: fixed(figures.test.accuracy, 4),
      pass: figures.test.accuracy >= 0.91,
    },
    {
      name: "coverage at 97% accepted accuracy ≥ 0.85",
      measured: fixed(figures.test.coverageAt["0.97"], 4),
      pass: figures.test.coverageAt["0.97"] >= 0.85,
    },
    {
      name: "accepted accuracy at the validation threshold, 0.97 ± 1 point",
      measured: `${fixed(accepted, 4)} (coverage ${fixed(figures.test.atThreshold.coverage, 4)})`,
      pass: accepted === null ? false : Math.abs(accepted - targetAccuracy) <= 0.01 + 1e-12,
    },
    {
      name: "train s ≤ fastText (b), bucket sized, 1 thread (both process wall)",
      measured:
        b?.trainWallSeconds == null
          ? `${fixed(figures.processSecondsToSaved, 1)} s (no fastText in this run)`
          : `${fixed(figures.processSecondsToSaved, 1)} s vs ${fixed(b.trainWallSeconds, 1)} s`,
      pass: b?.trainWallSeconds == null ? null : figures.processSecondsToSaved <= b.trainWallSeconds,
    },
    {
      name: "peak training memory ≤ 300 MB",
      measured: `${megabytes(peak)} MB`,
      pass: peak <= 300 * megabyte,
    },
    {
      name: "single prediction p99 ≤ 1 ms",
      measured: `${fixed(figures.latencyMs.p99, 3)} ms`,
      pass: figures.latencyMs.p99 <= 1,
    },
    {
      name: "throughput ≥ 20,000 texts/s",
      measured: `${whole(figures.throughputPerSec)} texts/s`,
      pass: figures.throughputPerSec >= 20_000,
    },
    {
      name: "int8 model (weights.bin) ≤ 3 MB",
      measured: `${megabytes(figures.modelBytes.int8Weights)} MB`,
      pass: figures.modelBytes.int8Weights <= 3 * megabyte,
    },
    {
      name: "int8 accuracy loss ≤ 0.5 points",
      measured: `${fixed(int8Loss, 2)} points`,
      pass: int8Loss <= 0.5 + 1e-9,
    },
    {
      name: "unknown intents escalated ≥ 80%",
      measured:
        unknown === null
          ? "not run (fewer than 7 labels)"
          : `${percent(unknown.outOfScope.escalatedShare)} (${unknown.outOfScope.escalated}/${unknown.outOfScope.n})`,
      pass: unknown === null ? null : unknown.outOfScope.escalatedShare >= 0.8,
    },
  ];
}

export interface ReportInputs {
  dataset: string;
  seed: number;
  splits: { train: number; valid: number; test: number; labels: number };
  probe: MemoryProbe;
  native: NativeResult;
  nativeAutotune: NativeResult | null;
  baselinePeakRssBytes: number | null;
  unknown: NativeUnknownFigures | null;
  fastText: FastTextSection;
  rows: ComparisonRow[];
  ratios: Ratios;
  targets: Target[];
}

/** The comparison table as printed: one line per system. */
export function renderComparison(rows: readonly ComparisonRow[]): string {
  const coverage = (values: CoverageAtTargets) =>
    ["0.95", "0.97", "0.99"].map((key) => fixed(values[key as keyof CoverageAtTargets], 3)).join(" / ");
  const atValid = (values: AtValidationThresholds) =>
    ["0.95", "0.97", "0.99"]
      .map((key) => fixed(values[key as keyof AtValidationThresholds].coverage, 3))
      .join(" / ");
  return renderTable([
    [
      "system",
      "accuracy",
      "cov@95/97/99 (test thr.)",
      "cov@95/97/99 (valid thr.)",
      "train wall s",
      "peak MB",
      "model MB",
      "texts/s",
    ],
    ...rows.map((row) => [
      row.system,
      fixed(row.accuracy, 4),
      coverage(row.coverageAt),
      atValid(row.atValidationThresholds),
      fixed(row.trainWallSeconds, 1),
      megabytes(row.peakRssBytes),
      megabytes(row.modelBytes),
      `${whole(row.textsPerSec)}${row.textsPerSecIncludesProcessStart ? "*" : ""}`,
    ]),
  ]);
}

export function renderReport(inputs: ReportInputs): string {
  const { native, unknown, fastText, ratios, splits } = inputs;
  const figures = native.figures;
  const lines: string[] = [];
  lines.push(
    `slmkit classifier bench: ${inputs.dataset} (train ${splits.train}, valid ${splits.valid}, test ${splits.test}, ${splits.labels} labels) · seed ${inputs.seed}`,
    "",
    renderComparison(inputs.rows),
    "",
    "accuracy and cov@X (coverage at X% accepted accuracy) on test: `test thr.` reads thresholds off the test curve",
    "  (an upper bound); `valid thr.` chooses each system's thresholds on its valid predictions (what a deployment gets).",
    "train wall s: process wall time for both, start → model written (native: Node + tsx start, reading, training,",
    `  saving; in-process training alone ${fixed(figures.trainSeconds, 1)} s). fastText: the \`supervised\` process.`,
    `peak MB: the training process's maximum RSS (${inputs.probe === "gnu-time" ? "GNU time %M" : "/proc VmHWM, polled"}); native's when training ended`,
    `  (the whole worker, with evaluation after it: ${megabytes(native.processPeakRssBytes)} MB; Node + tsx + slmkit idle: ${megabytes(inputs.baselinePeakRssBytes)} MB). MB = 10^6 bytes.`,
    "texts/s: native = in-process predictSync in batches of 256 (median of 3 passes); * = fastText `predict-prob` over",
    "  the whole test file INCLUDING process start and model load (best of 2 runs).",
  );
  for (const row of inputs.rows) lines.push(`  ${row.system}: ${row.note}`);
  if (!fastText.available) lines.push("", `NOTICE: ${fastText.notice ?? "fastText was not run."}`);
  else lines.push(`fastText ${fastText.version ?? "(version unknown)"} trained on ${fastText.trainedOn}.`);
  for (const run of fastText.runs) lines.push(...fastTextDetails(run));
  for (const failure of fastText.failed) lines.push(`  FAILED ${failure.name}: ${failure.error}`);

  lines.push(
    "",
    "native details",
    `  macro-F1 ${fixed(figures.test.macroF1, 4)} · ECE ${fixed(figures.test.ece, 4)} · epochs ${figures.epochsRun} (best ${figures.bestEpoch}) · ${whole(figures.featureCount)} features`,
    `  validation-chosen threshold ${fixed(figures.validation.threshold, 4)} (target 0.97; validation coverage ${fixed(figures.validation.coverage, 3)}, accepted accuracy ${fixed(figures.validation.acceptedAccuracy, 4)})`,
    `    on test: coverage ${fixed(figures.test.atThreshold.coverage, 4)}, accepted accuracy ${fixed(figures.test.atThreshold.acceptedAccuracy, 4)}`,
    `  int8: test accuracy ${fixed(figures.int8.test.accuracy, 4)} (${signedPoints(figures.int8.accuracyChangePoints)}; on validation ${signedPoints(figures.int8.validationAccuracyChangePoints)}),`,
    `    its own threshold ${fixed(figures.int8.test.atThreshold.threshold, 4)}: test coverage ${fixed(figures.int8.test.atThreshold.coverage, 4)}, accepted accuracy ${fixed(figures.int8.test.atThreshold.acceptedAccuracy, 4)}`,
    `  latency, predictSync([text]) one text per call over all ${figures.latencyMs.calls} test texts after ${figures.latencyMs.warmUpCalls} warm-up calls, one thread:`,
    `    p50 ${fixed(figures.latencyMs.p50, 3)} ms · p95 ${fixed(figures.latencyMs.p95, 3)} ms · p99 ${fixed(figures.latencyMs.p99, 3)} ms`,
    `  logits of one text (sparse vector made beforehand): JavaScript ${fixed(figures.logitsMicroseconds.javascript, 2)} µs · WebAssembly SIMD ${fixed(figures.logitsMicroseconds.webAssembly, 2)} µs (the classifier's path; the same bits) · ${figures.logitsMicroseconds.webAssembly === null ? "–" : `${fixed(figures.logitsMicroseconds.javascript / figures.logitsMicroseconds.webAssembly, 2)}×`}`,
    `  train CPU s ${fixed(figures.trainCpuSeconds, 1)} for ${fixed(figures.trainSeconds, 1)} s in-process wall (above wall = helper threads such as GC)`,
  );
  if (inputs.nativeAutotune?.figures.autotune) {
    const search = inputs.nativeAutotune.figures.autotune;
    lines.push(
      `  autotune: ${search.trials} trials in ${search.seconds} s, chose ${JSON.stringify(search.chosen)}`,
    );
  }
  for (const note of figures.notes) lines.push(`  note: ${note}`);
  if (unknown !== null) lines.push(...unknownDetails(unknown));

  lines.push(
    "",
    "ratios (native / fastText (b), bucket sized, 1 thread; compare within this run only)",
    `  train wall s: ${ratio(ratios.trainWallSeconds)} · peak MB: ${ratio(ratios.peakMemory)} · model size: float32 ${ratio(ratios.modelSizeFloat32, 4)}, int8 ${ratio(ratios.modelSizeInt8, 4)}`,
    `  accuracy: ${signedPoints(ratios.accuracyPointsVersusB)} vs (b), ${signedPoints(ratios.accuracyPointsVersusA)} vs (a); coverage at the valid threshold for 97%: ${signedPoints(ratios.validationCoverage97PointsVersusB)} vs (b)`,
    `  autotune vs autotune (same budget): accuracy ${signedPoints(ratios.autotuneAccuracyPoints)}, coverage at the valid threshold for 97% ${signedPoints(ratios.autotuneValidationCoverage97Points)}, train wall ${ratio(ratios.autotuneTrainWallSeconds)}`,
    "",
    "targets",
  );
  lines.push(
    renderTable(
      inputs.targets.map((target) => [
        `  ${target.name}`,
        target.measured,
        target.pass === null ? "n/a" : target.pass ? "PASS" : "MISS",
      ]),
    ),
  );
  return `${lines.join("\n")}\n`;
}

function fastTextDetails(run: FastTextRun): string[] {
  const count = run.features;
  return [
    `  ${run.name}: fasttext supervised ${run.arguments}`,
    `    hashed features of its n-gram settings: ${whole(count.wordNgrams)} word n-grams + ${whole(count.charNgrams)} character n-grams of ${whole(count.words)} words; ${run.bucket === null ? "bucket unknown" : `${whole(run.bucket)} buckets`}`,
    `    predict-prob: ${fixed(run.predictSeconds, 2)} s for the test file, ${fixed(run.startSeconds, 2)} s for one text; excluding that ≈ ${whole(run.predictionsPerSecExcludingStart)} texts/s`,
  ];
}

function unknownDetails(unknown: NativeUnknownFigures): string[] {
  return [
    "",
    `unknown intents: ${unknown.heldOutLabels.length} labels held out of train and valid (every 7th in sorted order):`,
    `  ${unknown.heldOutLabels.join(", ")}`,
    `  held-out labels' test items below the threshold (escalated): ${unknown.outOfScope.escalated}/${unknown.outOfScope.n} = ${percent(unknown.outOfScope.escalatedShare)}`,
    ...unknown.outOfScope.byLabel.map(
      (figures) =>
        `    ${figures.label}: ${figures.escalated}/${figures.n} escalated${figures.mostAcceptedAs === null ? "" : `; accepted mostly as ${figures.mostAcceptedAs} (${figures.mostAcceptedCount})`}`,
    ),
    `  in scope (${unknown.inScope.n} test items): accuracy ${fixed(unknown.inScope.accuracy, 4)}, at its threshold ${fixed(unknown.threshold, 4)}: coverage ${fixed(unknown.inScope.atThreshold.coverage, 4)}, accepted accuracy ${fixed(unknown.inScope.atThreshold.acceptedAccuracy, 4)}; cov@97 ${fixed(unknown.inScope.coverageAt["0.97"], 3)}`,
  ];
}
