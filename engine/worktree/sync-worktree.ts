import fs from 'node:fs';
import { traceWrite } from '../store/write-trace.js';
import path from 'node:path';
import crypto from 'node:crypto';
import { DgitError } from '../errors/index.js';
import type { Progress } from '../progress.js';
import type { ObjectId, ObjectStore } from '../store/object-store.js';
import { compareIndexEntries, INDEX_MODE, parseIndex, serializeIndex, type IndexEntry } from './git-index.js';
import { IndexLock } from './index-lock.js';
import { changedPaths, type BlobEntry, type PathChange } from './tree-changes.js';
import {
  hashWorktreeFile,
  hasMode,
  indexEntryFor,
  indexMode,
  lstatIfExists,
  statMatchesEntry,
  unverifiedIndexEntry,
  type FileStat,
} from './worktree-file.js';

/** What a sync did to the working directory. */
export interface SyncResult {
  /** Files, symlinks and submodule directories written. */
  written: number;
  /** Files and symlinks deleted because they left the tree. */
  removed: number;
}

export interface SyncOptions {
  /** The working directory. */
  dir: string;
  /** The git directory whose `index` describes `dir`. */
  gitdir: string;
  store: ObjectStore;
  /** The tree the working directory and index match now; undefined for an empty tree (fresh repository). */
  from: ObjectId | undefined;
  to: ObjectId;
  /** Told as files are written. */
  progress?: Progress;
}

/**
 * Make the working directory and git's index match tree `to`, given that they
 * matched tree `from` (undefined: an empty tree / fresh repo). Only paths whose
 * blob differs between the two trees are written or removed; index entries for
 * all other paths are kept as they are (including files dgit does not manage).
 *
 * Holds git's `index.lock` throughout, as `git checkout` does. Every check runs
 * before anything is written: a file the user changed, staged or left untracked
 * where the tree needs the path raises UNCOMMITTED_CHANGES and leaves disk and
 * index as they were. Files are replaced atomically (temp file + rename) but, as
 * git does for working files, not fsynced: they are a mirror of objects that are
 * already durable; the index is fsynced before it is renamed into place.
 *
 * Not supported, by choice: clean/smudge filters, `core.autocrlf` and other
 * `.gitattributes` conversions (files are the blobs' bytes); sparse checkout
 * (skip-worktree entries are kept, but a changed path is written regardless);
 * case-insensitive file systems. Optional index extensions (TREE, UNTR, FSMN,
 * REUC, EOIE, IEOT) are dropped and git rebuilds them; an index of version 4, a
 * split index or one with another required extension is rebuilt from `to`, which
 * loses the entries of paths outside `to` (their files stay, as untracked).
 */
export async function syncWorktree(options: SyncOptions): Promise<SyncResult> {
  const { dir, gitdir, store, from, to } = options;
  if (from === to) return { written: 0, removed: 0 };
  const lock = IndexLock.acquire(gitdir);
  try {
    const index = readCurrentIndex(lock.indexPath);
    const changes = await changedPaths(store, from, to);
    // Without a usable index every path of `to` needs an entry, so read the whole tree now, before any write.
    const everyPathOfTo = index.kind === 'entries' ? [] : from === undefined ? changes : await changedPaths(store, undefined, to);
    fs.mkdirSync(dir, { recursive: true });
    const plan = planChanges(dir, changes, index);
    const removed = removeFiles(dir, plan);
    const written = await writeFiles(store, plan, options.progress);
    const entries = index.kind === 'entries' ? updateIndexEntries(dir, index, plan) : rebuildIndexEntries(dir, everyPathOfTo, plan);
    lock.commit(serializeIndex(entries));
    return { written, removed };
  } finally {
    lock.release();
  }
}

/** Fill an empty working directory and index from tree `to`. */
export async function checkoutTree(options: Omit<SyncOptions, 'from'>): Promise<SyncResult> {
  return syncWorktree({ ...options, from: undefined });
}

