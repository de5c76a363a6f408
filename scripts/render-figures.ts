// `npm run figures`: renders the README's figures from bench/results/*.json into the marked regions of README.md
// and bench/README.md (`<!-- figures:<name> -->` … `<!-- /figures -->`), so no figure there is typed by hand.
// `--check` changes nothing and exits 1 when a document differs from what the results give (test/scripts runs it).
//
// Usage: node --import tsx scripts/render-figures.ts [--check]

import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const repositoryRoot = fileURLToPath(new URL("..", import.meta.url));
export const resultsDir = join(repositoryRoot, "bench", "results");
/** The documents holding rendered regions, relative to the repository. */
export const documents = ["README.md", "bench/README.md"] as const;

/** Every committed result by its file name without `.json` (local/ is never read: nothing there is committed). */
export type Results = Record<string, unknown>;

export function loadResults(dir = resultsDir): Results {
  const results: Results = {};
  if (!existsSync(dir)) return results;
  for (const name of readdirSync(dir).sort()) {
    if (!name.endsWith(".json")) continue;
    results[name.slice(0, -".json".length)] = JSON.parse(readFileSync(join(dir, name), "utf8")) as unknown;
  }
  return results;
}

// ---------------------------------------------------------------------------------------------------------
// Reading a result: a path into untyped JSON, so an older result missing a field renders "–", never throws

