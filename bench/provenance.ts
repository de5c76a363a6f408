// Where a bench result came from, recorded in every bench/results file: the commit and whether the tree was clean,
// Node, the machine and how busy it was while the bench ran; and where the file goes. A result measured on a
// clean tree lands in bench/results/<name>.json (to be committed); any other (uncommitted changes, --quick, a
// partial run) in bench/results/local/ (gitignored), so a committed result is always from a committed tree.

import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { cpus, loadavg, totalmem } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { writeFileAtomic } from "../src/internal/fs.js";

export const repositoryRoot = fileURLToPath(new URL("..", import.meta.url));
export const resultsDir = join(repositoryRoot, "bench", "results");
/** Results that must not be committed: quick, partial or dirty-tree runs. Gitignored. */
export const localResultsDir = join(resultsDir, "local");

/**
 * Cores other processes may keep busy, on average over a run, before the run is marked busy. On this project's
 * 2-core machines, bench:serve's latency figures got much worse from about 0.2 cores of other work on
 * (bench/README.md, "busy cores / others").
 */
export const otherCoresBusyThreshold = 0.2;
/** Other processes named in a result: the ones that used the most CPU during the run. */
const busiestShown = 5;

export interface GitState {
  /** HEAD's commit; null outside a git checkout. */
  commit: string | null;
  /**
   * Uncommitted changes (untracked files included) anywhere but bench/results/, at the start or the end of the
   * run, or HEAD moved during it; null when git could not tell.
   */
  dirty: boolean | null;
  /** The first changed paths, as `git status --porcelain` prints them. */
  changes: string[];
}

export interface MachineInfo {
  cores: number;
  /** The first core's model name. */
  model: string | null;
  platform: string;
  totalMemoryBytes: number;
}

/** CPU of one other process during the run. */
export interface BusyProcess {
  pid: number;
  /** The executable's name (/proc/<pid>/comm): never its arguments, which may hold secrets. */
  name: string;
  cores: number;
}

/** How busy the machine was over the whole run, and how much of that was not this bench. */
export interface LoadFigures {
  seconds: number;
  /** 1-, 5- and 15-minute load averages when the run started and when it ended. */
  loadAverageBefore: number[];
  loadAverageAfter: number[];
  /** Cores in use on average (all processes and the hypervisor's steal, /proc/stat); null off Linux. */
  busyCores: number | null;
  /** Of those, this bench's own process and its descendants. */
  benchCores: number | null;
  /** The rest: other work sharing the machine. */
  otherCores: number | null;
  /** otherCores ≥ `otherCoresBusyThreshold`: timings of this run are noisier than a quiet machine's. */
  othersBusy: boolean | null;
  /** The other processes that used the most CPU during the run (those alive at its end, their own CPU). */
  busiest: BusyProcess[];
}

export interface Provenance {
  benchmark: string;
  /** When the run started (ISO 8601). */
  date: string;
  finishedAt: string;
  /** How to run it again, as it was run. */
  command: string;
  git: GitState;
  node: string;
  machine: MachineInfo;
  load: LoadFigures;
}

export interface BenchRunOptions {
  /** The benchmark's name, and the result file's (e.g. "classifier-banking77" → classifier-banking77.json). */
  name: string;
  /** The benchmark kind recorded as `benchmark`. Default: `name`. */
  benchmark?: string;
  /** A smoke run: its result goes to bench/results/local/<name>.quick.json. */
  quick?: boolean;
  /** Why the run measured less than a full one (e.g. "--limit 300"); its result goes to local/ too. */
  partial?: string;
  /** The command to record. Default: this process's own, relative to the repository. */
  command?: string;
}

export interface WrittenResult {
  /** Absolute path of the file written. */
  file: string;
  /** True when the file is bench/results/<name>.json, from a clean tree: the one to commit. */
  publishable: boolean;
  /** Why it is not publishable; empty when it is. */
  reasons: string[];
  provenance: Provenance;
}

export interface BenchRun {
  readonly options: BenchRunOptions;
  /** The provenance as of now: git read again, the load window from the start until now. */
  provenance(): Provenance;
  /**
   * Writes `figures` with the provenance in front of them, to bench/results/<name>.json when publishable, else
   * to bench/results/local/, and says on stderr where and why, and how busy the machine was.
   */
  write(figures: object): Promise<WrittenResult>;
}

