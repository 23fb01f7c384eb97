import { readFile, stat } from 'node:fs/promises';
import * as arrow from 'apache-arrow';
import * as parquet from 'parquet-wasm';
import type { Column } from '../schema/schema.js';
import { valueKind, type ColumnType } from '../schema/types.js';
import { duckdbTypeOf } from '../sql/duckdb-types.js';
import { STAGED_ROW_GROUP_SIZE } from '../sql/staged-parquet.js';
import { arrowColumnValues, rowsToArrow } from '../store/parquet/chunk-codec.js';
import { compareValues, type Value } from '../value/value.js';
import { planColumns, type PlannedColumn } from './column-plan.js';
import { readParquetFooter, type ParquetSchemaElement } from './parquet-footer.js';
import type { SourceFormat } from './source-format.js';
import { checkColumnNames } from './source-readers.js';
import type { OpenSortedSourceOptions, SortedSource } from './source.js';

/**
 * The import fast path. Starting DuckDB costs about 0.3 CPU s, most of a small
 * upsert; a small Parquet or Arrow IPC file whose columns all have plain types is
 * read here with parquet-wasm / apache-arrow instead, checked and sorted in JS.
 *
 * It must give exactly what the DuckDB path gives, so it only takes what it is sure
 * of, and gives up (returns undefined, and the DuckDB path runs) on anything else:
 * a type outside the list below, a cast it does not know to be lossless, and every
 * bad input (null or duplicate keys, bad names, a missing column). The DuckDB path
 * then reads the file and words the error, so errors are the same by construction.
 */

/** Files above this many bytes take the DuckDB path (it spills to disk; this path holds the whole file). */
export const FAST_PATH_MAX_BYTES = 8 * 1024 * 1024;

/**
 * Files with more cells (rows times columns) take the DuckDB path too: this path
 * holds every value as a JS value, and a well-compressed 8 MB file can hold many.
 */
export const FAST_PATH_MAX_CELLS = 2_000_000;

/** How many imports each path read, for tests and debugging. */
export const importReadCounts = { fast: 0, duckdb: 0, columnGroups: 0 };

/** `DGIT_IMPORT_FASTPATH=0` forces the DuckDB path (the equivalence tests compare the two). */
function fastPathEnabled(): boolean {
  return process.env['DGIT_IMPORT_FASTPATH'] !== '0';
}

/** The sorted source read without DuckDB, or undefined when the fast path does not take this file. */
export async function openFastSortedSource(file: string, format: SourceFormat, options: OpenSortedSourceOptions): Promise<SortedSource | undefined> {
  if (!fastPathEnabled() || (format !== 'parquet' && format !== 'arrow')) return undefined;
  try {
    const info = await stat(file);
    if (!info.isFile() || info.size === 0 || info.size > FAST_PATH_MAX_BYTES) return undefined;
    const bytes = await readFile(file);
    const table = format === 'parquet' ? readPlainParquet(bytes) : arrow.tableFromIPC(bytes);
    if (!table || table.numRows === 0 || table.numRows * table.numCols > FAST_PATH_MAX_CELLS) return undefined;
    return sortedInMemory(file, table, options);
  } catch {
    return undefined; // unreadable here: the DuckDB path reads it, or says why it cannot
  }
}

/** Parquet bytes as Arrow, when every column is a flat leaf with annotations DuckDB reads as parquet-wasm does. */
function readPlainParquet(bytes: Uint8Array): arrow.Table | undefined {
  const footer = readParquetFooter(bytes);
  if (!footer || footer.schema.length < 2) return undefined;
  if (!footer.schema.slice(1).every(isPlainParquetLeaf)) return undefined;
  if (footer.numRows * (footer.schema.length - 1) > FAST_PATH_MAX_CELLS) return undefined;
  return arrow.tableFromIPC(parquet.readParquet(bytes).intoIPCStream());
}

