// Child processes measured as a user would see them: wall time from the parent, peak memory (GNU time's %M, or
// /proc VmHWM polled) and CPU; and the Debian tools the benches install when missing (fastText, GNU time, wrk).

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { accessSync, closeSync, constants, existsSync, openSync, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { repositoryRoot } from "./provenance.js";

/** Progress goes to stderr, so stdout holds only the report. */
export function progress(message: string): void {
  process.stderr.write(`${message}\n`);
}

// ---------------------------------------------------------------------------------------------------------
// Tools on the machine: fastText, GNU time

export function findOnPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory.
    }
  }
  return undefined;
}

export function tail(text: string, characters = 600): string {
  const trimmed = text.trim();
  return trimmed.length <= characters ? trimmed : `…${trimmed.slice(-characters)}`;
}

function aptGet(args: string[]): { ok: boolean; output: string } {
  progress(`  $ apt-get ${args.join(" ")}`);
  const result = spawnSync("apt-get", args, {
    encoding: "utf8",
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    timeout: 5 * 60_000,
  });
  if (result.error !== undefined) return { ok: false, output: result.error.message };
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
}

/**
 * Installs a Debian package when `check` fails: `apt-get install -y`, then, if that failed, `apt-get update`
 * and once more (a fresh container has no package lists). Returns why it could not, or undefined on success.
 */
export function ensureDebianPackage(packageName: string, check: () => boolean): string | undefined {
  if (check()) return undefined;
  progress(`${packageName}: not installed; installing it with apt-get (the bench runs as root).`);
  let attempt = aptGet(["install", "-y", packageName]);
  if (!attempt.ok) {
    progress(`  install failed (${tail(attempt.output, 200)}); updating the package lists and retrying.`);
    const update = aptGet(["update"]);
    if (!update.ok) progress(`  apt-get update failed: ${tail(update.output, 200)}`);
    attempt = aptGet(["install", "-y", packageName]);
  }
  if (attempt.ok && check()) {
    progress(`  ${packageName} installed.`);
    return undefined;
  }
  return `apt-get install -y ${packageName} failed: ${tail(attempt.output, 300)}`;
}

export function debianPackageVersion(packageName: string): string | null {
  // Default output: "<package>\t<version>".
  const result = spawnSync("dpkg-query", ["-W", packageName], { encoding: "utf8" });
  const version = result.status === 0 ? result.stdout.trim().split("\t")[1] : undefined;
  return version === undefined || version === "" ? null : version;
}

const gnuTimePath = "/usr/bin/time";

/** GNU time (Debian's `time` package) understands -o and -f; busybox's or the shell keyword do not. */
function gnuTimeWorks(): boolean {
  if (!existsSync(gnuTimePath)) return false;
  return spawnSync(gnuTimePath, ["-o", "/dev/null", "-f", "%M", "true"]).status === 0;
}

/** How a child's peak resident memory is read: GNU time's %M, else polling /proc/<pid>/status VmHWM. */
export type MemoryProbe = "gnu-time" | "proc-status";

export function chooseMemoryProbe(): MemoryProbe {
  const problem = ensureDebianPackage("time", gnuTimeWorks);
  if (problem === undefined) return "gnu-time";
  progress(`GNU time unavailable (${problem}); polling /proc/<pid>/status VmHWM instead.`);
  return "proc-status";
}

// ---------------------------------------------------------------------------------------------------------
// Measured child processes

export interface MeasuredRun {
  exitCode: number | null;
  /** Wall seconds from spawn to exit, as the parent sees them. */
  wallSeconds: number;
  /** Peak resident memory of the child; null when it could not be read. */
  peakRssBytes: number | null;
  /** User + system CPU seconds of the child (GNU time only). */
  cpuSeconds: number | null;
  stderrTail: string;
  /** Ended by `MeasureOptions.timeoutSeconds`: its figures are not the command's. */
  timedOut: boolean;
}

