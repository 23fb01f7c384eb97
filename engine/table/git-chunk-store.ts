import type * as arrow from 'apache-arrow';
import type { ChunkId } from '../chunking/manifest.js';
import type { Column } from '../schema/schema.js';
import type { ObjectId, ObjectStore } from '../store/object-store.js';
import type { Row } from '../value/value.js';
import type { ObjectWriter } from './table-tree.js';
import type { ChunkReader, ChunkWriter } from './table-version.js';

/** The Parquet codec, loaded on first read: commands that never read a chunk (branch, log) skip loading Arrow. */
let codecModule: Promise<typeof import('../../formats/parquet/chunk-codec.js')> | undefined;
function codec() {
  return (codecModule ??= import('../../formats/parquet/chunk-codec.js'));
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
export class GitChunkStore implements ChunkReader, ChunkWriter {
  readonly stats: ChunkStats = { reads: 0, writes: 0, bytesWritten: 0 };
  private readonly cache = new Map<string, arrow.Table>();

  constructor(
    private readonly store: ObjectStore,
    private readonly writer: ObjectWriter,
    private readonly cacheSize = 64,
  ) {}

  async readTable(id: ChunkId): Promise<arrow.Table> {
    const cached = this.cache.get(id);
    if (cached) {
      this.cache.delete(id);
      this.cache.set(id, cached);
      return cached;
    }
    this.stats.reads++;
    const bytes = await this.store.readTyped(id as unknown as ObjectId, 'blob');
    const { decodeChunk } = await codec();
    const table = decodeChunk(bytes, `chunk ${id}`);
    this.cache.set(id, table);
    if (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
    return table;
  }

  async readRows(id: ChunkId, columns: readonly Column[]): Promise<Row[]> {
    const table = await this.readTable(id);
    return (await codec()).arrowToRows(table, columns);
  }

  writeChunk(bytes: Uint8Array): ChunkId {
    this.stats.writes++;
    this.stats.bytesWritten += bytes.length;
    return this.writer.write('blob', bytes) as unknown as ChunkId;
  }
}

