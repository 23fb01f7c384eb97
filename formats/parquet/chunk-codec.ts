import * as arrow from 'apache-arrow';
import * as parquet from 'parquet-wasm';
import { CorruptError } from '../../engine/errors/index.js';
import type { Column } from '../../engine/schema/schema.js';
import { valueKind, type ColumnType } from '../../engine/schema/types.js';
import { toArrowType } from './arrow-types.js';
import type { Row, Value } from '../../engine/value/value.js';

/**
 * The one place chunk bytes are made and read. Encoding is deterministic: fixed
 * writer settings, a fixed `created_by`, no timestamps, one row group, and an Arrow
 * schema rebuilt from the table schema (never taken from the input), so equal rows
 * give equal bytes on every machine. Changing anything here is a format-version bump.
 */
export const CHUNK_CREATED_BY = 'dgit chunk format 1';

/** Arrow schema of a chunk holding `columns`. */
export function chunkArrowSchema(columns: readonly Column[]): arrow.Schema {
  return new arrow.Schema(columns.map((c) => new arrow.Field(c.name, toArrowType(c.type), c.nullable)));
}

/**
 * Writer settings, built fresh for every chunk: parquet-wasm consumes the
 * WriterProperties it is given, and a reused one silently falls back to defaults.
 * Integers, dates and timestamps use DELTA_BINARY_PACKED without a dictionary
 * (15.4 MB vs 23.6 MB on the 3M flights rows); floats BYTE_STREAM_SPLIT; strings
 * keep the dictionary, which wins on low-cardinality columns. Statistics are off:
 * the manifest holds each chunk's key range, and readers do not need min/max to be correct.
 */
function writerProperties(columns: readonly Column[]): parquet.WriterProperties {
  let builder = new parquet.WriterPropertiesBuilder()
    .setCompression(parquet.Compression.ZSTD)
    .setCreatedBy(CHUNK_CREATED_BY)
    .setStatisticsEnabled(parquet.EnabledStatistics.None)
    .setWriterVersion(parquet.WriterVersion.V1)
    .setMaxRowGroupSize(1 << 30);
  for (const column of columns) {
    const kind = valueKind(column.type);
    if (kind === 'bigint' || (kind === 'number' && !column.type.startsWith('Float'))) {
      builder = builder
        .setColumnDictionaryEnabled(column.name, false)
        .setColumnEncoding(column.name, parquet.Encoding.DELTA_BINARY_PACKED);
    } else if (column.type.startsWith('Float')) {
      builder = builder
        .setColumnDictionaryEnabled(column.name, false)
        .setColumnEncoding(column.name, parquet.Encoding.BYTE_STREAM_SPLIT);
    }
  }
  return builder.build();
}

/** Parquet bytes of one chunk. `table` must already have the chunk schema (see `conformToColumns`). */
export function encodeChunk(table: arrow.Table, columns: readonly Column[]): Uint8Array {
  const ipc = arrow.tableToIPC(secondsAsMilliseconds(table, columns), 'stream');
  const wasmTable = parquet.Table.fromIPCStream(ipc);
  return parquet.writeParquet(wasmTable, writerProperties(columns));
}

/**
 * Parquet has no timestamp unit of seconds: a Timestamp<s> column written as is
 * becomes a bare INT64 that DuckDB reads as a number. So chunks store such columns
 * in milliseconds (exact, and read as timestamps by any engine); `readData` turns
 * them back into seconds.
 */
function secondsAsMilliseconds(table: arrow.Table, columns: readonly Column[]): arrow.Table {
  if (!columns.some((c) => c.type.startsWith('Timestamp<s'))) return table;
  const fields: arrow.Field[] = [];
  const children = columns.map((column) => {
    const data = table.getChild(column.name)!.data[0]!;
    if (!column.type.startsWith('Timestamp<s')) {
      fields.push(table.schema.fields.find((f) => f.name === column.name)!);
      return data;
    }
    const type = new arrow.Timestamp(arrow.TimeUnit.MILLISECOND, column.type.endsWith(', UTC>') ? 'UTC' : null);
    const values = readValues(data, column.type).map((v) => (v === null ? null : (v as bigint) * 1000n));
    fields.push(new arrow.Field(column.name, type, column.nullable));
    const built = buildData('Timestamp<ms>', values);
    return built.clone(type);
  });
  const schema = new arrow.Schema(fields);
  const struct = arrow.makeData({ type: new arrow.Struct(schema.fields), length: table.numRows, nullCount: 0, children });
  return new arrow.Table(schema, [new arrow.RecordBatch(schema, struct)]);
}

