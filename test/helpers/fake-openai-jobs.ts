// A local server speaking OpenAI's wire format of files, fine_tuning.jobs (with events) and batches, on top of the
// chat.completions fake: jobs and batches advance one step per retrieve, so tests drive them by polling.

import type { ServerResponse } from "node:http";
import {
  answer,
  type ChatRequestBody,
  completionBody,
  type FakeHandler,
  type FakeOpenAiServer,
  type FakeRouteRequest,
  recordedRequestOf,
  sendJson,
  startFakeOpenAi,
} from "./fake-openai.js";

/** A file as uploaded. */
export interface FakeFile {
  id: string;
  purpose: string;
  filename: string;
  content: Buffer;
  createdAt: number;
}

/** How the next fine-tuning jobs go. */
export interface FineTuningScript {
  /** Retrieves a job answers "running", one training step (a metrics event) each. Default 3. */
  runningPolls?: number;
  /** "succeeded" (the default) or "failed" with `error`. */
  outcome?: "succeeded" | "failed";
  error?: { code: string; message: string; param: string | null };
  /** `trained_tokens` of a finished job. Default 12,345. */
  trainedTokens?: number;
}

interface FakeJob {
  id: string;
  model: string;
  suffix: string | null;
  trainingFile: string;
  validationFile: string | null;
  createdAt: number;
  status: "validating_files" | "queued" | "running" | "succeeded" | "failed" | "cancelled";
  step: number;
  script: Required<Omit<FineTuningScript, "error">> & { error: FineTuningScript["error"] };
  body: Record<string, unknown>;
  fineTunedModel: string | null;
  finishedAt: number | null;
  /** Oldest first. */
  events: Array<Record<string, unknown>>;
}

/** What a batch line gets instead of the chat handler's answer. */
export type BatchLineFault =
  /** A line of the error file (`response: null`, `error: {code, message}`), e.g. "batch_expired". */
  | { kind: "error-file"; code: string; message: string }
  /** A line of the output file whose response has this status and an error body (429, 500, 400…). */
  | { kind: "status"; status: number; message?: string };

/** How the next batches go. */
export interface BatchScript {
  /** Retrieves a batch answers "in_progress" before it finalizes. Default 1. */
  inProgressPolls?: number;
  /** A fault for some lines (by custom_id and the line's 0-based number in its file); undefined: answered. */
  fault?: (customId: string, line: number) => BatchLineFault | undefined;
  /** Validation errors that fail the whole batch (status "failed"). Default none. */
  validationErrors?: Array<{ code: string; message: string; line: number | null }>;
}

interface FakeBatch {
  id: string;
  inputFileId: string;
  endpoint: string;
  metadata: Record<string, string>;
  createdAt: number;
  status: "validating" | "failed" | "in_progress" | "finalizing" | "completed" | "cancelling" | "cancelled";
  polls: number;
  script: BatchScript;
  outputFileId: string | null;
  errorFileId: string | null;
  counts: { total: number; completed: number; failed: number };
  errors: Array<{ code: string; message: string; line: number | null }>;
}

export interface FakeOpenAiJobsServer extends FakeOpenAiServer {
  readonly files: Map<string, FakeFile>;
  readonly jobs: Map<string, FakeJob>;
  readonly batches: Map<string, FakeBatch>;
  /** Every request outside chat.completions, oldest first: `POST /v1/files`, `GET /v1/fine_tuning/jobs/…`. */
  readonly calls: string[];
  /** Applies to jobs created from now on. */
  setFineTuning(script: FineTuningScript): void;
  /** Applies to batches created from now on. */
  setBatches(script: BatchScript): void;
  /** Statuses answered to the next calls (any route but chat), before the route runs: fault injection. */
  failNext(...statuses: number[]): void;
  /** Counts of calls whose text matches `pattern`, e.g. /^POST \/v1\/files$/. */
  count(pattern: RegExp): number;
}