export interface MeasureOptions {
  /** Where the child's stdout goes; discarded when absent. */
  stdoutPath?: string;
  /** Copy the child's stderr to ours as it arrives (the native worker's progress). */
  forwardStderr?: boolean;
  /** End the child (and GNU time around it) after this many seconds. Default: wait however long it takes. */
  timeoutSeconds?: number;
  /**
   * Send the child SIGINT after this many seconds and let it finish as it does on Ctrl-C (GNU time ignores the
   * signal and keeps measuring). Default: never.
   */
  interruptAfterSeconds?: number;
}

let measuredRuns = 0;
/** Running children by pid; each leads a process group of its own (GNU time and the command under it). */
const running = new Set<number>();

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

function endGroup(pid: number): void {
  signalGroup(pid, "SIGKILL");
}

/** Ends every measured child still running, with whatever it started: for Ctrl-C and the like. */
export function endMeasuredChildren(): void {
  for (const pid of running) endGroup(pid);
}

export async function runMeasured(
  probe: MemoryProbe,
  scratchDir: string,
  command: string,
  args: readonly string[],
  options: MeasureOptions = {},
): Promise<MeasuredRun> {
  measuredRuns++;
  const timeFile = join(scratchDir, `time-${measuredRuns}.txt`);
  const [file, fileArgs] =
    probe === "gnu-time"
      ? [gnuTimePath, ["-o", timeFile, "-f", "%M %U %S", command, ...args]]
      : [command, [...args]];
  const stdoutFd = options.stdoutPath === undefined ? undefined : openSync(options.stdoutPath, "w");
  const started = process.hrtime.bigint();
  let child: ChildProcess;
  try {
    // A group of its own, so that a timeout or Ctrl-C ends the command too, not only GNU time around it.
    child = spawn(file, fileArgs, {
      cwd: repositoryRoot,
      stdio: ["ignore", stdoutFd ?? "ignore", "pipe"],
      detached: true,
    });
  } finally {
    // The child holds its own copy of the descriptor.
    if (stdoutFd !== undefined) closeSync(stdoutFd);
  }
  let stderr = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    if (options.forwardStderr) process.stderr.write(chunk);
    stderr = (stderr + chunk).slice(-4000);
  });
  // An object, because TypeScript does not see the interval's writes to a plain variable.
  const polled: { peakBytes: number | null } = { peakBytes: null };
  const poll =
    probe === "proc-status"
      ? setInterval(() => {
          // VmHWM is the kernel's own high-water mark, so a late poll still sees earlier peaks.
          try {
            const match = /^VmHWM:\s+(\d+) kB$/mu.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
            if (match) polled.peakBytes = Math.max(polled.peakBytes ?? 0, Number(match[1]) * 1024);
          } catch {
            // The process has just exited.
          }
        }, 20)
      : undefined;
  const pid = child.pid;
  if (pid !== undefined) running.add(pid);
  let timedOut = false;
  const timer =
    options.timeoutSeconds === undefined || pid === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          endGroup(pid);
        }, options.timeoutSeconds * 1000);
  const interrupt =
    options.interruptAfterSeconds === undefined || pid === undefined
      ? undefined
      : setTimeout(() => signalGroup(pid, "SIGINT"), options.interruptAfterSeconds * 1000);
  const exitCode = await new Promise<number | null>((resolvePromise, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolvePromise(code));
  }).finally(() => {
    clearInterval(poll);
    clearTimeout(timer);
    clearTimeout(interrupt);
    if (pid !== undefined) running.delete(pid);
  });
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;

  let peakRssBytes = polled.peakBytes;
  let cpuSeconds: number | null = null;
  if (probe === "gnu-time" && existsSync(timeFile)) {
    // GNU time writes "Command exited with non-zero status N" above the format line when the command fails.
    const lines = readFileSync(timeFile, "utf8").trim().split("\n");
    const [kilobytes, user, system] = (lines.at(-1) ?? "").trim().split(/\s+/u).map(Number);
    if (kilobytes !== undefined && Number.isFinite(kilobytes)) peakRssBytes = kilobytes * 1024;
    if (user !== undefined && system !== undefined && Number.isFinite(user + system))
      cpuSeconds = user + system;
  }
  return { exitCode, wallSeconds, peakRssBytes, cpuSeconds, stderrTail: tail(stderr), timedOut };
}
