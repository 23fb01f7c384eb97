import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import zlib from 'node:zlib';
import { CorruptError, NotFoundError } from '../errors/index.js';
import { fsyncDirectory, tempSibling } from './atomic-file.js';
import { traceWrite } from './write-trace.js';
import { PackReader, PackWriter, installPack } from './pack.js';
import { openLocalChunkStore, type LocalChunkStore } from '../chunkstore/local-chunk-store.js';
import { deflateObject, deflatePackedObject, hashObject, type ObjectId, type ObjectType, type PreparedBlob } from './object-encoding.js';

/** isomorphic-git is the fallback for objects neither loose nor in a pack dgit reads itself: loaded only then (start cost). */
const isomorphicGit = async () => (await import('isomorphic-git')).default;

export { hashObject, type ObjectId, type ObjectType } from './object-encoding.js';

export function isObjectId(text: string): text is ObjectId {
  return /^[0-9a-f]{40}$/.test(text);
}

/** Git's empty tree: the root of a repository with no tables yet. Git knows it without storing it. */
export const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904' as ObjectId;

/**
 * Git's object database. Writes loose objects directly (isomorphic-git's writeBlob
 * took 1.3 ms per 30 KB chunk here; this takes a fraction of that) at zlib level 1,
 * since chunks are already ZSTD and deflate gains nothing on them. Reads loose
 * objects directly and packed ones (after a clone or `git gc`) through PackReader,
 * deltas included; isomorphic-git only when a pack has a version 1 index.
 *
 * Writes go through an `ObjectTransaction`: objects land in a staging folder and
 * move into `objects/` only when the caller has validated everything, so bad input
 * leaves the object database exactly as it was.
 */
export class ObjectStore {
  private readonly cache = {};
  readonly objectsDir: string;
  readonly packs: PackReader;

  constructor(readonly gitdir: string) {
    this.objectsDir = path.join(gitdir, 'objects');
    this.packs = new PackReader(this.objectsDir);
  }

  private localChunkStore: LocalChunkStore | null | undefined;

  /**
   * Where chunk bytes go when this repository keeps its chunks in a bucket
   * (engine/chunkstore), or undefined when they are git blobs in the tables' trees.
   */
  get localChunks(): LocalChunkStore | undefined {
    if (this.localChunkStore === undefined) this.localChunkStore = openLocalChunkStore(this.gitdir) ?? null;
    return this.localChunkStore ?? undefined;
  }

  /** Read the chunk store setting again (after `dgit remote add --chunks` changed it). */
  refreshChunkPlacement(): void {
    this.localChunkStore = undefined;
  }

  /** Table trees leave their chunks out (they live in the chunk store): see writeTableTree. */
  get chunksOutsideGit(): boolean {
    return this.localChunks !== undefined;
  }

  /** Store a chunk's bytes: a git blob, or a file of the local chunk store. */
  writeChunk(bytes: Uint8Array): ObjectId {
    return this.localChunks ? this.localChunks.write(bytes) : this.write('blob', bytes);
  }

  private loosePath(oid: string): string {
    return path.join(this.objectsDir, oid.slice(0, 2), oid.slice(2));
  }

  hasLoose(oid: ObjectId): boolean {
    return fs.existsSync(this.loosePath(oid));
  }

  /** Whether the object is stored, loose or in a pack (cheap: no decompression). */
  hasStored(oid: ObjectId): boolean {
    return this.hasLoose(oid) || this.packs.has(oid);
  }

  async has(oid: ObjectId): Promise<boolean> {
    if (this.hasStored(oid) || oid === EMPTY_TREE) return true;
    if (this.packs.relistIfChanged() && this.hasStored(oid)) return true;
    // Our pack reader read every pack index: a miss is a miss, without isomorphic-git reading and parsing them all again.
    if (this.packs.readsEveryPack) return false;
    try {
      await (await isomorphicGit()).readObject({ fs, gitdir: this.gitdir, oid, format: 'deflated', cache: this.cache });
      return true;
    } catch {
      return false;
    }
  }

