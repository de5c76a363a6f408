// An OpenAI-compatible account's long-running work through the official SDK: files, fine-tuning jobs and batches.

import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { basename } from "node:path";
import type OpenAI from "openai";
import { toStreamingFile } from "openai";
import type { Batch } from "openai/resources/batches";
import type { FineTuningJob, FineTuningJobEvent, JobCreateParams } from "openai/resources/fine-tuning/jobs";
import { LlmError } from "../llm-error.js";
import { withRetries } from "../retry.js";
import { checkBaseUrl } from "./chat-endpoint.js";
import { createOpenAiClient, isAzureV1, isRetryableStatus, toLlmError } from "./client.js";
import { isAzureHost } from "./reference.js";

export interface OpenAiJobsApiOptions {
  /** The API's base URL, e.g. `https://api.openai.com/v1` or an Azure OpenAI resource (`https://<name>.openai.azure.com`). */
  baseUrl: string;
  /** The API key. Absent: no credentials are sent. */
  apiKey?: string | undefined;
  /** Time allowed for one request (not an upload), in milliseconds. Default 60,000. */
  timeoutMs?: number;
  /** Time allowed for one file upload, in milliseconds. Default 600,000 (a 200 MB batch file on a slow line). */
  uploadTimeoutMs?: number;
  /** Attempts after the first for a retryable failure (429, 5xx; reads also on timeouts and lost connections). Default 4. */
  maxRetries?: number;
  /** Backoff base and cap between attempts, in milliseconds (full jitter). Defaults 500 and 8,000. */
  retryBaseDelayMs?: number;
  retryMaxDelayMs?: number;
  /** Azure only: the `api-version` query parameter. Default none for `/openai/v1` URLs, "2024-10-21" otherwise. */
  apiVersion?: string;
  /** A `fetch` to use. Default: slmkit's node:http/https transport. */
  fetch?: typeof globalThis.fetch;
}

export type FilePurpose = "fine-tune" | "batch";

export interface UploadedFile {
  id: string;
  bytes: number;
  filename: string;
  /** The service's processing status when it reports one ("uploaded", "processed", Azure's "pending", …). */
  status: string | null;
}

export type FineTuningStatus = FineTuningJob["status"];

/** A fine-tuning job as slmkit reads it (the wire object has more). */
export interface FineTuningJobInfo {
  id: string;
  status: FineTuningStatus;
  /** The base model. */
  model: string;
  /** The fine-tuned model's name once the job succeeded, else null. */
  fineTunedModel: string | null;
  /** Billable tokens the job trained on (every epoch), once known; null while it runs. */
  trainedTokens: number | null;
  /** Unix seconds. */
  createdAt: number;
  finishedAt: number | null;
  estimatedFinish: number | null;
  trainingFile: string;
  validationFile: string | null;
  error: { code: string; message: string; param: string | null } | null;
  hyperparameters: {
    nEpochs: number | "auto" | null;
    batchSize: number | "auto" | null;
    learningRateMultiplier: number | "auto" | null;
  };
}

/** One event of a job's log. */
export interface FineTuningEventInfo {
  id: string;
  /** Unix seconds. */
  createdAt: number;
  level: "info" | "warn" | "error";
  message: string;
  /** "metrics": a training step's figures in `data` (`step`, `total_steps`, `train_loss`, …). */
  type: "message" | "metrics";
  data: Record<string, unknown> | null;
}

export interface FineTuningJobRequest {
  /** The base model (Azure: the base model's name, e.g. gpt-4o-mini-2024-07-18). */
  model: string;
  trainingFile: string;
  validationFile?: string;
  /** Up to 64 characters added to the fine-tuned model's name. */
  suffix?: string;
  /** Training epochs. Default: the service chooses ("auto"). */
  epochs?: number;
  seed?: number;
}

export type BatchStatus = Batch["status"];

