// The one error base of slmkit: a stable `code`, an optional `cause`, and a message that says how to fix it.

const marker = Symbol.for("slmkit.error");

/** Stable machine-readable error codes. Add, never rename: scripts match on them. */
export type SlmkitErrorCode =
  | "INVALID_INPUT"
  | "INVALID_DATA"
  | "INVALID_SPEC"
  | "INVALID_OPTION"
  | "EMPTY_DATA"
  | "ONE_CLASS"
  | "IO_ERROR"
  | "MODEL_NOT_FOUND"
  | "MODEL_CORRUPT"
  | "MODEL_VERSION"
  | "TRAINING_FAILED"
  | "NOT_SUPPORTED"
  | "STORE_UNAVAILABLE"
  | "LLM_ERROR"
  | "LLM_TIMEOUT";

export interface SlmkitErrorOptions {
  /** Where the problem is: a file, optionally with a 1-based line number. */
  file?: string;
  line?: number;
  /** The option or field at fault, e.g. `routing.targetAccuracy`. */
  field?: string;
  cause?: unknown;
}

export class SlmkitError extends Error {
  readonly [marker] = true;
  override readonly name: string = "SlmkitError";
  readonly code: SlmkitErrorCode;
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly field: string | undefined;

  constructor(code: SlmkitErrorCode, message: string, options: SlmkitErrorOptions = {}) {
    super(withLocation(message, options), options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.file = options.file;
    this.line = options.line;
    this.field = options.field;
  }

  /** True for any SlmkitError, also one thrown by another copy of this package. */
  static isInstance(error: unknown): error is SlmkitError {
    return typeof error === "object" && error !== null && marker in error;
  }
}

function withLocation(message: string, options: SlmkitErrorOptions): string {
  if (options.file === undefined) return message;
  const where = options.line === undefined ? options.file : `${options.file}:${options.line}`;
  return `${where}: ${message}`;
}
