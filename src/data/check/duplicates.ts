// The checked split's duplicates: equal texts (with the same or with conflicting labels) and near-equal pairs.

import type { DuplicateGroup, NearDuplicatePair } from "../check.js";
import type { SimilarPair } from "../similarity.js";
import type { TextEntry } from "./splits.js";
import { compareCodeUnits, round } from "./wording.js";

export interface ExactDuplicates {
  /** Every text of the checked split that occurs twice or more, in order of first appearance. */
  groups: DuplicateGroup[];
  /** Of `groups`, those with different labels (for span data: annotations). */
  conflicts: DuplicateGroup[];
  /** Copies beyond the first, over every group. */
  extraCopies: number;
}

export function findExactDuplicates(entries: readonly TextEntry[], mainName: string): ExactDuplicates {
  const groups: DuplicateGroup[] = [];
  const conflicts: DuplicateGroup[] = [];
  let extraCopies = 0;
  for (const entry of entries) {
    const occurrence = entry.occurrences.get(mainName);
    if (occurrence === undefined || occurrence.lines.length < 2) continue;
    const group = { lines: occurrence.lines, labels: [...new Set(occurrence.keys)].sort(compareCodeUnits) };
    groups.push(group);
    extraCopies += occurrence.lines.length - 1;
    if (group.labels.length > 1) conflicts.push(group);
  }
  return { groups, conflicts, extraCopies };
}

export interface NearDuplicates {
  pairs: NearDuplicatePair[];
  /** Of `pairs`, those whose first occurrences differ in label. */
  differentLabels: number;
}

/** The similar pairs (over all splits' texts) whose two texts are both in the checked split. */
export function findNearDuplicates(
  entries: readonly TextEntry[],
  similar: readonly SimilarPair[],
  mainName: string,
): NearDuplicates {
  const pairs: NearDuplicatePair[] = [];
  let differentLabels = 0;
  for (const { first, second, similarity } of similar) {
    const a = entries[first]?.occurrences.get(mainName);
    const b = entries[second]?.occurrences.get(mainName);
    if (a === undefined || b === undefined) continue;
    const sameLabel = a.keys[0] === b.keys[0];
    if (!sameLabel) differentLabels += 1;
    pairs.push({
      lines: [a.lines[0] ?? 0, b.lines[0] ?? 0],
      similarity: round(similarity, 3),
      sameLabel,
    });
  }
  return { pairs, differentLabels };
}
