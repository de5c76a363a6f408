#!/usr/bin/env node
// The slmkit command line: one thin file per command over the library; this file only wires them up.

import { Command } from "commander";
import { runCli } from "./run.js";

const program = new Command();
program.name("slmkit").description("Customized small language models: train, evaluate, serve, escalate.");
await runCli(program, process.argv);
