// The hybrid client: answers on the device when the bundle's model is sure, asks the gateway when it is not and the
// gateway can be reached, falls back (and queues) when it cannot, and syncs: events up, newer bundles down.

import { SlmkitError } from "../errors.js";
import type { FieldValues } from "../models/task-model.js";
import { type EdgeModel, loadEdgeModel } from "./edge-model.js";
import { createEventIdSource } from "./event-id.js";
import { EventQueue } from "./event-queue.js";
import {
  askGateway,
  downloadBundle,
  type FetchLike,
  type GatewayConnection,
  uploadEvents,
} from "./gateway.js";
import { createMemoryStorage, type EdgeStorage } from "./storage.js";
import type { DecisionEvent, EscalationEvent, GatewayDecision } from "./wire.js";

/** The runtime's name in uploaded batches: the client and the bundle format it reads. */
const runtimeName = "slmkit-edge/1";
const bundleKey = "bundle";
/** The reason of every answer the device's model gave itself (its confidence and threshold are in the decision). */
const acceptedReason = "answered on the device: confidence at or above the bundle's threshold";
const deviceKey = "state/device";

export interface EdgeGatewayOptions {
  /** The gateway's base URL, e.g. "https://slm.example.com"; its routes are under /v1. */
  baseURL: string;
  /** An API key (`slmkit keys create`), sent as `Authorization: Bearer <key>`. */
  apiKey: string;
}

/** What the client answers when the model is unsure and the gateway cannot be asked. */
export type EdgeFallback = "guess" | { holdingAnswer: string };

export interface EdgeClientOptions {
  /** The use case's id: the chat route's `model`, and the bundle's use case. */
  useCase: string;
  gateway: EdgeGatewayOptions;
  /** A bundle shipped with the app (bytes): the client starts offline with it. Default none (downloaded at start). */
  bundle?: Uint8Array | ArrayBuffer;
  /** Where newer bundles come from. Default `${baseURL}/v1/usecases/${useCase}/bundle`. */
  bundleUrl?: string;
  /** Where the bundle and the queue are kept. Default memory (nothing survives a reload). */
  storage?: EdgeStorage;
  /** Unsure and unable to ask: "guess" answers the model's guess, flagged; or a holding answer. Default "guess". */
  fallback?: EdgeFallback;
  /** Sync at start, every this many ms and when the device comes back online; 0 syncs only on `sync()`. Default 300,000. */
  syncIntervalMs?: number;
  /** Default `globalThis.fetch`. */
  fetch?: FetchLike;
  /** The Ed25519 public key (base64 or 32 bytes) every bundle must be signed with. Default none (unsigned accepted). */
  publicKey?: Uint8Array | string;
  /** Most events kept for upload; past it the oldest local decision is dropped. Default 10,000. */
  maxQueuedEvents?: number;
  /** Events per upload. Default 100 (the gateway takes at most 100). */
  batchSize?: number;
  /** Time limit of each gateway request, ms. Default 10,000. */
  timeoutMs?: number;
  /** Send the text of local decisions with their events (for retraining). Default false: only escalations carry text. */
  logText?: boolean;
}

/** Who answered: the device's model, the device's fallback, or the gateway (its own `answered_by`). */
export type EdgeAnsweredBy = "edge" | "fallback" | "slm" | "cache" | "llm" | "review";

/** The client's answer to one text. */
export interface EdgeDecision {
  /** Give it to `feedback`: the local event's id, or the gateway's `request_id`. */
  id: string;
  answeredBy: EdgeAnsweredBy;
  /** classify: the label; answer: the intent; extract: null. Null too for a holding answer. */
  label: string | null;
  /** answer use cases: the answer; or the holding answer. */
  answer: string | null;
  /** extract use cases: the record. */
  fields: FieldValues | null;
  confidence: number | null;
  /** The threshold `confidence` was held against: the bundle's, or the gateway's (null when it did not say). */
  threshold: number | null;
  /** An unverified answer: the model's guess below its threshold, or the gateway's flagged guess. */
  flagged: boolean;
  /** Sent to the gateway at the next sync (the device was offline or the gateway did not answer). */
  queued: boolean;
  reason: string;
  /** Time to this answer, ms. */
  latencyMs: number;
}

