import { NotFoundError } from '../errors/index.js';
import type { ObjectId, ObjectStore } from '../store/object-store.js';
import type { ChunkStoreLocation } from './chunk-store-url.js';
import type { LocalChunkStore } from './local-chunk-store.js';
import type { S3ChunkStore } from './s3-chunk-store.js';

/** One client per bucket and process (the SDK is loaded only when a chunk must come from a bucket). */
const remotes = new Map<string, Promise<S3ChunkStore>>();

/** The process's client of a chunk store; tests read its `counts`. */
export function remoteChunkStore(location: ChunkStoreLocation): Promise<S3ChunkStore> {
  let remote = remotes.get(location.url);
  if (!remote) {
    remote = import('./s3-chunk-store.js').then(({ S3ChunkStore }) => new S3ChunkStore(location));
    remotes.set(location.url, remote);
  }
  return remote;
}

/** Forget the clients made so far (tests that change the environment's credentials). */
export function resetRemoteChunkStores(): void {
  for (const remote of remotes.values()) void remote.then((store) => store.close());
  remotes.clear();
}

/** Downloads of the same chunk by concurrent readers in this process share one request. */
const inFlight = new Map<string, Promise<void>>();

/**
 * Make sure a chunk is in the local chunk store, downloading it (verified
 * against its id) when it is not. A chunk git has is never looked for here.
 */
export async function ensureLocalChunk(local: LocalChunkStore, id: string): Promise<void> {
  if (local.has(id)) return;
  let pending = inFlight.get(id);
  if (!pending) {
    pending = (async () => {
      const remote = await remoteChunkStore(local.location);
      local.writeVerified(id, await remote.get(id), remote.url(id));
    })().finally(() => inFlight.delete(id));
    inFlight.set(id, pending);
  }
  await pending;
}

/**
 * The bytes of a chunk from wherever this repository keeps it: git's object
 * database first (chunks of commits made before the repository moved its chunks
 * out, or of a repository that never did), then the local chunk store, then the
 * bucket, whose copy lands in the local store for next time.
 */
export async function readChunkBytes(store: ObjectStore, id: ObjectId): Promise<Uint8Array> {
  const local = store.localChunks;
  if (!local || store.hasStored(id)) {
    return store.readTyped(id, 'blob').catch((error: unknown) => {
      if (!local && error instanceof NotFoundError) {
        // A plain `git clone` of a repository whose chunks live in a bucket: say how to reach them.
        throw new NotFoundError(`chunk ${id} (not in git; if dgit.yml names storage.chunks, run \`dgit remote chunks s3://...\` with that URL to fetch chunks from the bucket)`, id);
      }
      throw error;
    });
  }
  const bytes = local.read(id);
  if (bytes) return bytes;
  if (await store.has(id)) return store.readTyped(id, 'blob');
  await ensureLocalChunk(local, id);
  return local.read(id)!;
}

/**
 * The path of a chunk's file in the local chunk store (fetched if needed), or
 * undefined when the repository keeps chunks in git or git has this one.
 */
export async function localChunkFile(store: ObjectStore, id: ObjectId): Promise<string | undefined> {
  const local = store.localChunks;
  if (!local || store.hasStored(id)) return undefined;
  if (!local.has(id)) {
    if (await store.has(id)) return undefined;
    await ensureLocalChunk(local, id);
  }
  return local.path(id);
}

/** Fetch the chunks among `ids` that are neither in git nor local, `concurrency` at a time. */
export async function prefetchChunks(store: ObjectStore, ids: Iterable<string>, concurrency = 32): Promise<number> {
  const local = store.localChunks;
  if (!local) return 0;
  const missing = [...new Set(ids)].filter((id) => !local.has(id) && !store.hasStored(id as ObjectId));
  let next = 0;
  const worker = async () => {
    while (next < missing.length) await ensureLocalChunk(local, missing[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, missing.length) }, worker));
  return missing.length;
}
