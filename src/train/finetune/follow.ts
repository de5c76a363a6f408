// Follows a fine-tuning job to its end: status and new events at every poll, backing off while nothing changes.

import { createPollingDelay, sleep } from "../../internal/poll.js";
import { LlmError } from "../../models/llm-error.js";
import type {
  FineTuningEventInfo,
  FineTuningJobInfo,
  FineTuningStatus,
  OpenAiJobsApi,
} from "../../models/openai/jobs-api.js";
import { type FineTuneState, isFinished, writeFineTuneState } from "./state.js";

/** What a fine-tuning run reports as it goes; the CLI prints it on stderr. */
export type FineTuneEvent =
  | { kind: "exported"; train: number; valid: number; dropped: number; warnings: string[] }
  | { kind: "uploaded"; which: "train" | "valid"; fileId: string; reused: boolean }
  /** The job being followed: created now, found (created by an interrupted run), or resumed from the state file. */
  | { kind: "job"; jobId: string; how: "created" | "found" | "resumed" }
  | { kind: "status"; status: FineTuningStatus; job: FineTuningJobInfo }
  /** One entry of the job's own log (a "metrics" entry carries a training step's figures). */
  | { kind: "log"; event: FineTuningEventInfo }
  /** A poll failed for a passing reason (429, 5xx, a lost connection); the next one comes after `delayMs`. */
  | { kind: "retry"; message: string; failures: number; delayMs: number };

export interface FollowSettings {
  api: OpenAiJobsApi;
  statePath: string;
  /** The first delay between polls, and the delay after a change, in milliseconds. */
  pollIntervalMs: number;
  /** The longest delay between polls, in milliseconds. */
  maxPollIntervalMs: number;
  /** Polls in a row that may fail for a passing reason before the follow gives up. */
  maxConsecutiveFailures: number;
  onEvent: (event: FineTuneEvent) => void;
  signal: AbortSignal | undefined;
}

/**
 * Polls the state's job until it succeeds, fails or is cancelled, reporting each status change and each new log
 * entry, and writing the state (status, newest event id, trained tokens) whenever something changed, so a run
 * stopped at any moment resumes without repeating the log. A poll that fails for a passing reason is retried
 * with the backoff; a lasting failure (401, 404) or `maxConsecutiveFailures` in a row throws.
 */
export async function followJob(
  initial: FineTuneState,
  settings: FollowSettings,
): Promise<{ state: FineTuneState; job: FineTuningJobInfo }> {
  const { api, signal } = settings;
  const jobId = initial.jobId as string;
  const nextDelay = createPollingDelay({
    initialMs: settings.pollIntervalMs,
    maxMs: settings.maxPollIntervalMs,
  });
  let state = initial;
  let failures = 0;
  for (;;) {
    signal?.throwIfAborted();
    let changed = false;
    try {
      const job = await api.retrieveFineTuningJob(jobId, signal);
      const events = await api.fineTuningEventsAfter(jobId, state.lastEventId ?? undefined, signal);
      failures = 0;
      for (const event of events) settings.onEvent({ kind: "log", event });
      const statusChanged = job.status !== state.status;
      if (statusChanged) settings.onEvent({ kind: "status", status: job.status, job });
      if (statusChanged || events.length > 0) {
        changed = true;
        state = await writeFineTuneState(settings.statePath, {
          ...state,
          status: job.status,
          lastEventId: events.at(-1)?.id ?? state.lastEventId,
          trainedTokens: job.trainedTokens,
        });
      }
      if (isFinished(job.status)) return { state, job };
    } catch (error) {
      if (signal?.aborted) throw error;
      failures++;
      if (!(LlmError.isLlmError(error) && error.isRetryable) || failures > settings.maxConsecutiveFailures)
        throw error;
      const delayMs = nextDelay(false);
      settings.onEvent({ kind: "retry", message: (error as Error).message, failures, delayMs });
      await sleep(delayMs, signal);
      continue;
    }
    await sleep(nextDelay(changed), signal);
  }
}
