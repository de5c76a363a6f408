// Reads, validates and writes `usecase.yaml`: YAML with line-accurate errors, paths resolved against the file.

import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { Document, isMap, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import { SlmkitError } from "../errors.js";
import type { UseCase, UseCaseInput, useCaseSchema } from "./schema.js";
import { InvalidUseCaseError, type LocateLine, type UseCaseProblem, validateUseCase } from "./validate.js";

/** The use case's files as absolute paths. */
export interface UseCasePaths {
  train: string;
  valid?: string;
  test?: string;
  /** The model directory; may not exist before `slmkit train`. */
  model?: string;
  faq?: string;
  /** The prebuilt GGUF model and its LoRA adapters. */
  prebuilt?: { gguf: string; loraAdapters: string[] };
}

export interface LoadedUseCase {
  /** The validated use case, defaults filled in; its paths are as written (relative to `dir`). */
  spec: UseCase;
  /** Absolute path of the YAML file. */
  path: string;
  /** Absolute folder of the YAML file: the base of every relative path in it. */
  dir: string;
  paths: UseCasePaths;
}

/**
 * Loads and validates a `usecase.yaml`. Files it names are not opened here (the model may not exist yet);
 * each command checks the ones it needs. Throws `InvalidUseCaseError` (code INVALID_SPEC) listing every
 * problem with its line, or `IO_ERROR` when the file cannot be read.
 */
export async function loadUseCase(path: string): Promise<LoadedUseCase> {
  const absolute = resolve(path);
  let text: string;
  try {
    text = await readFile(absolute, "utf8");
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
    const message = missing
      ? "no such use case file. Create one with `slmkit init <dir>` or check the --usecase path."
      : `cannot read the use case file: ${(error as Error).message}`;
    throw new SlmkitError("IO_ERROR", message, { file: path, cause: error });
  }
  const spec = parseUseCase(text, path);
  const dir = dirname(absolute);
  return { spec, path: absolute, dir, paths: resolveUseCasePaths(spec, dir) };
}

/**
 * Parses and validates use-case YAML held in memory. `sourceName` names it in error messages
 * (default "usecase.yaml"). Paths in the result stay relative; see `resolveUseCasePaths`.
 */
export function parseUseCase(text: string, sourceName = "usecase.yaml"): UseCase {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: true });
  if (document.errors.length > 0) {
    const problems = document.errors.map((error): UseCaseProblem => {
      // The library's message carries a source excerpt after its first line; the line and column suffice.
      const reason = (error.message.split("\n")[0] ?? error.message).replace(
        / at line \d+, column \d+:?$/,
        "",
      );
      const position = error.linePos?.[0];
      if (position === undefined) return { field: "", message: `YAML syntax error: ${reason}` };
      const message = `YAML syntax error at line ${position.line}, column ${position.col}: ${reason}`;
      return { field: "", message, line: position.line };
    });
    throw new InvalidUseCaseError(sourceName, problems, document.errors[0]);
  }
  const locate: LocateLine = (path, key) => {
    const offset = offsetOf(document, path, key);
    return offset === undefined ? undefined : lineCounter.linePos(offset).line;
  };
  return validateUseCase(withoutEmptySections(document.toJS()), sourceName, locate);
}

/** `budget:` with every entry commented out reads as null in YAML; people mean "not set", so treat it so. */
function withoutEmptySections(value: unknown): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([, section]) => section !== null));
}

/** Resolves the use case's paths against `dir`, the folder of its YAML file. Absolute paths stay as they are. */
export function resolveUseCasePaths(spec: UseCase, dir: string): UseCasePaths {
  const paths: UseCasePaths = { train: resolve(dir, spec.data.train) };
  if (spec.data.valid !== undefined) paths.valid = resolve(dir, spec.data.valid);
  if (spec.data.test !== undefined) paths.test = resolve(dir, spec.data.test);
  if (spec.model !== undefined) paths.model = resolve(dir, spec.model);
  if (spec.faq !== undefined) paths.faq = resolve(dir, spec.faq);
  if (spec.prebuilt !== undefined) {
    paths.prebuilt = {
      gguf: resolve(dir, spec.prebuilt.gguf),
      loraAdapters: spec.prebuilt.loraAdapters.map((adapter) => resolve(dir, adapter)),
    };
  }
  return paths;
}

