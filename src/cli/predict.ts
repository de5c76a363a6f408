// `slmkit predict`: label texts given as arguments, or JSONL ({"text"} objects or JSON strings) on stdin.

import { createInterface } from "node:readline";
import type { Command } from "commander";
import { SlmkitError } from "../errors.js";
import { loadModel } from "../models/load.js";
import { NativeAnswerer } from "../models/native/answerer.js";
import type { TaskModel } from "../models/task-model.js";

const batchSize = 256;

export function registerPredictCommand(program: Command): void {
  program
    .command("predict")
    .description(
      "predict with any model: one JSON line per input, {text, label, confidence, accepted} (FAQ models add answer; extraction models give {text, fields, confidence, accepted})",
    )
    .requiredOption("--model <ref>", "model directory (or another model reference)")
    .option("--text-field <name>", "key of the text in stdin JSONL objects", "text")
    .argument("[texts...]", "texts to label; without any, reads JSONL from stdin")
    .action(async (texts: string[], flags: { model: string; textField: string }) => {
      const model = await loadModel(flags.model);
      try {
        if (texts.length > 0) await emit(model, texts);
        else await predictStdin(model, flags.textField);
      } finally {
        await model.dispose();
      }
    });
}

/** One JSON line per text, in the task's shape: `{label, …}`, `{label, answer, …}` or `{fields, …}`. */
async function emit(model: TaskModel, texts: readonly string[]): Promise<void> {
  const lines: string[] = [];
  if (model.task === "extract") {
    const predictions = await model.predict(texts);
    predictions.forEach((prediction, index) => {
      lines.push(
        JSON.stringify({
          text: texts[index],
          fields: prediction.fields,
          confidence: prediction.confidence,
          accepted: prediction.accepted,
          ...(prediction.refusal === undefined ? {} : { reason: prediction.refusal }),
        }),
      );
    });
  } else if (model instanceof NativeAnswerer) {
    // The native answerer's reason is its gate's own code ("low-confidence", "retrieval-disagrees", …).
    model.answer(texts).forEach((result, index) => {
      lines.push(
        JSON.stringify({
          text: texts[index],
          label: result.label,
          answer: result.answer,
          confidence: result.confidence,
          accepted: result.accepted,
          ...(result.reason === undefined ? {} : { reason: result.reason }),
        }),
      );
    });
  } else {
    const predictions = await model.predict(texts);
    predictions.forEach((prediction, index) => {
      lines.push(
        JSON.stringify({
          text: texts[index],
          label: prediction.label,
          ...("answer" in prediction ? { answer: prediction.answer } : {}),
          confidence: prediction.confidence,
          accepted: prediction.accepted,
        }),
      );
    });
  }
  process.stdout.write(`${lines.join("\n")}\n`);
}

async function predictStdin(model: TaskModel, textField: string): Promise<void> {
  const reader = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  let pending: string[] = [];
  let lineNumber = 0;
  for await (const line of reader) {
    lineNumber++;
    if (line.trim() === "") continue;
    pending.push(parseInputLine(line, lineNumber, textField));
    if (pending.length >= batchSize) {
      await emit(model, pending);
      pending = [];
    }
  }
  if (pending.length > 0) await emit(model, pending);
}

function parseInputLine(line: string, lineNumber: number, textField: string): string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new SlmkitError(
      "INVALID_INPUT",
      `not valid JSON; send one {"${textField}": "..."} object or JSON string a line.`,
      {
        file: "<stdin>",
        line: lineNumber,
      },
    );
  }
  if (typeof value === "string") return value;
  const text = (value as Record<string, unknown> | null)?.[textField];
  if (typeof text !== "string") {
    throw new SlmkitError("INVALID_INPUT", `expected an object with a string "${textField}" field.`, {
      file: "<stdin>",
      line: lineNumber,
    });
  }
  return text;
}
