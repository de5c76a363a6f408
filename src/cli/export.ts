// `slmkit export`: labelled data as validated chat JSONL for fine-tuning elsewhere (OpenAI / Azure AI Foundry, TRL).

import { type Command, InvalidArgumentError } from "commander";
import {
  buildChatExport,
  type ChatExportFormat,
  chatExportFormats,
  classificationSystemPrompt,
} from "../data/export-chat.js";
import { readClassificationDataLenient, writeJsonl } from "../data/io.js";
import { SlmkitError } from "../errors.js";
import { loadUseCase } from "../spec/load.js";
import { parseIntegerOption } from "./options.js";
import { writeJsonOutput } from "./output.js";

interface ExportFlags {
  format: ChatExportFormat;
  data?: string;
  usecase?: string;
  out: string;
  maxTokens: number;
  system?: string;
  json?: string;
  textField?: string;
  labelField?: string;
}

export function registerExportCommand(program: Command): void {
  program
    .command("export")
    .description(
      "Write labelled data as chat-format JSONL for fine-tuning: openai-chat (OpenAI, Azure AI Foundry) or hf-chat (Hugging Face TRL conversational). Validates roles, contents and an approximate token count (~4 characters a token).",
    )
    .requiredOption("--format <format>", "openai-chat or hf-chat", parseFormat)
    .requiredOption("--out <file>", "JSONL file to write")
    .option("--data <file>", "labelled data, JSONL or CSV (default: the use case's data.train)")
    .option("--usecase <yaml>", "usecase.yaml: labels with descriptions for the system prompt, and the data")
    .option(
      "--max-tokens <n>",
      "drop examples estimated over this many tokens (default 4096)",
      parseIntegerOption("--max-tokens", 1),
      4096,
    )
    .option(
      "--system <prompt>",
      "system prompt for every example (default: the label list, with descriptions)",
    )
    .option("--json <file>", 'write the summary as JSON to <file>; "-" prints only the JSON to stdout')
    .option("--text-field <name>", 'field (or CSV column) holding the text (default: "text")')
    .option("--label-field <name>", 'field (or CSV column) holding the label (default: "label")')
    .action(async (flags: ExportFlags) => {
      const useCase = flags.usecase === undefined ? undefined : await loadUseCase(flags.usecase);
      const dataPath = flags.data ?? useCase?.paths.train;
      if (dataPath === undefined) {
        throw new SlmkitError(
          "INVALID_OPTION",
          "export needs data: pass --data <file> (or --usecase with data.train).",
          { field: "data" },
        );
      }
      const read = await readClassificationDataLenient(dataPath, {
        ...(flags.textField === undefined ? {} : { textField: flags.textField }),
        ...(flags.labelField === undefined ? {} : { labelField: flags.labelField }),
      });
      const labels = useCase?.spec.labels;
      const systemPrompt =
        flags.system ?? (labels === undefined ? undefined : classificationSystemPrompt(labels));
      const result = buildChatExport(
        read.examples,
        {
          format: flags.format,
          maxTokens: flags.maxTokens,
          ...(systemPrompt === undefined ? {} : { systemPrompt }),
        },
        read.problems,
      );
      if (result.examples.length === 0) {
        throw new SlmkitError(
          "EMPTY_DATA",
          `no example of ${dataPath} passed validation (${result.summary.dropped.length} dropped); nothing written.`,
          {
            file: dataPath,
          },
        );
      }
      await writeJsonl(flags.out, result.examples);
      const summary = result.summary;
      const jsonToStdout = flags.json === "-";
      if (!jsonToStdout) {
        const lines = [
          `wrote ${summary.examples} ${summary.format} examples to ${flags.out}`,
          `  tokens per example (${summary.tokenEstimate}): min ${summary.tokens.min}, mean ${summary.tokens.mean}, max ${summary.tokens.max}, total ${summary.tokens.total}; limit ${summary.maxTokens}`,
          `  dropped ${summary.dropped.length}${
            Object.keys(summary.droppedByReason).length === 0
              ? ""
              : `: ${Object.entries(summary.droppedByReason)
                  .map(([reason, count]) => `${count} ${reason}`)
                  .join(", ")}`
          }`,
          ...summary.dropped
            .slice(0, 10)
            .map((item) => `    ${item.line === null ? "" : `line ${item.line}: `}${item.reason}`),
          ...(summary.dropped.length > 10
            ? [`    … and ${summary.dropped.length - 10} more (see --json)`]
            : []),
          ...summary.warnings.map((warning) => `  warning: ${warning}`),
        ];
        process.stdout.write(`${lines.join("\n")}\n`);
      }
      if (flags.json !== undefined) await writeJsonOutput(flags.json, summary);
    });
}

function parseFormat(value: string): ChatExportFormat {
  if (!(chatExportFormats as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`expected one of ${chatExportFormats.join(", ")}, got "${value}".`);
  }
  return value as ChatExportFormat;
}
