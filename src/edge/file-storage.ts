// The edge client's storage in Node: one file a key in a folder. Node-only, so it is outside the edge core (no
// import from src/edge/index.ts reaches it) and exported from "slmkit", not "slmkit/edge".

import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { SlmkitError } from "../errors.js";
import { writeFileAtomic } from "../internal/fs.js";
import type { EdgeStorage, EdgeStoredValue } from "./storage.js";

// A key's file is its key, percent-encoded (keys hold "/"), with the kind of value as the extension.
const textExtension = ".txt";
const bytesExtension = ".bin";

const fileName = (key: string, value: EdgeStoredValue): string =>
  `${encodeURIComponent(key)}${typeof value === "string" ? textExtension : bytesExtension}`;

function keyOf(name: string): string | undefined {
  if (name.endsWith(textExtension)) return decodeURIComponent(name.slice(0, -textExtension.length));
  if (name.endsWith(bytesExtension)) return decodeURIComponent(name.slice(0, -bytesExtension.length));
  return undefined;
}

/**
 * Stores the client's state in the folder `dir` (created when missing). Each entry is written atomically (a
 * temporary file, then rename); the entries of one `set` are written one after another, which the client's
 * queue allows for (each event is one entry).
 */
export function createFileStorage(dir: string): EdgeStorage {
  const ready = mkdir(dir, { recursive: true }).catch((error: unknown) => {
    throw new SlmkitError("IO_ERROR", `cannot create the edge storage folder: ${(error as Error).message}.`, {
      file: dir,
      cause: error,
    });
  });
  /** The file names by key, read from the folder (temporary files of interrupted writes are left out). */
  const files = async (): Promise<Map<string, string>> => {
    await ready;
    const found = new Map<string, string>();
    for (const name of await readdir(dir)) {
      if (name.startsWith(".")) continue;
      const key = keyOf(name);
      if (key !== undefined) found.set(key, name);
    }
    return found;
  };
  const read = async (name: string): Promise<EdgeStoredValue> => {
    const bytes = await readFile(join(dir, name));
    return name.endsWith(textExtension) ? bytes.toString("utf8") : new Uint8Array(bytes);
  };
  return {
    async get(key) {
      const name = (await files()).get(key);
      return name === undefined ? undefined : read(name);
    },
    async set(entries) {
      const existing = await files();
      for (const [key, value] of entries) {
        const name = fileName(key, value);
        await writeFileAtomic(join(dir, name), value);
        // A value of the other kind under the same key is replaced, not left beside it.
        const previous = existing.get(key);
        if (previous !== undefined && previous !== name) await rm(join(dir, previous), { force: true });
      }
    },
    async delete(keys) {
      const existing = await files();
      for (const key of keys) {
        const name = existing.get(key);
        if (name !== undefined) await rm(join(dir, name), { force: true });
      }
    },
    async entries(prefix) {
      const matching = [...(await files())]
        .filter(([key]) => key.startsWith(prefix))
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return Promise.all(
        matching.map(async ([key, name]): Promise<[string, EdgeStoredValue]> => [key, await read(name)]),
      );
    },
  };
}
