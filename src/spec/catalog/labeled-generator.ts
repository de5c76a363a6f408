// Shared generator of labelled catalog data: intents of templates + slot fillers + seeded noise → {text, label}.

import { createRandom, type Random } from "../../internal/random.js";
import { normalizeText } from "../../text/normalize.js";
import type { LabeledExample } from "../../types.js";
import type { UseCaseInput } from "../schema.js";
import {
  checkGenerateOptions,
  type GenerateOptions,
  type LabeledTemplate,
  type TemplateFile,
} from "./template.js";
import { addNoise, expandTemplate, type NoiseRates, pick, type SlotFiller } from "./text-variation.js";

/** One class of a labelled template. */
export interface IntentDefinition {
  /** The label as it appears in the data. */
  name: string;
  /** One line on what belongs to the label: written to usecase.yaml. */
  description: string;
  /** Templates in the `[a|b]` / `{slot}` syntax of `expandTemplate`. */
  templates: readonly string[];
  /** A few non-English texts, as multilingual customers and staff write. Default none. */
  foreign?: readonly string[];
  /** Labels a writer plausibly mixes into the same text; ambiguous items borrow a sentence from one. Default none. */
  related?: readonly string[];
}

/** Probabilities per generated text, in [0, 1]. */
export interface CompositionRates {
  /** An opener from `openers` before the text. Default 0.25. */
  opener?: number;
  /** A closer from `closers` after the text. Default 0.25. */
  closer?: number;
  /** A non-English text instead of a template, for labels that have `foreign`. Default 0.03. */
  foreign?: number;
  /** A second sentence from a related label, the text keeping the first (primary) label. Default 0.04. */
  ambiguous?: number;
}

export interface LabeledGeneratorDefinition {
  intents: readonly IntentDefinition[];
  slots: Readonly<Record<string, SlotFiller>>;
  /** Label-neutral text before the message ("Hi,", "Shift 2:"). Default none. */
  openers?: readonly string[];
  /** Label-neutral text after the message ("Thanks.", "- J.K."). Default none. */
  closers?: readonly string[];
  /** How the second sentence of an ambiguous item is joined. Default "Also", "And", "Plus", "Btw". */
  connectors?: readonly string[];
  rates?: CompositionRates;
  /** Noise rates passed to `addNoise`. Default `addNoise`'s own. */
  noise?: NoiseRates;
}

const defaultSeed = 42;
const defaultPerLabel = 80;
/** Attempts at a text not yet produced before accepting a duplicate (tiny sets may run out of variety). */
const maxAttempts = 30;
const defaultConnectors = ["Also", "And", "Plus", "Btw"] as const;

/**
 * A generator of `perLabel` texts per intent (default 80), deterministic for a seed (default 42), shuffled,
 * free of duplicate texts (after `normalizeText`) unless the templates run out of variety, never producing
 * a text in `exclude`.
 */
export function createLabeledGenerator(
  definition: LabeledGeneratorDefinition,
): (options?: GenerateOptions) => LabeledExample[] {
  const rates = { opener: 0.25, closer: 0.25, foreign: 0.03, ambiguous: 0.04, ...definition.rates };
  const byName = new Map(definition.intents.map((intent) => [intent.name, intent]));
  const connectors = definition.connectors ?? defaultConnectors;

  const compose = (intent: IntentDefinition, random: Random): string => {
    const expand = (template: string): string => expandTemplate(template, definition.slots, random);
    const foreign =
      intent.foreign !== undefined && intent.foreign.length > 0 && random.next() < rates.foreign;
    const parts = [expand(pick(random, foreign && intent.foreign ? intent.foreign : intent.templates))];
    if (!foreign) {
      if (intent.related !== undefined && intent.related.length > 0 && random.next() < rates.ambiguous) {
        const other = byName.get(pick(random, intent.related));
        if (other !== undefined)
          parts.push(`${pick(random, connectors)} ${lowerFirst(expand(pick(random, other.templates)))}`);
      }
      if (definition.openers !== undefined && random.next() < rates.opener) {
        const opener = expand(pick(random, definition.openers));
        if (opener.endsWith(",") && random.next() < 0.5) parts[0] = lowerFirst(parts[0] ?? "");
        parts.unshift(opener);
      }
      if (definition.closers !== undefined && random.next() < rates.closer)
        parts.push(expand(pick(random, definition.closers)));
    }
    return addNoise(parts.join(" "), random, definition.noise);
  };

  return (options: GenerateOptions = {}): LabeledExample[] => {
    const seed = options.seed ?? defaultSeed;
    const perLabel = options.perLabel ?? defaultPerLabel;
    checkGenerateOptions(seed, perLabel);
    const exclude = options.exclude ?? new Set<string>();
    const random = createRandom(seed);
    const seen = new Set<string>();
    const examples: LabeledExample[] = [];
    for (const intent of definition.intents) {
      for (let index = 0; index < perLabel; index++) {
        let text = compose(intent, random);
        for (
          let attempt = 1;
          attempt < maxAttempts && (seen.has(normalizeText(text)) || exclude.has(normalizeText(text)));
          attempt++
        ) {
          text = compose(intent, random);
        }
        seen.add(normalizeText(text));
        examples.push({ text, label: intent.name });
      }
    }
    return random.shuffle(examples);
  };
}