  async read(oid: ObjectId): Promise<{ type: ObjectType; content: Uint8Array }> {
    let raw: Buffer | undefined;
    try {
      raw = fs.readFileSync(this.loosePath(oid));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (raw) {
      let inflated: Buffer;
      try {
        inflated = zlib.inflateSync(raw);
      } catch (error) {
        throw new CorruptError(`object ${oid} is not valid zlib data`, oid, error);
      }
      const nul = inflated.indexOf(0);
      const header = inflated.subarray(0, nul).toString('latin1');
      const [type, size] = header.split(' ');
      const content = inflated.subarray(nul + 1);
      if (Number(size) !== content.length) throw new CorruptError(`object ${oid} has a wrong length`, oid);
      return { type: type as ObjectType, content };
    }
    const packed = this.packs.read(oid) ?? (!this.packs.has(oid) && this.packs.relistIfChanged() ? this.packs.read(oid) : undefined);
    if (packed) return packed;
    if (oid === EMPTY_TREE) return { type: 'tree', content: new Uint8Array(0) };
    // Not in any pack (rather than a delta whose base only isomorphic-git finds): missing, unless a pack is left to it.
    if (!this.packs.has(oid) && this.packs.readsEveryPack && !this.hasLoose(oid)) throw missingObject(this.gitdir, oid, this.localChunks !== undefined);
    try {
      const result = await (await isomorphicGit()).readObject({ fs, gitdir: this.gitdir, oid, format: 'content', cache: this.cache });
      return { type: result.type as ObjectType, content: result.object as Uint8Array };
    } catch (error) {
      if ((error as { code?: string }).code === 'NotFoundError') throw missingObject(this.gitdir, oid, this.localChunks !== undefined);
      throw error;
    }
  }

  async readTyped(oid: ObjectId, type: ObjectType): Promise<Uint8Array> {
    const object = await this.read(oid);
    if (object.type !== type) throw new CorruptError(`object ${oid} is a ${object.type}, expected a ${type}`, oid);
    return object.content;
  }

  /** Write one object now (no staging); for small metadata objects whose loss is harmless. */
  write(type: ObjectType, content: Uint8Array): ObjectId {
    const oid = hashObject(type, content);
    if (this.hasLoose(oid)) return oid;
    const target = this.loosePath(oid);
    traceWrite(`object ${type}`);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const temp = tempSibling(target);
    fs.writeFileSync(temp, deflateObject(type, content));
    fs.renameSync(temp, target);
    return oid;
  }

  /** Start a batch of writes that becomes visible only on `commit()`. */
  transaction(): ObjectTransaction {
    return new ObjectTransaction(this);
  }
}

/** Up to this many objects a transaction writes loose files; past it, one packfile. */
const LOOSE_LIMIT = 32;

/**
 * Objects staged outside the object database and moved in all at once. A small
 * transaction (an edit of a few rows) becomes loose objects; a large one (a bulk
 * import) one packfile, since creating hundreds of files is slow on many disks.
 */
export class ObjectTransaction {
  private readonly pending = new Map<ObjectId, { type: ObjectType; deflated: Buffer }>();
  private readonly seen = new Set<ObjectId>();
  private pack: PackWriter | undefined;
  /** Chunks for the local chunk store, staged as files until `commit`. */
  private readonly stagedChunks = new Map<ObjectId, string>();
  private readonly stagingDir: string;
  private closed = false;

  constructor(private readonly store: ObjectStore) {
    this.stagingDir = path.join(store.gitdir, 'dgit', 'tmp', `objects-${process.pid}-${crypto.randomBytes(6).toString('hex')}`);
  }

  /** Stage an object; returns its id. Objects already stored are not written again. */
  write(type: ObjectType, content: Uint8Array): ObjectId {
    return this.stage(type, content, hashObject(type, content));
  }

  /** Stage a chunk blob whose id and packfile body were computed already (by a worker thread): the same objects as `writeChunk(blob.bytes)`. */
  writePreparedChunk(blob: PreparedBlob): ObjectId {
    return this.store.localChunks ? this.writeChunk(blob.bytes) : this.stage('blob', blob.bytes, blob.oid, blob.packed);
  }

  /** Stage an object under its id; `packed` is its packfile body (`deflatePackedObject(content)`) when known. */
  private stage(type: ObjectType, content: Uint8Array, oid: ObjectId, packed?: Uint8Array): ObjectId {
    if (this.seen.has(oid) || this.store.hasStored(oid)) return oid;
    this.seen.add(oid);
    if (!this.pack && this.pending.size < LOOSE_LIMIT) {
      this.pending.set(oid, { type, deflated: deflateObject(type, content) });
      return oid;
    }
    if (!this.pack) {
      traceWrite('staging');
      fs.mkdirSync(this.stagingDir, { recursive: true });
      this.pack = new PackWriter(path.join(this.stagingDir, 'staged.pack'));
      // Loose-form objects carry their header inside the zlib stream; a pack wants the bare content.
      for (const [id, object] of this.pending) {
        const raw = zlib.inflateSync(object.deflated);
        const body = raw.subarray(raw.indexOf(0) + 1);
        this.pack.add(id, object.type, body.length, zlib.deflateSync(body, { level: 1 }));
      }
      this.pending.clear();
    }
    this.pack.add(oid, type, content.length, packed ?? deflatePackedObject(content));
    return oid;
  }

