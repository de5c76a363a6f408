// Builds dist/edge/slmkit-edge.js: the edge runtime (src/edge/index.ts and all it reaches) as one minified ES module
// with no imports, for pages that load it without a bundler. Run by `npm run build`; tests and bench:edge build the
// same module in memory with `buildEdgeModule`.
import { mkdir, rename, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import esbuild from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
export const edgeModulePath = `${root}dist/edge/slmkit-edge.js`;

/** The module's text: neutral platform (no Node built-ins resolve), ES2022 as the TypeScript build targets. */
export async function buildEdgeModule() {
  const result = await esbuild.build({
    entryPoints: [`${root}src/edge/index.ts`],
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    minify: true,
    legalComments: "none",
    write: false,
  });
  const text = result.outputFiles[0].text;
  return { text, bytes: Buffer.byteLength(text), gzipBytes: gzipSync(text, { level: 9 }).length };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const built = await buildEdgeModule();
  await mkdir(`${root}dist/edge`, { recursive: true });
  // Written beside and renamed over, so a server reading dist/ never serves half a module.
  const temporary = `${edgeModulePath}.${process.pid}.tmp`;
  await writeFile(temporary, built.text);
  await rename(temporary, edgeModulePath);
  console.log(
    `build-edge: dist/edge/slmkit-edge.js ${(built.bytes / 1000).toFixed(1)} KB minified, ${(built.gzipBytes / 1000).toFixed(1)} KB gzipped`,
  );
}