/** Starts recording a bench run: reads git and the machine's CPU counters now, to compare at the end. */
export function startBenchRun(options: BenchRunOptions): BenchRun {
  const startedAt = new Date();
  const gitBefore = readGit();
  const loadBefore = loadavg();
  const machineBefore = machineCpuTicks();
  const processesBefore = readProcesses();
  const started = performance.now();
  const provenance = (): Provenance => {
    const gitAfter = readGit();
    const processesAfter = readProcesses();
    return {
      benchmark: options.benchmark ?? options.name,
      date: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      command: options.command ?? ownCommand(),
      git: combineGit(gitBefore, gitAfter),
      node: process.version,
      machine: machineInfo(),
      load: loadFigures({
        seconds: (performance.now() - started) / 1000,
        loadBefore,
        machineBefore,
        machineAfter: machineCpuTicks(),
        processesBefore,
        processesAfter,
      }),
    };
  };
  return {
    options,
    provenance,
    async write(figures) {
      const recorded = provenance();
      const clashes = Object.keys(figures).filter((key) => key in recorded);
      if (clashes.length > 0)
        throw new Error(`bench figures must not overwrite the provenance's ${clashes.join(", ")}`);
      const reasons = unpublishableReasons(options, recorded.git);
      const file = resultFile(options, reasons);
      await mkdir(join(file, ".."), { recursive: true });
      await writeFileAtomic(file, formatResultJson({ ...recorded, ...figures }));
      for (const line of describeRun(recorded, file, reasons)) process.stderr.write(`${line}\n`);
      return { file, publishable: reasons.length === 0, reasons, provenance: recorded };
    },
  };
}

/** Why a result must not be committed: a quick or partial run, or a tree git cannot vouch for. */
export function unpublishableReasons(options: BenchRunOptions, git: GitState): string[] {
  const reasons: string[] = [];
  if (options.quick === true) reasons.push("a --quick run");
  if (options.partial !== undefined) reasons.push(`a partial run (${options.partial})`);
  if (git.commit === null) reasons.push("no git commit could be read");
  else if (git.dirty === null) reasons.push("git could not say whether the tree was clean");
  else if (git.dirty) {
    const shown = git.changes.slice(0, 3).join(", ");
    reasons.push(
      `uncommitted changes (${shown}${git.changes.length > 3 ? `, … ${git.changes.length} in all` : ""})`,
    );
  }
  return reasons;
}

/** bench/results/<name>.json when publishable; else local/<name>.quick.json, .partial.json or .dirty.json. */
export function resultFile(options: BenchRunOptions, reasons: readonly string[]): string {
  if (reasons.length === 0) return join(resultsDir, `${options.name}.json`);
  const why = options.quick === true ? "quick" : options.partial !== undefined ? "partial" : "dirty";
  return join(localResultsDir, `${options.name}.${why}.json`);
}

/** Two-space JSON with non-integers rounded to 6 decimals: for reading and diffing; no timing is that precise. */
export function formatResultJson(value: unknown): string {
  return `${JSON.stringify(
    value,
    (_key, item: unknown) =>
      typeof item === "number" && !Number.isInteger(item) ? Math.round(item * 1e6) / 1e6 : item,
    2,
  )}\n`;
}

/** What a bench prints about its result: where it went, why not to commit it, and how busy the machine was. */
export function describeRun(provenance: Provenance, file: string, reasons: readonly string[]): string[] {
  const lines = [`figures written to ${relative(repositoryRoot, file)}`];
  if (reasons.length > 0) lines.push(`  not for committing: ${reasons.join("; ")}`);
  const load = provenance.load;
  if (load.othersBusy === true) {
    const who = load.busiest.map((process) => `${process.name} ${process.cores.toFixed(2)}`).join(", ");
    lines.push(
      `  MACHINE BUSY: other processes used ${load.otherCores?.toFixed(2)} of ${provenance.machine.cores} cores on average during the run${who === "" ? "" : ` (${who})`}; timings are noisier than on a quiet machine`,
    );
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------------------
// git

function git(args: readonly string[]): string | null {
  const result = spawnSync("git", args, { cwd: repositoryRoot, encoding: "utf8" });
  return result.status === 0 ? result.stdout : null;
}

function readGit(): GitState {
  const head = git(["rev-parse", "HEAD"]);
  // bench/results/ holds the outputs, not the inputs: a bench:all run writes there between benches.
  const status = git([
    "status",
    "--porcelain",
    "--untracked-files=normal",
    "--",
    ".",
    ":(exclude)bench/results",
  ]);
  const changes = status === null ? [] : status.split("\n").filter((line) => line.trim() !== "");
  return {
    commit: head === null ? null : head.trim(),
    dirty: status === null ? null : changes.length > 0,
    changes: changes.slice(0, 20),
  };
}

/** Dirty when either end was dirty or HEAD moved during the run: the figures then match no one commit. */
function combineGit(before: GitState, after: GitState): GitState {
  const moved = before.commit !== after.commit;
  const dirty = before.dirty === null || after.dirty === null ? null : before.dirty || after.dirty || moved;
  const changes = [...new Set([...before.changes, ...after.changes])];
  if (moved) changes.unshift(`HEAD moved from ${before.commit} to ${after.commit} during the run`);
  return { commit: before.commit, dirty, changes: changes.slice(0, 20) };
}

// ---------------------------------------------------------------------------------------------------------
// The machine and its load

function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    cores: list.length,
    model: list[0]?.model ?? null,
    platform: `${process.platform} ${process.arch}`,
    totalMemoryBytes: totalmem(),
  };
}

function ownCommand(): string {
  const script = process.argv[1] === undefined ? "" : relative(repositoryRoot, process.argv[1]);
  return ["node", ...process.execArgv, script, ...process.argv.slice(2)]
    .filter((part) => part !== "")
    .join(" ");
}

const clockTicksPerSecond = (() => {
  const ticks = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout?.trim());
  return Number.isFinite(ticks) && ticks > 0 ? ticks : 100;
})();