/** Physical types: BOOLEAN, INT32, INT64, FLOAT, DOUBLE, BYTE_ARRAY (not INT96, not fixed-length). */
const PLAIN_PHYSICAL = new Set([0, 1, 2, 4, 5, 6]);
/** Converted types: UTF8, DATE, TIMESTAMP_MILLIS, TIMESTAMP_MICROS, UINT_8..INT_64 (not JSON, DECIMAL, TIME, ...). */
const PLAIN_CONVERTED = new Set([0, 6, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18]);
/** LogicalType union members: STRING, DATE, TIMESTAMP, INTEGER (not JSON, UUID, DECIMAL, FLOAT16, ...). */
const PLAIN_LOGICAL = new Set([1, 6, 8, 10]);

function isPlainParquetLeaf(element: ParquetSchemaElement): boolean {
  if (element.numChildren !== undefined && element.numChildren > 0) return false;
  if (element.physicalType === undefined || !PLAIN_PHYSICAL.has(element.physicalType)) return false;
  if (element.convertedType !== undefined && !PLAIN_CONVERTED.has(element.convertedType)) return false;
  if (element.logicalType !== undefined && !PLAIN_LOGICAL.has(element.logicalType)) return false;
  return true;
}

/**
 * The dgit type DuckDB gives a column of this Arrow type, for the types where the
 * values are the same too; undefined for any other. DuckDB reads millisecond and
 * second timestamps as microseconds, and other time zones differently, so those stay
 * on the DuckDB path, as do dictionaries, large strings, decimals and nested types.
 */
function plainColumnType(type: arrow.DataType): ColumnType | undefined {
  switch (type.typeId) {
    case arrow.Type.Bool:
      return 'Bool';
    case arrow.Type.Int: {
      const int = type as arrow.Int;
      return `${int.isSigned ? 'Int' : 'UInt'}${int.bitWidth}` as ColumnType;
    }
    case arrow.Type.Float: {
      const precision = (type as arrow.Float).precision;
      return precision === arrow.Precision.SINGLE ? 'Float32' : precision === arrow.Precision.DOUBLE ? 'Float64' : undefined;
    }
    case arrow.Type.Utf8:
      return 'Utf8';
    case arrow.Type.Date:
      return (type as arrow.Date_).unit === arrow.DateUnit.DAY ? 'Date32' : undefined;
    case arrow.Type.Timestamp: {
      const { unit, timezone } = type as arrow.Timestamp;
      if (timezone === null || timezone === undefined) {
        if (unit === arrow.TimeUnit.MICROSECOND) return 'Timestamp<us>';
        if (unit === arrow.TimeUnit.NANOSECOND) return 'Timestamp<ns>';
        return undefined;
      }
      return unit === arrow.TimeUnit.MICROSECOND && (timezone === 'UTC' || timezone === '+00:00') ? 'Timestamp<us, UTC>' : undefined;
    }
    default:
      return undefined;
  }
}

/**
 * Casts to an existing table's wider type that DuckDB makes without loss or error
 * (every value of the source type fits exactly), so the values are simply carried
 * over. Any other cast may refuse a value, and stays on the DuckDB path.
 */
const LOSSLESS_WIDENINGS: Partial<Record<ColumnType, readonly ColumnType[]>> = {
  Int8: ['Int16', 'Int32', 'Int64', 'Float64'],
  Int16: ['Int32', 'Int64', 'Float64'],
  Int32: ['Int64', 'Float64'],
  UInt8: ['UInt16', 'UInt32', 'UInt64', 'Int16', 'Int32', 'Int64', 'Float64'],
  UInt16: ['UInt32', 'UInt64', 'Int32', 'Int64', 'Float64'],
  UInt32: ['UInt64', 'Int64', 'Float64'],
  Float32: ['Float64'],
};

/** Values of one planned column in file order, or undefined when this path cannot make them exactly. */
function plannedValues(table: arrow.Table, planned: PlannedColumn, sourceTypes: ReadonlyMap<string, ColumnType>): Value[] | undefined {
  if (!planned.inSource) return new Array<Value>(table.numRows).fill(null);
  const sourceType = sourceTypes.get(planned.name);
  if (!sourceType) return undefined;
  const values = arrowColumnValues(table, { id: 1, name: planned.name, type: sourceType, nullable: true });
  if (planned.type === sourceType) return values;
  if (!LOSSLESS_WIDENINGS[sourceType]?.includes(planned.type)) return undefined;
  const kind = valueKind(planned.type);
  return values.map((value) => (value === null ? null : kind === 'bigint' ? BigInt(value as number) : Number(value)));
}