/** An index read under the lock whose entries can be updated in place. */
interface UsableIndex {
  kind: 'entries';
  /** In git's order. */
  entries: IndexEntry[];
  byKey: Map<string, IndexEntry[]>;
  /** The index file's mtime: entries modified in or after that second are "racily clean" and must be hashed. */
  mtimeSeconds: number;
}

/** The index as read under the lock: usable, or to be rebuilt from the tree (missing, version 4, split). */
type CurrentIndex = UsableIndex | { kind: 'rebuild'; reason: string };

function readCurrentIndex(indexPath: string): CurrentIndex {
  let content: Buffer;
  let stat: fs.Stats;
  try {
    content = fs.readFileSync(indexPath);
    stat = fs.statSync(indexPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'rebuild', reason: 'no index' };
    throw error;
  }
  const parsed = parseIndex(content, indexPath);
  if (parsed.kind === 'rebuild') return parsed;
  const byKey = new Map<string, IndexEntry[]>();
  for (const entry of parsed.entries) {
    const key = keyOfBytes(entry.path);
    const list = byKey.get(key);
    if (list) list.push(entry);
    else byKey.set(key, [entry]);
  }
  return { kind: 'entries', entries: parsed.entries, byKey, mtimeSeconds: Math.floor(stat.mtimeMs / 1000) };
}

/** Index paths are bytes; a latin1 string of them is a lossless map key. */
function keyOfBytes(bytes: Buffer): string {
  return bytes.toString('latin1');
}

/** What to do with one changed path, decided before anything is written. */
interface PlannedChange extends PathChange {
  absolute: string;
  pathBytes: Buffer;
  key: string;
  /** write: put `after` on disk; inPlace: disk already holds `after`; remove: delete what `before` left; none: nothing on disk. */
  action: 'write' | 'inPlace' | 'remove' | 'none';
}

function planChanges(dir: string, changes: readonly PathChange[], index: CurrentIndex): PlannedChange[] {
  const leaving = new Set<string>();
  for (const change of changes) if (change.before) leaving.add(change.path);
  const ancestorChecked = new Set<string>();
  return changes.map((change) => {
    const pathBytes = Buffer.from(change.path, 'utf8');
    const planned: PlannedChange = {
      ...change,
      absolute: path.join(dir, ...change.path.split('/')),
      pathBytes,
      key: keyOfBytes(pathBytes),
      action: 'none',
    };
    if (index.kind === 'entries') checkIndex(planned, index, leaving);
    if (change.after) checkAncestors(dir, change.path, leaving, ancestorChecked);
    const onDisk = classifyDisk(planned, index, leaving);
    if (change.after) planned.action = onDisk === 'after' ? 'inPlace' : 'write';
    else planned.action = onDisk === 'absent' ? 'none' : 'remove';
    return planned;
  });
}

function uncommitted(pathName: string, why: string): DgitError {
  return new DgitError(
    'UNCOMMITTED_CHANGES',
    `${pathName}: ${why}; the working directory was left as it was (commit, move or discard the change first)`,
    pathName,
  );
}

/** The index must hold `before` (or already `after`) at a changed path, with no conflict and no staged file in the way. */
function checkIndex(change: PlannedChange, index: UsableIndex, leaving: Set<string>): void {
  const entries = index.byKey.get(change.key) ?? [];
  if (entries.some((entry) => entry.stage !== 0)) throw uncommitted(change.path, 'has an unresolved merge conflict in the git index');
  const staged = entries[0];
  if (staged && staged.oid !== change.before?.oid && staged.oid !== change.after?.oid) {
    throw uncommitted(change.path, 'has changes staged in the git index');
  }
  if (!change.after) return;
  // A file cannot also be a directory: a staged file on an ancestor path, or staged files below this one, block it.
  const parts = change.path.split('/');
  for (let depth = 1; depth < parts.length; depth++) {
    const ancestor = parts.slice(0, depth).join('/');
    if (index.byKey.has(keyOfBytes(Buffer.from(ancestor, 'utf8'))) && !leaving.has(ancestor)) {
      throw uncommitted(ancestor, `is staged as a file in the git index but ${change.path} needs it to be a directory`);
    }
  }
  const prefix = Buffer.from(`${change.path}/`, 'utf8');
  for (let at = lowerBound(index.entries, prefix); at < index.entries.length; at++) {
    const entry = index.entries[at]!;
    if (!startsWith(entry.path, prefix)) break;
    if (!leaving.has(entry.path.toString('utf8'))) {
      throw uncommitted(entry.path.toString('utf8'), `is staged in the git index but ${change.path} needs to be a file`);
    }
  }
}

