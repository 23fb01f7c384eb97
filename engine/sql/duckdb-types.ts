import { isTimestamp, timestampIsUtc, timestampUnit, type ColumnType } from '../schema/types.js';

/**
 * The DuckDB type that holds a column type. DuckDB has one time-zone-aware
 * timestamp, TIMESTAMPTZ, with microsecond precision, so `Timestamp<ns, UTC>` loses
 * its nanoseconds inside DuckDB (dgit's own files keep them).
 */
export function duckdbTypeOf(type: ColumnType): string {
  switch (type) {
    case 'Bool':
      return 'BOOLEAN';
    case 'Int8':
      return 'TINYINT';
    case 'Int16':
      return 'SMALLINT';
    case 'Int32':
      return 'INTEGER';
    case 'Int64':
      return 'BIGINT';
    case 'UInt8':
      return 'UTINYINT';
    case 'UInt16':
      return 'USMALLINT';
    case 'UInt32':
      return 'UINTEGER';
    case 'UInt64':
      return 'UBIGINT';
    case 'Float32':
      return 'FLOAT';
    case 'Float64':
      return 'DOUBLE';
    case 'Utf8':
      return 'VARCHAR';
    case 'Binary':
      return 'BLOB';
    case 'Date32':
      return 'DATE';
    default: {
      if (timestampIsUtc(type)) return 'TIMESTAMPTZ';
      return { s: 'TIMESTAMP_S', ms: 'TIMESTAMP_MS', us: 'TIMESTAMP', ns: 'TIMESTAMP_NS' }[timestampUnit(type)];
    }
  }
}

/** How a DuckDB column becomes a dgit column: its type, and the SQL that converts a value. */
export interface DuckdbColumnMapping {
  type: ColumnType;
  /** SQL of the converted value, given the SQL of the DuckDB value. */
  convert(sql: string): string;
}

const same = (sql: string) => sql;
const asText = (sql: string) => `CAST(${sql} AS VARCHAR)`;

const DIRECT: Record<string, ColumnType> = {
  BOOLEAN: 'Bool',
  TINYINT: 'Int8',
  SMALLINT: 'Int16',
  INTEGER: 'Int32',
  BIGINT: 'Int64',
  UTINYINT: 'UInt8',
  USMALLINT: 'UInt16',
  UINTEGER: 'UInt32',
  UBIGINT: 'UInt64',
  FLOAT: 'Float32',
  DOUBLE: 'Float64',
  VARCHAR: 'Utf8',
  BLOB: 'Binary',
  DATE: 'Date32',
  TIMESTAMP: 'Timestamp<us>',
  TIMESTAMP_S: 'Timestamp<s>',
  TIMESTAMP_MS: 'Timestamp<ms>',
  TIMESTAMP_NS: 'Timestamp<ns>',
  'TIMESTAMP WITH TIME ZONE': 'Timestamp<us, UTC>',
  // Aliases: DESCRIBE prints the names above, but SQL written by hand may use these.
  TIMESTAMPTZ: 'Timestamp<us, UTC>',
  TIMESTAMP_US: 'Timestamp<us>',
  DATETIME: 'Timestamp<us>',
  INT: 'Int32',
  REAL: 'Float32',
  TEXT: 'Utf8',
  STRING: 'Utf8',
  BYTEA: 'Binary',
};

/**
 * The dgit column a DuckDB column imports as (the type name as DESCRIBE prints it).
 * Types outside dgit's closed set are converted:
 * - DECIMAL becomes Float64. A DECIMAL(38,10) holds digits a double cannot: import
 *   and `CREATE TABLE ... AS` refuse a value the double does not hold exactly
 *   (`decimalLostInDouble`); import keeps a decimal's own digits in an existing Utf8 column.
 * - HUGEINT, UUID, TIME, INTERVAL, ENUM, BIT and any type DuckDB adds later become
 *   Utf8 holding DuckDB's text form.
 * - Nested values (STRUCT, LIST, ARRAY, MAP, UNION) become Utf8 holding JSON text.
 * - A JSON column (JSON values of mixed kinds) becomes Utf8: strings as themselves,
 *   anything else as JSON text.
 */
