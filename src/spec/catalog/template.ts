// What a built-in use case template provides: its usecase.yaml and a seeded generator of its sample data.

import { SlmkitError } from "../../errors.js";
import type { LabeledExample } from "../../types.js";
import type { UseCaseInput } from "../schema.js";

export interface GenerateOptions {
  /** Seed for every random choice; the same seed gives identical output. Default 42. */
  seed?: number;
  /** Examples per label. Default 80. */
  perLabel?: number;
  /** Texts never to produce, given as `normalizeText` forms (as `data check` compares), e.g. the training texts. Default none. */
  exclude?: ReadonlySet<string>;
}

export interface UseCaseTemplate {
  /** The template id, also the use case's `id`. */
  readonly id: string;
  /** One line for `slmkit catalog`. */
  readonly summary: string;
  /** The use case as written to usecase.yaml; its paths are relative to that file. */
  readonly spec: UseCaseInput;
  /** Generates labelled sample data in code (no external data); deterministic for a seed. */
  generate(options?: GenerateOptions): LabeledExample[];
}

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
export function checkGenerateOptions(seed: number, perLabel: number): void {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new SlmkitError("INVALID_OPTION", `seed must be a whole number ≥ 0, got ${seed}`, {
      field: "seed",
    });
  }
  if (!Number.isSafeInteger(perLabel) || perLabel < 1) {
    throw new SlmkitError("INVALID_OPTION", `perLabel must be a whole number ≥ 1, got ${perLabel}`, {
      field: "perLabel",
    });
  }
}