/** Busy and total jiffies of the whole machine since boot (/proc/stat's first line); null off Linux. */
export function machineCpuTicks(): { busy: number; total: number } | null {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0] ?? "";
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = line
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    // Guest time is already counted in user; steal is time the hypervisor gave to someone else.
    const busy = user + nice + system + irq + softirq + steal;
    return { busy, total: busy + idle + iowait };
  } catch {
    return null;
  }
}

/** One process as /proc/<pid>/stat tells it. */
export interface ProcessTicks {
  pid: number;
  ppid: number;
  name: string;
  /** utime + stime: its own CPU, all threads. */
  ownTicks: number;
  /** cutime + cstime: the CPU of its children it has waited for. */
  childrenTicks: number;
  /** When it started, in ticks since boot: tells a reused pid from the process that had it before. */
  startTicks: number;
}

/** Every process's CPU counters; empty off Linux. Processes that exit while being read are left out. */
export function readProcesses(): Map<number, ProcessTicks> {
  const processes = new Map<number, ProcessTicks>();
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return processes;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const parsed = parseStat(entry);
    if (parsed !== null) processes.set(parsed.pid, parsed);
  }
  return processes;
}

function parseStat(pid: string): ProcessTicks | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const open = stat.indexOf("(");
    const close = stat.lastIndexOf(")");
    // After the name (which may hold spaces and parentheses): state is field 3, ppid 4, utime 14 … starttime 22.
    const fields = stat.slice(close + 2).split(" ");
    const number = (field: number) => Number(fields[field - 3]);
    return {
      pid: Number(pid),
      ppid: number(4),
      name: stat.slice(open + 1, close),
      ownTicks: number(14) + number(15),
      childrenTicks: number(16) + number(17),
      startTicks: number(22),
    };
  } catch {
    return null;
  }
}

/** This process and every live descendant of it. */
export function processTree(processes: ReadonlyMap<number, ProcessTicks>, root: number): Set<number> {
  const children = new Map<number, number[]>();
  for (const process of processes.values()) {
    const siblings = children.get(process.ppid) ?? [];
    siblings.push(process.pid);
    children.set(process.ppid, siblings);
  }
  const tree = new Set<number>();
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop() as number;
    if (tree.has(pid)) continue;
    tree.add(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/**
 * CPU ticks of a process tree: each live member's own and waited-for children's ticks. A child that exited and
 * was waited for is in its parent's children ticks, so nothing is counted twice and nothing finished is lost.
 */
export function treeTicks(processes: ReadonlyMap<number, ProcessTicks>, tree: ReadonlySet<number>): number {
  let ticks = 0;
  for (const pid of tree) {
    const process = processes.get(pid);
    if (process !== undefined) ticks += process.ownTicks + process.childrenTicks;
  }
  return ticks;
}

interface LoadWindow {
  seconds: number;
  loadBefore: number[];
  machineBefore: { busy: number; total: number } | null;
  machineAfter: { busy: number; total: number } | null;
  processesBefore: ReadonlyMap<number, ProcessTicks>;
  processesAfter: ReadonlyMap<number, ProcessTicks>;
}

/** The machine's busy cores over a window, this bench's share (its process tree) and everyone else's. */
export function loadFigures(window: LoadWindow): LoadFigures {
  const cores = cpus().length;
  const { machineBefore, machineAfter, processesBefore, processesAfter } = window;
  const base = {
    seconds: window.seconds,
    loadAverageBefore: window.loadBefore,
    loadAverageAfter: loadavg(),
  };
  if (
    machineBefore === null ||
    machineAfter === null ||
    machineAfter.total <= machineBefore.total ||
    processesAfter.size === 0 ||
    window.seconds <= 0
  ) {
    return { ...base, busyCores: null, benchCores: null, otherCores: null, othersBusy: null, busiest: [] };
  }
  const busyCores =
    ((machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total)) * cores;
  const treeBefore = processTree(processesBefore, process.pid);
  const treeAfter = processTree(processesAfter, process.pid);
  const benchTicks = treeTicks(processesAfter, treeAfter) - treeTicks(processesBefore, treeBefore);
  const benchCores = benchTicks / clockTicksPerSecond / window.seconds;
  const otherCores = Math.max(0, busyCores - benchCores);
  const busiest: BusyProcess[] = [];
  for (const after of processesAfter.values()) {
    if (treeAfter.has(after.pid)) continue;
    const before = processesBefore.get(after.pid);
    const same = before !== undefined && before.startTicks === after.startTicks;
    // Own ticks only: a parent's waited-for children may have run mostly before this window.
    const ticks = after.ownTicks - (same ? before.ownTicks : 0);
    if (ticks > 0)
      busiest.push({ pid: after.pid, name: after.name, cores: ticks / clockTicksPerSecond / window.seconds });
  }
  busiest.sort((a, b) => b.cores - a.cores);
  return {
    ...base,
    busyCores,
    benchCores,
    otherCores,
    othersBusy: otherCores >= otherCoresBusyThreshold,
    busiest: busiest.slice(0, busiestShown),
  };
}
