// Validates a use case and turns zod issues into problems a person can fix: field path, allowed values, line.

import { z } from "zod";
import { SlmkitError } from "../errors.js";
import { type UseCase, useCaseSchema } from "./schema.js";

/** One thing wrong with a use case. */
export interface UseCaseProblem {
  /** The field at fault, e.g. `routing.fallback` or `labels[2].name`; empty when it is the whole file. */
  field: string;
  /** What is wrong and what is allowed, e.g. `"cloud" is not one of llm, review, slm`. */
  message: string;
  /** 1-based line in the YAML file, when known. */
  line?: number;
}

/** An invalid use case (code `INVALID_SPEC`); `problems` lists every problem found, not only the first. */
export class InvalidUseCaseError extends SlmkitError {
  override readonly name: string = "InvalidUseCaseError";
  readonly problems: readonly UseCaseProblem[];

  constructor(source: string, problems: readonly UseCaseProblem[], cause?: unknown) {
    const first = problems[0];
    const single = problems.length === 1 && first !== undefined;
    const message = single
      ? `${describeProblem(first)}. ${fixHint}`
      : `${problems.length} problems in the use case:\n${problems.map((problem) => `  ${withLine(problem)}`).join("\n")}\n${fixHint}`;
    super("INVALID_SPEC", message, {
      file: source,
      ...(single && first.line !== undefined ? { line: first.line } : {}),
      ...(first !== undefined && first.field !== "" ? { field: first.field } : {}),
      ...(cause === undefined ? {} : { cause }),
    });
    this.problems = problems;
  }
}

const fixHint = "Fix the file and retry; `slmkit init <dir>` writes a complete, commented example.";

function describeProblem(problem: UseCaseProblem): string {
  return problem.field === "" ? problem.message : `${problem.field}: ${problem.message}`;
}

function withLine(problem: UseCaseProblem): string {
  return problem.line === undefined
    ? describeProblem(problem)
    : `line ${problem.line}: ${describeProblem(problem)}`;
}

/** Finds the line of the value at `path` (or of the key `key` inside it) in the source, when there is one. */
export type LocateLine = (path: readonly PropertyKey[], key?: string) => number | undefined;

/**
 * Validates a parsed use case (e.g. from YAML or a JSON request body) and fills in defaults.
 * Throws an `InvalidUseCaseError` listing every problem, each named by its field path.
 */
export function validateUseCase(value: unknown, sourceName = "use case", locate?: LocateLine): UseCase {
  const result = useCaseSchema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.flatMap((issue) => describeIssue(issue, value, locate));
  // Reading order: problems with a line first, top to bottom; the stable sort keeps zod's order otherwise.
  problems.sort((a, b) => (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER));
  throw new InvalidUseCaseError(sourceName, problems, result.error);
}

