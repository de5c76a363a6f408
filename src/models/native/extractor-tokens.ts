// Tokens with character offsets, span trimming and the span ⇄ BIO tag mapping shared by the extractor, its trainer and its scorer.

import type { Span } from "../../types.js";

/** A token of the original text: `[start, end)` in UTF-16 code units, as the text indexes it. */
export interface Token {
  start: number;
  end: number;
  text: string;
}

// Runs of letters/marks/digits (inner apostrophes kept, so "o'clock" is one token) and single other characters.
// The `u` flag makes an astral character (emoji, rare CJK) one token, so offsets never split a surrogate pair.
const tokenPattern = /[\p{L}\p{M}\p{N}]+(?:['’][\p{L}\p{M}\p{N}]+)*|[^\s\p{L}\p{M}\p{N}]/gu;

/** Splits raw (not normalized) text into tokens that keep their offsets; normalization happens per token. */
export function tokenizeWithOffsets(text: string): Token[] {
  const tokens: Token[] = [];
  for (const match of text.matchAll(tokenPattern)) {
    const start = match.index;
    tokens.push({ start, end: start + match[0].length, text: match[0] });
  }
  return tokens;
}

// Whitespace and punctuation (not symbols: "$20" and "€15" keep their currency sign).
const trimmable = /[\s\p{P}]/u;

/**
 * Removes surrounding whitespace and punctuation from `[start, end)` of `text`, on both sides. This is the
 * one trimming rule of training data, predictions and scoring (DESIGN.md: spans are compared after it).
 * Returns an empty range (`start === end`) when nothing but whitespace and punctuation is covered.
 */
export function trimRange(text: string, start: number, end: number): { start: number; end: number } {
  let from = start;
  let to = end;
  while (from < to && trimmable.test(text.charAt(from))) from++;
  while (to > from && trimmable.test(text.charAt(to - 1))) to--;
  return { start: from, end: to };
}

/** `trimRange` of a span, keeping its label. */
export function trimSpan(text: string, span: Span): Span {
  const { start, end } = trimRange(text, span.start, span.end);
  return { start, end, label: span.label };
}

/** How gold spans were fitted onto tokens: counts for the training report. */
export interface AlignmentCounts {
  /** Spans whose offsets fell inside a token and were widened to whole tokens. */
  snapped: number;
  /** Spans that covered only whitespace and punctuation, or only tokens another span already took. */
  dropped: number;
}

/**
 * The tag sequence of one text: 0 is "outside", 1 + 2k is B-field k and 2 + 2k is I-field k.
 * `spans` must not overlap (resolve them first) and must use labels in `fieldIndex`; others are skipped.
 */
export function spansToTags(
  tokens: readonly Token[],
  spans: readonly Span[],
  fieldIndex: ReadonlyMap<string, number>,
  counts: AlignmentCounts,
): Uint8Array {
  const tags = new Uint8Array(tokens.length);
  for (const span of spans) {
    const field = fieldIndex.get(span.label);
    if (field === undefined) continue;
    let first = -1;
    let last = -1;
    for (let index = 0; index < tokens.length; index++) {
      const token = tokens[index] as Token;
      if (token.end <= span.start) continue;
      if (token.start >= span.end) break;
      if (first < 0) first = index;
      last = index;
    }
    if (first < 0) {
      counts.dropped++;
      continue;
    }
    let free = true;
    for (let index = first; index <= last; index++) if (tags[index] !== 0) free = false;
    if (!free) {
      counts.dropped++;
      continue;
    }
    if ((tokens[first] as Token).start !== span.start || (tokens[last] as Token).end !== span.end)
      counts.snapped++;
    tags[first] = 1 + 2 * field;
    for (let index = first + 1; index <= last; index++) tags[index] = 2 + 2 * field;
  }
  return tags;
}

/** A decoded span as token indices `[first, last]` and its field index. */
export interface TokenSpan {
  first: number;
  last: number;
  field: number;
}

/** Reads spans off a valid BIO tag sequence (an I without its B starts a span, to be lenient). */
export function tagsToTokenSpans(tags: ArrayLike<number>, length: number): TokenSpan[] {
  const spans: TokenSpan[] = [];
  let open: TokenSpan | undefined;
  for (let index = 0; index < length; index++) {
    const tag = tags[index] as number;
    if (tag === 0) {
      open = undefined;
      continue;
    }
    const field = (tag - 1) >> 1;
    const inside = (tag & 1) === 0;
    if (inside && open !== undefined && open.field === field) {
      open.last = index;
      continue;
    }
    open = { first: index, last: index, field };
    spans.push(open);
  }
  return spans;
}

/** A stable key of a span for set comparisons. */
export function spanKey(span: Span): string {
  return `${span.start}:${span.end}:${span.label}`;
}

/**
 * The gold spans a prediction is scored against: each trimmed (`trimRange`), empty ones dropped, exact
 * duplicates counted once, sorted. Overlapping gold spans are all kept: a tagger that cannot produce both
 * is rightly charged a miss.
 */
export function goldSpans(text: string, spans: readonly Span[]): Span[] {
  const seen = new Set<string>();
  const result: Span[] = [];
  for (const span of spans) {
    const trimmed = trimSpan(text, span);
    if (trimmed.start >= trimmed.end) continue;
    const key = spanKey(trimmed);
    if (seen.has(key)) continue;
    seen.add(key);
    result.push(trimmed);
  }
  return result.sort((a, b) => a.start - b.start || a.end - b.end || (a.label < b.label ? -1 : 1));
}

/** A record is right when its predicted spans are exactly the gold spans (start, end and label), no more. */
export function recordCorrect(predicted: readonly Span[], gold: readonly Span[]): boolean {
  if (predicted.length !== gold.length) return false;
  const keys = new Set(gold.map(spanKey));
  return predicted.every((span) => keys.has(spanKey(span)));
}
