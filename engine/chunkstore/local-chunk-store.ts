import fs from 'node:fs';
import path from 'node:path';
import { CorruptError } from '../errors/index.js';
import { hashObject, type ObjectId } from '../store/object-store.js';
import { parseChunkStoreUrl, type ChunkStoreLocation } from './chunk-store-url.js';
import { tempSibling } from '../store/atomic-file.js';

/**
 * The chunks of a repository that keeps them outside git, on this machine:
 * `.git/dgit/chunks/<xx>/<id>.parquet`, one file per git blob id. It is a store,
 * not a cache: a chunk written by a local commit lives only here until a push
 * uploads it, so nothing here is ever evicted. Git's garbage collector never
 * looks at these files (they are not git objects), which is why the chunks are
 * kept here and not as unreachable blobs that `git gc` would prune. Every file is
 * checked against its id before it lands and appears by rename, so a reader never
 * sees a partial file. The files are ordinary Parquet: DuckDB reads them in place.
 */
export class LocalChunkStore {
  readonly dir: string;

  constructor(
    gitdir: string,
    /** The bucket the chunks are pushed to and fetched from. */
    readonly location: ChunkStoreLocation,
  ) {
    this.dir = path.join(gitdir, 'dgit', 'chunks');
  }

  path(id: string): string {
    return path.join(this.dir, id.slice(0, 2), `${id}.parquet`);
  }

  has(id: string): boolean {
    return fs.existsSync(this.path(id));
  }

  /** The bytes of a chunk, or undefined when it is not here. */
  read(id: string): Uint8Array | undefined {
    try {
      return fs.readFileSync(this.path(id));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /** Store bytes under their blob id (a no-op when present); returns the id. */
  write(bytes: Uint8Array): ObjectId {
    const id = hashObject('blob', bytes);
    if (!this.has(id)) this.place(id, bytes);
    return id;
  }

  /** Store bytes that must be the chunk `id` (downloaded ones): refused unless they hash to it. */
  writeVerified(id: string, bytes: Uint8Array, where: string): void {
    const actual = hashObject('blob', bytes);
    if (actual !== id) throw new CorruptError(`chunk ${id} does not match its id (the bytes hash to ${actual})`, where);
    if (!this.has(id)) this.place(id, bytes);
  }

  /** Move a file staged by a transaction into place (it was hashed when staged). */
  adopt(id: string, stagedFile: string): void {
    const target = this.path(id);
    if (fs.existsSync(target)) return fs.rmSync(stagedFile, { force: true });
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.renameSync(stagedFile, target);
  }

  /** Every chunk id stored here. */
  *ids(): Generator<string> {
    let prefixes: string[];
    try {
      prefixes = fs.readdirSync(this.dir);
    } catch {
      return;
    }
    for (const prefix of prefixes) {
      for (const name of fs.readdirSync(path.join(this.dir, prefix))) {
        const match = /^([0-9a-f]{40})\.parquet$/.exec(name);
        if (match) yield match[1];
      }
    }
  }

  private place(id: string, bytes: Uint8Array): void {
    const target = this.path(id);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const temp = tempSibling(target);
    fs.writeFileSync(temp, bytes);
    fs.renameSync(temp, target);
  }
}

/** The file that says a repository keeps its chunks outside git: `.git/dgit/chunk-store.json`. */
export function chunkStoreSettingPath(gitdir: string): string {
  return path.join(gitdir, 'dgit', 'chunk-store.json');
}

/**
 * This clone's chunk store, or undefined when chunks live in git. Read
 * synchronously, since tree writers decide per call whether a table tree holds
 * its chunks (a missing file costs one failed open).
 */
export function openLocalChunkStore(gitdir: string): LocalChunkStore | undefined {
  let text: string;
  try {
    text = fs.readFileSync(chunkStoreSettingPath(gitdir), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let url: unknown;
  try {
    url = (JSON.parse(text) as { url?: unknown }).url;
  } catch (error) {
    throw new CorruptError('the chunk store setting is not valid JSON', chunkStoreSettingPath(gitdir), error);
  }
  if (typeof url !== 'string') throw new CorruptError('the chunk store setting names no url', chunkStoreSettingPath(gitdir));
  return new LocalChunkStore(gitdir, parseChunkStoreUrl(url, chunkStoreSettingPath(gitdir)));
}
