// `node --import tsx bench/serve-compare.ts --base <checkout>`: the gateway's CPU per request in this checkout against another
// checkout's (an earlier commit, built there with `npm run build`), in alternating rounds of the same traffic, so
// a refactor can show it made the request path no dearer. CPU per request (the gateway process's user + system
// time over the round, divided by its requests) is what a request costs whatever else the machine does; the
// rounds alternate so a busy spell hurts both sides alike. Prints figures; never asserts.
//
// Usage: node --import tsx bench/serve-compare.ts --base <dir> [--rounds 8] [--requests 20000] [--concurrency 32]

import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { stringify } from "yaml";
import { saveNativeModel } from "../src/models/native/model-directory.js";
import { generateSupportData, supportTemplate } from "../src/spec/index.js";
import { trainClassifier } from "../src/train/train-classifier.js";
import { startBenchRun } from "./provenance.js";

const { values } = parseArgs({
  options: {
    base: { type: "string" },
    rounds: { type: "string", default: "8" },
    requests: { type: "string", default: "20000" },
    concurrency: { type: "string", default: "32" },
  },
  strict: true,
});
if (values.base === undefined) throw new Error("give --base <checkout> (built with npm run build there).");
const here = fileURLToPath(new URL("..", import.meta.url));
const sides = [
  { name: "base", dir: resolve(values.base) },
  { name: "this checkout", dir: here },
];
const rounds = Number(values.rounds);
const requests = Number(values.requests);
const concurrency = Number(values.concurrency);
const log = (message: string) => process.stderr.write(`bench:serve-compare: ${message}\n`);

/** user + system clock ticks of a process, from /proc. */
function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return Number(fields[11]) + Number(fields[12]);
}

interface Child {
  url: string;
  key: string;
  pid: number;
  stop(): Promise<void>;
}

/** The side's own gateway child (bench/serve-gateway.mjs over its dist/), ready to serve. */
function startGateway(dir: string, usecase: string, store: string): Promise<Child> {
  const child = spawn(
    process.execPath,
    [
      join(dir, "bench", "serve-gateway.mjs"),
      "--usecase",
      usecase,
      "--store",
      store,
      "--use-case-id",
      "support",
    ],
    { cwd: dir, stdio: ["pipe", "pipe", "inherit"] },
  );
  return new Promise((resolveReady, reject) => {
    child.once("exit", (code) => reject(new Error(`the gateway in ${dir} exited with ${code}`)));
    createInterface({ input: child.stdout }).on("line", (line) => {
      const message = JSON.parse(line) as { event: string; url?: string; key?: string; pid?: number };
      if (message.event !== "ready") return;
      resolveReady({
        url: message.url as string,
        key: message.key as string,
        pid: message.pid as number,
        stop: () =>
          new Promise((done) => {
            child.removeAllListeners("exit");
            child.once("exit", () => done());
            child.kill("SIGTERM");
          }),
      });
    });
  });
}

/** Sends `count` chat requests, `concurrency` at a time, over kept-alive connections; counts non-200 answers. */
async function drive(child: Child, texts: readonly string[], count: number): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const url = new URL("/v1/chat/completions", child.url);
  let sent = 0;
  let failed = 0;
  const one = (text: string) =>
    new Promise<void>((done) => {
      const body = JSON.stringify({ model: "support", messages: [{ role: "user", content: text }] });
      const call = request(
        url,
        {
          method: "POST",
          agent,
          headers: { "content-type": "application/json", authorization: `Bearer ${child.key}` },
        },
        (response) => {
          if (response.statusCode !== 200) failed += 1;
          response.resume();
          response.on("end", () => done());
        },
      );
      call.on("error", () => {
        failed += 1;
        done();
      });
      call.end(body);
    });
  const worker = async () => {
    while (sent < count) {
      const text = texts[sent % texts.length] as string;
      sent += 1;
      await one(text);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  agent.destroy();
  return failed;
}

async function main(): Promise<void> {
  const run = startBenchRun({ name: "serve-compare", partial: `base ${values.base}` });
  const work = await mkdtemp(join(tmpdir(), "slmkit-serve-compare-"));
  try {
    const { model, record } = await trainClassifier(generateSupportData({ seed: 1, perLabel: 60 }), {
      seed: 1,
    });
    const modelDir = join(work, "model");
    await saveNativeModel(model, modelDir, record);
    const usecase = join(work, "usecase.yaml");
    const { llm: _llm, ...spec } = supportTemplate.spec;
    // The small-model path and the review fallback: no LLM, so the figure is the gateway's own work.
    const routing = { ...spec.routing, fallback: "review" };
    await writeFile(usecase, stringify({ ...spec, data: { train: "train.jsonl" }, model: "model", routing }));
    const texts = generateSupportData({ seed: 9, perLabel: 20 }).map((example) => example.text);
    const perRequest: Record<string, number[]> = { base: [], "this checkout": [] };
    for (let round = 0; round < rounds; round++) {
      // The starting side alternates, so neither always runs first into a quiet or busy moment.
      const order = round % 2 === 0 ? sides : [...sides].reverse();
      for (const side of order) {
        const child = await startGateway(
          side.dir,
          usecase,
          `sqlite:${join(work, `${side.name}-${round}.db`)}`,
        );
        try {
          await drive(child, texts, 2000); // warm-up: JIT, caches
          const ticks = cpuTicks(child.pid);
          const failed = await drive(child, texts, requests);
          const microseconds = ((cpuTicks(child.pid) - ticks) * 10_000) / requests;
          (perRequest[side.name] as number[]).push(microseconds);
          log(
            `round ${round + 1}/${rounds} ${side.name}: ${microseconds.toFixed(1)} µs CPU a request (${failed} not 200)`,
          );
        } finally {
          await child.stop();
        }
      }
    }
    const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)] as number;
    const base = median(perRequest.base as number[]);
    const current = median(perRequest["this checkout"] as number[]);
    const pairRatios = (perRequest["this checkout"] as number[]).map(
      (value, index) => value / ((perRequest.base as number[])[index] as number),
    );
    process.stdout.write(
      `gateway CPU per request (median of ${rounds} alternating rounds of ${requests} chat requests, slm path, SQLite log):\n` +
        `  base (${values.base}): ${base.toFixed(1)} µs\n  this checkout: ${current.toFixed(1)} µs\n` +
        `  ratio this/base: median of the rounds' ratios ${median(pairRatios).toFixed(3)} (range ${Math.min(...pairRatios).toFixed(3)}-${Math.max(...pairRatios).toFixed(3)})\n`,
    );
    await run.write({ rounds, requests, concurrency, microsecondsPerRequest: perRequest, pairRatios });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

await main();
