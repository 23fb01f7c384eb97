import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import zlib from 'node:zlib';
import { CorruptError } from '../errors/index.js';
import { fsyncDirectory } from './atomic-file.js';
import type { ObjectId, ObjectType } from './object-store.js';

const TYPE_CODES: Record<ObjectType, number> = { commit: 1, tree: 2, blob: 3, tag: 4 };
const CODE_TYPES: Record<number, ObjectType> = { 1: 'commit', 2: 'tree', 3: 'blob', 4: 'tag' };

/**
 * Writes a git packfile (version 2, whole objects, no deltas) and its index
 * (version 2) as objects arrive, to a temporary file. A bulk import makes one
 * pack instead of hundreds of loose files: on the machines here creating a file
 * costs about a millisecond, which was a third of a 3M-row import.
 */
export class PackWriter {
  /** The pack file's descriptor while it is open; undefined once `finish` or `abort` closed it. */
  private fd: number | undefined;
  private offset = 12;
  private readonly entries: Array<{ oid: ObjectId; offset: number; crc: number }> = [];
  private readonly hash = crypto.createHash('sha1');

  constructor(readonly file: string) {
    this.fd = fs.openSync(file, 'w+');
    // The header's object count is patched in `finish`; hashed then, once the count is known.
    fs.writeSync(this.fd, Buffer.alloc(12));
  }

  private openFd(): number {
    if (this.fd === undefined) throw new Error(`the pack ${this.file} is already closed`);
    return this.fd;
  }

  get count(): number {
    return this.entries.length;
  }

  /** Append an object whose id the caller computed, with its deflated content. */
  add(oid: ObjectId, type: ObjectType, size: number, deflated: Uint8Array): void {
    const header = objectHeader(TYPE_CODES[type], size);
    let crc = zlib.crc32(header);
    crc = zlib.crc32(deflated, crc);
    const fd = this.openFd();
    fs.writeSync(fd, header, 0, header.length, this.offset);
    fs.writeSync(fd, deflated, 0, deflated.length, this.offset + header.length);
    this.entries.push({ oid, offset: this.offset, crc });
    this.offset += header.length + deflated.length;
  }

  /** Complete the pack and write its index beside it; returns both paths and the pack's checksum. */
  finish(): { pack: string; index: string; checksum: string } {
    const header = Buffer.alloc(12);
    header.write('PACK', 0, 'latin1');
    header.writeUInt32BE(2, 4);
    header.writeUInt32BE(this.entries.length, 8);
    const fd = this.openFd();
    fs.writeSync(fd, header, 0, 12, 0);
    // Hash the whole file in slices: the pack can be larger than memory allows at once.
    const slice = Buffer.alloc(1 << 20);
    for (let at = 0; at < this.offset; ) {
      const n = fs.readSync(fd, slice, 0, Math.min(slice.length, this.offset - at), at);
      this.hash.update(slice.subarray(0, n));
      at += n;
    }
    const checksum = this.hash.digest();
    fs.writeSync(fd, checksum, 0, 20, this.offset);
    fs.fsyncSync(fd);
    this.fd = undefined;
    fs.closeSync(fd);
    const index = this.file.replace(/\.pack$/, '.idx');
    fs.writeFileSync(index, buildIndex(this.entries, checksum));
    return { pack: this.file, index, checksum: checksum.toString('hex') };
  }

  /**
   * Close (if still open) and remove the unfinished pack. Never closes a descriptor
   * twice: once closed, its number is free for any thread of the process to reuse
   * (DuckDB's, a worker's, the in-process CLI's), and a second close would close
   * that file instead. `commit` used to abort after `finish` had closed it.
   */
  abort(): void {
    const fd = this.fd;
    this.fd = undefined;
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(this.file, { force: true });
    fs.rmSync(this.file.replace(/\.pack$/, '.idx'), { force: true });
  }
}