export interface EdgeSyncResult {
  /** Events the gateway stored, already had, or refused for good (all three leave the queue). */
  uploaded: number;
  duplicates: number;
  rejected: number;
  /** Events still queued. */
  remaining: number;
  /** The bundle check: a new one swapped in, the same one, a bad one refused (the old one serves), or not checked. */
  bundle: "updated" | "unchanged" | "refused" | "unavailable" | "skipped";
  /** What went wrong, when something did. */
  error?: string;
}

export interface EdgeClientStatus {
  /** Whether the device says it is online (navigator.onLine), true where it cannot tell. */
  online: boolean;
  queued: number;
  /** Events dropped from the full queue so far. */
  dropped: number;
  bundle: { sha256: string; createdAt: string; byteLength: number; signedBy: string | null };
  lastSync: (EdgeSyncResult & { at: number }) | null;
}

export interface EdgeClient extends AsyncDisposable {
  /** The model answering now: a sync may swap it for a newer one between two predictions. */
  readonly model: EdgeModel;
  predict(text: string): Promise<EdgeDecision>;
  /** Queues a correction of an earlier answer (by its decision's `id`) for the next sync. */
  feedback(id: string, correction: { label?: string; answer?: string; fields?: FieldValues }): Promise<void>;
  /** Uploads the queue, then checks for a newer bundle. Never throws for the network: the result says. */
  sync(): Promise<EdgeSyncResult>;
  status(): EdgeClientStatus;
  /** Stops syncing and writes what is queued in memory. */
  close(): Promise<void>;
}

/** The local prediction of any task, in one shape. */
interface LocalPrediction {
  label: string | null;
  answer: string | null;
  fields: FieldValues | null;
  confidence: number;
  accepted: boolean;
  refusal?: string;
  unknownShare?: number;
}

/** One object of one shape whatever the task (no spreads: this is on every prediction's path). */
function predictLocally(model: EdgeModel, text: string): LocalPrediction {
  const local: LocalPrediction = { label: null, answer: null, fields: null, confidence: 0, accepted: false };
  if (model.task === "classify") {
    const prediction = model.predict(text);
    local.label = prediction.label;
    local.confidence = prediction.confidence;
    local.accepted = prediction.accepted;
    if (prediction.unknownShare !== undefined) local.unknownShare = prediction.unknownShare;
  } else if (model.task === "answer") {
    const prediction = model.predict(text);
    local.label = prediction.label;
    local.answer = prediction.answer;
    local.confidence = prediction.confidence;
    local.accepted = prediction.accepted;
    if (prediction.refusal !== undefined) local.refusal = prediction.refusal;
  } else {
    const prediction = model.predict(text);
    local.fields = prediction.fields;
    local.confidence = prediction.confidence;
    local.accepted = prediction.accepted;
    if (prediction.refusal !== undefined) local.refusal = prediction.refusal;
  }
  return local;
}

const isOffline = (): boolean =>
  (globalThis as { navigator?: { onLine?: boolean } }).navigator?.onLine === false;

const clock = (globalThis as { performance?: { now(): number; timeOrigin?: number } }).performance;
const now = (): number => (clock === undefined ? Date.now() : clock.now());
/** Epoch milliseconds of a `now()` reading, without a second clock call (where there is no `performance`, it is one). */
const origin = clock?.timeOrigin ?? 0;
const epochOf = (reading: number): number => (clock === undefined ? reading : Math.round(origin + reading));

/** Loads a bundle for the client, refusing one made for another use case. */
async function loadFor(
  useCase: string,
  bytes: Uint8Array | ArrayBuffer,
  publicKey: EdgeClientOptions["publicKey"],
) {
  const model = await loadEdgeModel(bytes, publicKey === undefined ? {} : { publicKey });
  const made = model.manifest.useCase;
  if (made !== null && made !== useCase)
    throw new SlmkitError(
      "INVALID_INPUT",
      `the bundle is for use case "${made}", not "${useCase}"; build it with \`slmkit bundle --usecase\` for ${useCase}.`,
    );
  return model;
}

/**
 * Creates the client: its model comes from storage (the newest it downloaded), or `bundle` when that is newer, or
 * a download when neither exists (MODEL_NOT_FOUND when that fails too). Unless `syncIntervalMs` is 0, a first sync
 * starts in the background at once, then one every `syncIntervalMs` and whenever the device comes back online.
 */
