// Writes a built-in template as a working use case: usecase.yaml plus generated, already split sample data.

import { stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { SlmkitError } from "../../errors.js";
import { writeFileAtomic } from "../../internal/fs.js";
import { normalizeText } from "../../text/normalize.js";
import type { LabeledExample, SpanExample } from "../../types.js";
import { resolveUseCasePaths, stringifyUseCase, type UseCasePaths } from "../load.js";
import { validateUseCase } from "../validate.js";
import { getTemplate } from "./index.js";
import { checkGenerateOptions } from "./template.js";

export interface WriteTemplateOptions {
  /** Seed of the generated data; the test file uses `seed + 1`, so it is not a copy of training. Default 42. */
  seed?: number;
  /** Examples per label in `data/all.jsonl`; the test file gets half as many (rounded up). Default 80. */
  perLabel?: number;
  /**
   * Extract templates: records in `data/train.jsonl`; valid and test are sized from it as for `perLabel`.
   * Default 6 × perLabel (480 for the default 80).
   */
  records?: number;
  /**
   * Size of `valid.jsonl` relative to train + valid: `perLabel · share / (1 − share)` per label, generated with
   * seed + 2. Default 0.25 (about 27 per label for the default 80).
   */
  validShare?: number;
  /** Overwrite files that already exist. Default false: refuse, naming them. */
  force?: boolean;
}

export type WrittenFileRole = "usecase" | "all" | "train" | "valid" | "test" | "faq" | "table";

export interface WrittenFile {
  role: WrittenFileRole;
  /** Absolute path. */
  path: string;
  /** Examples in a data file. */
  examples?: number;
}

export interface WrittenTemplate {
  templateId: string;
  /** Absolute folder of the use case. */
  dir: string;
  /** Absolute path of the written usecase.yaml. */
  usecasePath: string;
  /** The use case's paths, resolved; `model` is where `slmkit train` should write. */
  paths: UseCasePaths;
  /** Every file written, the usecase.yaml last. */
  files: WrittenFile[];
  /** Number of labels of the use case (classify, answer); 0 for extract. */
  labels: number;
  /** Number of extraction fields (extract); 0 otherwise. */
  fields: number;
}

const defaultSeed = 42;
const defaultValidShare = 0.25;

/**
 * Writes template `templateId` into `dir`: `usecase.yaml`, `data/train.jsonl` (seed), `data/valid.jsonl`
 * (seed + 2) and `data/test.jsonl` (seed + 1), each free of the texts before it, and `data/all.jsonl` (train
 * and valid together, to re-split with `slmkit data split`). Each file is written
 * atomically and usecase.yaml last, so a use case file never points at missing data. Existing files are
 * kept unless `force`: the error lists them.
 */
export async function writeTemplate(
  templateId: string,
  dir: string,
  options: WriteTemplateOptions = {},
): Promise<WrittenTemplate> {
  const template = getTemplate(templateId);
  const seed = options.seed ?? defaultSeed;
  const perLabel = options.perLabel ?? 80;
  const validShare = options.validShare ?? defaultValidShare;
  checkGenerateOptions(seed, perLabel);
  if (!(validShare >= 0 && validShare < 1)) {
    throw new SlmkitError("INVALID_OPTION", `validShare must be in [0, 1), got ${validShare}`, {
      field: "validShare",
    });
  }
  const base = resolve(dir);
  const { data } = template.spec;
  const targets = {
    usecase: join(base, "usecase.yaml"),
    all: join(base, "data", "all.jsonl"),
    train: join(base, data.train),
    valid: join(base, data.valid ?? "data/valid.jsonl"),
    test: join(base, data.test ?? "data/test.jsonl"),
  } satisfies Record<Exclude<WrittenFileRole, "faq" | "table">, string>;
  const extraFiles = (template.files ?? []).map((file) => ({ ...file, target: join(base, file.path) }));
  if (options.force !== true)
    await refuseToOverwrite([...Object.values(targets), ...extraFiles.map((file) => file.target)]);

  // Validation and test are generated with seeds of their own and exclude every earlier text: a split of one
  // generated set leaves near-copies of training texts (same template, same slots) in validation, which then
  // looks easier than the test set and picks a threshold that accepts too much.
  const size = template.examples === "spans" ? (options.records ?? 6 * perLabel) : perLabel;
  if (template.examples === "spans") checkGenerateOptions(seed, size, "records");
  const generate = (generateSeed: number, count: number, exclude: ReadonlySet<string>): Example[] =>
    template.examples === "spans"
      ? template.generate({ seed: generateSeed, records: count, exclude })
      : template.generate({ seed: generateSeed, perLabel: count, exclude });
  const train = generate(seed, size, new Set());
  const seen = new Set(train.map((example) => normalizeText(example.text)));
  const validSize = Math.max(1, Math.round((size * validShare) / (1 - validShare)));
  const valid = generate(seed + 2, validSize, seen);
  for (const example of valid) seen.add(normalizeText(example.text));
  const all = [...train, ...valid];
  const test = generate(seed + 1, Math.ceil(size / 2), seen);

  const files: WrittenFile[] = [];
  for (const [role, examples] of [
    ["all", all],
    ["train", train],
    ["valid", valid],
    ["test", test],
  ] as const) {
    await writeFileAtomic(targets[role], toJsonl(examples));
    files.push({ role, path: targets[role], examples: examples.length });
  }
  for (const file of extraFiles) {
    await writeFileAtomic(file.target, file.content);
    files.push({ role: file.role, path: file.target });
  }
  const header = [
    `Written by \`slmkit init --template ${template.id} --seed ${seed}\`.`,
    template.summary,
    "data/all.jsonl holds the whole generated set; train and valid split it per label, and test is",
    "generated with another seed. To redo the split, from this folder:",
    "  slmkit data split data/all.jsonl --out data",
  ].join("\n");
  await writeFileAtomic(targets.usecase, stringifyUseCase(template.spec, { header }));
  files.push({ role: "usecase", path: targets.usecase });
  return {
    templateId: template.id,
    dir: base,
    usecasePath: targets.usecase,
    paths: resolveUseCasePaths(validateUseCase(template.spec, `template ${template.id}`), base),
    files,
    labels: template.spec.labels?.length ?? 0,
    fields: template.spec.schema?.fields.length ?? 0,
  };
}

async function refuseToOverwrite(paths: readonly string[]): Promise<void> {
  const existing: string[] = [];
  for (const path of paths) {
    try {
      const info = await stat(path);
      // An empty file holds nothing to lose (e.g. one just created by `touch`).
      if (!info.isFile() || info.size > 0) existing.push(path);
    } catch {
      // Absent: nothing to overwrite.
    }
  }
  if (existing.length === 0) return;
  const [first, ...others] = existing as [string, ...string[]];
  const alsoExisting = others.length === 0 ? "" : ` (so do ${others.join(", ")})`;
  throw new SlmkitError(
    "IO_ERROR",
    `already exists${alsoExisting}. Choose another folder, or pass --force (force: true) to replace them.`,
    { file: first },
  );
}

type Example = LabeledExample | SpanExample;

/** One JSONL line per example with only the contract's keys (`line` and other extras are dropped). */
function toJsonl(examples: readonly Example[]): string {
  return `${examples
    .map((example) =>
      JSON.stringify(
        "spans" in example
          ? {
              text: example.text,
              spans: example.spans.map(({ start, end, label }) => ({ start, end, label })),
            }
          : { text: example.text, label: example.label },
      ),
    )
    .join("\n")}\n`;
}