function objectHeader(type: number, size: number): Buffer {
  const bytes: number[] = [];
  let byte = (type << 4) | (size & 0x0f);
  size = Math.floor(size / 16);
  while (size > 0) {
    bytes.push(byte | 0x80);
    byte = size & 0x7f;
    size = Math.floor(size / 128);
  }
  bytes.push(byte);
  return Buffer.from(bytes);
}

function buildIndex(entries: Array<{ oid: ObjectId; offset: number; crc: number }>, packChecksum: Buffer): Buffer {
  const sorted = [...entries].sort((a, b) => (a.oid < b.oid ? -1 : a.oid > b.oid ? 1 : 0));
  const n = sorted.length;
  const large = sorted.filter((e) => e.offset >= 0x80000000);
  const buffer = Buffer.alloc(8 + 256 * 4 + n * 20 + n * 4 + n * 4 + large.length * 8 + 40);
  let at = 0;
  buffer.writeUInt32BE(0xff744f63, at); // "\377tOc"
  buffer.writeUInt32BE(2, at + 4);
  at += 8;
  const fanout = new Array<number>(256).fill(0);
  for (const e of sorted) fanout[parseInt(e.oid.slice(0, 2), 16)]!++;
  let running = 0;
  for (let i = 0; i < 256; i++) {
    running += fanout[i]!;
    buffer.writeUInt32BE(running, at);
    at += 4;
  }
  for (const e of sorted) {
    buffer.write(e.oid, at, 'hex');
    at += 20;
  }
  for (const e of sorted) {
    buffer.writeUInt32BE(e.crc >>> 0, at);
    at += 4;
  }
  let largeIndex = 0;
  for (const e of sorted) {
    buffer.writeUInt32BE(e.offset < 0x80000000 ? e.offset : (0x80000000 | largeIndex++) >>> 0, at);
    at += 4;
  }
  for (const e of large) {
    buffer.writeBigUInt64BE(BigInt(e.offset), at);
    at += 8;
  }
  packChecksum.copy(buffer, at);
  at += 20;
  crypto.createHash('sha1').update(buffer.subarray(0, at)).digest().copy(buffer, at);
  return buffer;
}

/** Move a finished pack into `objects/pack/` as git names it: the pack first, then the index that makes it visible. */
export function installPack(objectsDir: string, finished: { pack: string; index: string; checksum: string }): void {
  const dir = path.join(objectsDir, 'pack');
  fs.mkdirSync(dir, { recursive: true });
  const base = path.join(dir, `pack-${finished.checksum}`);
  fs.renameSync(finished.pack, `${base}.pack`);
  const fd = fs.openSync(finished.index, 'r');
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  fs.renameSync(finished.index, `${base}.idx`);
  fsyncDirectory(dir);
}

/** Most pack files held open at once, in this process (the least recently read is closed past it). */
const OPEN_PACKS = 16;
const openPacks = new Map<string, number>();

/**
 * A read descriptor of a pack file, kept open: a merge reads thousands of chunks
 * from a few packs, and opening and closing the file per object cost more than
 * reading it. A pack's name is its content's hash and it never changes, so an open
 * one stays right (even once deleted by a repack). Bounded, so a long-running
 * process that opens many repositories holds at most OPEN_PACKS descriptors.
 */
function packDescriptor(pack: string): number {
  let fd = openPacks.get(pack);
  if (fd !== undefined) {
    openPacks.delete(pack);
    openPacks.set(pack, fd);
    return fd;
  }
  fd = fs.openSync(pack, 'r');
  openPacks.set(pack, fd);
  if (openPacks.size > OPEN_PACKS) {
    const [oldest, oldestFd] = openPacks.entries().next().value!;
    openPacks.delete(oldest);
    fs.closeSync(oldestFd);
  }
  return fd;
}

/** Pack object type codes of the two delta kinds. */
const OFS_DELTA = 6;
const REF_DELTA = 7;

/** Longest delta chain followed (git writes at most 50 by default, 250 with `gc --aggressive`). */
const MAX_DELTA_DEPTH = 1000;

