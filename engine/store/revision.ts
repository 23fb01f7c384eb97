import fs from 'node:fs';
import { InvalidInputError, NoSuchRevisionError, UnknownNameError } from '../errors/index.js';
import { parseCommit } from './git-objects.js';
import { isObjectId, type ObjectId, type ObjectStore } from './object-store.js';
import type { RefStore } from './ref-store.js';

/** A commit id, told apart from other object ids by the type system. */
export type CommitId = ObjectId & { readonly __commit: true };

/**
 * Resolve what git calls a revision to a commit: `HEAD`, a branch, a tag (annotated
 * tags peeled), a full or abbreviated id, a full ref name, each followed by any
 * number of `~N`, `^N` or `^`.
 */
export async function resolveRevision(store: ObjectStore, refs: RefStore, rev: string): Promise<CommitId> {
  const match = /^(.*?)((?:[~^]\d*)*)$/.exec(rev);
  const base = match?.[1] ?? '';
  const suffix = match?.[2] ?? '';
  if (base === '' || /[\u0000-\u001f\s]/.test(base) || base.includes('..')) throw await unknownRevision(refs, rev);
  let id = await resolveBase(store, refs, base, rev);
  // How the user would spell `id`, to say where a walk past the root stopped.
  let reached = base;
  for (const step of suffix.matchAll(/([~^])(\d*)/g)) {
    const count = step[2] === '' ? 1 : Number(step[2]);
    if (step[1] === '~') {
      for (let i = 0; i < count; i++) id = await parent(store, id, 1, rev, i === 0 ? reached : `${reached}~${i}`);
    } else if (count > 0) {
      id = await parent(store, id, count, rev, reached);
    }
    reached += step[0];
  }
  return id;
}

async function resolveBase(store: ObjectStore, refs: RefStore, base: string, rev: string): Promise<CommitId> {
  const candidates = base === 'HEAD' ? ['HEAD'] : base.startsWith('refs/') ? [base] : [`refs/heads/${base}`, `refs/tags/${base}`, `refs/remotes/${base}`];
  for (const ref of candidates) {
    const id = await refs.resolve(ref);
    if (id) return peelToCommit(store, id, rev);
  }
  if (isObjectId(base) && (await store.has(base))) return peelToCommit(store, base, rev);
  if (/^[0-9a-f]{4,39}$/.test(base)) {
    try {
      const oid = (await (await import('isomorphic-git')).default.expandOid({ fs, gitdir: store.gitdir, oid: base })) as ObjectId;
      return peelToCommit(store, oid, rev);
    } catch (error) {
      if ((error as { code?: string }).code === 'AmbiguousError') throw new InvalidInputError(`revision ${base} is ambiguous`, rev);
    }
  }
  throw await unknownRevision(refs, rev);
}

/** The error for a revision that names nothing, listing the branches and tags there are. */
async function unknownRevision(refs: RefStore, rev: string): Promise<UnknownNameError> {
  const names = [...(await refs.listBranches()), ...(await refs.listTags())];
  return new UnknownNameError('revision', rev, names, undefined, 'branches and tags');
}

async function peelToCommit(store: ObjectStore, oid: ObjectId, rev: string): Promise<CommitId> {
  let current = oid;
  for (let depth = 0; depth < 10; depth++) {
    const object = await store.read(current);
    if (object.type === 'commit') return current as CommitId;
    if (object.type !== 'tag') break;
    const target = /^object ([0-9a-f]{40})$/m.exec(Buffer.from(object.content).toString('utf8'));
    if (!target) break;
    current = target[1] as ObjectId;
  }
  throw new InvalidInputError(`revision ${JSON.stringify(rev)} does not name a commit`, rev);
}

/** The `n`th parent of `id` (spelled `reached` in `rev`), or no such revision, saying where history ends. */
async function parent(store: ObjectStore, id: CommitId, n: number, rev: string, reached: string): Promise<CommitId> {
  const parents = parseCommit(await store.readTyped(id, 'commit'), id).parents;
  const found = parents[n - 1];
  if (found) return found as CommitId;
  const commit = reached === id ? id.slice(0, 12) : `${reached} (${id.slice(0, 12)})`;
  throw new NoSuchRevisionError(rev, parents.length === 0 ? `${commit} is the root commit` : `${commit} has ${parents.length === 1 ? 'one parent' : `${parents.length} parents`}`);
}
