// Shadow results (`shadow_results`): the LLM asked, after the fact, about requests the small model answered
// on its own, and whether the two agreed.

import { all, type Query, run } from "../sql/query.js";
import { sql, where } from "../sql/sql.js";
import type { RequestFilter, ShadowOutcome, ShadowResult } from "../types.js";
import { rangeConditions } from "./range.js";

interface ShadowRow {
  request_id: string;
  use_case_id: string;
  slm_label: string;
  llm_label: string | null;
  outcome: string;
  model_version: string | null;
  created_at: number;
}

function shadowFromRow(row: ShadowRow): ShadowResult {
  return {
    requestId: row.request_id,
    useCaseId: row.use_case_id,
    slmLabel: row.slm_label,
    llmLabel: row.llm_label,
    outcome: row.outcome as ShadowOutcome,
    modelVersion: row.model_version,
    createdAt: row.created_at,
  };
}

export function* addShadowResult(result: ShadowResult): Query<void> {
  yield* run(
    sql`INSERT INTO shadow_results (request_id, use_case_id, slm_label, llm_label, outcome, model_version,
  created_at)
VALUES (${result.requestId}, ${result.useCaseId}, ${result.slmLabel}, ${result.llmLabel ?? null},
  ${result.outcome}, ${result.modelVersion ?? null}, ${result.createdAt})`,
  );
}

/** Results of a range, newest first, `limit` at most. */
export function* listShadowResults(filter: RequestFilter, limit: number): Query<ShadowResult[]> {
  const rows = yield* all<ShadowRow>(
    sql`SELECT request_id, use_case_id, slm_label, llm_label, outcome, model_version, created_at
FROM shadow_results${where(rangeConditions(filter))} ORDER BY created_at DESC, id DESC LIMIT ${limit}`,
  );
  return rows.map(shadowFromRow);
}
