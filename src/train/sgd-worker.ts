// Worker side of multi-threaded training: runs SGD on its shard of each epoch against shared weights.

import { parentPort } from "node:worker_threads";
import type { LinearWeights } from "../models/native/linear.js";
import type { SparseRows } from "../models/native/vectorizer.js";
import { sgdEpoch } from "./sgd.js";

/** The shared state a worker trains on; every array is a view of a SharedArrayBuffer. */
export interface SgdWorkerSetup {
  weights: LinearWeights;
  rows: SparseRows;
  targets: Int32Array;
}

export interface SgdWorkerEpoch {
  order: Int32Array;
  learningRate: number;
}

let setup: SgdWorkerSetup | undefined;

parentPort?.on("message", (message: { setup: SgdWorkerSetup } | { epoch: SgdWorkerEpoch }) => {
  if ("setup" in message) {
    setup = message.setup;
    parentPort?.postMessage({ ready: true });
    return;
  }
  if (setup === undefined) throw new Error("sgd worker: epoch before setup");
  const { order, learningRate } = message.epoch;
  const loss = sgdEpoch(setup.weights, setup.rows, setup.targets, order, { learningRate });
  parentPort?.postMessage({ loss, count: order.length });
});
