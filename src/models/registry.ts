// The model registry of one use case: every trained version kept on disk beside the served model, with the gate
// figures that promoted or rejected it, so a promotion is an atomic copy and a rollback is another.

import { cp, mkdir, readdir, readFile, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { z } from "zod";
import { SlmkitError } from "../errors.js";
import { writeDirectoryAtomic, writeFileAtomic } from "../internal/fs.js";
import { manifestFileName } from "./native/model-directory.js";

/** Figures of one model on one test set, as the gate compares them. */
export interface GateFigures {
  n: number;
  accuracy: number;
  /** Share accepted at the model's own threshold. */
  coverage: number;
  /** Accuracy of the accepted items; null when none is accepted. */
  acceptedAccuracy: number | null;
}

/** The champion/challenger comparison recorded with every retrain. */
export interface GateRecord {
  /** The pinned test file and its sha256: both models are measured on exactly these items. */
  testFile: string;
  testSha256: string;
  targetAccuracy: number;
  /** How much worse the challenger may be on accuracy and coverage (absolute). */
  tolerance: number;
  champion: GateFigures & { version: string };
  challenger: GateFigures & { version: string };
  passed: boolean;
  /** Each condition with its figures, e.g. "accuracy 0.953 >= 0.951 - 0.000: ok". */
  checks: string[];
}

export type VersionStatus = "champion" | "retired" | "rejected" | "candidate";

export interface RegistryVersion {
  /** "v0001", "v0002", … in creation order. */
  id: string;
  createdAt: string;
  /** The manifest's data hash. */
  dataHash: string;
  /** "baseline": the model that was served when the registry started; "retrain": made by `slmkit retrain`. */
  origin: "baseline" | "retrain";
  status: VersionStatus;
  /** The versioned dataset the model was trained on, relative to the registry folder; absent for the baseline. */
  dataset?: string;
  gate?: GateRecord;
}

export interface RegistryEvent {
  at: string;
  action: "register" | "promote" | "reject" | "rollback";
  version: string;
  /** The champion it replaced, for promote and rollback. */
  from?: string;
  note?: string;
}

export interface RegistryState {
  formatVersion: 1;
  /** The version being served from the model directory. */
  current: string;
  versions: RegistryVersion[];
  events: RegistryEvent[];
}

const gateFiguresSchema = z.object({
  n: z.number(),
  accuracy: z.number(),
  coverage: z.number(),
  acceptedAccuracy: z.number().nullable(),
});

const registrySchema = z.object({
  formatVersion: z.literal(1),
  current: z.string(),
  versions: z.array(
    z.object({
      id: z.string(),
      createdAt: z.string(),
      dataHash: z.string(),
      origin: z.enum(["baseline", "retrain"]),
      status: z.enum(["champion", "retired", "rejected", "candidate"]),
      dataset: z.string().optional(),
      gate: z
        .object({
          testFile: z.string(),
          testSha256: z.string(),
          targetAccuracy: z.number(),
          tolerance: z.number(),
          champion: gateFiguresSchema.extend({ version: z.string() }),
          challenger: gateFiguresSchema.extend({ version: z.string() }),
          passed: z.boolean(),
          checks: z.array(z.string()),
        })
        .optional(),
    }),
  ),
  events: z.array(
    z.object({
      at: z.string(),
      action: z.enum(["register", "promote", "reject", "rollback"]),
      version: z.string(),
      from: z.string().optional(),
      note: z.string().optional(),
    }),
  ),
});

const registryFileName = "registry.json";

/** The registry folder of a model directory: `<model>.versions/` beside it. */
export function registryDirOf(modelDir: string): string {
  return join(dirname(modelDir), `${basename(modelDir)}.versions`);
}

/**
 * A use case's model registry. The served model directory stays an ordinary model directory (the Contract);
 * the registry keeps a copy of every version under `<model>.versions/vNNNN/`, and `registry.json` says which
 * one is being served and why. Not safe for two writers at once: run one `slmkit retrain` at a time.
 */
export class ModelRegistry {
  readonly modelDir: string;
  readonly dir: string;
  private constructor(
    modelDir: string,
    private state: RegistryState,
  ) {
    this.modelDir = modelDir;
    this.dir = registryDirOf(modelDir);
  }

  /**
   * Opens the registry of `modelDir`, creating it on first use with the model being served as version v0001
   * (the baseline champion). Throws MODEL_NOT_FOUND when there is neither a registry nor a model.
   */
  static async open(modelDir: string, now: () => Date = () => new Date()): Promise<ModelRegistry> {
    const dir = registryDirOf(modelDir);
    const path = join(dir, registryFileName);
    let text: string | undefined;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
        throw new SlmkitError("IO_ERROR", `cannot read ${path}: ${(error as Error).message}`, {
          file: path,
          cause: error,
        });
      }
    }
    if (text !== undefined) {
      let parsed: RegistryState;
      try {
        // zod types optional keys as `T | undefined`; the parsed shape is the same as RegistryState's.
        parsed = registrySchema.parse(JSON.parse(text)) as RegistryState;
      } catch (error) {
        throw new SlmkitError(
          "INVALID_DATA",
          `${path} is not a valid model registry (${(error as Error).message.slice(0, 200)}). Restore it from a backup or move it away to start a new registry from the served model.`,
          { file: path, cause: error },
        );
      }
      return new ModelRegistry(modelDir, parsed);
    }
    const manifest = await readManifestFields(modelDir);
    const registry = new ModelRegistry(modelDir, {
      formatVersion: 1,
      current: "v0001",
      versions: [],
      events: [],
    });
    await copyModel(modelDir, join(dir, "v0001"));
    registry.state.versions.push({
      id: "v0001",
      createdAt: manifest.createdAt,
      dataHash: manifest.dataHash,
      origin: "baseline",
      status: "champion",
    });
    registry.state.events.push({
      at: now().toISOString(),
      action: "register",
      version: "v0001",
      note: "the model served when the registry started",
    });
    await registry.save();
    return registry;
  }

  get current(): RegistryVersion {
    return this.version(this.state.current);
  }

  get versions(): readonly RegistryVersion[] {
    return this.state.versions;
  }

  get events(): readonly RegistryEvent[] {
    return this.state.events;
  }

  /** The folder holding a version's model directory. */
  pathOf(id: string): string {
    return join(this.dir, this.version(id).id);
  }

  /** The next version id, e.g. "v0003"; also the name of its dataset folder. */
  nextId(): string {
    return `v${String(this.state.versions.length + 1).padStart(4, "0")}`;
  }

  version(id: string): RegistryVersion {
    const found = this.state.versions.find((version) => version.id === id);
    if (found === undefined) {
      throw new SlmkitError(
        "INVALID_OPTION",
        `no model version "${id}" in ${this.dir}; known: ${this.state.versions.map((version) => version.id).join(", ")}.`,
        { field: "version" },
      );
    }
    return found;
  }

  /** Copies a freshly trained model directory into the registry as the next version (status "candidate"). */
  async add(sourceDir: string, details: { dataset?: string; now?: Date }): Promise<RegistryVersion> {
    const id = this.nextId();
    const manifest = await readManifestFields(sourceDir);
    await copyModel(sourceDir, join(this.dir, id));
    const version: RegistryVersion = {
      id,
      createdAt: manifest.createdAt,
      dataHash: manifest.dataHash,
      origin: "retrain",
      status: "candidate",
      ...(details.dataset === undefined ? {} : { dataset: details.dataset }),
    };
    this.state.versions.push(version);
    await this.save();
    return version;
  }

  /** Records the gate's verdict on a candidate; a failed gate marks it rejected. */
  async recordGate(id: string, gate: GateRecord, now: Date = new Date()): Promise<void> {
    const version = this.version(id);
    version.gate = gate;
    if (!gate.passed) {
      version.status = "rejected";
      this.state.events.push({
        at: now.toISOString(),
        action: "reject",
        version: id,
        note: gate.checks.filter((check) => !check.endsWith(": ok")).join("; "),
      });
    }
    await this.save();
  }

  /**
   * Serves a version: its files replace the model directory atomically (a server watching it hot-reloads),
   * the previous champion is retired. `action` says whether this is a gated promotion or a rollback.
   */
  async serve(id: string, action: "promote" | "rollback", now: Date = new Date()): Promise<void> {
    const version = this.version(id);
    const previous = this.state.current;
    if (action === "promote" && version.gate?.passed !== true) {
      throw new SlmkitError(
        "INVALID_OPTION",
        `version ${id} has not passed the gate; only a rollback may serve it (\`slmkit retrain --rollback ${id}\`).`,
        { field: "version" },
      );
    }
    await copyModel(this.pathOf(id), this.modelDir);
    for (const other of this.state.versions) {
      if (other.status === "champion" && other.id !== id) other.status = "retired";
    }
    version.status = "champion";
    this.state.current = id;
    this.state.events.push({ at: now.toISOString(), action, version: id, from: previous });
    await this.save();
  }

  private async save(): Promise<void> {
    await writeFileAtomic(join(this.dir, registryFileName), `${JSON.stringify(this.state, null, 2)}\n`);
  }
}