export async function createEdgeClient(options: EdgeClientOptions): Promise<EdgeClient> {
  const storage = options.storage ?? createMemoryStorage();
  const baseURL = options.gateway.baseURL.replace(/\/+$/, "");
  const fetchFunction = options.fetch ?? (globalThis as { fetch?: FetchLike }).fetch?.bind(globalThis);
  if (fetchFunction === undefined)
    throw new SlmkitError("NOT_SUPPORTED", "there is no fetch here; pass one as the `fetch` option.", {
      field: "fetch",
    });
  const connection: GatewayConnection = {
    baseURL,
    apiKey: options.gateway.apiKey,
    useCase: options.useCase,
    bundleUrl: options.bundleUrl ?? `${baseURL}/v1/usecases/${encodeURIComponent(options.useCase)}/bundle`,
    fetch: fetchFunction,
    timeoutMs: options.timeoutMs ?? 10_000,
  };
  const queue = await EventQueue.open(storage, {
    ...(options.maxQueuedEvents === undefined ? {} : { maxEvents: options.maxQueuedEvents }),
  });
  const nextId = createEventIdSource();
  let deviceId = await storage.get(deviceKey);
  if (typeof deviceId !== "string") {
    deviceId = nextId();
    await storage.set([[deviceKey, deviceId]]);
  }
  const model = await startingModel(options, storage, connection);
  return new HybridClient(options, storage, connection, queue, model, deviceId, nextId);
}

async function startingModel(
  options: EdgeClientOptions,
  storage: EdgeStorage,
  connection: GatewayConnection,
): Promise<EdgeModel> {
  let model: EdgeModel | undefined;
  const stored = await storage.get(bundleKey);
  if (stored instanceof Uint8Array) {
    try {
      model = await loadFor(options.useCase, stored, options.publicKey);
    } catch {
      // A stored bundle that no longer loads (damaged storage, a new signing key): forget it.
      await storage.delete([bundleKey]);
    }
  }
  if (options.bundle !== undefined) {
    const shipped = await loadFor(options.useCase, options.bundle, options.publicKey);
    if (model === undefined || shipped.manifest.createdAt > model.manifest.createdAt) model = shipped;
  }
  if (model !== undefined) return model;
  const downloaded = await downloadBundle(connection, null);
  if (!downloaded.ok || downloaded.bytes === null)
    throw new SlmkitError(
      "MODEL_NOT_FOUND",
      `no bundle to start with: the download from ${connection.bundleUrl} failed (${downloaded.ok ? "no content" : downloaded.reason}). Ship one with the app as \`bundle\`, or start online.`,
    );
  model = await loadFor(options.useCase, downloaded.bytes, options.publicKey);
  await storage.set([[bundleKey, downloaded.bytes]]);
  return model;
}

class HybridClient implements EdgeClient {
  private current: EdgeModel;
  private readonly fallback: EdgeFallback;
  private readonly logText: boolean;
  private readonly batchSize: number;
  private syncing: Promise<EdgeSyncResult> | null = null;
  private lastSync: (EdgeSyncResult & { at: number }) | null = null;
  private readonly interval: ReturnType<typeof setInterval> | null = null;
  private readonly firstSync: ReturnType<typeof setTimeout> | null = null;
  private readonly onOnline = () => void this.sync();
  /** A page being hidden (another tab or app, or unloading) may never come back: what waits in memory is written now. */
  private readonly onHide = () => void this.queue.flush();

  constructor(
    private readonly options: EdgeClientOptions,
    private readonly storage: EdgeStorage,
    private readonly connection: GatewayConnection,
    private readonly queue: EventQueue,
    model: EdgeModel,
    private readonly deviceId: string,
    private readonly nextId: () => string,
  ) {
    this.current = model;
    this.fallback = options.fallback ?? "guess";
    this.logText = options.logText ?? false;
    this.batchSize = Math.min(100, Math.max(1, options.batchSize ?? 100));
    const events = globalThis as { addEventListener?: (name: string, listener: () => void) => void };
    events.addEventListener?.("pagehide", this.onHide);
    events.addEventListener?.("visibilitychange", this.onHide);
    const period = options.syncIntervalMs ?? 300_000;
    if (period > 0) {
      this.interval = setInterval(() => void this.sync(), period);
      (this.interval as { unref?: () => void }).unref?.();
      events.addEventListener?.("online", this.onOnline);
      // A first sync at once, in the background: what the last session left queued, and a bundle newer than ours.
      this.firstSync = setTimeout(() => void this.sync(), 0);
      (this.firstSync as { unref?: () => void }).unref?.();
    }
  }

  get model(): EdgeModel {
    return this.current;
  }

