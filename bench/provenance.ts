// Where a bench's figures come from: the commit, and whether the tree had changes (a results file from a dirty
// tree is not committed). For bench:edge; classifier.ts and serve-report.ts keep their own copy for now.

import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const repositoryRoot = fileURLToPath(new URL("..", import.meta.url));

/**
 * The checked-out commit and whether the tree differs from it. A worktree's `node_modules` symlink (to the main
 * checkout's) is not a change: .gitignore's `node_modules/` names a folder and does not match a symlink.
 */
export function gitState(): { commit: string | null; dirty: boolean | null } {
  const head = spawnSync("git", ["rev-parse", "HEAD"], { cwd: repositoryRoot, encoding: "utf8" });
  const status = spawnSync("git", ["status", "--porcelain"], { cwd: repositoryRoot, encoding: "utf8" });
  const changes = status.stdout
    .split("\n")
    .filter((line) => line.trim() !== "" && line !== "?? node_modules");
  return {
    commit: head.status === 0 ? head.stdout.trim() : null,
    dirty: status.status === 0 ? changes.length > 0 : null,
  };
}