function readValues(data: arrow.Data, type: ColumnType): Value[] {
  const out: Value[] = [];
  readData(data, type, out);
  return out;
}

/** The Arrow table in a chunk's bytes. */
export function decodeChunk(bytes: Uint8Array, where: string): arrow.Table {
  try {
    const table = parquet.readParquet(bytes, { batchSize: 1 << 20 });
    return arrow.tableFromIPC(table.intoIPCStream());
  } catch (error) {
    throw new CorruptError(`cannot read Parquet chunk: ${String(error)}`, where, error);
  }
}

/**
 * The same columns with the exact types and fields of `columns`, sharing the
 * buffers. Bulk imports read Arrow from DuckDB's Parquet; this makes their chunks
 * byte-identical to chunks built from rows.
 */
export function conformToColumns(table: arrow.Table, columns: readonly Column[]): arrow.Table {
  const schema = chunkArrowSchema(columns);
  const children = columns.map((column) => {
    const vector = table.getChild(column.name);
    if (!vector) throw new CorruptError(`column ${JSON.stringify(column.name)} is missing`, column.name);
    const type = toArrowType(column.type);
    const parts = vector.data.map((d) => retype(d, type));
    return parts.length === 1 ? parts[0]! : concatData(parts, column.type);
  });
  const data = arrow.makeData({
    type: new arrow.Struct(schema.fields),
    length: table.numRows,
    nullCount: 0,
    children,
  });
  return new arrow.Table(schema, [new arrow.RecordBatch(schema, data)]);
}

function retype(data: arrow.Data, type: arrow.DataType): arrow.Data {
  return data.clone(type, data.offset, data.length, data.nullCount, data.buffers);
}

function concatData(parts: arrow.Data[], type: ColumnType): arrow.Data {
  const rows: Value[] = [];
  for (const part of parts) readData(part, type, rows);
  return buildData(type, rows);
}

// ---- rows <-> Arrow ---------------------------------------------------------------------

/** An Arrow table of `rows` (values in `columns` order) with the chunk schema of `columns`. */
export function rowsToArrow(columns: readonly Column[], rows: readonly Row[]): arrow.Table {
  const schema = chunkArrowSchema(columns);
  const children = columns.map((column, index) => buildData(column.type, rows.map((row) => row[index] ?? null)));
  const data = arrow.makeData({ type: new arrow.Struct(schema.fields), length: rows.length, nullCount: 0, children });
  return new arrow.Table(schema, [new arrow.RecordBatch(schema, data)]);
}

/**
 * Rows of an Arrow table in `columns` order. A column the table lacks (a chunk
 * written before the column was added) reads as nulls.
 */
export function arrowToRows(table: arrow.Table, columns: readonly Column[]): Row[] {
  const rows: Row[] = new Array(table.numRows);
  for (let r = 0; r < table.numRows; r++) rows[r] = new Array(columns.length).fill(null);
  columns.forEach((column, c) => {
    const vector = table.getChild(column.name);
    if (!vector) return;
    const values: Value[] = [];
    for (const part of vector.data) readData(part, column.type, values);
    for (let r = 0; r < values.length; r++) rows[r]![c] = values[r]!;
  });
  return rows;
}

/** Values of one column of an Arrow table, in row order. */
export function arrowColumnValues(table: arrow.Table, column: Column): Value[] {
  const vector = table.getChild(column.name);
  if (!vector) return new Array(table.numRows).fill(null);
  const values: Value[] = [];
  for (const part of vector.data) readData(part, column.type, values);
  return values;
}

