// The retraining loop: live feedback, review decisions and LLM answers → a versioned dataset → a challenger that is
// promoted only when it is not worse than the champion on the pinned test set.

import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readClassificationData, writeJsonl } from "../data/io.js";
import { SlmkitError } from "../errors.js";
import { evaluateClassifier } from "../eval/evaluate.js";
import { writeFileAtomic } from "../internal/fs.js";
import { loadNativeModel, saveNativeModel } from "../models/native/model-directory.js";
import {
  type GateFigures,
  type GateRecord,
  ModelRegistry,
  type RegistryVersion,
} from "../models/registry.js";
import { referenceFiles } from "../monitor/reference.js";
import { loadUseCase } from "../spec/load.js";
import type { Store } from "../store/types.js";
import { normalizeText } from "../text/normalize.js";
import type { LabeledExample } from "../types.js";
import { type TrainProgress, trainClassifier } from "./train-classifier.js";

/** Where a training example of a retrain dataset came from, most trusted first. */
export type ExampleSource = "gold" | "review" | "feedback" | "teacher";

export interface RetrainExample extends LabeledExample {
  source: ExampleSource;
  /** The request it came from; absent for gold data. */
  requestId?: string;
}

export interface RetrainOptions {
  /** Where the gateway logged requests, feedback and review decisions. */
  store: Pick<Store, "listLabelledRequests" | "listRequests">;
  /** Seed for training. Default 42. */
  seed?: number;
  /** How much worse (absolute) the challenger may be on accuracy and coverage and still pass. Default 0. */
  tolerance?: number;
  /** Use LLM-answered escalations as teacher labels. Default true. */
  useTeacherLabels?: boolean;
  /** Only log rows and feedback since this time (ms epoch). Default: all. */
  since?: number;
  /** Train and gate, but leave the served model as it is. Default false. */
  dryRun?: boolean;
  /** Share of human-labelled new items (review, feedback) moved to validation, so the threshold sees them. Default 0.15. */
  validationShare?: number;
  onProgress?: (progress: TrainProgress) => void;
  /** Reports each step as it starts. */
  onStep?: (step: string) => void;
  now?: () => Date;
}

export interface RetrainReport {
  useCaseId: string;
  /** The registry version the challenger got. */
  version: string;
  /** The champion it was compared with. */
  champion: string;
  dataset: {
    path: string;
    sha256: string;
    train: number;
    valid: number;
    /** Examples of train + valid by source, after de-duplication (gold: the use case's own train and valid files). */
    bySource: Record<ExampleSource, number>;
    /** Feedback or log rows that could not be used, by reason. */
    skipped: Record<string, number>;
  };
  gate: GateRecord;
  promoted: boolean;
  /** Why the challenger was not promoted, when it was not. */
  reason: string | null;
  modelDir: string;
}

/**
 * Retrains a classify use case from what its gateway learned:
 * 1. the use case's gold training data, plus reviewed items and user feedback (human labels), plus requests the
 *    LLM answered (teacher labels, marked `source: "teacher"`), de-duplicated by normalized text with the most
 *    trusted source winning (gold > review > feedback > teacher); labels not in usecase.yaml are skipped and
 *    counted (add the label to `labels` first to learn a new intent);
 * 2. written as a versioned dataset `<model>.versions/datasets/vNNNN/{train,valid}.jsonl` with provenance;
 * 3. a challenger trained with the same seed (deterministic), validated on the use case's validation file plus a
 *    seeded share of the new human-labelled items;
 * 4. champion and challenger evaluated on the pinned test file (`data.test`, hashed and recorded): promoted only
 *    if the challenger's accuracy and coverage at its threshold are each at least the champion's minus
 *    `tolerance`, and its accepted accuracy reaches the target (or the champion's, if the champion misses it);
 * 5. promotion copies the challenger into the model directory atomically; a server watching it hot-reloads.
 */
