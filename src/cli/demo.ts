// `slmkit demo` (and `npm start`): the whole pipeline on a built-in use case, from generated data to a report.

import { access, chmod, readFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import type { Command } from "commander";
import { readEnvironment } from "../config.js";
import { writeFileAtomic } from "../internal/fs.js";
import { type Gateway, startGateway } from "../serve/server.js";
import { getTemplate } from "../spec/catalog/index.js";
import { writeTemplate } from "../spec/catalog/write-template.js";
import { buildUseCase } from "../train/build.js";
import { parseIntegerOption } from "./options.js";
import { createProgress } from "./output.js";
import { createLogger, waitForShutdown } from "./serve.js";

interface DemoFlags {
  template: string;
  dir?: string;
  seed: number;
  retrain?: boolean;
  serve: boolean;
  port?: number;
}

export function registerDemoCommand(program: Command): void {
  program
    .command("demo")
    .description(
      "run the whole pipeline on a built-in use case: scope → data → check → train → eval → report",
    )
    .option("--template <id>", "built-in use case (see `slmkit catalog`)", "support")
    .option("--dir <dir>", "working folder (default .slmkit/<template>; the support demo uses .slmkit/demo)")
    .option("--seed <n>", "seed for data generation and training", parseIntegerOption("--seed"), 42)
    .option("--retrain", "train again even if the data is unchanged")
    .option("--no-serve", "stop after the report instead of serving the use case on localhost")
    .option(
      "--port <n>",
      "port to serve on (default $PORT or 8787; 0 picks a free one)",
      parseIntegerOption("--port"),
    )
    .action(async (flags: DemoFlags) => {
      await demoAction(flags);
    });
}

async function demoAction(flags: DemoFlags): Promise<void> {
  const template = getTemplate(flags.template);
  const dir = resolve(flags.dir ?? join(".slmkit", flags.template === "support" ? "demo" : flags.template));
  const shown = relative(process.cwd(), dir) || ".";
  const out = (line = "") => process.stdout.write(`${line}\n`);
  const usecasePath = join(dir, "usecase.yaml");
  out(
    `slmkit demo: ${template.spec.title} (${template.spec.labels === undefined ? `${template.spec.schema?.fields.length ?? 0} fields` : `${template.spec.labels.length} labels`}), working files in ${shown}/`,
  );

  let generated = false;
  try {
    await access(usecasePath);
  } catch {
    const written = await writeTemplate(flags.template, dir, { seed: flags.seed });
    generated = true;
    const count = (role: string) => written.files.find((file) => file.role === role)?.examples ?? 0;
    out(
      `1. scope  wrote ${relative(process.cwd(), written.usecasePath)}: ${written.labels > 0 ? `${written.labels} labels` : `${written.fields} fields`} with descriptions, targets, routing`,
    );
    out(
      `2. data   generated ${count("train")} train (seed ${flags.seed}), ${count("valid")} valid (seed ${flags.seed + 2}) and ${count("test")} test ${template.examples === "spans" ? "records" : "examples"} (seed ${flags.seed + 1}), each split free of the texts before it`,
    );
  }
  if (!generated)
    out(`1-2. scope and data: reusing ${shown}/usecase.yaml and its data (delete ${shown} to regenerate)`);

  const progress = createProgress();
  const result = await buildUseCase(usecasePath, {
    seed: flags.seed,
    ...(flags.retrain ? { retrain: true } : {}),
    onProgress: (step) =>
      progress.update(
        `   train epoch ${step.epoch}/${step.epochs}  loss ${step.trainLoss.toFixed(4)}  valid acc ${step.validationAccuracy.toFixed(4)}`,
      ),
    onStep: (step) => {
      if (step.step === "check") {
        const warnings = step.report.issues.filter((issue) => issue.severity === "warning");
        out(
          `3. check  ${step.report.n} train examples, ${step.report.labelCount} labels: ${step.report.ok ? "ok" : "errors"}${warnings.length > 0 ? ` (${warnings.length} warnings: ${warnings.map((issue) => issue.code).join(", ")})` : ""}`,
        );
      } else if (step.step === "train") {
        progress.done();
        out(
          step.reused
            ? `4. train  reused ${relative(process.cwd(), step.modelDir)} (same data hash and seed; --retrain to train again)`
            : `4. train  trained ${relative(process.cwd(), step.modelDir)} in ${(step.trainSeconds ?? 0).toFixed(2)} s on the CPU`,
        );
      }
    },
  });
  const percent = (value: number | null) => (value === null ? "n/a" : `${(value * 100).toFixed(1)}%`);
  const targets = template.spec.targets;
  const targetChecks = (accuracy: number, accuracyName: string, p95: number): void => {
    const checks: string[] = [];
    if (targets?.accuracy !== undefined)
      checks.push(
        `${accuracyName} ≥ ${percent(targets.accuracy)}: ${accuracy >= targets.accuracy ? "met" : "missed"}`,
      );
    if (targets?.p95LatencyMs !== undefined)
      checks.push(`p95 ≤ ${targets.p95LatencyMs} ms: ${p95 <= targets.p95LatencyMs ? "met" : "missed"}`);
    if (checks.length > 0) out(`         use case targets: ${checks.join("; ")}`);
  };
  if (result.task === "extract") {
    const report = result.evalReport;
    out(
      `5. eval   span F1 ${percent(report.spanF1)} (precision ${percent(report.spanPrecision)}, recall ${percent(report.spanRecall)}), whole records right ${percent(report.recordAccuracy)} on ${report.n} records`,
    );
    out(
      `         threshold ${report.threshold.toFixed(3)}: ${percent(report.coverage)} of records accepted at ${percent(report.acceptedAccuracy)} all-fields-right, ${percent(1 - report.coverage)} escalated`,
    );
    out(
      `         latency per record p50 ${report.latencyMs.p50.toFixed(3)} ms, p95 ${report.latencyMs.p95.toFixed(3)} ms`,
    );
    // The declared accuracy of an extract use case is read as exact span F1 (docs/catalog.md).
    targetChecks(report.spanF1, "span F1", report.latencyMs.p95);
  } else {
    const report = result.evalReport;
    out(
      `5. eval   test accuracy ${percent(report.accuracy)}, macro-F1 ${report.macroF1.toFixed(3)}, ECE ${report.ece.toFixed(3)} on ${report.n} ${result.task === "answer" ? "questions" : "tickets"}`,
    );
    out(
      `         threshold ${report.threshold.toFixed(3)} (chosen on validation for ${percent(report.targetAccuracy)}): ${percent(report.coverage)} answered locally at ${percent(report.acceptedAccuracy)} accuracy, ${percent(1 - report.coverage)} escalated`,
    );
    if (result.answerReport !== undefined) {
      const reasons = Object.entries(result.answerReport.escalated)
        .map(([reason, count]) => `${count} ${reason}`)
        .join(", ");
      out(
        `         answers (classifier + BM25 agreement + slots): ${percent(result.answerReport.coverage)} answered at ${percent(result.answerReport.acceptedAccuracy)} right intent; escalated: ${reasons || "none"}`,
      );
    }
    out(
      `         latency per ticket p50 ${report.latencyMs.p50.toFixed(3)} ms, p95 ${report.latencyMs.p95.toFixed(3)} ms, p99 ${report.latencyMs.p99.toFixed(3)} ms; ${Math.round(report.throughputPerSec).toLocaleString("en-US")} tickets/s batched; model ${((report.modelBytes ?? 0) / 1e6).toFixed(2)} MB`,
    );
    targetChecks(report.accuracy, "accuracy", report.latencyMs.p95);
  }
  out();
  out(
    `report: ${relative(process.cwd(), result.htmlPath)} (JSON: ${relative(process.cwd(), result.jsonPath)})`,
  );
  if (result.task !== "classify") {
    // The gateway serves classification models; answer and extract models are used from the library for now.
    out(
      `the model is in ${relative(process.cwd(), result.modelDir)}; serving is for classify use cases only.`,
    );
    return;
  }
  out(
    `try it: node dist/cli/main.js predict --model ${relative(process.cwd(), result.modelDir)} "where is my parcel, order #A12345?"`,
  );
  if (!flags.serve) return;

  const logger = createLogger();
  const gateway = await startGateway({
    usecases: [usecasePath],
    port: flags.port ?? readEnvironment().port,
    store: `sqlite:${join(dir, "gateway.db")}`,
    logger,
  });
  const key = await demoApiKey(gateway, join(dir, "demo-api-key.txt"));
  const id = template.id;
  out();
  out(
    `6. serve  ${gateway.url} (localhost only) serving "${id}"; Prometheus metrics at ${gateway.url}/metrics (admin key)`,
  );
  out(`         demo API key: ${key} (an admin key: every route and use case)`);
  out(`         dashboard: ${gateway.url}/ and the review queue: ${gateway.url}/review (paste the key)`);
  out();
  out("curl:");
  out(
    `  curl -s ${gateway.url}/v1/chat/completions -H "Authorization: Bearer ${key}" -H "Content-Type: application/json" \\`,
  );
  out(
    `    -d '{"model": "${id}", "messages": [{"role": "user", "content": "where is my order #A12345? it was due monday"}]}'`,
  );
  out();
  out("the official openai SDK (run from this folder):");
  out(`  node --input-type=module -e 'import OpenAI from "openai";`);
  out(`    const client = new OpenAI({ baseURL: "${gateway.url}/v1", apiKey: "${key}" });`);
  out(
    `    const reply = await client.chat.completions.create({ model: "${id}", messages: [{ role: "user", content: "I was charged twice for one order" }] });`,
  );
  out(`    console.log(reply.choices[0].message.content, reply.slmkit);'`);
  out();
  for (const warning of gateway.warnings) out(`note: ${warning}`);
  out("Ctrl-C stops the server (in-flight requests finish, the request log is written).");
  await waitForShutdown(gateway, logger);
}

/**
 * The demo's API key, kept in a 0600 file beside the demo so a rerun prints the same one. An admin key: the one
 * person trying the demo on localhost uses the chat, the dashboard, the review page and /metrics with it.
 */
async function demoApiKey(gateway: Gateway, path: string): Promise<string> {
  try {
    const existing = (await readFile(path, "utf8")).trim();
    if ((await gateway.store.verifyApiKey(existing)) !== undefined) return existing;
  } catch {
    // No key yet.
  }
  const { key } = await gateway.store.createApiKey("demo", { role: "admin" });
  await writeFileAtomic(path, `${key}\n`);
  await chmod(path, 0o600);
  return key;
}