/** Delta bases kept resolved: a chain's objects share their bases. */
const BASE_CACHE_ENTRIES = 256;
const BASE_CACHE_BYTES = 64 * 1024 * 1024;

interface PackIndex {
  pack: string;
  fanout: Uint32Array;
  names: Buffer;
  offsets: number[];
  sortedOffsets: number[];
  packSize: number;
}

/**
 * Reads objects from packs through their indexes, a few bytes at a time, whole
 * objects and deltas alike (a repository git has packed with `git gc` stores most
 * trees, and some chunks, as deltas). isomorphic-git, which the object database
 * falls back to only when a pack has a version 1 index, reads and checksums a whole
 * pack file before its first object from it (for packs of gigabytes, on every
 * command), and reads and parses every index again to say an object is missing.
 */
export class PackReader {
  private indexes: PackIndex[] | undefined;
  /** The pack folder's change time (ns) just before its indexes were listed, and when they were (ms). */
  private listedStamp = -1n;
  private listedAt = 0;
  /** Whether this reader reads every pack listed (a version 1 index is left to isomorphic-git). */
  private readsAll = true;
  /** Resolved delta bases by pack and offset, oldest first. */
  private readonly bases = new Map<string, { type: ObjectType; content: Uint8Array }>();
  private baseBytes = 0;

  constructor(private readonly objectsDir: string) {}

  /** Forget the loaded indexes (after a pack was installed). */
  refresh(): void {
    this.indexes = undefined;
    this.bases.clear();
    this.baseBytes = 0;
  }

  /** The pack folder's change time (ns), -1 when there is none. */
  private folderStamp(): bigint {
    try {
      return fs.statSync(path.join(this.objectsDir, 'pack'), { bigint: true }).mtimeNs;
    } catch {
      return -1n;
    }
  }

  /**
   * After a miss: whether a pack may have come or gone since the indexes were listed
   * (`git gc` repacking, another process fetching), in which case they are listed
   * again. The folder's change time comes from a clock that ticks every few
   * milliseconds, so a change right after a listing may keep the time it saw: a
   * listing within two seconds of the folder's last change is not trusted (as git
   * treats its index), and is made again at most every 100 ms while that lasts.
   */
  relistIfChanged(): boolean {
    if (!this.indexes) return false;
    const stamp = this.folderStamp();
    const racy = stamp === this.listedStamp && this.listedAt - Number(stamp / 1_000_000n) <= 2000 && Date.now() - this.listedAt >= 100;
    if (stamp === this.listedStamp && !racy) return false;
    this.refresh();
    return true;
  }

  /** Whether a miss here is a miss in every pack: no pack was left to isomorphic-git (a version 1 index). */
  get readsEveryPack(): boolean {
    this.load();
    return this.readsAll;
  }

  private load() {
    if (this.indexes) return this.indexes;
    const dir = path.join(this.objectsDir, 'pack');
    // Stamped before listing: a pack added while listing makes the stamp stale, never the reverse.
    this.listedStamp = this.folderStamp();
    this.listedAt = Date.now();
    this.readsAll = true;
    let names: string[];
    try {
      names = fs.readdirSync(dir).filter((f) => f.endsWith('.idx'));
    } catch {
      names = [];
    }
    this.indexes = [];
    for (const name of names) {
      const pack = path.join(dir, name.replace(/\.idx$/, '.pack'));
      if (!fs.existsSync(pack)) continue;
      const idx = fs.readFileSync(path.join(dir, name));
      if (idx.readUInt32BE(0) !== 0xff744f63 || idx.readUInt32BE(4) !== 2) {
        this.readsAll = false; // a version 1 index: left to isomorphic-git
        continue;
      }
      const fanout = new Uint32Array(256);
      for (let i = 0; i < 256; i++) fanout[i] = idx.readUInt32BE(8 + i * 4);
      const n = fanout[255]!;
      const namesStart = 8 + 1024;
      const offsetsStart = namesStart + n * 20 + n * 4;
      const largeStart = offsetsStart + n * 4;
      const offsets: number[] = new Array<number>(n);
      for (let i = 0; i < n; i++) {
        const small = idx.readUInt32BE(offsetsStart + i * 4);
        offsets[i] = small & 0x80000000 ? Number(idx.readBigUInt64BE(largeStart + (small & 0x7fffffff) * 8)) : small;
      }
      this.indexes.push({
        pack,
        fanout,
        names: idx.subarray(namesStart, namesStart + n * 20),
        offsets,
        sortedOffsets: [...offsets].sort((a, b) => a - b),
        packSize: fs.statSync(pack).size,
      });
    }
    return this.indexes;
  }

