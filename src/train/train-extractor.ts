// Trains the native extractor: spans → BIO tags → averaged structured perceptron with early stopping → temperature → threshold.

import { resolveOverlaps } from "../data/spans.js";
import { SlmkitError } from "../errors.js";
import { chooseThreshold } from "../eval/selective.js";
import { goldenSectionMinimum } from "../internal/golden-section.js";
import { NativeExtractor } from "../models/native/extractor.js";
import type { ChainDecoder, ChainWeights } from "../models/native/extractor-decoder.js";
import { tagCountFor } from "../models/native/extractor-decoder.js";
import {
  defaultExtractorFeatures,
  type ExtractorFeatureConfig,
  featurizeTokens,
} from "../models/native/extractor-features.js";
import {
  type AlignmentCounts,
  goldSpans,
  recordCorrect,
  spansToTags,
  tokenizeWithOffsets,
  trimSpan,
} from "../models/native/extractor-tokens.js";
import { type ModelRecord, sha256 } from "../models/native/model-directory.js";
import type { ExtractFieldType } from "../text/normalizers/index.js";
import type { Span, SpanExample } from "../types.js";
import { AveragedPerceptron, type PreparedExample } from "./averaged-perceptron.js";
import { definedOnly, holdOutValidation } from "./internal-steps.js";
import { shuffledOrder } from "./sgd.js";
import { validateNumber } from "./train-classifier.js";

export interface ExtractorProgress {
  epoch: number;
  epochs: number;
  /** Exact span F1 (after trimming) of this epoch's averaged weights on the validation data. */
  validationF1: number;
  elapsedSeconds: number;
}

export interface TrainExtractorOptions {
  /** Validation examples for early stopping, calibration and the threshold. Default: 10% of `train`, seeded. */
  valid?: readonly SpanExample[];
  /**
   * The fields (span labels) to learn, e.g. the use case's schema. A span label outside them is an error
   * naming the line. Default: every label in the training data, sorted.
   */
  fields?: readonly string[];
  /** Value type per field, for normalized values. Default: none (values are the trimmed text). */
  fieldTypes?: Readonly<Record<string, ExtractFieldType>>;
  /** Fields a record must have to be accepted. Default none. */
  requiredFields?: readonly string[];
  /** Seed of the shuffles and the held-out split. Default 42. */
  seed?: number;
  /** Share of whole records right among those accepted, on validation data, the threshold is chosen for. Default 0.97. */
  targetAccuracy?: number;
  /** Largest number of passes over the training data. Default 12. */
  epochs?: number;
  /** Stop after this many epochs without a better validation F1. Default 3. */
  patience?: number;
  /** Feature settings. Default `defaultExtractorFeatures`. */
  features?: Partial<ExtractorFeatureConfig>;
  onProgress?: (progress: ExtractorProgress) => void;
}

/** What the trainer did to the gold spans before learning from them. */
export interface ExtractorDataNotes {
  /** Spans dropped by the overlap rule (`resolveOverlaps`: the longest span wins). */
  overlapsResolved: number;
  /** Spans that had surrounding whitespace or punctuation trimmed off. */
  trimmed: number;
  /** Spans widened to whole tokens because an offset fell inside a token. */
  snapped: number;
  /** Spans left with nothing after trimming, or on tokens another span already took. */
  dropped: number;
}

export interface ExtractorValidation {
  spanF1: number;
  n: number;
  coverage: number;
  acceptedAccuracy: number | null;
  /** Share of validation records whose spans exactly equal the gold ones. */
  recordAccuracy: number;
  bestEpoch: number;
  heldOutFromTrain: boolean;
}

export interface TrainedExtractor {
  model: NativeExtractor;
  /** What `saveNativeExtractor` records in the manifest. */
  record: ModelRecord;
  validation: ExtractorValidation;
  notes: ExtractorDataNotes;
  history: ExtractorProgress[];
}

/** The options of a run, checked, with their defaults. */
interface ExtractorSettings {
  seed: number;
  targetAccuracy: number;
  epochs: number;
  patience: number;
  features: ExtractorFeatureConfig;
  fields: string[];
  fieldIndex: Map<string, number>;
}

/** What training learns from and is scored on. */
interface PreparedData {
  trainSet: readonly SpanExample[];
  validSet: readonly SpanExample[];
  heldOutFromTrain: boolean;
  prepared: PreparedExample[];
  validPrepared: PreparedExample[];
  validGold: Span[][];
  notes: ExtractorDataNotes;
}

/** The best epoch's averaged weights. */
interface BestEpoch {
  epoch: number;
  f1: number;
  weights: ChainWeights;
}

