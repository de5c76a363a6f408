// The lazy bridge to node-llama-cpp: imported on first use only, one shared Llama runtime per process.

import type { Llama, LlamaLogLevel } from "node-llama-cpp";
import { SlmkitError } from "../../errors.js";

/** The module's exports, typed from the package itself; only ever loaded with `import()`. */
export type NodeLlamaCpp = typeof import("node-llama-cpp");

/** Receives node-llama-cpp's (llama.cpp's) log lines. */
type LogListener = (level: string, message: string) => void;

export const installHint = "npm i -E node-llama-cpp@3.21.1";

let modulePromise: Promise<NodeLlamaCpp> | undefined;
let llamaPromise: Promise<Llama> | undefined;
const logListeners = new Set<LogListener>();

/** Imports node-llama-cpp, or explains how to install it: it is an optional peer dependency. */
export async function importNodeLlamaCpp(): Promise<NodeLlamaCpp> {
  modulePromise ??= import("node-llama-cpp").catch((error: unknown) => {
    modulePromise = undefined;
    const missing =
      typeof error === "object" &&
      error !== null &&
      "code" in error &&
      (error.code === "ERR_MODULE_NOT_FOUND" || error.code === "MODULE_NOT_FOUND");
    throw new SlmkitError(
      "NOT_SUPPORTED",
      missing
        ? `GGUF models need the optional package node-llama-cpp: ${installHint}`
        : `node-llama-cpp could not be loaded; reinstall it with ${installHint}.`,
      { cause: error },
    );
  });
  return modulePromise;
}

/**
 * The process-wide Llama runtime. CPU only and prebuilt binaries only: slmkit targets CPU machines,
 * probing GPU builds costs seconds and noisy failures where there is no GPU, and building llama.cpp
 * from source inside a library call would take minutes and need a compiler.
 */
export async function getSharedLlama(): Promise<Llama> {
  llamaPromise ??= (async () => {
    const nodeLlamaCpp = await importNodeLlamaCpp();
    try {
      return await nodeLlamaCpp.getLlama({
        gpu: false,
        build: "never",
        logLevel: nodeLlamaCpp.LlamaLogLevel.warn,
        logger: (level: LlamaLogLevel, message: string) => {
          for (const listener of logListeners) listener(level, message);
        },
      });
    } catch (error) {
      llamaPromise = undefined;
      throw new SlmkitError(
        "NOT_SUPPORTED",
        `node-llama-cpp has no prebuilt llama.cpp binary for ${process.platform}-${process.arch} that loads here; reinstall it with ${installHint} (its postinstall can build one).`,
        { cause: error },
      );
    }
  })();
  return llamaPromise;
}

/** Subscribes to llama.cpp's log lines; returns the unsubscribe function. */
export function addLogListener(listener: LogListener): () => void {
  logListeners.add(listener);
  return () => logListeners.delete(listener);
}
