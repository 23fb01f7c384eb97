import fs from 'node:fs';
import path from 'node:path';
import { ConcurrentUpdateError, InvalidNameError } from '../errors/index.js';
import { fsyncDirectory } from './atomic-file.js';
import { traceWrite } from './write-trace.js';
import { isObjectId, type ObjectId } from './object-store.js';

/** `HEAD` or `refs/...` without empty, `.` or `..` parts: a name read as it is, with no short-name expansion. */
function isFullRefName(ref: string): boolean {
  return (ref === 'HEAD' || ref.startsWith('refs/')) && !ref.split('/').some((part) => part === '..' || part === '.' || part === '');
}

/** isomorphic-git resolves short ref names, deletes and lists refs; loaded only then (start cost). */
const isomorphicGit = async () => (await import('isomorphic-git')).default;

/**
 * Refs, read from their loose files and packed-refs (isomorphic-git for short names)
 * and written with git's own
 * lock-file protocol, so real git and dgit exclude each other: create
 * `<ref>.lock` exclusively, check the current value (compare-and-swap), write the
 * lock, rename it over the ref.
 */
export class RefStore {
  constructor(readonly gitdir: string) {}

  /** The id a ref points to, or undefined when it does not exist. */
  async resolve(ref: string): Promise<ObjectId | undefined> {
    return this.resolveFollowing(ref, 0);
  }

  /** `resolve`, `depth` symbolic refs deep (a loop of them is left to isomorphic-git's own error). */
  private async resolveFollowing(ref: string, depth: number): Promise<ObjectId | undefined> {
    const full = isFullRefName(ref) && depth < 5;
    const loose = full ? this.readLooseRef(ref) : undefined;
    if (loose !== undefined) return isObjectId(loose) ? loose : this.resolveFollowing(loose.slice('ref: '.length), depth + 1);
    if (full && !fs.existsSync(path.join(this.gitdir, ref))) {
      const packed = this.readPackedRefs();
      if (packed !== undefined) return packed.get(ref);
    }
    try {
      return (await (await isomorphicGit()).resolveRef({ fs, gitdir: this.gitdir, ref })) as ObjectId;
    } catch (error) {
      if ((error as { code?: string }).code === 'NotFoundError') return undefined;
      throw error;
    }
  }

  /**
   * A full ref (`HEAD`, `refs/...`) read from its loose file: an object id, or
   * `ref: <target>`; undefined when there is no such file or it holds anything
   * else. Git reads a loose ref before packed-refs too. Reading refs here spares
   * every command loading isomorphic-git just to read HEAD (issue 13: start cost).
   */
  private readLooseRef(ref: string): ObjectId | `ref: ${string}` | undefined {
    let text: string;
    try {
      text = fs.readFileSync(path.join(this.gitdir, ref), 'utf8').trim();
    } catch {
      return undefined;
    }
    if (isObjectId(text)) return text;
    if (/^ref: (HEAD|refs\/\S+)$/.test(text)) return text as `ref: ${string}`;
    return undefined;
  }