/** Trains an extractor on span data. Deterministic: the same data, options and seed give identical weights. */
export async function trainExtractor(
  train: readonly SpanExample[],
  options: TrainExtractorOptions = {},
): Promise<TrainedExtractor> {
  const started = performance.now();
  const settings = resolveSettings(train, options);
  const data = prepareData(train, options.valid, settings);
  const perceptron = new AveragedPerceptron(
    tagCountFor(settings.fields.length),
    1 << settings.features.hashBits,
  );
  const { best, history } = runEpochs(perceptron, data, settings, started, options.onProgress);
  const finalWeights = best.weights;

  const temperature = fitChainTemperature(finalWeights, perceptron.decoder, data.validPrepared);
  const uncalibrated = new NativeExtractor({
    fields: settings.fields,
    features: settings.features,
    weights: finalWeights,
    temperature,
    threshold: 0,
    ...(options.fieldTypes === undefined ? {} : { fieldTypes: options.fieldTypes }),
    ...(options.requiredFields === undefined ? {} : { requiredFields: options.requiredFields }),
  });
  const predictions = uncalibrated.extract(data.validSet.map((example) => example.text));
  const correct = predictions.map((prediction, index) =>
    recordCorrect(prediction.spans, data.validGold[index] as Span[]),
  );
  // A record missing a required field is never accepted, so it is left out by giving it confidence 0.
  const confidences = predictions.map((prediction) =>
    uncalibrated.requiredFields.every((field) => prediction.fields[field] !== undefined)
      ? prediction.confidence
      : 0,
  );
  const choice = chooseThreshold(confidences, correct, settings.targetAccuracy);
  const model = uncalibrated.withThreshold(choice.threshold);
  const trainSeconds = (performance.now() - started) / 1000;
  const validation: ExtractorValidation = {
    spanF1: best.f1,
    n: data.validSet.length,
    coverage: choice.coverage,
    acceptedAccuracy: choice.accuracy,
    recordAccuracy: correct.filter(Boolean).length / Math.max(1, correct.length),
    bestEpoch: best.epoch,
    heldOutFromTrain: data.heldOutFromTrain,
  };
  const record: ModelRecord = {
    hyperparameters: {
      algorithm: "averaged structured perceptron, BIO tags, Viterbi",
      epochs: settings.epochs,
      patience: settings.patience,
      epochsRun: history.length,
      bestEpoch: best.epoch,
      features: settings.features,
    },
    seed: settings.seed,
    dataHash: hashSpanData(train, options.valid),
    targetAccuracy: settings.targetAccuracy,
    validation: { ...validation },
    trainSeconds,
    extra: { dataNotes: data.notes },
  };
  return { model, record, validation, notes: data.notes, history };
}

/** Throws INVALID_OPTION naming an option out of range, EMPTY_DATA or INVALID_DATA for data it cannot learn. */
function resolveSettings(train: readonly SpanExample[], options: TrainExtractorOptions): ExtractorSettings {
  const seed = options.seed ?? 42;
  const targetAccuracy = options.targetAccuracy ?? 0.97;
  const epochs = options.epochs ?? 12;
  const patience = options.patience ?? 3;
  const features: ExtractorFeatureConfig = {
    ...defaultExtractorFeatures,
    ...definedOnly(options.features ?? {}),
  };
  validateNumber("seed", seed, { integer: true, minimum: 0 });
  validateNumber("targetAccuracy", targetAccuracy, { minimum: 0, exclusiveMinimum: true, maximum: 1 });
  validateNumber("epochs", epochs, { integer: true, minimum: 1, maximum: 1000 });
  validateNumber("patience", patience, { integer: true, minimum: 1 });
  validateNumber("hashBits", features.hashBits, { integer: true, minimum: 8, maximum: 24 });
  validateNumber("window", features.window, { integer: true, minimum: 0, maximum: 5 });
  validateNumber("affixLength", features.affixLength, { integer: true, minimum: 0, maximum: 8 });
  validateNumber("charNgram", features.charNgram, { integer: true, minimum: 0, maximum: 6 });
  if (train.length === 0)
    throw new SlmkitError("EMPTY_DATA", "the training set is empty; give span-annotated examples.");

  const fields =
    options.fields === undefined
      ? [...new Set(train.flatMap((example) => example.spans.map((span) => span.label)))].sort()
      : [...options.fields];
  if (fields.length === 0) {
    throw new SlmkitError(
      "EMPTY_DATA",
      "the training data has no spans; annotate at least one field to extract.",
    );
  }
  const fieldIndex = new Map(fields.map((field, index) => [field, index]));
  for (const required of options.requiredFields ?? []) {
    if (!fieldIndex.has(required)) {
      throw new SlmkitError(
        "INVALID_OPTION",
        `required field ${JSON.stringify(required)} is not one of the fields: ${fields.join(", ")}.`,
        { field: "requiredFields" },
      );
    }
  }
  checkLabels(train, fieldIndex, fields);
  if (options.valid !== undefined) checkLabels(options.valid, fieldIndex, fields);
  return { seed, targetAccuracy, epochs, patience, features, fields, fieldIndex };
}

