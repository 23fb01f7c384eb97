import crypto from 'node:crypto';
import { CorruptError } from '../errors/index.js';
import type { ObjectId } from '../store/object-store.js';

/**
 * Git's index file (`.git/index`), versions 2 and 3, as documented in git's
 * `Documentation/gitformat-index.txt`: a "DIRC" header, entries sorted by path
 * bytes then stage, optional extensions, and a SHA-1 of everything before it.
 */

/** One index entry: the stat data git compares to decide, without hashing, that a file is unchanged. */
export interface IndexEntry {
  ctimeSeconds: number;
  ctimeNanoseconds: number;
  mtimeSeconds: number;
  mtimeNanoseconds: number;
  dev: number;
  ino: number;
  /** Type and permission bits as git stores them: 0o100644, 0o100755, 0o120000 or 0o160000. */
  mode: number;
  uid: number;
  gid: number;
  /** File size, truncated to 32 bits as git does. */
  size: number;
  oid: ObjectId;
  /** Merge stage: 0 for a normal entry, 1 to 3 for the base, ours and theirs of a conflict. */
  stage: number;
  /** The assume-unchanged bit (`git update-index --assume-unchanged`). */
  assumeValid: boolean;
  /** Version-3 extended flags (skip-worktree, intent-to-add) as stored; 0 when none. */
  extendedFlags: number;
  /** The path as git stores it: '/'-separated bytes, kept raw so no encoding is ever guessed. */
  path: Buffer;
}

export const INDEX_MODE = {
  file: 0o100644,
  executable: 0o100755,
  symlink: 0o120000,
  gitlink: 0o160000,
} as const;

/** What `parseIndex` found: entries we can update in place, or a reason to rebuild the index from a tree. */
export type ParsedIndex =
  | { kind: 'entries'; version: 2 | 3; entries: IndexEntry[] }
  | { kind: 'rebuild'; reason: string };

const HEADER_SIZE = 12;
const CHECKSUM_SIZE = 20;
const ENTRY_FIXED_SIZE = 62;
const NAME_LENGTH_MASK = 0x0fff;
const FLAG_ASSUME_VALID = 0x8000;
const FLAG_EXTENDED = 0x4000;
/** The only extended flags git defines: skip-worktree and intent-to-add. */
const KNOWN_EXTENDED_FLAGS = 0x4000 | 0x2000;

/**
 * Read an index file. Optional extensions (TREE, REUC, UNTR, FSMN, EOIE, IEOT:
 * caches git rebuilds on demand) are dropped. Version 4 (prefix-compressed paths)
 * and required extensions such as split-index `link` or sparse-index `sdir` are
 * reported as `rebuild`, never misread.
 */
