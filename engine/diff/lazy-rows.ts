import type { ChunkId } from '../chunking/manifest.js';
import type { Column } from '../schema/schema.js';
import type { ChunkReader } from '../table/table-version.js';
import type { Row, Value } from '../value/value.js';

/**
 * The rows of one chunk, read on demand (implemented by LazyChunkRows in the
 * Parquet codec). `keyValue` is a key cell (key columns in key order); `row` is the row
 * whole; `sameCells` says from the stored buffers whether two rows' first
 * `count` cells are surely equal (false: unknown, compare the rows whole).
 */
export interface LazyRows {
  readonly length: number;
  keyValue(i: number, k: number): Value;
  row(i: number): Row;
  sameCells(i: number, peer: LazyRows, j: number, count: number): boolean;
  /**
   * How many rows from row `i` on (at most `max`) have their first `count` cells
   * surely equal to `peer`'s from row `j` on, row for row, judged from the stored
   * buffers a column at a time; 0 when not known (compare row by row).
   */
  sameRun(i: number, peer: LazyRows, j: number, count: number, max: number): number;
  /** Order of row `i`'s key and `peer`'s row `j`'s, or NaN when it cannot be told cheaply (compare `keyValue`s). */
  compareKeys(i: number, peer: LazyRows, j: number): number;
}

/** A chunk reader that can also hand out rows read on demand. */
export interface LazyChunkReader extends ChunkReader {
  readLazyRows(id: ChunkId, columns: readonly Column[], keyIndexes: readonly number[]): Promise<LazyRows>;
}

export function isLazyChunkReader(reader: ChunkReader): reader is LazyChunkReader {
  return typeof (reader as Partial<LazyChunkReader>).readLazyRows === 'function';
}

/** Rows already in memory, behind the same interface. */
export class EagerRows implements LazyRows {
  readonly length: number;
  constructor(
    private readonly rows: Row[],
    private readonly keyIndexes: readonly number[],
  ) {
    this.length = rows.length;
  }
  keyValue(i: number, k: number): Value {
    return this.rows[i]![this.keyIndexes[k]!] ?? null;
  }
  row(i: number): Row {
    return this.rows[i]!;
  }
  sameCells(): boolean {
    return false;
  }
  sameRun(): number {
    return 0;
  }
  compareKeys(): number {
    return NaN;
  }
}
