// `slmkit catalog`: the built-in use cases to start from.

import type { Command } from "commander";
import { getTemplate, listTemplates } from "../spec/catalog/index.js";

export function registerCatalogCommand(program: Command): void {
  program
    .command("catalog")
    .description("list the built-in use cases (start one with `slmkit init <dir> --template <id>`)")
    .option("--json", "print JSON instead of a table")
    .action((flags: { json?: boolean }) => {
      const rows = listTemplates().map((summary) => {
        const { spec } = getTemplate(summary.id);
        return {
          ...summary,
          labels: spec.labels?.map((label) => label.name) ?? [],
          fields:
            spec.schema?.fields.map((field) => ({
              name: field.name,
              type: field.type,
              required: field.required === true,
            })) ?? [],
          targets: spec.targets ?? {},
          deployment: spec.deployment,
        };
      });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      for (const row of rows) {
        const targets = Object.entries(row.targets)
          .map(([key, value]) => `${key} ${value}`)
          .join(", ");
        // Extraction fields show their type, and a "*" when a record needs them to be accepted.
        const items =
          row.task === "extract"
            ? row.fields.map((field) => `${field.name}${field.required ? "*" : ""} (${field.type})`)
            : row.labels;
        process.stdout.write(
          `${row.id}  [${row.industry ?? "general"} · ${row.task} · ${row.deployment ?? "hybrid"}]  ${row.title}\n  ${row.summary}\n  ${row.task === "extract" ? "fields" : "labels"} (${row.classes}): ${items.join(", ")}\n  targets: ${targets || "none"}\n`,
        );
      }
    });
}
