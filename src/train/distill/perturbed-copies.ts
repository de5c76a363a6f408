// Perturbed copies of a training text (word dropout, an adjacent-word swap) for the teacher to label as well.

import { createHash } from "node:crypto";
import { createRandom, type Random } from "../../internal/random.js";

/**
 * Up to `count` distinct perturbed copies of `text`, none equal to it: each drops every word with probability
 * 0.1 (keeping two or more) and, half the time, swaps two adjacent words. Seeded by `seed` and the text itself,
 * so a text gets the same copies whatever else is distilled with it. Texts under three words get none.
 */
export function perturbedCopies(text: string, count: number, seed: number): string[] {
  const words = text.split(/\s+/).filter((word) => word !== "");
  if (words.length < 3 || count <= 0) return [];
  const random = createRandom(
    (seed ^ Number.parseInt(createHash("sha256").update(text).digest("hex").slice(0, 8), 16)) >>> 0,
  );
  const copies = new Set<string>();
  // A few tries per copy: a draw that drops nothing and swaps nothing gives the text back.
  for (let attempt = 0; attempt < count * 4 && copies.size < count; attempt++) {
    const copy = perturbWords(words, random).join(" ");
    if (copy !== words.join(" ") && copy !== text) copies.add(copy);
  }
  return [...copies];
}

function perturbWords(words: readonly string[], random: Random): string[] {
  const kept = words.filter(() => random.next() >= 0.1);
  const out = kept.length >= 2 ? kept : [...words];
  if (random.next() < 0.5) {
    const index = random.int(out.length - 1);
    const held = out[index] as string;
    out[index] = out[index + 1] as string;
    out[index + 1] = held;
  }
  return out;
}
