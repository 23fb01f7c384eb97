import fs from 'node:fs';
import path from 'node:path';
import git from 'isomorphic-git';
import { ConcurrentUpdateError, InvalidNameError } from '../errors/index.js';
import { fsyncDirectory } from './atomic-file.js';
import { traceWrite } from './write-trace.js';
import { isObjectId, type ObjectId } from './object-store.js';

/**
 * Refs, read through isomorphic-git (loose and packed) and written with git's own
 * lock-file protocol, so real git and dgit exclude each other: create
 * `<ref>.lock` exclusively, check the current value (compare-and-swap), write the
 * lock, rename it over the ref.
 */
export class RefStore {
  constructor(readonly gitdir: string) {}

  /** The id a ref points to, or undefined when it does not exist. */
  async resolve(ref: string): Promise<ObjectId | undefined> {
    try {
      return (await git.resolveRef({ fs, gitdir: this.gitdir, ref })) as ObjectId;
    } catch (error) {
      if ((error as { code?: string }).code === 'NotFoundError') return undefined;
      throw error;
    }
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
      await git.deleteRef({ fs, gitdir: this.gitdir, ref });
    } finally {
      fs.rmSync(lock, { force: true });
    }
  }

  async listBranches(): Promise<string[]> {
    return (await git.listBranches({ fs, gitdir: this.gitdir })).sort();
  }

  async listTags(): Promise<string[]> {
    return (await git.listTags({ fs, gitdir: this.gitdir })).sort();
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
