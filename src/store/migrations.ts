// Versioned schema migrations, an ordered list per backend. Append new versions; never edit an applied one.

export interface Migration {
  /** Strictly increasing from 1; recorded in `schema_migrations` once applied. */
  version: number;
  name: string;
  /** One or more statements, run in the migration's transaction. */
  sql: string;
}

/**
 * Times are ms since the epoch (INTEGER); there are no foreign keys because feedback and review items may
 * name a request whose log row is still queued in memory.
 */
export const sqliteMigrations: readonly Migration[] = [
  {
    version: 1,
    name: "initial schema",
    sql: `
CREATE TABLE requests (
  id TEXT PRIMARY KEY,
  use_case_id TEXT NOT NULL,
  api_key_id TEXT,
  created_at INTEGER NOT NULL,
  input_hash TEXT NOT NULL,
  input_text TEXT,
  answered_by TEXT NOT NULL,
  reason TEXT NOT NULL,
  label TEXT,
  confidence REAL,
  threshold REAL,
  slm_label TEXT,
  slm_confidence REAL,
  llm_label TEXT,
  latency_ms REAL NOT NULL,
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  cost_usd REAL NOT NULL,
  model_version TEXT
);
CREATE INDEX requests_use_case_created ON requests (use_case_id, created_at);
CREATE INDEX requests_created ON requests (created_at);

CREATE TABLE feedback (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  request_id TEXT NOT NULL,
  correct TEXT NOT NULL,
  source TEXT NOT NULL CHECK (source IN ('user', 'review')),
  created_at INTEGER NOT NULL
);
CREATE INDEX feedback_request ON feedback (request_id);
CREATE INDEX feedback_created ON feedback (created_at);

CREATE TABLE review_items (
  id TEXT PRIMARY KEY,
  request_id TEXT NOT NULL,
  use_case_id TEXT NOT NULL,
  input_text TEXT NOT NULL,
  slm_label TEXT,
  slm_confidence REAL,
  llm_label TEXT,
  reason TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('open', 'resolved')),
  resolution TEXT,
  created_at INTEGER NOT NULL,
  resolved_at INTEGER
);
CREATE INDEX review_items_status_created ON review_items (status, created_at);
CREATE INDEX review_items_use_case_status_created ON review_items (use_case_id, status, created_at);

CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  key_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);

CREATE TABLE spend (
  scope TEXT NOT NULL,
  day TEXT NOT NULL,
  usd REAL NOT NULL,
  PRIMARY KEY (scope, day)
);
`,
  },
  {
    version: 2,
    name: "drift signals on the log, shadow results",
    // ADD COLUMN with no default only touches the schema: rows written before read back NULL, and a large
    // log migrates in place in milliseconds.
    sql: `
ALTER TABLE requests ADD COLUMN unknown_share REAL;
ALTER TABLE requests ADD COLUMN input_chars INTEGER;

CREATE TABLE shadow_results (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  request_id TEXT NOT NULL,
  use_case_id TEXT NOT NULL,
  slm_label TEXT NOT NULL,
  llm_label TEXT,
  outcome TEXT NOT NULL CHECK (outcome IN ('agreed', 'disagreed', 'unsure', 'failed')),
  model_version TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX shadow_results_use_case_created ON shadow_results (use_case_id, created_at);
CREATE INDEX shadow_results_created ON shadow_results (created_at);
CREATE INDEX shadow_results_request ON shadow_results (request_id);

-- Labelled requests take the text of a request's review item when the log kept none.
CREATE INDEX review_items_request ON review_items (request_id);
`,
  },
  {
    version: 3,
    name: "key roles and use-case scopes; review items without text",
    // Keys made before roles existed become admins with every use case, as every key was until now; the
    // default also covers a row written by a replica still on version 2 during a rolling upgrade. A review
    // item keeps no text when the use case's privacy settings say so, or after `logs purge`: SQLite cannot drop
    // a NOT NULL, so review_items is rebuilt (its rows copied in their order; the queue's order is rowid's).
    sql: `
ALTER TABLE api_keys ADD COLUMN role TEXT NOT NULL DEFAULT 'admin' CHECK (role IN ('client', 'reviewer', 'admin'));
-- A JSON array of use case ids; NULL for every use case.
ALTER TABLE api_keys ADD COLUMN use_cases TEXT;

CREATE TABLE review_items_v3 (
  id TEXT PRIMARY KEY,
  request_id TEXT NOT NULL,
  use_case_id TEXT NOT NULL,
  input_text TEXT,
  slm_label TEXT,
  slm_confidence REAL,
  llm_label TEXT,
  reason TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('open', 'resolved')),
  resolution TEXT,
  created_at INTEGER NOT NULL,
  resolved_at INTEGER
);
INSERT INTO review_items_v3 (id, request_id, use_case_id, input_text, slm_label, slm_confidence, llm_label,
  reason, status, resolution, created_at, resolved_at)
SELECT id, request_id, use_case_id, input_text, slm_label, slm_confidence, llm_label, reason, status,
  resolution, created_at, resolved_at
FROM review_items ORDER BY rowid;
DROP TABLE review_items;
ALTER TABLE review_items_v3 RENAME TO review_items;
CREATE INDEX review_items_status_created ON review_items (status, created_at);
CREATE INDEX review_items_use_case_status_created ON review_items (use_case_id, status, created_at);
CREATE INDEX review_items_request ON review_items (request_id);
-- logs purge reads review items by age.
CREATE INDEX review_items_created ON review_items (created_at);
`,
  },
];

