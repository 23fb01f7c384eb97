import * as arrow from 'apache-arrow';
import { UnsupportedTypeError } from '../../errors/index.js';
import { isColumnType, timestampIsUtc, timestampUnit, type ColumnType } from '../../schema/types.js';

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

