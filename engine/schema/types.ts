import { SchemaMismatchError } from '../errors/index.js';

/**
 * The column types dgit stores, spelled as Arrow names them. A closed set on purpose:
 * each one has a fixed in-memory value, a fixed Parquet encoding and a fixed key
 * encoding, so equal rows give equal bytes. Types outside the set (decimals, nested
 * lists and structs, intervals) are converted on import (see engine/import).
 * Their Arrow types are in engine/store/parquet/arrow-types.ts, so that commands that
 * never touch chunk bytes do not load Arrow.
 */
export const COLUMN_TYPES = [
  'Bool',
  'Int8',
  'Int16',
  'Int32',
  'Int64',
  'UInt8',
  'UInt16',
  'UInt32',
  'UInt64',
  'Float32',
  'Float64',
  'Utf8',
  'Binary',
  'Date32',
  'Timestamp<s>',
  'Timestamp<ms>',
  'Timestamp<us>',
  'Timestamp<ns>',
  'Timestamp<s, UTC>',
  'Timestamp<ms, UTC>',
  'Timestamp<us, UTC>',
  'Timestamp<ns, UTC>',
] as const;

export type ColumnType = (typeof COLUMN_TYPES)[number];

export function isColumnType(name: string): name is ColumnType {
  return (COLUMN_TYPES as readonly string[]).includes(name);
}

/** How a value of a column type lives in memory. */
export type ValueKind = 'boolean' | 'number' | 'bigint' | 'string' | 'bytes';

export function valueKind(type: ColumnType): ValueKind {
  switch (type) {
    case 'Bool':
      return 'boolean';
    case 'Int64':
    case 'UInt64':
      return 'bigint';
    case 'Utf8':
      return 'string';
    case 'Binary':
      return 'bytes';
    default:
      return type.startsWith('Timestamp') ? 'bigint' : 'number';
  }
}

export function isTimestamp(type: ColumnType): boolean {
  return type.startsWith('Timestamp');
}

export function timestampUnit(type: ColumnType): 's' | 'ms' | 'us' | 'ns' {
  const match = /^Timestamp<(s|ms|us|ns)/.exec(type);
  if (!match) throw new SchemaMismatchError(`${type} is not a timestamp type`);
  return match[1] as 's' | 'ms' | 'us' | 'ns';
}

export function timestampIsUtc(type: ColumnType): boolean {
  return type.endsWith(', UTC>');
}

/** Whether values of type `from` convert to type `to` without loss. */
export function widensTo(from: ColumnType, to: ColumnType): boolean {
  if (from === to) return true;
  const order: ColumnType[] = ['Int8', 'Int16', 'Int32', 'Int64'];
  const unsigned: ColumnType[] = ['UInt8', 'UInt16', 'UInt32', 'UInt64'];
  const i = order.indexOf(from);
  const j = order.indexOf(to);
  if (i >= 0 && j >= 0) return i <= j;
  const u = unsigned.indexOf(from);
  if (u >= 0 && j >= 0) return u < j;
  if (u >= 0) return unsigned.indexOf(to) >= u;
  if (from === 'Float32' && to === 'Float64') return true;
  if ((from === 'Int8' || from === 'Int16' || from === 'Int32' || from === 'UInt8' || from === 'UInt16' || from === 'UInt32') && to === 'Float64')
    return true;
  return false;
}
