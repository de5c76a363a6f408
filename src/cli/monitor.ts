// `slmkit monitor`: compares a use case's recent traffic in the request log with its reference; exits 1 on drift.

import { existsSync } from "node:fs";
import type { Command } from "commander";
import { SlmkitError } from "../errors.js";
import { loadNativeModel } from "../models/native/model-directory.js";
import { createDriftMonitor } from "../monitor/drift-monitor.js";
import { formatDriftReport } from "../monitor/format.js";
import { readModelVersion } from "../monitor/model-version.js";
import { loadReference } from "../monitor/reference.js";
import type { DriftReport } from "../monitor/types.js";
import { loadUseCase } from "../spec/load.js";
import { createStore } from "../store/index.js";
import { parseStoreSetting } from "../store/settings.js";
import { writeJsonOutput } from "./output.js";

export interface MonitorCommandOptions {
  /** The usecase.yaml file. */
  usecase: string;
  /** `sqlite:<path>` or a postgres:// URL; the CLI's default is `sqlite:.slmkit/gateway.db`, as for `slmkit serve`. */
  store: string;
  /** Write the report as JSON to this file; "-" prints only the JSON to stdout. */
  json?: string;
}

/** Where the command writes; tests pass their own to run it in-process. */
export interface MonitorCommandOutput {
  write(text: string): void;
  /** Sets the process exit code: 1 when the report finds drift. */
  setExitCode(code: number): void;
}

const processOutput: MonitorCommandOutput = {
  write: (text) => {
    process.stdout.write(text);
  },
  setExitCode: (code) => {
    process.exitCode = code;
  },
};

export function registerMonitorCommand(program: Command, output: MonitorCommandOutput = processOutput): void {
  program
    .command("monitor")
    .description(
      "Compare the use case's most recent requests in the gateway's log with what its model was built for (labels, confidence, input length, unseen words, escalation rate, feedback accuracy, shadow agreement). Exits 1 on drift.",
    )
    .requiredOption("--usecase <yaml>", "the use case whose traffic to check")
    .option(
      "--store <setting>",
      "the gateway's request log: sqlite:<path> or a postgres:// URL",
      "sqlite:.slmkit/gateway.db",
    )
    .option("--json <file>", 'write the report as JSON to <file>; "-" prints only the JSON to stdout')
    .action(async (flags: MonitorCommandOptions) => {
      await runMonitorCommand(flags, output);
    });
}

/** The command's action: loads use case, model, log and reference, prints the report, sets the exit code. */
export async function runMonitorCommand(
  options: MonitorCommandOptions,
  output: MonitorCommandOutput = processOutput,
): Promise<DriftReport> {
  const useCase = await loadUseCase(options.usecase);
  const { spec } = useCase;
  if (spec.task !== "classify") {
    throw new SlmkitError(
      "NOT_SUPPORTED",
      `use case "${spec.id}" is ${spec.task}; drift is monitored for classify use cases, the ones the gateway serves.`,
      { file: useCase.path },
    );
  }
  const modelDir = useCase.paths.model;
  if (modelDir === undefined) {
    throw new SlmkitError(
      "INVALID_SPEC",
      "the use case has no `model` directory; train one and set `model:`.",
      {
        file: useCase.path,
        field: "model",
      },
    );
  }
  const model = await loadNativeModel(modelDir);
  const version = await readModelVersion(modelDir);
  const storeSetting = parseStoreSetting(options.store);
  // Opening a SQLite path that does not exist would create an empty log and report "insufficient" forever.
  if (storeSetting.kind === "sqlite" && storeSetting.path !== ":memory:" && !existsSync(storeSetting.path)) {
    throw new SlmkitError(
      "IO_ERROR",
      `no request log at ${storeSetting.path}. Serve the use case first (\`slmkit serve\`), or pass the gateway's --store.`,
      { file: storeSetting.path },
    );
  }
  const store = createStore(storeSetting);
  let report: DriftReport;
  try {
    await store.migrate();
    const reference = await loadReference({ useCase: spec, useCaseDir: useCase.dir, modelDir, model, store });
    const monitor = createDriftMonitor({
      store,
      useCases: [{ id: spec.id, spec, modelVersion: () => version, reference: () => reference }],
    });
    try {
      report = await monitor.check(spec.id);
    } finally {
      await monitor.close();
    }
  } finally {
    await store.close();
  }
  if (options.json === "-") output.write(`${JSON.stringify(report, null, 2)}\n`);
  else {
    if (options.json !== undefined) await writeJsonOutput(options.json, report);
    output.write(formatDriftReport(report));
  }
  if (report.status === "drift") output.setExitCode(1);
  return report;
}