  /**
   * The object, or undefined when no pack holds it (or a delta's base is in none:
   * a thin pack's base stored loose). A resolved delta is checked against its id.
   */
  read(oid: ObjectId): { type: ObjectType; content: Uint8Array } | undefined {
    const found = this.find(oid);
    if (!found) return undefined;
    const object = this.readAt(found.index, found.index.offsets[found.position]!, oid, 0);
    if (object && object.delta) {
      const header = Buffer.from(`${object.type} ${object.content.length}\0`, 'latin1');
      const id = crypto.createHash('sha1').update(header).update(object.content).digest('hex');
      if (id !== oid) throw new CorruptError(`packed object ${oid} resolves (through its deltas) to ${id}`, found.index.pack);
    }
    return object && { type: object.type, content: object.content };
  }

  has(oid: ObjectId): boolean {
    return this.find(oid) !== undefined;
  }

  /** The pack index and position of an object: a binary search within its fan-out bucket. */
  private find(oid: ObjectId) {
    const key = Buffer.from(oid, 'hex');
    const first = key[0]!;
    for (const index of this.load()) {
      let lo = first === 0 ? 0 : index.fanout[first - 1]!;
      let hi = index.fanout[first]!;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        const c = index.names.compare(key, 0, 20, mid * 20, mid * 20 + 20);
        if (c === 0) return { index, position: mid };
        if (c > 0) hi = mid;
        else lo = mid + 1;
      }
    }
    return undefined;
  }

  /** The object at `offset` of the pack, its deltas applied (`delta`: whether it was one); `oid` names it in errors. */
  private readAt(index: PackIndex, offset: number, oid: string, depth: number): { type: ObjectType; content: Uint8Array; delta: boolean } | undefined {
    // The object's bytes end where the next object starts (or at the trailer).
    let lo = 0;
    let hi = index.sortedOffsets.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (index.sortedOffsets[mid]! <= offset) lo = mid + 1;
      else hi = mid;
    }
    const end = lo < index.sortedOffsets.length ? index.sortedOffsets[lo]! : index.packSize - 20;
    const bytes = Buffer.alloc(end - offset);
    fs.readSync(packDescriptor(index.pack), bytes, 0, bytes.length, offset);
    let at = 0;
    let byte = bytes[at++]!;
    const type = (byte >> 4) & 7;
    let size = byte & 0x0f;
    let shift = 4;
    while (byte & 0x80) {
      byte = bytes[at++]!;
      size += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    }
    const objectType = CODE_TYPES[type];
    if (!objectType && type !== OFS_DELTA && type !== REF_DELTA) throw new CorruptError(`packed object ${oid} has the unknown type ${type}`, index.pack);
    let base: { type: ObjectType; content: Uint8Array } | undefined;
    if (!objectType) {
      if (depth >= MAX_DELTA_DEPTH) throw new CorruptError(`packed object ${oid} has a delta chain over ${MAX_DELTA_DEPTH} long`, index.pack);
      if (type === OFS_DELTA) {
        // The base's distance back from this object, in git's offset encoding (each further byte adds one first).
        byte = bytes[at++]!;
        let back = byte & 0x7f;
        while (byte & 0x80) {
          byte = bytes[at++]!;
          back = (back + 1) * 128 + (byte & 0x7f);
        }
        if (back <= 0 || back > offset) throw new CorruptError(`packed object ${oid} has a delta base outside its pack`, index.pack);
        base = this.baseAt(index, offset - back, oid, depth + 1);
      } else {
        const baseId = bytes.subarray(at, at + 20).toString('hex');
        at += 20;
        const found = this.find(baseId as ObjectId);
        base = found && this.baseAt(found.index, found.index.offsets[found.position]!, baseId, depth + 1);
      }
      if (!base) return undefined;
    }
    let content: Buffer;
    try {
      content = zlib.inflateSync(bytes.subarray(at));
    } catch (error) {
      throw new CorruptError(`packed object ${oid} is not valid zlib data`, index.pack, error);
    }
    if (content.length !== size) throw new CorruptError(`packed object ${oid} has a wrong length`, index.pack);
    if (!base) return { type: objectType!, content, delta: false };
    return { type: base.type, content: applyDelta(base.content, content, oid, index.pack), delta: true };
  }

  /** A delta's base, resolved once and kept a while (bounded by count and bytes). */
  private baseAt(index: PackIndex, offset: number, oid: string, depth: number): { type: ObjectType; content: Uint8Array } | undefined {
    const key = `${index.pack}:${offset}`;
    const kept = this.bases.get(key);
    if (kept) return kept;
    const object = this.readAt(index, offset, oid, depth);
    if (!object) return undefined;
    const entry = { type: object.type, content: object.content };
    this.bases.set(key, entry);
    this.baseBytes += entry.content.length;
    while (this.bases.size > BASE_CACHE_ENTRIES || this.baseBytes > BASE_CACHE_BYTES) {
      const [oldest, value] = this.bases.entries().next().value!;
      this.bases.delete(oldest);
      this.baseBytes -= value.content.length;
    }
    return entry;
  }
}

