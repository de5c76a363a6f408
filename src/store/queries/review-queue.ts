// The review queue (`review_items`): requests people must look at, oldest first, resolved once each.

import type { SqlDialect } from "../sql/dialect.js";
import { all, get, type Query, run } from "../sql/query.js";
import { join, type Sql, sql, where } from "../sql/sql.js";
import type { ReviewItem, ReviewStatus } from "../types.js";
import { addFeedback } from "./feedback.js";

interface ReviewRow {
  id: string;
  request_id: string;
  use_case_id: string;
  input_text: string | null;
  slm_label: string | null;
  slm_confidence: number | null;
  llm_label: string | null;
  reason: string;
  status: string;
  resolution: string | null;
  created_at: number;
  resolved_at: number | null;
}

function reviewFromRow(row: ReviewRow): ReviewItem {
  return {
    id: row.id,
    requestId: row.request_id,
    useCaseId: row.use_case_id,
    inputText: row.input_text,
    slmLabel: row.slm_label,
    slmConfidence: row.slm_confidence,
    llmLabel: row.llm_label,
    reason: row.reason,
    status: row.status as ReviewStatus,
    resolution: row.resolution,
    createdAt: row.created_at,
    resolvedAt: row.resolved_at,
  };
}

export function* insertReview(item: ReviewItem): Query<void> {
  yield* run(
    sql`INSERT INTO review_items (id, request_id, use_case_id, input_text, slm_label, slm_confidence,
  llm_label, reason, status, resolution, created_at, resolved_at)
VALUES (${item.id}, ${item.requestId}, ${item.useCaseId}, ${item.inputText}, ${item.slmLabel},
  ${item.slmConfidence}, ${item.llmLabel}, ${item.reason}, ${item.status}, ${item.resolution},
  ${item.createdAt}, ${item.resolvedAt})`,
  );
}

/** Items oldest first (in arrival order within a millisecond), `limit` at most. */
export function* listReview(
  dialect: SqlDialect,
  filter: { useCaseId?: string; useCaseIds?: readonly string[]; status?: ReviewStatus },
  limit: number,
): Query<ReviewItem[]> {
  const conditions: Sql[] = [];
  if (filter.useCaseId !== undefined) conditions.push(sql`use_case_id = ${filter.useCaseId}`);
  if (filter.useCaseIds !== undefined) conditions.push(inList(sql`use_case_id`, filter.useCaseIds));
  if (filter.status !== undefined) conditions.push(sql`status = ${filter.status}`);
  const rows = yield* all<ReviewRow>(
    sql`SELECT * FROM review_items${where(conditions)}
ORDER BY created_at, ${dialect.insertionOrder} LIMIT ${limit}`,
  );
  return rows.map(reviewFromRow);
}

/** `column IN (…values)`; false for no values. */
function inList(column: Sql, values: readonly string[]): Sql {
  if (values.length === 0) return sql`1 = 0`;
  return sql`${column} IN (${join(
    values.map((value) => sql`${value}`),
    ", ",
  )})`;
}

export function* getReview(id: string): Query<ReviewItem | undefined> {
  const row = yield* get<ReviewRow>(sql`SELECT * FROM review_items WHERE id = ${id}`);
  return row === undefined ? undefined : reviewFromRow(row);
}

/**
 * Resolves an open item and records the resolution as review feedback; undefined when no such open item. Run
 * it in a transaction: the status condition then makes a concurrent second resolve (another replica, another
 * tab) update nothing, and the feedback lands with the resolution or not at all.
 */
export function* resolveReview(id: string, resolution: string, now: number): Query<ReviewItem | undefined> {
  const row = yield* get<ReviewRow>(
    sql`UPDATE review_items SET status = 'resolved', resolution = ${resolution}, resolved_at = ${now}
WHERE id = ${id} AND status = 'open' RETURNING *`,
  );
  if (row === undefined) return undefined;
  yield* addFeedback({ requestId: row.request_id, correct: resolution, source: "review", createdAt: now });
  return reviewFromRow(row);
}
