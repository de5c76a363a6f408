// TCO inputs from the model directory: its throughput timed in-process, its training time and validation coverage.

import { readRawManifest } from "../../models/native/model-directory.js";
import { tcoDefaults } from "../defaults.js";
import { measureModelThroughput, type ThroughputMeasurement } from "../throughput.js";
import type { TcoInput } from "../types.js";
import { assumed, type FigurePicker } from "./figures.js";

/** The model directory read, when there is one. */
export interface ModelSource {
  dir: string | undefined;
  /** Its manifest.json as read, or undefined without a directory or a manifest. */
  manifest: Record<string, unknown> | undefined;
}

export async function readModelSource(dir: string | undefined): Promise<ModelSource> {
  return { dir, manifest: dir === undefined ? undefined : await readRawManifest(dir) };
}

/** The coverage at the threshold on validation data, from the manifest. */
export function validationCoverage(model: ModelSource): number | undefined {
  return numberAt(model.manifest, ["validation", "coverage"]);
}

/** Requests a second the model answers, timed on `texts` in-process; the default without a model or texts. */
export async function measureThroughput(
  model: ModelSource,
  texts: readonly string[],
  measure: (
    modelDir: string,
    texts: readonly string[],
  ) => Promise<ThroughputMeasurement> = measureModelThroughput,
): Promise<TcoInput> {
  const { dir, manifest } = model;
  if (dir === undefined || manifest === undefined || texts.length === 0) {
    return {
      value: tcoDefaults.throughputPerSec.value,
      unit: tcoDefaults.throughputPerSec.unit,
      source: "assumed",
      note:
        dir === undefined || manifest === undefined
          ? tcoDefaults.throughputPerSec.note
          : "no texts in the use case's data to time the model on; pass --throughput",
    };
  }
  const measured = await measure(dir, texts);
  return {
    value: measured.perSecond,
    unit: "requests/s",
    source: "measured",
    note: `${measured.texts.toLocaleString("en-US")} texts in ${measured.seconds.toFixed(2)} s, batches of ${measured.batchSize}, in-process on this machine (${dir})`,
  };
}

/** The training time the manifest recorded, else the default. */
export function gatherTrainSeconds(figures: FigurePicker, model: ModelSource): TcoInput {
  return figures.pick("trainSeconds", "seconds", () => {
    const recorded = numberAt(model.manifest, ["trainSeconds"]);
    return recorded === undefined
      ? assumed(tcoDefaults.trainSeconds)
      : {
          value: recorded,
          unit: "seconds",
          source: "measured",
          note: `trainSeconds of ${model.dir}/manifest.json`,
        };
  });
}

function numberAt(record: Record<string, unknown> | undefined, path: readonly string[]): number | undefined {
  let current: unknown = record;
  for (const key of path) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return typeof current === "number" && Number.isFinite(current) ? current : undefined;
}
