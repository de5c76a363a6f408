// fastText as a fair peer in bench/classifier.ts: Debian's `fasttext` CLI fed text the way its own tutorial
// prepares it (punctuation split off, lower-cased), with a hash table sized for the data (and once with its
// 2M-row default, to show what that costs), and tuned on the validation split for the same time budget as our
// `train --autotune`. Every figure is read with slmkit's own functions, on test and at thresholds chosen on valid.

import { rmSync } from "node:fs";
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createRandom } from "../src/internal/random.js";
import type { LabeledExample } from "../src/types.js";
import {
  type AtValidationThresholds,
  atValidationThresholds,
  type Scored,
  type SelectiveFigures,
  selectiveFigures,
} from "./figures.js";
import {
  debianPackageVersion,
  ensureDebianPackage,
  findOnPath,
  type MemoryProbe,
  progress,
  runMeasured,
} from "./measured-process.js";

/** fastText's own default number of hash buckets (`-bucket`): 2M rows of the input matrix. */
export const fastTextDefaultBucket = 2_000_000;
/**
 * Seconds fastText's autotune may take beyond its budget (the search is interrupted at the budget, then fastText
 * trains the chosen configuration once more) before it is ended and reported as failed.
 */
const autotuneGraceSeconds = 600;
/** Runs of each `predict-prob` timing; the fastest counts. */
const predictRuns = 2;
const megabyte = 1_000_000;

/**
 * The preprocessing of fastText's supervised tutorial (`sed -e "s/\([.\!?,'/()]\)/ \1 /g" | tr "[:upper:]"
 * "[:lower:]"`): punctuation split off as tokens of their own ("card?" → "card ?"), lower-cased; whitespace
 * collapsed. Without it "card?" and "card" are two unrelated words to fastText.
 */
