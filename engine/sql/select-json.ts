import { isTimestamp, type ColumnType } from '../schema/types.js';
import { toJsonValue } from '../value/value.js';
import { columnTypeFromDuckdb, exactValueExpression } from './duckdb-types.js';
import type { DuckDbSession } from './duckdb-session.js';

/** A SELECT's result as `dgit sql --json` and the MCP server's `query` give it. */
export interface SelectJson {
  /** Each column's name (made distinct: `SELECT 1 AS a, 2 AS a` gives a and a:2) and DuckDB type. */
  columns: Array<{ name: string; type: string }>;
  /** Rows keyed by those names, values by dgit's JSON rules. */
  rows: Array<Record<string, unknown>>;
  /** Whether rows past `maxRows` were left out. */
  truncated: boolean;
}

/**
 * How one result column is read and spelled. DuckDB's JS values lose what dgit
 * must print exactly: a DATE or TIMESTAMP becomes a JS Date (a naive timestamp
 * then reads as UTC, microseconds are cut to milliseconds, infinity is NULL), a
 * DECIMAL a double (digits past the 16th change), a TIME a count of microseconds.
 * So those are read as DuckDB's exact numbers or text and spelled here.
 */
type Reading = { kind: 'temporal'; type: ColumnType } | { kind: 'decimal' } | { kind: 'text' } | { kind: 'plain' };

function readingOf(duckType: string): Reading {
  if (/^DECIMAL\b/i.test(duckType)) return { kind: 'decimal' };
  if (/^TIME(_NS)?\b|^TIME WITH TIME ZONE$/i.test(duckType)) return { kind: 'text' };
  let type: ColumnType | undefined;
  try {
    type = columnTypeFromDuckdb(duckType).type;
  } catch {
    type = undefined;
  }
  if (type !== undefined && (type === 'Date32' || isTimestamp(type))) return { kind: 'temporal', type };
  return { kind: 'plain' };
}

/**
 * Run a SELECT (or WITH, FROM, VALUES) and give its rows by dgit's JSON value rules,
 * by column position, so two columns of one name (a self-join's `a.x, b.x`) keep
 * their own values. `fetch` runs the SQL it is given (the statement wrapped once)
 * and returns rows as arrays, in order; `describe` gives the statement's columns.
 * When DuckDB cannot describe the statement, the caller's plain path is used
 * (undefined is returned).
 */
export async function selectJson(
  session: DuckDbSession,
  statement: string,
  fetch: (sql: string) => Promise<unknown[][]>,
  maxRows = Number.POSITIVE_INFINITY,
): Promise<SelectJson | undefined> {
  const body = statement.replace(/[\s;]+$/, '');
  const described = await session.describe(`(${body}\n)`).catch(() => undefined);
  if (described === undefined || described.length === 0) return undefined;
  const readings = described.map((column) => readingOf(column.type));
  const select: string[] = [];
  described.forEach((_, index) => {
    const c = `c${index}`;
    const reading = readings[index]!;
    if (reading.kind === 'temporal') select.push(exactValueExpression(c, reading.type));
    else if (reading.kind === 'decimal' || reading.kind === 'text') select.push(`CAST(${c} AS VARCHAR)`);
    else select.push(c);
  });
  const aliases = described.map((_, index) => `c${index}`).join(', ');
  const raw = await fetch(`SELECT ${select.map((expression, index) => `${expression} AS o${index}`).join(', ')} FROM (${body}\n) AS dgit_result(${aliases})`);
  const names = distinctNames(described.map((column) => column.name));
  const rows = raw.slice(0, maxRows).map((values) => {
    const out: Record<string, unknown> = {};
    readings.forEach((reading, index) => {
      const value = values[index];
      if (reading.kind === 'temporal')
        out[names[index]!] = value === null || value === undefined ? null : toJsonValue(reading.type, reading.type === 'Date32' ? Number(value) : BigInt(value as number | bigint));
      else if (reading.kind === 'decimal') out[names[index]!] = decimalValue(value);
      else if (reading.kind === 'text') out[names[index]!] = value === null || value === undefined ? null : String(value);
      else out[names[index]!] = plainJsonValue(value);
    });
    return out;
  });
  return { columns: names.map((name, index) => ({ name, type: described[index]!.type })), rows, truncated: raw.length > maxRows };
}

/** A DECIMAL's exact text as a JSON number when a double holds it exactly (1.5, 0.1), else as the text itself. */
function decimalValue(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  const text = String(value);
  const canonical = text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
  const number = Number(canonical);
  const normal = canonical.replace(/^(-?)0+(?=\d)/, '$1');
  return Number.isFinite(number) && String(number) === (normal === '-0' ? '0' : normal) ? number : canonical;
}

/** Column names made distinct (`SELECT 1 AS a, 2 AS a` gives a and a:2), so rows can be objects. */
export function distinctNames(names: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((name) => {
    const n = (seen.get(name) ?? 0) + 1;
    seen.set(name, n);
    return n === 1 ? name : `${name}:${n}`;
  });
}

/** DuckDB's JS values (other than those `selectJson` reads exactly) as JSON values, by the rules of `dgit sql --json`. */
export function plainJsonValue(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return toJsonValue('Int64', value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? String(value) : value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (Array.isArray(value)) return value.map(plainJsonValue);
  if (typeof value === 'object') {
    if (typeof (value as { toString?: unknown }).toString === 'function' && (value as object).constructor !== Object) return String(value);
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) out[key] = plainJsonValue(item);
    return out;
  }
  return value;
}
