import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { formatJsonl } from "../../src/data/io.js";
import { SlmkitError } from "../../src/errors.js";
import type { NativeClassifier } from "../../src/models/native/classifier.js";
import {
  buildReferenceProfile,
  loadReference,
  profileFromLog,
  readReferenceProfile,
  referenceFileName,
  writeReferenceProfile,
} from "../../src/monitor/reference.js";
import type { ListRequestsFilter } from "../../src/store/types.js";
import {
  referenceTexts,
  rowsFor,
  sameDistributionTexts,
  supportUseCase,
  trainSupportModel,
} from "./support-model.js";

let model: NativeClassifier;
let dir: string;

const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);
const isCode = (code: string) => (error: unknown) => SlmkitError.isInstance(error) && error.code === code;

before(async () => {
  ({ model } = await trainSupportModel());
  dir = await mkdtemp(join(tmpdir(), "slmkit-monitor-reference-"));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("reference profile from the model's data", () => {
  test("holds every label, histograms summing to 1, and the model's own escalation rate", () => {
    const texts = referenceTexts();
    const profile = buildReferenceProfile(model, texts);
    assert.equal(profile.source, "training");
    assert.equal(profile.n, texts.length);
    assert.deepEqual(Object.keys(profile.labelShares).sort(), [...model.labels].sort());
    assert.ok(Math.abs(sum(Object.values(profile.labelShares)) - 1) < 1e-9);
    // The generator makes 30 tickets per intent: each label's predicted share is near 1/15.
    for (const share of Object.values(profile.labelShares)) assert.ok(share > 0.03 && share < 0.11);
    assert.equal(profile.confidenceHistogram.length, 10);
    assert.equal(profile.lengthHistogram.length, 9);
    assert.ok(Math.abs(sum(profile.confidenceHistogram) - 1) < 1e-9);
    assert.ok(Math.abs(sum(profile.lengthHistogram) - 1) < 1e-9);
    const rejected = model.predictSync(texts).filter((prediction) => !prediction.accepted).length;
    assert.equal(profile.escalationRate, rejected / texts.length);
    assert.ok(profile.unknownShareMean > 0 && profile.unknownShareMean < 0.5);
    assert.equal(profile.missing, undefined);
  });

  test("refuses to profile no texts", () => {
    assert.throws(() => buildReferenceProfile(model, []), isCode("EMPTY_DATA"));
  });
});

describe("reference profile from a window of the log", () => {
  test("agrees with the profile of the same texts", () => {
    const texts = sameDistributionTexts(10);
    const fromModel = buildReferenceProfile(model, texts);
    const fromLog = profileFromLog(rowsFor(model, texts), model.labels);
    assert.equal(fromLog.source, "window");
    assert.equal(fromLog.n, texts.length);
    assert.deepEqual(fromLog.labelShares, fromModel.labelShares);
    assert.deepEqual(fromLog.confidenceHistogram, fromModel.confidenceHistogram);
    assert.deepEqual(fromLog.lengthHistogram, fromModel.lengthHistogram);
    assert.ok(Math.abs(fromLog.unknownShareMean - fromModel.unknownShareMean) < 1e-12);
    assert.equal(fromLog.escalationRate, fromModel.escalationRate);
  });

  test("lists figures no row carries as missing", () => {
    const rows = rowsFor(model, sameDistributionTexts(2)).map((row) => ({
      ...row,
      unknownShare: null,
      inputChars: null,
    }));
    assert.deepEqual(profileFromLog(rows, model.labels).missing, ["inputLength", "unknownTokens"]);
  });
});

describe("reference file", () => {
  test("round-trips through monitor-reference.json", async () => {
    const modelDir = join(dir, "round-trip");
    const profile = buildReferenceProfile(model, referenceTexts());
    await writeReferenceProfile(modelDir, profile);
    assert.deepEqual(await readReferenceProfile(modelDir), profile);
  });

  test("is undefined when the model directory has none", async () => {
    assert.equal(await readReferenceProfile(join(dir, "nothing-here")), undefined);
  });

  test("a corrupt or truncated file is MODEL_CORRUPT naming the file", async () => {
    const modelDir = join(dir, "corrupt");
    await mkdir(modelDir, { recursive: true });
    const path = join(modelDir, referenceFileName);
    await writeFile(path, "{ not json");
    await assert.rejects(readReferenceProfile(modelDir), (error) => {
      assert.ok(isCode("MODEL_CORRUPT")(error));
      assert.match((error as Error).message, /monitor-reference\.json/);
      return true;
    });
    const profile = buildReferenceProfile(model, referenceTexts());
    await writeFile(path, JSON.stringify({ ...profile, confidenceHistogram: [1] }));
    await assert.rejects(readReferenceProfile(modelDir), (error) => {
      assert.ok(isCode("MODEL_CORRUPT")(error));
      assert.match((error as Error).message, /confidenceHistogram/);
      return true;
    });
    await writeFile(path, JSON.stringify({ ...profile, formatVersion: 2 }));
    await assert.rejects(readReferenceProfile(modelDir), isCode("MODEL_VERSION"));
  });
});

describe("loadReference", () => {
  async function useCaseFolder(name: string): Promise<string> {
    const folder = join(dir, name);
    await mkdir(join(folder, "data"), { recursive: true });
    const train = referenceTexts().map((text) => ({ text, label: "x" }));
    await writeFile(join(folder, "data", "train.jsonl"), formatJsonl(train));
    await writeFile(join(folder, "data", "valid.jsonl"), formatJsonl(train.slice(0, 100)));
    return folder;
  }

  test("prefers the model directory's file", async () => {
    const folder = await useCaseFolder("with-file");
    const saved = {
      ...buildReferenceProfile(model, sameDistributionTexts(5)),
      createdAt: "2020-01-01T00:00:00.000Z",
    };
    await writeReferenceProfile(join(folder, "model"), saved);
    const loaded = await loadReference({
      useCase: supportUseCase(),
      useCaseDir: folder,
      modelDir: join(folder, "model"),
      model,
    });
    assert.deepEqual(loaded, saved);
  });

  test("builds one from data.valid, relative to the use case's folder, when there is no file", async () => {
    const folder = await useCaseFolder("without-file");
    const loaded = await loadReference({
      useCase: supportUseCase(),
      useCaseDir: folder,
      modelDir: join(folder, "model"),
      model,
    });
    assert.equal(loaded.source, "training");
    assert.equal(loaded.n, 100);
    const { valid: _valid, ...data } = supportUseCase().data;
    const fromTrain = await loadReference({
      useCase: { ...supportUseCase(), data },
      useCaseDir: folder,
      model,
    });
    assert.equal(fromTrain.n, referenceTexts().length);
  });

  test("takes the pinned window from the store, asking for exactly its range", async () => {
    const rows = rowsFor(model, sameDistributionTexts(20));
    const asked: ListRequestsFilter[] = [];
    const store = {
      listRequests: async (filter: ListRequestsFilter = {}) => {
        asked.push(filter);
        return rows;
      },
    };
    const useCase = supportUseCase({
      pinnedWindow: { from: "2024-03-01T00:00:00Z", to: "2024-03-08T00:00:00+00:00" },
    });
    const loaded = await loadReference({ useCase, useCaseDir: dir, model, store });
    assert.equal(loaded.source, "window");
    assert.equal(loaded.n, rows.length);
    assert.equal(asked.length, 1);
    assert.equal(asked[0]?.useCaseId, "support");
    assert.equal(asked[0]?.since, Date.parse("2024-03-01T00:00:00Z"));
    assert.equal(asked[0]?.until, Date.parse("2024-03-08T00:00:00Z"));
  });

  test("a pinned window needs a store and enough rows", async () => {
    const useCase = supportUseCase({
      pinnedWindow: { from: "2024-03-01T00:00:00Z", to: "2024-03-08T00:00:00Z" },
    });
    await assert.rejects(loadReference({ useCase, useCaseDir: dir, model }), isCode("INVALID_OPTION"));
    const store = { listRequests: async () => rowsFor(model, sameDistributionTexts(1)) };
    await assert.rejects(loadReference({ useCase, useCaseDir: dir, model, store }), (error) => {
      assert.ok(isCode("INVALID_SPEC")(error));
      assert.match((error as Error).message, /holds 15 logged requests.*monitor\.minRequests \(200\)/);
      return true;
    });
  });
});
