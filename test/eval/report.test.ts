import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { evaluateClassifier } from "../../src/eval/evaluate.js";
import { formatEvalSummary } from "../../src/eval/format.js";
import { escapeHtml, renderEvalHtml } from "../../src/eval/report-html.js";
import { KeywordModel, keywordExamples } from "./keyword-model.js";

const evil = "<script>alert(1)</script>";
const evilOutOfScope = '<img src="x" onerror=alert(1)>';

async function evilReport() {
  const model = new KeywordModel({
    labels: [evil, "shipping", "returns"],
    keywords: { invoice: evil },
  });
  const examples = keywordExamples.map((example) => ({
    text: example.text,
    label: example.label === "billing" ? evil : example.label === "weather" ? evilOutOfScope : example.label,
  }));
  return evaluateClassifier(model, examples, { latencySamples: 3 });
}

function assertSelfContained(html: string): void {
  assert.ok(html.startsWith("<!doctype html>"));
  assert.doesNotMatch(html, /(?:src|href)\s*=\s*["']?\s*(?:https?:)?\/\//i, "no remote src or href");
  assert.doesNotMatch(html, /<script|<link|@import|url\(/i, "no scripts, stylesheets or fetched resources");
  assert.match(html, /<svg/);
  assert.match(html, /<style>/);
}

describe("renderEvalHtml", () => {
  test("is one self-contained page with the charts, tables and figures", async () => {
    const report = await evilReport();
    const html = renderEvalHtml(report);
    assertSelfContained(html);
    for (const heading of [
      "Headline figures",
      "Calibration",
      "Coverage vs accuracy",
      "Confusions",
      "Per class",
      "Out of scope",
      "Speed and size",
    ]) {
      assert.ok(html.includes(heading), `missing section ${heading}`);
    }
    assert.equal((html.match(/<svg /g) ?? []).length, 3);
    assert.match(html, /role="img" aria-labelledby="reliability-title reliability-desc"/);
    assert.match(html, /<circle class="threshold"/);
    assert.match(html, /Most confused pairs/);
  });

  test("escapes labels from user data", async () => {
    const html = renderEvalHtml(await evilReport());
    assert.ok(!html.includes(evil));
    assert.ok(!html.includes(evilOutOfScope));
    assert.ok(html.includes("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert.ok(html.includes("&lt;img src=&quot;x&quot; onerror=alert(1)&gt;"));
  });

  test("stays readable and compact with 77 labels", async () => {
    const labels = Array.from({ length: 77 }, (_, index) => `intent_${index}`);
    const keywords = Object.fromEntries(labels.map((label, index) => [`k${index}`, label]));
    const model = new KeywordModel({ labels, keywords, threshold: 0.5 });
    const examples = labels.flatMap((label, index) => [
      { text: `k${index} 0.9`, label },
      { text: `k${index} 0.8`, label },
      { text: `k${(index + 1) % 77} 0.4`, label },
    ]);
    const report = await evaluateClassifier(model, examples, { latencySamples: 10 });
    const html = renderEvalHtml(report);
    assertSelfContained(html);
    assert.ok(html.length < 400_000, `${html.length} characters`);
    // Names move to hover titles; every non-empty cell has one.
    assert.ok(html.includes("<title>gold intent_0 → predicted intent_1: 1 (33.3% of intent_0)</title>"));
    assert.equal((html.match(/<title>gold /g) ?? []).length, 77 * 2);
    assert.equal((html.match(/<li><strong>/g) ?? []).length, 15);
  });

  test("says so when the threshold accepts nothing", async () => {
    const report = await evaluateClassifier(new KeywordModel({ threshold: 0.99 }), keywordExamples, {
      latencySamples: 1,
    });
    const html = renderEvalHtml(report);
    assert.ok(html.includes("accepts no test text"));
    assert.doesNotMatch(html, /<circle class="threshold"/);
  });
});

describe("escapeHtml", () => {
  test("escapes the five HTML-significant characters", () => {
    assert.equal(escapeHtml(`<a href="x">'&'</a>`), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  });
});

describe("formatEvalSummary", () => {
  test("gives the headline figures in a few lines", async () => {
    const report = await evaluateClassifier(new KeywordModel(), keywordExamples, { latencySamples: 3 });
    const summary = formatEvalSummary(report);
    assert.ok(summary.endsWith("\n"));
    assert.match(summary, /Evaluation of test:keyword on 7 test texts \(\+3 out of scope/);
    assert.match(summary, /accuracy\s+71\.4%\s+macro-F1 0\.711\s+ECE 0\.286/);
    assert.match(
      summary,
      /threshold\s+0\.7000 \(target 97\.0%\): accepts 71\.4% of texts at 100\.0% accuracy/,
    );
    assert.match(summary, /coverage at\s+95%: 71\.4%\s+97%: 71\.4%\s+99%: 71\.4%/);
    assert.match(summary, /out of scope\s+3 texts, 2 escalated \(66\.7%\)/);
    assert.match(
      summary,
      /latency\s+p50 [\d.]+ [mµ]s\s+p95 [\d.]+ [mµ]s\s+p99 [\d.]+ [mµ]s \(one text per call, 3 calls\)/,
    );
    assert.match(summary, /throughput\s+[\d,]+ texts\/s \(batches of 256\)/);
    assert.match(summary, /model\s+1\.2 kB, trained in 1\.5 s/);
  });

  test("says when nothing is accepted and leaves out unknown facts", async () => {
    const model = new KeywordModel({ threshold: 0.99, info: {} });
    const summary = formatEvalSummary(
      await evaluateClassifier(model, keywordExamples.slice(0, 7), { latencySamples: 1 }),
    );
    assert.match(summary, /accepts nothing: every text is escalated/);
    assert.doesNotMatch(summary, /out of scope|model {2}|target/);
  });
});