/** Every directory on the way to a new file must be a directory already, absent, or a file this sync removes. */
function checkAncestors(dir: string, pathName: string, leaving: Set<string>, checked: Set<string>): void {
  const parts = pathName.split('/');
  for (let depth = 1; depth < parts.length; depth++) {
    const ancestor = parts.slice(0, depth).join('/');
    if (checked.has(ancestor)) continue;
    const stat = lstatIfExists(path.join(dir, ...parts.slice(0, depth)));
    checked.add(ancestor);
    if (stat === undefined) return; // nothing deeper can exist either
    if (!stat.isDirectory() && !leaving.has(ancestor)) {
      throw uncommitted(ancestor, `is an untracked ${stat.isSymbolicLink() ? 'symlink' : 'file'} where ${pathName} needs a directory`);
    }
  }
}

/**
 * What the working directory holds at a changed path: nothing, the `before`
 * version (safe to replace) or already the `after` version. Anything else is the
 * user's and raises UNCOMMITTED_CHANGES. Cheap in the usual case: when the index
 * entry's stat data still match, the file is `before` without being read.
 */
function classifyDisk(change: PlannedChange, index: CurrentIndex, leaving: Set<string>): 'absent' | 'before' | 'after' {
  const stat = lstatIfExists(change.absolute);
  if (stat === undefined) return 'absent';
  const { before, after } = change;

  if (stat.isDirectory()) {
    if (after?.mode === '160000') return 'after'; // a submodule's directory; its content is the submodule's business
    if (before?.mode === '160000') {
      if (after && !isEmptyDirectory(change.absolute)) throw uncommitted(change.path, `is a populated submodule; ${after.mode} file cannot replace it`);
      return 'before';
    }
    if (before) throw uncommitted(change.path, 'was replaced by a directory');
    // The path was a directory in `from` and becomes a file: it must hold nothing but files this sync removes.
    const stray = firstFileOutside(change.absolute, change.path, leaving);
    if (stray !== undefined) throw uncommitted(stray, `is untracked and in the way of ${change.path}`);
    return 'before';
  }

  if (index.kind === 'entries' && before && before.mode !== '160000') {
    const entry = index.byKey.get(change.key)?.[0];
    if (
      entry &&
      entry.oid === before.oid &&
      entry.mode === indexMode(before.mode) &&
      entry.mtimeSeconds < index.mtimeSeconds &&
      statMatchesEntry(entry, stat)
    ) {
      return 'before';
    }
  }
  const oid = hashWorktreeFile(change.absolute, stat);
  if (before && before.mode !== '160000' && oid === before.oid) return 'before';
  if (after && after.mode !== '160000' && oid === after.oid) return hasMode(after.mode, stat) ? 'after' : 'before';
  throw uncommitted(change.path, before ? 'was modified' : 'is untracked and would be overwritten');
}

function isEmptyDirectory(directory: string): boolean {
  return fs.readdirSync(directory).length === 0;
}

/** The first file or symlink under `directory` that is not one this sync removes, or undefined. */
function firstFileOutside(directory: string, relative: string, leaving: Set<string>): string | undefined {
  for (const entry of fs.readdirSync(directory, { withFileTypes: true })) {
    const childRelative = `${relative}/${entry.name}`;
    if (entry.isDirectory()) {
      const stray = firstFileOutside(path.join(directory, entry.name), childRelative, leaving);
      if (stray !== undefined) return stray;
    } else if (!leaving.has(childRelative)) {
      return childRelative;
    }
  }
  return undefined;
}

