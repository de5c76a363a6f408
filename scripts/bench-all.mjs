// `npm run bench:all`: every benchmark of package.json (`bench` and `bench:*`) in sequence, one at a time, then the
// README's figures rendered from the results. Says what each wrote, and what it could not run and why: a bench
// that failed or wrote no result, a result that is not for committing (dirty tree), a part left out (fastText or
// wrk missing), a machine other processes kept busy. Exits 1 when any bench failed or wrote nothing.
//
// Usage: npm run bench:all [-- --only bench,bench:serve] [--skip bench:gguf] [--list]

import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = fileURLToPath(new URL("..", import.meta.url));
const resultsDir = join(root, "bench", "results");
const localDir = join(resultsDir, "local");

const { values } = parseArgs({
  options: {
    only: { type: "string" },
    skip: { type: "string" },
    list: { type: "boolean", default: false },
  },
  strict: true,
});

/** The bench scripts of package.json, in its order: `bench` and every `bench:<name>` but this one. */
function benchScripts() {
  const scripts = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).scripts ?? {};
  return Object.keys(scripts).filter(
    (name) => (name === "bench" || name.startsWith("bench:")) && name !== "bench:all",
  );
}

const names = (text) =>
  text === undefined
    ? []
    : text
        .split(",")
        .map((name) => name.trim())
        .filter(Boolean);
const all = benchScripts();
const only = names(values.only);
const skip = names(values.skip);
for (const name of [...only, ...skip]) {
  if (!all.includes(name)) {
    console.error(`unknown bench "${name}"; package.json has: ${all.join(", ")}`);
    process.exit(2);
  }
}
const chosen = all.filter((name) => (only.length === 0 || only.includes(name)) && !skip.includes(name));
if (values.list) {
  console.log(all.map((name) => `${name}${chosen.includes(name) ? "" : " (left out)"}`).join("\n"));
  process.exit(0);
}

/** Every result file with its modification time, to tell which ones a bench wrote. */
function resultFiles() {
  const files = new Map();
  for (const dir of [resultsDir, localDir]) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      if (name.endsWith(".json")) files.set(join(dir, name), statSync(join(dir, name)).mtimeMs);
    }
  }
  return files;
}

/** What one result file says about itself: where it may go, what it left out, how busy the machine was. */
function describeResult(file) {
  const notes = [];
  let result;
  try {
    result = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    return [`cannot read it: ${error.message}`];
  }
  if (file.startsWith(localDir)) notes.push("NOT for committing (kept under local/)");
  else if (!result.git?.commit || result.git?.dirty !== false) notes.push("records no clean commit");
  for (const part of result.notRun ?? []) notes.push(`not run: ${part}`);
  const load = result.load;
  if (load?.othersBusy === true)
    notes.push(`machine busy: others used ${load.otherCores.toFixed(2)} of ${result.machine?.cores} cores`);
  return notes;
}

const gitStatus = spawnSync("git", ["status", "--porcelain", "--", ".", ":(exclude)bench/results"], {
  cwd: root,
  encoding: "utf8",
});
if (gitStatus.status === 0 && gitStatus.stdout.trim() !== "") {
  console.error(
    "bench:all: the tree has uncommitted changes, so every result goes to bench/results/local/ and none can be committed:",
  );
  console.error(gitStatus.stdout.trimEnd());
}
console.error(
  `bench:all: ${chosen.join(", ")}${skip.length > 0 ? ` (left out on request: ${skip.join(", ")})` : ""}\n`,
);

const outcomes = [];
for (const name of chosen) {
  console.error(`\n━━ npm run ${name} ━━`);
  const before = resultFiles();
  const started = performance.now();
  const run = spawnSync("npm", ["run", "--silent", name], { cwd: root, stdio: "inherit" });
  const seconds = (performance.now() - started) / 1000;
  const written = [...resultFiles()].filter(([file, at]) => before.get(file) !== at).map(([file]) => file);
  outcomes.push({ name, code: run.status ?? run.signal ?? run.error?.message, seconds, written });
}

console.log("\nbench:all summary");
let failed = false;
for (const outcome of outcomes) {
  const ok = outcome.code === 0;
  if (!ok || outcome.written.length === 0) failed = true;
  console.log(
    `  ${outcome.name}: ${ok ? "ok" : `FAILED (exit ${outcome.code})`} in ${outcome.seconds.toFixed(0)} s`,
  );
  if (outcome.written.length === 0) console.log("    wrote no result file");
  for (const file of outcome.written) {
    const notes = describeResult(file);
    console.log(`    ${relative(root, file)}${notes.length === 0 ? "" : `: ${notes.join("; ")}`}`);
  }
}
for (const name of skip) console.log(`  ${name}: left out (--skip)`);

console.log("\nrendering the README's figures from bench/results/ (npm run figures)…");
const render = spawnSync("npm", ["run", "--silent", "figures"], { cwd: root, stdio: "inherit" });
if (render.status !== 0) failed = true;
process.exit(failed ? 1 : 0);
