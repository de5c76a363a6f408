// Teacher labels through the OpenAI Batch API: requests written as JSONL (split at the API's limits), uploaded,
// batched with a 24 h window, followed and collected into the same teacher cache the interactive path fills.

import { once } from "node:events";
import { createReadStream, createWriteStream, type WriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { SlmkitError } from "../../errors.js";
import { createPollingDelay, sleep } from "../../internal/poll.js";
import { LlmError } from "../../models/llm-error.js";
import type { BatchInfo, OpenAiJobsApi } from "../../models/openai/jobs-api.js";
import type { OpenAiLabeler } from "../../models/openai/openai-labeler.js";
import {
  type BatchRecord,
  type BatchState,
  batchInputFolderName,
  batchStateFileName,
  isBatchFinished,
  readBatchState,
  writeBatchState,
} from "./batch-state.js";
import {
  appendCacheEntries,
  type BulkLabeller,
  type BulkLabellingResult,
  type CacheEntry,
  readCache,
  teacherCacheKey,
} from "./labelling.js";

/** The Batch API's limits per batch (OpenAI, 2025): 50,000 requests and a 200 MB input file. */
export const batchApiLimits = { requests: 50_000, bytes: 200 * 1024 * 1024 } as const;
/** The Batch API's price against interactive calls (OpenAI and Azure global batch, 2025): half. */
export const defaultBatchPriceFactor = 0.5;

export interface BatchLabellingOptions {
  /** The teacher: its prompt, schema and reply parsing are the interactive path's own. */
  labeler: OpenAiLabeler;
  api: OpenAiJobsApi;
  /** The distillation's output folder: the state file and the batches' input files go there. */
  out: string;
  /** Requests per batch at most. Default 50,000 (the API's limit). */
  maxRequestsPerBatch?: number;
  /** Bytes of a batch's input file at most. Default 200 MB (209,715,200 bytes, the API's limit). */
  maxBytesPerBatch?: number;
  /** The batch price as a share of the labeler's interactive prices. Default 0.5 (the Batch API's discount). */
  priceFactor?: number;
  /** Resubmissions of requests that failed for a passing reason (429, 5xx, expired) within one run. Default 1. */
  retryRounds?: number;
  /** First delay between polls (and after any change), in milliseconds. Default 10,000. */
  pollIntervalMs?: number;
  /** Longest delay between polls, in milliseconds. Default 300,000. */
  maxPollIntervalMs?: number;
  /** Polls in a row that may fail for a passing reason before giving up. Default 10. */
  maxConsecutiveFailures?: number;
  onEvent?: (event: BatchEvent) => void;
}

/** What batch labelling reports as it goes; the CLI prints it on stderr. */
export type BatchEvent =
  /** The one interactive call made before any batch: it settles which optional parameters the server takes. */
  | { kind: "probe"; label: string | null }
  | { kind: "resumed"; batches: number }
  | { kind: "submitted"; batchId: string; part: number; round: number; requests: number; bytes: number }
  | { kind: "status"; batchId: string; status: string; completed: number; failed: number; total: number }
  | { kind: "collected"; batchId: string; answered: number; unsure: number; failed: number; retrying: number }
  | { kind: "retry"; message: string; failures: number; delayMs: number };

/** A request that got no answer, and whether asking again may help. */
interface Failure {
  key: string;
  message: string;
  retryable: boolean;
}

/**
 * A bulk labeller over the Batch API for `distill`. Per stage: batches an earlier run left pending are followed
 * and collected first; then every text the cache lacks (or holds as a passing failure) is sent, after one
 * interactive call that settles the request's optional parameters (a batch cannot renegotiate them) and checks
 * the key and model before any upload. Answers are parsed by the labeler exactly as interactive replies are and
 * appended to the teacher cache (cost at `priceFactor` of the interactive price), so an interrupted run never
 * pays twice. Failures: a request refused for good (a 4xx but 429) is cached as unsure with its error; one that
 * failed for a passing reason (429, 5xx, expired) is resubmitted up to `retryRounds` times, then cached as unsure
 * marked `retryable`, which the next `distill --batch` run sends again.
 */
export function createBatchLabeller(options: BatchLabellingOptions): BulkLabeller {
  const statePath = join(options.out, batchStateFileName);
  const emit = options.onEvent ?? (() => {});
  let probed = false;
  return {
    reference: options.labeler.reference,
    priceFactor: options.priceFactor ?? defaultBatchPriceFactor,
    async label(texts, { cachePath, stage, signal }) {
      const started = performance.now();
      const reference = options.labeler.reference;
      const state = await openState(statePath, reference, options.api.baseUrl);
      const keyToText = new Map(texts.map((text) => [teacherCacheKey(reference, text), text]));
      const result = emptyResult(options.priceFactor ?? defaultBatchPriceFactor);
      const run = (records: BatchRecord[]) =>
        runBatches(records, state, { ...options, statePath, cachePath, emit, result, signal });
      const pending = state.batches.filter((batch) => batch.stage === stage && !batch.collected);
      if (pending.length > 0) {
        emit({ kind: "resumed", batches: pending.length });
        await run(pending);
      }
      const cache = await readCache(cachePath, reference);
      let toSend = [...keyToText.keys()].filter((key) => {
        const entry = cache.get(key);
        return entry === undefined || entry.retryable === true;
      });
      for (let round = 0; toSend.length > 0; round++) {
        if (!probed) {
          probed = true;
          toSend = await probe(toSend, keyToText, options.labeler, cachePath, result, emit, signal);
          if (toSend.length === 0) break;
        }
        const records = await writeInputFiles(toSend, keyToText, state, stage, round, options);
        state.batches.push(...records);
        await writeBatchState(statePath, state);
        const failures = await run(records);
        if (failures.length === 0) break;
        if (round >= (options.retryRounds ?? 1)) {
          await appendCacheEntries(
            cachePath,
            failures.map((failure) => failureEntry(reference, failure)),
          );
          result.failed += failures.length;
          break;
        }
        toSend = failures.map((failure) => failure.key).filter((key) => keyToText.has(key));
      }
      result.seconds = (performance.now() - started) / 1000;
      return result;
    },
  };
}

/**
 * Cancels every batch of the output folder's state that has not finished; the next `distill --batch` run collects
 * what they answered and sends the rest again. Returns the batches asked to cancel.
 */
export async function cancelPendingBatches(
  out: string,
  api: OpenAiJobsApi,
  signal?: AbortSignal,
): Promise<BatchInfo[]> {
  const statePath = join(out, batchStateFileName);
  const state = await readBatchState(statePath);
  const cancelled: BatchInfo[] = [];
  for (const record of state?.batches ?? []) {
    if (record.collected || record.batchId === null || isBatchFinished(record.status)) continue;
    const batch = await api.cancelBatch(record.batchId, signal);
    record.status = batch.status;
    record.cancelRequested = true;
    cancelled.push(batch);
  }
  if (state !== undefined) await writeBatchState(statePath, state);
  return cancelled;
}

/** The state of the folder, or a new one; pending batches of another teacher are an error, not silently dropped. */
async function openState(statePath: string, teacher: string, baseUrl: string): Promise<BatchState> {
  const state = await readBatchState(statePath);
  if (state === undefined || state.teacher === teacher)
    return state ?? { formatVersion: 1, teacher, baseUrl, batches: [] };
  if (state.batches.some((batch) => !batch.collected)) {
    throw new SlmkitError(
      "INVALID_OPTION",
      `this output folder has Batch API batches of teacher ${state.teacher} still pending; distill with that teacher to collect them, stop them with --batch-cancel, or use another --out.`,
      { file: statePath },
    );
  }
  return { formatVersion: 1, teacher, baseUrl, batches: [] };
}

function emptyResult(priceFactor: number): BulkLabellingResult {
  return {
    batches: 0,
    requests: 0,
    answered: 0,
    unsure: 0,
    failed: 0,
    costUsd: 0,
    inputTokens: 0,
    outputTokens: 0,
    interactiveCalls: 0,
    seconds: 0,
    priceFactor,
  };
}

/** One interactive call on the first text to send: its answer is cached like any other. Returns the rest. */
async function probe(
  keys: string[],
  keyToText: ReadonlyMap<string, string>,
  labeler: OpenAiLabeler,
  cachePath: string,
  result: BulkLabellingResult,
  emit: (event: BatchEvent) => void,
  signal: AbortSignal | undefined,
): Promise<string[]> {
  const [first, ...rest] = keys;
  const text = first === undefined ? undefined : keyToText.get(first);
  if (first === undefined || text === undefined) return keys;
  const reply = await labeler.classify(text, signal);
  await appendCacheEntries(cachePath, [
    {
      key: first,
      teacher: labeler.reference,
      label: reply.label,
      confidence: reply.label === null ? 0 : (reply.confidence ?? 1),
      inputTokens: reply.inputTokens,
      outputTokens: reply.outputTokens,
      costUsd: reply.costUsd,
    },
  ]);
  result.interactiveCalls++;
  result.costUsd += reply.costUsd;
  result.inputTokens += reply.inputTokens;
  result.outputTokens += reply.outputTokens;
  if (reply.label === null) result.unsure++;
  else result.answered++;
  emit({ kind: "probe", label: reply.label });
  return rest;
}

/**
 * Writes the requests of `keys` as Batch API input JSONL (`{custom_id, method, url, body}`, the custom id being the
 * text's cache key), streamed to disk, a new file whenever the next line would pass the request or byte limit.
 */
async function writeInputFiles(
  keys: readonly string[],
  keyToText: ReadonlyMap<string, string>,
  state: BatchState,
  stage: BatchRecord["stage"],
  round: number,
  options: BatchLabellingOptions,
): Promise<BatchRecord[]> {
  const maxRequests = options.maxRequestsPerBatch ?? batchApiLimits.requests;
  const maxBytes = options.maxBytesPerBatch ?? batchApiLimits.bytes;
  const folder = join(options.out, batchInputFolderName);
  await mkdir(folder, { recursive: true });
  const records: BatchRecord[] = [];
  let stream: WriteStream | undefined;
  let current: BatchRecord | undefined;
  const close = async () => {
    if (stream === undefined) return;
    stream.end();
    await once(stream, "close");
    stream = undefined;
  };
  for (const key of keys) {
    const text = keyToText.get(key);
    if (text === undefined) continue;
    const line = `${JSON.stringify({ custom_id: key, method: "POST", url: options.api.batchEndpoint, body: options.labeler.request(text) })}\n`;
    const bytes = Buffer.byteLength(line);
    if (bytes > maxBytes) {
      throw new SlmkitError(
        "INVALID_DATA",
        `a text's request is ${bytes} bytes, over the ${maxBytes}-byte limit of a batch; shorten the text or label it without --batch.`,
      );
    }
    if (current === undefined || current.requests >= maxRequests || current.bytes + bytes > maxBytes) {
      await close();
      const number = state.batches.length + records.length + 1;
      const input = join(batchInputFolderName, `batch-${String(number).padStart(4, "0")}.jsonl`);
      current = newRecord(stage, round, records.length + 1, input);
      records.push(current);
      stream = createWriteStream(join(options.out, input));
    }
    current.requests++;
    current.bytes += bytes;
    if (!(stream as WriteStream).write(line)) await once(stream as WriteStream, "drain");
  }
  await close();
  return records;
}

function newRecord(stage: BatchRecord["stage"], round: number, part: number, input: string): BatchRecord {
  return {
    stage,
    round,
    part,
    input,
    requests: 0,
    bytes: 0,
    inputFileId: null,
    batchId: null,
    status: "written",
    counts: { total: 0, completed: 0, failed: 0 },
    collected: false,
    cancelRequested: false,
    createdAt: new Date().toISOString(),
  };
}

interface RunContext extends BatchLabellingOptions {
  statePath: string;
  cachePath: string;
  emit: (event: BatchEvent) => void;
  result: BulkLabellingResult;
  signal: AbortSignal | undefined;
}

/**
 * Uploads and creates what is not yet (writing the state after each), then polls the batches until every one has
 * finished, collecting each as it does. Returns the requests that failed for a passing reason.
 */
async function runBatches(
  records: BatchRecord[],
  state: BatchState,
  context: RunContext,
): Promise<Failure[]> {
  const { api, signal } = context;
  for (const record of records) {
    if (record.inputFileId === null) {
      record.inputFileId = (await api.uploadFile(join(context.out, record.input), "batch", signal)).id;
      await writeBatchState(context.statePath, state);
    }
    if (record.batchId === null) {
      const batch = await api.createBatch(
        record.inputFileId,
        { slmkit: "distill", stage: record.stage, part: String(record.part) },
        signal,
      );
      record.batchId = batch.id;
      record.status = batch.status;
      context.result.batches++;
      await writeBatchState(context.statePath, state);
      context.emit({
        kind: "submitted",
        batchId: batch.id,
        part: record.part,
        round: record.round,
        requests: record.requests,
        bytes: record.bytes,
      });
    }
  }
  const nextDelay = createPollingDelay({
    initialMs: context.pollIntervalMs ?? 10_000,
    maxMs: context.maxPollIntervalMs ?? 300_000,
  });
  const failures: Failure[] = [];
  let failedPolls = 0;
  for (;;) {
    const open = records.filter((record) => !record.collected);
    if (open.length === 0) return failures;
    let changed = false;
    try {
      for (const record of open) {
        const batch = await api.retrieveBatch(record.batchId as string, signal);
        if (updateRecord(record, batch)) {
          changed = true;
          context.emit({ kind: "status", batchId: batch.id, status: batch.status, ...batch.requestCounts });
          await writeBatchState(context.statePath, state);
        }
        if (isBatchFinished(batch.status)) {
          failures.push(...(await collect(record, batch, context)));
          record.collected = true;
          await writeBatchState(context.statePath, state);
        }
      }
      failedPolls = 0;
    } catch (error) {
      if (signal?.aborted || !(LlmError.isLlmError(error) && error.isRetryable)) throw error;
      if (++failedPolls > (context.maxConsecutiveFailures ?? 10)) throw error;
      const delayMs = nextDelay(false);
      context.emit({ kind: "retry", message: (error as Error).message, failures: failedPolls, delayMs });
      await sleep(delayMs, signal);
      continue;
    }
    if (records.some((record) => !record.collected)) await sleep(nextDelay(changed), signal);
  }
}

/** Copies a batch's status and counts into its record; true when something changed. */
function updateRecord(record: BatchRecord, batch: BatchInfo): boolean {
  const counts = batch.requestCounts;
  const changed =
    record.status !== batch.status ||
    record.counts.completed !== counts.completed ||
    record.counts.failed !== counts.failed ||
    record.counts.total !== counts.total;
  record.status = batch.status;
  record.counts = { ...counts };
  return changed;
}

/**
 * Reads a finished batch's output and error files into the cache: answers parsed by the labeler, refusals cached
 * as unsure, passing failures returned. A batch that failed validation throws with the service's reasons; one
 * cancelled by someone else throws once its answers are in (its unanswered texts are sent by the next run).
 */
async function collect(record: BatchRecord, batch: BatchInfo, context: RunContext): Promise<Failure[]> {
  const { labeler, api, result, signal } = context;
  if (batch.status === "failed") {
    const reasons = batch.errors
      .slice(0, 5)
      .map((error) => `${error.line === null ? "" : `line ${error.line}: `}${error.message}`)
      .join("; ");
    throw new LlmError(
      "LLM_ERROR",
      `batch ${batch.id} (${record.input}) failed validation${reasons === "" ? "" : `: ${reasons}`}. Its texts are sent again by the next run; if the reason is in the requests, label without --batch.`,
      { isRetryable: false },
    );
  }
  const priceFactor = context.priceFactor ?? defaultBatchPriceFactor;
  const seen = new Set<string>();
  const failures: Failure[] = [];
  const entries: CacheEntry[] = [];
  const flush = async (force: boolean) => {
    if (entries.length >= 1000 || (force && entries.length > 0)) {
      await appendCacheEntries(context.cachePath, entries.splice(0));
    }
  };
  let answered = 0;
  let unsure = 0;
  let refused = 0;
  for (const id of [batch.outputFileId, batch.errorFileId]) {
    if (id === null) continue;
    for await (const line of api.fileLines(id, signal)) {
      const outcome = readOutputLine(line, labeler, priceFactor);
      if (outcome === undefined) continue;
      seen.add(outcome.key);
      if ("entry" in outcome) {
        entries.push(outcome.entry);
        result.costUsd += outcome.entry.costUsd;
        result.inputTokens += outcome.entry.inputTokens;
        result.outputTokens += outcome.entry.outputTokens;
        if (outcome.entry.error !== undefined) refused++;
        else if (outcome.entry.label === null) unsure++;
        else answered++;
      } else failures.push(outcome.failure);
      await flush(false);
    }
  }
  await flush(true);
  result.requests += record.requests;
  result.answered += answered;
  result.unsure += unsure;
  result.failed += refused;
  // An expired or cancelled batch leaves requests in neither file: those were never answered.
  const unanswered = seen.size < record.requests ? await unansweredKeys(record, seen, context.out) : [];
  const cancelledByOther = batch.status === "cancelled" && !record.cancelRequested;
  if (!cancelledByOther) {
    for (const key of unanswered)
      failures.push({ key, message: `not answered before the batch ${batch.status}`, retryable: true });
  }
  context.emit({
    kind: "collected",
    batchId: batch.id,
    answered,
    unsure,
    failed: refused,
    retrying: failures.length,
  });
  if (cancelledByOther) {
    throw new LlmError(
      "LLM_ERROR",
      `batch ${batch.id} was cancelled on the service; its ${answered + unsure} answers are cached, and its ${unanswered.length} unanswered texts are sent by the next run.`,
      { isRetryable: false },
    );
  }
  return failures;
}

/** One output or error file line as a cache entry or a failure; undefined for a line that is not one. */
function readOutputLine(
  line: string,
  labeler: OpenAiLabeler,
  priceFactor: number,
): { key: string; entry: CacheEntry } | { key: string; failure: Failure } | undefined {
  let value: {
    custom_id?: unknown;
    response?: { status_code?: unknown; body?: unknown } | null;
    error?: { code?: unknown; message?: unknown } | null;
  };
  try {
    value = JSON.parse(line) as typeof value;
  } catch {
    return undefined;
  }
  const key = value.custom_id;
  if (typeof key !== "string") return undefined;
  const reference = labeler.reference;
  const status = typeof value.response?.status_code === "number" ? value.response.status_code : undefined;
  if (status === 200) {
    try {
      const reply = labeler.readCompletion(value.response?.body);
      return {
        key,
        entry: {
          key,
          teacher: reference,
          label: reply.label,
          confidence: reply.label === null ? 0 : (reply.confidence ?? 1),
          inputTokens: reply.inputTokens,
          outputTokens: reply.outputTokens,
          costUsd: reply.costUsd * priceFactor,
          via: "batch",
        },
      };
    } catch (error) {
      return { key, failure: { key, message: (error as Error).message, retryable: true } };
    }
  }
  const body = value.response?.body as { error?: { message?: unknown } } | undefined;
  const code = typeof value.error?.code === "string" ? value.error.code : undefined;
  const message = String(body?.error?.message ?? value.error?.message ?? "no answer");
  // Error-file lines (no response) failed inside the batch machinery: expiry, limits, server errors.
  const retryable =
    status === undefined
      ? !/invalid|unsupported|not_found|too_long|content_filter|policy/i.test(code ?? "")
      : status === 429 || status >= 500;
  const failure = { key, message: `${status ?? code ?? "error"}: ${message}`, retryable };
  return retryable ? { key, failure } : { key, entry: failureEntry(reference, failure) };
}

/** A cache entry for a request that got no answer: unsure, with why and whether a later run may ask again. */
function failureEntry(teacher: string, failure: Failure): CacheEntry {
  return {
    key: failure.key,
    teacher,
    label: null,
    confidence: 0,
    inputTokens: 0,
    outputTokens: 0,
    costUsd: 0,
    error: failure.message,
    retryable: failure.retryable,
    via: "batch",
  };
}

/** The custom ids of a batch's input file that are not in `seen`, read back from the file on disk. */
async function unansweredKeys(
  record: BatchRecord,
  seen: ReadonlySet<string>,
  out: string,
): Promise<string[]> {
  const keys: string[] = [];
  const lines = createInterface({
    input: createReadStream(join(out, record.input)),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  for await (const line of lines) {
    if (line.trim() === "") continue;
    const key = (JSON.parse(line) as { custom_id?: unknown }).custom_id;
    if (typeof key === "string" && !seen.has(key)) keys.push(key);
  }
  return keys;
}