export async function retrainUseCase(usecasePath: string, options: RetrainOptions): Promise<RetrainReport> {
  const now = options.now ?? (() => new Date());
  const tolerance = options.tolerance ?? 0;
  const seed = options.seed ?? 42;
  const step = options.onStep ?? (() => undefined);
  const useCase = await loadUseCase(usecasePath);
  const { spec, paths } = useCase;
  if (spec.task !== "classify") {
    throw new SlmkitError(
      "NOT_SUPPORTED",
      `use case "${spec.id}" is an ${spec.task} task; \`slmkit retrain\` retrains classify use cases. Use \`slmkit train\` with updated data.`,
    );
  }
  if (paths.model === undefined) {
    throw new SlmkitError("INVALID_SPEC", `use case "${spec.id}" names no \`model\` directory to retrain.`, {
      file: useCase.path,
      field: "model",
    });
  }
  if (paths.test === undefined) {
    throw new SlmkitError(
      "INVALID_SPEC",
      `use case "${spec.id}" has no \`data.test\`: retraining gates on a pinned test set. Add one (e.g. \`slmkit data split\`).`,
      { file: useCase.path, field: "data.test" },
    );
  }
  const labels = new Set((spec.labels ?? []).map((label) => label.name));
  const targetAccuracy = spec.routing.targetAccuracy;

  step("reading the registry and the data");
  const registry = await ModelRegistry.open(paths.model, now);
  const champion = registry.current;
  const gold = await readClassificationData(paths.train);
  const goldValid = paths.valid === undefined ? [] : await readClassificationData(paths.valid);
  const testBytes = await readFile(paths.test);
  const test = await readClassificationData(paths.test);

  step("collecting reviewed items, feedback and LLM answers");
  const collected = await collectExamples(options, spec.id, labels);
  const { train, valid } = assemble(
    gold,
    goldValid,
    collected.examples,
    options.validationShare ?? 0.15,
    seed,
  );

  const version = registry.nextId();
  const datasetRelative = join("datasets", version);
  const datasetDir = join(registry.dir, datasetRelative);
  const trainLines = train.map(toLine);
  const validLines = valid.map(toLine);
  await writeJsonl(join(datasetDir, "train.jsonl"), trainLines);
  await writeJsonl(join(datasetDir, "valid.jsonl"), validLines);
  const datasetHash = createHash("sha256")
    .update(JSON.stringify(trainLines))
    .update(JSON.stringify(validLines))
    .digest("hex");
  const bySource = countBySource([...train, ...valid]);
  await writeFileAtomic(
    join(datasetDir, "dataset.json"),
    `${JSON.stringify({ version, createdAt: now().toISOString(), sha256: datasetHash, train: train.length, valid: valid.length, bySource, skipped: collected.skipped, since: options.since ?? null }, null, 2)}\n`,
  );

  step(`training challenger ${version} on ${train.length} examples`);
  const trained = await trainClassifier(train, {
    ...(valid.length === 0 ? {} : { valid }),
    seed,
    targetAccuracy,
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
  });
  const scratch = await mkdtemp(join(tmpdir(), "slmkit-challenger-"));
  let added: RegistryVersion;
  try {
    const challengerDir = join(scratch, "model");
    await saveNativeModel(trained.model, challengerDir, {
      ...trained.record,
      files: referenceFiles(
        trained.model,
        trained.validationExamples.map((example) => example.text),
      ),
      extra: { retrain: { version, dataset: datasetRelative, datasetSha256: datasetHash, bySource } },
    });
    added = await registry.add(challengerDir, { dataset: datasetRelative, now: now() });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }

  step("evaluating champion and challenger on the pinned test set");
  const championModel = await loadNativeModel(registry.pathOf(champion.id));
  const challengerModel = await loadNativeModel(registry.pathOf(added.id));
  const evalOptions = { latencySamples: 1 };
  const championFigures = figuresOf(await evaluateClassifier(championModel, test, evalOptions));
  const challengerFigures = figuresOf(await evaluateClassifier(challengerModel, test, evalOptions));
  const gate = decideGate({
    testFile: paths.test,
    testSha256: createHash("sha256").update(testBytes).digest("hex"),
    targetAccuracy,
    tolerance,
    champion: { ...championFigures, version: champion.id },
    challenger: { ...challengerFigures, version: added.id },
  });
  await registry.recordGate(added.id, gate, now());

  let promoted = false;
  let reason: string | null = null;
  if (!gate.passed) reason = gate.checks.filter((check) => !check.endsWith(": ok")).join("; ");
  else if (options.dryRun) reason = "dry run: the gate passed, the served model is unchanged";
  else {
    step(`promoting ${added.id}`);
    await registry.serve(added.id, "promote", now());
    promoted = true;
  }
  return {
    useCaseId: spec.id,
    version: added.id,
    champion: champion.id,
    dataset: {
      path: datasetDir,
      sha256: datasetHash,
      train: train.length,
      valid: valid.length,
      bySource,
      skipped: collected.skipped,
    },
    gate,
    promoted,
    reason,
    modelDir: paths.model,
  };
}

