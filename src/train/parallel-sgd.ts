// Multi-threaded SGD (Hogwild!, as fastText does): workers update shared weights without locks.
// Faster on several cores, but the interleaving of updates varies, so only one thread is deterministic.

import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { LinearWeights } from "../models/native/linear.js";
import type { SparseRows } from "../models/native/vectorizer.js";
import type { SgdWorkerSetup } from "./sgd-worker.js";

export interface EpochRunner {
  /** The weights being trained; with workers they live in shared memory. */
  readonly weights: LinearWeights;
  runEpoch(order: Int32Array, learningRate: number): Promise<number>;
  close(): Promise<void>;
}

function shared<T extends Float32Array | Int32Array>(source: T): T {
  const buffer = new SharedArrayBuffer(source.byteLength);
  const copy = (source instanceof Float32Array ? new Float32Array(buffer) : new Int32Array(buffer)) as T;
  copy.set(source);
  return copy;
}

/** Starts `threads` workers sharing `weights` and the training rows. */
export async function startParallelSgd(
  weights: LinearWeights,
  rows: SparseRows,
  targets: Int32Array,
  threads: number,
): Promise<EpochRunner> {
  const sharedWeights: LinearWeights = {
    featureCount: weights.featureCount,
    classCount: weights.classCount,
    weights: shared(weights.weights),
    bias: shared(weights.bias),
  };
  const setup: SgdWorkerSetup = {
    weights: sharedWeights,
    rows: { offsets: shared(rows.offsets), indices: shared(rows.indices), values: shared(rows.values) },
    targets: shared(targets),
  };
  // Under tsx (tests, benches) this module is TypeScript and so is its worker; once built, both are JavaScript.
  const extension = import.meta.url.endsWith(".ts") ? "ts" : "js";
  const workerUrl = new URL(`./sgd-worker.${extension}`, import.meta.url);
  const workers = Array.from({ length: threads }, () => createWorker(workerUrl));
  const next = (worker: Worker) =>
    new Promise<{ loss: number; count: number }>((resolve, reject) => {
      const onError = (error: Error) => {
        worker.off("message", onMessage);
        reject(error);
      };
      const onMessage = (message: { loss: number; count: number }) => {
        worker.off("error", onError);
        resolve(message);
      };
      worker.once("message", onMessage);
      worker.once("error", onError);
    });
  await Promise.all(
    workers.map((worker) => {
      const ready = next(worker);
      worker.postMessage({ setup });
      return ready;
    }),
  );
  return {
    weights: sharedWeights,
    async runEpoch(order: Int32Array, learningRate: number): Promise<number> {
      const shard = Math.ceil(order.length / threads);
      const results = await Promise.all(
        workers.map((worker, index) => {
          const done = next(worker);
          worker.postMessage({
            epoch: { order: order.slice(index * shard, (index + 1) * shard), learningRate },
          });
          return done;
        }),
      );
      const total = results.reduce((sum, result) => sum + result.loss * result.count, 0);
      return total / Math.max(order.length, 1);
    },
    async close(): Promise<void> {
      await Promise.all(workers.map((worker) => worker.terminate()));
    },
  };
}

/**
 * Built JavaScript workers start directly. TypeScript ones (tests and benches run sources through tsx) load
 * through tsx's CommonJS hook, registered inside the worker: Node 20 does not carry `--import` ESM loader
 * hooks into worker threads.
 */
function createWorker(url: URL): Worker {
  if (!url.pathname.endsWith(".ts")) return new Worker(url);
  const tsx = fileURLToPath(import.meta.resolve("tsx/cjs/api"));
  const bootstrap = `require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(fileURLToPath(url))});`;
  return new Worker(bootstrap, { eval: true, execArgv: [] });
}
