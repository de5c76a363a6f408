// TCO inputs: which examples of a use case's data files a built-in template generated. Nobody labelled those, so
// they cost no labelling; examples added or changed by hand still do.

import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getTemplate } from "../../spec/catalog/index.js";
import { writeTemplate } from "../../spec/catalog/write-template.js";
import type { LoadedUseCase } from "../../spec/load.js";
import type { DataFiles } from "./data-files.js";

/** The first line `writeTemplate` puts in the usecase.yaml it writes (for `slmkit init` and `slmkit demo`). */
const writtenBy = /^# Written by `slmkit init --template ([\w-]+) --seed (\d+)`\./m;

/**
 * Answers by template, seed and the data files' content: the dashboard's cost report gathers its inputs every
 * minute, and regenerating a template's data each time would be work for nothing while the files are unchanged.
 */
const remembered = new Map<string, GeneratedData>();
const rememberedLimit = 32;

export interface GeneratedData {
  templateId: string;
  seed: number;
  /** Example lines of the data files that are exactly what the template generates. */
  generated: number;
}

/**
 * Finds the data a built-in template generated: when usecase.yaml says a template wrote it, generates that
 * template's data again (the same seed, and the size read off the training file) into a temporary folder and
 * counts the use case's example lines found there, file by file. Null when no template wrote the use case, or
 * the template is unknown to this version.
 */
export async function findGeneratedExamples(
  useCase: LoadedUseCase,
  data: DataFiles,
): Promise<GeneratedData | null> {
  const header = writtenBy.exec(await readFile(useCase.path, "utf8").catch(() => ""));
  if (header === null) return null;
  const templateId = header[1] as string;
  const seed = Number(header[2]);
  let template: ReturnType<typeof getTemplate>;
  try {
    template = getTemplate(templateId);
  } catch {
    return null;
  }
  const trainLines = data.lines.get(useCase.paths.train)?.length ?? 0;
  if (trainLines === 0) return { templateId, seed, generated: 0 };
  const key = contentKey(templateId, seed, useCase, data);
  const known = remembered.get(key);
  if (known !== undefined) return known;
  // The size `slmkit init --per-label` (or --records) chose, read back off the training file.
  const size =
    template.examples === "spans"
      ? { records: trainLines }
      : { perLabel: Math.max(1, Math.round(trainLines / Math.max(1, template.spec.labels?.length ?? 1))) };
  const dir = await mkdtemp(join(tmpdir(), "slmkit-tco-template-"));
  try {
    const written = await writeTemplate(templateId, dir, { seed, ...size });
    let generated = 0;
    for (const role of ["train", "valid", "test"] as const) {
      const ours = useCase.paths[role];
      const theirs = written.files.find((file) => file.role === role)?.path;
      if (ours === undefined || theirs === undefined) continue;
      const expected = new Set(nonBlankLines(await readFile(theirs, "utf8")));
      generated += (data.lines.get(ours) ?? []).filter((line) => expected.has(line)).length;
    }
    const found = { templateId, seed, generated };
    if (remembered.size >= rememberedLimit) remembered.clear();
    remembered.set(key, found);
    return found;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function contentKey(templateId: string, seed: number, useCase: LoadedUseCase, data: DataFiles): string {
  const hash = createHash("sha256").update(`${templateId}\u0000${seed}`);
  for (const role of ["train", "valid", "test"] as const) {
    hash.update(`\u0000${role}\u0000`);
    for (const line of data.lines.get(useCase.paths[role] ?? "") ?? []) hash.update(`${line}\n`);
  }
  return hash.digest("hex");
}

export function nonBlankLines(content: string): string[] {
  return content
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "");
}