/** Serves an earlier version again (no gate: a rollback is a person's decision). */
export async function rollbackUseCase(
  usecasePath: string,
  versionId: string,
  now: () => Date = () => new Date(),
): Promise<RegistryVersion> {
  const useCase = await loadUseCase(usecasePath);
  if (useCase.paths.model === undefined) {
    throw new SlmkitError("INVALID_SPEC", `use case "${useCase.spec.id}" names no \`model\` directory.`, {
      file: useCase.path,
      field: "model",
    });
  }
  const registry = await ModelRegistry.open(useCase.paths.model, now);
  await registry.serve(versionId, "rollback", now());
  return registry.version(versionId);
}

/** Opens (creating on first use) the registry of a use case's model, for listing its history. */
export async function openUseCaseRegistry(usecasePath: string): Promise<ModelRegistry> {
  const useCase = await loadUseCase(usecasePath);
  if (useCase.paths.model === undefined) {
    throw new SlmkitError("INVALID_SPEC", `use case "${useCase.spec.id}" names no \`model\` directory.`, {
      file: useCase.path,
      field: "model",
    });
  }
  return ModelRegistry.open(useCase.paths.model);
}

/** The gate: each condition with its figures, passed only when all hold. */
export function decideGate(input: Omit<GateRecord, "passed" | "checks">): GateRecord {
  const { champion, challenger, tolerance, targetAccuracy } = input;
  const format = (value: number | null) => (value === null ? "none" : value.toFixed(4));
  const checks: string[] = [];
  const check = (name: string, value: number | null, bound: number, boundText: string) => {
    const ok = value !== null && value >= bound - 1e-12;
    checks.push(`${name} ${format(value)} >= ${boundText}: ${ok ? "ok" : "FAILED"}`);
    return ok;
  };
  const accuracyOk = check(
    "accuracy",
    challenger.accuracy,
    champion.accuracy - tolerance,
    `champion ${format(champion.accuracy)} - ${tolerance}`,
  );
  const coverageOk = check(
    "coverage",
    challenger.coverage,
    champion.coverage - tolerance,
    `champion ${format(champion.coverage)} - ${tolerance}`,
  );
  // A champion that already misses the target is not a reason to refuse a challenger that misses it by less.
  const acceptedBound = Math.min(targetAccuracy, champion.acceptedAccuracy ?? targetAccuracy);
  const acceptedOk = check(
    "accepted accuracy",
    challenger.acceptedAccuracy,
    acceptedBound,
    acceptedBound === targetAccuracy
      ? `target ${format(targetAccuracy)}`
      : `champion ${format(acceptedBound)} (below target ${format(targetAccuracy)})`,
  );
  return { ...input, passed: accuracyOk && coverageOk && acceptedOk, checks };
}

function figuresOf(report: {
  n: number;
  accuracy: number;
  coverage: number;
  acceptedAccuracy: number | null;
}): GateFigures {
  return {
    n: report.n,
    accuracy: report.accuracy,
    coverage: report.coverage,
    acceptedAccuracy: report.acceptedAccuracy,
  };
}

interface Collected {
  examples: RetrainExample[];
  skipped: Record<string, number>;
}

const sourceRank: Record<ExampleSource, number> = { gold: 0, review: 1, feedback: 2, teacher: 3 };

async function collectExamples(
  options: RetrainOptions,
  useCaseId: string,
  labels: ReadonlySet<string>,
): Promise<Collected> {
  const skipped: Record<string, number> = {};
  const skip = (reason: string) => {
    skipped[reason] = (skipped[reason] ?? 0) + 1;
  };
  const range = { useCaseId, ...(options.since === undefined ? {} : { since: options.since }) };
  const examples: RetrainExample[] = [];
  const labelled = await readAll(
    (since, limit) =>
      options.store.listLabelledRequests({ ...range, ...(since === undefined ? {} : { since }), limit }),
    (item) => item.requestId,
    options.since,
  );
  const humanLabelled = new Set<string>();
  for (const item of labelled) {
    humanLabelled.add(item.requestId);
    if (item.text === null) skip("feedback without stored text (privacy.storeText is false)");
    else if (!labels.has(item.correct)) skip("label not in usecase.yaml labels");
    else {
      examples.push({
        text: item.text,
        label: item.correct,
        source: item.source === "review" ? "review" : "feedback",
        requestId: item.requestId,
      });
    }
  }
  if (options.useTeacherLabels ?? true) {
    const answered = await readAll(
      (since, limit) =>
        options.store.listRequests({
          ...range,
          ...(since === undefined ? {} : { since }),
          answeredBy: "llm",
          withText: true,
          order: "oldest",
          limit,
        }),
      (row) => row.id,
      options.since,
    );
    for (const row of answered) {
      if (humanLabelled.has(row.id)) continue;
      if (row.inputText === null || row.label === null) skip("llm answer without text or label");
      else if (!labels.has(row.label)) skip("label not in usecase.yaml labels");
      else examples.push({ text: row.inputText, label: row.label, source: "teacher", requestId: row.id });
    }
  }
  return { examples, skipped };
}

