import fs from 'node:fs';
import path from 'node:path';
import type { ChunkEntry, ChunkId, Manifest } from '../chunking/manifest.js';
import { CorruptError } from '../errors/index.js';
import type { TableSchema } from '../schema/schema.js';
import { readFileIfExists, writeFileAtomic, tempSibling } from '../store/atomic-file.js';
import { hashObject, type ObjectId, type ObjectStore } from '../store/object-store.js';
import { localChunkFile, prefetchChunks } from '../chunkstore/chunk-source.js';

/**
 * Chunks as files DuckDB can read. A chunk's bytes are its git blob, so one cached
 * file per blob id (`.git/dgit/cache/chunks/<xx>/<id>.parquet`) serves every
 * revision that holds it; files appear atomically, so concurrent readers are safe.
 * A cached file is verified against its blob id before every use (a truncated or
 * damaged file, from a full disk or another tool, is rebuilt, never read), and a
 * chunk is matched against its manifest entry (row count, first and last key)
 * when its file is made, so bytes that hold other rows give an error, not answers.
 */
export class ChunkFileCache {
  readonly dir: string;

  constructor(private readonly store: ObjectStore) {
    this.dir = path.join(store.gitdir, 'dgit', 'cache', 'chunks');
  }

  /** Paths of the chunk files of a manifest, in key order, written on first use (matched against the manifest entry when `schema` is given). */
  async files(manifest: Manifest, schema?: TableSchema): Promise<string[]> {
    const out: string[] = [];
    await prefetchChunks(this.store, manifest.chunks.map((c) => c.id));
    for (const chunk of manifest.chunks) {
      const file = await this.file(chunk.id);
      if (schema) await this.matchEntry(file, schema, chunk);
      out.push(file);
    }
    return out;
  }

  /**
   * Make sure a chunk holds what its manifest entry says (row count, first and
   * last key). The entry a chunk was last matched against is kept beside its file,
   * so the chunk is decoded again only when a manifest says something else of it.
   */
  private async matchEntry(file: string, schema: TableSchema, chunk: ChunkEntry): Promise<void> {
    const marker = `${file}.entry`;
    const identity = JSON.stringify([chunk.rows, chunk.first, chunk.last], (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v));
    if (readFileIfExists(marker) === identity) return;
    const { verifyChunk } = await import('../integrity/table-integrity.js');
    const problem = await verifyChunk(this.store, schema, chunk);
    if (problem) throw new CorruptError(`chunk ${chunk.id} does not hold what the manifest says: ${problem}; run \`dgit fsck --full\``, `chunk ${chunk.id}`);
    writeFileAtomic(marker, identity);
  }

  /** The cached file of one chunk, verified against its blob id (rebuilt when damaged). */
  async file(id: ChunkId): Promise<string> {
    const target = path.join(this.dir, id.slice(0, 2), `${id}.parquet`);
    if (this.intact(target, id)) return target;
    // A repository with a chunk store: its chunk files are the cache already.
    const stored = await localChunkFile(this.store, id as unknown as ObjectId);
    if (stored) return stored;
    const bytes = await this.store.readTyped(id as unknown as ObjectId, 'blob');
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const temp = tempSibling(target);
    fs.writeFileSync(temp, bytes);
    fs.renameSync(temp, target);
    return target;
  }

  /** Whether the cached file exists and its bytes are the blob `id` (anything else is rebuilt). */
  private intact(target: string, id: ChunkId): boolean {
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(target);
    } catch {
      return false;
    }
    return hashObject('blob', bytes) === (id as string);
  }
}
