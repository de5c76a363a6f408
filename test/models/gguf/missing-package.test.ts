import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { writeTinyGguf } from "../../helpers/tiny-gguf.js";

const repositoryRoot = fileURLToPath(new URL("../../..", import.meta.url));
let dir: string;
let modelPath: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "slmkit-gguf-missing-"));
  modelPath = join(dir, "tiny.gguf");
  await writeTinyGguf(modelPath, { seed: 1 });
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

// A resolve hook that answers as Node does when a package is not installed: the optional peer dependency is absent.
const hideHook = `export async function resolve(specifier, context, next) {
  if (specifier === "node-llama-cpp") {
    const error = new Error("Cannot find package 'node-llama-cpp'");
    error.code = "ERR_MODULE_NOT_FOUND";
    throw error;
  }
  return next(specifier, context);
}`;
const registerHook = `import { register } from "node:module"; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hideHook)}`)});`;

test("without node-llama-cpp installed, loading a GGUF model says how to install it", () => {
  const script = `
    import { loadGgufModel } from "./src/models/gguf/index.js";
    try {
      await loadGgufModel(${JSON.stringify(modelPath)}, { labels: [{ name: "a" }, { name: "b" }] });
      console.log(JSON.stringify({ loaded: true }));
    } catch (error) {
      console.log(JSON.stringify({ code: error.code, message: error.message }));
    }`;
  const child = spawnSync(
    process.execPath,
    [
      "--import",
      `data:text/javascript,${encodeURIComponent(registerHook)}`,
      "--import",
      "tsx",
      "--input-type=module",
      "--eval",
      script,
    ],
    { cwd: repositoryRoot, encoding: "utf8" },
  );
  assert.equal(child.status, 0, child.stderr);
  const outcome = JSON.parse(child.stdout.trim().split("\n").at(-1) ?? "{}");
  assert.equal(outcome.code, "NOT_SUPPORTED");
  assert.equal(
    outcome.message,
    "GGUF models need the optional package node-llama-cpp: npm i -E node-llama-cpp@3.21.1",
  );
});