export function columnTypeFromDuckdb(duckType: string): DuckdbColumnMapping {
  const name = duckType.trim().toUpperCase();
  const direct = DIRECT[name];
  if (direct) return { type: direct, convert: same };
  if (name.startsWith('DECIMAL') || name.startsWith('NUMERIC')) return { type: 'Float64', convert: (sql) => `CAST(${sql} AS DOUBLE)` };
  if (name === 'JSON')
    return {
      type: 'Utf8',
      convert: (sql) => `CASE WHEN json_type(${sql}) = 'VARCHAR' THEN ${sql} ->> '$' ELSE CAST(${sql} AS VARCHAR) END`,
    };
  if (/\[\d*\]$/.test(name) || /^(STRUCT|MAP|UNION)\s*\(/.test(name)) return { type: 'Utf8', convert: (sql) => `CAST(to_json(${sql}) AS VARCHAR)` };
  return { type: 'Utf8', convert: asText };
}

/**
 * Integer types wider than Int64 that DuckDB infers: HUGEINT (JSON numbers, even
 * small ones such as -59), UHUGEINT, and decimals without a fraction. Import and
 * `CREATE TABLE` make them Int64 when every value fits, and refuse one that does not.
 */
export function isWideInteger(duckType: string): boolean {
  const name = duckType.trim().toUpperCase();
  return name === 'HUGEINT' || name === 'UHUGEINT' || /^(DECIMAL|NUMERIC)\(\s*\d+\s*,\s*0\s*\)$/.test(name);
}

/** Whether a DuckDB type is a decimal with a fraction, DECIMAL(p,s) with s > 0 (DECIMAL(p,0) imports as an integer). */
export function isFractionalDecimal(duckType: string): boolean {
  return /^(DECIMAL|NUMERIC)\(\s*\d+\s*,\s*0*[1-9]\d*\s*\)$/.test(duckType.trim().toUpperCase());
}

/**
 * SQL true where the decimal `sql` (of DuckDB type `duckType`) is not exactly the
 * double it becomes: the double's shortest text reads back as another decimal.
 * 12.34, 0.1, -0.001 and any value of up to 15 significant digits are exact;
 * 0.1234567890123456789 is not. Null for a null value.
 */
export function decimalLostInDouble(sql: string, duckType: string): string {
  return `(TRY_CAST(CAST(CAST(${sql} AS DOUBLE) AS VARCHAR) AS ${duckType.trim().toUpperCase()}) IS DISTINCT FROM ${sql})`;
}

/** What to tell the user when a decimal does not fit a double. */
export const DECIMAL_AS_DOUBLE_HINT =
  'a decimal is stored as a double only when the double holds it exactly (about 15 significant digits); keep longer decimals in a VARCHAR column (create the table first: dgit sql "CREATE TABLE ...")';

/**
 * SQL whose Parquet form, as read back into Arrow by parquet-wasm, has exactly the
 * memory layout of `toArrowType(type)`, so the Arrow data can be retyped in place
 * (see `conformToColumns`). Only timestamps need help: DuckDB writes TIMESTAMP_S as
 * microseconds and TIMESTAMPTZ without its unit, so they travel as epoch integers
 * in the column's own unit.
 */
export function arrowLayoutExpression(sql: string, type: ColumnType): string {
  if (!isTimestamp(type)) return sql;
  // DuckDB's epoch functions give NULL for infinity, which is stored as the int64 extremes (see formatTimestamp).
  return `CASE WHEN isinf(${sql}) THEN CASE WHEN CAST(${sql} AS VARCHAR) LIKE '-%' THEN -9223372036854775807 ELSE 9223372036854775807 END ELSE ${epochSql(sql, timestampUnit(type))} END`;
}

/**
 * SQL of a value as the number dgit stores for its type (`toJsonValue` spells it): a
 * timestamp as its epoch count in the column's unit (see arrowLayoutExpression), a
 * date as its day number, infinity as the extremes DuckDB stores it as (which
 * DuckDB's date arithmetic and epoch functions do not give); other types as they are.
 */
export function exactValueExpression(sql: string, type: ColumnType): string {
  if (type === 'Date32') return `CASE WHEN isinf(${sql}) THEN CASE WHEN ${sql} > DATE '1970-01-01' THEN 2147483647 ELSE -2147483647 END ELSE CAST(${sql} - DATE '1970-01-01' AS INTEGER) END`;
  return arrowLayoutExpression(sql, type);
}

function epochSql(sql: string, unit: 's' | 'ms' | 'us' | 'ns'): string {
  switch (unit) {
    case 's':
      return `(epoch_ms(date_trunc('second', ${sql})) // 1000)`;
    case 'ms':
      return `epoch_ms(date_trunc('millisecond', ${sql}))`;
    case 'us':
      return `epoch_us(${sql})`;
    case 'ns':
      return `epoch_ns(${sql})`;
  }
}
