// The data report's personal data: how many texts hold which kinds, and where (never the values themselves).

import type { DataReport } from "../check.js";
import { findPii, type PiiKind, piiKinds } from "../pii.js";
import type { CheckRecord } from "./splits.js";

export function findPersonalData(records: readonly CheckRecord[], maxListed: number): DataReport["pii"] {
  const counts = Object.fromEntries(piiKinds.map((kind) => [kind, 0])) as Record<PiiKind, number>;
  const examples: Array<{ line: number; kind: PiiKind }> = [];
  let textCount = 0;
  for (const record of records) {
    const found = findPii(record.text);
    if (found.length === 0) continue;
    textCount += 1;
    for (const match of found) {
      counts[match.kind] += 1;
      if (examples.length < maxListed) examples.push({ line: record.line, kind: match.kind });
    }
  }
  return { textCount, counts, examples };
}
