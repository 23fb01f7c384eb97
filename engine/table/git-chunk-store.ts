import type * as arrow from 'apache-arrow';
import type { ChunkId } from '../chunking/manifest.js';
import { storedColumns, type Column } from '../schema/schema.js';
import type { ObjectId, ObjectStore } from '../store/object-store.js';
import type { PreparedBlob } from '../store/object-encoding.js';
import type { Row } from '../value/value.js';
import type { LazyRows } from '../diff/lazy-rows.js';
import type { ObjectWriter } from './table-tree.js';
import type { ArrowChunkReader, ChunkWriter } from './table-version.js';
import { readChunkBytes } from '../chunkstore/chunk-source.js';
import type { ChunkPrefetch } from './chunk-prefetch.js';
import type { ChunkEncodingPool } from '../store/parquet/chunk-encoding-pool.js';

/** The Parquet codec, loaded on first read: commands that never read a chunk (branch, log) skip loading Arrow. */
let codecModule: Promise<typeof import('../store/parquet/chunk-codec.js')> | undefined;
function codec() {
  return (codecModule ??= import('../store/parquet/chunk-codec.js'));
}

/** Counters that prove how much work an operation did. */
export interface ChunkStats {
  reads: number;
  writes: number;
  bytesWritten: number;
}

/**
 * Chunk reads and writes over git objects, with a small cache of decoded chunks
 * (an edit reads a chunk, and the diff after it reads the same one again).
 */
export class GitChunkStore implements ArrowChunkReader, ChunkWriter {
  readonly stats: ChunkStats = { reads: 0, writes: 0, bytesWritten: 0 };
  private readonly cache = new Map<string, arrow.Table>();
  /** Chunks kept outside the LRU while an operation will come back to them (see `retain`). */
  private retained: { ids: Set<string>; tables: Map<string, arrow.Table>; bytes: number; maxBytes: number } | undefined;
  /** Loaded with the codec, on first use (see `prefetch`); undefined inside when the list was too short to be worth a worker. */
  private prefetcher: Promise<ChunkPrefetch | undefined> | undefined;
  /** The workers `prefetch` started, kept for the chunk writes that follow (see `encodingPool`) until `closeWorkers`. */
  private pool: ChunkEncodingPool | undefined;

  constructor(
    private readonly store: ObjectStore,
    private readonly writer: ObjectWriter,
    private readonly cacheSize = 64,
  ) {}

  /**
   * Keep the decoded chunks among `ids` that are read from now on, up to `maxBytes`
   * of Arrow buffers, until `release`. A merge reads ours' changed chunks for its
   * diffs and again to apply the edits: this reads them once.
   */
  retain(ids: Iterable<ChunkId>, maxBytes = 128 * 1024 * 1024): void {
    this.retained = { ids: new Set(ids as Iterable<string>), tables: new Map(), bytes: 0, maxBytes };
  }

  release(): void {
    this.retained = undefined;
  }

  /**
   * Decode `ids` ahead, in this order, in a worker thread (see ChunkPrefetch), for a
   * reader about to ask for them in about this order; a short list is left to be
   * decoded as it is read. `stopPrefetch` ends it. The tables are the same either way.
   */
  prefetch(ids: readonly ChunkId[]): void {
    if (this.prefetcher) return;
    this.prefetcher = Promise.all([import('./chunk-prefetch.js'), import('../store/parquet/chunk-encoding-pool.js')]).then(([{ ChunkPrefetch }, { ChunkEncodingPool, encodingThreads }]) => {
      if (!ChunkPrefetch.worthIt(ids.length)) return undefined;
      this.pool ??= new ChunkEncodingPool(encodingThreads());
      return new ChunkPrefetch(ids, (id) => readChunkBytes(this.store, id as unknown as ObjectId), this.pool);
    });
  }

  /** Stop decoding ahead (chunks read from now on are decoded here); the workers stay for `encodingPool`. */
  async stopPrefetch(): Promise<void> {
    const prefetcher = this.prefetcher;
    this.prefetcher = undefined;
    (await prefetcher)?.stop();
  }

  /** The workers a prefetch started, for a ChunkBuilder writing through this store to encode with. */
  encodingPool(): ChunkEncodingPool | undefined {
    return this.pool;
  }

  /** Stop prefetching and the workers it started. */
  async closeWorkers(): Promise<void> {
    await this.stopPrefetch();
    const pool = this.pool;
    this.pool = undefined;
    await pool?.close();
  }

  async readTable(id: ChunkId): Promise<arrow.Table> {
    const retained = this.retained?.tables.get(id);
    if (retained) return retained;
    const cached = this.cache.get(id);
    if (cached) {
      this.cache.delete(id);
      this.cache.set(id, cached);
      return cached;
    }
    this.stats.reads++;
    const ipc = this.prefetcher ? await (await this.prefetcher)?.take(id) : undefined;
    const { decodeChunk, chunkOfIpc } = await codec();
    const table = ipc ? chunkOfIpc(ipc, `chunk ${id}`) : decodeChunk(await readChunkBytes(this.store, id as unknown as ObjectId), `chunk ${id}`);
    const keep = this.retained;
    if (keep && keep.ids.has(id)) {
      const size = table.data.reduce((n, data) => n + data.byteLength, 0);
      if (keep.bytes + size <= keep.maxBytes) {
        keep.bytes += size;
        keep.tables.set(id, table);
      }
    }
    this.cache.set(id, table);
    if (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
    return table;
  }

  async readRows(id: ChunkId, columns: readonly Column[]): Promise<Row[]> {
    const table = await this.readTable(id);
    // Chunks hold columns under their stored names (a rename does not rewrite them).
    return (await codec()).arrowToRows(table, storedColumns(columns));
  }

  /** Rows of a chunk read on demand (see LazyChunkRows): a diff builds JS values only for rows that differ. */
  async readLazyRows(id: ChunkId, columns: readonly Column[], keyIndexes: readonly number[]): Promise<LazyRows> {
    const table = await this.readTable(id);
    return new (await codec()).LazyChunkRows(table, storedColumns(columns), keyIndexes);
  }

  writeChunk(bytes: Uint8Array): ChunkId {
    this.stats.writes++;
    this.stats.bytesWritten += bytes.length;
    return (this.writer.writeChunk ? this.writer.writeChunk(bytes) : this.writer.write('blob', bytes)) as unknown as ChunkId;
  }

  writePreparedChunk(blob: PreparedBlob): ChunkId {
    if (!this.writer.writePreparedChunk) return this.writeChunk(blob.bytes);
    this.stats.writes++;
    this.stats.bytesWritten += blob.bytes.length;
    return this.writer.writePreparedChunk(blob) as unknown as ChunkId;
  }
}

