// `purgeText`: the words of requests past their retention, removed from every table that keeps them. Labels of
// classify and answer use cases, hashes and figures stay for metrics.

import { type Query, run } from "../sql/query.js";
import { type Sql, sql, where } from "../sql/sql.js";
import { rangeConditions, wholeMs } from "./range.js";

// What is words of a text: input text, and an extract use case's records (a JSON object of the values found in
// the text) in the log's labels, a review item's answers and resolution, and feedback. A record is told from a
// label by its first character: records are JSON objects, and a label that starts with "{" would only lose its
// copies older than the retention. Shadow results keep labels of the use case's set only: nothing to remove.

/**
 * Clears the text and records of rows created before `olderThan` (of one use case when given) in `requests` and
 * `review_items`, and deletes feedback that is a record; answers the rows changed or deleted. Run it in a
 * transaction: the tables are purged together or not at all.
 */
export function* purgeText(olderThan: number, filter: { useCaseId?: string }): Query<number> {
  const range = rangeConditions({ useCaseId: filter.useCaseId, until: olderThan });
  const requests = yield* run(
    sql`UPDATE requests SET input_text = NULL,
  label = CASE WHEN label LIKE '{%' THEN NULL ELSE label END,
  slm_label = CASE WHEN slm_label LIKE '{%' THEN NULL ELSE slm_label END,
  llm_label = CASE WHEN llm_label LIKE '{%' THEN NULL ELSE llm_label END${where([
    ...range,
    sql`(input_text IS NOT NULL OR label LIKE '{%' OR slm_label LIKE '{%' OR llm_label LIKE '{%')`,
  ])}`,
  );
  const reviewItems = yield* run(
    sql`UPDATE review_items SET input_text = NULL,
  slm_label = CASE WHEN slm_label LIKE '{%' THEN NULL ELSE slm_label END,
  llm_label = CASE WHEN llm_label LIKE '{%' THEN NULL ELSE llm_label END,
  resolution = CASE WHEN resolution LIKE '{%' THEN NULL ELSE resolution END${where([
    ...range,
    sql`(input_text IS NOT NULL OR slm_label LIKE '{%' OR llm_label LIKE '{%' OR resolution LIKE '{%')`,
  ])}`,
  );
  // Feedback names no use case: it is the use case's when its request (or review item) is.
  const feedbackConditions: Sql[] = [sql`created_at < ${wholeMs(olderThan)}`, sql`correct LIKE '{%'`];
  if (filter.useCaseId !== undefined) {
    feedbackConditions.push(
      sql`request_id IN (SELECT id FROM requests WHERE use_case_id = ${filter.useCaseId}
  UNION SELECT request_id FROM review_items WHERE use_case_id = ${filter.useCaseId})`,
    );
  }
  const feedback = yield* run(sql`DELETE FROM feedback${where(feedbackConditions)}`);
  return requests.changes + reviewItems.changes + feedback.changes;
}
