// What the edge client and the gateway say to each other (docs/edge.md): the events a device uploads, and the
// gateway's answer to a batch. Field names are snake_case, as in the gateway's other routes.

import type { FieldValues } from "../models/task-model.js";

/** A prediction the device answered itself (accepted at the bundle's threshold): logged with answered_by "edge". */
export interface DecisionEvent {
  /** A UUIDv7 made on the device: the event's identity, so an upload retried is counted once. */
  id: string;
  type: "decision";
  /** When the device answered, ms since the epoch (the device's clock). */
  created_at: number;
  /** sha256 of the bundle that answered: the model version. */
  bundle: string;
  /** classify and answer: the label (intent); extract: null. */
  label: string | null;
  /** answer: the FAQ answer given. */
  answer?: string | null;
  /** extract: the record given. */
  fields?: FieldValues;
  confidence: number;
  threshold: number;
  /** On-device time to the prediction, ms. */
  latency_ms: number;
  /** Length of the text in UTF-16 code units (a drift signal that needs no text). */
  text_length: number;
  /** Share of unseen n-grams, when the model tells it (classify). */
  unknown_share?: number;
  /** The text, only when the client was created with `logText: true`. */
  text?: string;
}

/** A request the device could not settle: the gateway was not reached, so it answered with its fallback. */
export interface EscalationEvent {
  /** The same id the device sent as `Idempotency-Key` when it tried the chat route: one request, counted once. */
  id: string;
  type: "escalation";
  created_at: number;
  bundle: string;
  /** The text: an escalation goes to the gateway whole (that is what escalating means). */
  text: string;
  /** The local model's guess, below the threshold or refused. */
  guess: {
    label: string | null;
    answer?: string | null;
    fields?: FieldValues;
    confidence: number;
    refusal?: string;
  };
  threshold: number;
  /** What the device answered meanwhile: its flagged guess, or the holding answer. */
  fallback: "guess" | "holding";
  /** Why the gateway did not answer: "offline", "unreachable", "timeout" or "status 503". */
  reason: string;
  latency_ms: number;
}

/** A correction of an earlier answer, by the person who got it. */
export interface FeedbackEvent {
  id: string;
  type: "feedback";
  created_at: number;
  /** The answer being corrected: a decision's or escalation's event id, or the gateway's `request_id`. */
  request_id: string;
  label?: string;
  answer?: string;
  fields?: FieldValues;
}

export type EdgeEvent = DecisionEvent | EscalationEvent | FeedbackEvent;

/** The body of `POST /v1/edge/events`. */
export interface EdgeEventBatch {
  /** The use case's id. */
  usecase: string;
  device: {
    /** A random id the device keeps in its storage. */
    id: string;
    /** The runtime and its bundle format, e.g. "slmkit-edge/1". */
    runtime: string;
  };
  /** Events this device has dropped from its full queue since it was set up (a running total: retries repeat it). */
  dropped_total: number;
  /** At most 100 events, oldest first. */
  events: EdgeEvent[];
}

/** The gateway's word on one event of a batch. */
export interface EdgeEventResult {
  id: string;
  /** stored: new; duplicate: already stored (a retry); rejected: invalid, and a retry would not help. */
  status: "stored" | "duplicate" | "rejected";
  message?: string;
}

/** The reply to `POST /v1/edge/events` (200): one result per event, in order. */
export interface EdgeEventsReply {
  stored: number;
  duplicates: number;
  rejected: number;
  results: EdgeEventResult[];
}

/** The gateway's decision fields on a chat completion (src/serve/wire.ts, `slmkit`), as the client reads them. */
export interface GatewayDecision {
  request_id?: string;
  answered_by?: string;
  reason?: string;
  label?: string | null;
  confidence?: number | null;
  threshold?: number;
  flagged?: boolean;
  fields?: FieldValues | null;
}
