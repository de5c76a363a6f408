// `slmkit logs purge`: delete the words of requests older than the retention period (privacy.retentionDays) from
// every table that keeps them.

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
    .description(
      "delete the text of requests older than N days from every table: the log's text and extracted records, " +
        "review items' text, records and resolutions, and feedback that is an extracted record (labels, " +
        "hashes and figures stay for metrics)",
    )
    .option("--usecase <yaml>", "purge that use case only, after its privacy.retentionDays")
    .option("--days <n>", "retention in days (overrides the use case)", parseIntegerOption("--days", 0))
    .option("--store <setting>", "sqlite:<path> or a postgres:// URL", "sqlite:.slmkit/gateway.db")
    .action(async (flags: { usecase?: string; days?: number; store: string }) => {
      const useCase = flags.usecase === undefined ? undefined : (await loadUseCase(flags.usecase)).spec;
      const days = flags.days ?? useCase?.privacy.retentionDays;
      if (days === undefined) {
        throw new SlmkitError(
          "INVALID_OPTION",
          "give --days <n> (every use case) or --usecase <yaml> (that use case, after its privacy.retentionDays).",
          { field: "days" },
        );
      }
      const store = createStore(parseStoreSetting(flags.store));
      try {
        await store.migrate();
        const cutoff = Date.now() - days * dayMs;
        const changed = await store.purgeText(cutoff, useCase === undefined ? {} : { useCaseId: useCase.id });
        const which = useCase === undefined ? "" : ` of use case "${useCase.id}"`;
        process.stdout.write(
          `removed the text of ${changed} stored rows${which} older than ${days} days (before ${new Date(cutoff).toISOString()})\n`,
        );
      } finally {
        await store.close();
      }
    });
}