/** A batch as slmkit reads it. */
export interface BatchInfo {
  id: string;
  status: BatchStatus;
  inputFileId: string;
  outputFileId: string | null;
  errorFileId: string | null;
  requestCounts: { total: number; completed: number; failed: number };
  /** Why a batch failed validation: per input line, when the service says. */
  errors: Array<{ code: string | null; message: string; line: number | null }>;
  /** Unix seconds. */
  createdAt: number;
}

/** Where batch requests go: OpenAI's endpoint path, or Azure's (which drops the `/v1`). */
export type BatchEndpoint = "/v1/chat/completions" | "/chat/completions";

export interface OpenAiJobsApi {
  readonly baseUrl: string;
  /** True for Azure OpenAI / Azure AI Foundry hosts. */
  readonly azure: boolean;
  /** Where batch lines and `createBatch` point: "/chat/completions" on Azure, "/v1/chat/completions" elsewhere. */
  readonly batchEndpoint: BatchEndpoint;
  /** Uploads a JSONL file, streamed from disk. Not retried after a timeout: it may have arrived. */
  uploadFile(path: string, purpose: FilePurpose, signal?: AbortSignal): Promise<UploadedFile>;
  retrieveFile(id: string, signal?: AbortSignal): Promise<UploadedFile>;
  /** The lines of a file's content (a batch's output or error file), streamed; blank lines skipped. */
  fileLines(id: string, signal?: AbortSignal): AsyncIterable<string>;
  createFineTuningJob(request: FineTuningJobRequest, signal?: AbortSignal): Promise<FineTuningJobInfo>;
  retrieveFineTuningJob(id: string, signal?: AbortSignal): Promise<FineTuningJobInfo>;
  cancelFineTuningJob(id: string, signal?: AbortSignal): Promise<FineTuningJobInfo>;
  /** The newest jobs first, at most `limit` (default 20). */
  listFineTuningJobs(limit?: number, signal?: AbortSignal): Promise<FineTuningJobInfo[]>;
  /**
   * The job's events newer than `afterId` (every event when undefined), oldest first. The API lists events newest
   * first, a page at a time (`after` = the last id of the page before): pages are read until `afterId` is met,
   * at most `limit` events (default 1,000).
   */
  fineTuningEventsAfter(
    jobId: string,
    afterId: string | undefined,
    signal?: AbortSignal,
    limit?: number,
  ): Promise<FineTuningEventInfo[]>;
  createBatch(
    inputFileId: string,
    metadata: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<BatchInfo>;
  retrieveBatch(id: string, signal?: AbortSignal): Promise<BatchInfo>;
  cancelBatch(id: string, signal?: AbortSignal): Promise<BatchInfo>;
}

/**
 * The account-level APIs of an OpenAI-compatible service through the official SDK and slmkit's transport. Azure
 * is told by its host, and served at `…/openai` with an `api-version` (or `…/openai/v1` as given), never under a
 * deployment. Reads are retried on any retryable failure; creates (uploads, jobs, batches) only when the server
 * answered 429 or 5xx, since after a timeout the thing may exist already. Failures are LlmErrors.
 */
export function createOpenAiJobsApi(options: OpenAiJobsApiOptions): OpenAiJobsApi {
  checkBaseUrl(options.baseUrl);
  const timeoutMs = options.timeoutMs ?? 60_000;
  const azure = isAzureHost(new URL(options.baseUrl).hostname);
  const client = createOpenAiClient(
    {
      baseUrl: options.baseUrl,
      apiKey: options.apiKey,
      timeoutMs,
      apiVersion: options.apiVersion,
      fetch: options.fetch,
    },
    "resource",
  );
  const parts: ApiParts = {
    client,
    call: createCaller(options, timeoutMs),
    requestOptions: (signal, timeout = timeoutMs) => ({
      timeout,
      maxRetries: 0,
      ...(signal === undefined ? {} : { signal }),
    }),
    uploadTimeoutMs: options.uploadTimeoutMs ?? 600_000,
    where: options.baseUrl,
    azure,
    legacyHyperparameters: azure && !isAzureV1(options.baseUrl),
  };
  return {
    baseUrl: options.baseUrl,
    azure,
    batchEndpoint: azure ? "/chat/completions" : "/v1/chat/completions",
    ...fileMethods(parts),
    ...fineTuningMethods(parts),
    ...batchMethods(parts),
  };
}

/** One call: what it is (for messages), the SDK call on a signal, the caller's signal, reads or creates. */
type Caller = <T>(
  what: string,
  run: (signal: AbortSignal | undefined) => Promise<T>,
  signal: AbortSignal | undefined,
  kind: "read" | "create",
  callTimeoutMs?: number,
) => Promise<T>;

/** What the method groups share: the client, the retrying caller and the request options. */
interface ApiParts {
  client: OpenAI;
  call: Caller;
  requestOptions: (
    signal: AbortSignal | undefined,
    timeout?: number,
  ) => { timeout: number; maxRetries: 0; signal?: AbortSignal };
  uploadTimeoutMs: number;
  where: string;
  azure: boolean;
  legacyHyperparameters: boolean;
}

/** Runs SDK calls with slmkit's retries and error mapping (see `createOpenAiJobsApi`). */
function createCaller(options: OpenAiJobsApiOptions, timeoutMs: number): Caller {
  const where = options.baseUrl;
  return (what, run, signal, kind, callTimeoutMs = timeoutMs) =>
    withRetries(
      async () => {
        // A signal of its own per request: the SDK leaves a listener on the signal it is given, and a follow of
        // hours polls thousands of times with the caller's one signal.
        const own = new AbortController();
        const onAbort = () => own.abort(signal?.reason);
        if (signal?.aborted) onAbort();
        else signal?.addEventListener("abort", onAbort, { once: true });
        try {
          return await run(own.signal);
        } catch (error) {
          throw toLlmError(error, {
            where: `${what} at ${where}`,
            timeoutMs: callTimeoutMs,
            ...(signal === undefined ? {} : { signal }),
          });
        } finally {
          signal?.removeEventListener("abort", onAbort);
        }
      },
      {
        retries: options.maxRetries ?? 4,
        baseDelayMs: options.retryBaseDelayMs ?? 500,
        maxDelayMs: options.retryMaxDelayMs ?? 8000,
        isRetryable: kind === "read" ? isRetryableLlmError : answeredRetryable,
        ...(signal === undefined ? {} : { signal }),
      },
    );
}

function fileMethods({
  client,
  call,
  requestOptions,
  uploadTimeoutMs,
  where,
}: ApiParts): Pick<OpenAiJobsApi, "uploadFile" | "retrieveFile" | "fileLines"> {
  return {
    async uploadFile(path, purpose, signal) {
      const size = (await stat(path)).size;
      const filename = basename(path);
      const file = await call(
        `uploading ${filename}`,
        (callSignal) =>
          client.files.create(
            {
              file: toStreamingFile(createReadStream(path), filename, { type: "application/jsonl" }),
              purpose,
            },
            requestOptions(callSignal, uploadTimeoutMs),
          ),
        signal,
        "create",
        uploadTimeoutMs,
      );
      return {
        id: file.id,
        bytes: file.bytes ?? size,
        filename: file.filename ?? filename,
        status: file.status ?? null,
      };
    },
    async retrieveFile(id, signal) {
      const file = await call(
        `file ${id}`,
        (callSignal) => client.files.retrieve(id, requestOptions(callSignal)),
        signal,
        "read",
      );
      return { id: file.id, bytes: file.bytes, filename: file.filename, status: file.status ?? null };
    },
    fileLines(id, signal) {
      return readLines(
        () =>
          call(
            `the content of file ${id}`,
            (callSignal) => client.files.content(id, requestOptions(callSignal, uploadTimeoutMs)),
            signal,
            "read",
            uploadTimeoutMs,
          ),
        `the content of file ${id} at ${where}`,
      );
    },
  };
}

function fineTuningMethods({
  client,
  call,
  requestOptions,
  legacyHyperparameters,
}: ApiParts): Pick<
  OpenAiJobsApi,
  | "createFineTuningJob"
  | "retrieveFineTuningJob"
  | "cancelFineTuningJob"
  | "listFineTuningJobs"
  | "fineTuningEventsAfter"
> {
  return {
    async createFineTuningJob(request, signal) {
      const body = fineTuningBody(request, legacyHyperparameters);
      const job = await call(
        `creating a fine-tuning job of ${request.model}`,
        (callSignal) => client.fineTuning.jobs.create(body, requestOptions(callSignal)),
        signal,
        "create",
      );
      return jobInfo(job);
    },
    async retrieveFineTuningJob(id, signal) {
      return jobInfo(
        await call(
          `fine-tuning job ${id}`,
          (callSignal) => client.fineTuning.jobs.retrieve(id, requestOptions(callSignal)),
          signal,
          "read",
        ),
      );
    },
    async cancelFineTuningJob(id, signal) {
      return jobInfo(
        await call(
          `cancelling fine-tuning job ${id}`,
          (callSignal) => client.fineTuning.jobs.cancel(id, requestOptions(callSignal)),
          signal,
          "create",
        ),
      );
    },
    async listFineTuningJobs(limit = 20, signal) {
      const page = await call(
        "listing fine-tuning jobs",
        (callSignal) => client.fineTuning.jobs.list({ limit }, requestOptions(callSignal)),
        signal,
        "read",
      );
      return page.getPaginatedItems().slice(0, limit).map(jobInfo);
    },
    async fineTuningEventsAfter(jobId, afterId, signal, limit = 1000) {
      return call(
        `the events of fine-tuning job ${jobId}`,
        async (callSignal) => {
          const newestFirst: FineTuningEventInfo[] = [];
          const pages = client.fineTuning.jobs.listEvents(
            jobId,
            { limit: Math.min(100, limit) },
            requestOptions(callSignal),
          );
          for await (const event of pages) {
            if (event.id === afterId || newestFirst.length >= limit) break;
            newestFirst.push(eventInfo(event));
          }
          return newestFirst.reverse();
        },
        signal,
        "read",
      );
    },
  };
}

function batchMethods({
  client,
  call,
  requestOptions,
  azure,
}: ApiParts): Pick<OpenAiJobsApi, "createBatch" | "retrieveBatch" | "cancelBatch"> {
  return {
    async createBatch(inputFileId, metadata, signal) {
      return batchInfo(
        await call(
          "creating a batch",
          (callSignal) =>
            client.batches.create(
              {
                input_file_id: inputFileId,
                // Azure names the endpoint without the version prefix; the SDK's type knows only OpenAI's names.
                endpoint: (azure ? "/chat/completions" : "/v1/chat/completions") as "/v1/chat/completions",
                completion_window: "24h",
                metadata,
              },
              requestOptions(callSignal),
            ),
          signal,
          "create",
        ),
      );
    },
    async retrieveBatch(id, signal) {
      return batchInfo(
        await call(
          `batch ${id}`,
          (callSignal) => client.batches.retrieve(id, requestOptions(callSignal)),
          signal,
          "read",
        ),
      );
    },
    async cancelBatch(id, signal) {
      return batchInfo(
        await call(
          `cancelling batch ${id}`,
          (callSignal) => client.batches.cancel(id, requestOptions(callSignal)),
          signal,
          "create",
        ),
      );
    },
  };
}

/** Retryable as the error says (429, 5xx, timeouts, lost connections): safe for reads. */
function isRetryableLlmError(error: unknown): boolean {
  return LlmError.isLlmError(error) && error.isRetryable;
}

/** Retryable only when the server answered that it did not do it (429, 5xx): safe for creates. */
function answeredRetryable(error: unknown): boolean {
  return (
    LlmError.isLlmError(error) &&
    typeof error.statusCode === "number" &&
    error.statusCode !== 408 &&
    isRetryableStatus(error.statusCode)
  );
}

/**
 * The job's create body. Epochs go in `method.supervised.hyperparameters` (the current API), or in the older
 * top-level `hyperparameters` for Azure's dated API versions, which predate `method`.
 */
function fineTuningBody(request: FineTuningJobRequest, legacyHyperparameters: boolean): JobCreateParams {
  const body: JobCreateParams = { model: request.model, training_file: request.trainingFile };
  if (request.validationFile !== undefined) body.validation_file = request.validationFile;
  if (request.suffix !== undefined) body.suffix = request.suffix;
  if (request.seed !== undefined) body.seed = request.seed;
  if (request.epochs !== undefined) {
    if (legacyHyperparameters) body.hyperparameters = { n_epochs: request.epochs };
    else body.method = { type: "supervised", supervised: { hyperparameters: { n_epochs: request.epochs } } };
  }
  return body;
}

function jobInfo(job: FineTuningJob): FineTuningJobInfo {
  const hyperparameters =
    job.method?.supervised?.hyperparameters ??
    (job.hyperparameters as FineTuningJob["hyperparameters"] | undefined);
  const setting = (value: unknown): number | "auto" | null =>
    typeof value === "number" || value === "auto" ? value : null;
  return {
    id: job.id,
    status: job.status,
    model: job.model,
    fineTunedModel: job.fine_tuned_model ?? null,
    trainedTokens: typeof job.trained_tokens === "number" ? job.trained_tokens : null,
    createdAt: job.created_at,
    finishedAt: job.finished_at ?? null,
    estimatedFinish: job.estimated_finish ?? null,
    trainingFile: job.training_file,
    validationFile: job.validation_file ?? null,
    error:
      job.error !== null && job.error !== undefined && (job.error.message ?? "") !== ""
        ? { code: job.error.code ?? "", message: job.error.message, param: job.error.param ?? null }
        : null,
    hyperparameters: {
      nEpochs: setting(hyperparameters?.n_epochs),
      batchSize: setting(hyperparameters?.batch_size),
      learningRateMultiplier: setting(hyperparameters?.learning_rate_multiplier),
    },
  };
}

function eventInfo(event: FineTuningJobEvent): FineTuningEventInfo {
  const data = event.data;
  return {
    id: event.id,
    createdAt: event.created_at,
    level: event.level,
    message: event.message,
    type: event.type === "metrics" ? "metrics" : "message",
    data:
      typeof data === "object" && data !== null && !Array.isArray(data)
        ? (data as Record<string, unknown>)
        : null,
  };
}

function batchInfo(batch: Batch): BatchInfo {
  const counts = batch.request_counts;
  return {
    id: batch.id,
    status: batch.status,
    inputFileId: batch.input_file_id,
    outputFileId: batch.output_file_id ?? null,
    errorFileId: batch.error_file_id ?? null,
    requestCounts: {
      total: counts?.total ?? 0,
      completed: counts?.completed ?? 0,
      failed: counts?.failed ?? 0,
    },
    errors: (batch.errors?.data ?? []).map((error) => ({
      code: error.code ?? null,
      message: error.message ?? "",
      line: error.line ?? null,
    })),
    createdAt: batch.created_at,
  };
}

/** A response body's lines, decoded as UTF-8 and split as they stream in; blank lines are skipped. */
async function* readLines(open: () => Promise<Response>, where: string): AsyncGenerator<string> {
  const response = await open();
  if (response.body === null) return;
  const decoder = new TextDecoder("utf-8", { fatal: false });
  let pending = "";
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      pending += decoder.decode(chunk, { stream: true });
      let newline = pending.indexOf("\n");
      while (newline !== -1) {
        const line = pending.slice(0, newline).replace(/\r$/, "");
        pending = pending.slice(newline + 1);
        if (line.trim() !== "") yield line;
        newline = pending.indexOf("\n");
      }
    }
  } catch (error) {
    throw new LlmError("LLM_ERROR", `reading ${where} failed: ${(error as Error).message}`, {
      isRetryable: true,
      cause: error,
    });
  }
  pending += decoder.decode();
  if (pending.trim() !== "") yield pending.replace(/\r$/, "");
}