/** "I" and acronyms keep their capitals; anything else starts lower case after a connector. */
export function lowerFirst(text: string): string {
  if (/^(I\b|[A-Z]{2,})/.test(text)) return text;
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/** The parts of a catalog use case every template fills in the same way. */
export interface CatalogSpecParts {
  id: string;
  title: string;
  industry: string;
  task: UseCaseInput["task"];
  targets: NonNullable<UseCaseInput["targets"]>;
  deployment: NonNullable<UseCaseInput["deployment"]>;
  routing: NonNullable<UseCaseInput["routing"]>;
  labels?: UseCaseInput["labels"];
  schema?: UseCaseInput["schema"];
  faq?: string;
  /** Keep request text in the log. Default false (healthcare and finance never store it). */
  storeText?: boolean;
}

/** A complete usecase.yaml for the catalog: data paths, model folder and gpt-4o-mini as the fallback LLM. */
export function catalogSpec(parts: CatalogSpecParts): UseCaseInput {
  return {
    version: 1,
    id: parts.id,
    title: parts.title,
    industry: parts.industry,
    task: parts.task,
    ...(parts.labels === undefined ? {} : { labels: parts.labels }),
    ...(parts.schema === undefined ? {} : { schema: parts.schema }),
    ...(parts.faq === undefined ? {} : { faq: parts.faq }),
    data: { train: "data/train.jsonl", valid: "data/valid.jsonl", test: "data/test.jsonl" },
    model: "model",
    targets: parts.targets,
    deployment: parts.deployment,
    routing: parts.routing,
    llm: {
      baseUrl: "https://api.openai.com/v1",
      model: "gpt-4o-mini",
      apiKeyEnv: "OPENAI_API_KEY",
      // gpt-4o-mini list prices: $0.15 and $0.60 per million tokens.
      pricePer1kInputUsd: 0.00015,
      pricePer1kOutputUsd: 0.0006,
      timeoutMs: 10_000,
    },
    privacy: { storeText: parts.storeText ?? false, redactPii: true, retentionDays: 30 },
    monitor: { window: 1000, psiThreshold: 0.2 },
  };
}

export interface LabeledTemplateDefinition extends LabeledGeneratorDefinition {
  id: string;
  summary: string;
  spec: Omit<CatalogSpecParts, "id" | "labels">;
  files?: readonly TemplateFile[];
}

/** A classify or answer template whose labels and descriptions come from its intents. */
export function defineLabeledTemplate(definition: LabeledTemplateDefinition): LabeledTemplate {
  const labels = definition.intents.map(({ name, description }) => ({ name, description }));
  return {
    id: definition.id,
    summary: definition.summary,
    examples: "labeled",
    spec: catalogSpec({ ...definition.spec, id: definition.id, labels }),
    ...(definition.files === undefined ? {} : { files: definition.files }),
    generate: createLabeledGenerator(definition),
  };
}
