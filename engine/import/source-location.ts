/**
 * A place in a source file, for error messages: a physical line for line-based
 * text formats (CSV, TSV, NDJSON), else the row's number in file order.
 */
export type SourceLocation = { kind: 'line'; line: number } | { kind: 'row'; row: number };

/** `data.csv:12` or `data.parquet row 12`: the `where` of an error, and the start of its message. */
export function describeLocation(file: string, location: SourceLocation | undefined): string {
  if (!location) return file;
  return location.kind === 'line' ? `${file}:${location.line}` : `${file} row ${location.row}`;
}

/** `line 12` or `row 12`, for a second place named inside a message. */
export function describeLocationShort(location: SourceLocation | undefined): string {
  if (!location) return 'an earlier row';
  return location.kind === 'line' ? `line ${location.line}` : `row ${location.row}`;
}
