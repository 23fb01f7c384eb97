import type * as arrow from 'apache-arrow';
import type { ChunkId, Manifest } from '../chunking/manifest.js';
import type { ManifestStorage } from '../chunking/manifest-pages.js';
import type { Column, TableSchema } from '../schema/schema.js';
import type { Row, Value } from '../value/value.js';
import type { ChunkEncodingPool } from '../store/parquet/chunk-encoding-pool.js';
import type { PreparedBlob } from '../store/object-encoding.js';

/** A table as one tree holds it: its schema and its chunks in key order. */
export interface TableVersion {
  schema: TableSchema;
  manifest: Manifest;
  /** How the stored tree keeps the chunk list (set when read from a tree; a new version is always written paged). */
  storage?: ManifestStorage;
}

/** Reads the rows of chunks. Diff, merge and the table writer take one, so their tests need no git. */
export interface ChunkReader {
  /**
   * Rows of a chunk in `columns` order, sorted by key. A column the chunk lacks
   * (written before the column was added) reads as null.
   */
  readRows(id: ChunkId, columns: readonly Column[]): Promise<Row[]>;
}

/** A chunk reader that also gives a chunk's decoded Arrow table: edits then splice changed rows into it without rebuilding the rest. */
export interface ArrowChunkReader extends ChunkReader {
  readTable(id: ChunkId): Promise<arrow.Table>;
}

/** Whether `reader` can give chunks as Arrow. */
export function readsArrow(reader: ChunkReader): reader is ArrowChunkReader {
  return typeof (reader as Partial<ArrowChunkReader>).readTable === 'function';
}

/** Stores new chunk bytes and returns their id (the git blob id). */
export interface ChunkWriter {
  writeChunk(bytes: Uint8Array): ChunkId;
  /** The same for a chunk whose id and packfile body a worker thread computed; without it, `writeChunk(blob.bytes)`. */
  writePreparedChunk?(blob: PreparedBlob): ChunkId;
  /**
   * Worker threads this writer already runs (a merge's, started to decode chunks
   * ahead): a ChunkBuilder encodes through them instead of starting its own, and
   * leaves them running when it closes.
   */
  encodingPool?(): ChunkEncodingPool | undefined;
}

/**
 * Row edits to apply to a table, each list sorted by key. For a keyed table
 * `upserts` insert or replace rows by key and `deletes` are keys; for a keyless
 * table (a bag) `upserts` add copies and `deletes` are whole rows, one copy removed each.
 */
export interface RowEdits {
  upserts: Row[];
  deletes: Value[][];
}
