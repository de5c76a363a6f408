// Reads and writes slmkit data files: JSONL or CSV classification data and JSONL span data, leniently or strictly.

import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { SlmkitError } from "../errors.js";
import { writeFileAtomic } from "../internal/fs.js";
import type { LabeledExample, Span, SpanExample } from "../types.js";
import { type DecodedLine, parseCsvRecords } from "./csv.js";

/** How a data file is laid out. */
export type DataFormat = "jsonl" | "csv";

/** What is wrong with one line (or CSV record) of a data file. */
export type DataProblemKind =
  | "invalid-utf8"
  | "malformed-json"
  | "malformed-csv"
  | "missing-column"
  | "not-an-object"
  | "missing-text"
  | "invalid-text"
  | "empty-text"
  | "text-too-long"
  | "missing-label"
  | "invalid-label"
  | "empty-label"
  | "missing-spans"
  | "invalid-span"
  | "span-out-of-range"
  | "span-splits-character"
  | "unknown-span-label";

/** One problem found while reading a data file. The line's content is never echoed: it may hold personal data. */
export interface DataProblem {
  file: string;
  /** 1-based line in the file: for CSV, the line the record starts on. */
  line: number;
  kind: DataProblemKind;
  /** What is wrong and how to fix it. */
  message: string;
}

/** What a lenient reader returns: every readable example, and a problem for every line that is not one. */
export interface DataReadResult<T> {
  examples: T[];
  problems: DataProblem[];
}

export interface ReadDataOptions {
  /** JSONL key or CSV column holding the text. Default: "text". */
  textField?: string;
  /** JSONL key or CSV column holding the label. Default: "label". */
  labelField?: string;
  /** File layout. Default: from the extension (".csv" → "csv"; ".jsonl", ".ndjson", ".json" → "jsonl"). */
  format?: DataFormat;
  /** Longest accepted text, in UTF-16 code units (JS string length). Default: 1,000,000. */
  maxTextLength?: number;
}

export interface ReadSpanDataOptions {
  /** JSONL key holding the text. Default: "text". */
  textField?: string;
  /** Longest accepted text, in UTF-16 code units (JS string length). Default: 1,000,000. */
  maxTextLength?: number;
  /** When given, every span label must be one of these. Default: any non-empty string. */
  allowedLabels?: readonly string[];
}

/** Where in-memory content comes from, for problem messages. */
export interface ContentSource {
  /** The name used in problems and errors. Default: "<input>". */
  file?: string;
}

/** Default for `maxTextLength`. */
export const defaultMaxTextLength = 1_000_000;

const defaultFile = "<input>";

// ---------------------------------------------------------------------------------------------------------------
// Public readers

/**
 * Reads classification data leniently, for `data check`: every line becomes an example or a problem, never
 * nothing. JSONL wants one `{"text", "label"}` object a line; CSV wants a header naming the two columns.
 * Blank lines (empty or only spaces and tabs) are skipped without a problem: editors leave them at the end of
 * files. A UTF-8 byte order mark is ignored, CRLF line ends are accepted. A label that is a number (`3`) is
 * converted to its string form (`"3"`), because numeric class ids are common; any other non-string label is a
 * problem. A text that is empty or only whitespace is a problem. Extra fields are ignored.
 */
export async function readClassificationDataLenient(
  path: string,
  options: ReadDataOptions = {},
): Promise<DataReadResult<LabeledExample>> {
  const format = options.format ?? formatFromPath(path);
  return parseClassificationData(await readBytes(path), { ...options, format, file: path });
}

/**
 * Reads classification data for training: the same rules as `readClassificationDataLenient`, but the first
 * problem throws `INVALID_DATA` naming the file and line, and a file without any example throws `EMPTY_DATA`.
 */
export async function readClassificationData(
  path: string,
  options: ReadDataOptions = {},
): Promise<LabeledExample[]> {
  const format = options.format ?? formatFromPath(path);
  const bytes = await readBytes(path);
  const examples: LabeledExample[] = [];
  parseClassification(bytes, { ...options, format }, path, (example) => examples.push(example), throwProblem);
  if (examples.length === 0) {
    throw emptyDataError(path, format === "csv" ? "a header and rows" : "one JSON object a line");
  }
  return examples;
}

