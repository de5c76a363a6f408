// Unicode-aware normalization and tokenization shared by data checks, training and inference.

/** NFKC, lower case, whitespace collapsed and trimmed. The canonical form for hashing and duplicate checks. */
export function normalizeText(text: string): string {
  return text.normalize("NFKC").toLowerCase().replace(/\s+/gu, " ").trim();
}

const wordPattern = /[\p{L}\p{M}\p{N}]+(?:['’][\p{L}\p{M}]+)*|[^\s\p{L}\p{M}\p{N}]/gu;

/**
 * Splits normalized text into tokens: runs of letters/digits (keeping inner apostrophes, so "don't" is one
 * token) and single punctuation or symbol characters ("?", "$", "€").
 */
export function tokenize(normalized: string): string[] {
  return normalized.match(wordPattern) ?? [];
}
