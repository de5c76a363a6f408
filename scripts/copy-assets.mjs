// Copies the files tsc does not emit (the dashboard's HTML, CSS and browser JavaScript) from src/ into dist/.
import { cp, readdir, rename, rm } from "node:fs/promises";
import { fileURLToPath } from "node:url";

/** Folders under src/ whose files are served as they are; each lands at the same place under dist/. */
const assetFolders = ["serve/dashboard/public"];

const root = fileURLToPath(new URL("..", import.meta.url));
for (const folder of assetFolders) {
  const from = `${root}src/${folder}`;
  const to = `${root}dist/${folder}`;
  // Copied beside the target and renamed over it, so a server reading dist/ never sees half a folder.
  const temporary = `${to}.${process.pid}.tmp`;
  await rm(temporary, { recursive: true, force: true });
  await cp(from, temporary, { recursive: true });
  await rm(to, { recursive: true, force: true });
  await rename(temporary, to);
  console.log(`copy-assets: ${(await readdir(to)).length} files to dist/${folder}`);
}