function describeIssue(
  issue: z.core.$ZodIssue,
  root: unknown,
  locate: LocateLine | undefined,
): UseCaseProblem[] {
  const path = issue.path;
  const input = valueAt(root, path);
  const problem = (field: string, message: string, line: number | undefined): UseCaseProblem =>
    line === undefined ? { field, message } : { field, message, line };
  const lineOfValue = (): number | undefined =>
    locate?.(path) ?? (path.length > 1 ? locate?.(path.slice(0, -1)) : undefined);

  switch (issue.code) {
    case "unrecognized_keys": {
      const allowed = allowedKeysAt(path);
      const where = path.length === 0 ? "the top level" : formatPath(path);
      return issue.keys.map((key) => {
        const suggestion = closestKey(key, allowed);
        const hint = suggestion === undefined ? "" : ` (did you mean "${suggestion}"?)`;
        const message = `unknown key "${key}"; ${where} allows ${allowed.join(", ")}${hint}`;
        return problem(formatPath([...path, key]), message, locate?.(path, key));
      });
    }
    case "invalid_value": {
      const allowed = issue.values.map((allowedValue) => String(allowedValue));
      if (path.length === 1 && path[0] === "version") {
        const message =
          input === undefined
            ? 'missing; the file must say "version: 1"'
            : `must be 1 (the only contract version), got ${formatValue(input)}`;
        return [problem("version", message, lineOfValue())];
      }
      const message =
        input === undefined
          ? `missing; one of ${allowed.join(", ")}`
          : `${formatValue(input)} is not one of ${allowed.join(", ")}`;
      return [problem(formatPath(path), message, lineOfValue())];
    }
    case "invalid_type": {
      if (path.length === 0) {
        const message =
          input === undefined || input === null
            ? "the file is empty; a use case needs at least version, id, title, task and data"
            : `the file must be a mapping of keys (version: 1, id: …), got ${describeType(input)}`;
        return [problem("", message, undefined)];
      }
      if (input === undefined) {
        const message =
          path.length === 1 && path[0] === "version"
            ? 'missing; the file must say "version: 1"'
            : `missing (required; expected ${describeExpected(issue.expected)})`;
        return [problem(formatPath(path), message, lineOfValue())];
      }
      if (issue.expected === "int" && typeof input === "number") {
        return [problem(formatPath(path), `must be a whole number, got ${input}`, lineOfValue())];
      }
      const message = `expected ${describeExpected(issue.expected)}, got ${describeType(input)}`;
      return [problem(formatPath(path), message, lineOfValue())];
    }
    case "too_small":
    case "too_big":
    case "invalid_format":
    case "not_multiple_of":
      return [problem(formatPath(path), `${issue.message}, got ${formatValue(input)}`, lineOfValue())];
    default:
      return [problem(formatPath(path), issue.message, lineOfValue())];
  }
}

/** `labels[2].name` from `["labels", 2, "name"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let formatted = "";
  for (const segment of path) {
    if (typeof segment === "number") formatted += `[${segment}]`;
    else formatted += formatted === "" ? String(segment) : `.${String(segment)}`;
  }
  return formatted;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current = root;
  for (const segment of path) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}

/** The keys the schema allows at `path`, read from the schema itself so messages never drift from it. */
function allowedKeysAt(path: readonly PropertyKey[]): string[] {
  let schema: z.core.$ZodType | undefined = useCaseSchema;
  for (const segment of path) {
    schema = unwrap(schema);
    if (schema instanceof z.ZodObject && typeof segment === "string") {
      schema = (schema.shape as Record<string, z.core.$ZodType>)[segment];
    } else if (schema instanceof z.ZodArray) {
      schema = schema.element;
    } else {
      return [];
    }
  }
  schema = unwrap(schema);
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

function unwrap(schema: z.core.$ZodType | undefined): z.core.$ZodType | undefined {
  let current = schema;
  while (
    current instanceof z.ZodOptional ||
    current instanceof z.ZodDefault ||
    current instanceof z.ZodPrefault ||
    current instanceof z.ZodNullable
  ) {
    current = current.unwrap();
  }
  return current;
}

function closestKey(key: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(key.length / 3)) + 1;
  for (const candidate of allowed) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

function describeExpected(expected: string): string {
  switch (expected) {
    case "string":
      return "text";
    case "number":
      return "a number";
    case "int":
      return "a whole number";
    case "boolean":
      return "true or false";
    case "array":
      return "a list";
    case "object":
      return "a mapping (key: value)";
    default:
      return expected;
  }
}

function describeType(value: unknown): string {
  if (value === null) return "nothing (null)";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return `text ${formatValue(value)}`;
  if (typeof value === "number") return `the number ${value}`;
  if (typeof value === "boolean") return `${value}`;
  return typeof value;
}

function formatValue(value: unknown): string {
  if (typeof value === "string") {
    const shown = value.length > 40 ? `${value.slice(0, 37)}...` : value;
    return JSON.stringify(shown);
  }
  if (typeof value === "number" || typeof value === "boolean" || value === null) return String(value);
  if (value === undefined) return "nothing";
  return describeType(value);
}
