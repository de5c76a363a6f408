// Child processes of bench/serve.ts and what it reads of them: tracked children (all ended at exit, also on
// Ctrl-C), the JSON-line protocol, wrk's installation, and /proc figures (RSS, CPU of a process and of the machine).

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { debianPackageVersion, ensureDebianPackage, findOnPath, progress } from "./measured-process.js";
import type { ChildMessage, GatewayClosed, GatewayStats, ServerReady } from "./serve-protocol.js";
import { benchDir, repositoryRoot, wrkConnections } from "./serve-report.js";

export { progress, tail } from "./measured-process.js";

/**
 * On Ctrl-C or SIGTERM: says so, runs `cleanUp` (end the children, remove the scratch folder) and exits 130 or
 * 143; a clean-up that hangs is given 10 s.
 */
export function cleanUpOnSignal(cleanUp: () => Promise<void>, what: string): void {
  const onSignal = (signal: NodeJS.Signals) => {
    progress(`\n${signal}: ${what}…`);
    const code = signal === "SIGINT" ? 130 : 143;
    const timer = setTimeout(() => process.exit(code), 10_000);
    timer.unref();
    cleanUp().finally(() => process.exit(code));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
}

/**
 * The gateway child runs the built package (dist/), as users do: builds it with `npm run build` when it is
 * missing or older than any file under src/, so a bench never measures stale code.
 */
export function ensureBuilt(): void {
  const built = join(repositoryRoot, "dist", "index.js");
  let builtAt = 0;
  try {
    builtAt = statSync(built).mtimeMs;
  } catch {
    // Missing: built below.
  }
  const sourceDir = join(repositoryRoot, "src");
  const newer = readdirSync(sourceDir, { recursive: true, encoding: "utf8" }).find(
    (file) => statSync(join(sourceDir, file)).mtimeMs > builtAt,
  );
  if (newer === undefined) return;
  progress(
    builtAt === 0
      ? "dist/ is missing: building it (npm run build)…"
      : `src/${newer} is newer than dist/: building (npm run build)…`,
  );
  const build = spawnSync("npm", ["run", "build", "--silent"], {
    cwd: repositoryRoot,
    stdio: ["ignore", 2, 2],
  });
  if (build.status !== 0) throw new Error(`npm run build failed (exit ${build.status ?? build.signal}).`);
}

// ---------------------------------------------------------------------------------------------------------
// Child processes: every one is tracked and ended at exit, also on Ctrl-C

const liveChildren = new Set<ChildProcess>();
/** Set once the bench is ending: a child spawned after that (the main flow still running) is ended at once. */
let ending = false;

export function track(child: ChildProcess): ChildProcess {
  liveChildren.add(child);
  child.once("exit", () => liveChildren.delete(child));
  if (ending) child.kill("SIGTERM");
  return child;
}

export function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
export async function endChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  if (!(await waitForExit(child, graceMs))) {
    child.kill("SIGKILL");
    await waitForExit(child, 2_000);
  }
}

export async function endAllChildren(): Promise<void> {
  ending = true;
  await Promise.all([...liveChildren].map((child) => endChild(child, 5_000)));
}

type MessageOf<E extends ChildMessage["event"]> = E extends "ready"
  ? ServerReady
  : E extends "closed"
    ? GatewayClosed
    : E extends "stats"
      ? GatewayStats
      : Extract<ChildMessage, { event: "sending" | "measuring" | "done" }>;

/** A Node child running one of bench/serve-*.ts, talking JSON lines on stdout. */
export class BenchChild {
  readonly process: ChildProcess;
  private readonly messages: ChildMessage[] = [];
  private wake: (() => void) | undefined;
  private stderrTail = "";

  constructor(
    readonly name: string,
    script: string,
    args: readonly string[],
    env: NodeJS.ProcessEnv = process.env,
    /** Node's own flags for the child, e.g. `--cpu-prof`. */
    nodeArgs: readonly string[] = [],
  ) {
    this.process = track(
      // TypeScript children run through tsx; a .mjs child (the gateway, over dist/) runs as users run it.
      spawn(
        process.execPath,
        [
          ...nodeArgs,
          ...(script.endsWith(".mjs") ? [] : ["--import", "tsx"]),
          join(benchDir, script),
          ...args,
        ],
        {
          cwd: repositoryRoot,
          env,
          stdio: ["pipe", "pipe", "pipe"],
        },
      ),
    );
    createInterface({ input: this.process.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      try {
        this.messages.push(JSON.parse(line) as ChildMessage);
      } catch {
        progress(`  [${name}] ${line}`);
      }
      this.wake?.();
    });
    this.process.stderr?.on("data", (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      this.stderrTail = (this.stderrTail + text).slice(-2_000);
      for (const line of text.split("\n")) if (line.trim() !== "") progress(`  [${name}] ${line}`);
    });
    this.process.once("exit", () => this.wake?.());
  }

  get pid(): number {
    return this.process.pid ?? -1;
  }

