import type { ColumnType } from '../schema/types.js';
import { rowToJson, toJsonValue, type Row, type Value } from '../value/value.js';

/**
 * Rows as CSV and NDJSON text. Cells use the JSON value rules of `toJsonValue`
 * (integers past 2^53 in full, dates and timestamps as ISO 8601, bytes as base64),
 * so a CSV and an NDJSON export of one table spell every value the same way.
 */

type NamedColumn = { name: string; type: ColumnType };

/** One CSV field, quoted as RFC 4180 says when it holds a comma, quote, CR or LF. The empty string is quoted (""), null is left empty. */
export function csvField(text: string | null): string {
  if (text === null) return '';
  if (text === '' || /[",\r\n]/.test(text)) return '"' + text.replaceAll('"', '""') + '"';
  return text;
}

/** The header line of a CSV export. Lines end in LF. */
export function csvHeader(columns: readonly NamedColumn[]): string {
  return columns.map((column) => csvField(column.name)).join(',') + '\n';
}

/** One row as a CSV line. */
export function csvLine(columns: readonly NamedColumn[], row: Row): string {
  let line = '';
  for (let i = 0; i < columns.length; i++) {
    if (i > 0) line += ',';
    line += csvField(cellText(columns[i]!.type, row[i] ?? null));
  }
  return line + '\n';
}

/** One row as an NDJSON line: a JSON object keyed by column name. */
export function ndjsonLine(columns: readonly NamedColumn[], row: Row): string {
  return JSON.stringify(rowToJson(columns, row)) + '\n';
}

function cellText(type: ColumnType, value: Value): string | null {
  const json = toJsonValue(type, value);
  if (json === null) return null;
  return typeof json === 'string' ? json : String(json);
}
