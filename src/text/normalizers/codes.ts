// Part numbers, SKUs and other codes: one case and one separator, so "pn 4432/b" and "PN-4432-B" compare equal.

/** Upper case (NFKC), every run of spaces, dashes, dots, slashes and underscores as one "-", none at the ends. */
export function normalizeCode(text: string): string | null {
  const value = text
    .normalize("NFKC")
    .toUpperCase()
    .replace(/[\s\-‐-―._/\\]+/gu, "-")
    .replace(/^-+|-+$/gu, "");
  return value === "" ? null : value;
}