/** `path` is dot-separated, or an array of keys when a key holds a dot. */
function at(value: unknown, path: string | readonly string[]): unknown {
  let current = value;
  for (const key of typeof path === "string" ? path.split(".") : path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function num(value: unknown, path: string | readonly string[]): number | null {
  const found = at(value, path);
  return typeof found === "number" && Number.isFinite(found) ? found : null;
}

function list(value: unknown, path: string): unknown[] {
  const found = at(value, path);
  return Array.isArray(found) ? found : [];
}

const dash = "–";
const fixed = (value: number | null, digits: number) => (value === null ? dash : value.toFixed(digits));
const whole = (value: number | null) => (value === null ? dash : Math.round(value).toLocaleString("en-US"));
const percent = (share: number | null, digits = 1) =>
  share === null ? dash : `${(share * 100).toFixed(digits)}%`;
const times = (value: number | null, digits = 2) => (value === null ? dash : `${value.toFixed(digits)}×`);
const megabytes = (bytes: number | null) =>
  bytes === null ? dash : (bytes / 1e6).toFixed(bytes < 10e6 ? 1 : 0);
const ratioOf = (a: number | null, b: number | null) => (a === null || b === null || b === 0 ? null : a / b);
const points = (value: number | null) =>
  value === null ? dash : `${value >= 0 ? "+" : "−"}${Math.abs(value).toFixed(1)} points`;

/** Where a result came from, in one phrase: its file, commit, date and how busy the machine was. */
export function provenanceOf(result: unknown, name: string): string {
  const file = `\`bench/results/${name}.json\``;
  const commit = at(result, "git.commit") as string;
  if (!hasProvenance(result)) {
    return `${file} records no commit on a clean tree with its machine's load (it predates bench/provenance.ts), so its figures cannot be traced to code; rerun the bench`;
  }
  const date = typeof at(result, "date") === "string" ? (at(result, "date") as string).slice(0, 10) : dash;
  const others = num(result, "load.otherCores");
  const cores = num(result, "machine.cores");
  const busy = at(result, "load.othersBusy") === true;
  const machine = `${whole(cores)} × ${String(at(result, "machine.model") ?? "unknown CPU")}, Node ${String(at(result, "node") ?? dash)}`;
  const load =
    others === null
      ? "load unknown"
      : busy
        ? `**machine busy**: other processes used ${fixed(others, 2)} of ${whole(cores)} cores`
        : `quiet: other processes used ${fixed(others, 2)} cores`;
  return `${file}, commit \`${commit.slice(0, 10)}\`, ${date}, ${machine}; ${load}`;
}

/** Written by bench/provenance.ts from a clean tree: a commit, `dirty: false` and the run's load. */
function hasProvenance(result: unknown): boolean {
  const load = at(result, "load");
  return (
    typeof at(result, "git.commit") === "string" &&
    at(result, "git.dirty") === false &&
    load !== null &&
    typeof load === "object"
  );
}

/** A markdown table with columns padded to their widest cell; the first column left-aligned. */
export function markdownTable(rows: readonly (readonly string[])[]): string {
  const widths = (rows[0] ?? []).map((_, column) =>
    Math.max(3, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (row: readonly string[]) =>
    `| ${row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(" | ")} |`;
  const rule = `| ${widths.map((width) => "-".repeat(width)).join(" | ")} |`;
  const [header, ...body] = rows;
  return [line(header ?? []), rule, ...body.map(line)].join("\n");
}

// ---------------------------------------------------------------------------------------------------------
// README.md: the classifier comparison

const coverageKeys = ["0.95", "0.97", "0.99"] as const;

function renderClassifier(results: Results): string {
  const name = "classifier-banking77";
  const result = results[name];
  if (result === undefined || !hasProvenance(result) || list(result, "comparison").length === 0) {
    return `No committed result of the current classifier bench (\`bench/results/${name}.json\`, with fastText fed as its tutorial feeds it, a bucket sized for the data and the same autotune budget): run \`npm run bench\` on a quiet machine and commit what it writes.`;
  }
  const rows = list(result, "comparison");
  const byId = (id: string) => rows.find((row) => at(row, "id") === id);
  const table = markdownTable([
    [
      "system",
      "test accuracy",
      "coverage at 95 / 97 / 99%, thresholds on test",
      "the same, thresholds chosen on valid",
      "train s (process wall)",
      "peak MB",
      "model MB",
      "texts/s",
    ],
    ...rows.map((row) => [
      String(at(row, "system")),
      fixed(num(row, "accuracy"), 3),
      coverageKeys.map((key) => fixed(num(row, ["coverageAt", key]), 3)).join(" / "),
      coverageKeys.map((key) => fixed(num(row, ["atValidationThresholds", key, "coverage"]), 3)).join(" / "),
      fixed(num(row, "trainWallSeconds"), 1),
      megabytes(num(row, "peakRssBytes")),
      megabytes(num(row, "modelBytes")),
      `${whole(num(row, "textsPerSec"))}${at(row, "textsPerSecIncludesProcessStart") === true ? "*" : ""}`,
    ]),
  ]);
  const native = byId("native");
  const b = byId("fasttext-b");
  const defaultBucket = byId("fasttext-b-default-bucket");
  const tunedNative = byId("native-autotune");
  const tunedFastText = byId("fasttext-autotune");
  const data = (key: string) => whole(num(result, `data.${key}`));
  const sizedBucket = num(
    list(result, "fastText.runs").find((entry) => at(entry, "id") === "b"),
    "bucket",
  );
  const bullets = [
    `- At the threshold each system chose on validation for 97%: native accepts ${percent(num(native, ["atValidationThresholds", "0.97", "coverage"]))} of test at ${fixed(num(native, ["atValidationThresholds", "0.97", "acceptedAccuracy"]), 3)} accepted accuracy, fastText (b) ${percent(num(b, ["atValidationThresholds", "0.97", "coverage"]))} at ${fixed(num(b, ["atValidationThresholds", "0.97", "acceptedAccuracy"]), 3)}.`,
    `- Training, both as process wall time (start → model written): native ${times(num(result, "ratios.trainWallSeconds"))} fastText (b)'s time, ${times(num(result, "ratios.peakMemory"))} its peak memory, ${times(num(result, "ratios.modelSizeInt8"), 3)} its model size as int8.`,
    defaultBucket === undefined
      ? ""
      : `- fastText's default 2M buckets instead of ${whole(sizedBucket)} sized for the data: a ${megabytes(num(defaultBucket, "modelBytes"))} MB model and ${megabytes(num(defaultBucket, "peakRssBytes"))} MB peak (sized: ${megabytes(num(b, "modelBytes"))} MB, ${megabytes(num(b, "peakRssBytes"))} MB), test accuracy ${fixed(num(defaultBucket, "accuracy"), 3)} vs ${fixed(num(b, "accuracy"), 3)}.`,
    tunedNative === undefined || tunedFastText === undefined
      ? ""
      : `- Both tuned on valid for ${whole(num(result, "options.autotuneSeconds"))} s (\`train --autotune\`, fastText's \`-autotune-validation\`): native ${fixed(num(tunedNative, "accuracy"), 3)}, fastText ${fixed(num(tunedFastText, "accuracy"), 3)} test accuracy (${points(num(result, "ratios.autotuneAccuracyPoints"))}); process wall ${fixed(num(tunedNative, "trainWallSeconds"), 1)} s vs ${fixed(num(tunedFastText, "trainWallSeconds"), 1)} s.`,
    `- Single prediction in-process: p50 ${fixed(num(result, "native.latencyMs.p50"), 3)} ms, p99 ${fixed(num(result, "native.latencyMs.p99"), 3)} ms; the logits in WebAssembly SIMD ${times(ratioOf(num(result, "native.logitsMicroseconds.javascript"), num(result, "native.logitsMicroseconds.webAssembly")))} as fast as the JavaScript loop, bit for bit the same.`,
    `- Unknown intents (${whole(list(result, "unknownIntents.heldOutLabels").length)} labels held out of training): ${percent(num(result, "unknownIntents.outOfScope.escalatedShare"))} of their test items fall below the threshold and would be escalated (target 80%).`,
  ];
  return [
    `banking77 (\`../shared/datasets/banking77\`: ${data("train")} train, ${data("valid")} valid, ${data("test")} test, ${data("labels")} intents); from ${provenanceOf(result, name)}.`,
    "",
    table,
    "",
    "\\* fastText's texts/s include starting the process and loading the model (`predict-prob` over the test file).",
    "",
    ...bullets.filter((bullet) => bullet !== ""),
  ].join("\n");
}

// ---------------------------------------------------------------------------------------------------------
// README.md: the other benchmarks, one row each

interface BenchRow {
  command: string;
  what: string;
  result: string;
  figures: (result: unknown) => string;
}

const benchRows: BenchRow[] = [
  {
    command: "npm run bench:extractor",
    what: "native extractor on restaurant8k (8,198 train, 3,731 test)",
    result: "extractor-restaurant8k",
    figures: (r) =>
      `exact span F1 **${fixed(num(r, "spanF1"), 4)}** (overlap ${fixed(num(r, "spanF1Overlap"), 3)}; the datasets README's averaged perceptron: 0.924), trained in ${fixed(num(r, "trainSeconds"), 1)} s, record coverage at 97%: ${fixed(num(r, ["coverageAt", "0.97"]), 3)}, ${megabytes(num(r, "modelBytes"))} MB; ${whole(num(r, "dataNotes.overlapsResolved"))} overlapping spans resolved in train`,
  },
  {
    command: "npm run bench:serve",
    what: "the gateway on loopback against bare Fastify and node:http routes (all plain node on JavaScript), with a stand-in LLM",
    result: "serve",
    figures: (r) => {
      const cpu = (key: string) => whole(num(r, `ratios.serverCpuMicrosecondsPerRequest.${key}`));
      const steady = list(r, "steady");
      const gateway = steady.find((run) => at(run, "server") === "gateway");
      const bare = steady.find((run) => at(run, "server") === "bare");
      return [
        `peak **${times(num(r, "ratios.peakGatewayOverFastify"))}** bare Fastify (server CPU per request: gateway ${cpu("peakGateway")} µs, bare Fastify ${cpu("peakBareFastify")} µs; target 0.5×)`,
        `small-model answers at 500 req/s p50 ${fixed(num(gateway, "latencyMs.p50"), 2)} ms, p99 ${fixed(num(gateway, "latencyMs.p99"), 2)} ms (bare Fastify ${fixed(num(bare, "latencyMs.p50"), 2)} / ${fixed(num(bare, "latencyMs.p99"), 2)} ms)`,
        `cache hit p99 ${fixed(num(r, "cache.latencyMs.p99"), 2)} ms`,
        `escalation adds ${times(num(r, "escalation.overProxy.p50"))} (p50) and ${times(num(r, "escalation.overProxy.p99"))} (p99) what a minimal forwarding proxy adds (target 1.5×), ${cpu("escalationGateway")} µs of gateway CPU each`,
        num(r, "soak.seconds") === null
          ? "no soak in this run"
          : `soak ${whole(num(r, "soak.seconds"))} s: RSS ${percent(num(r, "soak.rss.growth"))} (target ≤ 10%), ${whole(num(r, "soak.rows.rows"))} log rows for ${whole(num(r, "soak.rows.sent"))} requests`,
        `the brief's example: **${percent(num(r, "example.localShare"))} answered locally** at ${fixed(num(r, "example.localAccuracy"), 3)} accuracy, **${times(num(r, "example.costRatio"))} the cost of LLM-only**`,
        // The run as a whole may look quiet while single phases were not: say so, the suffix covers the rest.
        at(r, "machineBusy.busy") === true && at(r, "load.othersBusy") !== true
          ? `other processes were busy during ${list(r, "machineBusy.busyPhases").length} phases (\`machineBusy\` in the JSON)`
          : "",
      ]
        .filter((part) => part !== "")
        .join("; ");
    },
  },
  {
    command: "npm run bench:escalation",
    what: "escalation layer by layer against a stand-in LLM (20 ms), and through a minimal forwarding proxy",
    result: "escalation",
    figures: (r) =>
      `gateway adds p50 ${fixed(num(r, "proxyComparison.gatewayOverheadMs.p50"), 2)} ms, p99 ${fixed(num(r, "proxyComparison.gatewayOverheadMs.p99"), 2)} ms; the proxy ${fixed(num(r, "proxyComparison.proxyOverheadMs.p50"), 2)} / ${fixed(num(r, "proxyComparison.proxyOverheadMs.p99"), 2)} ms: **${times(num(r, "proxyComparison.ratio.p50"))} / ${times(num(r, "proxyComparison.ratio.p99"))}** (target ≤ 1.5×); gateway CPU ${fixed(num(r, "proxyComparison.gatewayCpuMsPerEscalation"), 2)} ms per escalation (proxy ${fixed(num(r, "proxyComparison.proxyCpuMsPerRequest"), 2)} ms)`,
  },
  {
    command: "npm run bench:distill",
    what: "teacher trained on half of banking77's train labels the other half; native student",
    result: "distill-banking77",
    figures: (r) => {
      const calls = (variant: string) => num(r, `variants.${variant}.teacherCalls`);
      const more = ratioOf(calls("augment1"), calls("default"));
      return `student ${fixed(num(r, "variants.default.studentAccuracy"), 3)} vs teacher ${fixed(num(r, "variants.default.teacherAccuracy"), 3)}: **${percent(num(r, "variants.default.accuracyRatio"))}** of the teacher (target 98%); hard labels alone ${percent(num(r, "variants.hardLabels.accuracyRatio"))}; \`--augment 1\` ${percent(num(r, "variants.augment1.accuracyRatio"))} for ${more === null ? dash : `${((more - 1) * 100).toFixed(0)}%`} more teacher calls (${whole(calls("augment1"))} vs ${whole(calls("default"))})`;
    },
  },
  {
    command: "npm run bench:baseline",
    what: "`slmkit baseline` on banking77: the native model and an OpenAI-compatible stand-in endpoint",
    result: "baseline-banking77",
    figures: (r) => {
      const rows = list(r, "rows");
      const row = (source: string) => rows.find((entry) => at(entry, "source") === source);
      return `all rows reported: ${at(r, "target.met") === true ? "yes" : "NO"}; native accuracy ${fixed(num(row("usecase model"), "accuracy"), 3)}, coverage at 97% ${fixed(num(row("usecase model"), ["coverageAt", "0.97"]), 3)}; endpoint ${fixed(num(row("usecase llm"), "accuracy"), 3)}, $${fixed(num(row("usecase llm"), "costPer1kRequestsUsd"), 3)} per 1K requests`;
    },
  },
  {
    command: "npm run bench:gguf",
    what: "GGUF classification through slmkit vs node-llama-cpp's own evaluation of the same tokens",
    result: "gguf",
    figures: (r) =>
      `${num(r, "medianOverheadPercent") === null ? dash : `${fixed(num(r, "medianOverheadPercent"), 1)}%`} (median of ${whole(num(r, "rounds"))} rounds; best rounds ${num(r, "overheadPercent") === null ? dash : `${fixed(num(r, "overheadPercent"), 1)}%`}; target ≤ 10%), tiny generated model`,
  },
  {
    command: "npm run bench:cache",
    what: "exact and semantic cache lookups at 10,000 entries",
    result: "cache",
    figures: (r) =>
      `exact hit p50 ${fixed(num(r, "lookupsMicroseconds.exact hit.p50"), 1)} µs; semantic lookup p50 ${fixed(ratioOf(num(r, "lookupsMicroseconds.semantic lookup (hit or miss).p50"), 1000), 2)} ms`,
  },
  {
    command: "npm run bench:dashboard",
    what: "the dashboard in headless Chromium over 100,000 logged requests (7 days), against a bare static page",
    result: "dashboard",
    figures: (r) =>
      `first contentful paint ${whole(num(r, "pages.dashboard, 24 h.firstContentfulPaintMs"))} ms (bare page ${whole(num(r, "pages.bare static page.firstContentfulPaintMs"))} ms; target ≤ 1 s); data shown ${whole(num(r, "pages.dashboard, 24 h.readyMs"))} ms (24 h) / ${whole(num(r, "pages.dashboard, 7 days.readyMs"))} ms (7 days), of which the \`/v1/dashboard\` handler ${whole(num(r, "handler.24h.coldMs"))} / ${whole(num(r, "handler.168h.coldMs"))} ms`,
  },
  {
    command: "npm run bench:store",
    what: "the store's summary queries on 100,000 rows against a bare `COUNT(*)`",
    result: "store-summary",
    figures: (r) => {
      const stores = list(r, "stores");
      const median = (store: string, operation: string) =>
        num(
          list(
            stores.find((entry) => String(at(entry, "store")).startsWith(store)),
            "operations",
          ).find((entry) => at(entry, "operation") === operation),
          "medianMs",
        );
      return `7-day hourly summary: SQLite ${whole(median("SQLite", "summarizeRequests, 7 d, hourly"))} ms, Postgres ${whole(median("Postgres", "summarizeRequests, 7 d, hourly"))} ms; 24 h: ${whole(median("SQLite", "summarizeRequests, 24 h, hourly"))} / ${whole(median("Postgres", "summarizeRequests, 24 h, hourly"))} ms; \`listRequests\` of 1,000 rows ${whole(median("SQLite", "listRequests, limit 1,000"))} / ${whole(median("Postgres", "listRequests, limit 1,000"))} ms`;
    },
  },
  {
    command: "npm run bench:edge",
    what: "banking77's bundle in headless Chromium (one thread, offline) against Node in the same run, and the hybrid client's own cost",
    result: "edge",
    figures: (r) =>
      `int8 bundle ${megabytes(num(r, "bundles.int8.bytes"))} MB, pruned ${megabytes(num(r, "bundles.pruned.bytes"))} MB; runtime with the client ${fixed((num(r, "runtime.gzipBytes") ?? Number.NaN) / 1000, 1)} KB gzipped; Chromium ${whole(num(r, "rates.chromiumInt8"))} predictions/s vs Node's ${whole(num(r, "rates.nodeModelDirectory"))} (labels differing: ${whole(num(r, "agreement.int8.labels"))} of ${whole(num(r, "data.test"))}); bytes → first prediction ${fixed(num(r, "loads.int8.coldMedianMs"), 1)} ms; an accepted prediction through the client ${fixed(num(r, "overhead.ratio"), 2)}× the bare model`,
  },
  {
    command: "npm run bench:router",
    what: "the router in-process: small-model path, cache, escalation to an instant stub LLM",
    result: "router",
    figures: (r) =>
      `slm path p50 ${fixed(num(r, "rows.route, slm path, micro-batched.p50"), 1)} µs (bare model ${fixed(num(r, ["rows", "bare model.predictSync([text])", "p50"]), 1)} µs); escalation machinery ${fixed(num(r, "escalationOverheadMicroseconds"), 0)} µs over the labeler alone`,
  },
];

/** Said after a row's figures when other processes kept the machine busy during the run. */
function busySuffix(result: unknown): string {
  return at(result, "load.othersBusy") === true
    ? ` (machine busy: other processes used ${fixed(num(result, "load.otherCores"), 2)} cores during the run)`
    : "";
}

function renderBenches(results: Results): string {
  const rows = benchRows.map((row) => {
    const result = results[row.result];
    // A figure no commit can be traced to is not quoted at all.
    const figures =
      result === undefined
        ? `no committed result: run \`${row.command}\` on a quiet machine`
        : !hasProvenance(result)
          ? `the committed result records no commit on a clean tree with its load (it predates bench/provenance.ts): rerun \`${row.command}\``
          : `${row.figures(result)}${busySuffix(result)}`;
    return [`\`${row.command}\``, row.what, figures];
  });
  return markdownTable([["bench (command)", "what", "figures from the committed result"], ...rows]);
}

// ---------------------------------------------------------------------------------------------------------
// bench/README.md: where each committed result came from

function renderProvenance(results: Results): string {
  const names = Object.keys(results).sort();
  if (names.length === 0) return "No committed results yet.";
  return markdownTable([
    ["result", "commit", "clean tree", "date", "Node", "machine", "other processes during the run"],
    ...names.map((name) => {
      const result = results[name];
      const commit = at(result, "git.commit");
      const dirty = at(result, "git.dirty");
      const others = num(result, "load.otherCores");
      return [
        `\`${name}.json\``,
        typeof commit === "string" ? `\`${commit.slice(0, 10)}\`` : "none recorded",
        dirty === false ? "yes" : dirty === true ? "**no**" : "not recorded",
        typeof at(result, "date") === "string" ? (at(result, "date") as string).slice(0, 10) : dash,
        String(at(result, "node") ?? dash),
        typeof at(result, "machine.model") === "string"
          ? `${whole(num(result, "machine.cores"))} × ${String(at(result, "machine.model"))}`
          : dash,
        others === null
          ? "not recorded"
          : `${fixed(others, 2)} cores${at(result, "load.othersBusy") === true ? " (**busy**)" : ""}`,
      ];
    }),
  ]);
}

/** Every region's rendered markdown, by name. */
export function renderRegions(results: Results): Record<string, string> {
  return {
    classifier: renderClassifier(results),
    benches: renderBenches(results),
    provenance: renderProvenance(results),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Regions

const regionPattern = /<!-- figures:([a-z-]+) -->\n[\s\S]*?<!-- \/figures -->/g;

/** The names of the regions a document holds, in order. */
export function regionNames(markdown: string): string[] {
  return [...markdown.matchAll(regionPattern)].map((match) => match[1] as string);
}

/** Replaces every marked region's content; throws on a region nothing renders (a typo would keep stale text). */
export function applyRegions(markdown: string, regions: Record<string, string>, file: string): string {
  return markdown.replace(regionPattern, (_match, name: string) => {
    const content = regions[name];
    if (content === undefined)
      throw new Error(`${file}: no renderer for region "${name}"; known: ${Object.keys(regions).join(", ")}`);
    return `<!-- figures:${name} -->\n${content}\n<!-- /figures -->`;
  });
}

/** Each document as the results render it, with whether it differs from the file on disk. */
export function renderDocuments(
  results: Results,
  root = repositoryRoot,
): Array<{ file: string; current: string; rendered: string }> {
  const regions = renderRegions(results);
  const rendered = documents.map((file) => {
    const current = readFileSync(join(root, file), "utf8");
    return { file, current, rendered: applyRegions(current, regions, file) };
  });
  const used = new Set(rendered.flatMap((document) => regionNames(document.current)));
  const unused = Object.keys(regions).filter((name) => !used.has(name));
  if (unused.length > 0) throw new Error(`regions rendered but marked in no document: ${unused.join(", ")}`);
  return rendered;
}

function main(): void {
  const check = process.argv.includes("--check");
  const changed = renderDocuments(loadResults()).filter((document) => document.current !== document.rendered);
  if (check) {
    if (changed.length > 0) {
      process.stderr.write(
        `${changed.map((document) => document.file).join(", ")} disagree with bench/results/: run \`npm run figures\`\n`,
      );
      process.exit(1);
    }
    return;
  }
  for (const document of changed) writeFileSync(join(repositoryRoot, document.file), document.rendered);
  process.stdout.write(
    changed.length === 0
      ? "figures: the documents already match bench/results/\n"
      : `figures: rendered ${changed.map((document) => document.file).join(", ")} from bench/results/\n`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