/** Parses classification data from memory, leniently (see `readClassificationDataLenient`). */
export function parseClassificationData(
  content: Uint8Array | string,
  options: ReadDataOptions & ContentSource = {},
): DataReadResult<LabeledExample> {
  const examples: LabeledExample[] = [];
  const problems: DataProblem[] = [];
  parseClassification(
    content,
    options,
    options.file ?? defaultFile,
    (example) => examples.push(example),
    (problem) => problems.push(problem),
  );
  return { examples, problems };
}

/**
 * Reads span (extract) data leniently: one `{"text", "spans": [{"start", "end", "label"}]}` object a line,
 * offsets in UTF-16 code units, end exclusive. Each span needs integer offsets with 0 <= start < end <=
 * text.length that do not split a surrogate pair, and a non-empty string label (one of `allowedLabels` when
 * given). An empty `spans` array is fine (a text with nothing to extract); an empty text is a problem.
 * Overlapping spans are kept as they are: see `resolveOverlaps`. Blank lines are skipped, as for classification.
 */
export async function readSpanDataLenient(
  path: string,
  options: ReadSpanDataOptions = {},
): Promise<DataReadResult<SpanExample>> {
  return parseSpanData(await readBytes(path), { ...options, file: path });
}

/** Reads span data for training: the first problem throws `INVALID_DATA`, no example throws `EMPTY_DATA`. */
export async function readSpanData(path: string, options: ReadSpanDataOptions = {}): Promise<SpanExample[]> {
  const bytes = await readBytes(path);
  const examples: SpanExample[] = [];
  parseSpans(bytes, options, path, (example) => examples.push(example), throwProblem);
  if (examples.length === 0) throw emptyDataError(path, "one JSON object a line");
  return examples;
}

/** Parses span data from memory, leniently (see `readSpanDataLenient`). */
export function parseSpanData(
  content: Uint8Array | string,
  options: ReadSpanDataOptions & ContentSource = {},
): DataReadResult<SpanExample> {
  const examples: SpanExample[] = [];
  const problems: DataProblem[] = [];
  parseSpans(
    content,
    options,
    options.file ?? defaultFile,
    (example) => examples.push(example),
    (problem) => problems.push(problem),
  );
  return { examples, problems };
}

/**
 * Tells the task from one record: "extract" when it has a `spans` field, "classify" when it has the label
 * field (`labelField`, default "label"), undefined otherwise. A record with both is span data.
 */
export function detectTask(
  record: unknown,
  options: { labelField?: string } = {},
): "classify" | "extract" | undefined {
  if (!isPlainObject(record)) return undefined;
  if ("spans" in record) return "extract";
  if ((options.labelField ?? "label") in record) return "classify";
  return undefined;
}

/**
 * Tells the task of a data file from its first JSON object (CSV files are always classification data).
 * Throws `INVALID_DATA` when no line within the first 1,000 says, and `EMPTY_DATA` for a file without records.
 */
export async function detectFileTask(
  path: string,
  options: Pick<ReadDataOptions, "format" | "labelField"> = {},
): Promise<"classify" | "extract"> {
  const format = options.format ?? formatFromPath(path);
  if (format === "csv") return "classify";
  let looked = 0;
  for (const { line, text } of decodeLines(await readBytes(path))) {
    if (text === undefined || text.trim() === "") continue;
    const parsed = parseJson(text);
    if ("value" in parsed) {
      const task = detectTask(parsed.value, options);
      if (task !== undefined) return task;
    }
    looked += 1;
    if (looked === 1000) {
      throw new SlmkitError(
        "INVALID_DATA",
        `cannot tell the task: no line up to here has "spans" (extract) or "${options.labelField ?? "label"}" (classify). Fix the data, or say the task explicitly (--task).`,
        { file: path, line },
      );
    }
  }
  if (looked === 0) throw emptyDataError(path, "one JSON object a line");
  throw new SlmkitError(
    "INVALID_DATA",
    `cannot tell the task: no line has "spans" (extract) or "${options.labelField ?? "label"}" (classify). Fix the data, or say the task explicitly (--task).`,
    { file: path },
  );
}

/** The data format a path implies, from its extension. Throws `INVALID_OPTION` for an unknown extension. */
export function formatFromPath(path: string): DataFormat {
  const extension = extname(path).toLowerCase();
  if (extension === ".csv") return "csv";
  if (extension === ".jsonl" || extension === ".ndjson" || extension === ".json") return "jsonl";
  throw new SlmkitError(
    "INVALID_OPTION",
    `cannot tell the format of ${path} from its extension "${extension}"; name it .jsonl or .csv, or pass the format explicitly (format option, --format jsonl|csv).`,
    { field: "format" },
  );
}

