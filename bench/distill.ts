// `node --import tsx bench/distill.ts`: distillation on banking77. A native teacher trained on half of train
// (stratified) labels the other half's texts; a native student learns those labels. Each variant changes one
// distillation option against the defaults; prints teacher and student test accuracy, their ratio (issue
// target: student >= 98% of teacher), agreement and teacher calls side by side, and writes
// bench/results/distill-banking77.json. It prints figures; it never asserts them.
//
// Usage: node --import tsx bench/distill.ts [--data <dir>] [--seed 42] [--variants default,hardLabels,…]

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { readClassificationData } from "../src/data/io.js";
import { createRandom } from "../src/internal/random.js";
import { type DistillOptions, type DistillReport, distill, teacherFromModel } from "../src/train/distill.js";
import { trainClassifier } from "../src/train/train-classifier.js";
import type { LabeledExample } from "../src/types.js";
import { startBenchRun } from "./provenance.js";

const repositoryRoot = fileURLToPath(new URL("..", import.meta.url));
const defaultDataDir = "../shared/datasets/banking77";

/** The schedule hard labels train with (trainClassifier's defaults), to tell the loss from the schedule. */
const hardLabelSchedule = { epochs: 15, learningRate: 0.5 };

/** One option changed against the defaults per variant; the brief's letters in brackets. */
const allVariants: Array<{ name: string; what: string; options: Partial<DistillOptions> }> = [
  {
    name: "default",
    what: "soft labels at T=3, hard-label weight 0.1, 30 epochs, step 2 (the defaults)",
    options: {},
  },
  {
    name: "hardLabels",
    what: "teacher's top label only (what an LLM teacher gives)",
    options: { softLabels: false },
  },
  {
    name: "plainSoftHardSchedule",
    what: "[c,e] soft labels as given (T=1, no hard-label weight), hard-label schedule (15 epochs, step 0.5)",
    options: { distillationTemperature: 1, hardLabelWeight: 0, hyperparameters: hardLabelSchedule },
  },
  {
    name: "hardSchedule",
    what: "[e] 15 epochs, step 0.5 (the hard-label schedule)",
    options: { hyperparameters: hardLabelSchedule },
  },
  { name: "epochs50", what: "[e] 50 epochs", options: { hyperparameters: { epochs: 50 } } },
  { name: "softT1", what: "[c] T=1 (soft labels as given)", options: { distillationTemperature: 1 } },
  { name: "softT2", what: "[c] T=2", options: { distillationTemperature: 2 } },
  { name: "softT4", what: "[c] T=4", options: { distillationTemperature: 4 } },
  {
    name: "hardLabelWeight0",
    what: "[c] no hard-label weight (pure soft targets)",
    options: { hardLabelWeight: 0 },
  },
  { name: "hardLabelWeight0.3", what: "[c] hard-label weight 0.3", options: { hardLabelWeight: 0.3 } },
  { name: "minConfidence0.5", what: "[a] confidence filter at 0.5", options: { minConfidence: 0.5 } },
  {
    name: "smallerHoldOut",
    what: "[b] 5% held out for agreement, 5% for validation (not 10% + 10%)",
    options: { heldOutFraction: 0.05, validFraction: 0.05 },
  },
  { name: "augment1", what: "[d] one perturbed copy per training text", options: { augment: 1 } },
  { name: "augment2", what: "[d] two perturbed copies per training text", options: { augment: 2 } },
];

const { values } = parseArgs({
  options: {
    data: { type: "string" },
    seed: { type: "string", default: "42" },
    variants: { type: "string" },
  },
  strict: true,
});
const dataDir = resolve(repositoryRoot, values.data ?? defaultDataDir);
const seed = Number(values.seed);
const chosen = values.variants?.split(",").map((name) => name.trim());
const unknown = chosen?.filter((name) => !allVariants.some((variant) => variant.name === name)) ?? [];
if (unknown.length > 0) {
  throw new Error(
    `unknown variant(s) ${unknown.join(", ")}; known: ${allVariants.map((variant) => variant.name).join(", ")}`,
  );
}
const variantsToRun =
  chosen === undefined ? allVariants : allVariants.filter((variant) => chosen.includes(variant.name));
const run = startBenchRun({
  name: `distill-${basename(dataDir)}`,
  benchmark: "distill",
  ...(chosen === undefined ? {} : { partial: `--variants ${chosen.join(",")}` }),
});

