import * as arrow from 'apache-arrow';
import { SchemaMismatchError, UnsupportedTypeError } from '../errors/index.js';

/**
 * The column types dgit stores, spelled as Arrow names them. A closed set on purpose:
 * each one has a fixed in-memory value, a fixed Parquet encoding and a fixed key
 * encoding, so equal rows give equal bytes. Types outside the set (decimals, nested
 * lists and structs, intervals) are converted on import (see formats/import).
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

const ARROW_TIME_UNIT = {
  s: arrow.TimeUnit.SECOND,
  ms: arrow.TimeUnit.MILLISECOND,
  us: arrow.TimeUnit.MICROSECOND,
  ns: arrow.TimeUnit.NANOSECOND,
} as const;

/** The Arrow type of a column type. */
export function toArrowType(type: ColumnType): arrow.DataType {
  switch (type) {
    case 'Bool':
      return new arrow.Bool();
    case 'Int8':
      return new arrow.Int8();
    case 'Int16':
      return new arrow.Int16();
    case 'Int32':
      return new arrow.Int32();
    case 'Int64':
      return new arrow.Int64();
    case 'UInt8':
      return new arrow.Uint8();
    case 'UInt16':
      return new arrow.Uint16();
    case 'UInt32':
      return new arrow.Uint32();
    case 'UInt64':
      return new arrow.Uint64();
    case 'Float32':
      return new arrow.Float32();
    case 'Float64':
      return new arrow.Float64();
    case 'Utf8':
      return new arrow.Utf8();
    case 'Binary':
      return new arrow.Binary();
    case 'Date32':
      return new arrow.DateDay();
    default: {
      const unit = ARROW_TIME_UNIT[timestampUnit(type)];
      return new arrow.Timestamp(unit, timestampIsUtc(type) ? 'UTC' : null);
    }
  }
}

/** The column type of an Arrow type, or an error naming the column when dgit cannot store it as is. */
export function fromArrowType(type: arrow.DataType, column: string): ColumnType {
  if (arrow.DataType.isDictionary(type)) return fromArrowType(type.dictionary, column);
  if (arrow.DataType.isBool(type)) return 'Bool';
  if (arrow.DataType.isInt(type)) {
    const name = `${type.isSigned ? 'Int' : 'UInt'}${type.bitWidth}`;
    if (isColumnType(name)) return name;
  }
  if (arrow.DataType.isFloat(type)) {
    if (type.precision === arrow.Precision.SINGLE) return 'Float32';
    if (type.precision === arrow.Precision.DOUBLE) return 'Float64';
  }
  if (arrow.DataType.isUtf8(type) || arrow.DataType.isLargeUtf8(type)) return 'Utf8';
  if (arrow.DataType.isBinary(type) || arrow.DataType.isLargeBinary(type)) return 'Binary';
  if (arrow.DataType.isDate(type)) {
    if (type.unit === arrow.DateUnit.DAY) return 'Date32';
  }
  if (arrow.DataType.isTimestamp(type)) {
    const unit = (Object.keys(ARROW_TIME_UNIT) as Array<keyof typeof ARROW_TIME_UNIT>).find(
      (key) => ARROW_TIME_UNIT[key] === type.unit,
    );
    if (unit) {
      const tz = type.timezone;
      if (tz === null || tz === undefined || tz === '') return `Timestamp<${unit}>` as ColumnType;
      if (tz === 'UTC' || tz === 'Etc/UTC' || tz === '+00:00') return `Timestamp<${unit}, UTC>` as ColumnType;
    }
  }
  throw new UnsupportedTypeError(`column ${JSON.stringify(column)} has type ${String(type)}, which dgit does not store`, column);
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