function sortedInMemory(file: string, table: arrow.Table, options: OpenSortedSourceOptions): SortedSource | undefined {
  const sourceTypes = new Map<string, ColumnType>();
  for (const field of table.schema.fields) {
    const type = plainColumnType(field.type as arrow.DataType);
    // An extension type (arrow.json, say) may be written as a Parquet annotation that DuckDB reads differently.
    if (!type || field.metadata.has('ARROW:extension:name')) return undefined;
    sourceTypes.set(field.name, type);
  }
  const names = table.schema.fields.map((field) => field.name);
  checkColumnNames(file, names); // throws on a bad name: the caller falls back, and DuckDB's path words the error
  const planned = planColumns(
    file,
    names.map((name) => ({ name, duckType: duckdbTypeOf(sourceTypes.get(name)!) })),
    options,
  );
  const columnValues: Value[][] = [];
  for (const column of planned) {
    const values = plannedValues(table, column, sourceTypes);
    if (!values) return undefined;
    if (!column.nullable && values.includes(null)) return undefined;
    // Text that is not valid UTF-8 decodes to U+FFFD here but is an error in DuckDB; rare enough to always leave to DuckDB.
    if (column.type === 'Utf8' && values.some((value) => typeof value === 'string' && value.includes('\uFFFD'))) return undefined;
    columnValues.push(values);
  }
  const order = sortOrder(planned, columnValues, table.numRows, options);
  if (!order) return undefined;
  const columns: Column[] = planned.map(({ name, type, nullable }, index) => ({ id: index + 1, name, type, nullable }));
  const rowCount = table.numRows;
  importReadCounts.fast++;
  return {
    columns: planned.map(({ name, type, nullable, inSource }) => ({ name, type, nullable, inSource })),
    rowCount,
    async *batches() {
      for (let start = 0; start < rowCount; start += STAGED_ROW_GROUP_SIZE) {
        const rows = order.slice(start, start + STAGED_ROW_GROUP_SIZE).map((r) => columnValues.map((values) => values[r]!));
        yield rowsToArrow(columns, rows);
        options.onProgress?.(Math.min(start + STAGED_ROW_GROUP_SIZE, rowCount), rowCount);
      }
    },
    async close() {},
  };
}

/**
 * Row indexes in the DuckDB path's order: the sort columns ascending, nulls first,
 * file order breaking ties. Undefined when the order or the key check might differ
 * from DuckDB's: NaN or -0 in a float sort column (DuckDB may order equal-comparing
 * values either way), a duplicate key, or a key other than the sort columns.
 */
function sortOrder(planned: readonly PlannedColumn[], columnValues: readonly Value[][], rowCount: number, options: OpenSortedSourceOptions): number[] | undefined {
  const sortNames = options.sortBy === 'all' ? planned.map((column) => column.name) : options.sortBy;
  const sortIndexes = sortNames.map((name) => planned.findIndex((column) => column.name === name));
  if (sortIndexes.some((index) => index < 0)) return undefined;
  for (const index of sortIndexes)
    if (planned[index]!.type.startsWith('Float') && columnValues[index]!.some((value) => typeof value === 'number' && (Number.isNaN(value) || Object.is(value, -0))))
      return undefined;
  const compare = (a: number, b: number): number => {
    for (const index of sortIndexes) {
      const values = columnValues[index]!;
      const c = compareValues(values[a]!, values[b]!);
      if (c !== 0) return c;
    }
    return 0;
  };
  const order = Array.from({ length: rowCount }, (_, i) => i);
  order.sort((a, b) => compare(a, b) || a - b);
  if (options.uniqueKey.length > 0) {
    if (options.sortBy === 'all' || options.uniqueKey.join('\u0000') !== options.sortBy.join('\u0000')) return undefined;
    for (let i = 1; i < order.length; i++) if (compare(order[i - 1]!, order[i]!) === 0) return undefined;
  }
  return order;
}
