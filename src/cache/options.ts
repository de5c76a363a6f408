// Defaults and validation of the options both cache backends share.

import { SlmkitError } from "../errors.js";

/** Options every cache backend takes. */
export interface CacheTuningOptions {
  /** Entries kept per scope, exact and semantic each; the least recently used exact entry and the oldest vector go first. Default 10,000. */
  maxEntriesPerScope?: number;
  /** Lifetime of an entry in milliseconds. Default 3,600,000 (one hour). */
  ttlMs?: number;
  /** Minimum cosine similarity of a semantic hit, in (0, 1]. Default 0.95. */
  semanticThreshold?: number;
  /**
   * Longer texts (UTF-16 code units) skip the semantic layer, stored and asked alike: near-duplicate long
   * messages are rare, and the guards read the whole text. Exact entries have no limit. Default 4,096.
   */
  maxSemanticTextLength?: number;
}

export type CacheTuning = Required<CacheTuningOptions>;

export const defaultCacheTuning: CacheTuning = {
  maxEntriesPerScope: 10_000,
  ttlMs: 3_600_000,
  semanticThreshold: 0.95,
  maxSemanticTextLength: 4_096,
};

/** Fills in defaults and rejects values no cache can work with, naming the option at fault. */
export function resolveCacheTuning(options: CacheTuningOptions): CacheTuning {
  const tuning: CacheTuning = {
    maxEntriesPerScope: options.maxEntriesPerScope ?? defaultCacheTuning.maxEntriesPerScope,
    ttlMs: options.ttlMs ?? defaultCacheTuning.ttlMs,
    semanticThreshold: options.semanticThreshold ?? defaultCacheTuning.semanticThreshold,
    maxSemanticTextLength: options.maxSemanticTextLength ?? defaultCacheTuning.maxSemanticTextLength,
  };
  requireNumber(
    "maxEntriesPerScope",
    tuning.maxEntriesPerScope,
    Number.isInteger(tuning.maxEntriesPerScope) && tuning.maxEntriesPerScope >= 1,
    "an integer >= 1",
  );
  requireNumber("ttlMs", tuning.ttlMs, tuning.ttlMs > 0, "> 0 milliseconds");
  requireNumber(
    "semanticThreshold",
    tuning.semanticThreshold,
    tuning.semanticThreshold > 0 && tuning.semanticThreshold <= 1,
    "in (0, 1]",
  );
  requireNumber(
    "maxSemanticTextLength",
    tuning.maxSemanticTextLength,
    Number.isInteger(tuning.maxSemanticTextLength) && tuning.maxSemanticTextLength >= 1,
    "an integer >= 1",
  );
  return tuning;
}

export function requireNumber(name: string, value: number, valid: boolean, rule: string): void {
  if (typeof value === "number" && Number.isFinite(value) && valid) return;
  throw new SlmkitError("INVALID_OPTION", `cache option ${name} must be ${rule}, got ${String(value)}.`, {
    field: name,
  });
}