/** Store reads are bounded; this pages through a range oldest first, by time, skipping rows seen at a page edge. */
async function readAll<T extends { createdAt: number }>(
  page: (since: number | undefined, limit: number) => Promise<T[]>,
  keyOf: (item: T) => string,
  since: number | undefined,
): Promise<T[]> {
  const pageSize = 50_000;
  const all: T[] = [];
  const seen = new Set<string>();
  let from = since;
  for (;;) {
    const rows = await page(from, pageSize);
    let added = 0;
    for (const row of rows) {
      const key = keyOf(row);
      if (seen.has(key)) continue;
      seen.add(key);
      all.push(row);
      added += 1;
    }
    const last = rows.at(-1);
    if (rows.length < pageSize || last === undefined || added === 0) return all;
    // Rows of the same millisecond as the last one are read again and skipped by key.
    from = last.createdAt;
  }
}

/**
 * Gold first, then the new examples; one example per normalized text, the most trusted source winning (a
 * person's label overrides the LLM's). A seeded share of the new human-labelled examples goes to validation.
 */
function assemble(
  gold: readonly LabeledExample[],
  goldValid: readonly LabeledExample[],
  fresh: readonly RetrainExample[],
  validationShare: number,
  seed: number,
): { train: RetrainExample[]; valid: RetrainExample[] } {
  const byText = new Map<string, RetrainExample>();
  const goldTexts = new Set<string>();
  for (const example of gold) goldTexts.add(normalizeText(example.text));
  for (const example of goldValid) goldTexts.add(normalizeText(example.text));
  // A canonical order (source, then text, then label), not the store's: rows logged in the same millisecond
  // come back in id order, which is random, and the order of the training examples changes the model.
  // Sorted, the same rows give the same dataset and so, with the same seed, the same model.
  const keyed = fresh.map((example) => ({ example, key: normalizeText(example.text) }));
  keyed.sort(
    (a, b) =>
      sourceRank[a.example.source] - sourceRank[b.example.source] ||
      compareStrings(a.key, b.key) ||
      compareStrings(a.example.label, b.example.label) ||
      compareStrings(a.example.text, b.example.text),
  );
  for (const { example, key } of keyed) {
    if (goldTexts.has(key) || byText.has(key)) continue;
    byText.set(key, example);
  }
  const train: RetrainExample[] = gold.map((example) => ({
    text: example.text,
    label: example.label,
    source: "gold",
  }));
  const valid: RetrainExample[] = goldValid.map((example) => ({
    text: example.text,
    label: example.label,
    source: "gold",
  }));
  for (const [key, example] of byText) {
    const human = example.source === "review" || example.source === "feedback";
    if (human && bucketOf(key, seed) < validationShare) valid.push(example);
    else train.push(example);
  }
  return { train, valid };
}

/** Code-unit order, the same in every locale. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A stable number in [0, 1) per text and seed: the same item always lands on the same side. */
function bucketOf(key: string, seed: number): number {
  const digest = createHash("sha256").update(`${seed}\u0000${key}`).digest();
  return digest.readUInt32BE(0) / 2 ** 32;
}

function countBySource(examples: readonly RetrainExample[]): Record<ExampleSource, number> {
  const counts: Record<ExampleSource, number> = { gold: 0, review: 0, feedback: 0, teacher: 0 };
  for (const example of examples) counts[example.source] += 1;
  return counts;
}

function toLine(example: RetrainExample): Record<string, string> {
  return {
    text: example.text,
    label: example.label,
    source: example.source,
    ...(example.requestId === undefined ? {} : { requestId: example.requestId }),
  };
}