export interface StringifyUseCaseOptions {
  /** A comment for the top of the file, one or more lines. Default: none. */
  header?: string;
  /** Explain each section in a comment above it, for files people will edit. Default true. */
  sectionComments?: boolean;
}

/**
 * Validates `spec` and writes it as YAML with every default spelled out, sections in the contract's order.
 * `parseUseCase(stringifyUseCase(spec))` returns the validated spec unchanged.
 */
export function stringifyUseCase(spec: UseCaseInput, options: StringifyUseCaseOptions = {}): string {
  const validated = validateUseCase(spec, "use case to write");
  const document = new Document(validated);
  if (options.header !== undefined) document.commentBefore = prefixLines(options.header);
  if (options.sectionComments ?? true) {
    const contents = document.contents;
    if (isMap(contents)) {
      for (const pair of contents.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
        const comment = key === undefined ? undefined : sectionComments[key];
        if (comment !== undefined && isScalar(pair.key)) pair.key.commentBefore = prefixLines(comment);
      }
    }
  }
  // lineWidth 0: never fold long descriptions across lines, so the file diffs cleanly.
  return document.toString({ lineWidth: 0 });
}

// The YAML library puts "#" before each comment line itself; a leading space keeps "# text" readable.
function prefixLines(comment: string): string {
  return comment
    .split("\n")
    .map((line) => (line === "" ? line : ` ${line}`))
    .join("\n");
}

const sectionComments: Readonly<Record<string, string | undefined>> = {
  task: "classify: text -> label | extract: text -> fields | answer: question -> FAQ answer",
  labels: "The classes the model chooses between; descriptions guide reviewers and LLM prompts.",
  schema: "The fields to extract; types: string, date, time, integer, number, money, quantity, code.",
  data: "JSONL files, relative to this file. Regenerate the split with `slmkit data split`.",
  model: "Where `slmkit train` writes the model directory (relative to this file).",
  targets: "What good enough means; reports compare measured figures with these.",
  deployment: "edge | cloud | hybrid (small model local, unsure requests escalate).",
  routing:
    "The small model answers when its calibrated confidence meets targetAccuracy; the rest go to\n" +
    "fallback (llm | review | slm). shadowRate: share of accepted requests also checked by the fallback.",
  llm: "Any OpenAI-compatible endpoint. The API key is read from the variable apiKeyEnv, never stored here.",
  privacy:
    "redactPii masks emails, phones, cards, IBANs and national ids before text leaves the machine or is stored;\n" +
    "storeText keeps request text in the log; `slmkit logs purge` deletes stored text after retentionDays.",
  budget: "Spending caps on escalation, in US dollars.",
  monitor: "Drift: the last `window` requests against the training data; alert above psiThreshold (PSI).",
} satisfies Partial<Record<keyof typeof useCaseSchema.shape, string>>;

/** The source offset of the node at `path` (or of the key `key` in the mapping there); nearest ancestor if absent. */
function offsetOf(document: Document, path: readonly PropertyKey[], key?: string): number | undefined {
  let node: unknown = document.contents;
  for (const segment of path) {
    const child = childOf(node, segment);
    if (child === undefined) return undefined;
    node = child;
  }
  if (key !== undefined && isMap(node)) {
    const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === key);
    if (pair !== undefined && isScalar(pair.key)) return pair.key.range?.[0];
  }
  return rangeStart(node);
}

function childOf(node: unknown, segment: PropertyKey): unknown {
  if (isMap(node)) {
    const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
    // A key with no value (`llm:`) still has a location worth reporting: the key's own.
    return pair === undefined ? undefined : (pair.value ?? pair.key);
  }
  if (isSeq(node) && typeof segment === "number") return node.items[segment];
  return undefined;
}

function rangeStart(node: unknown): number | undefined {
  if (typeof node !== "object" || node === null || !("range" in node)) return undefined;
  const range = (node as { range?: readonly number[] | null }).range;
  return range?.[0];
}
