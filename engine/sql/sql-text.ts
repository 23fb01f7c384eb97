/**
 * SQL text for DuckDB. Column names come from user files and may hold spaces,
 * quotes or any unicode, so every identifier and literal goes through here.
 */

/** A DuckDB identifier: double-quoted, inner quotes doubled. */
export function quoteIdentifier(name: string): string {
  return '"' + name.replaceAll('"', '""') + '"';
}

/** A DuckDB string literal: single-quoted, inner quotes doubled. */
export function quoteString(text: string): string {
  return "'" + text.replaceAll("'", "''") + "'";
}

/** A DuckDB list literal of strings, e.g. for `read_parquet([...])`. */
export function quoteStringList(texts: readonly string[]): string {
  return '[' + texts.map(quoteString).join(', ') + ']';
}

/**
 * The useful part of a DuckDB error message: DuckDB appends option dumps, "Possible
 * fixes" advice about its own flags and a caret under the query, none of which
 * helps a dgit user. Keeps the first sentences, on one line.
 */
export function trimDuckdbMessage(message: string, maxLength = 400): string {
  let text = message;
  for (const marker of ['Possible fixes', 'Possible Solution', '\n\nLINE ', '\nLINE ', '\n  file = ', '\nTry increasing', '\nCandidate bindings']) {
    const at = text.indexOf(marker);
    if (at > 0) text = text.slice(0, at);
  }
  text = text.replace(/^[A-Z][A-Za-z ]* Error: /, '').replace(/\s+/g, ' ').trim();
  return text.length > maxLength ? text.slice(0, maxLength - 1) + '…' : text;
}