/**
 * Git's delta format: the base's and the result's sizes (little-endian base-128),
 * then instructions: copy (high bit set; which offset and size bytes follow, by the
 * low bits; size 0 means 65536) a range of the base, or insert the next 1-127 bytes.
 */
export function applyDelta(base: Uint8Array, delta: Uint8Array, oid: string, where: string): Buffer {
  let at = 0;
  const bad = (what: string) => new CorruptError(`packed object ${oid} has a bad delta: ${what}`, where);
  const size = (): number => {
    let value = 0;
    let scale = 1;
    let byte: number;
    do {
      if (at >= delta.length) throw bad('it ends inside a size');
      byte = delta[at++]!;
      value += (byte & 0x7f) * scale;
      scale *= 128;
    } while (byte & 0x80);
    return value;
  };
  if (size() !== base.length) throw bad('its base has another size');
  const out = Buffer.allocUnsafe(size());
  let written = 0;
  while (at < delta.length) {
    const op = delta[at++]!;
    if (op & 0x80) {
      let from = 0;
      let length = 0;
      for (let i = 0; i < 4; i++) if (op & (1 << i)) from += delta[at++]! * 2 ** (8 * i);
      for (let i = 0; i < 3; i++) if (op & (0x10 << i)) length += delta[at++]! * 2 ** (8 * i);
      if (at > delta.length) throw bad('it ends inside a copy');
      if (length === 0) length = 0x10000;
      if (from + length > base.length || written + length > out.length) throw bad('a copy reaches past its base or result');
      out.set(base.subarray(from, from + length), written);
      written += length;
    } else if (op !== 0) {
      if (at + op > delta.length || written + op > out.length) throw bad('an insert reaches past its end');
      out.set(delta.subarray(at, at + op), written);
      at += op;
      written += op;
    } else throw bad('the reserved instruction 0');
  }
  if (written !== out.length) throw bad(`it makes ${written} bytes of ${out.length}`);
  return out;
}