  predict(text: string): Promise<EdgeDecision> {
    const started = now();
    const model = this.current;
    const local = predictLocally(model, text);
    // The accepted path settles at once: no async function, no await, nothing written yet (see EventQueue).
    if (local.accepted) return Promise.resolve(this.answerLocally(model, text, local, started));
    return this.escalate(model, text, local, started);
  }

  private async escalate(
    model: EdgeModel,
    text: string,
    local: LocalPrediction,
    started: number,
  ): Promise<EdgeDecision> {
    const id = this.nextId();
    if (isOffline()) return this.fallBack(model, text, local, id, "offline", started);
    const reply = await askGateway(this.connection, text, id);
    if (!reply.ok) return this.fallBack(model, text, local, id, reply.reason, started);
    return fromGateway(reply.content, reply.decision, model.task, id, now() - started);
  }

  private answerLocally(
    model: EdgeModel,
    text: string,
    local: LocalPrediction,
    started: number,
  ): EdgeDecision {
    const id = this.nextId();
    const latencyMs = now() - started;
    const event: DecisionEvent = {
      id,
      type: "decision",
      created_at: epochOf(started),
      bundle: model.sha256,
      label: local.label,
      confidence: local.confidence,
      threshold: model.threshold,
      latency_ms: latencyMs,
      text_length: text.length,
    };
    if (model.task === "answer") event.answer = local.answer;
    if (local.fields !== null) event.fields = local.fields;
    if (local.unknownShare !== undefined) event.unknown_share = local.unknownShare;
    if (this.logText) event.text = text;
    this.queue.addDecision(event);
    return {
      id,
      answeredBy: "edge",
      label: local.label,
      answer: local.answer,
      fields: local.fields,
      confidence: local.confidence,
      threshold: model.threshold,
      flagged: false,
      queued: false,
      reason: acceptedReason,
      latencyMs,
    };
  }

  /** The fallback answer, with the request queued as an escalation event (in storage before this resolves). */
  private async fallBack(
    model: EdgeModel,
    text: string,
    local: LocalPrediction,
    id: string,
    why: string,
    started: number,
  ): Promise<EdgeDecision> {
    const guess = this.fallback === "guess";
    const answer = guess
      ? model.task === "answer" && local.label !== null
        ? (local.answer ?? model.answerFor(local.label, text))
        : null
      : (this.fallback as { holdingAnswer: string }).holdingAnswer;
    const latencyMs = now() - started;
    const event: EscalationEvent = {
      id,
      type: "escalation",
      created_at: Date.now(),
      bundle: model.sha256,
      text,
      guess: {
        label: local.label,
        confidence: local.confidence,
        ...(model.task === "answer" ? { answer } : {}),
        ...(local.fields === null ? {} : { fields: local.fields }),
        ...(local.refusal === undefined ? {} : { refusal: local.refusal }),
      },
      threshold: model.threshold,
      fallback: guess ? "guess" : "holding",
      reason: why,
      latency_ms: latencyMs,
    };
    await this.queue.add(event);
    const unsure =
      local.refusal ?? `confidence ${local.confidence.toFixed(3)} < threshold ${model.threshold.toFixed(3)}`;
    return {
      id,
      answeredBy: "fallback",
      label: guess ? local.label : null,
      answer,
      fields: guess ? local.fields : null,
      confidence: guess ? local.confidence : null,
      threshold: model.threshold,
      flagged: guess,
      queued: true,
      reason: `${unsure}; gateway ${why === "offline" ? "not asked: offline" : `did not answer (${why})`}: queued`,
      latencyMs,
    };
  }

  async feedback(
    id: string,
    correction: { label?: string; answer?: string; fields?: FieldValues },
  ): Promise<void> {
    if (correction.label === undefined && correction.answer === undefined && correction.fields === undefined)
      throw new SlmkitError("INVALID_INPUT", "feedback needs a label, an answer or fields.", {
        field: "correction",
      });
    await this.queue.add({
      id: this.nextId(),
      type: "feedback",
      created_at: Date.now(),
      request_id: id,
      ...correction,
    });
  }

  sync(): Promise<EdgeSyncResult> {
    if (this.syncing === null) {
      this.syncing = this.runSync().finally(() => {
        this.syncing = null;
      });
    }
    return this.syncing;
  }