/** Starts the fake; `chat` answers chat requests, direct or in a batch's lines. */
export async function startFakeOpenAiJobs(
  chat: FakeHandler = answer("unknown"),
): Promise<FakeOpenAiJobsServer> {
  const files = new Map<string, FakeFile>();
  const jobs = new Map<string, FakeJob>();
  const batches = new Map<string, FakeBatch>();
  const calls: string[] = [];
  const failures: number[] = [];
  let fineTuning: FineTuningScript = {};
  let batchScript: BatchScript = {};
  let chatHandler = chat;
  let serial = 0;
  const nextId = (prefix: string) => `${prefix}${(++serial).toString(36).padStart(6, "0")}`;
  const now = () => Math.floor(Date.now() / 1000);

  const addFile = (purpose: string, filename: string, content: Buffer): FakeFile => {
    const file = { id: nextId("file-"), purpose, filename, content, createdAt: now() };
    files.set(file.id, file);
    return file;
  };

  const routes = async (request: FakeRouteRequest, response: ServerResponse): Promise<boolean> => {
    // OpenAI's `/v1/…`, Azure's `/openai/…` and `/openai/v1/…` all reach the same routes.
    const path = request.path.replace(/^\/openai/, "").replace(/^\/v1/, "");
    calls.push(`${request.method} ${request.path}`);
    const failure = failures.shift();
    if (failure !== undefined) {
      sendJson(response, failure, {
        error: { message: `injected ${failure}`, type: "server_error", param: null, code: null },
      });
      return true;
    }
    const segments = path.split("/").filter((segment) => segment !== "");
    const [resource, id, action] = segments;
    if (resource === "files") return filesRoute(request, response, id, action);
    if (resource === "fine_tuning" && id === "jobs")
      return jobsRoute(request, response, segments[2], segments[3]);
    if (resource === "batches") return batchesRoute(request, response, id, action);
    return false;
  };

  const filesRoute = (
    request: FakeRouteRequest,
    response: ServerResponse,
    id: string | undefined,
    action: string | undefined,
  ): boolean => {
    if (request.method === "POST" && id === undefined) {
      const parts = parseMultipart(request);
      const file = parts.get("file");
      const purpose = parts.get("purpose")?.content.toString("utf8");
      if (file === undefined || purpose === undefined) {
        sendJson(response, 400, {
          error: { message: "file and purpose are required", type: "invalid_request_error" },
        });
        return true;
      }
      sendJson(response, 200, fileObject(addFile(purpose, file.filename ?? "upload.jsonl", file.content)));
      return true;
    }
    const file = id === undefined ? undefined : files.get(id);
    if (file === undefined) return notFound(response, `No such File object: ${id}`);
    if (request.method === "GET" && action === "content") {
      response.writeHead(200, { "content-type": "application/octet-stream" });
      response.end(file.content);
      return true;
    }
    if (request.method === "GET" && action === undefined) {
      sendJson(response, 200, fileObject(file));
      return true;
    }
    return false;
  };

  const jobsRoute = (
    request: FakeRouteRequest,
    response: ServerResponse,
    id: string | undefined,
    action: string | undefined,
  ): boolean => {
    if (request.method === "POST" && id === undefined) {
      const body = JSON.parse(request.body.toString("utf8")) as Record<string, unknown>;
      const trainingFile = String(body.training_file);
      if (!files.has(trainingFile))
        return badRequest(response, `invalid training_file: ${trainingFile}`, "training_file");
      const job: FakeJob = {
        id: nextId("ftjob-"),
        model: String(body.model),
        suffix: typeof body.suffix === "string" ? body.suffix : null,
        trainingFile,
        validationFile: typeof body.validation_file === "string" ? body.validation_file : null,
        createdAt: now(),
        status: "validating_files",
        step: 0,
        script: {
          runningPolls: fineTuning.runningPolls ?? 3,
          outcome: fineTuning.outcome ?? "succeeded",
          trainedTokens: fineTuning.trainedTokens ?? 12_345,
          error: fineTuning.error,
        },
        body,
        fineTunedModel: null,
        finishedAt: null,
        events: [],
      };
      addEvent(job, "info", `Validating training file: ${trainingFile}`);
      jobs.set(job.id, job);
      sendJson(response, 200, jobObject(job));
      return true;
    }
    if (request.method === "GET" && id === undefined) {
      sendJson(response, 200, page([...jobs.values()].reverse().map(jobObject), request.query));
      return true;
    }
    const job = id === undefined ? undefined : jobs.get(id);
    if (job === undefined) return notFound(response, `Could not find fine tune job: ${id}`);
    if (request.method === "GET" && action === undefined) {
      advanceJob(job);
      sendJson(response, 200, jobObject(job));
      return true;
    }
    if (request.method === "GET" && action === "events") {
      sendJson(response, 200, page([...job.events].reverse(), request.query));
      return true;
    }
    if (request.method === "POST" && action === "cancel") {
      if (["succeeded", "failed", "cancelled"].includes(job.status))
        return badRequest(response, `Job has already completed: ${job.status}`, null);
      job.status = "cancelled";
      job.finishedAt = now();
      addEvent(job, "info", "Fine-tuning job cancelled");
      sendJson(response, 200, jobObject(job));
      return true;
    }
    return false;
  };

  const batchesRoute = (
    request: FakeRouteRequest,
    response: ServerResponse,
    id: string | undefined,
    action: string | undefined,
  ): boolean => {
    if (request.method === "POST" && id === undefined) {
      const body = JSON.parse(request.body.toString("utf8")) as Record<string, unknown>;
      const input = files.get(String(body.input_file_id));
      if (input === undefined || input.purpose !== "batch")
        return badRequest(response, `invalid input_file_id: ${String(body.input_file_id)}`, "input_file_id");
      if (body.completion_window !== "24h")
        return badRequest(response, "completion_window must be 24h", null);
      const lines = input.content
        .toString("utf8")
        .split("\n")
        .filter((line) => line.trim() !== "");
      const batch: FakeBatch = {
        id: nextId("batch_"),
        inputFileId: input.id,
        endpoint: String(body.endpoint),
        metadata: (body.metadata as Record<string, string> | undefined) ?? {},
        createdAt: now(),
        status: "validating",
        polls: 0,
        script: batchScript,
        outputFileId: null,
        errorFileId: null,
        counts: { total: lines.length, completed: 0, failed: 0 },
        errors: [],
      };
      batches.set(batch.id, batch);
      sendJson(response, 200, batchObject(batch));
      return true;
    }
    const batch = id === undefined ? undefined : batches.get(id);
    if (batch === undefined) return notFound(response, `No batch found with id '${id}'.`);
    if (request.method === "GET" && action === undefined) {
      advanceBatch(batch);
      sendJson(response, 200, batchObject(batch));
      return true;
    }
    if (request.method === "POST" && action === "cancel") {
      if (["completed", "failed", "cancelled"].includes(batch.status))
        return badRequest(response, `Cannot cancel a batch with status '${batch.status}'.`, null);
      batch.status = "cancelling";
      sendJson(response, 200, batchObject(batch));
      return true;
    }
    return false;
  };

  const addEvent = (job: FakeJob, level: string, message: string, data?: Record<string, unknown>) => {
    job.events.push({
      object: "fine_tuning.job.event",
      id: `ftevent-${job.id.slice(6)}-${job.events.length.toString().padStart(4, "0")}`,
      created_at: now(),
      level,
      message,
      type: data === undefined ? "message" : "metrics",
      data: data ?? {},
    });
  };

  /** One step of a job's life per retrieve: validating → queued → running (steps) → succeeded or failed. */
  const advanceJob = (job: FakeJob) => {
    const total = job.script.runningPolls;
    if (job.status === "validating_files") {
      job.status = "queued";
      addEvent(job, "info", "Files validated, moving job to queued state");
    } else if (job.status === "queued") {
      job.status = "running";
      addEvent(job, "info", "Fine-tuning job started");
    } else if (job.status === "running" && job.step < total) {
      job.step++;
      addEvent(job, "info", `Step ${job.step}/${total}: training loss=${(1 / job.step).toFixed(4)}`, {
        step: job.step,
        total_steps: total,
        train_loss: 1 / job.step,
      });
    } else if (job.status === "running") {
      job.finishedAt = now();
      if (job.script.outcome === "failed") {
        job.status = "failed";
        addEvent(job, "error", `The job failed due to an error: ${job.script.error?.message ?? "unknown"}`);
      } else {
        job.status = "succeeded";
        job.fineTunedModel = `ft:${job.model}:slmkit-test:${job.suffix ?? "model"}:${job.id.slice(6)}`;
        addEvent(job, "info", "The job has successfully completed");
      }
    }
  };

  const jobObject = (job: FakeJob) => {
    const method = job.body.method as
      | { supervised?: { hyperparameters?: { n_epochs?: number } } }
      | undefined;
    const legacy = job.body.hyperparameters as { n_epochs?: number } | undefined;
    const epochs = method?.supervised?.hyperparameters?.n_epochs ?? legacy?.n_epochs ?? 3;
    const hyperparameters = { n_epochs: epochs, batch_size: 1, learning_rate_multiplier: 1.8 };
    return {
      object: "fine_tuning.job",
      id: job.id,
      model: job.model,
      created_at: job.createdAt,
      finished_at: job.finishedAt,
      fine_tuned_model: job.fineTunedModel,
      organization_id: "org-slmkit-test",
      result_files: [],
      status: job.status,
      validation_file: job.validationFile,
      training_file: job.trainingFile,
      hyperparameters,
      method: { type: "supervised", supervised: { hyperparameters } },
      trained_tokens: job.status === "succeeded" || job.status === "failed" ? job.script.trainedTokens : null,
      error:
        job.status === "failed"
          ? (job.script.error ?? { code: "unknown", message: "failed", param: null })
          : { code: null, message: null, param: null },
      seed: 42,
      estimated_finish: job.status === "running" ? now() + 60 : null,
      integrations: [],
      metadata: null,
    };
  };

  /** One step per retrieve: validating → in_progress (script.inProgressPolls) → finalizing → completed. */
  const advanceBatch = (batch: FakeBatch) => {
    batch.polls++;
    if (batch.status === "validating") {
      if ((batch.script.validationErrors ?? []).length > 0) {
        batch.status = "failed";
        batch.errors = batch.script.validationErrors ?? [];
      } else batch.status = "in_progress";
    } else if (batch.status === "in_progress" && batch.polls > 1 + (batch.script.inProgressPolls ?? 1)) {
      batch.status = "finalizing";
    } else if (batch.status === "in_progress") {
      // Requests complete as the batch runs, as the real counts move.
      const share = (batch.polls - 1) / (1 + (batch.script.inProgressPolls ?? 1));
      batch.counts.completed = Math.min(batch.counts.total, Math.floor(batch.counts.total * share));
    } else if (batch.status === "finalizing") {
      completeBatch(batch);
      batch.status = "completed";
    } else if (batch.status === "cancelling") {
      batch.status = "cancelled";
    }
  };

  /** Answers every line of the input file with the chat handler (or its scripted fault). */
  const completeBatch = (batch: FakeBatch) => {
    const input = files.get(batch.inputFileId) as FakeFile;
    batch.counts.completed = 0;
    const output: string[] = [];
    const errors: string[] = [];
    const lines = input.content
      .toString("utf8")
      .split("\n")
      .filter((line) => line.trim() !== "");
    for (const [index, line] of lines.entries()) {
      const request = JSON.parse(line) as { custom_id: string; url: string; body: ChatRequestBody };
      const requestId = `req_${batch.id.slice(6)}_${index}`;
      const fault = batch.script.fault?.(request.custom_id, index);
      if (fault?.kind === "error-file") {
        errors.push(
          JSON.stringify({
            id: `batch_req_${index}`,
            custom_id: request.custom_id,
            response: null,
            error: { code: fault.code, message: fault.message },
          }),
        );
        batch.counts.failed++;
        continue;
      }
      if (fault?.kind === "status") {
        output.push(
          JSON.stringify({
            id: `batch_req_${index}`,
            custom_id: request.custom_id,
            response: {
              status_code: fault.status,
              request_id: requestId,
              body: { error: { message: fault.message ?? `error ${fault.status}`, type: "server_error" } },
            },
            error: null,
          }),
        );
        batch.counts.failed++;
        continue;
      }
      // Synchronous handlers only: a batch is answered inside one retrieve.
      const reply = chatHandler(recordedRequestOf(request.body, request.url)) as Awaited<
        ReturnType<FakeHandler>
      >;
      const body =
        reply.kind === "content"
          ? completionBody(reply, request.body, `chatcmpl-${requestId}`)
          : { error: { message: "unsupported reply in a batch", type: "server_error" } };
      output.push(
        JSON.stringify({
          id: `batch_req_${index}`,
          custom_id: request.custom_id,
          response: { status_code: reply.kind === "content" ? 200 : 500, request_id: requestId, body },
          error: null,
        }),
      );
      batch.counts.completed++;
    }
    if (output.length > 0)
      batch.outputFileId = addFile(
        "batch_output",
        `${batch.id}_output.jsonl`,
        Buffer.from(`${output.join("\n")}\n`),
      ).id;
    if (errors.length > 0)
      batch.errorFileId = addFile(
        "batch_output",
        `${batch.id}_error.jsonl`,
        Buffer.from(`${errors.join("\n")}\n`),
      ).id;
  };

  const batchObject = (batch: FakeBatch) => ({
    object: "batch",
    id: batch.id,
    endpoint: batch.endpoint,
    errors: batch.errors.length === 0 ? null : { object: "list", data: batch.errors },
    input_file_id: batch.inputFileId,
    completion_window: "24h",
    status: batch.status,
    output_file_id: batch.outputFileId,
    error_file_id: batch.errorFileId,
    created_at: batch.createdAt,
    request_counts: batch.counts,
    metadata: batch.metadata,
  });

  const server = await startFakeOpenAi((request) => chatHandler(request), { route: routes });
  return Object.assign(server, {
    files,
    jobs,
    batches,
    calls,
    setFineTuning(script: FineTuningScript) {
      fineTuning = script;
    },
    setBatches(script: BatchScript) {
      batchScript = script;
    },
    setHandler(handler: FakeHandler) {
      chatHandler = handler;
    },
    failNext(...statuses: number[]) {
      failures.push(...statuses);
    },
    count(pattern: RegExp) {
      return calls.filter((call) => pattern.test(call)).length;
    },
  });
}

