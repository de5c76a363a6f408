// `slmkit retrain`: gated retraining from the gateway's feedback, review decisions and LLM answers; history and rollback.

import type { Command } from "commander";
import { SlmkitError } from "../errors.js";
import { createStore } from "../store/index.js";
import { parseStoreSetting } from "../store/settings.js";
import {
  openUseCaseRegistry,
  type RetrainReport,
  retrainUseCase,
  rollbackUseCase,
} from "../train/retrain.js";
import { parseIntegerOption, parseNumberOption } from "./options.js";
import { createProgress, writeJsonOutput } from "./output.js";

interface RetrainFlags {
  usecase: string;
  store: string;
  seed: number;
  tolerance: number;
  since?: string;
  teacher: boolean;
  dryRun?: boolean;
  rollback?: string;
  history?: boolean;
  json?: string;
}

export function registerRetrainCommand(program: Command): void {
  program
    .command("retrain")
    .description(
      "retrain a classify use case on its reviewed items, feedback and LLM answers; promote the challenger only if it is not worse than the champion on the pinned test set",
    )
    .requiredOption("--usecase <yaml>", "the use case (its data.train, data.valid, data.test and model)")
    .option("--store <setting>", "sqlite:<path> or a postgres:// URL", "sqlite:.slmkit/gateway.db")
    .option(
      "--seed <n>",
      "training seed (same data and seed give the same model)",
      parseIntegerOption("--seed"),
      42,
    )
    .option(
      "--tolerance <x>",
      "how much worse (absolute) accuracy and coverage may be and still pass (default 0)",
      parseNumberOption("--tolerance"),
      0,
    )
    .option("--since <date>", "only feedback and log rows since this ISO 8601 date")
    .option("--no-teacher", "leave out LLM-answered escalations (teacher labels)")
    .option("--dry-run", "train and gate, but do not change the served model")
    .option("--rollback <version>", "serve an earlier version (e.g. v0002) again; no training")
    .option("--history", "list the versions, which one is served, and every promotion and rollback")
    .option("--json <file>", "also write the report as JSON ('-' for stdout)")
    .action(async (flags: RetrainFlags) => {
      await runRetrainCommand(flags);
    });
}

/** The command's work, exported for tests. Sets `process.exitCode` 1 when the gate refuses the challenger. */
export async function runRetrainCommand(flags: RetrainFlags): Promise<RetrainReport | undefined> {
  if (flags.history) {
    const registry = await openUseCaseRegistry(flags.usecase);
    const lines = registry.versions.map((version) => {
      const gate = version.gate;
      const figures =
        gate === undefined
          ? ""
          : `  accuracy ${gate.challenger.accuracy.toFixed(4)} (champion ${gate.champion.accuracy.toFixed(4)}), coverage ${gate.challenger.coverage.toFixed(4)} (champion ${gate.champion.coverage.toFixed(4)})`;
      const marker = version.id === registry.current.id ? "*" : " ";
      return `${marker} ${version.id}  ${version.status.padEnd(9)} ${version.origin.padEnd(8)} ${version.createdAt}${figures}`;
    });
    const events = registry.events.map(
      (event) =>
        `  ${event.at}  ${event.action.padEnd(8)} ${event.version}${event.from ? ` (was ${event.from})` : ""}`,
    );
    process.stdout.write(
      `versions of ${registry.modelDir} (* = served):\n${lines.join("\n")}\nevents:\n${events.join("\n")}\n`,
    );
    if (flags.json !== undefined)
      await writeJsonOutput(flags.json, { versions: registry.versions, events: registry.events });
    return undefined;
  }
  if (flags.rollback !== undefined) {
    const version = await rollbackUseCase(flags.usecase, flags.rollback);
    process.stdout.write(
      `now serving ${version.id} (a server watching the model directory reloads it within seconds)\n`,
    );
    return undefined;
  }
  const since = flags.since === undefined ? undefined : parseDate(flags.since);
  const store = createStore(parseStoreSetting(flags.store));
  const progress = createProgress();
  try {
    await store.migrate();
    const report = await retrainUseCase(flags.usecase, {
      store,
      seed: flags.seed,
      tolerance: flags.tolerance,
      useTeacherLabels: flags.teacher,
      ...(since === undefined ? {} : { since }),
      ...(flags.dryRun ? { dryRun: true } : {}),
      onStep: (step) => progress.update(step),
      onProgress: (update) =>
        progress.update(
          `training: epoch ${update.epoch}/${update.epochs}, validation accuracy ${update.validationAccuracy.toFixed(4)}`,
        ),
    });
    progress.done();
    process.stdout.write(formatRetrainReport(report));
    if (flags.json !== undefined) await writeJsonOutput(flags.json, report);
    if (!report.gate.passed) process.exitCode = 1;
    return report;
  } finally {
    progress.done();
    await store.close();
  }
}

export function formatRetrainReport(report: RetrainReport): string {
  const sources = Object.entries(report.dataset.bySource)
    .map(([source, count]) => `${source} ${count}`)
    .join(", ");
  const skipped = Object.entries(report.dataset.skipped)
    .map(([reason, count]) => `${count} ${reason}`)
    .join("; ");
  const { champion, challenger } = report.gate;
  const row = (name: string, figures: typeof champion) =>
    `  ${name.padEnd(24)} n ${figures.n}  accuracy ${figures.accuracy.toFixed(4)}  coverage ${figures.coverage.toFixed(4)}  accepted accuracy ${figures.acceptedAccuracy === null ? "none" : figures.acceptedAccuracy.toFixed(4)}`;
  return [
    `dataset ${report.dataset.path}: train ${report.dataset.train}, valid ${report.dataset.valid} (${sources})`,
    ...(skipped === "" ? [] : [`skipped: ${skipped}`]),
    `pinned test ${report.gate.testFile} (sha256 ${report.gate.testSha256.slice(0, 12)}):`,
    row(`champion ${champion.version}`, champion),
    row(`challenger ${challenger.version}`, challenger),
    ...report.gate.checks.map((check) => `  ${check}`),
    report.promoted
      ? `promoted ${report.version}: ${report.modelDir} now holds it (a server watching it reloads within seconds)`
      : `not promoted: ${report.reason}`,
    "",
  ].join("\n");
}

function parseDate(value: string): number {
  const time = Date.parse(value);
  if (Number.isNaN(time)) {
    throw new SlmkitError(
      "INVALID_OPTION",
      `--since ${value}: not a date; use ISO 8601, e.g. 2026-11-01 or 2026-11-01T12:00:00Z.`,
      { field: "since" },
    );
  }
  return time;
}
