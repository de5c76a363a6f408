// `slmkit logs purge`: delete logged request text older than the retention period (privacy.retentionDays).

import type { Command } from "commander";
import { SlmkitError } from "../errors.js";
import { loadUseCase } from "../spec/load.js";
import { createStore } from "../store/index.js";
import { parseStoreSetting } from "../store/settings.js";
import { parseIntegerOption } from "./options.js";

const dayMs = 86_400_000;

export function registerLogsCommands(program: Command): void {
  const logs = program.command("logs").description("the gateway's request log");
  logs
    .command("purge")
    .description("delete input text logged more than N days ago (rows, hashes and figures stay for metrics)")
    .option("--usecase <yaml>", "take N from the use case's privacy.retentionDays")
    .option("--days <n>", "retention in days (overrides the use case)", parseIntegerOption("--days", 0))
    .option("--store <setting>", "sqlite:<path> or a postgres:// URL", "sqlite:.slmkit/gateway.db")
    .action(async (flags: { usecase?: string; days?: number; store: string }) => {
      let days = flags.days;
      if (days === undefined && flags.usecase !== undefined)
        days = (await loadUseCase(flags.usecase)).spec.privacy.retentionDays;
      if (days === undefined) {
        throw new SlmkitError(
          "INVALID_OPTION",
          "give --days <n> or --usecase <yaml> (its privacy.retentionDays).",
          { field: "days" },
        );
      }
      const store = createStore(parseStoreSetting(flags.store));
      try {
        await store.migrate();
        const cutoff = Date.now() - days * dayMs;
        const changed = await store.purgeText(cutoff);
        process.stdout.write(
          `removed the text of ${changed} logged requests older than ${days} days (before ${new Date(cutoff).toISOString()})\n`,
        );
      } finally {
        await store.close();
      }
    });
}
