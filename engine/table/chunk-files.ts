import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import type { ChunkId, Manifest } from '../chunking/manifest.js';
import type { ObjectId, ObjectStore } from '../store/object-store.js';
import { localChunkFile, prefetchChunks } from '../chunkstore/chunk-source.js';

/**
 * Chunks as files DuckDB can read. A chunk's bytes are its git blob, so one cached
 * file per blob id (`.git/dgit/cache/chunks/<xx>/<id>.parquet`) serves every
 * revision that holds it; files appear atomically, so concurrent readers are safe.
 */
export class ChunkFileCache {
  readonly dir: string;

  constructor(private readonly store: ObjectStore) {
    this.dir = path.join(store.gitdir, 'dgit', 'cache', 'chunks');
  }

  /** Paths of the chunk files of a manifest, in key order, written on first use. */
  async files(manifest: Manifest): Promise<string[]> {
    const out: string[] = [];
    await prefetchChunks(this.store, manifest.chunks.map((c) => c.id));
    for (const chunk of manifest.chunks) out.push(await this.file(chunk.id));
    return out;
  }

  async file(id: ChunkId): Promise<string> {
    const target = path.join(this.dir, id.slice(0, 2), `${id}.parquet`);
    if (fs.existsSync(target)) return target;
    // A repository with a chunk store: its chunk files are the cache already.
    const stored = await localChunkFile(this.store, id as unknown as ObjectId);
    if (stored) return stored;
    const bytes = await this.store.readTyped(id as unknown as ObjectId, 'blob');
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const temp = `${target}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
    fs.writeFileSync(temp, bytes);
    fs.renameSync(temp, target);
    return target;
  }
}
