// A small RFC 4180 CSV record parser over already-decoded lines, so every record knows the line it starts on.

/** One line of a file, decoded; `text` is undefined when the line is not valid UTF-8. */
export interface DecodedLine {
  /** 1-based line number in the file. */
  line: number;
  /** The line without its line break (and without a trailing carriage return). */
  text: string | undefined;
}

export interface CsvRecord {
  /** 1-based line the record starts on. */
  line: number;
  /** Last line of the record: greater than `line` when a quoted field holds line breaks. */
  endLine: number;
  fields: string[];
  /** Why the record cannot be trusted, when it cannot; its fields are then best effort. */
  problem?: string;
}

/**
 * Groups lines into CSV records. Quoted fields may hold commas, doubled quotes (`""`) and line breaks; a line
 * break inside a quoted field becomes "\n" whatever the file used. A quote inside an unquoted field is kept
 * as a literal character, as spreadsheets write it. Text after a closing quote (`"a"b`), a line that is not
 * valid UTF-8 or a quoted field that never closes make the record a problem rather than a guess.
 * Blank lines (empty or only spaces and tabs) outside a quoted field are skipped.
 */
export function* parseCsvRecords(lines: Iterable<DecodedLine>): Generator<CsvRecord> {
  let fields: string[] = [];
  let field = "";
  let inQuotes = false;
  let afterQuote = false;
  let startLine = 0;
  let lastLine = 0;
  let problem: string | undefined;

  const finish = (endLine: number): CsvRecord => {
    fields.push(field);
    const record: CsvRecord = { line: startLine, endLine, fields };
    if (problem !== undefined) record.problem = problem;
    fields = [];
    field = "";
    afterQuote = false;
    problem = undefined;
    return record;
  };

  // Reads a quoted field's content from `from`; clears `inQuotes` when the closing quote is on this line.
  const scanQuoted = (text: string, from: number): number => {
    let position = from;
    for (;;) {
      const quote = text.indexOf('"', position);
      if (quote === -1) {
        field += text.slice(position);
        return text.length;
      }
      if (text[quote + 1] === '"') {
        field += text.slice(position, quote + 1);
        position = quote + 2;
        continue;
      }
      field += text.slice(position, quote);
      inQuotes = false;
      afterQuote = true;
      return quote + 1;
    }
  };

  // Consumes the rest of a line outside quotes; returns false when it ends inside a quoted field.
  const consume = (text: string, from: number, atFieldStart: boolean): boolean => {
    let position = from;
    let fieldStart = atFieldStart;
    for (;;) {
      if (fieldStart && text[position] === '"') {
        inQuotes = true;
        position = scanQuoted(text, position + 1);
        if (inQuotes) return false;
        fieldStart = false;
        continue;
      }
      const comma = text.indexOf(",", position);
      const end = comma === -1 ? text.length : comma;
      if (afterQuote && end > position) {
        problem ??= `unexpected text after a closing quote on line ${lastLine}; quote the whole field and double any quote inside it ("")`;
      }
      field += text.slice(position, end);
      if (comma === -1) return true;
      fields.push(field);
      field = "";
      afterQuote = false;
      fieldStart = true;
      position = comma + 1;
    }
  };

  for (const { line, text } of lines) {
    lastLine = line;
    const continuing = inQuotes;
    if (!continuing) startLine = line;
    if (text === undefined) {
      // The caller reports the encoding error; the record is still delimited so later lines stay aligned.
      problem ??= `line ${line} is not valid UTF-8`;
      if (continuing) field += "\n";
      else yield finish(line);
      continue;
    }
    if (!continuing && text.trim() === "") continue;
    let complete: boolean;
    if (continuing) {
      const position = scanQuoted(text, 0);
      complete = !inQuotes && consume(text, position, false);
    } else {
      complete = consume(text, 0, true);
    }
    if (complete) yield finish(line);
    else field += "\n";
  }
  if (inQuotes) {
    problem = `the quoted field starting on line ${startLine} is never closed, so lines ${startLine}-${lastLine} were read as one field; close the quote or double any quote inside the field ("")`;
    inQuotes = false;
    // The line break added after the last line is not part of the field.
    field = field.slice(0, -1);
    yield finish(lastLine);
  }
}