/** Writes one JSON value a line, atomically (a temporary file renamed into place). */
export async function writeJsonl(path: string, records: Iterable<unknown>): Promise<void> {
  await writeFileAtomic(path, formatJsonl(records));
}

/** One JSON value a line, each line ended by "\n". */
export function formatJsonl(records: Iterable<unknown>): string {
  const lines: string[] = [];
  for (const record of records) lines.push(JSON.stringify(record));
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}

// ---------------------------------------------------------------------------------------------------------------
// Lines and encodings

async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const hint = code === "ENOENT" ? "no such file; check the path" : (error as Error).message;
    throw new SlmkitError("IO_ERROR", `cannot read the data file: ${hint}`, { file: path, cause: error });
  }
}

const lineDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Splits content into lines on "\n", drops a trailing "\r", strips a byte order mark at the start of a line
 * (files are sometimes concatenated) and decodes each line as strict UTF-8, so an encoding error names its line.
 */
function* decodeLines(content: Uint8Array | string): Generator<DecodedLine & { invalidByte?: number }> {
  if (typeof content === "string") {
    yield* stringLines(content);
    return;
  }
  // Fast path: the whole file decodes; only a file with an encoding error is decoded line by line.
  let whole: string | undefined;
  try {
    whole = lineDecoder.decode(content);
  } catch {
    whole = undefined;
  }
  if (whole !== undefined) {
    yield* stringLines(whole);
    return;
  }
  let start = 0;
  let line = 0;
  while (start <= content.length) {
    const newline = content.indexOf(0x0a, start);
    const end = newline === -1 ? content.length : newline;
    line += 1;
    if (newline === -1 && start === content.length) return;
    let bytes = content.subarray(start, end);
    if (bytes.length > 0 && bytes[bytes.length - 1] === 0x0d) bytes = bytes.subarray(0, bytes.length - 1);
    try {
      yield { line, text: stripBom(lineDecoder.decode(bytes)) };
    } catch {
      yield { line, text: undefined, invalidByte: firstInvalidUtf8Offset(bytes) + 1 };
    }
    if (newline === -1) return;
    start = newline + 1;
  }
}

