// Shared CLI output helpers: JSON to a file or stdout, and progress lines only on a terminal.

import { writeFileAtomic } from "../internal/fs.js";

/** Writes `value` as pretty JSON to `target` (a path, or "-" for stdout). */
export async function writeJsonOutput(target: string, value: unknown): Promise<void> {
  const text = `${JSON.stringify(value, null, 2)}\n`;
  if (target === "-") process.stdout.write(text);
  else await writeFileAtomic(target, text);
}

/** Progress reporter: rewrites one status line on a TTY stderr, stays silent in pipes. */
export function createProgress(enabled = process.stderr.isTTY === true): {
  update(line: string): void;
  done(): void;
} {
  let shown = false;
  return {
    update(line: string) {
      if (!enabled) return;
      process.stderr.write(`\r\x1b[2K${line}`);
      shown = true;
    },
    done() {
      if (enabled && shown) process.stderr.write("\n");
      shown = false;
    },
  };
}
