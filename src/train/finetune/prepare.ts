// The training files of a fine-tuning run: the use case's data exported as validated chat JSONL, hashed.

import { createHash } from "node:crypto";
import { join, relative } from "node:path";
import { buildChatExport, type ChatExportSummary } from "../../data/export-chat.js";
import { formatJsonl, readClassificationDataLenient } from "../../data/io.js";
import { SlmkitError } from "../../errors.js";
import { writeFileAtomic } from "../../internal/fs.js";
import { labelerTrainingFormat } from "../../models/openai/openai-labeler.js";
import type { LoadedUseCase } from "../../spec/load.js";
import { fineTuneFolder } from "./state.js";

/** OpenAI and Azure refuse a training file with fewer examples. */
export const minimumFineTuneExamples = 10;

/** One exported file, written and ready to upload. */
export interface ExportedFile {
  /** Absolute path. */
  path: string;
  /** Relative to the use case's folder, as the state file keeps it. */
  relativePath: string;
  examples: number;
  bytes: number;
  /** sha256 of the file's bytes. */
  sha256: string;
  summary: ChatExportSummary;
}

export interface ExportedTrainingData {
  train: ExportedFile;
  valid: ExportedFile | undefined;
  /** sha256 over both files' bytes: unchanged data is never uploaded twice. */
  dataHash: string;
  /** slmkit's estimate of one epoch's tokens (the training file's, ~4 characters a token). */
  estimatedTokensPerEpoch: number;
}

/**
 * Exports the use case's `data.train` (and `data.valid`, when it has one) as OpenAI chat JSONL with `export`'s
 * builder and validation, into `<usecase dir>/.slmkit/finetune/`. Each example is the labeler's own prompt, the
 * text, and `{"label": …}`, so the fine-tuned model answers the prompt slmkit will ask it with. Throws
 * NOT_SUPPORTED for extract use cases and INVALID_DATA when fewer than 10 training examples pass validation.
 */
export async function exportTrainingData(
  useCase: LoadedUseCase,
  maxTokensPerExample: number,
): Promise<ExportedTrainingData> {
  const spec = useCase.spec;
  if (spec.task === "extract" || spec.labels === undefined) {
    throw new SlmkitError(
      "NOT_SUPPORTED",
      `use case "${spec.id}" is an extract use case; finetune trains a model to answer a label (classify and answer use cases).`,
    );
  }
  const format = labelerTrainingFormat(spec.labels);
  const folder = join(fineTuneFolder(useCase.dir), "finetune");
  const exportFile = async (dataPath: string, name: string): Promise<ExportedFile> => {
    const read = await readClassificationDataLenient(dataPath);
    const result = buildChatExport(
      read.examples,
      {
        format: "openai-chat",
        systemPrompt: format.systemPrompt,
        assistantContent: format.reply,
        maxTokens: maxTokensPerExample,
      },
      read.problems,
    );
    const path = join(folder, name);
    const text = formatJsonl(result.examples);
    await writeFileAtomic(path, text);
    return {
      path,
      relativePath: relative(useCase.dir, path),
      examples: result.examples.length,
      bytes: Buffer.byteLength(text),
      sha256: createHash("sha256").update(text).digest("hex"),
      summary: result.summary,
    };
  };
  const train = await exportFile(useCase.paths.train, "train.jsonl");
  if (train.examples < minimumFineTuneExamples) {
    throw new SlmkitError(
      "INVALID_DATA",
      `only ${train.examples} training examples passed validation (${train.summary.dropped.length} dropped); OpenAI and Azure fine-tuning need at least ${minimumFineTuneExamples}. Add examples or check them with \`slmkit export --json -\`.`,
      { file: useCase.paths.train },
    );
  }
  const valid =
    useCase.paths.valid === undefined ? undefined : await exportFile(useCase.paths.valid, "valid.jsonl");
  const hash = createHash("sha256").update(train.sha256);
  if (valid !== undefined) hash.update("\u0000").update(valid.sha256);
  return {
    train,
    valid: valid !== undefined && valid.examples > 0 ? valid : undefined,
    dataHash: hash.digest("hex"),
    estimatedTokensPerEpoch: train.summary.tokens.total,
  };
}