  /**
   * The refs of packed-refs (`<id> <ref>` lines; `#` headers and `^<id>` peeled
   * lines skipped), or undefined when a line is not of that form and isomorphic-git
   * decides. No packed-refs file: an empty map.
   */
  private readPackedRefs(): Map<string, ObjectId> | undefined {
    let text: string;
    try {
      text = fs.readFileSync(path.join(this.gitdir, 'packed-refs'), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw error;
    }
    const refs = new Map<string, ObjectId>();
    for (const line of text.split('\n')) {
      if (line === '' || line.startsWith('#') || line.startsWith('^')) continue;
      const match = /^([0-9a-f]{40}) (\S+)$/.exec(line);
      if (!match) return undefined;
      refs.set(match[2]!, match[1] as ObjectId);
    }
    return refs;
  }

  /** The branch HEAD names (`refs/heads/x`), whether or not it has a commit yet. */
  headTarget(): string | undefined {
    const text = fs.readFileSync(path.join(this.gitdir, 'HEAD'), 'utf8').trim();
    return text.startsWith('ref: ') ? text.slice(5) : undefined;
  }

  setHeadTarget(ref: string): void {
    this.withLock('HEAD', () => `ref: ${ref}\n`);
  }

  /**
   * Point `ref` at `next` if it still points at `expected` (undefined: must not
   * exist). Throws ConcurrentUpdateError, retryable, when another writer got there first.
   */
  async compareAndSwap(ref: string, expected: ObjectId | undefined, next: ObjectId): Promise<void> {
    checkRefName(ref);
    const lock = this.lockPath(ref);
    this.acquire(ref, lock);
    try {
      const current = await this.resolve(ref);
      if (current !== expected) throw new ConcurrentUpdateError(ref);
      this.commitLock(ref, lock, `${next}\n`);
    } catch (error) {
      fs.rmSync(lock, { force: true });
      throw error;
    }
  }

  async delete(ref: string, expected: ObjectId | undefined): Promise<void> {
    const lock = this.lockPath(ref);
    this.acquire(ref, lock);
    try {
      const current = await this.resolve(ref);
      if (expected !== undefined && current !== expected) throw new ConcurrentUpdateError(ref);
      traceWrite(`ref ${ref} deleted`);
      // A loose ref is one file to remove; one in packed-refs is left to isomorphic-git, which rewrites that file.
      const packed = isFullRefName(ref) ? this.readPackedRefs() : undefined;
      if (packed !== undefined && !packed.has(ref)) fs.rmSync(path.join(this.gitdir, ref), { force: true });
      else await (await isomorphicGit()).deleteRef({ fs, gitdir: this.gitdir, ref });
    } finally {
      fs.rmSync(lock, { force: true });
    }
  }

  async listBranches(): Promise<string[]> {
    return (await (await isomorphicGit()).listBranches({ fs, gitdir: this.gitdir })).sort();
  }

  async listTags(): Promise<string[]> {
    return (await (await isomorphicGit()).listTags({ fs, gitdir: this.gitdir })).sort();
  }

  private lockPath(ref: string): string {
    return path.join(this.gitdir, `${ref}.lock`);
  }

  private acquire(ref: string, lock: string): void {
    fs.mkdirSync(path.dirname(lock), { recursive: true });
    try {
      fs.closeSync(fs.openSync(lock, 'wx'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new ConcurrentUpdateError(ref);
      throw error;
    }
  }

  private commitLock(ref: string, lock: string, content: string): void {
    traceWrite(`ref ${ref}`);
    const fd = fs.openSync(lock, 'w');
    try {
      fs.writeSync(fd, content);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    const target = path.join(this.gitdir, ref);
    fs.renameSync(lock, target);
    fsyncDirectory(path.dirname(target));
  }

  private withLock(ref: string, content: () => string): void {
    const lock = this.lockPath(ref);
    this.acquire(ref, lock);
    try {
      this.commitLock(ref, lock, content());
    } catch (error) {
      fs.rmSync(lock, { force: true });
      throw error;
    }
  }
}

/** Git's rules for ref names (git check-ref-format), the ones that matter for safety. */
export function checkRefName(ref: string): void {
  const bad = (reason: string) => new InvalidNameError('ref', ref, reason);
  if (!ref.startsWith('refs/') && ref !== 'HEAD') throw bad('it must start with refs/');
  for (const part of ref.split('/')) {
    if (part === '' ) throw bad('it has an empty component');
    if (part.startsWith('.')) throw bad('a component starts with "."');
    if (part.endsWith('.lock')) throw bad('a component ends with ".lock"');
  }
  if (ref.includes('..')) throw bad('it contains ".."');
  if (/[\u0000-\u0020\u007f~^:?*[\\]/.test(ref)) throw bad('it contains a space, control character or one of ~^:?*[\\');
  if (ref.includes('@{')) throw bad('it contains "@{"');
  if (ref.endsWith('.') || ref.endsWith('/')) throw bad('it ends with "." or "/"');
}

/** Branch names as users type them. */
export function checkBranchName(name: string): void {
  if (name === '' || name === 'HEAD' || name.startsWith('-')) throw new InvalidNameError('branch', name, 'it is empty, HEAD or starts with "-"');
  if (isObjectId(name)) throw new InvalidNameError('branch', name, 'it looks like a commit id');
  try {
    checkRefName(`refs/heads/${name}`);
  } catch (error) {
    if (error instanceof InvalidNameError) throw new InvalidNameError('branch', name, error.message.replace(/^.*: /, ''));
    throw error;
  }
}
