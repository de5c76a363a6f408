// A quick in-process throughput measurement of a native model directory, for the cost model's machine share.

import { SlmkitError } from "../errors.js";
import { millisecondsSince, startTimer } from "../eval/latency.js";
import { loadModel } from "../models/load.js";
import { loadNativeExtractor } from "../models/native/extractor-directory.js";
import { readRawManifest } from "../models/native/model-directory.js";

export interface ThroughputOptions {
  /** Texts per call, as the gateway's micro-batcher sends them. Default 256. */
  batchSize?: number;
  /** Keep predicting until this much time has passed after the warm-up, in seconds. Default 0.3. */
  minSeconds?: number;
}

export interface ThroughputMeasurement {
  /** Texts predicted per second over the timed batches. */
  perSecond: number;
  /** Texts predicted in the timed batches (the warm-up batch not counted). */
  texts: number;
  seconds: number;
  batchSize: number;
}

/**
 * Loads the native model in `modelDir` (classifier, FAQ answerer or extractor) and times batched
 * predictions on `texts` (repeated to fill the batches), after one warm-up batch. Synchronous prediction is
 * used where the model has it, as the gateway's router does.
 */
export async function measureModelThroughput(
  modelDir: string,
  texts: readonly string[],
  options: ThroughputOptions = {},
): Promise<ThroughputMeasurement> {
  if (texts.length === 0) {
    throw new SlmkitError("INVALID_INPUT", "measuring throughput needs at least one text to predict.");
  }
  const batchSize = options.batchSize ?? 256;
  const minSeconds = options.minSeconds ?? 0.3;
  const batch = Array.from({ length: batchSize }, (_, index) => texts[index % texts.length] as string);
  const { predict, dispose } = await openPredictor(modelDir);
  try {
    await predict(batch);
    let predicted = 0;
    let elapsedMs = 0;
    do {
      // Only the predictions are timed; between batches the event loop runs, so a gateway measuring itself
      // (the dashboard's cost panel) keeps routing requests meanwhile instead of stalling for the whole run.
      await new Promise((resolve) => setImmediate(resolve));
      const start = startTimer();
      await predict(batch);
      elapsedMs += millisecondsSince(start);
      predicted += batch.length;
    } while (elapsedMs < minSeconds * 1000);
    const seconds = elapsedMs / 1000;
    return { perSecond: predicted / seconds, texts: predicted, seconds, batchSize };
  } finally {
    await dispose();
  }
}

interface Predictor {
  predict(texts: readonly string[]): unknown;
  dispose(): Promise<void>;
}

async function openPredictor(modelDir: string): Promise<Predictor> {
  const task = (await readRawManifest(modelDir))?.task;
  if (task === "extract") {
    const extractor = await loadNativeExtractor(modelDir);
    return { predict: (texts) => extractor.extract(texts), dispose: () => extractor.dispose() };
  }
  const model = await loadModel(modelDir);
  const withSync = model as { predictSync?: (texts: readonly string[]) => unknown };
  const predictSync = withSync.predictSync?.bind(model);
  return {
    predict: predictSync ?? ((texts) => model.predict(texts)),
    dispose: () => model.dispose(),
  };
}