  async waitFor<E extends ChildMessage["event"]>(event: E, timeoutMs: number): Promise<MessageOf<E>> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const index = this.messages.findIndex((message) => message.event === event);
      if (index >= 0) return this.messages.splice(index, 1)[0] as MessageOf<E>;
      if (this.process.exitCode !== null || this.process.signalCode !== null) {
        throw new Error(
          `${this.name} exited (${this.process.exitCode ?? this.process.signalCode}) before "${event}":\n${this.stderrTail}`,
        );
      }
      const left = deadline - performance.now();
      if (left <= 0)
        throw new Error(`${this.name}: no "${event}" within ${timeoutMs} ms.\n${this.stderrTail}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /** Writes one line to the child's stdin (the gateway answers "stats" with a GatewayStats line). */
  send(line: string): void {
    this.process.stdin?.write(`${line}\n`);
  }

  end(graceMs = 5_000): Promise<void> {
    return endChild(this.process, graceMs);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Tools on the machine: wrk

/** `apt-get install -y wrk` when missing (and `apt-get update` and once more if that fails). */
export function ensureWrk(): { available: boolean; notice: string | null; version: string | null } {
  const wasThere = findOnPath("wrk") !== undefined;
  const problem = ensureDebianPackage("wrk", () => findOnPath("wrk") !== undefined);
  if (problem === undefined) {
    return {
      available: true,
      notice: wasThere ? null : "wrk was installed by this run (apt-get install -y wrk).",
      version: debianPackageVersion("wrk"),
    };
  }
  return {
    available: false,
    notice: `wrk could not be installed (${problem}); peak throughput comes from the Node closed-loop generator (bench/serve-load.ts, ${wrkConnections} keep-alive connections), which is slower than wrk and shares the 2 cores less kindly.`,
    version: null,
  };
}

// ---------------------------------------------------------------------------------------------------------
// /proc readers

const clockTicksPerSecond = (() => {
  const result = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" });
  const ticks = Number(result.stdout?.trim());
  return Number.isFinite(ticks) && ticks > 0 ? ticks : 100;
})();

/** Resident memory of a process in bytes (VmRSS), or null when it cannot be read. */
export function rssBytes(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match === null ? null : Number(match[1]) * 1024;
  } catch {
    return null;
  }
}

/** User + system CPU seconds of a process, all its threads, or null when it cannot be read. */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond;
  } catch {
    return null;
  }
}

/**
 * CPU seconds of a process to the nanosecond: the scheduler's run time of each of its threads
 * (/proc/<pid>/task/<tid>/schedstat), summed. `cpuSeconds` counts 10 ms ticks, too coarse for one request;
 * this one can be read around a single call. Threads that ended are not counted. Null when it cannot be read.
 */
export function preciseCpuSeconds(pid: number): number | null {
  try {
    let nanoseconds = 0;
    for (const thread of readdirSync(`/proc/${pid}/task`)) {
      try {
        nanoseconds += Number(readFileSync(`/proc/${pid}/task/${thread}/schedstat`, "utf8").split(" ")[0]);
      } catch {
        // The thread ended between the listing and the read.
      }
    }
    return nanoseconds / 1e9;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------------------

/** Jiffies of the whole machine since boot, from /proc/stat's first line. */
export interface MachineCpu {
  /** Everything but idle and iowait (steal included: time the hypervisor gave to someone else). */
  busy: number;
  total: number;
  /** performance.now() when read. */
  at: number;
}

export function machineCpu(): MachineCpu | null {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0] ?? "";
    const fields = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already counted in user).
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
    const busy = user + nice + system + irq + softirq + steal;
    return { busy, total: busy + idle + iowait, at: performance.now() };
  } catch {
    return null;
  }
}

/** CPU seconds of this process (user + system), plus its children's once reaped when `withChildren`. */
export function ownCpuSeconds(withChildren: boolean): number | null {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime, stime, cutime, cstime are fields 14-17.
    const self = Number(fields[11]) + Number(fields[12]);
    const children = withChildren ? Number(fields[13]) + Number(fields[14]) : 0;
    return (self + children) / clockTicksPerSecond;
  } catch {
    return null;
  }
}

/** How busy the machine was over a window, in cores, and how much of that was not this bench. */
export interface MachineLoad {
  /** Cores busy on average over the window (of `cores`), every process and the hypervisor's steal. */
  busyCores: number;
  /** busyCores minus the bench's own processes in the window: other work sharing the machine. */
  otherCores: number;
  cores: number;
  /** One-minute load average at the end of the window. */
  loadAverage: number;
}

export function machineLoad(
  from: MachineCpu | null,
  to: MachineCpu | null,
  benchCpuSeconds: number | null,
  cores: number,
  loadAverage: number,
): MachineLoad | null {
  if (from === null || to === null || to.total <= from.total || benchCpuSeconds === null) return null;
  const busyCores = ((to.busy - from.busy) / (to.total - from.total)) * cores;
  const seconds = (to.at - from.at) / 1000;
  return {
    busyCores,
    otherCores: Math.max(0, busyCores - benchCpuSeconds / seconds),
    cores,
    loadAverage,
  };
}
