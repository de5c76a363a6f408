// Keeps the house's structure (docs/architecture.md): layers point down, functions stay short, node-llama-cpp
// stays in models/gguf/, and the edge core uses no Node API. Part of `npm run lint`; prints every breach.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const root = fileURLToPath(new URL("..", import.meta.url));
const src = join(root, "src");

/**
 * The layers, lowest first: a folder (or top-level file) of src/ imports only from layers below its own. The
 * ground (types, errors, config, internal) may import within itself.
 */
const layers = [
  ["types", "errors", "config", "internal"],
  ["text"],
  ["spec"],
  ["data"],
  ["store", "cache"],
  ["models"],
  ["eval"],
  ["monitor"],
  ["train"],
  ["cost"],
  ["route", "edge"],
  ["serve"],
  ["cli"],
  ["index"],
];
const rankOf = new Map(layers.flatMap((names, rank) => names.map((name) => [name, rank])));

/** Longest function, in lines (the declaration through its closing brace). */
const maxFunctionLines = 150;

/**
 * What the edge runtime may import: the closure of its entry's imports must use no Node API, so the same code
 * predicts in browsers, workers and React Native.
 */
const edgeEntries = ["src/edge/index.ts"];
const nodeGlobals = /\b(Buffer|process|require|__dirname|__filename|setImmediate)\b/;

function collect(dir) {
  const found = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...collect(path));
    else if (name.endsWith(".ts")) found.push(path);
  }
  return found;
}

function layerOf(path) {
  const first = relative(src, path).split("/")[0];
  return first.replace(/\.(ts|js)$/, "");
}

function functionName(node) {
  if (node.name !== undefined) return node.name.getText();
  const parent = node.parent;
  if (parent !== undefined && (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)))
    return parent.name.getText();
  return "(anonymous)";
}

const problems = [];
const importsOf = new Map();
const sources = new Map();
for (const file of collect(src)) {
  const text = readFileSync(file, "utf8");
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  sources.set(file, source);
  const where = relative(root, file);
  const imports = [];
  const visit = (node) => {
    const isImport = ts.isImportDeclaration(node) || ts.isExportDeclaration(node);
    if (isImport && node.moduleSpecifier !== undefined && ts.isStringLiteral(node.moduleSpecifier)) {
      const typeOnly = node.importClause?.isTypeOnly === true || node.isTypeOnly === true;
      imports.push({ specifier: node.moduleSpecifier.text, node, typeOnly });
    }
    if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] !== undefined &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      imports.push({ specifier: node.arguments[0].text, node, typeOnly: false });
    }
    if (
      ts.isFunctionDeclaration(node) ||
      ts.isFunctionExpression(node) ||
      ts.isArrowFunction(node) ||
      ts.isMethodDeclaration(node) ||
      ts.isConstructorDeclaration(node)
    ) {
      const start = source.getLineAndCharacterOfPosition(node.getStart()).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = end - start + 1;
      if (lines > maxFunctionLines) {
        problems.push(
          `${where}:${start + 1}: ${functionName(node)} is ${lines} lines; split it into named parts of at most ${maxFunctionLines}`,
        );
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  importsOf.set(file, imports);

  for (const { specifier, node } of imports) {
    const line = source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
    if (specifier === "node-llama-cpp" || specifier.startsWith("node-llama-cpp/")) {
      if (!relative(src, file).startsWith("models/gguf/"))
        problems.push(`${where}:${line}: only src/models/gguf/ may import node-llama-cpp`);
    }
    if (!specifier.startsWith(".")) continue;
    const target = resolve(dirname(file), specifier);
    const from = layerOf(file);
    const to = layerOf(target);
    if (from === to) continue;
    const fromRank = rankOf.get(from);
    const toRank = rankOf.get(to);
    if (fromRank === undefined) {
      problems.push(`${where}: src/${from} is in no layer; add it to scripts/check-structure.mjs and docs`);
      break;
    }
    if (toRank === undefined || toRank > fromRank || (toRank === fromRank && fromRank !== 0)) {
      problems.push(
        `${where}:${line}: ${from}/ imports ${specifier}, from ${to}/, which is not below it (layers: docs/architecture.md)`,
      );
    }
  }
}

// The edge core: every file the edge entry reaches, through value imports (types vanish at build time).
for (const entry of edgeEntries) {
  const start = join(root, entry);
  if (!sources.has(start)) continue;
  const seen = new Set();
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.pop();
    if (seen.has(file)) continue;
    seen.add(file);
    const source = sources.get(file);
    const where = relative(root, file);
    for (const { specifier, node, typeOnly } of importsOf.get(file) ?? []) {
      if (typeOnly) continue;
      const line = source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
      if (specifier.startsWith(".")) {
        const target = resolve(dirname(file), specifier).replace(/\.js$/, ".ts");
        if (sources.has(target)) queue.push(target);
      } else {
        problems.push(
          `${where}:${line}: the edge core (reached from ${entry}) imports "${specifier}"; it must run without Node or packages`,
        );
      }
    }
    const text = source.getFullText();
    const code = text.replace(/\/\/.*$/gm, "").replace(/\/\*[\s\S]*?\*\//g, "");
    const match = nodeGlobals.exec(code);
    if (match !== null) {
      const line = code.slice(0, match.index).split("\n").length;
      problems.push(
        `${where}:${line}: the edge core uses ${match[1]}, a Node API; keep Node-only code out of it`,
      );
    }
  }
}

if (problems.length > 0) {
  console.error(`check-structure: ${problems.length} problem${problems.length === 1 ? "" : "s"}`);
  for (const problem of problems) console.error(`  ${problem}`);
  process.exit(1);
}
console.log(`check-structure: ${sources.size} files keep the layers, the function length and the edge core`);
