import fs from 'node:fs';
import git from 'isomorphic-git';
import { z } from 'zod';
import { CorruptError, DgitError } from '../errors/index.js';
import type { Repository } from '../repository/repository.js';
import type { ObjectId } from '../store/object-store.js';
import type { CommitId } from '../store/revision.js';
import { ChunkCollector } from './chunk-reachability.js';
import { remoteChunkStore } from './chunk-source.js';

/** The collector's marks, beside the chunks: when each unreferenced chunk was first seen unreferenced. */
export const GC_STATE_OBJECT = 'gc-state.json';

const GcStateSchema = z.object({ version: z.literal(1), marked: z.record(z.string().regex(/^[0-9a-f]{40}$/), z.string()) });

/** Default grace period: a chunk must stay unreferenced this long, seen by two runs, before it goes. */
export const DEFAULT_GRACE_MS = 7 * 24 * 3600 * 1000;

export interface GcOptions {
  /** Milliseconds; default 7 days. */
  graceMs?: number;
  /** The clock (tests pass one; the bucket's LastModified is compared with it). */
  now?: Date;
  /** Report what would go, delete nothing, write no marks. */
  dryRun?: boolean;
}

export interface GcOutcome {
  store: string;
  /** Chunk objects in the bucket before the run. */
  chunks: number;
  /** Chunk ids referenced by the refs and working sets this clone sees. */
  referenced: number;
  /** Unreferenced chunks marked now or earlier, kept until their grace period is over. */
  marked: number;
  /** Deleted by this run (or that would be, with dryRun). */
  deleted: string[];
  bytesFreed: number;
}

/**
 * Delete chunks nothing references, never one a push in flight may still need.
 *
 * The protocol: a push uploads chunks first and moves the ref after, so a chunk
 * can legitimately be unreferenced for as long as a push takes. A run of `gc`
 * lists the bucket, then reads every ref (run `dgit fetch` first: the remote's
 * branches and tags as `refs/remotes/*`, plus this clone's refs and working
 * sets) and marks each unreferenced chunk with the time it was first seen so
 * (`gc-state.json` beside the chunks). A chunk is deleted only when it is still
 * unreferenced, was marked at least the grace period ago by an earlier run, and
 * its object is itself older than the grace period. A chunk referenced again loses
 * its mark. A push that finds a chunk already there (rather than creating it)
 * looks again after its ref moved and re-uploads it if a sweep took it (see
 * `recheckFoundChunks`). What remains: a push must finish within the grace period.
 */
export async function collectGarbage(repository: Repository, options: GcOptions = {}): Promise<GcOutcome> {
  const local = repository.store.localChunks;
  if (!local) throw new DgitError('UNSUPPORTED', 'this repository keeps its chunks in git (git gc collects them); `dgit gc` is for a chunk store (dgit remote add NAME URL --chunks s3://bucket/prefix)', repository.dir);
  const graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
  const now = options.now ?? new Date();
  const remote = await remoteChunkStore(local.location);
  const stored = [];
  for await (const chunk of remote.list()) stored.push(chunk);
  const referenced = await referencedChunks(repository);
  const state = parseState(await remote.readState(GC_STATE_OBJECT), `${local.location.url}/${GC_STATE_OBJECT}`);
  const marked: Record<string, string> = {};
  const deleted: string[] = [];
  let bytesFreed = 0;
  for (const chunk of stored) {
    if (referenced.has(chunk.id)) continue;
    const markedAt = state.marked[chunk.id];
    const expired = (at: Date) => now.getTime() - at.getTime() >= graceMs;
    if (markedAt !== undefined && expired(new Date(markedAt)) && expired(chunk.lastModified)) {
      deleted.push(chunk.id);
      bytesFreed += chunk.size;
    } else marked[chunk.id] = markedAt ?? now.toISOString();
  }
  if (!options.dryRun) {
    // Marks first: a run that dies after deleting still leaves the marks of what it kept.
    await remote.writeState(GC_STATE_OBJECT, { version: 1, marked });
    await remote.delete(deleted);
    // The local copies are kept: a local commit may still need them, and they cost no bucket space.
  }
  return { store: local.location.url, chunks: stored.length, referenced: referenced.size, marked: Object.keys(marked).length, deleted, bytesFreed };
}

function parseState(value: unknown, where: string): z.infer<typeof GcStateSchema> {
  if (value === undefined) return { version: 1, marked: {} };
  const parsed = GcStateSchema.safeParse(value);
  if (!parsed.success) throw new CorruptError(`the collector's state is invalid: ${parsed.error.issues[0]?.message ?? ''}`, where);
  return parsed.data;
}

/** Chunk ids named by every commit reachable from any ref (branches, tags, remote-tracking, refs/dgit) and by every working set. */
async function referencedChunks(repository: Repository): Promise<Set<string>> {
  const collector = new ChunkCollector(repository, { all: true });
  const tips = new Set<string>();
  for (const ref of await git.listRefs({ fs, gitdir: repository.gitdir, filepath: 'refs' })) {
    const id = await repository.refs.resolve(`refs/${ref}`);
    if (id) tips.add(id);
  }
  const head = await repository.refs.resolve('HEAD');
  if (head) tips.add(head);
  const seen = new Set<string>();
  const queue = [...tips];
  while (queue.length > 0) {
    const id = queue.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    const object = await repository.store.read(id as ObjectId);
    if (object.type === 'tag') {
      const target = /^object ([0-9a-f]{40})/.exec(Buffer.from(object.content).toString('latin1'))?.[1];
      if (target) queue.push(target);
      continue;
    }
    if (object.type !== 'commit') continue;
    const commit = await repository.readCommit(id as CommitId);
    await collector.addTree(commit.tree);
    for (const parent of commit.parents) queue.push(parent);
  }
  for (const branch of await repository.refs.listBranches()) {
    const working = await repository.workingSets.read(branch);
    if (working) await collector.addTree(working.tree);
    // A merge in progress keeps the working set it started from, to restore on --abort.
    const merging = await repository.merges.read(branch);
    if (merging?.before) await collector.addTree(merging.before.tree);
  }
  return collector.ids;
}