function fileObject(file: FakeFile) {
  return {
    object: "file",
    id: file.id,
    bytes: file.content.length,
    created_at: file.createdAt,
    filename: file.filename,
    purpose: file.purpose,
    status: "processed",
    status_details: null,
  };
}

/** A cursor page of `items` (already in the API's order): `after` an id, at most `limit`, with `has_more`. */
function page(items: Array<Record<string, unknown>>, query: URLSearchParams) {
  const limit = Number(query.get("limit") ?? 20);
  const after = query.get("after");
  const start = after === null ? 0 : items.findIndex((item) => item.id === after) + 1;
  const data = items.slice(start, start + limit);
  return { object: "list", data, has_more: start + limit < items.length };
}

function notFound(response: ServerResponse, message: string): true {
  sendJson(response, 404, { error: { message, type: "invalid_request_error", param: null, code: null } });
  return true;
}

function badRequest(response: ServerResponse, message: string, param: string | null): true {
  sendJson(response, 400, { error: { message, type: "invalid_request_error", param, code: null } });
  return true;
}

/** The parts of a multipart/form-data body by name, with a file part's filename. */
function parseMultipart(request: FakeRouteRequest): Map<string, { filename?: string; content: Buffer }> {
  const type = String(request.headers["content-type"] ?? "");
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(type);
  const parts = new Map<string, { filename?: string; content: Buffer }>();
  if (boundary === null) return parts;
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  const body = request.body;
  let start = body.indexOf(delimiter);
  while (start !== -1) {
    const headerStart = start + delimiter.length + 2;
    const next = body.indexOf(delimiter, headerStart);
    if (next === -1) break;
    const headerEnd = body.indexOf("\r\n\r\n", headerStart);
    const headers = body.subarray(headerStart, headerEnd).toString("utf8");
    const name = /name="([^"]*)"/.exec(headers)?.[1];
    const filename = /filename="([^"]*)"/.exec(headers)?.[1];
    // The part's content ends before the CRLF that precedes the next delimiter.
    const content = body.subarray(headerEnd + 4, next - 2);
    if (name !== undefined) parts.set(name, filename === undefined ? { content } : { filename, content });
    start = next;
  }
  return parts;
}