/** Delete files that left the tree, then the directories that became empty (never the root, never one a new file needs). */
function removeFiles(dir: string, plan: readonly PlannedChange[]): number {
  let removed = 0;
  const emptied = new Set<string>();
  const needed = new Set<string>();
  for (const change of plan) {
    if (change.after) {
      for (let parent = path.dirname(change.absolute); !needed.has(parent) && parent !== path.dirname(parent); parent = path.dirname(parent)) {
        needed.add(parent);
      }
      continue;
    }
    if (change.action !== 'remove') continue;
    if (change.before?.mode === '160000') removeEmptyDirectory(change.absolute);
    else {
      fs.rmSync(change.absolute, { force: true });
      removed++;
    }
    for (const prefix of ancestorsOf(change.path)) emptied.add(prefix);
  }
  const directories = [...emptied]
    .sort((a, b) => b.split('/').length - a.split('/').length)
    .map((relative) => path.join(dir, ...relative.split('/')))
    .filter((directory) => !needed.has(directory));
  for (const directory of directories) removeEmptyDirectory(directory);
  return removed;
}

function ancestorsOf(pathName: string): string[] {
  const parts = pathName.split('/');
  const ancestors: string[] = [];
  for (let depth = 1; depth < parts.length; depth++) ancestors.push(parts.slice(0, depth).join('/'));
  return ancestors;
}

function removeEmptyDirectory(directory: string): void {
  try {
    fs.rmdirSync(directory);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'ENOTDIR') throw error;
  }
}

/** Remove a directory holding only empty directories (what is left where a tree became a file). */
function removeEmptyTree(directory: string): void {
  for (const entry of fs.readdirSync(directory, { withFileTypes: true })) {
    if (entry.isDirectory()) removeEmptyTree(path.join(directory, entry.name));
  }
  fs.rmdirSync(directory);
}

const WRITE_CONCURRENCY = 8;

async function writeFiles(store: ObjectStore, plan: readonly PlannedChange[], progress?: Progress): Promise<number> {
  const writes = plan.filter((change) => change.action === 'write');
  const directories = new Set<string>();
  for (const change of writes) {
    const parent = path.dirname(change.absolute);
    if (!directories.has(parent)) {
      fs.mkdirSync(parent, { recursive: true });
      directories.add(parent);
    }
  }
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < writes.length) {
      const change = writes[next++]!;
      await writeOne(store, change.absolute, change.after!);
      progress?.({ phase: 'Writing files', done: ++done, total: writes.length, unit: 'files' });
    }
  };
  await Promise.all(Array.from({ length: Math.min(WRITE_CONCURRENCY, writes.length) }, worker));
  return writes.length;
}

