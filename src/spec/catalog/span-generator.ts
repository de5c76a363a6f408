// Shared generator of extraction catalog data: templates whose {field} values become spans with exact offsets.

import { SlmkitError } from "../../errors.js";
import { createRandom, type Random } from "../../internal/random.js";
import { normalizeText } from "../../text/normalize.js";
import type { Span, SpanExample } from "../../types.js";
import type { UseCaseInput } from "../schema.js";
import { type CatalogSpecParts, catalogSpec } from "./labeled-generator.js";
import {
  checkGenerateOptions,
  type GenerateRecordsOptions,
  type SpanTemplate,
  type TemplateFile,
} from "./template.js";
import { addNoise, pick, type SlotFiller } from "./text-variation.js";

type FieldInput = NonNullable<UseCaseInput["schema"]>["fields"][number];

export interface SpanTemplateDefinition {
  id: string;
  summary: string;
  spec: Omit<CatalogSpecParts, "id" | "task" | "labels" | "schema">;
  /** The extraction schema; every field name is a slot whose value becomes a span labelled with that name. */
  fields: readonly FieldInput[];
  /** Templates: `[a|b]` alternatives (no nesting), `{field}` spans and `{slot}` unlabelled values (distractors). */
  templates: readonly string[];
  /** Fillers of every field and slot the templates use. */
  values: Readonly<Record<string, SlotFiller>>;
  /** Text before the request, may hold slots (never fields). Default none. */
  openers?: readonly string[];
  /** Text after the request, may hold slots (never fields). Default none. */
  closers?: readonly string[];
  files?: readonly TemplateFile[];
}

const defaultSeed = 42;
const defaultRecords = 480;
const maxAttempts = 30;
const rates = {
  opener: 0.25,
  closer: 0.25,
  lowerCase: 0.15,
  upperCase: 0.02,
  typo: 0.25,
  abbreviation: 0.15,
};
const slotPattern = /\{([a-zA-Z][a-zA-Z0-9_]*)\}/g;

/**
 * An extract template. Each record is composed piece by piece: literal text (with seeded typos and chat
 * abbreviations) and values; a value's span is `[length before it, length after it)` of the text built so
 * far, so offsets are exact by construction (UTF-16, end exclusive) and never found by searching afterwards.
 */
export function defineSpanTemplate(definition: SpanTemplateDefinition): SpanTemplate {
  const fieldNames = new Set(definition.fields.map((field) => field.name));
  const generate = (options: GenerateRecordsOptions = {}): SpanExample[] => {
    const seed = options.seed ?? defaultSeed;
    const records = options.records ?? defaultRecords;
    checkGenerateOptions(seed, records, "records");
    const exclude = options.exclude ?? new Set<string>();
    const random = createRandom(seed);
    const seen = new Set<string>();
    const examples: SpanExample[] = [];
    for (let index = 0; index < records; index++) {
      let record = composeRecord(definition, fieldNames, random);
      for (
        let attempt = 1;
        attempt < maxAttempts &&
        (seen.has(normalizeText(record.text)) || exclude.has(normalizeText(record.text)));
        attempt++
      ) {
        record = composeRecord(definition, fieldNames, random);
      }
      seen.add(normalizeText(record.text));
      examples.push(record);
    }
    return examples;
  };
  return {
    id: definition.id,
    summary: definition.summary,
    examples: "spans",
    spec: catalogSpec({
      ...definition.spec,
      id: definition.id,
      task: "extract",
      schema: { fields: [...definition.fields] },
    }),
    ...(definition.files === undefined ? {} : { files: definition.files }),
    generate,
  };
}

function composeRecord(
  definition: SpanTemplateDefinition,
  fieldNames: ReadonlySet<string>,
  random: Random,
): SpanExample {
  const casing = random.next();
  const transform = (piece: string): string =>
    casing < rates.lowerCase
      ? piece.toLowerCase()
      : casing < rates.lowerCase + rates.upperCase
        ? piece.toUpperCase()
        : piece;
  const noise = {
    typo: random.next() < rates.typo ? 1 : 0,
    abbreviation: random.next() < rates.abbreviation ? 1 : 0,
  };
  const parts: string[] = [];
  if (definition.openers !== undefined && random.next() < rates.opener)
    parts.push(pick(random, definition.openers));
  parts.push(pick(random, definition.templates));
  if (definition.closers !== undefined && random.next() < rates.closer)
    parts.push(pick(random, definition.closers));
  const template = chooseAlternatives(parts.join(" "), random);

  let text = "";
  const spans: Span[] = [];
  let last = 0;
  for (const match of template.matchAll(slotPattern)) {
    text += transform(varyLiteral(template.slice(last, match.index), random, noise));
    const name = match[1] as string;
    const filler = definition.values[name];
    if (filler === undefined) {
      throw new SlmkitError(
        "INVALID_INPUT",
        `template of ${definition.id} uses {${name}}, which has no filler`,
      );
    }
    const value = transform(filler(random));
    if (fieldNames.has(name))
      spans.push({ start: text.length, end: text.length + value.length, label: name });
    text += value;
    last = match.index + match[0].length;
  }
  text += transform(varyLiteral(template.slice(last), random, noise));
  return { text, spans };
}

/** Picks one alternative of each `[a|b]` and tidies the spaces an empty alternative leaves. */
function chooseAlternatives(template: string, random: Random): string {
  return template
    .replace(/\[([^[\]]*)\]/g, (_, options: string) => pick(random, options.split("|")))
    .replace(/\s{2,}/g, " ")
    .replace(/\s+([,.?!])/g, "$1")
    .trim();
}

/** Typos and abbreviations inside one literal piece, keeping its leading and trailing whitespace. */
function varyLiteral(piece: string, random: Random, noise: { typo: number; abbreviation: number }): string {
  const core = piece.trim();
  if (core === "" || (noise.typo === 0 && noise.abbreviation === 0)) return piece;
  const leading = piece.slice(0, piece.length - piece.trimStart().length);
  const trailing = piece.slice(piece.trimEnd().length);
  const varied = addNoise(core, random, {
    typo: noise.typo * 0.5,
    abbreviation: noise.abbreviation,
    lowerCase: 0,
    upperCase: 0,
    dropFinalPunctuation: 0,
    dropAllPunctuation: 0,
    repeatPunctuation: 0,
  });
  return `${leading}${varied}${trailing}`;
}
