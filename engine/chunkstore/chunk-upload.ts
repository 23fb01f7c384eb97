import crypto from 'node:crypto';
import { DgitError } from '../errors/index.js';
import type { Repository } from '../repository/repository.js';
import type { ObjectId } from '../store/object-store.js';
import type { CommitId } from '../store/revision.js';
import { readChunkBytes, remoteChunkStore } from './chunk-source.js';
import { ChunkCollector } from './chunk-reachability.js';
import { commitsBetween } from '../repository/commit-walk.js';
import type { S3ChunkStore } from './s3-chunk-store.js';

/** What a push did in the chunk store. */
export interface ChunkUpload {
  /** The bucket, `s3://bucket/prefix`. */
  store: string;
  /** Chunks the pushed commits need that the remote branch did not already reference. */
  needed: number;
  /** Created by this push. */
  created: number;
  /** Already in the bucket (same size and MD5), left untouched. */
  existed: number;
  bytesUploaded: number;
  /** The chunks found already there: a push checks them again after its ref moved (see `recheckFoundChunks`). */
  found: string[];
}

/** Above this many chunks one listing of the bucket is cheaper than a conditional PUT each. */
const LIST_THRESHOLD = 256;
/** Uploads in flight at once. */
const UPLOAD_CONCURRENCY = 32;

/**
 * Put in the bucket every chunk that the commits from `head` back to `known`
 * (commits the remote already has: its branch's tip) name through tables kept
 * in the chunk store, before any ref moves. Chunks of `known`'s own tree are
 * skipped: the remote references them, so they are there (the collector never
 * deletes a referenced chunk). Each upload is a conditional create, verified
 * (see S3ChunkStore.put); any failure throws and the caller must not move a ref.
 */
export async function uploadCommitChunks(repository: Repository, head: CommitId, known: readonly CommitId[]): Promise<ChunkUpload | undefined> {
  const local = repository.store.localChunks;
  if (!local) return undefined;
  const remote = await remoteChunkStore(local.location);
  const needed = new ChunkCollector(repository);
  for (const id of await commitsBetween(repository, [head], known)) await needed.addCommit(id);
  const present = new ChunkCollector(repository);
  for (const id of known) if (await repository.store.has(id)) await present.addCommit(id);
  const ids = [...needed.ids].filter((id) => !present.ids.has(id)).sort();
  const outcome: ChunkUpload = { store: local.location.url, needed: ids.length, created: 0, existed: 0, bytesUploaded: 0, found: [] };
  const listed = ids.length > LIST_THRESHOLD ? await listedSizes(remote) : undefined;
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++];
      const bytes = await readChunkBytes(repository.store, id as ObjectId).catch((error: unknown) => {
        throw new DgitError('NOT_FOUND', `chunk ${id} is needed by the pushed commits but is neither in git nor in the local chunk store, so it cannot be uploaded`, local.path(id), { cause: error });
      });
      const seen = listed?.get(id);
      if (seen && seen.size === bytes.length && (!seen.etag || !/^[0-9a-f]{32}$/.test(seen.etag) || seen.etag === crypto.createHash('md5').update(bytes).digest('hex'))) {
        outcome.existed++;
        outcome.found.push(id);
        continue;
      }
      const result = await remote.put(id, bytes);
      if (result === 'created') {
        outcome.created++;
        outcome.bytesUploaded += bytes.length;
      } else {
        outcome.existed++;
        outcome.found.push(id);
      }
    }
  };
  // Many small objects: the round trips, not the bandwidth, bound an upload.
  await Promise.all(Array.from({ length: Math.min(UPLOAD_CONCURRENCY, ids.length) }, worker));
  return outcome;
}

async function listedSizes(remote: S3ChunkStore): Promise<Map<string, { size: number; etag: string | undefined }>> {
  const sizes = new Map<string, { size: number; etag: string | undefined }>();
  for await (const chunk of remote.list()) sizes.set(chunk.id, { size: chunk.size, etag: chunk.etag });
  return sizes;
}

/**
 * After the ref moved: the chunks a push found already in the bucket (rather than
 * created) are looked up again and uploaded anew if a collector deleted one in
 * between. That closes the one window the grace period leaves open: an
 * unreferenced chunk, marked long ago, found by this push just before a sweep.
 * Returns how many had to be uploaded again.
 */
export async function recheckFoundChunks(repository: Repository, upload: ChunkUpload): Promise<number> {
  const local = repository.store.localChunks;
  if (!local || upload.found.length === 0) return 0;
  const remote = await remoteChunkStore(local.location);
  let restored = 0;
  for (const id of upload.found) {
    if (await remote.head(id)) continue;
    await remote.put(id, await readChunkBytes(repository.store, id as ObjectId));
    restored++;
  }
  return restored;
}
