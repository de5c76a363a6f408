// The provenance every bench result records, and where a result may be written.

import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import {
  formatResultJson,
  type GitState,
  localResultsDir,
  type ProcessTicks,
  processTree,
  resultFile,
  resultsDir,
  startBenchRun,
  treeTicks,
  unpublishableReasons,
} from "../../bench/provenance.js";

const clean: GitState = { commit: "a".repeat(40), dirty: false, changes: [] };

test("a full run on a clean tree is written to bench/results/<name>.json, to be committed", () => {
  const reasons = unpublishableReasons({ name: "cache" }, clean);
  assert.deepEqual(reasons, []);
  assert.equal(resultFile({ name: "cache" }, reasons), join(resultsDir, "cache.json"));
});

test("a dirty tree, a quick run or a partial run is written under local/, with the reason", () => {
  const dirty: GitState = { ...clean, dirty: true, changes: [" M src/a.ts", "?? bench/x.ts"] };
  const dirtyReasons = unpublishableReasons({ name: "cache" }, dirty);
  assert.match(dirtyReasons.join(), /uncommitted changes \( M src\/a\.ts, \?\? bench\/x\.ts\)/);
  assert.equal(resultFile({ name: "cache" }, dirtyReasons), join(localResultsDir, "cache.dirty.json"));

  const quick = unpublishableReasons({ name: "serve", quick: true }, clean);
  assert.deepEqual(quick, ["a --quick run"]);
  assert.equal(resultFile({ name: "serve", quick: true }, quick), join(localResultsDir, "serve.quick.json"));

  const partial = unpublishableReasons({ name: "baseline", partial: "--limit 300" }, clean);
  assert.deepEqual(partial, ["a partial run (--limit 300)"]);
  assert.equal(
    resultFile({ name: "baseline", partial: "--limit 300" }, partial),
    join(localResultsDir, "baseline.partial.json"),
  );
});

test("a tree git cannot vouch for is not publishable", () => {
  assert.deepEqual(unpublishableReasons({ name: "x" }, { commit: null, dirty: null, changes: [] }), [
    "no git commit could be read",
  ]);
  assert.deepEqual(unpublishableReasons({ name: "x" }, { ...clean, dirty: null }), [
    "git could not say whether the tree was clean",
  ]);
});

test("a bench's own CPU is its process tree's: live descendants and the children it waited for", () => {
  const ticks = (pid: number, ppid: number, own: number, children = 0): ProcessTicks => ({
    pid,
    ppid,
    name: `p${pid}`,
    ownTicks: own,
    childrenTicks: children,
    startTicks: 0,
  });
  const processes = new Map(
    [ticks(1, 0, 1000), ticks(10, 1, 50, 30), ticks(11, 10, 20), ticks(12, 11, 5), ticks(20, 1, 900)].map(
      (process) => [process.pid, process],
    ),
  );
  const tree = processTree(processes, 10);
  assert.deepEqual([...tree].sort(), [10, 11, 12]);
  assert.equal(treeTicks(processes, tree), 50 + 30 + 20 + 5);
});

test("the provenance names the commit, Node, the machine and its load", () => {
  const run = startBenchRun({ name: "provenance-test", command: "node bench/x.ts" });
  const provenance = run.provenance();
  assert.equal(provenance.benchmark, "provenance-test");
  assert.equal(provenance.command, "node bench/x.ts");
  assert.equal(provenance.node, process.version);
  assert.match(provenance.git.commit ?? "", /^[0-9a-f]{40}$/);
  assert.equal(typeof provenance.git.dirty, "boolean");
  assert.ok(provenance.machine.cores >= 1);
  assert.equal(provenance.load.loadAverageBefore.length, 3);
  if (process.platform === "linux") {
    assert.equal(typeof provenance.load.busyCores, "number");
    assert.equal(typeof provenance.load.othersBusy, "boolean");
  }
});

test("result JSON rounds non-integers to 6 decimals and keeps integers", () => {
  assert.equal(formatResultJson({ a: 1 / 3, b: 12 }), '{\n  "a": 0.333333,\n  "b": 12\n}\n');
});
