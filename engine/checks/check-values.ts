import { keyColumnNames, type TableSchema } from '../schema/schema.js';
import { valueKind, type ColumnType } from '../schema/types.js';
import { exactValueExpression } from '../sql/duckdb-types.js';
import { quoteIdentifier } from '../sql/sql-text.js';
import { toJsonValue, type Value } from '../value/value.js';

/**
 * Values of failing rows as JSON, the form CLI.md fixes (the same as `dgit diff
 * --json`). DuckDB hands timestamps to JavaScript as Date, which drops the
 * microseconds, so they are selected as epoch integers of their own unit and
 * dates as day numbers; `toJsonValue` then formats every type exactly as the
 * rest of dgit does.
 */

/** SQL of a column's value in the form `jsonValue` turns into JSON (infinite dates and timestamps included). */
export function jsonReadyExpression(sql: string, type: ColumnType): string {
  return exactValueExpression(sql, type);
}

/** The JSON form of a value DuckDB returned for `jsonReadyExpression(…, type)`. */
export function jsonValue(type: ColumnType, raw: unknown): unknown {
  if (raw === null || raw === undefined) return null;
  let value: Value;
  switch (valueKind(type)) {
    case 'bigint':
      value = typeof raw === 'bigint' ? raw : BigInt(Math.trunc(Number(raw)));
      break;
    case 'number':
      value = typeof raw === 'bigint' ? Number(raw) : Number(raw);
      break;
    case 'bytes':
      value = raw instanceof Uint8Array ? raw : new TextEncoder().encode(String(raw));
      break;
    case 'boolean':
      value = Boolean(raw);
      break;
    case 'string':
      value = String(raw);
      break;
  }
  return toJsonValue(type, value);
}

/** A column selected for a sample: its name, its type and a unique SQL alias. */
export interface SampleColumn {
  name: string;
  type: ColumnType;
  alias: string;
  /** SQL of the value (before jsonReadyExpression), e.g. a qualified column. */
  sql: string;
}

/** The columns of a row's key: the primary key, or every column of a keyless table. */
export function keyColumns(schema: TableSchema): Array<{ name: string; type: ColumnType }> {
  const names = keyColumnNames(schema);
  const columns = names.length > 0 ? names.map((name) => schema.columns.find((c) => c.name === name)!) : schema.columns;
  return columns.map((c) => ({ name: c.name, type: c.type }));
}

/** Sample columns of a table's key and of some checked columns, aliased `k0…` and `v0…`, read from `qualifier` (a table alias) when given. */
export function sampleColumns(schema: TableSchema, valueColumns: string[], qualifier?: string): { key: SampleColumn[]; value: SampleColumn[] } {
  const ref = (name: string) => (qualifier ? `${qualifier}.${quoteIdentifier(name)}` : quoteIdentifier(name));
  const typeOf = (name: string) => schema.columns.find((c) => c.name === name)!.type;
  return {
    key: keyColumns(schema).map((c, i) => ({ name: c.name, type: c.type, alias: `k${i}`, sql: ref(c.name) })),
    value: valueColumns.map((name, i) => ({ name, type: typeOf(name), alias: `v${i}`, sql: ref(name) })),
  };
}

/** The SELECT list of sample columns. */
export function sampleSelectList(columns: SampleColumn[]): string {
  return columns.map((c) => `${jsonReadyExpression(c.sql, c.type)} AS ${quoteIdentifier(c.alias)}`).join(', ');
}

/** An object of JSON values by column name, from a DuckDB row selected with `sampleSelectList`. */
export function sampleObject(columns: SampleColumn[], row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of columns) out[c.name] = jsonValue(c.type, row[c.alias]);
  return out;
}

/** The value of a sample: one column's value as it is, several as an object. */
export function sampleValue(columns: SampleColumn[], row: Record<string, unknown>): unknown {
  if (columns.length === 1) return jsonValue(columns[0]!.type, row[columns[0]!.alias]);
  return sampleObject(columns, row);
}

/** A count DuckDB returned (BIGINT arrives as bigint) as a number. */
export function countOf(raw: unknown): number {
  if (raw === null || raw === undefined) return 0;
  return typeof raw === 'bigint' ? Number(raw) : Number(raw);
}
