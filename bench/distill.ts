// `node --import tsx bench/distill.ts`: distillation on banking77. A native teacher trained on half of train
// (stratified) labels the other half's texts; a native student learns those labels. Prints teacher and student
// test accuracy, their ratio (issue target: student >= 98% of teacher), agreement and time, and writes
// bench/results/distill-banking77.json. It prints figures; it never asserts them.
//
// Usage: node --import tsx bench/distill.ts [--data <dir>] [--seed 42] [--hard-labels-too]

import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { readClassificationData } from "../src/data/io.js";
import { createRandom } from "../src/internal/random.js";
import { type DistillReport, distill, teacherFromModel } from "../src/train/distill.js";
import { trainClassifier } from "../src/train/train-classifier.js";
import type { LabeledExample } from "../src/types.js";

const repositoryRoot = fileURLToPath(new URL("..", import.meta.url));
const resultsDir = join(repositoryRoot, "bench", "results");
const defaultDataDir = "../shared/datasets/banking77";

const { values } = parseArgs({
  options: {
    data: { type: "string" },
    seed: { type: "string", default: "42" },
    "hard-labels-too": { type: "boolean", default: false },
  },
  strict: true,
});
const dataDir = resolve(repositoryRoot, values.data ?? defaultDataDir);
const seed = Number(values.seed);

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
const variants: Record<string, { report: DistillReport; seconds: number }> = {};
try {
  for (const softLabels of values["hard-labels-too"] ? [true, false] : [true]) {
    const name = softLabels ? "softLabels" : "hardLabels";
    progress(`student (${name}): teacher labels ${unlabelled.length} texts, student trains…`);
    const started = performance.now();
    const result = await distill({
      teacher: teacherFromModel(teacher.model),
      texts: unlabelled.map((example) => example.text),
      out: join(workDir, name),
      test,
      softLabels,
      seed,
    });
    variants[name] = { report: result.report, seconds: (performance.now() - started) / 1000 };
  }
} finally {
  await rm(workDir, { recursive: true, force: true });
}

const main = variants.softLabels as { report: DistillReport; seconds: number };
const lines = [
  `distillation on ${basename(dataDir)}: teacher on ${teacherTrain.length} gold, student on ${unlabelled.length} teacher-labelled texts, test ${test.length}`,
  ...Object.entries(variants).map(
    ([name, { report, seconds }]) =>
      `  ${name.padEnd(11)} teacher ${pct(report.teacherAccuracy)}  student ${pct(report.studentAccuracy)}  ratio ${pct(report.accuracyRatio)} (target >= 98%)  agreement ${pct(report.agreement)}  ${seconds.toFixed(1)} s (labelling ${report.labellingSeconds.toFixed(1)} s, training ${report.trainSeconds.toFixed(1)} s)`,
  ),
  `  teacher training ${teacherSeconds.toFixed(1)} s`,
];
process.stdout.write(`${lines.join("\n")}\n`);

const results = {
  benchmark: "distill",
  dataset: basename(dataDir),
  date: new Date().toISOString(),
  command: "node --import tsx bench/distill.ts",
  node: process.version,
  cpuCount: cpus().length,
  seed,
  data: {
    dir: values.data ?? defaultDataDir,
    teacherTrain: teacherTrain.length,
    unlabelled: unlabelled.length,
    valid: valid.length,
    test: test.length,
  },
  teacher: { trainSeconds: teacherSeconds, validationAccuracy: teacher.validation.accuracy },
  target: { studentToTeacherAccuracyRatio: 0.98, met: (main.report.accuracyRatio ?? 0) >= 0.98 },
  variants: Object.fromEntries(
    Object.entries(variants).map(([name, { report, seconds }]) => [
      name,
      {
        teacherAccuracy: report.teacherAccuracy,
        studentAccuracy: report.studentAccuracy,
        accuracyRatio: report.accuracyRatio,
        agreement: report.agreement,
        heldOut: report.heldOut,
        trainTexts: report.trainTexts,
        labellingSeconds: report.labellingSeconds,
        trainSeconds: report.trainSeconds,
        totalSeconds: seconds,
      },
    ]),
  ),
};
await mkdir(resultsDir, { recursive: true });
const file = join(resultsDir, `distill-${basename(dataDir)}.json`);
await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
progress(`wrote ${file}`);

function pct(value: number | undefined): string {
  return value === undefined ? "n/a" : `${(value * 100).toFixed(2)}%`;
}
