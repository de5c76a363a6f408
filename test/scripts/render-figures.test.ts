// The README's figures are rendered from bench/results/, never typed: the documents must match the results.

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  applyRegions,
  loadResults,
  markdownTable,
  provenanceOf,
  renderDocuments,
  renderRegions,
} from "../../scripts/render-figures.js";

test("README.md and bench/README.md say what bench/results/ says (run `npm run figures` after a bench)", () => {
  for (const document of renderDocuments(loadResults())) {
    assert.equal(
      document.current,
      document.rendered,
      `${document.file} disagrees with bench/results/: run \`npm run figures\` and commit the result`,
    );
  }
});

const provenance = {
  benchmark: "x",
  date: "2026-12-08T10:00:00.000Z",
  command: "node bench/x.ts",
  git: { commit: "0123456789abcdef0123456789abcdef01234567", dirty: false, changes: [] },
  node: "v20.20.2",
  machine: { cores: 2, model: "AMD EPYC", platform: "linux x64", totalMemoryBytes: 1 },
  load: { otherCores: 0.05, othersBusy: false, busyCores: 1, benchCores: 0.95 },
};

test("a result without a commit on a clean tree is not quoted, only named for rerunning", () => {
  const regions = renderRegions({
    "extractor-restaurant8k": { spanF1: 0.9325, dataNotes: { overlapsResolved: 49 } },
  });
  assert.doesNotMatch(regions.benches ?? "", /0\.9325/);
  assert.match(regions.benches ?? "", /predates bench\/provenance\.ts\): rerun `npm run bench:extractor`/);
  assert.match(regions.benches ?? "", /`npm run bench:cache`.*no committed result/);
});

test("a traced result's figures are rendered from its fields, with the machine's load when it was busy", () => {
  const regions = renderRegions({
    "extractor-restaurant8k": {
      ...provenance,
      load: { ...provenance.load, otherCores: 0.8, othersBusy: true },
      spanF1: 0.93254,
      spanF1Overlap: 0.9491,
      trainSeconds: 13.56,
      coverageAt: { "0.95": 0.94, "0.97": 0.8846, "0.99": 0.68 },
      modelBytes: 1_254_615,
      dataNotes: { overlapsResolved: 49 },
    },
    "distill-banking77": {
      ...provenance,
      variants: {
        default: {
          studentAccuracy: 0.884,
          teacherAccuracy: 0.892,
          accuracyRatio: 0.9916,
          teacherCalls: 7550,
        },
        hardLabels: { accuracyRatio: 0.9556 },
        augment1: { accuracyRatio: 0.9978, teacherCalls: 11164 },
      },
    },
  });
  const benches = regions.benches ?? "";
  assert.match(benches, /exact span F1 \*\*0\.9325\*\*/);
  assert.match(benches, /record coverage at 97%: 0\.885/);
  assert.match(benches, /49 overlapping spans resolved/);
  assert.match(benches, /machine busy: other processes used 0\.80 cores/);
  // The teacher calls of --augment 1 are computed from the two counts, never typed: 11,164 / 7,550 = +48%.
  assert.match(benches, /for 48% more teacher calls \(11,164 vs 7,550\)/);
});

test("the classifier table has one row per system of the result's comparison", () => {
  const row = (id: string, system: string, accuracy: number) => ({
    id,
    system,
    accuracy,
    coverageAt: { "0.95": 0.9, "0.97": 0.8, "0.99": 0.7 },
    atValidationThresholds: {
      "0.95": { threshold: 0.5, coverage: 0.91, acceptedAccuracy: 0.95 },
      "0.97": { threshold: 0.6, coverage: 0.81, acceptedAccuracy: 0.971 },
      "0.99": { threshold: 0.9, coverage: 0.61, acceptedAccuracy: 0.99 },
    },
    trainWallSeconds: 9.5,
    peakRssBytes: 150_000_000,
    modelBytes: 6_400_000,
    textsPerSec: 60_000,
    textsPerSecIncludesProcessStart: id.startsWith("fasttext"),
    note: "",
  });
  const classifier =
    renderRegions({
      "classifier-banking77": {
        ...provenance,
        data: { train: 9000, valid: 1003, test: 3080, labels: 77 },
        comparison: [row("native", "slmkit native, float32", 0.915), row("fasttext-b", "fastText (b)", 0.89)],
      },
    }).classifier ?? "";
  assert.match(classifier, /9,000 train, 1,003 valid, 3,080 test, 77 intents/);
  assert.match(classifier, /\| slmkit native, float32 \| 0\.915 +\| 0\.900 \/ 0\.800 \/ 0\.700/);
  assert.match(classifier, /\| fastText \(b\) +\| 0\.890 .*\| 60,000\* +\|/);
  assert.match(classifier, /commit `0123456789`, 2026-12-08, 2 × AMD EPYC, Node v20\.20\.2; quiet/);
});

test("a marked region is replaced whole; one nothing renders is an error, not stale text", () => {
  const document = "intro\n<!-- figures:a -->\nold 1\nold 2\n<!-- /figures -->\nend\n";
  assert.equal(
    applyRegions(document, { a: "new" }, "doc.md"),
    "intro\n<!-- figures:a -->\nnew\n<!-- /figures -->\nend\n",
  );
  assert.throws(() => applyRegions(document, { b: "new" }, "doc.md"), /doc\.md: no renderer for region "a"/);
});

test("provenance names an untraced result as such", () => {
  assert.match(
    provenanceOf({ git: { commit: null } }, "serve"),
    /`bench\/results\/serve\.json` records no commit/,
  );
  assert.equal(
    markdownTable([
      ["a", "bb"],
      ["ccc", "d"],
    ]),
    "| a   | bb  |\n| --- | --- |\n| ccc | d   |",
  );
});
