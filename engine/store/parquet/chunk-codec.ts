import * as arrow from 'apache-arrow';
import { CorruptError } from '../../errors/index.js';
import type { Column } from '../../schema/schema.js';
import { valueKind, type ColumnType } from '../../schema/types.js';
import { toArrowType } from './arrow-types.js';
import { ipcOfParquet, parquetOfIpc } from './chunk-parquet.js';
import type { Row, Value } from '../../value/value.js';
import { compareInt64Words, int64Words } from '../../value/int64-words.js';

/**
 * The one place chunk bytes are made and read. Encoding is deterministic: fixed
 * writer settings (chunk-parquet.ts), a fixed `created_by`, no timestamps, one row
 * group, and an Arrow schema rebuilt from the table schema (never taken from the
 * input), so equal rows give equal bytes on every machine. Changing anything here
 * or there is a format-version bump.
 */
export { CHUNK_CREATED_BY } from './chunk-parquet.js';

/** Arrow schema of a chunk holding `columns`. */
export function chunkArrowSchema(columns: readonly Column[]): arrow.Schema {
  return new arrow.Schema(columns.map((c) => new arrow.Field(c.name, toArrowType(c.type), c.nullable)));
}

/** Parquet bytes of one chunk. `table` must already have the chunk schema (see `conformToColumns`). */
export function encodeChunk(table: arrow.Table, columns: readonly Column[]): Uint8Array {
  return parquetOfIpc(chunkIpc(table, columns), columns);
}

/**
 * The Arrow IPC stream `encodeChunk` turns into Parquet: the half of encoding that
 * needs Arrow, so the other half (parquetOfIpc) can run in a worker thread.
 */
export function chunkIpc(table: arrow.Table, columns: readonly Column[]): Uint8Array {
  return arrow.tableToIPC(secondsAsMilliseconds(table, columns), 'stream');
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
    return arrow.tableFromIPC(ipcOfParquet(bytes));
  } catch (error) {
    throw new CorruptError(`cannot read Parquet chunk: ${String(error)}`, where, error);
  }
}