export function parseIndex(content: Uint8Array, where: string): ParsedIndex {
  const buffer = Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  if (buffer.length < HEADER_SIZE + CHECKSUM_SIZE || buffer.toString('latin1', 0, 4) !== 'DIRC') {
    throw new CorruptError('git index does not start with "DIRC"', where);
  }
  const version = buffer.readUInt32BE(4);
  if (version === 4) return { kind: 'rebuild', reason: 'index version 4' };
  if (version !== 2 && version !== 3) throw new CorruptError(`git index version ${version} is unknown`, where);
  const body = buffer.subarray(0, buffer.length - CHECKSUM_SIZE);
  const checksum = buffer.subarray(buffer.length - CHECKSUM_SIZE);
  // git >= 2.40 with index.skipHash writes a zero checksum; anything else must match.
  if (!checksum.equals(Buffer.alloc(CHECKSUM_SIZE)) && !checksum.equals(sha1(body))) {
    throw new CorruptError('git index checksum does not match its content', where);
  }

  const count = buffer.readUInt32BE(8);
  const entries: IndexEntry[] = [];
  let at = HEADER_SIZE;
  for (let i = 0; i < count; i++) {
    if (at + ENTRY_FIXED_SIZE > body.length) throw new CorruptError('git index is truncated', where);
    const flags = body.readUInt16BE(at + 60);
    let pathStart = at + ENTRY_FIXED_SIZE;
    let extendedFlags = 0;
    if (flags & FLAG_EXTENDED) {
      if (version < 3) throw new CorruptError('version-2 git index has an entry with extended flags', where);
      extendedFlags = body.readUInt16BE(pathStart);
      if (extendedFlags & ~KNOWN_EXTENDED_FLAGS) return { kind: 'rebuild', reason: 'unknown extended index flags' };
      pathStart += 2;
    }
    const nameLength = flags & NAME_LENGTH_MASK;
    const pathEnd = nameLength < NAME_LENGTH_MASK ? pathStart + nameLength : body.indexOf(0, pathStart);
    if (pathEnd < 0 || pathEnd >= body.length || body[pathEnd] !== 0) throw new CorruptError('git index entry path is not terminated', where);
    entries.push({
      ctimeSeconds: body.readUInt32BE(at),
      ctimeNanoseconds: body.readUInt32BE(at + 4),
      mtimeSeconds: body.readUInt32BE(at + 8),
      mtimeNanoseconds: body.readUInt32BE(at + 12),
      dev: body.readUInt32BE(at + 16),
      ino: body.readUInt32BE(at + 20),
      mode: body.readUInt32BE(at + 24),
      uid: body.readUInt32BE(at + 28),
      gid: body.readUInt32BE(at + 32),
      size: body.readUInt32BE(at + 36),
      oid: body.toString('hex', at + 40, at + 60) as ObjectId,
      stage: (flags >> 12) & 3,
      assumeValid: (flags & FLAG_ASSUME_VALID) !== 0,
      extendedFlags,
      path: Buffer.from(body.subarray(pathStart, pathEnd)),
    });
    at = at + entrySize(pathStart - at, pathEnd - pathStart);
  }

  while (at < body.length) {
    if (at + 8 > body.length) throw new CorruptError('git index extension header is truncated', where);
    const signature = body.toString('latin1', at, at + 4);
    const size = body.readUInt32BE(at + 4);
    // An extension whose signature starts with 'A'..'Z' is optional; any other one must be understood.
    if (!(signature.charCodeAt(0) >= 0x41 && signature.charCodeAt(0) <= 0x5a)) {
      return { kind: 'rebuild', reason: `required index extension "${signature}"` };
    }
    at += 8 + size;
  }
  if (at !== body.length) throw new CorruptError('git index extension overruns the file', where);
  return { kind: 'entries', version, entries };
}

/** Print entries (already sorted by `compareIndexEntries`) as an index file without extensions; version 3 only if some entry needs it. */
export function serializeIndex(entries: readonly IndexEntry[]): Buffer {
  const version = entries.some((entry) => entry.extendedFlags !== 0) ? 3 : 2;
  const parts: Buffer[] = [];
  const header = Buffer.alloc(HEADER_SIZE);
  header.write('DIRC', 0, 'latin1');
  header.writeUInt32BE(version, 4);
  header.writeUInt32BE(entries.length, 8);
  parts.push(header);
  for (const entry of entries) {
    const extended = entry.extendedFlags !== 0;
    const fixed = ENTRY_FIXED_SIZE + (extended ? 2 : 0);
    const record = Buffer.alloc(entrySize(fixed, entry.path.length));
    const words = [
      entry.ctimeSeconds, entry.ctimeNanoseconds, entry.mtimeSeconds, entry.mtimeNanoseconds,
      entry.dev, entry.ino, entry.mode, entry.uid, entry.gid, entry.size,
    ];
    words.forEach((word, i) => record.writeUInt32BE(word >>> 0, i * 4));
    record.write(entry.oid, 40, 'hex');
    const flags =
      Math.min(entry.path.length, NAME_LENGTH_MASK) |
      ((entry.stage & 3) << 12) |
      (entry.assumeValid ? FLAG_ASSUME_VALID : 0) |
      (extended ? FLAG_EXTENDED : 0);
    record.writeUInt16BE(flags, 60);
    if (extended) record.writeUInt16BE(entry.extendedFlags, ENTRY_FIXED_SIZE);
    entry.path.copy(record, fixed);
    parts.push(record);
  }
  const body = Buffer.concat(parts);
  return Buffer.concat([body, sha1(body)]);
}

/** Git's index order: path bytes, then stage. */
export function compareIndexEntries(a: IndexEntry, b: IndexEntry): number {
  return Buffer.compare(a.path, b.path) || a.stage - b.stage;
}

/** An entry's on-disk size: fixed part, path, then 1 to 8 NULs so the size is a multiple of 8. */
function entrySize(fixedSize: number, pathLength: number): number {
  return (fixedSize + pathLength + 8) & ~7;
}

function sha1(content: Uint8Array): Buffer {
  return crypto.createHash('sha1').update(content).digest();
}