async function writeOne(store: ObjectStore, absolute: string, blob: BlobEntry): Promise<void> {
  const existing = lstatIfExists(absolute);
  if (blob.mode === '160000') {
    // A submodule is checked out as an empty directory, as git does before `git submodule update`.
    if (existing && !existing.isDirectory()) fs.rmSync(absolute);
    fs.mkdirSync(absolute, { recursive: true });
    return;
  }
  const content = await store.readTyped(blob.oid, 'blob');
  traceWrite('file');
  const temp = path.join(path.dirname(absolute), `.${path.basename(absolute)}.dgit-${process.pid}-${crypto.randomBytes(4).toString('hex')}.tmp`);
  try {
    if (blob.mode === '120000') await fs.promises.symlink(Buffer.from(content), temp);
    // Git's modes: 0777 or 0666, less the umask.
    else await fs.promises.writeFile(temp, content, { flag: 'wx', mode: blob.mode === '100755' ? 0o777 : 0o666 });
    if (existing?.isDirectory()) removeEmptyTree(absolute);
    await fs.promises.rename(temp, absolute);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
}

/** Keep every entry but the changed paths', add fresh ones for the files now on disk, in git's order. */
function updateIndexEntries(dir: string, index: UsableIndex, plan: readonly PlannedChange[]): IndexEntry[] {
  const changedKeys = new Set(plan.map((change) => change.key));
  const kept = index.entries
    .filter((entry) => !changedKeys.has(keyOfBytes(entry.path)))
    .map((entry) => smudgeIfRacilyModified(dir, entry, index.mtimeSeconds));
  const fresh = freshEntries(plan).sort(compareIndexEntries);
  return mergeSorted(kept, fresh);
}

/**
 * A kept entry whose file changed in the same second the old index was written
 * looks clean by stat data alone. Once this newer index exists git would no
 * longer suspect it, so, as git's own index writer does, check the content and
 * zero the size when it differs, which forces git to look.
 */
function smudgeIfRacilyModified(dir: string, entry: IndexEntry, indexMtimeSeconds: number): IndexEntry {
  if (entry.stage !== 0 || entry.mtimeSeconds < indexMtimeSeconds || (entry.mode & 0o170000) === INDEX_MODE.gitlink) return entry;
  const file = Buffer.concat([Buffer.from(`${dir}${path.sep}`, 'utf8'), entry.path]);
  const stat = lstatIfExists(file);
  if (stat === undefined || !statMatchesEntry(entry, stat)) return entry;
  return hashWorktreeFile(file, stat) === entry.oid ? entry : { ...entry, size: 0 };
}

function freshEntries(plan: readonly PlannedChange[]): IndexEntry[] {
  const entries: IndexEntry[] = [];
  for (const change of plan) {
    if (!change.after) continue;
    const stat = lstatIfExists(change.absolute);
    entries.push(stat ? indexEntryFor(change.pathBytes, change.after, stat) : unverifiedIndexEntry(change.pathBytes, change.after));
  }
  return entries;
}

function mergeSorted(a: readonly IndexEntry[], b: readonly IndexEntry[]): IndexEntry[] {
  const merged: IndexEntry[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) merged.push(compareIndexEntries(a[i]!, b[j]!) <= 0 ? a[i++]! : b[j++]!);
  while (i < a.length) merged.push(a[i++]!);
  while (j < b.length) merged.push(b[j++]!);
  return merged;
}

/**
 * A new index for every blob of `to` (when the old one was missing, version 4 or
 * split): fresh stat data for the files just written, and for the others stat
 * data only after their content was checked, else zeros so git rehashes them.
 * Entries for paths outside `to` are lost, since the old index could not be read.
 */
function rebuildIndexEntries(dir: string, all: readonly PathChange[], plan: readonly PlannedChange[]): IndexEntry[] {
  const planned = new Map(plan.map((change) => [change.path, change]));
  const entries: IndexEntry[] = [];
  for (const { path: pathName, after } of all) {
    if (!after) continue;
    const change = planned.get(pathName);
    if (change?.after) {
      entries.push(...freshEntries([change]));
      continue;
    }
    const pathBytes = Buffer.from(pathName, 'utf8');
    const absolute = path.join(dir, ...pathName.split('/'));
    const stat = lstatIfExists(absolute);
    const verified = stat !== undefined && hasMode(after.mode, stat) && (after.mode === '160000' || hashWorktreeFile(absolute, stat) === after.oid);
    entries.push(verified ? indexEntryFor(pathBytes, after, stat as FileStat) : unverifiedIndexEntry(pathBytes, after));
  }
  return entries.sort(compareIndexEntries);
}

function lowerBound(entries: readonly IndexEntry[], prefix: Buffer): number {
  let low = 0;
  let high = entries.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (Buffer.compare(entries[middle]!.path, prefix) < 0) low = middle + 1;
    else high = middle;
  }
  return low;
}

function startsWith(bytes: Buffer, prefix: Buffer): boolean {
  return bytes.length >= prefix.length && bytes.subarray(0, prefix.length).equals(prefix);
}
