// Crash-safe file output: write to a temporary sibling, then rename, so no half-written file is ever seen.

import { randomBytes } from "node:crypto";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { SlmkitError } from "../errors.js";

/** Writes `data` to `path` atomically, creating parent folders. Errors name the path. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(temporary, data);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new SlmkitError(
      "IO_ERROR",
      `cannot write ${path}: ${(error as Error).message}. Check that the folder exists and is writable.`,
      { file: path, cause: error },
    );
  }
}

/**
 * Builds a directory atomically: `build` fills a temporary sibling folder, which then replaces `path`.
 * On any error the temporary folder is removed and `path` is left as it was.
 */
export async function writeDirectoryAtomic(
  path: string,
  build: (temporaryPath: string) => Promise<void>,
): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  const previous = `${temporary}.old`;
  try {
    await mkdir(temporary, { recursive: true });
  } catch (error) {
    throw new SlmkitError(
      "IO_ERROR",
      `cannot create ${dirname(path)}: ${(error as Error).message}. Check that the path is writable.`,
      { file: path, cause: error },
    );
  }
  try {
    await build(temporary);
    let moved = false;
    try {
      await rename(path, previous);
      moved = true;
    } catch {
      // `path` did not exist yet.
    }
    await rename(temporary, path);
    if (moved) await rm(previous, { recursive: true, force: true });
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    if (SlmkitError.isInstance(error)) throw error;
    throw new SlmkitError("IO_ERROR", `cannot write ${path}: ${(error as Error).message}`, {
      file: path,
      cause: error,
    });
  }
}
