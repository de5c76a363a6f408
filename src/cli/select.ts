// `slmkit data select`: the unlabelled texts most worth a person's labelling time, low margin and diverse.

import type { Command } from "commander";
import { formatJsonl, writeJsonl } from "../data/io.js";
import { SlmkitError } from "../errors.js";
import { loadModel } from "../models/load.js";
import { NativeClassifier } from "../models/native/classifier.js";
import { selectInformative } from "../train/active-learning.js";
import { readUnlabeledTexts } from "./distill.js";
import { parseIntegerOption, parseNumberOption } from "./options.js";

interface SelectFlags {
  model: string;
  pool: string;
  n: number;
  out?: string;
  maxSimilarity: number;
  textField?: string;
}

/** Registers `select` under the `data` command. */
export function registerDataSelectCommand(dataCommand: Command): void {
  dataCommand
    .command("select")
    .description(
      "Pick the N unlabelled texts most worth labelling: lowest margin (top-1 minus top-2 probability), skipping near-duplicates of texts already picked. Writes JSONL {text, predicted, margin}.",
    )
    .requiredOption("--model <dir>", "native model directory")
    .requiredOption("--pool <file>", 'JSONL of {"text"} lines (a label, if present, is ignored)')
    .requiredOption("--n <count>", "how many texts to pick", parseIntegerOption("--n", 1))
    .option("--out <file>", "JSONL file to write (default: stdout)")
    .option(
      "--max-similarity <x>",
      "skip a text whose sentence-vector cosine to a picked one is at least this (default 0.9)",
      parseNumberOption("--max-similarity"),
      0.9,
    )
    .option("--text-field <name>", 'JSONL key holding the text (default: "text")')
    .action(async (flags: SelectFlags) => {
      const pool = await readUnlabeledTexts(flags.pool, flags.textField ?? "text");
      const model = await loadModel(flags.model);
      try {
        if (!(model instanceof NativeClassifier)) {
          throw new SlmkitError(
            "NOT_SUPPORTED",
            `data select needs a native model directory (its sentence vectors and full distribution); got ${flags.model}.`,
            {
              field: "model",
            },
          );
        }
        const picked = selectInformative(model, pool, { n: flags.n, maxSimilarity: flags.maxSimilarity });
        if (flags.out === undefined) process.stdout.write(formatJsonl(picked));
        else {
          await writeJsonl(flags.out, picked);
          process.stdout.write(`wrote ${picked.length} of ${pool.length} texts to ${flags.out}\n`);
        }
      } finally {
        await model.dispose();
      }
    });
}