/** Progress goes to stderr, so stdout holds only the figures. */
function progress(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** The first half of each label's examples (after a seeded shuffle), and the rest. */
function halves(examples: readonly LabeledExample[]): [LabeledExample[], LabeledExample[]] {
  const random = createRandom(seed);
  const byLabel = new Map<string, LabeledExample[]>();
  for (const example of examples) {
    const group = byLabel.get(example.label) ?? [];
    group.push(example);
    byLabel.set(example.label, group);
  }
  const first: LabeledExample[] = [];
  const second: LabeledExample[] = [];
  for (const label of [...byLabel.keys()].sort()) {
    const group = random.shuffle([...(byLabel.get(label) as LabeledExample[])]);
    const middle = Math.ceil(group.length / 2);
    first.push(...group.slice(0, middle));
    second.push(...group.slice(middle));
  }
  return [random.shuffle(first), random.shuffle(second)];
}

const train = await readClassificationData(join(dataDir, "train.jsonl"));
const valid = await readClassificationData(join(dataDir, "valid.jsonl"));
const test = await readClassificationData(join(dataDir, "test.jsonl"));
const [teacherTrain, unlabelled] = halves(train);
progress(`teacher: training on ${teacherTrain.length} gold examples…`);
const teacherStarted = performance.now();
const teacher = await trainClassifier(teacherTrain, { valid, seed });
const teacherSeconds = (performance.now() - teacherStarted) / 1000;

const workDir = await mkdtemp(join(tmpdir(), "slmkit-bench-distill-"));
const results: Record<string, { what: string; report: DistillReport; seconds: number }> = {};
try {
  for (const variant of variantsToRun) {
    progress(`${variant.name}: ${variant.what}…`);
    const started = performance.now();
    // Each variant has its own folder, so its teacher calls are counted from an empty cache.
    const result = await distill({
      teacher: teacherFromModel(teacher.model),
      texts: unlabelled.map((example) => example.text),
      out: join(workDir, variant.name),
      test,
      seed,
      ...variant.options,
    });
    results[variant.name] = {
      what: variant.what,
      report: result.report,
      seconds: (performance.now() - started) / 1000,
    };
  }
} finally {
  await rm(workDir, { recursive: true, force: true });
}

const nameWidth = Math.max(...Object.keys(results).map((name) => name.length));
const lines = [
  `distillation on ${basename(dataDir)}: teacher on ${teacherTrain.length} gold, student on ${unlabelled.length} teacher-labelled texts, test ${test.length} (target: student >= 98% of teacher)`,
  `  ${"variant".padEnd(nameWidth)}  teacher  student  ratio    agree   train texts  teacher calls (augment)  seconds`,
  ...Object.entries(results).map(([name, { report, seconds }]) =>
    [
      `  ${name.padEnd(nameWidth)}`,
      pct(report.teacherAccuracy),
      pct(report.studentAccuracy),
      pct(report.accuracyRatio),
      pct(report.agreement),
      String(report.trainTexts).padStart(11),
      `${String(report.teacherCalls).padStart(13)} (${report.augmentTeacherCalls})`.padEnd(23),
      seconds.toFixed(1).padStart(7),
    ].join("  "),
  ),
  `  teacher calls include the ${test.length} test texts the teacher labels for its own accuracy; teacher training ${teacherSeconds.toFixed(1)} s`,
];
process.stdout.write(`${lines.join("\n")}\n`);

const main = results.default;
const output = {
  dataset: basename(dataDir),
  seed,
  data: {
    dir: values.data ?? defaultDataDir,
    teacherTrain: teacherTrain.length,
    unlabelled: unlabelled.length,
    valid: valid.length,
    test: test.length,
  },
  teacher: { trainSeconds: teacherSeconds, validationAccuracy: teacher.validation.accuracy },
  target: {
    studentToTeacherAccuracyRatio: 0.98,
    ...(main === undefined ? {} : { met: (main.report.accuracyRatio ?? 0) >= 0.98 }),
  },
  variants: Object.fromEntries(
    Object.entries(results).map(([name, { what, report, seconds }]) => [
      name,
      {
        what,
        teacherAccuracy: report.teacherAccuracy,
        studentAccuracy: report.studentAccuracy,
        accuracyRatio: report.accuracyRatio,
        agreement: report.agreement,
        softLabels: report.softLabels,
        distillationTemperature: report.distillationTemperature,
        hardLabelWeight: report.hardLabelWeight,
        minConfidence: report.minConfidence,
        heldOut: report.heldOut,
        validTexts: report.validTexts,
        trainTexts: report.trainTexts,
        augmentedTexts: report.augmentedTexts,
        teacherCalls: report.teacherCalls,
        augmentTeacherCalls: report.augmentTeacherCalls,
        labellingSeconds: report.labellingSeconds,
        trainSeconds: report.trainSeconds,
        totalSeconds: seconds,
      },
    ]),
  ),
};
await run.write(output);

function pct(value: number | undefined): string {
  return value === undefined ? "    n/a" : `${(value * 100).toFixed(2)}%`.padStart(7);
}
