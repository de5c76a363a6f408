// Runs the slmkit command line for tests: as a user does (a child process on the TypeScript source), or one
// command group in this process through commander; and a temporary folder per suite that is removed after it.

import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import { fileURLToPath } from "node:url";
import { Command } from "commander";

const repositoryRoot = fileURLToPath(new URL("../..", import.meta.url));
const cliEntry = join(repositoryRoot, "src/cli/main.ts");
// Resolved here, not by the child: a command run in a temporary folder cannot resolve "tsx" from there.
const tsx = import.meta.resolve("tsx");

export interface CliRunOptions {
  /** Working folder of the command. Default: the repository root. */
  cwd?: string;
  /** Text written to the command's stdin, which is then closed. Default: none (stdin is closed at once). */
  input?: string;
  /** Variables set for the command on top of this process's environment; undefined removes one. Default: none. */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * Milliseconds before the command is killed and the run fails with what it printed so far. Default 120 000
   * (the slowest command a test runs, `demo` on a busy 2-core machine, takes about 20 s).
   */
  timeoutMs?: number;
}

export interface CliResult {
  /** The exit code; null when a signal ended the process. */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A command still running: what it has printed so far, how it ended, and a way to end it. */
export interface RunningCli {
  readonly child: ChildProcessWithoutNullStreams;
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves when the process has exited and its output is closed; rejects past `timeoutMs`. */
  readonly exited: Promise<CliResult>;
}

const defaultTimeoutMs = 120_000;

/** Starts `slmkit <args>` (src/cli/main.ts through tsx, exactly as the bin runs it) and returns at once. */
export function startCli(args: readonly string[], options: CliRunOptions = {}): RunningCli {
  const child = spawn(process.execPath, ["--import", tsx, cliEntry, ...args], {
    cwd: options.cwd ?? repositoryRoot,
    env: environment(options.env),
  });
  let stdout = "";
  let stderr = "";
  // setEncoding keeps a multi-byte character split across two chunks whole.
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  const exited = new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(
          `slmkit ${args.join(" ")} did not exit within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`,
        ),
      );
    }, timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
  child.stdin.end(options.input ?? "");
  return {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    exited,
  };
}

/** Runs `slmkit <args>` in a child process to its end: its exit code, stdout and stderr. */
export function runCli(args: readonly string[], options: CliRunOptions = {}): Promise<CliResult> {
  return startCli(args, options).exited;
}

function environment(changes: CliRunOptions["env"]): NodeJS.ProcessEnv {
  const merged: NodeJS.ProcessEnv = { ...process.env };
  for (const [name, value] of Object.entries(changes ?? {})) {
    if (value === undefined) delete merged[name];
    else merged[name] = value;
  }
  return merged;
}

export interface CommandResult {
  /** What the command set `process.exitCode` to; undefined when it left it alone. */
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
}

/**
 * Registers one command group on a fresh program (as src/cli/run.ts does, with commander's exits turned into
 * thrown CommanderErrors) and runs `slmkit <args>` in this process. Returns the text written to stdout and
 * stderr (commander's own help and error lines included) and the exit code the command set; the process's
 * exit code is left as it was. An error the command throws is rethrown. Output is captured process-wide, so
 * tests that run commands concurrently in one file cannot use it.
 */
export async function runCommand(
  register: (program: Command) => void,
  args: readonly string[],
): Promise<CommandResult> {
  const previousExitCode = process.exitCode;
  process.exitCode = undefined;
  let exitCode: number | undefined;
  const captured = await captureOutput(async () => {
    try {
      // Commander's own output goes through process.stdout and process.stderr, so it is captured as well.
      const program = new Command().name("slmkit").exitOverride();
      register(program);
      await program.parseAsync([...args], { from: "user" });
    } finally {
      exitCode = process.exitCode === undefined ? undefined : Number(process.exitCode);
      process.exitCode = previousExitCode;
    }
  });
  return { exitCode, ...captured };
}

/**
 * Captures the text written to process.stdout and process.stderr while `run` runs. Anything that is not a
 * string (the test runner's own binary report on stdout) passes through.
 */
export async function captureOutput(run: () => Promise<void>): Promise<{ stdout: string; stderr: string }> {
  const captured = { stdout: "", stderr: "" };
  const originals = { stdout: process.stdout.write, stderr: process.stderr.write };
  for (const name of ["stdout", "stderr"] as const) {
    const stream = process[name];
    const original = originals[name];
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      if (typeof chunk === "string") {
        captured[name] += chunk;
        return true;
      }
      return (original as (...parameters: unknown[]) => boolean).call(stream, chunk, ...rest);
    }) as typeof stream.write;
  }
  try {
    await run();
  } finally {
    process.stdout.write = originals.stdout;
    process.stderr.write = originals.stderr;
  }
  return captured;
}

/**
 * A fresh folder under the OS's temporary folder, created at once (so the suite's own hooks can use it, in
 * whatever order node:test runs them) and removed with everything in it in an `after` hook of the suite this is
 * called in (or of the file, at top level), whether the tests pass or not.
 */
export function temporaryDirectory(prefix: string): string {
  const path = mkdtempSync(join(tmpdir(), prefix));
  after(async () => {
    await rm(path, { recursive: true, force: true });
  });
  return path;
}
