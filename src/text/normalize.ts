// Unicode-aware normalization and tokenization shared by data checks, training and inference.

/**
 * Whether `text` is ASCII with no whitespace but single spaces between other characters. For such a text
 * NFKC is the identity and collapsing and trimming whitespace change nothing, so lower case alone normalizes
 * it: most inputs skip the Unicode normalization and the regular expression.
 */
function isPlainAscii(text: string): boolean {
  // Starts "after a space" so that a leading space fails, like a double one.
  let afterSpace = true;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) return false;
    if (code === 0x20) {
      if (afterSpace) return false;
      afterSpace = true;
    } else if (code >= 0x09 && code <= 0x0d) return false;
    else afterSpace = false;
  }
  return !afterSpace || text.length === 0;
}

/** NFKC, lower case, whitespace collapsed and trimmed. The canonical form for hashing and duplicate checks. */
export function normalizeText(text: string): string {
  if (isPlainAscii(text)) return text.toLowerCase();
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