/** The Arrow table of a chunk decoded elsewhere to its IPC stream (see `ipcOfParquet`): the same table `decodeChunk` gives. */
export function chunkOfIpc(ipc: Uint8Array, where: string): arrow.Table {
  try {
    return arrow.tableFromIPC(ipc);
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

/**
 * A decoded chunk's columns under the schema's names, each found by the name the
 * chunk holds it under (`stored`, the chunk file's columns): so a chunk written
 * before a rename (or a swap of two names) is read column for column. A column the
 * chunk lacks (added to the table after the chunk was written, which every reader
 * reads as nulls) comes as nulls, exactly as `rowsToArrow` builds a null column.
 * Undefined when a column is in more than one piece.
 */
export function chunkUnderNames(table: arrow.Table, columns: readonly Column[], stored: readonly Column[]): arrow.Table | undefined {
  const fields: arrow.Field[] = [];
  const children: arrow.Data[] = [];
  for (let i = 0; i < columns.length; i++) {
    const vector = table.getChild(stored[i]!.name);
    if (vector && vector.data.length !== 1) return undefined;
    const data = vector ? vector.data[0]! : buildData(columns[i]!.type, new Array<Value>(table.numRows).fill(null));
    fields.push(new arrow.Field(columns[i]!.name, data.type, true));
    children.push(data);
  }
  const data = arrow.makeData({ type: new arrow.Struct(fields), length: table.numRows, nullCount: 0, children });
  const schema = new arrow.Schema(fields);
  return new arrow.Table(schema, [new arrow.RecordBatch(schema, data)]);
}

/** The same columns (in `columns` order, as `conformToColumns` or `rowsToArrow` made them) under the names and fields of `columns`. */
export function renameColumns(table: arrow.Table, columns: readonly Column[]): arrow.Table {
  const schema = chunkArrowSchema(columns);
  const children = columns.map((_, i): arrow.Data => {
    const parts: arrow.Data[] = [...(table.getChildAt(i)!.data as readonly arrow.Data[])];
    return parts.length === 1 ? parts[0]! : concatData(parts, columns[i]!.type);
  });
  const data = arrow.makeData({ type: new arrow.Struct(schema.fields), length: table.numRows, nullCount: 0, children });
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
 * written before the column was added) reads as nulls. Each column is read
 * straight into the rows (no per-value closure, no intermediate array): this is
 * the hot path of every diff and merge.
 */
export function arrowToRows(table: arrow.Table, columns: readonly Column[]): Row[] {
  const n = table.numRows;
  const width = columns.length;
  const rows: Row[] = new Array<Row>(n);
  for (let r = 0; r < n; r++) {
    const row: Value[] = new Array<Value>(width);
    for (let c = 0; c < width; c++) row[c] = null;
    rows[r] = row;
  }
  for (let c = 0; c < width; c++) {
    const column = columns[c]!;
    const vector = table.getChild(column.name);
    if (!vector) continue;
    let at = 0;
    for (const part of vector.data) {
      readDataInto(part, column.type, rows, c, at);
      at += part.length;
    }
  }
  return rows;
}

/** Values of one column of an Arrow table, in row order. */
export function arrowColumnValues(table: arrow.Table, column: Column): Value[] {
  const vector = table.getChild(column.name);
  if (!vector) return new Array<Value>(table.numRows).fill(null);
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

/** Short ASCII strings (codes, names) are built in JS: cheaper than a call into Buffer per value. */
const SHORT_STRING = 16;

function utf8At(bytes: Uint8Array, buffer: Buffer, from: number, to: number): string {
  const length = to - from;
  if (length <= SHORT_STRING) {
    let s = '';
    for (let k = from; k < to; k++) {
      const b = bytes[k]!;
      if (b >= 0x80) return buffer.toString('utf8', from, to);
      s += String.fromCharCode(b);
    }
    return s;
  }
  return buffer.toString('utf8', from, to);
}

/** Reads `data` into column `c` of `rows[at ...]`; identical values to the per-value reader it replaces. */
function readDataInto(data: arrow.Data, type: ColumnType, rows: Value[][], c: number, at: number, from = 0, to = data.length): void {
  const n = to;
  const hasNulls = data.nullCount !== 0 && data.nullBitmap !== undefined && data.nullBitmap.length > 0;
  if (arrow.DataType.isDictionary(data.type)) {
    const vector = arrow.makeVector(data);
    for (let i = from; i < n; i++) rows[at + i]![c] = !hasNulls || data.getValid(i) ? normalise(type, vector.get(i)) : null;
    return;
  }
  const kind = valueKind(type);
  if (kind === 'string' || kind === 'bytes') {
    const offsets = data.valueOffsets as Int32Array;
    const bytes = data.values as Uint8Array;
    if (kind === 'string') {
      const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let i = from; i < n; i++) {
        if (hasNulls && !data.getValid(i)) {
          rows[at + i]![c] = null;
          continue;
        }
        const from = offsets[i]!;
        const to = offsets[i + 1]!;
        rows[at + i]![c] = utf8At(bytes, buffer, from, to);
      }
    } else {
      for (let i = from; i < n; i++) rows[at + i]![c] = hasNulls && !data.getValid(i) ? null : bytes.slice(offsets[i]!, offsets[i + 1]!);
    }
    return;
  }
  if (kind === 'boolean') {
    const bits = data.values as Uint8Array;
    for (let i = from; i < n; i++) {
      const bit = data.offset + i;
      rows[at + i]![c] = !hasNulls || data.getValid(i) ? (bits[bit >> 3]! & (1 << (bit & 7))) !== 0 : null;
    }
    return;
  }
  const values = data.values as ArrayLike<number | bigint>;
  if (type.startsWith('Timestamp<s') && arrow.DataType.isTimestamp(data.type) && data.type.unit === arrow.TimeUnit.MILLISECOND) {
    // stored in milliseconds, see secondsAsMilliseconds
    for (let i = from; i < n; i++) rows[at + i]![c] = !hasNulls || data.getValid(i) ? (values[i] as bigint) / 1000n : null;
    return;
  }
  if (kind === 'bigint' && (values instanceof BigInt64Array || values instanceof BigUint64Array)) {
    if (!hasNulls) for (let i = from; i < n; i++) rows[at + i]![c] = values[i]!;
    else for (let i = from; i < n; i++) rows[at + i]![c] = data.getValid(i) ? values[i]! : null;
    return;
  }
  if (kind === 'number' && !(values instanceof BigInt64Array || values instanceof BigUint64Array)) {
    if (!hasNulls) for (let i = from; i < n; i++) rows[at + i]![c] = values[i] as number;
    else for (let i = from; i < n; i++) rows[at + i]![c] = data.getValid(i) ? (values[i] as number) : null;
    return;
  }
  for (let i = from; i < n; i++) rows[at + i]![c] = !hasNulls || data.getValid(i) ? normalise(type, values[i]!) : null;
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

// ---- lazy rows for diffs -----------------------------------------------------------------

/**
 * The rows of a decoded chunk, materialised on demand. Key columns are read for
 * every row up front (a merge-join orders on them); the other cells of a row are
 * read only when the row is asked for whole. Two rows can be compared straight
 * from the Arrow buffers (`sameCells`), so a diff builds JS values only for rows
 * that differ. A row, once whole, is never changed again.
 */
export class LazyChunkRows {
  readonly length: number;
  private readonly rows: Array<Row | undefined>;
  private readonly keys: Array<Value[] | BigInt64Array | BigUint64Array>;
  /** A single 64-bit integer key without nulls, as 32-bit words: ordered without making a BigInt per row. */
  private readonly keyWords: { words: Int32Array; unsigned: boolean; type: ColumnType } | undefined;
  private readonly datas: Array<arrow.Data | undefined>;
  /**
   * The comparisons with each peer, made once: a merge walks the base's rows against
   * ours and theirs by turns, so one remembered peer was made again at every step.
   */
  private readonly compares = new WeakMap<LazyChunkRows, Array<CellCompare | undefined>>();
  private readonly runFinders = new WeakMap<LazyChunkRows, Array<RunFinder | undefined>>();

  constructor(
    private readonly table: arrow.Table,
    private readonly columns: readonly Column[],
    keyIndexes: readonly number[],
  ) {
    const n = table.numRows;
    this.length = n;
    this.rows = new Array<Row | undefined>(n);
    this.datas = columns.map((column) => {
      const vector = table.getChild(column.name);
      return vector && vector.data.length === 1 ? vector.data[0] : undefined;
    });
    this.keys = keyIndexes.map((c) => {
      const cells: Value[][] = new Array<Value[]>(n);
      const values: Value[] = new Array<Value>(n);
      const column = columns[c]!;
      const data = this.datas[c];
      if (data && valueKind(column.type) === 'bigint' && !arrow.DataType.isDictionary(data.type)) {
        const hasNulls = data.nullCount !== 0 && data.nullBitmap !== undefined && data.nullBitmap.length > 0;
        const raw = data.values as unknown;
        if (!hasNulls && (raw instanceof BigInt64Array || raw instanceof BigUint64Array) && !column.type.startsWith('Timestamp<s')) return raw;
      }
      for (let i = 0; i < n; i++) cells[i] = [null];
      const vector = table.getChild(column.name);
      let at = 0;
      if (vector) for (const part of vector.data) {
        readDataInto(part, column.type, cells, 0, at);
        at += part.length;
      }
      for (let i = 0; i < n; i++) values[i] = cells[i]![0]!;
      return values;
    });
    const only = this.keys.length === 1 ? this.keys[0] : undefined;
    this.keyWords =
      only instanceof BigInt64Array || only instanceof BigUint64Array
        ? { words: int64Words(only), unsigned: only instanceof BigUint64Array, type: columns[keyIndexes[0]!]!.type }
        : undefined;
  }

  /** Order of row `i`'s key and `peer`'s row `j`'s, or NaN when it cannot be told from the buffers. */
  compareKeys(i: number, peer: LazyChunkRows, j: number): number {
    const a = this.keyWords;
    const b = peer instanceof LazyChunkRows ? peer.keyWords : undefined;
    if (!a || !b || a.type !== b.type || a.unsigned !== b.unsigned) return NaN;
    return compareInt64Words(a.words, i, b.words, j, a.unsigned);
  }

  /** Value of key column `k` (in key order) of row `i`. */
  keyValue(i: number, k: number): Value {
    return this.keys[k]![i] ?? null;
  }

  /** Row `i`, whole. */
  row(i: number): Row {
    let row = this.rows[i];
    if (row) return row;
    const width = this.columns.length;
    row = new Array(width);
    for (let c = 0; c < width; c++) row[c] = null;
    const rows = [row];
    for (let c = 0; c < width; c++) {
      const data = this.datas[c];
      if (data) readDataInto(data, this.columns[c]!.type, rows, c, -i, i, i + 1);
      else this.readColumn(c, rows, i);
    }
    this.rows[i] = row;
    return row;
  }

  private readColumn(c: number, rows: Value[][], i: number): void {
    const vector = this.table.getChild(this.columns[c]!.name);
    if (!vector) return;
    let at = 0;
    for (const part of vector.data) {
      if (i >= at && i < at + part.length) readDataInto(part, this.columns[c]!.type, rows, c, -(i - at), i - at, i - at + 1);
      at += part.length;
    }
  }

  /**
   * Whether the first `count` cells of row `i` and of `peer`'s row `j` are surely
   * equal (as `valuesEqual` would find them), judged from the buffers. False means
   * "not known": the caller compares the rows whole.
   */
  sameCells(i: number, peer: LazyChunkRows, j: number, count: number): boolean {
    if (!(peer instanceof LazyChunkRows)) return false;
    let compare = this.compares.get(peer);
    if (!compare || compare.length < count) {
      compare = [];
      for (let c = 0; c < count; c++) compare.push(cellCompare(this.columns[c], this.datas[c], peer.columns[c], peer.datas[c], this.table, peer.table));
      this.compares.set(peer, compare);
    }
    for (let c = 0; c < count; c++) {
      const f = compare[c];
      if (f === undefined || !f(i, j)) return false;
    }
    return true;
  }

  /**
   * How many rows from row `i` on (at most `max`) have their first `count` cells
   * surely equal to `peer`'s from row `j` on, row for row: the shortest equal run
   * over the columns, each found by comparing whole byte ranges (see `runFinder`).
   * 0 when a column cannot be compared from the buffers.
   */
  sameRun(i: number, peer: LazyChunkRows, j: number, count: number, max: number): number {
    if (!(peer instanceof LazyChunkRows)) return 0;
    let finders = this.runFinders.get(peer);
    if (!finders || finders.length < count) {
      finders = [];
      for (let c = 0; c < count; c++) {
        const compare = cellCompare(this.columns[c], this.datas[c], peer.columns[c], peer.datas[c], this.table, peer.table);
        finders.push(compare && runFinder(this.columns[c]!, this.datas[c], peer.datas[c], compare));
      }
      this.runFinders.set(peer, finders);
    }
    for (let c = 0; c < count; c++) if (finders[c] === undefined) return 0;
    // Galloping: stretches of 16, 32, 64... rows, each column scanning only the stretch, so the
    // cost follows the run found, not `max` (a walk that stops at every row would be quadratic).
    let done = 0;
    for (let stretch = RUN_SCAN; done < max; stretch *= 2) {
      const want = Math.min(stretch, max - done);
      let run = want;
      for (let c = 0; c < count && run > 0; c++) run = finders[c]!(i + done, j + done, run);
      done += run;
      if (run < want) break;
    }
    return done;
  }
}

type CellCompare = (i: number, j: number) => boolean;

/** How many cells from `i` in one column and `j` in the other (at most `max`) are equal, pair by pair. */
type RunFinder = (i: number, j: number, max: number) => number;

/** Below this many cells a run is finished cell by cell rather than halved further. */
const RUN_SCAN = 16;

/**
 * The run finder of one column of two chunks. Without nulls, fixed-width values are
 * compared as byte ranges (memcmp), halving to the first difference, and strings by
 * their lengths and then their bytes; other layouts (nulls, booleans) cell by cell
 * with `compare`. Equal bytes are equal values; unequal bytes end the run even when
 * the values are equal (0 and -0), and the caller compares that row itself.
 */
function runFinder(column: Column, a: arrow.Data | undefined, b: arrow.Data | undefined, compare: CellCompare): RunFinder {
  const byCell: RunFinder = (i, j, max) => {
    let r = 0;
    while (r < max && compare(i + r, j + r)) r++;
    return r;
  };
  if (compare === ALWAYS) return (_i, _j, max) => max;
  if (!a || !b || hasNullBitmap(a) || hasNullBitmap(b) || a.offset !== 0 || b.offset !== 0) return byCell;
  const kind = valueKind(column.type);
  if (kind === 'string' || kind === 'bytes') {
    const offA = a.valueOffsets as unknown;
    const offB = b.valueOffsets as unknown;
    if (!(offA instanceof Int32Array) || !(offB instanceof Int32Array)) return byCell;
    const bytesA = asBuffer(a.values as Uint8Array);
    const bytesB = asBuffer(b.values as Uint8Array);
    return (i, j, max) => {
      // Rows of equal lengths first; then their bytes, one range for the whole run.
      let m = 0;
      while (m < max && offA[i + m + 1]! - offA[i + m]! === offB[j + m + 1]! - offB[j + m]!) m++;
      const same = (rows: number) => bytesA.compare(bytesB, offB[j]!, offB[j + rows]!, offA[i]!, offA[i + rows]!) === 0;
      const sameAt = (r: number) => bytesA.compare(bytesB, offB[j + r]!, offB[j + r + 1]!, offA[i + r]!, offA[i + r + 1]!) === 0;
      return firstDifference(m, same, sameAt);
    };
  }
  const valuesA = a.values as unknown;
  const valuesB = b.values as unknown;
  if (!ArrayBuffer.isView(valuesA) || !ArrayBuffer.isView(valuesB) || valuesA instanceof DataView || valuesB instanceof DataView) return byCell;
  const width = (valuesA as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
  // One element per value (never a value spread over several words), the same width on both sides.
  const oneEach = (valuesA as unknown as ArrayLike<unknown>).length === a.length && (valuesB as unknown as ArrayLike<unknown>).length === b.length;
  if (!oneEach || width !== (valuesB as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT || kind === 'boolean') return byCell;
  const bufA = asBuffer(valuesA);
  const bufB = asBuffer(valuesB);
  return (i, j, max) => {
    const same = (cells: number) => bufA.compare(bufB, j * width, (j + cells) * width, i * width, (i + cells) * width) === 0;
    const sameAt = (r: number) => bufA.compare(bufB, (j + r) * width, (j + r + 1) * width, (i + r) * width, (i + r + 1) * width) === 0;
    return firstDifference(max, same, sameAt);
  };
}

/**
 * The length of the byte-equal prefix of a run of `max` cells, given `same(n)`
 * (whether the first n cells are byte-equal) and `sameAt(r)` (whether cell r is):
 * the whole run at once when it is equal, else halving down to a short scan.
 */
function firstDifference(max: number, same: (cells: number) => boolean, sameAt: (r: number) => boolean): number {
  if (max === 0 || same(max)) return max;
  let lo = 0; // the first lo cells are equal
  let hi = max; // the first hi are not
  while (hi - lo > RUN_SCAN) {
    const mid = (lo + hi) >>> 1;
    if (same(mid)) lo = mid;
    else hi = mid;
  }
  while (lo < hi && sameAt(lo)) lo++;
  return lo;
}

/** A Buffer over the same bytes as `view`, for memcmp (`Buffer.compare`) of ranges. */
function asBuffer(view: ArrayBufferView): Buffer {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

const ALWAYS: CellCompare = () => true;

/** A raw comparison of one column of two chunks, or undefined when the layouts differ (then rows are compared whole). */
function cellCompare(
  columnA: Column | undefined,
  a: arrow.Data | undefined,
  columnB: Column | undefined,
  b: arrow.Data | undefined,
  tableA: arrow.Table,
  tableB: arrow.Table,
): CellCompare | undefined {
  if (!columnA || !columnB || columnA.type !== columnB.type) return undefined;
  const absentA = !tableA.getChild(columnA.name);
  const absentB = !tableB.getChild(columnB.name);
  if (absentA && absentB) return ALWAYS;
  // A column one chunk lacks reads as null there: equal where the other's cell is null.
  if (absentA) return b ? (_i, j) => !b.getValid(j) : undefined;
  if (absentB) return a ? (i) => !a.getValid(i) : undefined;
  if (!a || !b) return undefined;
  if (String(a.type) !== String(b.type) || arrow.DataType.isDictionary(a.type) || arrow.DataType.isDictionary(b.type)) return undefined;
  const nullsA = a.nullCount !== 0 && a.nullBitmap !== undefined && a.nullBitmap.length > 0;
  const nullsB = b.nullCount !== 0 && b.nullBitmap !== undefined && b.nullBitmap.length > 0;
  const cells = valueCompare(columnA.type, a, b);
  if (!cells) return undefined;
  if (!nullsA && !nullsB) return cells;
  return (i, j) => {
    const va = !nullsA || a.getValid(i);
    const vb = !nullsB || b.getValid(j);
    if (!va || !vb) return !va && !vb;
    return cells(i, j);
  };
}

function valueCompare(type: ColumnType, a: arrow.Data, b: arrow.Data): CellCompare | undefined {
  const kind = valueKind(type);
  if (kind === 'string' || kind === 'bytes') {
    const offA = a.valueOffsets as Int32Array;
    const offB = b.valueOffsets as Int32Array;
    const bytesA = a.values as Uint8Array;
    const bytesB = b.values as Uint8Array;
    if (!(offA instanceof Int32Array) || !(offB instanceof Int32Array)) return undefined;
    return (i, j) => {
      const fromA = offA[i]!;
      const fromB = offB[j]!;
      const length = offA[i + 1]! - fromA;
      if (offB[j + 1]! - fromB !== length) return false;
      for (let k = 0; k < length; k++) if (bytesA[fromA + k] !== bytesB[fromB + k]) return false;
      return true;
    };
  }
  if (kind === 'boolean') {
    const bitsA = a.values as Uint8Array;
    const bitsB = b.values as Uint8Array;
    return (i, j) => {
      const x = a.offset + i;
      const y = b.offset + j;
      return ((bitsA[x >> 3]! >> (x & 7)) & 1) === ((bitsB[y >> 3]! >> (y & 7)) & 1);
    };
  }
  const va = a.values as unknown;
  const vb = b.values as unknown;
  if ((va instanceof BigInt64Array || va instanceof BigUint64Array) && (vb instanceof BigInt64Array || vb instanceof BigUint64Array)) {
    const wa = int64Words(va);
    const wb = int64Words(vb);
    return (i, j) => wa[2 * i] === wb[2 * j] && wa[2 * i + 1] === wb[2 * j + 1];
  }
  if (kind === 'number' && ArrayBuffer.isView(va) && ArrayBuffer.isView(vb) && !(va instanceof DataView) && !(vb instanceof DataView)) {
    const x = va as unknown as ArrayLike<number>;
    const y = vb as unknown as ArrayLike<number>;
    if (typeof x[0] === 'bigint' || typeof y[0] === 'bigint') return undefined;
    return (i, j) => {
      const p = x[i]!;
      const q = y[j]!;
      return p === q || (p !== p && q !== q);
    };
  }
  return undefined;
}

// ---- splicing Arrow runs -----------------------------------------------------------------

/** A run of rows `[start, end)` of an Arrow table. */
export interface ArrowRun {
  table: arrow.Table;
  start: number;
  end: number;
}

/**
 * One Arrow table of the runs, in order, with the chunk schema of `columns`, built
 * by copying buffers (no JS value per cell). Its bytes are exactly those
 * `rowsToArrow` makes of the same rows, so a chunk rewritten this way encodes to the
 * same bytes as one rebuilt from rows. Undefined when a run's layout is not the one
 * `rowsToArrow` makes (a column missing from an older chunk, seconds stored as
 * milliseconds, several buffers per column): the caller then goes through rows.
 */
export function spliceRuns(runs: readonly ArrowRun[], columns: readonly Column[]): arrow.Table | undefined {
  const schema = chunkArrowSchema(columns);
  const children: arrow.Data[] = [];
  let length = 0;
  for (const run of runs) length += run.end - run.start;
  // Each table's column data, looked up once: an edit of every other row gives thousands of runs over a few tables.
  const columnData = new Map<arrow.Table, Array<arrow.Data | undefined>>();
  for (const run of runs) {
    if (run.end <= run.start || columnData.has(run.table)) continue;
    columnData.set(
      run.table,
      columns.map((column) => {
        const vector = run.table.getChild(column.name);
        if (!vector || vector.data.length !== 1) return undefined;
        const data: arrow.Data = vector.data[0]!;
        return String(data.type) === String(toArrowType(column.type)) ? data : undefined;
      }),
    );
  }
  for (let c = 0; c < columns.length; c++) {
    const column = columns[c]!;
    const parts: Array<{ data: arrow.Data; start: number; end: number }> = [];
    for (const run of runs) {
      if (run.end <= run.start) continue;
      const data = columnData.get(run.table)![c];
      if (!data) return undefined;
      parts.push({ data, start: run.start, end: run.end });
    }
    const arrowType: arrow.DataType = toArrowType(column.type);
    const spliced = spliceData(column.type, arrowType, parts, length);
    if (!spliced) return undefined;
    children.push(spliced);
  }
  const data = arrow.makeData({ type: new arrow.Struct(schema.fields), length, nullCount: 0, children });
  return new arrow.Table(schema, [new arrow.RecordBatch(schema, data)]);
}

/** Runs (of values or bytes) at most this long are copied element by element rather than through a view. */
const SHORT_RUN = 32;

function hasNullBitmap(data: arrow.Data): boolean {
  return data.nullCount !== 0 && data.nullBitmap !== undefined && data.nullBitmap.length > 0;
}

function spliceData(type: ColumnType, arrowType: arrow.DataType, parts: ReadonlyArray<{ data: arrow.Data; start: number; end: number }>, length: number): arrow.Data | undefined {
  // Validity, as buildData makes it: no bitmap at all when nothing is null.
  let nullCount = 0;
  for (const p of parts)
    if (hasNullBitmap(p.data)) for (let i = p.start; i < p.end; i++) if (!p.data.getValid(i)) nullCount++;
  let nullBitmap: Uint8Array | undefined;
  if (nullCount > 0) {
    nullBitmap = new Uint8Array(((length + 63) & ~63) >> 3);
    let at = 0;
    for (const p of parts) {
      const nulls = hasNullBitmap(p.data);
      for (let i = p.start; i < p.end; i++, at++) if (!nulls || p.data.getValid(i)) nullBitmap[at >> 3]! |= 1 << (at & 7);
    }
  }
  const kind = valueKind(type);
  if (kind === 'string' || kind === 'bytes') {
    const offsets = new Int32Array(length + 1);
    let total = 0;
    for (const p of parts) {
      const o = p.data.valueOffsets as unknown;
      if (!(o instanceof Int32Array)) return undefined;
      total += o[p.end]! - o[p.start]!;
    }
    const bytes = new Uint8Array(total);
    let row = 0;
    let at = 0;
    for (const p of parts) {
      const o = p.data.valueOffsets as Int32Array;
      const values = p.data.values as Uint8Array;
      const nulls = hasNullBitmap(p.data);
      if (!nulls) {
        // No nulls: the run's bytes are contiguous; copy them at once and shift the offsets.
        const base = o[p.start]!;
        const end = o[p.end]!;
        if (end - base <= SHORT_RUN) for (let k = base; k < end; k++) bytes[at + k - base] = values[k]!;
        else bytes.set(values.subarray(base, end), at);
        for (let i = p.start; i < p.end; i++) offsets[++row] = at + o[i + 1]! - base;
        at += o[p.end]! - base;
        continue;
      }
      for (let i = p.start; i < p.end; i++) {
        // A null slot holds no bytes (as buildData writes it), whatever the source kept there.
        if (!nulls || p.data.getValid(i)) {
          const from = o[i]!;
          const to = o[i + 1]!;
          if (to - from <= SHORT_RUN) for (let k = from; k < to; k++) bytes[at + k - from] = values[k]!;
          else bytes.set(values.subarray(from, to), at);
          at += to - from;
        }
        offsets[++row] = at;
      }
    }
    const data = at === total ? bytes : bytes.slice(0, at);
    return arrow.makeData({ type: arrowType as arrow.Utf8, length, nullCount, nullBitmap, valueOffsets: offsets, data });
  }
  if (kind === 'boolean') {
    const bits = new Uint8Array(((length + 63) & ~63) >> 3);
    let at = 0;
    for (const p of parts) {
      const source = p.data.values as Uint8Array;
      const nulls = hasNullBitmap(p.data);
      for (let i = p.start; i < p.end; i++, at++) {
        const bit = p.data.offset + i;
        if ((source[bit >> 3]! & (1 << (bit & 7))) !== 0 && (!nulls || p.data.getValid(i))) bits[at >> 3]! |= 1 << (at & 7);
      }
    }
    return arrow.makeData({ type: arrowType as arrow.Bool, length, nullCount, nullBitmap, data: bits });
  }
  const first = parts[0]?.data.values as unknown;
  const Typed = kind === 'bigint' ? (type === 'UInt64' ? BigUint64Array : BigInt64Array) : FIXED_ARRAYS[type];
  if (!Typed || (first !== undefined && !(first instanceof Typed))) return undefined;
  const out = new Typed(length) as unknown as { set(source: ArrayLike<number | bigint>, at: number): void; [i: number]: number | bigint };
  let at = 0;
  for (const p of parts) {
    const values = p.data.values as unknown;
    if (!(values instanceof Typed)) return undefined;
    const source = values as unknown as { subarray(from: number, to: number): ArrayLike<number | bigint>; [i: number]: number | bigint };
    // A short run is copied by hand: a view per run would be most of the work for runs of one row.
    if (p.end - p.start <= SHORT_RUN) for (let i = p.start; i < p.end; i++) out[at + i - p.start] = source[i]!;
    else out.set(source.subarray(p.start, p.end), at);
    // A null slot holds zero, as buildData leaves it.
    if (nullCount > 0 && hasNullBitmap(p.data)) for (let i = p.start; i < p.end; i++) if (!p.data.getValid(i)) out[at + i - p.start] = kind === 'bigint' ? 0n : 0;
    at += p.end - p.start;
  }
  return arrow.makeData({ type: arrowType as arrow.Int32, length, nullCount, nullBitmap, data: out as unknown as Int32Array });
}
