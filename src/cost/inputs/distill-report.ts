// The TCO input a distill run gives: what its teacher's calls cost, from its report.json.

import { readFile } from "node:fs/promises";
import { SlmkitError } from "../../errors.js";
import type { TcoInput } from "../types.js";

/**
 * `teacherCostUsd` of a distill report (a path, or the report itself); 0, assumed, without one. Throws IO_ERROR
 * when the file cannot be read and INVALID_INPUT when it is not a distill report.
 */
export async function teacherCost(
  report: string | { teacherCostUsd: number } | undefined,
): Promise<TcoInput> {
  if (report === undefined) {
    return {
      value: 0,
      unit: "USD",
      source: "assumed",
      note: "no distill report given (--distill-report); the labels were not bought from a teacher",
    };
  }
  if (typeof report !== "string") {
    return {
      value: report.teacherCostUsd,
      unit: "USD",
      source: "measured",
      note: "teacherCostUsd of the distill report",
    };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(report, "utf8"));
  } catch (error) {
    throw new SlmkitError(
      "IO_ERROR",
      `cannot read the distill report: ${(error as Error).message}. Pass the report.json that \`slmkit distill\` wrote.`,
      { file: report, cause: error },
    );
  }
  const cost = (parsed as { teacherCostUsd?: unknown } | null)?.teacherCostUsd;
  if (typeof cost !== "number" || !Number.isFinite(cost) || cost < 0) {
    throw new SlmkitError(
      "INVALID_INPUT",
      "this is not a distill report: it has no teacherCostUsd. Pass the report.json that `slmkit distill` wrote.",
      { file: report },
    );
  }
  return { value: cost, unit: "USD", source: "measured", note: `teacherCostUsd of ${report}` };
}
