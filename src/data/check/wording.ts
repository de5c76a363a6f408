// How the data report words its findings: counts with nouns, capped lists of lines and names, rounding.

import type { DataProblem } from "../io.js";

export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

export function listLines(lines: readonly number[], most = 5): string {
  const shown = lines.slice(0, most).join(", ");
  return lines.length > most ? `${shown}, …` : shown;
}

export function listNames(names: readonly string[], most = 8): string {
  const shown = names
    .slice(0, most)
    .map((name) => JSON.stringify(name))
    .join(", ");
  return names.length > most ? `${shown} and ${names.length - most} more` : shown;
}

export function describeProblem(problem: DataProblem | undefined): string {
  return problem === undefined ? "" : `${problem.file}:${problem.line} ${problem.message}`;
}

export function round(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

/** Sorts by UTF-16 code units, the same on every machine and locale. */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
