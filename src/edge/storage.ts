// Where the edge client keeps what must outlive a reload: the current bundle, the event queue, the device id. One
// small key-value interface, three adapters: memory (here), IndexedDB (browsers) and files (Node, not in the core).

/** A stored value: text (events, ids) or bytes (the bundle). */
export type EdgeStoredValue = string | Uint8Array;

/**
 * A key-value store with ordered keys. Adapters must keep each `set` all-or-nothing for the entries it writes
 * together (IndexedDB: one transaction) or, at least, each entry whole (files: write then rename).
 */
export interface EdgeStorage {
  /** The value at `key`, or undefined. */
  get(key: string): Promise<EdgeStoredValue | undefined>;
  /** Writes entries, all or none where the adapter can. */
  set(entries: readonly (readonly [string, EdgeStoredValue])[]): Promise<void>;
  /** Deletes the keys (missing ones are no error). */
  delete(keys: readonly string[]): Promise<void>;
  /** Every entry whose key starts with `prefix`, in ascending key order. */
  entries(prefix: string): Promise<[string, EdgeStoredValue][]>;
}

/** Keeps everything in this page's memory: nothing survives a reload. The default, and for tests. */
export function createMemoryStorage(): EdgeStorage {
  const values = new Map<string, EdgeStoredValue>();
  return {
    async get(key) {
      return values.get(key);
    },
    async set(entries) {
      for (const [key, value] of entries) values.set(key, value);
    },
    async delete(keys) {
      for (const key of keys) values.delete(key);
    },
    async entries(prefix) {
      return [...values]
        .filter(([key]) => key.startsWith(prefix))
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    },
  };
}
