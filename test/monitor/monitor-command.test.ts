import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type MonitorCommandOutput, runMonitorCommand } from "../../src/cli/monitor.js";
import { formatJsonl } from "../../src/data/io.js";
import { SlmkitError } from "../../src/errors.js";
import type { NativeClassifier } from "../../src/models/native/classifier.js";
import { saveNativeModel } from "../../src/models/native/model-directory.js";
import { readModelVersion } from "../../src/monitor/model-version.js";
import type { DriftReport } from "../../src/monitor/types.js";
import { generateSupportData } from "../../src/spec/catalog/support.js";
import { createStore } from "../../src/store/index.js";
import { referenceTexts, rowsFor, sameDistributionTexts, trainSupportModel } from "./support-model.js";

let dir: string;
let model: NativeClassifier;
let version: string;
let clock = 1_700_000_000_000;

function capture(): MonitorCommandOutput & { text: string; exitCode: number | undefined } {
  const output = {
    text: "",
    exitCode: undefined as number | undefined,
    write(text: string) {
      output.text += text;
    },
    setExitCode(code: number) {
      output.exitCode = code;
    },
  };
  return output;
}

async function log(storePath: string, texts: readonly string[]): Promise<void> {
  const store = createStore({ kind: "sqlite", path: storePath });
  await store.migrate();
  for (const row of rowsFor(model, texts, { start: clock, modelVersion: version })) store.logRequest(row);
  clock += texts.length;
  await store.close();
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "slmkit-monitor-command-"));
  const trained = await trainSupportModel();
  model = trained.model;
  await saveNativeModel(model, join(dir, "model"), trained.record);
  version = await readModelVersion(join(dir, "model"));
  await mkdir(join(dir, "data"));
  const valid = referenceTexts().map((text) => ({ text, label: "unused" }));
  await writeFile(join(dir, "data", "valid.jsonl"), formatJsonl(valid));
  await writeFile(join(dir, "data", "train.jsonl"), formatJsonl(valid.slice(0, 10)));
  const labels = model.labels.map((label) => `  - name: ${label}`).join("\n");
  await writeFile(
    join(dir, "usecase.yaml"),
    `version: 1\nid: support\ntitle: Support tickets\ntask: classify\nlabels:\n${labels}\n` +
      "data:\n  train: data/train.jsonl\n  valid: data/valid.jsonl\nmodel: model\n" +
      "monitor:\n  window: 300\n  minRequests: 200\n",
  );
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("slmkit monitor", () => {
  test("prints the table and leaves the exit code alone while traffic looks like the data; exits 1 on drift", async () => {
    const storePath = join(dir, "gateway.db");
    await log(storePath, sameDistributionTexts(20));
    const options = { usecase: join(dir, "usecase.yaml"), store: `sqlite:${storePath}` };
    const calm = capture();
    const report = await runMonitorCommand(options, calm);
    assert.equal(report.status, "ok");
    assert.equal(report.modelVersion, version);
    assert.equal(report.window.n, 300);
    assert.equal(report.reference.n, referenceTexts().length, "the reference is built from data.valid");
    assert.equal(calm.exitCode, undefined);
    assert.match(calm.text, /^check +value +reference +alert +status +detail$/m);
    assert.match(calm.text, /^inputLength +\d\.\d{3} +- +> 0\.200 +ok /m);
    assert.match(calm.text, /status: ok\n$/);

    const fresh = generateSupportData({ seed: 9, perLabel: 30 }).map((example) => example.text);
    await log(
      storePath,
      Array.from({ length: 300 }, (_, index) => fresh.slice(index, index + 12).join(" ")),
    );
    const alarmed = capture();
    const jsonPath = join(dir, "report.json");
    const drifted = await runMonitorCommand({ ...options, json: jsonPath }, alarmed);
    assert.equal(drifted.status, "drift");
    assert.equal(alarmed.exitCode, 1);
    assert.match(alarmed.text, /^inputLength +\d+\.\d{3} +- +> 0\.200 +alert +PSI/m);
    assert.match(alarmed.text, /status: drift \(.*inputLength.*\)\n$/);
    const saved = JSON.parse(await readFile(jsonPath, "utf8")) as DriftReport;
    assert.deepEqual(saved, drifted);

    const json = capture();
    await runMonitorCommand({ ...options, json: "-" }, json);
    assert.equal((JSON.parse(json.text) as DriftReport).status, "drift", "--json - prints only the JSON");
    assert.equal(json.exitCode, 1);
  });

  test("a missing request log is a clear error, not an empty report", async () => {
    const missing = join(dir, "nowhere", "gateway.db");
    await assert.rejects(
      runMonitorCommand({ usecase: join(dir, "usecase.yaml"), store: `sqlite:${missing}` }, capture()),
      (error) => {
        assert.ok(SlmkitError.isInstance(error) && error.code === "IO_ERROR");
        assert.match(error.message, /no request log at .*slmkit serve/);
        return true;
      },
    );
  });
});
