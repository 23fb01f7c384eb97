import { duckdbTypeOf } from '../sql/duckdb-types.js';
import { quoteString } from '../sql/sql-text.js';
import { isTimestamp, type ColumnType } from '../schema/types.js';
import type { ConfigLiteral } from './configured-check.js';

/** How a value written in dgit.yml is compared with a column: as SQL, or why it cannot be. */
export type LiteralSql =
  | { sql: string; /** Text DuckDB must be able to cast to the column's type (checked by validation). */ castText?: string }
  | { problem: string };

const NUMERIC = /^(U?Int(8|16|32|64)|Float(32|64))$/;

export function isNumericType(type: ColumnType): boolean {
  return NUMERIC.test(type);
}

export function isTemporalType(type: ColumnType): boolean {
  return type === 'Date32' || isTimestamp(type);
}

/**
 * The SQL of a dgit.yml value for a column of `type`. Numbers stay numbers for
 * numeric columns (so `min: 0.5` works on an integer column); text is cast to the
 * column's type (dates, timestamps, big integers written as strings); a number
 * or boolean where the column holds text is taken as its text only where that
 * is what people mean (`accepted_values: [1, 2]` of a code column).
 */
export function literalSql(value: ConfigLiteral, type: ColumnType, options: { numbersAsText: boolean }): LiteralSql {
  const duckType = duckdbTypeOf(type);
  if (typeof value === 'string') {
    if (type === 'Utf8') return { sql: quoteString(value) };
    return { sql: `CAST(${quoteString(value)} AS ${duckType})`, castText: value };
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return { problem: `${value} is not a finite number` };
    if (isNumericType(type)) return { sql: value < 0 ? `(${String(value)})` : String(value) };
    if (type === 'Utf8' && options.numbersAsText) return { sql: quoteString(String(value)) };
    return { problem: `${value} is a number but column type ${type} needs ${describeExpected(type)}` };
  }
  if (type === 'Bool') return { sql: value ? 'TRUE' : 'FALSE' };
  if (type === 'Utf8' && options.numbersAsText) return { sql: quoteString(String(value)) };
  return { problem: `${value} is a boolean but column type ${type} needs ${describeExpected(type)}` };
}

function describeExpected(type: ColumnType): string {
  if (type === 'Date32') return 'a date as text like "2024-01-31"';
  if (isTimestamp(type)) return 'a timestamp as text like "2024-01-31T12:00:00"';
  if (type === 'Utf8') return 'text';
  if (type === 'Bool') return 'true or false';
  if (isNumericType(type)) return 'a number';
  return 'text';
}
