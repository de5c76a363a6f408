// The edge client's storage in a browser: one IndexedDB object store, so the bundle and the queue survive a reload
// and a closed tab. Each `set` is one transaction: all of its entries are written, or none.

import { SlmkitError } from "../errors.js";
import type { EdgeStorage, EdgeStoredValue } from "./storage.js";

// The part of IndexedDB used here (TypeScript's lib for Node declares none of it).
interface Request<T> {
  readonly result: T;
  readonly error: unknown;
  onsuccess: (() => void) | null;
  onerror: (() => void) | null;
}
interface OpenRequest extends Request<Database> {
  onupgradeneeded: (() => void) | null;
}
interface Database {
  createObjectStore(name: string): unknown;
  transaction(store: string, mode: "readonly" | "readwrite"): Transaction;
}
interface Transaction {
  objectStore(name: string): ObjectStore;
  readonly error: unknown;
  oncomplete: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
}
interface ObjectStore {
  get(key: string): Request<unknown>;
  put(value: unknown, key: string): Request<unknown>;
  delete(key: string): Request<unknown>;
  getAll(range: unknown): Request<unknown[]>;
  getAllKeys(range: unknown): Request<unknown[]>;
}
interface IndexedDbApi {
  indexedDB?: { open(name: string, version: number): OpenRequest };
  IDBKeyRange?: { bound(lower: string, upper: string): unknown };
}

export interface IndexedDbStorageOptions {
  /** The database's name: one per app and use case when a page runs several clients. Default "slmkit-edge". */
  name?: string;
}

const storeName = "entries";

function failed(what: string, cause: unknown): SlmkitError {
  return new SlmkitError(
    "IO_ERROR",
    `IndexedDB could not ${what}; the browser may be out of space or in a private mode that refuses storage.`,
    { cause },
  );
}

/** Stores the client's state in IndexedDB. NOT_SUPPORTED where there is none (Node, some private modes). */
export function createIndexedDbStorage(options: IndexedDbStorageOptions = {}): EdgeStorage {
  const api = globalThis as IndexedDbApi;
  const factory = api.indexedDB;
  const keyRange = api.IDBKeyRange;
  if (factory === undefined || keyRange === undefined)
    throw new SlmkitError(
      "NOT_SUPPORTED",
      "there is no IndexedDB here; use createMemoryStorage(), or createFileStorage() from slmkit in Node.",
    );
  const opened = new Promise<Database>((resolve, reject) => {
    const request = factory.open(options.name ?? "slmkit-edge", 1);
    request.onupgradeneeded = () => request.result.createObjectStore(storeName);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(failed("open its database", request.error));
  });
  /** Runs `work` in one transaction and resolves with its result once the transaction has committed. */
  const run = async <T>(
    mode: "readonly" | "readwrite",
    work: (store: ObjectStore) => () => T,
  ): Promise<T> => {
    const database = await opened;
    return new Promise<T>((resolve, reject) => {
      const transaction = database.transaction(storeName, mode);
      const result = work(transaction.objectStore(storeName));
      transaction.oncomplete = () => resolve(result());
      transaction.onerror = transaction.onabort = () =>
        reject(failed(`${mode === "readonly" ? "read" : "write"}`, transaction.error));
    });
  };
  return {
    get: (key) =>
      run("readonly", (store) => {
        const request = store.get(key);
        return () => request.result as EdgeStoredValue | undefined;
      }),
    set: (entries) =>
      run("readwrite", (store) => {
        for (const [key, value] of entries) store.put(value, key);
        return () => undefined;
      }),
    delete: (keys) =>
      run("readwrite", (store) => {
        for (const key of keys) store.delete(key);
        return () => undefined;
      }),
    entries: (prefix) =>
      run("readonly", (store) => {
        // U+FFFF sorts after every character a key of ours holds: the range is exactly the keys with the prefix.
        const range = keyRange.bound(prefix, `${prefix}\uffff`);
        const keys = store.getAllKeys(range);
        const values = store.getAll(range);
        return () =>
          keys.result.map((key, index) => [key as string, values.result[index] as EdgeStoredValue]);
      }),
  };
}