async function readManifestFields(modelDir: string): Promise<{ createdAt: string; dataHash: string }> {
  const path = join(modelDir, manifestFileName);
  let raw: { createdAt?: unknown; dataHash?: unknown };
  try {
    raw = JSON.parse(await readFile(path, "utf8")) as typeof raw;
  } catch (error) {
    throw new SlmkitError(
      "MODEL_NOT_FOUND",
      `no readable model at ${modelDir} (${(error as Error).message}). Train one first with \`slmkit train\`.`,
      { file: path, cause: error },
    );
  }
  return {
    createdAt: typeof raw.createdAt === "string" ? raw.createdAt : new Date(0).toISOString(),
    dataHash: typeof raw.dataHash === "string" ? raw.dataHash : "unknown",
  };
}

/** Copies every regular file of a model directory into `target`, replacing it atomically. */
async function copyModel(source: string, target: string): Promise<void> {
  const sourceStat = await stat(source).catch(() => undefined);
  if (sourceStat === undefined || !sourceStat.isDirectory()) {
    throw new SlmkitError("MODEL_NOT_FOUND", `no model directory at ${source}.`, { file: source });
  }
  await mkdir(dirname(target), { recursive: true });
  await writeDirectoryAtomic(target, async (temporary) => {
    for (const entry of await readdir(source, { withFileTypes: true })) {
      if (entry.isFile()) await cp(join(source, entry.name), join(temporary, entry.name));
    }
  });
}
