import fs from 'node:fs';
import { hashObject, type ObjectId } from '../store/object-store.js';
import { INDEX_MODE, type IndexEntry } from './git-index.js';
import type { BlobEntry } from './tree-changes.js';

/** A file in the working directory as lstat sees it, with nanosecond times. */
export type FileStat = fs.BigIntStats;

const NANOSECONDS = 1_000_000_000n;
const LOW_32_BITS = 0xffffffffn;

export function lstatIfExists(file: fs.PathLike): FileStat | undefined {
  try {
    return fs.lstatSync(file, { bigint: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // ENOTDIR: an ancestor is a file, so this path cannot exist.
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}

/** The index mode number of a tree entry mode. */
export function indexMode(mode: BlobEntry['mode']): number {
  return Number.parseInt(mode, 8);
}

/** Whether a file on disk has the type (and, for files, the executable bit) that a tree mode asks for. */
export function hasMode(mode: BlobEntry['mode'], stat: FileStat): boolean {
  switch (mode) {
    case '120000':
      return stat.isSymbolicLink();
    case '160000':
      return stat.isDirectory();
    default:
      return stat.isFile() && ((stat.mode & 0o100n) !== 0n) === (mode === '100755');
  }
}

/**
 * Git's cheap "unchanged" test (ce_match_stat_basic): same type, executable bit,
 * times, inode, owner and size as the index recorded. The device is ignored, as
 * git does unless built with USE_STDEV, since it is unstable on network file systems.
 */
export function statMatchesEntry(entry: IndexEntry, stat: FileStat): boolean {
  const fresh = statData(stat);
  const type = entry.mode & 0o170000;
  const typeMatches =
    type === INDEX_MODE.symlink ? stat.isSymbolicLink()
    : type === INDEX_MODE.gitlink ? stat.isDirectory()
    : stat.isFile() && ((stat.mode & 0o100n) !== 0n) === (entry.mode === INDEX_MODE.executable);
  return (
    typeMatches &&
    entry.mtimeSeconds === fresh.mtimeSeconds &&
    entry.mtimeNanoseconds === fresh.mtimeNanoseconds &&
    entry.ctimeSeconds === fresh.ctimeSeconds &&
    entry.ctimeNanoseconds === fresh.ctimeNanoseconds &&
    entry.ino === fresh.ino &&
    entry.uid === fresh.uid &&
    entry.gid === fresh.gid &&
    entry.size === fresh.size
  );
}

/** The blob id of a file or symlink as it is on disk (no clean filters or line-ending conversion). */
export function hashWorktreeFile(file: fs.PathLike, stat: FileStat): ObjectId {
  const content = stat.isSymbolicLink() ? fs.readlinkSync(file, { encoding: 'buffer' }) : fs.readFileSync(file);
  return hashObject('blob', content);
}

/** A fresh index entry for a path just written from `blob`. */
export function indexEntryFor(path: Buffer, blob: BlobEntry, stat: FileStat): IndexEntry {
  return { ...statData(stat), mode: indexMode(blob.mode), oid: blob.oid, stage: 0, assumeValid: false, extendedFlags: 0, path };
}

/** An entry git must verify by content: zero stat data never matches a file. */
export function unverifiedIndexEntry(path: Buffer, blob: BlobEntry): IndexEntry {
  return {
    ctimeSeconds: 0, ctimeNanoseconds: 0, mtimeSeconds: 0, mtimeNanoseconds: 0,
    dev: 0, ino: 0, uid: 0, gid: 0, size: 0,
    mode: indexMode(blob.mode), oid: blob.oid, stage: 0, assumeValid: false, extendedFlags: 0, path,
  };
}

function statData(stat: FileStat) {
  return {
    ctimeSeconds: low32(stat.ctimeNs / NANOSECONDS),
    ctimeNanoseconds: Number(stat.ctimeNs % NANOSECONDS),
    mtimeSeconds: low32(stat.mtimeNs / NANOSECONDS),
    mtimeNanoseconds: Number(stat.mtimeNs % NANOSECONDS),
    dev: low32(stat.dev),
    ino: low32(stat.ino),
    uid: low32(stat.uid),
    gid: low32(stat.gid),
    size: low32(stat.size),
  };
}

/** Git keeps 32 bits of each stat field. */
function low32(value: bigint): number {
  return Number(value & LOW_32_BITS);
}
