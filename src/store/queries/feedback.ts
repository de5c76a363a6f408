// Feedback (`feedback`): what users and reviewers said the right answer was, and feedback joined with the
// request it is about, which retraining and accuracy reports read.

import type { AnsweredBy } from "../../types.js";
import { all, type Query, run } from "../sql/query.js";
import { type Sql, sql, where } from "../sql/sql.js";
import type { FeedbackEntry, LabelledRequest, RequestFilter } from "../types.js";
import { rangeConditions, wholeMs } from "./range.js";

export interface FeedbackRow {
  request_id: string;
  correct: string;
  source: string;
  created_at: number;
}

export function feedbackFromRow(row: FeedbackRow): FeedbackEntry {
  return {
    requestId: row.request_id,
    correct: row.correct,
    source: row.source as FeedbackEntry["source"],
    createdAt: row.created_at,
  };
}

export function* addFeedback(entry: FeedbackEntry): Query<void> {
  yield* run(
    sql`INSERT INTO feedback (request_id, correct, source, created_at)
VALUES (${entry.requestId}, ${entry.correct}, ${entry.source}, ${entry.createdAt})`,
  );
}

/** Feedback oldest first, by request and since, `limit` at most. */
export function* listFeedback(
  filter: { requestId?: string; since?: number },
  limit: number,
): Query<FeedbackEntry[]> {
  const conditions: Sql[] = [];
  if (filter.requestId !== undefined) conditions.push(sql`request_id = ${filter.requestId}`);
  if (filter.since !== undefined) conditions.push(sql`created_at >= ${wholeMs(filter.since)}`);
  const rows = yield* all<FeedbackRow>(
    sql`SELECT request_id, correct, source, created_at FROM feedback${where(conditions)}
ORDER BY created_at, id LIMIT ${limit}`,
  );
  return rows.map(feedbackFromRow);
}

interface LabelledRow {
  request_id: string;
  use_case_id: string;
  text: string | null;
  correct: string;
  source: string;
  served_label: string | null;
  answered_by: string;
  model_version: string | null;
  created_at: number;
}

function labelledFromRow(row: LabelledRow): LabelledRequest {
  return {
    requestId: row.request_id,
    useCaseId: row.use_case_id,
    text: row.text,
    correct: row.correct,
    source: row.source as FeedbackEntry["source"],
    servedLabel: row.served_label,
    answeredBy: row.answered_by as AnsweredBy,
    modelVersion: row.model_version,
    createdAt: row.created_at,
  };
}

/**
 * Feedback of a range (by feedback time; the use case is the request's) joined with its request. A feedback
 * row counts only when no later one exists for its request, over all time: a range then holds each request
 * once, with its final label, and consecutive ranges never hold it twice. The inner join leaves out feedback
 * whose request row is unknown. CROSS JOIN makes SQLite start from the feedback of the range (without
 * statistics it would walk every request of the use case instead); Postgres plans freely.
 */
export function* listLabelledRequests(filter: RequestFilter, limit: number): Query<LabelledRequest[]> {
  const conditions = [
    sql`r.id = f.request_id`,
    ...rangeConditions({ since: filter.since, until: filter.until }, "f"),
  ];
  if (filter.useCaseId !== undefined) conditions.push(sql`r.use_case_id = ${filter.useCaseId}`);
  conditions.push(
    sql`NOT EXISTS (SELECT 1 FROM feedback later WHERE later.request_id = f.request_id AND
  (later.created_at > f.created_at OR (later.created_at = f.created_at AND later.id > f.id)))`,
  );
  const rows = yield* all<LabelledRow>(
    sql`SELECT f.request_id, r.use_case_id,
  COALESCE(r.input_text, (
    SELECT ri.input_text FROM review_items ri WHERE ri.request_id = f.request_id
    ORDER BY ri.created_at DESC, ri.id DESC LIMIT 1
  )) AS text,
  f.correct, f.source, r.label AS served_label, r.answered_by, r.model_version, f.created_at
FROM feedback f CROSS JOIN requests r${where(conditions)}
ORDER BY f.created_at, f.id LIMIT ${limit}`,
  );
  return rows.map(labelledFromRow);
}
