import type * as arrow from 'apache-arrow';
import type { ChunkId } from '../../engine/chunking/manifest.js';
import type { Column } from '../../engine/schema/schema.js';
import { arrowToRows, decodeChunk } from '../../engine/store/parquet/chunk-codec.js';
import { hashObject } from '../../engine/store/object-encoding.js';
import type { ArrowChunkReader, ChunkWriter } from '../../engine/table/table-version.js';
import type { Row } from '../../engine/value/value.js';

/** Chunks in memory, keyed by their blob id, read as rows or as Arrow; counts the chunks written. */
export class MemoryChunks implements ArrowChunkReader, ChunkWriter {
  readonly blobs = new Map<string, Uint8Array>();
  writes = 0;
  writeChunk(bytes: Uint8Array): ChunkId {
    this.writes++;
    const id = hashObject('blob', bytes) as unknown as ChunkId;
    this.blobs.set(id, bytes);
    return id;
  }
  readRows(id: ChunkId, columns: readonly Column[]): Promise<Row[]> {
    return Promise.resolve(arrowToRows(decodeChunk(this.blobs.get(id)!, id), columns));
  }
  readTable(id: ChunkId): Promise<arrow.Table> {
    return Promise.resolve(decodeChunk(this.blobs.get(id)!, id));
  }
}