function readData(data: arrow.Data, type: ColumnType, out: Value[]): void {
  const n = data.length;
  const hasNulls = data.nullCount !== 0 && data.nullBitmap !== undefined && data.nullBitmap.length > 0;
  const valid = (i: number) => !hasNulls || data.getValid(i);
  if (arrow.DataType.isDictionary(data.type)) {
    const vector = arrow.makeVector(data);
    for (let i = 0; i < n; i++) out.push(valid(i) ? normalise(type, vector.get(i)) : null);
    return;
  }
  const kind = valueKind(type);
  if (kind === 'string' || kind === 'bytes') {
    const offsets = data.valueOffsets as Int32Array;
    const bytes = data.values as Uint8Array;
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < n; i++) {
      if (!valid(i)) out.push(null);
      else if (kind === 'string') out.push(buffer.toString('utf8', offsets[i]!, offsets[i + 1]!));
      else out.push(bytes.slice(offsets[i]!, offsets[i + 1]!));
    }
    return;
  }
  if (kind === 'boolean') {
    const bits = data.values as Uint8Array;
    for (let i = 0; i < n; i++) {
      const bit = data.offset + i;
      out.push(valid(i) ? (bits[bit >> 3]! & (1 << (bit & 7))) !== 0 : null);
    }
    return;
  }
  const values = data.values as ArrayLike<number | bigint>;
  if (type.startsWith('Timestamp<s') && arrow.DataType.isTimestamp(data.type) && data.type.unit === arrow.TimeUnit.MILLISECOND) {
    // stored in milliseconds, see secondsAsMilliseconds
    for (let i = 0; i < n; i++) out.push(valid(i) ? (values[i] as bigint) / 1000n : null);
    return;
  }
  for (let i = 0; i < n; i++) out.push(valid(i) ? normalise(type, values[i]!) : null);
}

function normalise(type: ColumnType, value: unknown): Value {
  const kind = valueKind(type);
  if (kind === 'bigint') return typeof value === 'bigint' ? value : BigInt(value as number);
  if (kind === 'number') return typeof value === 'bigint' ? Number(value) : (value as number);
  return value as Value;
}

function validityBitmap(values: readonly Value[]): { bitmap: Uint8Array | undefined; nullCount: number } {
  let nullCount = 0;
  for (const v of values) if (v === null) nullCount++;
  if (nullCount === 0) return { bitmap: undefined, nullCount };
  const bitmap = new Uint8Array(((values.length + 63) & ~63) >> 3);
  values.forEach((v, i) => {
    if (v !== null) bitmap[i >> 3]! |= 1 << (i & 7);
  });
  return { bitmap, nullCount };
}

const FIXED_ARRAYS: Partial<Record<ColumnType, new (n: number) => ArrayLike<number> & { [i: number]: number }>> = {
  Int8: Int8Array,
  Int16: Int16Array,
  Int32: Int32Array,
  UInt8: Uint8Array,
  UInt16: Uint16Array,
  UInt32: Uint32Array,
  Float32: Float32Array,
  Float64: Float64Array,
  Date32: Int32Array,
};

/** Arrow data of one column from its values. */
export function buildData(type: ColumnType, values: readonly Value[]): arrow.Data {
  const arrowType = toArrowType(type);
  const length = values.length;
  const { bitmap, nullCount } = validityBitmap(values);
  const kind = valueKind(type);
  if (kind === 'string' || kind === 'bytes') {
    const offsets = new Int32Array(length + 1);
    const parts: Uint8Array[] = [];
    let total = 0;
    for (let i = 0; i < length; i++) {
      const v = values[i];
      if (v !== null && v !== undefined) {
        const bytes = typeof v === 'string' ? Buffer.from(v, 'utf8') : (v as Uint8Array);
        parts.push(bytes);
        total += bytes.length;
      }
      offsets[i + 1] = total;
    }
    const data = new Uint8Array(total);
    let at = 0;
    for (const part of parts) {
      data.set(part, at);
      at += part.length;
    }
    return arrow.makeData({ type: arrowType as arrow.Utf8, length, nullCount, nullBitmap: bitmap, valueOffsets: offsets, data });
  }
  if (kind === 'boolean') {
    const bits = new Uint8Array(((length + 63) & ~63) >> 3);
    values.forEach((v, i) => {
      if (v === true) bits[i >> 3]! |= 1 << (i & 7);
    });
    return arrow.makeData({ type: arrowType as arrow.Bool, length, nullCount, nullBitmap: bitmap, data: bits });
  }
  if (kind === 'bigint') {
    const array = type === 'UInt64' ? new BigUint64Array(length) : new BigInt64Array(length);
    values.forEach((v, i) => {
      if (v !== null) array[i] = v as bigint;
    });
    return arrow.makeData({ type: arrowType as arrow.Int64, length, nullCount, nullBitmap: bitmap, data: array as BigInt64Array });
  }
  const ArrayType = FIXED_ARRAYS[type];
  if (!ArrayType) throw new CorruptError(`no Arrow array for type ${type}`);
  const array = new ArrayType(length);
  values.forEach((v, i) => {
    if (v !== null) array[i] = v as number;
  });
  return arrow.makeData({ type: arrowType as arrow.Int32, length, nullCount, nullBitmap: bitmap, data: array as Int32Array });
}