/**
 * Same tables as SQLite; ms times are BIGINT (read back as numbers: they stay below 2^53). `seq` columns give
 * the creation order that SQLite's rowid gives, for lists that must not reorder items created in one ms.
 */
export const postgresMigrations: readonly Migration[] = [
  {
    version: 1,
    name: "initial schema",
    sql: `
CREATE TABLE requests (
  id TEXT PRIMARY KEY,
  use_case_id TEXT NOT NULL,
  api_key_id TEXT,
  created_at BIGINT NOT NULL,
  input_hash TEXT NOT NULL,
  input_text TEXT,
  answered_by TEXT NOT NULL,
  reason TEXT NOT NULL,
  label TEXT,
  confidence DOUBLE PRECISION,
  threshold DOUBLE PRECISION,
  slm_label TEXT,
  slm_confidence DOUBLE PRECISION,
  llm_label TEXT,
  latency_ms DOUBLE PRECISION NOT NULL,
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  cost_usd DOUBLE PRECISION NOT NULL,
  model_version TEXT
);
CREATE INDEX requests_use_case_created ON requests (use_case_id, created_at);
CREATE INDEX requests_created ON requests (created_at);

CREATE TABLE feedback (
  id BIGSERIAL PRIMARY KEY,
  request_id TEXT NOT NULL,
  correct TEXT NOT NULL,
  source TEXT NOT NULL CHECK (source IN ('user', 'review')),
  created_at BIGINT NOT NULL
);
CREATE INDEX feedback_request ON feedback (request_id);
CREATE INDEX feedback_created ON feedback (created_at);

CREATE TABLE review_items (
  id TEXT PRIMARY KEY,
  -- Arrival order, for a stable first-in first-out queue when two items share a millisecond.
  seq BIGSERIAL NOT NULL,
  request_id TEXT NOT NULL,
  use_case_id TEXT NOT NULL,
  input_text TEXT NOT NULL,
  slm_label TEXT,
  slm_confidence DOUBLE PRECISION,
  llm_label TEXT,
  reason TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('open', 'resolved')),
  resolution TEXT,
  created_at BIGINT NOT NULL,
  resolved_at BIGINT
);
CREATE INDEX review_items_status_created ON review_items (status, created_at, seq);
CREATE INDEX review_items_use_case_status_created ON review_items (use_case_id, status, created_at, seq);

CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  seq BIGSERIAL NOT NULL,
  name TEXT NOT NULL,
  key_hash TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  revoked_at BIGINT
);

CREATE TABLE spend (
  scope TEXT NOT NULL,
  day TEXT NOT NULL,
  usd DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (scope, day)
);
`,
  },
  {
    version: 2,
    name: "drift signals on the log, shadow results",
    // ADD COLUMN without a default is a catalog change only: no table rewrite, rows written before read NULL.
    sql: `
ALTER TABLE requests ADD COLUMN unknown_share DOUBLE PRECISION;
ALTER TABLE requests ADD COLUMN input_chars INTEGER;

CREATE TABLE shadow_results (
  id BIGSERIAL PRIMARY KEY,
  request_id TEXT NOT NULL,
  use_case_id TEXT NOT NULL,
  slm_label TEXT NOT NULL,
  llm_label TEXT,
  outcome TEXT NOT NULL CHECK (outcome IN ('agreed', 'disagreed', 'unsure', 'failed')),
  model_version TEXT,
  created_at BIGINT NOT NULL
);
CREATE INDEX shadow_results_use_case_created ON shadow_results (use_case_id, created_at);
CREATE INDEX shadow_results_created ON shadow_results (created_at);
CREATE INDEX shadow_results_request ON shadow_results (request_id);

-- Labelled requests take the text of a request's review item when the log kept none.
CREATE INDEX review_items_request ON review_items (request_id);
`,
  },
  {
    version: 3,
    name: "key roles and use-case scopes; review items without text",
    // Keys made before roles existed become admins with every use case, as every key was until now (a constant
    // default: no table rewrite). A review item keeps no text when privacy says so, or after `logs purge`.
    sql: `
ALTER TABLE api_keys ADD COLUMN role TEXT NOT NULL DEFAULT 'admin' CHECK (role IN ('client', 'reviewer', 'admin'));
-- A JSON array of use case ids; NULL for every use case.
ALTER TABLE api_keys ADD COLUMN use_cases TEXT;

ALTER TABLE review_items ALTER COLUMN input_text DROP NOT NULL;
-- logs purge reads review items by age.
CREATE INDEX review_items_created ON review_items (created_at);
`,
  },
];

/** The bookkeeping table; identical on both backends. */
export const migrationsTableSql = `
CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at BIGINT NOT NULL
)`;
