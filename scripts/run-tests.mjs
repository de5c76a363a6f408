// Runs every test file under test/ with Node's own test runner (TypeScript through tsx).
// Usage: node scripts/run-tests.mjs [--fast] [substring-filter]
//   --fast  leaves out the files that need Postgres, Redis, Chromium or node-llama-cpp, found by their imports
//           (see `needs` below), and says which and why.
// With CI=true a run that skipped any test or suite fails and names them: CI must run everything.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";

/**
 * What a test file needs when it imports one of these, directly or through another file under test/. A test that
 * needs a service imports its probe (services.ts, chromium.ts) or its model writer (tiny-gguf.ts), so this list
 * names the helpers, not the tests, and a new test lands on the right side without anyone editing it.
 */
const needs = new Map([
  ["test/helpers/services.ts", "Postgres or Redis"],
  ["test/helpers/chromium.ts", "Chromium"],
  ["playwright-core", "Chromium"],
  ["test/helpers/tiny-gguf.ts", "node-llama-cpp (a GGUF model)"],
  ["node-llama-cpp", "node-llama-cpp (a GGUF model)"],
]);

function collect(dir) {
  const found = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...collect(path));
    else if (name.endsWith(".test.ts")) found.push(path);
  }
  return found;
}

const args = process.argv.slice(2);
const fast = args.includes("--fast");
const unknownFlag = args.find((arg) => arg.startsWith("--") && arg !== "--fast");
if (unknownFlag !== undefined) {
  console.error(`unknown flag ${unknownFlag}; usage: node scripts/run-tests.mjs [--fast] [substring-filter]`);
  process.exit(2);
}
const filter = args.find((arg) => !arg.startsWith("--"));
let files = collect("test").filter((file) => filter === undefined || file.includes(filter));
if (files.length === 0) {
  console.error(`no test files matched${filter ? ` "${filter}"` : ""}`);
  process.exit(1);
}
if (fast) files = await leaveOutServiceTests(files);

const reportFolder = mkdtempSync(join(tmpdir(), "slmkit-test-report-"));
const tapReport = join(reportFolder, "report.tap");
const result = spawnSync(
  process.execPath,
  [
    "--import",
    "tsx",
    "--test",
    "--test-reporter=spec",
    "--test-reporter-destination=stdout",
    // A second report, read below: the spec reporter's summary counts a skipped suite as no skip at all.
    "--test-reporter=tap",
    `--test-reporter-destination=${tapReport}`,
    "--test-concurrency=2",
    ...files,
  ],
  { stdio: "inherit" },
);
let status = result.status ?? 1;
if (process.env.CI === "true" && existsSync(tapReport)) {
  const skipped = skippedIn(readFileSync(tapReport, "utf8"));
  if (skipped.length > 0) {
    console.error(`\nCI=true: ${skipped.length} skipped, and CI must run every test:`);
    for (const line of skipped) console.error(`  ${line}`);
    status = 1;
  }
}
rmSync(reportFolder, { recursive: true, force: true });
process.exit(status);

/** The tests and suites a TAP report marks `# SKIP`, with their reasons. */
function skippedIn(tap) {
  return tap
    .split("\n")
    .map((line) => /^\s*(?:not )?ok \d+ - (.*?) # SKIP\b\s*(.*)$/.exec(line))
    .filter((match) => match !== null)
    .map((match) => (match[2] ? `${match[1]} (${match[2]})` : match[1]));
}

/** Drops the files that need a service (`needs`), printing how many and why. */
async function leaveOutServiceTests(candidates) {
  // Loaded only here: the plain run has no need for the compiler.
  const { default: ts } = await import("typescript");
  const root = process.cwd();
  const needsOf = new Map();

  /** Value imports of a file (type-only imports need nothing at run time), as repository paths or package names. */
  function importsOf(file) {
    const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest);
    const specifiers = [];
    const visit = (node) => {
      if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly) {
        specifiers.push(node.moduleSpecifier.text);
      } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && !node.isTypeOnly) {
        specifiers.push(node.moduleSpecifier.text);
      } else if (
        ts.isCallExpression(node) &&
        node.expression.kind === ts.SyntaxKind.ImportKeyword &&
        node.arguments[0] !== undefined &&
        ts.isStringLiteral(node.arguments[0])
      ) {
        specifiers.push(node.arguments[0].text);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
    return specifiers.map((specifier) => {
      if (!specifier.startsWith(".")) return specifier;
      const path = relative(root, resolve(dirname(file), specifier))
        .split("\\")
        .join("/");
      return path.replace(/\.js$/, ".ts");
    });
  }

  /** What a file needs: its own imports' needs and those of the test/ files it imports (src/ is not followed). */
  function needsOfFile(file) {
    const known = needsOf.get(file);
    if (known !== undefined) return known;
    const found = new Set();
    needsOf.set(file, found);
    for (const imported of importsOf(file)) {
      const need = needs.get(imported);
      if (need !== undefined) found.add(need);
      if (imported.startsWith("test/") && imported.endsWith(".ts") && existsSync(imported)) {
        for (const inherited of needsOfFile(imported)) found.add(inherited);
      }
    }
    return found;
  }

  const kept = [];
  const leftOut = new Map();
  for (const file of candidates) {
    const fileNeeds = [...needsOfFile(file)];
    if (fileNeeds.length === 0) {
      kept.push(file);
      continue;
    }
    const why = fileNeeds.sort().join(" and ");
    leftOut.set(why, [...(leftOut.get(why) ?? []), file]);
  }
  const leftOutCount = candidates.length - kept.length;
  console.log(`--fast: running ${kept.length} of ${candidates.length} test files; left out ${leftOutCount}:`);
  for (const [why, leftOutFiles] of leftOut) {
    const verb = leftOutFiles.length === 1 ? "needs" : "need";
    console.log(`  ${leftOutFiles.length} ${verb} ${why}: ${leftOutFiles.join(", ")}`);
  }
  if (kept.length === 0) {
    console.error("no test files left to run");
    process.exit(1);
  }
  return kept;
}