/** The validation set (10% of train, seeded, when none is given) and both sets as tags and features. */
function prepareData(
  train: readonly SpanExample[],
  valid: readonly SpanExample[] | undefined,
  settings: ExtractorSettings,
): PreparedData {
  let trainSet: readonly SpanExample[] = train;
  let validSet: readonly SpanExample[];
  const heldOutFromTrain = valid === undefined || valid.length === 0;
  if (heldOutFromTrain) {
    if (train.length < 10)
      throw new SlmkitError(
        "EMPTY_DATA",
        `only ${train.length} training examples: give at least 10, or a validation file.`,
      );
    // One stratum: a plain seeded 10% (span data has no one label to stratify by).
    [trainSet, validSet] = holdOutValidation(train, () => "", 0.1, settings.seed);
  } else validSet = valid;

  const { fieldIndex, features } = settings;
  const notes: ExtractorDataNotes = { overlapsResolved: 0, trimmed: 0, snapped: 0, dropped: 0 };
  const prepared = trainSet.map((example) => prepare(example, fieldIndex, features, notes));
  const validGold = validSet.map((example) => goldSpans(example.text, example.spans));
  const validPrepared = validSet.map((example) =>
    prepare(example, fieldIndex, features, { overlapsResolved: 0, trimmed: 0, snapped: 0, dropped: 0 }),
  );
  return { trainSet, validSet, heldOutFromTrain, prepared, validPrepared, validGold, notes };
}

/**
 * Perceptron epochs over the training examples, shuffled anew each epoch with `seed + epoch`, scoring the
 * averaged weights on validation after each; stops after `patience` epochs without a better span F1.
 */
function runEpochs(
  perceptron: AveragedPerceptron,
  data: PreparedData,
  settings: ExtractorSettings,
  started: number,
  onProgress: ((progress: ExtractorProgress) => void) | undefined,
): { best: BestEpoch; history: ExtractorProgress[] } {
  const { epochs, patience, seed } = settings;
  let best: BestEpoch | undefined;
  const history: ExtractorProgress[] = [];
  for (let epoch = 1; epoch <= epochs; epoch++) {
    for (const position of shuffledOrder(data.prepared.length, seed + epoch)) {
      perceptron.learn(data.prepared[position] as PreparedExample);
    }
    const averaged = perceptron.average();
    const f1 = validationF1(
      averaged,
      perceptron.decoder,
      data.validSet,
      data.validPrepared,
      data.validGold,
      settings.fields,
    );
    const progress = {
      epoch,
      epochs,
      validationF1: f1,
      elapsedSeconds: (performance.now() - started) / 1000,
    };
    history.push(progress);
    onProgress?.(progress);
    if (best === undefined || f1 > best.f1) {
      best = {
        epoch,
        f1,
        weights: best === undefined ? copyWeights(averaged) : copyInto(averaged, best.weights),
      };
    } else if (epoch - best.epoch >= patience) break;
  }
  if (best === undefined) throw new SlmkitError("TRAINING_FAILED", "training ran no epoch.");
  return { best, history };
}

function checkLabels(
  examples: readonly SpanExample[],
  fieldIndex: ReadonlyMap<string, number>,
  fields: readonly string[],
): void {
  for (const [position, example] of examples.entries()) {
    for (const span of example.spans) {
      if (fieldIndex.has(span.label)) continue;
      throw new SlmkitError(
        "INVALID_DATA",
        `span label ${JSON.stringify(span.label)} is not one of the fields: ${fields.map((field) => JSON.stringify(field)).join(", ")}. Fix the label or add the field to the schema.`,
        { file: "training data", line: example.line ?? position + 1 },
      );
    }
  }
}

function prepare(
  example: SpanExample,
  fieldIndex: ReadonlyMap<string, number>,
  features: ExtractorFeatureConfig,
  notes: ExtractorDataNotes,
): PreparedExample {
  const tokens = tokenizeWithOffsets(example.text);
  const resolved = resolveOverlaps(example.spans);
  notes.overlapsResolved += resolved.dropped;
  const trimmed = resolved.spans.map((span) => {
    const result = trimSpan(example.text, span);
    if (result.start !== span.start || result.end !== span.end) notes.trimmed++;
    return result;
  });
  const counts: AlignmentCounts = { snapped: 0, dropped: 0 };
  const kept = trimmed.filter((span) => span.start < span.end);
  counts.dropped += trimmed.length - kept.length;
  const tags = spansToTags(tokens, kept, fieldIndex, counts);
  notes.snapped += counts.snapped;
  notes.dropped += counts.dropped;
  return { features: featurizeTokens(tokens, features), tags, length: tokens.length };
}

