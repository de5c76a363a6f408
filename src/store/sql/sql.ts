// SQL fragments written once for every backend: values are always bound, never spliced into the text, and a
// dialect renders the placeholders ("?" on SQLite, "$1" on Postgres) when the statement runs.

import type { SqlDialect } from "./dialect.js";

/**
 * A value a statement binds. No booleans and no objects: the backends store those differently (SQLite has no
 * BOOLEAN, and better-sqlite3 refuses `true`), so they go through a dialect member instead (see dialect.ts).
 */
export type SqlValue = string | number | bigint | Buffer | null;

/** A piece of SQL and its bound values, in order. Made by `sql`, `raw` and `join`; rendered by `renderSql`. */
export class Sql {
  readonly strings: readonly string[];
  readonly values: readonly (SqlValue | Sql)[];
  /**
   * The template's own strings when the fragment came straight from a `sql` template with no fragment inside:
   * its text then depends on the call site and the dialect only, and is rendered once (see `renderSql`).
   */
  readonly template: TemplateStringsArray | undefined;

  constructor(
    strings: readonly string[],
    values: readonly (SqlValue | Sql)[],
    template?: TemplateStringsArray,
  ) {
    this.strings = strings;
    this.values = values;
    this.template = template;
  }
}

/**
 * A statement or a part of one: `sql\`SELECT * FROM requests WHERE id = ${id}\``. Each `${}` is a bound value or
 * another fragment (a condition list, a dialect expression), whose text and values are put in its place.
 */
export function sql(strings: TemplateStringsArray, ...values: (SqlValue | Sql)[]): Sql {
  for (const value of values) {
    if (value instanceof Sql) return new Sql(strings, values);
  }
  return new Sql(strings, values, strings);
}

/** SQL text written in this code (a column list, ASC or DESC), put in as it is. Never pass it input. */
export function raw(text: string): Sql {
  return new Sql([text], []);
}

/** The fragments one after another, with `separator` (text, not a value) between them. */
export function join(fragments: readonly Sql[], separator: string): Sql {
  return between(fragments, "", separator);
}

/** " WHERE a AND b", or nothing for no conditions. */
export function where(conditions: readonly Sql[]): Sql {
  return between(conditions, " WHERE ", " AND ");
}

const nothing = raw("");

function between(fragments: readonly Sql[], before: string, separator: string): Sql {
  if (fragments.length === 0) return nothing;
  const strings = [before];
  for (let index = 1; index < fragments.length; index += 1) strings.push(separator);
  strings.push("");
  return new Sql(strings, fragments);
}

/** A statement as a backend runs it: the dialect's text and the values its placeholders bind, in order. */
export interface RenderedSql {
  text: string;
  values: SqlValue[];
}

// Texts of flat templates, per dialect. The same call site then gives the same string object every time, so
// SQLite's cache of prepared statements finds it without hashing a new string: a fixed statement costs what a
// string literal did before the queries were written once.
const renderedTemplates = new WeakMap<SqlDialect, WeakMap<TemplateStringsArray, string>>();

/** The statement's text in the dialect, and its values. */
export function renderSql(statement: Sql, dialect: SqlDialect): RenderedSql {
  const template = statement.template;
  if (template !== undefined) {
    let texts = renderedTemplates.get(dialect);
    if (texts === undefined) {
      texts = new WeakMap();
      renderedTemplates.set(dialect, texts);
    }
    let text = texts.get(template);
    if (text === undefined) {
      text = write(statement, dialect, []);
      texts.set(template, text);
    }
    return { text, values: statement.values as SqlValue[] };
  }
  const values: SqlValue[] = [];
  return { text: write(statement, dialect, values), values };
}

function write(fragment: Sql, dialect: SqlDialect, values: SqlValue[]): string {
  let text = fragment.strings[0] ?? "";
  for (let index = 0; index < fragment.values.length; index += 1) {
    const value = fragment.values[index] as SqlValue | Sql;
    if (value instanceof Sql) {
      text += write(value, dialect, values);
    } else {
      values.push(value);
      text += dialect.placeholder(values.length);
    }
    text += fragment.strings[index + 1] ?? "";
  }
  return text;
}

/**
 * The text of one INSERT of `rowCount` rows of `columns`, ending with `conflictClause` (e.g. "ON CONFLICT (id)
 * DO NOTHING"); the caller binds the rows' values in order. For batches: see `SqlDialect.batchInsertVerb`.
 */
export function batchInsertSql(
  dialect: SqlDialect,
  table: string,
  columns: readonly string[],
  rowCount: number,
  conflictClause: string,
): string {
  const tuples: string[] = [];
  let position = 0;
  for (let row = 0; row < rowCount; row += 1) {
    const placeholders: string[] = [];
    for (let column = 0; column < columns.length; column += 1) {
      position += 1;
      placeholders.push(dialect.placeholder(position));
    }
    tuples.push(`(${placeholders.join(", ")})`);
  }
  return (
    `${dialect.batchInsertVerb} INTO ${table} (${columns.join(", ")}) ` +
    `VALUES ${tuples.join(", ")} ${conflictClause}`
  );
}