  private async runSync(): Promise<EdgeSyncResult> {
    const result: EdgeSyncResult = {
      uploaded: 0,
      duplicates: 0,
      rejected: 0,
      remaining: 0,
      bundle: "skipped",
    };
    if (isOffline()) result.error = "offline";
    else {
      const uploadError = await this.upload(result);
      if (uploadError !== undefined) result.error = uploadError;
      // The bundle is worth a try after an upload the gateway refused, not after one that never reached it.
      if (uploadError === undefined || uploadError.startsWith("status")) await this.refreshBundle(result);
    }
    result.remaining = this.queue.size;
    this.lastSync = { ...result, at: Date.now() };
    return result;
  }

  /** Uploads batches until the queue is empty; returns why it stopped early. */
  private async upload(result: EdgeSyncResult): Promise<string | undefined> {
    await this.queue.flush();
    while (this.queue.size > 0) {
      const events = this.queue.peek(this.batchSize);
      const sent = await uploadEvents(this.connection, {
        usecase: this.options.useCase,
        device: { id: this.deviceId, runtime: runtimeName },
        dropped_total: this.queue.dropped,
        events,
      });
      if (!sent.ok) return `events upload: ${sent.reason}`;
      const settled = new Set<string>();
      for (const entry of sent.reply.results) {
        settled.add(entry.id);
        if (entry.status === "stored") result.uploaded++;
        else if (entry.status === "duplicate") result.duplicates++;
        else result.rejected++;
      }
      // An answer that settles none of what was sent would loop forever: stop and retry at the next sync.
      if (!events.some((event) => settled.has(event.id)))
        return "events upload: the gateway settled none of the batch";
      await this.queue.acknowledge(settled);
    }
    return undefined;
  }

  /** Downloads a newer bundle, checks it, keeps it, and only then swaps it in; a bad one leaves the old serving. */
  private async refreshBundle(result: EdgeSyncResult): Promise<void> {
    const downloaded = await downloadBundle(this.connection, this.current.sha256);
    if (!downloaded.ok) {
      result.bundle = "unavailable";
      result.error ??= `bundle download: ${downloaded.reason}`;
      return;
    }
    if (downloaded.bytes === null) {
      result.bundle = "unchanged";
      return;
    }
    let model: EdgeModel;
    try {
      model = await loadFor(this.options.useCase, downloaded.bytes, this.options.publicKey);
    } catch (error) {
      result.bundle = "refused";
      result.error = `the new bundle was refused and the old one keeps serving: ${(error as Error).message}`;
      return;
    }
    if (model.sha256 === this.current.sha256) {
      result.bundle = "unchanged";
      return;
    }
    await this.storage.set([[bundleKey, downloaded.bytes]]);
    this.current = model;
    result.bundle = "updated";
  }

  status(): EdgeClientStatus {
    const model = this.current;
    return {
      online: !isOffline(),
      queued: this.queue.size,
      dropped: this.queue.dropped,
      bundle: {
        sha256: model.sha256,
        createdAt: model.manifest.createdAt,
        byteLength: model.byteLength,
        signedBy: model.signedBy,
      },
      lastSync: this.lastSync,
    };
  }

  async close(): Promise<void> {
    if (this.interval !== null) clearInterval(this.interval);
    if (this.firstSync !== null) clearTimeout(this.firstSync);
    const events = globalThis as { removeEventListener?: (name: string, listener: () => void) => void };
    events.removeEventListener?.("online", this.onOnline);
    events.removeEventListener?.("pagehide", this.onHide);
    events.removeEventListener?.("visibilitychange", this.onHide);
    await this.syncing;
    await this.queue.flush();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** The gateway's reply as a decision: its text is the answer (answer use cases) or the label. */
function fromGateway(
  content: string,
  decision: GatewayDecision,
  task: EdgeModel["task"],
  id: string,
  latencyMs: number,
): EdgeDecision {
  const answeredBy = decision.answered_by;
  return {
    id: decision.request_id ?? id,
    answeredBy:
      answeredBy === "slm" || answeredBy === "cache" || answeredBy === "llm" || answeredBy === "review"
        ? answeredBy
        : "llm",
    label: task === "extract" ? null : (decision.label ?? null),
    answer: task === "answer" ? content : null,
    fields: task === "extract" ? (decision.fields ?? null) : null,
    confidence: decision.confidence ?? null,
    threshold: decision.threshold ?? null,
    flagged: decision.flagged === true,
    queued: false,
    reason: decision.reason ?? "answered by the gateway",
    latencyMs,
  };
}
