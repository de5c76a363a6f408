// What a built-in use case template provides: its usecase.yaml, extra files and a seeded generator of its data.

import { SlmkitError } from "../../errors.js";
import type { LabeledExample, SpanExample } from "../../types.js";
import type { UseCaseInput } from "../schema.js";

export interface GenerateOptions {
  /** Seed for every random choice; the same seed gives identical output. Default 42. */
  seed?: number;
  /** Examples per label. Default 80. */
  perLabel?: number;
  /** Texts never to produce, given as `normalizeText` forms (as `data check` compares), e.g. the training texts. Default none. */
  exclude?: ReadonlySet<string>;
}

export interface GenerateRecordsOptions {
  /** Seed for every random choice; the same seed gives identical output. Default 42. */
  seed?: number;
  /** Number of span-annotated records. Default 480. */
  records?: number;
  /** Texts never to produce, given as `normalizeText` forms. Default none. */
  exclude?: ReadonlySet<string>;
}

/** A file shipped beside usecase.yaml besides the data splits: the FAQ of an answer task, a product table. */
export interface TemplateFile {
  /** Path relative to usecase.yaml, e.g. `data/faq.jsonl`. */
  path: string;
  /** What the file is, for `slmkit init`'s listing. */
  role: "faq" | "table";
  content: string;
}

interface TemplateCommon {
  /** The template id, also the use case's `id`. */
  readonly id: string;
  /** One line for `slmkit catalog`. */
  readonly summary: string;
  /** The use case as written to usecase.yaml; its paths are relative to that file. */
  readonly spec: UseCaseInput;
  /** Files written beside the data (FAQ answers, lookup tables). Default none. */
  readonly files?: readonly TemplateFile[];
}

/** A classify or answer template: its data is `{text, label}`. */
export interface LabeledTemplate extends TemplateCommon {
  readonly examples: "labeled";
  /** Generates labelled sample data in code (no external data); deterministic for a seed. */
  generate(options?: GenerateOptions): LabeledExample[];
}

/** An extract template: its data is `{text, spans}` with offsets computed while composing each text. */
export interface SpanTemplate extends TemplateCommon {
  readonly examples: "spans";
  /** Generates span-annotated records in code; deterministic for a seed. */
  generate(options?: GenerateRecordsOptions): SpanExample[];
}

export type UseCaseTemplate = LabeledTemplate | SpanTemplate;

/** A template as `listTemplates()` shows it. */
export interface TemplateSummary {
  id: string;
  title: string;
  industry: string | undefined;
  task: UseCaseInput["task"];
  summary: string;
  /** Number of labels (classify, answer) or fields (extract). */
  classes: number;
}

/** Rejects seeds and sizes a generator cannot honour, naming the option to fix. */
export function checkGenerateOptions(seed: number, perLabel: number, field = "perLabel"): void {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new SlmkitError("INVALID_OPTION", `seed must be a whole number ≥ 0, got ${seed}`, {
      field: "seed",
    });
  }
  if (!Number.isSafeInteger(perLabel) || perLabel < 1) {
    throw new SlmkitError("INVALID_OPTION", `${field} must be a whole number ≥ 1, got ${perLabel}`, {
      field,
    });
  }
}
