// API keys (`api_keys`): a name, a role, a use-case scope and the hash of the secret, never the secret itself
// (see ../api-keys.ts).

import { secretMatches } from "../api-keys.js";
import type { SqlDialect } from "../sql/dialect.js";
import { all, get, type Query, run } from "../sql/query.js";
import { sql } from "../sql/sql.js";
import type { ApiKeyRecord, ApiKeyRole } from "../types.js";

interface ApiKeyRow {
  id: string;
  name: string;
  key_hash: string;
  role: string;
  /** A JSON array of use case ids; null for every use case. */
  use_cases: string | null;
  created_at: number;
  revoked_at: number | null;
}

function apiKeyFromRow(row: ApiKeyRow): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    role: row.role as ApiKeyRole,
    useCases: row.use_cases === null ? null : (JSON.parse(row.use_cases) as string[]),
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  };
}

export function* insertApiKey(record: ApiKeyRecord, keyHash: string): Query<void> {
  const useCases = record.useCases === null ? null : JSON.stringify(record.useCases);
  yield* run(
    sql`INSERT INTO api_keys (id, name, key_hash, role, use_cases, created_at, revoked_at)
VALUES (${record.id}, ${record.name}, ${keyHash}, ${record.role}, ${useCases}, ${record.createdAt}, NULL)`,
  );
}

/** The key's record when it exists, is not revoked and its secret matches (compared in constant time). */
export function* verifyApiKey(key: { id: string; secret: string }): Query<ApiKeyRecord | undefined> {
  const row = yield* get<ApiKeyRow>(sql`SELECT * FROM api_keys WHERE id = ${key.id}`);
  if (row === undefined || row.revoked_at !== null) return undefined;
  return secretMatches(key.secret, row.key_hash) ? apiKeyFromRow(row) : undefined;
}

/** Every key, in the order they were created. */
export function* listApiKeys(dialect: SqlDialect): Query<ApiKeyRecord[]> {
  const rows = yield* all<ApiKeyRow>(
    sql`SELECT * FROM api_keys ORDER BY created_at, ${dialect.insertionOrder}`,
  );
  return rows.map(apiKeyFromRow);
}

/** Whether a key that was not revoked is now. */
export function* revokeApiKey(id: string, now: number): Query<boolean> {
  const result = yield* run(
    sql`UPDATE api_keys SET revoked_at = ${now} WHERE id = ${id} AND revoked_at IS NULL`,
  );
  return result.changes > 0;
}
