// The data report's leakage: texts shared, exactly or nearly, by each pair of splits.

import type { LeakedPair, SplitLeakage } from "../check.js";
import type { SimilarPair } from "../similarity.js";
import type { TextEntry } from "./splits.js";
import { round } from "./wording.js";

/** One entry per pair of splits, in the order of `splitNames` (the checked split first); lists capped at `maxListed`. */
export function findLeakage(
  entries: readonly TextEntry[],
  similar: readonly SimilarPair[],
  splitNames: readonly string[],
  maxListed: number,
): SplitLeakage[] {
  const leakage: SplitLeakage[] = [];
  for (let i = 0; i < splitNames.length; i++) {
    for (let j = i + 1; j < splitNames.length; j++) {
      leakage.push(leakageBetween(entries, similar, splitNames[i] ?? "", splitNames[j] ?? "", maxListed));
    }
  }
  return leakage;
}

function leakageBetween(
  entries: readonly TextEntry[],
  similar: readonly SimilarPair[],
  nameA: string,
  nameB: string,
  maxListed: number,
): SplitLeakage {
  const pairs: LeakedPair[] = [];
  let exact = 0;
  for (const entry of entries) {
    const a = entry.occurrences.get(nameA);
    const b = entry.occurrences.get(nameB);
    if (a === undefined || b === undefined) continue;
    exact += 1;
    pairs.push({ kind: "exact", lines: [a.lines[0] ?? 0, b.lines[0] ?? 0], similarity: 1 });
  }
  let near = 0;
  for (const { first, second, similarity } of similar) {
    const x = entries[first]?.occurrences;
    const y = entries[second]?.occurrences;
    if (x === undefined || y === undefined) continue;
    const forward = x.get(nameA) !== undefined && y.get(nameB) !== undefined;
    const backward = y.get(nameA) !== undefined && x.get(nameB) !== undefined;
    if (!forward && !backward) continue;
    near += 1;
    const a = (forward ? x : y).get(nameA);
    const b = (forward ? y : x).get(nameB);
    pairs.push({
      kind: "near",
      lines: [a?.lines[0] ?? 0, b?.lines[0] ?? 0],
      similarity: round(similarity, 3),
    });
  }
  return { splits: [nameA, nameB], exact, near, pairs: pairs.slice(0, maxListed) };
}
