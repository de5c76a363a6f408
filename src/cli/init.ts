// `slmkit init <dir>`: writes a built-in use case (usecase.yaml and sample data) and says what to run next.

import { join, relative } from "node:path";
import type { Command } from "commander";
import { SlmkitError } from "../errors.js";
import { writeTemplate } from "../spec/catalog/write-template.js";

interface InitCommandOptions {
  template: string;
  seed?: string;
  perLabel?: string;
  force?: boolean;
}

export function registerInitCommand(program: Command): void {
  program
    .command("init")
    .description("Start a use case from a built-in template: usecase.yaml plus generated sample data.")
    .argument("<dir>", "folder to write into (created if missing)")
    .option("--template <id>", "built-in template (`slmkit catalog` lists them)", "support")
    .option("--seed <n>", "seed of the generated data (default 42)")
    .option("--per-label <n>", "examples per label in data/all.jsonl (default 80)")
    .option("--force", "overwrite existing files")
    .action(async (dir: string, options: InitCommandOptions, command: Command) => {
      const written = await writeTemplate(options.template, dir, {
        ...(options.seed === undefined ? {} : { seed: parseWholeNumber(options.seed, "--seed", 0) }),
        ...(options.perLabel === undefined
          ? {}
          : { perLabel: parseWholeNumber(options.perLabel, "--per-label", 1) }),
        force: options.force === true,
      });
      const shown = (path: string): string => shellQuote(relative(process.cwd(), path) || ".");
      const notes: Partial<Record<string, string>> = {
        all: ", the whole generated set",
        test: ", generated with another seed",
      };
      const width = Math.max(...written.files.map((file) => shown(file.path).length));
      const fileLines = written.files.map((file) =>
        file.examples === undefined
          ? `  ${shown(file.path)}`
          : `  ${shown(file.path).padEnd(width)} ${String(file.examples).padStart(5)} examples${notes[file.role] ?? ""}`,
      );
      const { paths } = written;
      const allData = written.files.find((file) => file.role === "all");
      const model = shown(paths.model ?? join(written.dir, "model"));
      const lines = [
        `Wrote the "${written.templateId}" use case (${written.labels} labels) to ${shown(written.dir)}:`,
        ...fileLines,
        "",
        "Next:",
        `  slmkit data check ${shown(allData?.path ?? paths.train)}`,
        `  slmkit train --usecase ${shown(written.usecasePath)} --train ${shown(paths.train)}` +
          (paths.valid === undefined ? "" : ` --valid ${shown(paths.valid)}`) +
          ` --out ${model}`,
        ...(paths.test === undefined ? [] : [`  slmkit eval --model ${model} --test ${shown(paths.test)}`]),
      ];
      // Through commander's output hook (stdout by default), so tests and embedding programs can capture it.
      const writeOut = command.configureOutput().writeOut ?? ((text: string) => process.stdout.write(text));
      writeOut(`${lines.join("\n")}\n`);
    });
}

function parseWholeNumber(value: string, flag: string, minimum: number): number {
  const parsed = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(parsed) || parsed < minimum) {
    throw new SlmkitError("INVALID_OPTION", `${flag} must be a whole number ≥ ${minimum}, got "${value}"`, {
      field: flag,
    });
  }
  return parsed;
}

/** Quotes a path for copy-paste into a POSIX shell when it holds anything beyond plain path characters. */
function shellQuote(path: string): string {
  return /^[\w./-]+$/.test(path) ? path : `'${path.replaceAll("'", "'\\''")}'`;
}