function* stringLines(content: string): Generator<DecodedLine> {
  let start = 0;
  let line = 0;
  while (start < content.length) {
    const newline = content.indexOf("\n", start);
    const end = newline === -1 ? content.length : newline;
    line += 1;
    const text =
      content.charCodeAt(end - 1) === 0x0d ? content.slice(start, end - 1) : content.slice(start, end);
    yield { line, text: stripBom(text) };
    if (newline === -1) return;
    start = newline + 1;
  }
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Byte offset of the first byte that does not start a well-formed UTF-8 sequence, or -1. */
function firstInvalidUtf8Offset(bytes: Uint8Array): number {
  let index = 0;
  while (index < bytes.length) {
    const lead = bytes[index]!;
    if (lead < 0x80) {
      index += 1;
      continue;
    }
    let continuation: number;
    if (lead >= 0xc2 && lead <= 0xdf) continuation = 1;
    else if (lead >= 0xe0 && lead <= 0xef) continuation = 2;
    else if (lead >= 0xf0 && lead <= 0xf4) continuation = 3;
    else return index;
    // The second byte's range is narrower after some leads: no overlong forms, no surrogates, nothing past U+10FFFF.
    let low = 0x80;
    let high = 0xbf;
    if (lead === 0xe0) low = 0xa0;
    else if (lead === 0xed) high = 0x9f;
    else if (lead === 0xf0) low = 0x90;
    else if (lead === 0xf4) high = 0x8f;
    for (let k = 1; k <= continuation; k++) {
      const next = bytes[index + k];
      if (next === undefined || next < (k === 1 ? low : 0x80) || next > (k === 1 ? high : 0xbf)) return index;
    }
    index += continuation + 1;
  }
  return -1;
}

// ---------------------------------------------------------------------------------------------------------------
// Record conversion

type ProblemDraft = { kind: DataProblemKind; message: string };
type Converted<T> = { example: T } | { problem: ProblemDraft };

function parseClassification(
  content: Uint8Array | string,
  options: ReadDataOptions,
  file: string,
  onExample: (example: LabeledExample) => void,
  onProblem: (problem: DataProblem) => void,
): void {
  // In-memory content has no real extension to trust: only a ".csv" name implies CSV.
  const format = options.format ?? (extname(file).toLowerCase() === ".csv" ? "csv" : "jsonl");
  const fields = {
    text: options.textField ?? "text",
    label: options.labelField ?? "label",
    maxTextLength: validMaxTextLength(options.maxTextLength),
  };
  if (format === "csv") {
    parseCsvClassification(content, fields, file, onExample, onProblem);
    return;
  }
  parseJsonLines(content, file, onProblem, (value, line) => {
    const converted = toClassificationExample(value, fields);
    if ("problem" in converted) return converted.problem;
    onExample({ ...converted.example, line });
    return undefined;
  });
}

function parseSpans(
  content: Uint8Array | string,
  options: ReadSpanDataOptions,
  file: string,
  onExample: (example: SpanExample) => void,
  onProblem: (problem: DataProblem) => void,
): void {
  const rules: SpanRules = {
    text: options.textField ?? "text",
    maxTextLength: validMaxTextLength(options.maxTextLength),
    allowed: options.allowedLabels === undefined ? undefined : new Set(options.allowedLabels),
    allowedList: options.allowedLabels ?? [],
  };
  parseJsonLines(content, file, onProblem, (value, line) => {
    const converted = toSpanExample(value, rules);
    if ("problem" in converted) return converted.problem;
    onExample({ ...converted.example, line });
    return undefined;
  });
}

/** Feeds each non-blank JSONL line's value to `convert`, turning encoding and syntax errors into problems. */
function parseJsonLines(
  content: Uint8Array | string,
  file: string,
  onProblem: (problem: DataProblem) => void,
  convert: (value: unknown, line: number) => ProblemDraft | undefined,
): void {
  let firstLine = true;
  for (const decoded of decodeLines(content)) {
    const { line, text } = decoded;
    if (text === undefined) {
      onProblem({ file, line, kind: "invalid-utf8", message: invalidUtf8Message(decoded.invalidByte) });
      firstLine = false;
      continue;
    }
    if (text.trim() === "") continue;
    const parsed = parseJson(text);
    let problem: ProblemDraft | undefined;
    if ("error" in parsed) {
      problem = {
        kind: "malformed-json",
        message: `not valid JSON (${parsed.error}); each line must be one JSON object such as {"text": "...", "label": "..."}${firstLine && text.trimStart().startsWith("[") ? ". This looks like a JSON array: write one object a line (JSON Lines) instead" : ""}`,
      };
    } else {
      problem = convert(parsed.value, line);
    }
    if (problem !== undefined) onProblem({ file, line, ...problem });
    firstLine = false;
  }
}

function invalidUtf8Message(invalidByte: number | undefined): string {
  const where = invalidByte === undefined ? "" : ` at byte ${invalidByte} of the line`;
  return `not valid UTF-8${where}; save the file as UTF-8 (e.g. \`iconv -f latin1 -t utf-8\`)`;
}

function parseJson(text: string): { value: unknown } | { error: string } {
  try {
    return { value: JSON.parse(text) };
  } catch (error) {
    // V8 quotes the start of the line in some messages; the line may hold personal data, so drop the quote.
    const reason = (error as Error).message.replace(/, ".*"(?:\.\.\.)? is not valid JSON$/su, "");
    return { error: reason };
  }
}

interface ClassificationFields {
  text: string;
  label: string;
  maxTextLength: number;
}

function toClassificationExample(value: unknown, fields: ClassificationFields): Converted<LabeledExample> {
  if (!isPlainObject(value)) {
    return problem(
      "not-an-object",
      `the line is ${describeJsonType(value)}, not a JSON object such as {"text": "...", "label": "..."}`,
    );
  }
  const text = readText(value[fields.text], fields.text, fields.maxTextLength, "text-field");
  if (typeof text !== "string") return { problem: text };
  const label = readLabel(value[fields.label], fields.label);
  if (typeof label !== "string") return { problem: label };
  return { example: { text, label } };
}

/** The text field's value, or the problem with it. `hint` says which option renames the field. */
function readText(
  raw: unknown,
  name: string,
  maxTextLength: number,
  hint: "text-field" | "none",
): string | ProblemDraft {
  const rename =
    hint === "text-field" ? ` (if the text is under another name, set textField / --text-field)` : "";
  if (raw === undefined || raw === null)
    return { kind: "missing-text", message: `no "${name}" field${rename}` };
  if (typeof raw !== "string") {
    return { kind: "invalid-text", message: `"${name}" is ${describeJsonType(raw)}; it must be a string` };
  }
  if (raw.trim() === "")
    return { kind: "empty-text", message: `"${name}" is empty; remove the line or add the text` };
  if (raw.length > maxTextLength) {
    return {
      kind: "text-too-long",
      message: `"${name}" has ${raw.length.toLocaleString("en-US")} characters, more than the limit of ${maxTextLength.toLocaleString("en-US")} (maxTextLength); split the text or raise the limit`,
    };
  }
  return raw;
}

function readLabel(raw: unknown, name: string): string | ProblemDraft {
  const rename = ` (if the label is under another name, set labelField / --label-field)`;
  if (raw === undefined || raw === null)
    return { kind: "missing-label", message: `no "${name}" field${rename}` };
  if (typeof raw === "number" && Number.isFinite(raw)) return String(raw);
  if (typeof raw !== "string") {
    return {
      kind: "invalid-label",
      message: `"${name}" is ${describeJsonType(raw)}; it must be a string (or a number)`,
    };
  }
  if (raw.trim() === "")
    return { kind: "empty-label", message: `"${name}" is empty; give the line a label or remove it` };
  return raw;
}

interface SpanRules {
  text: string;
  maxTextLength: number;
  allowed: ReadonlySet<string> | undefined;
  allowedList: readonly string[];
}

function toSpanExample(value: unknown, rules: SpanRules): Converted<SpanExample> {
  if (!isPlainObject(value)) {
    return problem(
      "not-an-object",
      `the line is ${describeJsonType(value)}, not a JSON object such as {"text": "...", "spans": [...]}`,
    );
  }
  const rawSpans = value.spans;
  const rawText = value[rules.text];
  if (
    typeof rawText === "string" &&
    rawText.trim() === "" &&
    Array.isArray(rawSpans) &&
    rawSpans.length > 0
  ) {
    return problem(
      "empty-text",
      `"${rules.text}" is empty but the line has ${rawSpans.length} span(s); fix the text or remove the line`,
    );
  }
  const text = readText(rawText, rules.text, rules.maxTextLength, "text-field");
  if (typeof text !== "string") return { problem: text };
  if (rawSpans === undefined || rawSpans === null) {
    return problem("missing-spans", `no "spans" field; use "spans": [] for a text with nothing to extract`);
  }
  if (!Array.isArray(rawSpans)) {
    return problem(
      "invalid-span",
      `"spans" is ${describeJsonType(rawSpans)}; it must be an array of {"start", "end", "label"}`,
    );
  }
  const spans: Span[] = [];
  for (let index = 0; index < rawSpans.length; index++) {
    const checked = checkSpan(rawSpans[index], index, text, rules);
    if ("kind" in checked) return { problem: checked };
    spans.push(checked);
  }
  return { example: { text, spans } };
}

function checkSpan(raw: unknown, index: number, text: string, rules: SpanRules): Span | ProblemDraft {
  const which = `span ${index + 1}`;
  if (!isPlainObject(raw)) {
    return {
      kind: "invalid-span",
      message: `${which} is ${describeJsonType(raw)}; it must be {"start", "end", "label"}`,
    };
  }
  const { start, end, label } = raw;
  if (
    typeof start !== "number" ||
    !Number.isInteger(start) ||
    typeof end !== "number" ||
    !Number.isInteger(end)
  ) {
    return {
      kind: "invalid-span",
      message: `${which}: "start" and "end" must be integers (character offsets)`,
    };
  }
  if (start < 0 || start >= end || end > text.length) {
    return {
      kind: "span-out-of-range",
      message: `${which} [${start}, ${end}) is out of range: need 0 <= start < end <= ${text.length} (the text's length in UTF-16 code units, end exclusive)`,
    };
  }
  for (const [name, offset] of [
    ["start", start],
    ["end", end],
  ] as const) {
    if (splitsSurrogatePair(text, offset)) {
      return {
        kind: "span-splits-character",
        message: `${which}: "${name}" ${offset} falls inside a character (between the two halves of a surrogate pair); offsets count UTF-16 code units as JS strings do`,
      };
    }
  }
  if (typeof label !== "string" || label.trim() === "") {
    return { kind: "invalid-span", message: `${which}: "label" must be a non-empty string` };
  }
  if (rules.allowed !== undefined && !rules.allowed.has(label)) {
    return {
      kind: "unknown-span-label",
      message: `${which}: label ${JSON.stringify(label)} is not one of the allowed labels: ${rules.allowedList.map((name) => JSON.stringify(name)).join(", ")}`,
    };
  }
  return { start, end, label };
}

function splitsSurrogatePair(text: string, offset: number): boolean {
  if (offset <= 0 || offset >= text.length) return false;
  const before = text.charCodeAt(offset - 1);
  const after = text.charCodeAt(offset);
  return before >= 0xd800 && before <= 0xdbff && after >= 0xdc00 && after <= 0xdfff;
}

function parseCsvClassification(
  content: Uint8Array | string,
  fields: ClassificationFields,
  file: string,
  onExample: (example: LabeledExample) => void,
  onProblem: (problem: DataProblem) => void,
): void {
  let textColumn = -1;
  let labelColumn = -1;
  let columnCount = 0;
  let header = true;
  let row = 0;
  const invalidLines = new Map<number, number | undefined>();
  const lines = (function* () {
    for (const decoded of decodeLines(content)) {
      if (decoded.text === undefined) invalidLines.set(decoded.line, decoded.invalidByte);
      yield decoded;
    }
  })();
  for (const record of parseCsvRecords(lines)) {
    const report = (kind: DataProblemKind, message: string): void => {
      onProblem({ file, line: record.line, kind, message: header ? message : `row ${row}: ${message}` });
    };
    if (!header) row += 1;
    const invalid = [...invalidLines.keys()].find((line) => line >= record.line && line <= record.endLine);
    if (invalid !== undefined) {
      const message = invalidUtf8Message(invalidLines.get(invalid));
      report("invalid-utf8", invalid === record.line ? message : `line ${invalid} ${message}`);
      invalidLines.clear();
      if (header) return;
      continue;
    }
    if (record.problem !== undefined) {
      report("malformed-csv", record.problem);
      if (header) return;
      continue;
    }
    if (header) {
      const names = record.fields.map((name) => name.trim());
      textColumn = names.indexOf(fields.text);
      labelColumn = names.indexOf(fields.label);
      columnCount = names.length;
      const missing = [
        textColumn === -1 ? `"${fields.text}" (set textField / --text-field)` : undefined,
        labelColumn === -1 ? `"${fields.label}" (set labelField / --label-field)` : undefined,
      ].filter((name) => name !== undefined);
      if (missing.length > 0) {
        report(
          "missing-column",
          `the header has no column ${missing.join(" and no column ")}; its columns are ${names.map((name) => JSON.stringify(name)).join(", ")}`,
        );
        return;
      }
      header = false;
      continue;
    }
    if (record.fields.length !== columnCount) {
      report(
        "malformed-csv",
        `has ${record.fields.length} fields but the header has ${columnCount}; quote any field that holds a comma`,
      );
      continue;
    }
    const text = readText(record.fields[textColumn], fields.text, fields.maxTextLength, "none");
    if (typeof text !== "string") {
      report(text.kind, text.message);
      continue;
    }
    const label = readLabel(record.fields[labelColumn], fields.label);
    if (typeof label !== "string") {
      report(label.kind, label.message);
      continue;
    }
    onExample({ text, label, line: row });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers

function problem(kind: DataProblemKind, message: string): { problem: ProblemDraft } {
  return { problem: { kind, message } };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describeJsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return "a string";
  if (typeof value === "number") return "a number";
  if (typeof value === "boolean") return "a boolean";
  return typeof value;
}

function validMaxTextLength(value: number | undefined): number {
  if (value === undefined) return defaultMaxTextLength;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new SlmkitError(
      "INVALID_OPTION",
      `maxTextLength must be a positive whole number of characters, got ${value}.`,
      {
        field: "maxTextLength",
      },
    );
  }
  return value;
}

function throwProblem(problem: DataProblem): never {
  throw new SlmkitError(
    "INVALID_DATA",
    `${problem.message}. Run \`slmkit data check ${problem.file}\` to list every problem.`,
    { file: problem.file, line: problem.line },
  );
}

function emptyDataError(path: string, expected: string): SlmkitError {
  return new SlmkitError("EMPTY_DATA", `the file has no examples; it needs ${expected}.`, { file: path });
}
