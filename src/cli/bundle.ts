// `slmkit bundle`: one binary file for the edge runtime from a model directory: int8, optionally pruned and signed.

import { readFile } from "node:fs/promises";
import { type Command, InvalidArgumentError } from "commander";
import { readClassificationData } from "../data/io.js";
import { SlmkitError } from "../errors.js";
import type { BundleManifest, PruneSplitFigures } from "../models/bundle/manifest.js";
import { buildBundle, writeBundle } from "../models/bundle/write.js";
import { loadUseCase } from "../spec/load.js";
import type { LabeledExample } from "../types.js";
import { parseNumberOption } from "./options.js";

interface BundleFlags {
  model?: string;
  out: string;
  precision: "int8" | "float32";
  prune?: boolean;
  tolerance?: number;
  valid?: string;
  test?: string;
  usecase?: string;
  sign?: string;
}

function parsePrecision(value: string): "int8" | "float32" {
  if (value !== "int8" && value !== "float32")
    throw new InvalidArgumentError(`--precision is int8 or float32, got "${value}".`);
  return value;
}

export function registerBundleCommand(program: Command): void {
  program
    .command("bundle")
    .description(
      "write one binary bundle of a model for the edge runtime (slmkit/edge): int8, optionally pruned and signed",
    )
    .option("--model <dir>", "model directory (default: the use case's model)")
    .requiredOption("--out <file>", "the bundle file to write (atomically)")
    .option("--precision <int8|float32>", "how classifier weights are stored", parsePrecision, "int8")
    .option(
      "--prune",
      "drop the weights and features that change no validation prediction beyond --tolerance",
    )
    .option(
      "--tolerance <share>",
      "largest share of validation predictions --prune may change",
      parseNumberOption("--tolerance"),
    )
    .option("--valid <file>", "validation data (default: the use case's data.valid)")
    .option(
      "--test <file>",
      "test data: --prune reports its accuracy change on it too (default: the use case's data.test)",
    )
    .option("--usecase <yaml>", "the use case: its id, label or field descriptions, model and data")
    .option("--sign <file>", "an Ed25519 private key (PEM) to sign the bundle with")
    .action(async (flags: BundleFlags) => {
      const useCase = flags.usecase === undefined ? undefined : await loadUseCase(flags.usecase);
      const modelDir = flags.model ?? useCase?.paths.model;
      if (modelDir === undefined)
        throw new SlmkitError("INVALID_OPTION", "give --model <dir>, or --usecase <yaml> with a model.", {
          field: "model",
        });
      if (flags.tolerance !== undefined && flags.prune !== true)
        throw new SlmkitError("INVALID_OPTION", "--tolerance goes with --prune; add --prune.", {
          field: "tolerance",
        });
      const task = useCase?.spec.task;
      const readData = async (path: string | undefined): Promise<LabeledExample[] | undefined> =>
        path === undefined || task === "extract" ? undefined : readClassificationData(path);
      const valid = await readData(flags.valid ?? useCase?.paths.valid);
      const test = await readData(flags.test ?? useCase?.paths.test);
      const described = useCase?.spec.labels ?? useCase?.spec.schema?.fields ?? [];
      const descriptions = Object.fromEntries(
        described.flatMap((item) => (item.description === undefined ? [] : [[item.name, item.description]])),
      );
      const bundle = await buildBundle(modelDir, {
        precision: flags.precision,
        prune: flags.prune === true,
        ...(flags.tolerance === undefined ? {} : { tolerance: flags.tolerance }),
        ...(valid === undefined ? {} : { valid }),
        ...(test === undefined ? {} : { test }),
        ...(useCase === undefined ? {} : { useCase: { id: useCase.spec.id, descriptions } }),
        ...(flags.sign === undefined ? {} : { signingKey: await readKey(flags.sign) }),
      });
      await writeBundle(flags.out, bundle);
      process.stdout.write(
        report(
          flags.out,
          bundle.bytes.length,
          bundle.sha256,
          bundle.manifest,
          bundle.signedBy,
          bundle.notice,
        ),
      );
    });
}

async function readKey(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw new SlmkitError("IO_ERROR", `cannot read the signing key: ${(error as Error).message}.`, {
      file: path,
      cause: error,
    });
  }
}

const megabytes = (bytes: number): string => `${(bytes / 1e6).toFixed(2)} MB`;
const points = (change: number): string => `${change >= 0 ? "+" : ""}${(change * 100).toFixed(2)} points`;

function splitLine(name: string, figures: PruneSplitFigures): string {
  return `    ${name}: ${figures.changed} of ${figures.n} predictions changed; accuracy ${figures.accuracyBefore.toFixed(4)} → ${figures.accuracyAfter.toFixed(4)} (${points(figures.accuracyAfter - figures.accuracyBefore)})\n`;
}

function report(
  out: string,
  bytes: number,
  sha256: string,
  manifest: BundleManifest,
  signedBy: string | null,
  notice: string | null,
): string {
  const count = `${manifest.labels.length} ${manifest.task === "extract" ? "fields" : "labels"}`;
  let text = `bundle written to ${out}: ${megabytes(bytes)}, ${manifest.precision}, ${manifest.task}, ${count}, sha256 ${sha256}\n`;
  if (notice !== null) text += `  note: ${notice}\n`;
  if (signedBy !== null) text += `  signed by Ed25519 key ${signedBy} (give it to the app as publicKey)\n`;
  const quantization = manifest.quantization;
  if (quantization !== undefined) {
    const { validationAccuracyBefore: before, validationAccuracyAfter: after } = quantization;
    text +=
      before === null || after === null
        ? `  quantized from float32; threshold kept at ${quantization.thresholdBefore.toFixed(4)} (give --valid to choose it again for int8)\n`
        : `  quantized from float32: validation accuracy ${before.toFixed(4)} → ${after.toFixed(4)}; threshold ${quantization.thresholdBefore.toFixed(4)} → ${manifest.calibration.threshold.toFixed(4)}\n`;
  }
  const prune = manifest.prune;
  if (prune !== undefined) {
    text += `  pruned (tolerance ${prune.tolerance}): ${prune.featuresBefore} → ${prune.featuresAfter} features, ${prune.weightsBefore} → ${prune.weightsAfter} non-zero weights (cut ${prune.cut}/127 of each row's largest); weights ${megabytes(prune.weightsBytesBefore)} → ${megabytes(prune.weightsBytesAfter)}, ${megabytes(prune.weightsBytesBefore - prune.weightsBytesAfter)} saved\n`;
    text += splitLine("validation", prune.validation);
    if (prune.test !== undefined) text += splitLine("test", prune.test);
  }
  return text;
}
