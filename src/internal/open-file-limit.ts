// The process's limit on open files (sockets included), where the system says it: Linux's /proc/self/limits.

import { readFileSync } from "node:fs";

/**
 * The soft limit on open file descriptors (Node raises it to the hard limit at start), or undefined where it cannot be
 * read (not Linux, or "unlimited").
 */
export function openFileLimit(): number | undefined {
  let limits: string;
  try {
    limits = readFileSync("/proc/self/limits", "utf8");
  } catch {
    return undefined;
  }
  const soft = /^Max open files\s+(\d+)/m.exec(limits)?.[1];
  return soft === undefined ? undefined : Number(soft);
}