  get size(): number {
    return this.seen.size;
  }

  get chunksOutsideGit(): boolean {
    return this.store.chunksOutsideGit;
  }

  /** Stage a chunk's bytes: a git blob, or (chunks kept outside git) a file for the local chunk store. */
  writeChunk(bytes: Uint8Array): ObjectId {
    const local = this.store.localChunks;
    if (!local) return this.write('blob', bytes);
    const oid = hashObject('blob', bytes);
    if (this.stagedChunks.has(oid) || local.has(oid)) return oid;
    const file = path.join(this.stagingDir, 'chunks', `${oid}.parquet`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, bytes);
    this.stagedChunks.set(oid, file);
    return oid;
  }

  /** Make the staged objects part of the database; only then may a ref or state file name them. */
  commit(): void {
    if (this.closed) return;
    for (const [oid, file] of this.stagedChunks) this.store.localChunks!.adopt(oid, file);
    traceWrite(`objects ${this.seen.size}`);
    if (this.pack) {
      const finished = this.pack.finish();
      // Installed, the pack is the object database's: nothing of it is left to discard.
      this.pack = undefined;
      installPack(this.store.objectsDir, finished);
      this.store.packs.refresh();
    } else {
      const dirs = new Set<string>();
      for (const [oid, object] of this.pending) {
        const dir = path.join(this.store.objectsDir, oid.slice(0, 2));
        if (!dirs.has(dir)) {
          fs.mkdirSync(dir, { recursive: true });
          dirs.add(dir);
        }
        const target = path.join(dir, oid.slice(2));
        // A name of its own (not just the pid): two threads of one process (the bot's handlers, an in-process
        // CLI) may store the same object at once, and a shared temp file could be renamed away half-written.
        const temp = tempSibling(target);
        fs.writeFileSync(temp, object.deflated);
        fs.renameSync(temp, target);
      }
      for (const dir of dirs) fsyncDirectory(dir);
    }
    this.discard();
  }

  /** Drop everything staged. */
  discard(): void {
    this.closed = true;
    this.pack?.abort();
    this.pack = undefined;
    fs.rmSync(this.stagingDir, { recursive: true, force: true });
    this.pending.clear();
    this.stagedChunks.clear();
  }
}

/**
 * An object the store lacks, with the way to get it: a shallow clone lacks history
 * before its boundary, a partial clone (`--filter`) lacks the objects it did not
 * fetch; otherwise the repository lost it and only a copy elsewhere can restore it.
 */
function missingObject(gitdir: string, oid: string, usesChunkStore: boolean): NotFoundError {
  let config = '';
  try {
    config = fs.readFileSync(path.join(gitdir, 'config'), 'utf8');
  } catch {
    // No config: nothing to tell.
  }
  const error = new NotFoundError(`object ${oid}`, oid);
  if (/^\s*promisor\s*=\s*true/im.test(config) || /partialclonefilter/i.test(config))
    error.message = `object ${oid} not found: this is a partial clone and it was not fetched; \`git cat-file -e ${oid}\` fetches it, \`git fetch --refetch origin\` after \`git config --unset remote.origin.partialclonefilter\` fetches everything`;
  else if (fs.existsSync(path.join(gitdir, 'shallow')))
    error.message = `object ${oid} not found: this is a shallow clone and the object is older than its history; \`git fetch --unshallow\` fetches the whole history`;
  else {
    // A plain `git clone` of a repository whose chunks live in a bucket: its checked-out dgit.yml names the bucket.
    const bucket = usesChunkStore ? undefined : bucketNamedInWorktree(gitdir);
    error.message = bucket
      ? `object ${oid} not found: if it is a chunk, it lives in ${bucket}, which this clone does not read yet: \`dgit remote chunks ${bucket}\``
      : `object ${oid} not found: the repository lacks it; run \`dgit fsck\`, and \`git fetch\` from a remote that has it`;
  }
  return error;
}

/** The `storage.chunks` URL of the dgit.yml in the working directory, if it names one (read as text: this layer parses no YAML). */
function bucketNamedInWorktree(gitdir: string): string | undefined {
  if (path.basename(gitdir) !== '.git') return undefined;
  try {
    const file = path.join(path.dirname(gitdir), 'dgit.yml');
    if (!fs.lstatSync(file).isFile()) return undefined; // never follows a link (see engine/config/repository-config.ts)
    const text = fs.readFileSync(file, 'utf8');
    return /^\s*chunks\s*:\s*["']?(s3:\/\/[^\s"'#]+)/m.exec(text)?.[1];
  } catch {
    return undefined;
  }
}