export function fastTextText(text: string): string {
  return text
    .replace(/([.!?,'/()])/gu, " $1 ")
    .toLowerCase()
    .replace(/\s+/gu, " ")
    .trim();
}

/** The hashed features of one configuration: what fastText puts in its buckets. */
export interface FeatureSettings {
  wordNgrams: number;
  /** Shortest and longest character n-gram; 0 and 0 for none. */
  minn: number;
  maxn: number;
}

export interface FeatureCount {
  /** Distinct words of the training text (their rows are outside the buckets). */
  words: number;
  /** Distinct word n-grams of length 2..wordNgrams. */
  wordNgrams: number;
  /** Distinct character n-grams of the distinct words, `<word>` padded as fastText pads them. */
  charNgrams: number;
}

/** Counts the distinct features fastText hashes into buckets for these lines (`__label__` tokens left out). */
export function countHashedFeatures(lines: readonly string[], settings: FeatureSettings): FeatureCount {
  const words = new Set<string>();
  const wordNgrams = new Set<string>();
  for (const line of lines) {
    const tokens = line.split(" ").filter((token) => token !== "" && !token.startsWith("__label__"));
    for (const token of tokens) words.add(token);
    // fastText ends every line with the end-of-sentence token, which takes part in word n-grams.
    tokens.push("</s>");
    for (let length = 2; length <= settings.wordNgrams; length++) {
      for (let start = 0; start + length <= tokens.length; start++) {
        wordNgrams.add(tokens.slice(start, start + length).join(" "));
      }
    }
  }
  const charNgrams = new Set<string>();
  if (settings.maxn > 0) {
    for (const word of words) {
      const characters = [..."<", ...word, ">"];
      for (let length = Math.max(1, settings.minn); length <= settings.maxn; length++) {
        for (let start = 0; start + length <= characters.length; start++) {
          charNgrams.add(characters.slice(start, start + length).join(""));
        }
      }
    }
  }
  return { words: words.size, wordNgrams: wordNgrams.size, charNgrams: charNgrams.size };
}

/**
 * Buckets for the data: ten per distinct hashed feature, so about one feature in ten shares its row with
 * another (1 − e^−0.1; at two per feature it would be four in ten), rounded up to 100,000, between 200,000 and
 * fastText's 2M default. On banking77 (34k word and character n-grams) that is 400,000 for (b).
 */
export function bucketFor(count: FeatureCount): number {
  const wanted = 10 * (count.wordNgrams + count.charNgrams);
  return Math.min(fastTextDefaultBucket, Math.max(200_000, Math.ceil(wanted / 100_000) * 100_000));
}

export interface FastTextConfig {
  id: string;
  name: string;
  /** fastText's arguments, `-bucket` and the autotune flags aside. */
  args: string[];
  features: FeatureSettings;
  /** "sized": `bucketFor` the data; "default": fastText's own 2M; "searched": autotune picks it. */
  bucket: "sized" | "default" | "searched";
  /** Seconds of `-autotune-duration` on the validation file; undefined: no search. */
  autotuneSeconds?: number;
}

export interface FastTextConfigOptions {
  /** Leave out the 2-thread run. */
  oneThreadOnly: boolean;
  /** A smoke run: 5 epochs, and no 2M-bucket or 2-thread rows. */
  quick: boolean;
  /** The autotune budget, the same as the native `train --autotune`'s; 0 leaves the autotune row out. */
  autotuneSeconds: number;
  seed: number;
}

/**
 * (a) word 1-2 grams; (b) the same kind of features as the native defaults (word 1-2 grams, character 2-5
 * grams), each with a bucket sized for the data; (b) with the default 2M buckets; (b) on 2 threads; and
 * fastText's own autotune on valid. -thread 1 matches our single-threaded trainer and autotune.
 */
export function fastTextConfigs(options: FastTextConfigOptions): FastTextConfig[] {
  const epochs = options.quick ? "5" : "25";
  const seed = ["-seed", String(options.seed)];
  const a = ["-epoch", epochs, "-lr", "0.5", "-wordNgrams", "2", ...seed];
  const b = [...a, "-dim", "100", "-minn", "2", "-maxn", "5"];
  const aFeatures = { wordNgrams: 2, minn: 0, maxn: 0 };
  const bFeatures = { wordNgrams: 2, minn: 2, maxn: 5 };
  const configs: FastTextConfig[] = [
    { id: "a", name: "fastText (a)", args: [...a, "-thread", "1"], features: aFeatures, bucket: "sized" },
    { id: "b", name: "fastText (b)", args: [...b, "-thread", "1"], features: bFeatures, bucket: "sized" },
  ];
  if (!options.quick) {
    configs.push({
      id: "b-default-bucket",
      name: "fastText (b), default 2M buckets",
      args: [...b, "-thread", "1"],
      features: bFeatures,
      bucket: "default",
    });
    if (!options.oneThreadOnly) {
      configs.push({
        id: "b-2threads",
        name: "fastText (b), 2 threads",
        args: [...b, "-thread", "2"],
        features: bFeatures,
        bucket: "sized",
      });
    }
  }
  if (options.autotuneSeconds <= 0) return configs;
  configs.push({
    id: "autotune",
    name: `fastText autotune ${options.autotuneSeconds} s`,
    args: [...seed, "-thread", "1"],
    // Autotune searches dim, epochs, learning rate, n-grams and the bucket itself; `features` only counts.
    features: bFeatures,
    bucket: "searched",
    autotuneSeconds: options.autotuneSeconds,
  });
  return configs;
}

export interface FastTextRun {
  id: string;
  name: string;
  /** Every argument given to `fasttext supervised` after -input and -output. */
  arguments: string;
  /** The buckets it trained with (autotune: the ones it chose). */
  bucket: number | null;
  /** The hashed features of its n-gram settings (autotune: of (b)'s, the search's start). */
  features: FeatureCount;
  /** Process wall time: start, reading the input, training (the search too, with autotune), writing the model. */
  trainSeconds: number;
  trainCpuSeconds: number | null;
  peakRssBytes: number | null;
  modelBytes: number;
  test: SelectiveFigures;
  /** Thresholds chosen on valid's predictions for 95/97/99%, read on test. */
  atValidationThresholds: AtValidationThresholds;
  /** Autotune only: the arguments it chose (`fasttext dump <model> args`); null otherwise. */
  chosenArguments: Record<string, string> | null;
  /** `predict-prob` over the whole test file, with process start and model load (best of `predictRuns`). */
  predictSeconds: number;
  predictionsPerSec: number;
  /** `predict-prob` on a one-line file (best of `predictRuns`): about the cost of start and model load. */
  startSeconds: number;
  /** Texts/s with the one-line run's time taken off; null when the difference is too small to divide by. */
  predictionsPerSecExcludingStart: number | null;
}

/** fastText labels cannot hold whitespace; fall back to label indices if replacing it would merge labels. */
function fastTextLabelNames(labels: readonly string[]): Map<string, string> {
  const names = new Map(labels.map((label) => [label, label.replace(/\s/gu, "_")]));
  if (new Set(names.values()).size === labels.length) return names;
  return new Map(labels.map((label, index) => [label, `label${index}`]));
}

/** One labelled split as fastText reads it: `__label__X text` lines, or text lines with the gold kept apart. */
interface SplitFiles {
  texts: string;
  labelled: string;
  gold: string[];
}

class FastTextBench {
  private readonly dir: string;
  private readonly trainLines: string[];
  private readonly trainFile: string;
  private readonly test: SplitFiles;
  private readonly valid: SplitFiles;
  private readonly oneLineFile: string;
  private readonly names: Map<string, string>;

  constructor(
    private readonly probe: MemoryProbe,
    scratchDir: string,
    private readonly splits: { train: LabeledExample[]; valid: LabeledExample[]; test: LabeledExample[] },
    seed: number,
  ) {
    this.dir = join(scratchDir, "fasttext");
    const { train, valid, test } = splits;
    this.names = fastTextLabelNames([
      ...new Set([...train, ...valid, ...test].map((example) => example.label)),
    ]);
    // The files are sorted by label and fastText does not shuffle: unshuffled it loses 3-9 points.
    this.trainLines = createRandom(seed)
      .shuffle([...train])
      .map((example) => this.labelled(example));
    this.trainFile = join(this.dir, "train.txt");
    this.test = this.splitFiles("test", test);
    this.valid = this.splitFiles("valid", valid);
    this.oneLineFile = join(this.dir, "one-line.txt");
  }

  private labelled(example: LabeledExample): string {
    return `__label__${this.names.get(example.label)} ${fastTextText(example.text)}`;
  }

  private splitFiles(name: string, examples: readonly LabeledExample[]): SplitFiles {
    return {
      texts: join(this.dir, `${name}.txt`),
      labelled: join(this.dir, `${name}.labelled.txt`),
      gold: examples.map((example) => this.names.get(example.label) as string),
    };
  }

  async writeInputs(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await writeFile(this.trainFile, `${this.trainLines.join("\n")}\n`);
    for (const [files, examples] of [
      [this.test, this.splits.test],
      [this.valid, this.splits.valid],
    ] as const) {
      // Texts only for predict-prob (predictions are matched to the gold labels by line); labelled for autotune.
      await writeFile(files.texts, `${examples.map((example) => fastTextText(example.text)).join("\n")}\n`);
      await writeFile(files.labelled, `${examples.map((example) => this.labelled(example)).join("\n")}\n`);
    }
    await writeFile(this.oneLineFile, `${fastTextText(this.splits.test[0]?.text ?? "hello")}\n`);
  }

  async run(config: FastTextConfig): Promise<FastTextRun> {
    const prefix = join(this.dir, `model-${config.id}`);
    const features = countHashedFeatures(this.trainLines, config.features);
    const given =
      config.bucket === "sized"
        ? bucketFor(features)
        : config.bucket === "default"
          ? fastTextDefaultBucket
          : null;
    const args = [
      ...config.args,
      ...(given === null ? [] : ["-bucket", String(given)]),
      ...(config.autotuneSeconds === undefined
        ? []
        : [
            "-autotune-validation",
            this.valid.labelled,
            "-autotune-duration",
            String(Math.round(config.autotuneSeconds)),
          ]),
    ];
    progress(`${config.name}: fasttext supervised ${args.join(" ")}`);
    const training = await runMeasured(
      this.probe,
      this.dir,
      "fasttext",
      ["supervised", "-input", this.trainFile, "-output", prefix, ...args],
      config.autotuneSeconds === undefined
        ? {}
        : {
            // Debian's fastText 0.9.2 starts its autotune timer thread before it sets the flag the timer loops
            // on; when the thread runs first it ends at once and the search never stops (every run here). SIGINT
            // at the budget is fastText's own way to end the search: it then trains the best configuration
            // found once more and saves it, as it would at -autotune-duration.
            interruptAfterSeconds: config.autotuneSeconds,
            timeoutSeconds: config.autotuneSeconds + autotuneGraceSeconds,
          },
    );
    if (training.timedOut) {
      throw new Error(
        `did not finish within its ${config.autotuneSeconds} s budget + ${autotuneGraceSeconds} s (the retraining of the chosen configuration after the search); ended`,
      );
    }
    if (training.exitCode !== 0) {
      // fastText redraws its progress with \r: its last line says why it stopped.
      const why = training.stderrTail
        .split(/[\r\n]+/u)
        .filter((line) => line.trim() !== "")
        .at(-1);
      throw new Error(`fasttext supervised exited with code ${training.exitCode}: ${why ?? "no message"}`);
    }
    const modelFile = `${prefix}.bin`;
    const modelBytes = (await stat(modelFile)).size;
    const chosenArguments = config.autotuneSeconds === undefined ? null : await this.dumpArgs(modelFile);
    const chosenBucket = Number(chosenArguments?.bucket);
    const bucket = given ?? (Number.isFinite(chosenBucket) ? chosenBucket : null);

    const testPredictions = join(this.dir, `predictions-${config.id}.txt`);
    const predictSeconds = await this.bestPredictSeconds(modelFile, this.test.texts, testPredictions);
    const startSeconds = await this.bestPredictSeconds(
      modelFile,
      this.oneLineFile,
      join(this.dir, "one-line.out"),
    );
    const validPredictions = join(this.dir, `predictions-${config.id}-valid.txt`);
    await this.predict(modelFile, this.valid.texts, validPredictions);
    const testScored = this.readPredictions(await readFile(testPredictions, "utf8"), this.test.gold);
    const validScored = this.readPredictions(await readFile(validPredictions, "utf8"), this.valid.gold);
    // The default-bucket models are 800 MB: remove each as soon as it is measured.
    rmSync(modelFile, { force: true });
    rmSync(`${prefix}.vec`, { force: true });

    const test = selectiveFigures(testScored.confidences, testScored.correct);
    const n = this.test.gold.length;
    const steadySeconds = predictSeconds - startSeconds;
    progress(
      `  trained in ${training.wallSeconds.toFixed(1)} s (bucket ${bucket?.toLocaleString("en-US") ?? "?"}), test accuracy ${test.accuracy.toFixed(4)}, model ${(modelBytes / megabyte).toFixed(1)} MB`,
    );
    return {
      id: config.id,
      name: config.name,
      arguments: args.map((arg) => (arg === this.valid.labelled ? "valid.txt" : arg)).join(" "),
      bucket,
      features,
      trainSeconds: training.wallSeconds,
      trainCpuSeconds: training.cpuSeconds,
      peakRssBytes: training.peakRssBytes,
      modelBytes,
      test,
      atValidationThresholds: atValidationThresholds(validScored, testScored),
      chosenArguments,
      predictSeconds,
      predictionsPerSec: n / predictSeconds,
      startSeconds,
      predictionsPerSecExcludingStart: steadySeconds > 0.01 ? n / steadySeconds : null,
    };
  }

  /** `fasttext dump <model> args`: one `name value` a line, what autotune settled on. */
  private async dumpArgs(modelFile: string): Promise<Record<string, string> | null> {
    const output = join(this.dir, "dump-args.txt");
    const run = await runMeasured(this.probe, this.dir, "fasttext", ["dump", modelFile, "args"], {
      stdoutPath: output,
    });
    if (run.exitCode !== 0) return null;
    const chosen: Record<string, string> = {};
    for (const line of (await readFile(output, "utf8")).split("\n")) {
      const [name, value] = line.trim().split(/\s+/u);
      if (name !== undefined && name !== "" && value !== undefined) chosen[name] = value;
    }
    return chosen;
  }

  private async predict(modelFile: string, input: string, output: string): Promise<number> {
    const run = await runMeasured(this.probe, this.dir, "fasttext", ["predict-prob", modelFile, input, "1"], {
      stdoutPath: output,
    });
    if (run.exitCode !== 0) {
      throw new Error(`fasttext predict-prob exited with code ${run.exitCode}:\n${run.stderrTail}`);
    }
    return run.wallSeconds;
  }

  /**
   * The fastest of `predictRuns` runs of `predict-prob <model> <input> 1`: on a shared machine the minimum is
   * the run least disturbed by neighbours, and the first run may still be reading the fresh model from disk.
   */
  private async bestPredictSeconds(modelFile: string, input: string, output: string): Promise<number> {
    let best = Number.POSITIVE_INFINITY;
    for (let attempt = 0; attempt < predictRuns; attempt++) {
      best = Math.min(best, await this.predict(modelFile, input, output));
    }
    return best;
  }

  /** `predict-prob … 1` prints `__label__X p` a line, and an empty line for a text it has no word of. */
  private readPredictions(output: string, gold: readonly string[]): Scored {
    const lines = output.split("\n");
    if (lines.at(-1) === "") lines.pop();
    if (lines.length !== gold.length) {
      throw new Error(`fasttext predict-prob printed ${lines.length} lines for ${gold.length} texts.`);
    }
    const confidences: number[] = [];
    const correct: boolean[] = [];
    lines.forEach((line, index) => {
      const [label, probability] = line.trim().split(" ");
      // fastText smooths probabilities by 1e-5, so the top one can print as 1.00001.
      const confidence = Math.min(1, Math.max(0, Number(probability)));
      confidences.push(Number.isFinite(confidence) ? confidence : 0);
      correct.push(label !== undefined && label === `__label__${gold[index]}`);
    });
    return { confidences, correct };
  }
}

export interface FastTextSection {
  available: boolean;
  /** Why fastText was not run, when it was not. */
  notice: string | null;
  version: string | null;
  /** What fastText was fed. */
  trainedOn: string;
  runs: FastTextRun[];
  /** Configurations that failed (e.g. autotune with too little time to finish one trial), with why. */
  failed: Array<{ id: string; name: string; error: string }>;
}

/** Installs Debian's fasttext when missing (saying so), then runs every configuration in turn. */
export async function runFastText(
  options: FastTextConfigOptions,
  probe: MemoryProbe,
  scratchDir: string,
  splits: { train: LabeledExample[]; valid: LabeledExample[]; test: LabeledExample[] },
): Promise<FastTextSection> {
  const trainedOn = `train.jsonl shuffled with seed ${options.seed} (valid.jsonl only for autotune and the validation thresholds); text as fastText's tutorial prepares it: punctuation split off, lower-cased`;
  const problem = ensureDebianPackage("fasttext", () => findOnPath("fasttext") !== undefined);
  if (problem !== undefined) {
    return {
      available: false,
      notice: `fastText not run: ${problem}`,
      version: null,
      trainedOn,
      runs: [],
      failed: [],
    };
  }
  const bench = new FastTextBench(probe, scratchDir, splits, options.seed);
  await bench.writeInputs();
  const runs: FastTextRun[] = [];
  const failed: FastTextSection["failed"] = [];
  for (const config of fastTextConfigs(options)) {
    try {
      runs.push(await bench.run(config));
    } catch (error) {
      // One configuration failing (autotune can run out of time before one trial ends) leaves the others.
      const message = error instanceof Error ? error.message : String(error);
      progress(`  ${config.name} failed: ${message}`);
      failed.push({ id: config.id, name: config.name, error: message });
    }
  }
  return {
    available: true,
    notice: null,
    version: debianPackageVersion("fasttext"),
    trainedOn,
    runs,
    failed,
  };
}
