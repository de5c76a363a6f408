import assert from "node:assert/strict";
import { access, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "node:test";
import { runCli, startCli, temporaryDirectory } from "../helpers/cli.js";

const dir = temporaryDirectory("slmkit-cli-");

describe("the command line, end to end", () => {
  test("init → data check → train → eval → predict on the support template", async () => {
    const init = await runCli(["init", "case", "--per-label", "40"], { cwd: dir });
    assert.equal(init.code, 0, init.stderr);
    const check = await runCli(
      [
        "data",
        "check",
        "case/data/train.jsonl",
        "--valid",
        "case/data/valid.jsonl",
        "--test",
        "case/data/test.jsonl",
        "--json",
        "check.json",
      ],
      { cwd: dir },
    );
    assert.equal(check.code, 0, check.stdout + check.stderr);
    assert.equal(JSON.parse(await readFile(join(dir, "check.json"), "utf8")).ok, true);

    const train = await runCli(
      ["train", "--usecase", "case/usecase.yaml", "--out", "model", "--quantize", "int8"],
      { cwd: dir },
    );
    assert.equal(train.code, 0, train.stderr);
    assert.match(train.stdout, /int8: validation accuracy/);
    const manifest = JSON.parse(await readFile(join(dir, "model/manifest.json"), "utf8"));
    assert.equal(manifest.precision, "int8");
    assert.equal(manifest.calibration.targetAccuracy, 0.97);

    const evaluation = await runCli(
      ["eval", "--model", "model", "--test", "case/data/test.jsonl", "--json", "-", "--html", "report.html"],
      {
        cwd: dir,
      },
    );
    assert.equal(evaluation.code, 0, evaluation.stderr);
    const report = JSON.parse(evaluation.stdout);
    for (const field of [
      "task",
      "n",
      "accuracy",
      "macroF1",
      "perClass",
      "confusion",
      "ece",
      "threshold",
      "coverage",
      "acceptedAccuracy",
      "curve",
      "coverageAt",
      "outOfScope",
      "latencyMs",
      "throughputPerSec",
      "modelBytes",
    ]) {
      assert.ok(field in report, `eval JSON lacks ${field}`);
    }
    assert.equal(report.threshold, manifest.calibration.threshold, "eval uses the model's own threshold");
    assert.ok(report.accuracy > 0.85, `accuracy ${report.accuracy}`);
    const html = await readFile(join(dir, "report.html"), "utf8");
    assert.match(html, /<svg/);
    assert.doesNotMatch(html, /(src|href)="https?:/);

    const byArgs = await runCli(["predict", "--model", "model", "I want my money back for order #A12345"], {
      cwd: dir,
    });
    assert.equal(byArgs.code, 0, byArgs.stderr);
    const line = JSON.parse(byArgs.stdout.trim());
    assert.ok(manifest.labels.includes(line.label));
    assert.equal(typeof line.accepted, "boolean");
    const byStdin = await runCli(["predict", "--model", "model"], {
      cwd: dir,
      input: '{"text": "cancel my order please"}\n"my parcel is late"\n',
    });
    assert.equal(byStdin.code, 0, byStdin.stderr);
    assert.equal(byStdin.stdout.trim().split("\n").length, 2);
  });

  test("training twice with the same seed writes byte-identical weights", async () => {
    await writeFile(join(dir, "tiny.jsonl"), tinyData());
    for (const out of ["same-a", "same-b"]) {
      const run = await runCli(["train", "--train", "tiny.jsonl", "--out", out, "--seed", "9"], {
        cwd: dir,
      });
      assert.equal(run.code, 0, run.stderr);
    }
    const [a, b] = await Promise.all(
      ["same-a", "same-b"].map((out) => readFile(join(dir, out, "weights.bin"))),
    );
    assert.ok(a?.equals(b as Buffer));
  });

  test("a malformed training line fails with file and line, and leaves no model directory", async () => {
    await writeFile(join(dir, "broken.jsonl"), `${tinyData()}{"text": "no closing brace"\n`);
    const run = await runCli(["train", "--train", "broken.jsonl", "--out", "broken-model"], {
      cwd: dir,
    });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /broken\.jsonl:\d+/);
    await assert.rejects(access(join(dir, "broken-model")));
    assert.ok(
      !(await readdir(dir)).some((name) => name.includes("broken-model")),
      "no temporary folder left behind",
    );
  });

  test("a bad number for a flag names the flag", async () => {
    const run = await runCli(["train", "--train", "tiny.jsonl", "--out", "x", "--lr", "fast"], {
      cwd: dir,
    });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--lr expects a number/);
  });

  test("an empty training file is refused", async () => {
    await writeFile(join(dir, "empty.jsonl"), "");
    const run = await runCli(["train", "--train", "empty.jsonl", "--out", "x"], { cwd: dir });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /empty\.jsonl/);
  });

  test("demo runs the whole pipeline and reuses the model on a rerun", async () => {
    const first = await runCli(["demo", "--dir", "demo", "--no-serve"], { cwd: dir });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /5\. eval {3}test accuracy/);
    assert.match(first.stdout, /report: demo\/reports\/eval\.html/);
    await access(join(dir, "demo/reports/eval.html"));
    const second = await runCli(["demo", "--dir", "demo", "--no-serve"], { cwd: dir });
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /reused demo\/model/);
  });
});

describe("npm start's serving step", () => {
  test("demo serves the use case, answers the printed request, and stops cleanly on SIGTERM", async () => {
    const demo = startCli(["demo", "--dir", "served", "--port", "0"], { cwd: dir });
    const deadline = Date.now() + 60_000;
    while (!/demo API key: \S+/.test(demo.stdout) || !/Ctrl-C/.test(demo.stdout)) {
      assert.ok(Date.now() < deadline, `demo did not start serving: ${demo.stdout}${demo.stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const stdout = demo.stdout;
    const url = /6\. serve {2}(http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1];
    const key = /demo API key: (\S+)/.exec(stdout)?.[1];
    assert.ok(url && key, stdout);
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: "support",
        messages: [{ role: "user", content: "where is my order #A12345? it was due monday" }],
      }),
    });
    assert.equal(response.status, 200);
    const body = (await response.json()) as {
      choices: { message: { content: string } }[];
      slmkit: { answered_by: string };
    };
    assert.equal(typeof body.choices[0]?.message.content, "string");
    assert.ok(["slm", "review"].includes(body.slmkit.answered_by));
    // The printed dashboard address serves the page.
    const dashboardUrl = /dashboard: (\S+) and the review queue/.exec(stdout)?.[1];
    assert.equal(dashboardUrl, `${url}/`);
    const page = await fetch(dashboardUrl);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<html/i);
    demo.child.kill("SIGTERM");
    assert.equal((await demo.exited).code, 0);
  });
});

function tinyData(): string {
  const rows: string[] = [];
  const words = { billing: ["invoice", "charge", "refund"], shipping: ["parcel", "courier", "delivery"] };
  for (let i = 0; i < 30; i++) {
    for (const [label, cues] of Object.entries(words)) {
      rows.push(JSON.stringify({ text: `hello ${cues[i % 3]} question number ${i}`, label }));
    }
  }
  return `${rows.join("\n")}\n`;
}
