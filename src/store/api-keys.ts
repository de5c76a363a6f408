// API key format and hashing: `slmk_<12-char id>_<base64url secret>`; only sha256(secret) is ever stored.

import { createHash, randomBytes, randomInt, timingSafeEqual } from "node:crypto";

const prefix = "slmk_";
const idAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
const idLength = 12;
const secretBytes = 32;
// 32 bytes in base64url without padding are 43 characters. The id's alphabet has no "_", so the
// separator is unambiguous even though the secret may contain "_".
const keyPattern = /^slmk_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;

export interface GeneratedApiKey {
  id: string;
  /** The whole key, shown to the user once. */
  key: string;
  /** sha256 of the secret part, hex: the only thing stored. */
  hash: string;
}

export function generateApiKey(): GeneratedApiKey {
  let id = "";
  // randomInt draws without modulo bias.
  for (let index = 0; index < idLength; index += 1) id += idAlphabet[randomInt(idAlphabet.length)];
  const secret = randomBytes(secretBytes).toString("base64url");
  return { id, key: `${prefix}${id}_${secret}`, hash: hashSecret(secret) };
}

/** The id and secret of a well-formed key; undefined for anything else, whatever its type. */
export function parseApiKey(key: unknown): { id: string; secret: string } | undefined {
  if (typeof key !== "string" || key.length > 100) return undefined;
  const match = keyPattern.exec(key);
  if (match === null) return undefined;
  return { id: match[1] as string, secret: match[2] as string };
}

export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

/** Compares a secret with a stored hash in constant time. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const expected = Buffer.from(storedHash, "hex");
  const actual = createHash("sha256").update(secret).digest();
  // A corrupt stored hash must fail the check, not throw from timingSafeEqual's length check.
  if (expected.length !== actual.length) return false;
  return timingSafeEqual(expected, actual);
}
