// Shared value types: the task kinds, labelled examples and predictions every module speaks.

/** Who produced the answer a client received. */
export type AnsweredBy = "slm" | "cache" | "llm" | "review";

/** The three task kinds of a use case (DESIGN.md, "Task types"). */
export type TaskType = "classify" | "extract" | "answer";

/** One labelled classification example: `{"text", "label"}` in JSONL. */
export interface LabeledExample {
  text: string;
  label: string;
  /** 1-based line (JSONL) or row (CSV, header excluded) the example came from, when read from a file. */
  line?: number;
}

/** A character span, UTF-16 offsets as JS strings index them, end exclusive. */
export interface Span {
  start: number;
  end: number;
  label: string;
}

/** One span-annotated extraction example: `{"text", "spans"}` in JSONL. */
export interface SpanExample {
  text: string;
  spans: Span[];
  line?: number;
}

/** What a classifier says about one text. */
export interface ClassPrediction {
  /** The most probable label. */
  label: string;
  /** Calibrated probability of `label`, in [0, 1]. */
  confidence: number;
  /** `confidence >= threshold`: the small model's answer may be used without escalation. */
  accepted: boolean;
  /** Share of the text's n-grams the model has never seen, in [0, 1], when the model can tell: a drift signal. */
  unknownShare?: number;
}

/**
 * Where the library reports what it handles itself (a failing cache, a refused reload, drift): a pino logger fits.
 * The library never prints; with no logger these reports are dropped.
 */
export interface Logger {
  info(context: object, message: string): void;
  warn(context: object, message: string): void;
  error(context: object, message: string): void;
}
