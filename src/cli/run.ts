// Registers every command and turns errors into a clear message and an exit code, never a stack trace.

import { type Command, CommanderError } from "commander";
import { SlmkitError } from "../errors.js";
import { registerBaselineCommand } from "./baseline.js";
import { registerBundleCommand } from "./bundle.js";
import { registerCatalogCommand } from "./catalog.js";
import { registerDataCommands } from "./data.js";
import { registerDemoCommand } from "./demo.js";
import { registerDistillCommand } from "./distill.js";
import { registerEvalCommand } from "./eval.js";
import { registerExportCommand } from "./export.js";
import { registerFineTuneCommand } from "./finetune.js";
import { registerInitCommand } from "./init.js";
import { registerLogsCommands } from "./logs.js";
import { registerMonitorCommand } from "./monitor.js";
import { registerPredictCommand } from "./predict.js";
import { registerQuantizeCommand } from "./quantize.js";
import { registerRetrainCommand } from "./retrain.js";
import { registerServeCommands } from "./serve.js";
import { registerTcoCommand } from "./tco.js";
import { registerTrainCommand } from "./train.js";

/** Exit codes: 0 ok, 1 a check found problems (e.g. `data check`), 2 bad input or a failure. */
export async function runCli(program: Command, argv: readonly string[]): Promise<void> {
  program.exitOverride();
  program.showHelpAfterError(false);
  registerCatalogCommand(program);
  registerInitCommand(program);
  registerDataCommands(program);
  registerTrainCommand(program);
  registerQuantizeCommand(program);
  registerBundleCommand(program);
  registerEvalCommand(program);
  registerBaselineCommand(program);
  registerDistillCommand(program);
  registerExportCommand(program);
  registerFineTuneCommand(program);
  registerPredictCommand(program);
  registerDemoCommand(program);
  registerServeCommands(program);
  registerLogsCommands(program);
  registerMonitorCommand(program);
  registerRetrainCommand(program);
  registerTcoCommand(program);
  try {
    await program.parseAsync(argv as string[]);
  } catch (error) {
    process.exitCode = reportError(error);
  }
}

function reportError(error: unknown): number {
  if (error instanceof CommanderError) {
    // Commander already printed its message (or the help / version text).
    return error.exitCode === 0 ? 0 : 2;
  }
  if (SlmkitError.isInstance(error)) {
    process.stderr.write(`slmkit: ${error.message}\n`);
    return 2;
  }
  process.stderr.write(`slmkit: unexpected error: ${(error as Error)?.stack ?? String(error)}\n`);
  return 2;
}