function copyWeights(weights: ChainWeights): ChainWeights {
  return {
    tagCount: weights.tagCount,
    emission: weights.emission.slice(),
    transition: weights.transition.slice(),
  };
}

function copyInto(source: ChainWeights, target: ChainWeights): ChainWeights {
  target.emission.set(source.emission);
  target.transition.set(source.transition);
  return target;
}

/** Exact span F1 (micro, after trimming) of Viterbi decoding, scored as `slmkit eval` scores it. */
function validationF1(
  weights: ChainWeights,
  decoder: ChainDecoder,
  examples: readonly SpanExample[],
  prepared: readonly PreparedExample[],
  gold: readonly Span[][],
  fields: readonly string[],
): number {
  let truePositives = 0;
  let predictedCount = 0;
  let goldCount = 0;
  for (const [index, example] of prepared.entries()) {
    const text = (examples[index] as SpanExample).text;
    const tokens = tokenizeWithOffsets(text);
    decoder.score(weights, example.features, example.length);
    decoder.viterbi(weights, example.length);
    const predicted = decodedSpans(decoder.path, example.length, tokens, text, fields);
    const goldSpansOfText = gold[index] as Span[];
    goldCount += goldSpansOfText.length;
    predictedCount += predicted.length;
    for (const span of predicted)
      if (
        goldSpansOfText.some(
          (other) => other.start === span.start && other.end === span.end && other.label === span.label,
        )
      )
        truePositives++;
  }
  const precision = predictedCount === 0 ? 0 : truePositives / predictedCount;
  const recall = goldCount === 0 ? 0 : truePositives / goldCount;
  return precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
}

function decodedSpans(
  path: Int32Array,
  length: number,
  tokens: ReturnType<typeof tokenizeWithOffsets>,
  text: string,
  fields: readonly string[],
): Span[] {
  const spans: Span[] = [];
  let first = -1;
  for (let token = 0; token <= length; token++) {
    const tag = token < length ? (path[token] as number) : 0;
    const continues =
      tag !== 0 && (tag & 1) === 0 && first >= 0 && ((path[first] as number) - 1) >> 1 === (tag - 1) >> 1;
    if (continues) continue;
    if (first >= 0) {
      const span = trimSpan(text, {
        start: tokens[first]?.start ?? 0,
        end: tokens[token - 1]?.end ?? 0,
        label: fields[((path[first] as number) - 1) >> 1] as string,
      });
      if (span.start < span.end) spans.push(span);
    }
    first = tag === 0 ? -1 : token;
  }
  return spans;
}

/**
 * Temperature minimizing the negative log-likelihood of the gold tag paths on validation data (golden-section
 * search over log T in [1/50, 50]): perceptron scores have no probabilistic scale of their own.
 */
function fitChainTemperature(
  weights: ChainWeights,
  decoder: ChainDecoder,
  examples: readonly PreparedExample[],
): number {
  const usable = examples.filter((example) => example.length > 0);
  if (usable.length === 0) return 1;
  const cached = usable.map((example) => {
    decoder.score(weights, example.features, example.length);
    return {
      gold: decoder.pathScore(weights, example.tags, example.length),
      emissions: decoder.emissions.slice(0, example.length * decoder.tagCount),
      length: example.length,
    };
  });
  const nll = (logTemperature: number): number => {
    const temperature = Math.exp(logTemperature);
    let loss = 0;
    for (const item of cached) {
      decoder.loadEmissions(item.emissions, item.length);
      loss += decoder.marginals(weights, item.length, temperature) - item.gold / temperature;
    }
    return loss;
  };
  // 20 steps narrow log T to about 1e-4 of its range: far finer than the fit's own noise.
  return Math.exp(goldenSectionMinimum(nll, Math.log(1 / 50), Math.log(50), 20));
}

/** sha256 over the training (and validation) examples, in order: identifies the data a model was trained on. */
export function hashSpanData(train: readonly SpanExample[], valid?: readonly SpanExample[]): string {
  const line = (example: SpanExample): string =>
    JSON.stringify([example.text, example.spans.map((span) => [span.start, span.end, span.label])]);
  const lines = train.map(line);
  lines.push("--valid--");
  for (const example of valid ?? []) lines.push(line(example));
  return sha256(lines.join("\n"));
}
