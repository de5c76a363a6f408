#!/usr/bin/env node
// The slmkit command line: one thin file per command over the library; this file only wires them up.

import { Command } from "commander";
import { runCli } from "./run.js";

// `slmkit eval --json - | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});

const program = new Command();
program.name("slmkit").description("Customized small language models: train, evaluate, serve, escalate.");
await runCli(program, process.argv);
