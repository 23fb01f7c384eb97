import { CorruptError } from '../errors/index.js';
import { parseTree, type TreeEntry } from '../store/git-objects.js';
import type { ObjectId, ObjectStore } from '../store/object-store.js';

/** A non-directory tree entry: a file, an executable, a symlink or a gitlink (submodule commit). */
export interface BlobEntry {
  mode: Exclude<TreeEntry['mode'], '40000'>;
  oid: ObjectId;
}

/** One path whose entry differs between two trees; `before` or `after` is absent when the path is added or removed. */
export interface PathChange {
  /** '/'-separated, relative to the root of the trees. */
  path: string;
  before?: BlobEntry;
  after?: BlobEntry;
}

/**
 * Every path whose blob (or mode) differs between trees `from` and `to`
 * (undefined: the empty tree). Subtrees with equal ids are skipped without being
 * read, so the cost grows with the change, not with the trees: one changed chunk
 * among thousands reads only the trees on its path. A path that turns from a file
 * into a directory (or back) appears as the file's removal plus the directory's
 * files' additions.
 */
export async function changedPaths(store: ObjectStore, from: ObjectId | undefined, to: ObjectId | undefined): Promise<PathChange[]> {
  const changes: PathChange[] = [];
  await diffSubtrees(store, '', from, to, changes);
  return changes;
}

async function diffSubtrees(
  store: ObjectStore,
  prefix: string,
  from: ObjectId | undefined,
  to: ObjectId | undefined,
  changes: PathChange[],
): Promise<void> {
  if (from === to) return;
  const [before, after] = await Promise.all([readEntries(store, from, prefix), readEntries(store, to, prefix)]);
  const names = [...new Set([...before.keys(), ...after.keys()])].sort();
  for (const name of names) {
    const old = before.get(name);
    const next = after.get(name);
    if (old && next && old.mode === next.mode && old.oid === next.oid) continue;
    const path = prefix + name;
    const oldBlob = old && old.mode !== '40000' ? { mode: old.mode, oid: old.oid } : undefined;
    const nextBlob = next && next.mode !== '40000' ? { mode: next.mode, oid: next.oid } : undefined;
    if (oldBlob || nextBlob) changes.push({ path, ...(oldBlob && { before: oldBlob }), ...(nextBlob && { after: nextBlob }) });
    const oldTree = old?.mode === '40000' ? old.oid : undefined;
    const nextTree = next?.mode === '40000' ? next.oid : undefined;
    if (oldTree || nextTree) await diffSubtrees(store, `${path}/`, oldTree, nextTree, changes);
  }
}

async function readEntries(store: ObjectStore, oid: ObjectId | undefined, prefix: string): Promise<Map<string, TreeEntry>> {
  const entries = new Map<string, TreeEntry>();
  if (oid === undefined) return entries;
  for (const entry of parseTree(await store.readTyped(oid, 'tree'), oid)) {
    checkPathComponent(entry.name, prefix, oid);
    entries.set(entry.name, entry);
  }
  return entries;
}

/**
 * Refuse names that would let a tree write outside its directory or into `.git`
 * (the rules of git's verify_path, which `git fsck` enforces too).
 */
function checkPathComponent(name: string, prefix: string, tree: ObjectId): void {
  if (name === '' || name === '.' || name === '..' || name.toLowerCase() === '.git' || name.includes('/') || name.includes('\0')) {
    throw new CorruptError(`tree ${tree} has an entry named ${JSON.stringify(prefix + name)} that cannot be checked out`, tree);
  }
}
