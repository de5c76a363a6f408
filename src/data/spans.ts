// The overlap rule for span data: which spans to keep when annotations overlap.

import type { Span } from "../types.js";

/**
 * Resolves overlapping spans by one documented rule: keep the longest span; among equally long ones, the one
 * that starts first (then the one listed first); drop every span that overlaps a kept one, then repeat with the
 * rest. Spans overlap when they share at least one character (`a.start < b.end && b.start < a.end`), so
 * identical spans overlap too. The input is not changed; kept spans come sorted by start.
 */
export function resolveOverlaps(spans: readonly Span[]): { spans: Span[]; dropped: number } {
  if (spans.length < 2) return { spans: [...spans], dropped: 0 };
  const byPreference = spans
    .map((span, index) => ({ span, index }))
    .sort(
      (a, b) =>
        b.span.end - b.span.start - (a.span.end - a.span.start) ||
        a.span.start - b.span.start ||
        a.index - b.index,
    );
  const kept: Span[] = [];
  for (const { span } of byPreference) {
    if (kept.some((other) => span.start < other.end && other.start < span.end)) continue;
    kept.push(span);
  }
  kept.sort((a, b) => a.start - b.start || a.end - b.end);
  return { spans: kept, dropped: spans.length - kept.length };
}
