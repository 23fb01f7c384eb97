import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ConcurrentUpdateError, InvalidNameError } from '../errors/index.js';
import { fsyncDirectory } from './atomic-file.js';
import { ProcessLock } from './process-lock.js';
import { traceWrite } from './write-trace.js';
import { isObjectId, type ObjectId } from './object-store.js';

/** `HEAD` or `refs/...` without empty, `.` or `..` parts: a name read as it is, with no short-name expansion. */
function isFullRefName(ref: string): boolean {
  return (ref === 'HEAD' || ref.startsWith('refs/')) && !ref.split('/').some((part) => part === '..' || part === '.' || part === '');
}

/** isomorphic-git resolves short ref names, deletes and lists refs; loaded only then (start cost). */
const isomorphicGit = async () => (await import('isomorphic-git')).default;

/**
 * Refs, read from their loose files and packed-refs (isomorphic-git, loaded only
 * then, for short names) and written under git's lock file `<ref>.lock`, so real
 * git and dgit exclude each other: git takes the same file exclusively and never
 * reads what another writer put in it.
 *
 * dgit's lock names its holder (pid and host, written whole and linked into place),
 * and the new value is renamed over the ref from a file of its own while the lock
 * is held; then the lock goes. A lock whose holder died on this machine is broken
 * by the next writer, so a dgit command killed mid-write never blocks the
 * repository. A lock that names no holder is git's (or from before this): it is
 * never presumed dead, and the error says what git says (remove it if no git
 * process runs).
 */
export class RefStore {
  /**
   * `reflog`, asked at each update of a branch: who the log says moved it (git's
   * committer), and whether every branch is logged (git's `core.logAllRefUpdates`;
   * when not, only a log that exists already is kept up to date).
   */
  constructor(
    readonly gitdir: string,
    private readonly reflog: { signature(): { name: string; email: string }; logsAll(): boolean } = {
      signature: () => ({ name: 'dgit', email: 'dgit@localhost' }),
      logsAll: () => true,
    },
  ) {}

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
    const lock = this.takeLock('HEAD');
    try {
      this.replaceRef('HEAD', `ref: ${ref}\n`);
    } finally {
      lock.release();
    }
  }

  /**
   * Point `ref` at `next` if it still points at `expected` (undefined: must not
   * exist). Throws ConcurrentUpdateError, retryable, when another writer got there first.
   */
  async compareAndSwap(ref: string, expected: ObjectId | undefined, next: ObjectId, reason = 'dgit: update'): Promise<void> {
    checkRefName(ref);
    await this.withLock(ref, async () => {
      if ((await this.resolve(ref)) !== expected) throw new ConcurrentUpdateError(ref);
      this.replaceRef(ref, `${next}\n`);
      this.logUpdate(ref, expected, next, reason);
    });
  }

  /**
   * Append the move to the ref's reflog, as git does with `core.logAllRefUpdates`
   * (on by default where there is a working tree): for branches and remote-tracking
   * refs, and to HEAD's log when HEAD names the branch. `ref@{1}`, `git reflog` and
   * git's gc (which keeps what a reflog names for 90 days) then see dgit's moves, so
   * a commit a `reset --hard` dropped can be found again. The ref has moved already:
   * a reflog that cannot be written is not a reason to fail the update.
   */
  private logUpdate(ref: string, previous: ObjectId | undefined, next: ObjectId, reason: string): void {
    if (!(ref.startsWith('refs/heads/') || ref.startsWith('refs/remotes/'))) return;
    try {
      const logs = [ref, ...(this.headTarget() === ref ? ['HEAD'] : [])].map((name) => path.join(this.gitdir, 'logs', name));
      if (!this.reflog.logsAll() && !fs.existsSync(logs[0]!)) return;
      const { name, email } = this.reflog.signature();
      const offset = -new Date().getTimezoneOffset();
      const zone = `${offset < 0 ? '-' : '+'}${String(Math.floor(Math.abs(offset) / 60)).padStart(2, '0')}${String(Math.abs(offset) % 60).padStart(2, '0')}`;
      const clean = (text: string) => text.replace(/[\n<>]/g, ' ');
      const line = `${previous ?? '0'.repeat(40)} ${next} ${clean(name)} <${clean(email)}> ${Math.floor(Date.now() / 1000)} ${zone}\t${reason.split('\n')[0]}\n`;
      for (const log of logs) {
        fs.mkdirSync(path.dirname(log), { recursive: true });
        fs.appendFileSync(log, line);
      }
    } catch {
      // As above: the ref is written; its log is a convenience.
    }
  }

  async delete(ref: string, expected: ObjectId | undefined): Promise<void> {
    const remove = async () => {
      const current = await this.resolve(ref);
      if (expected !== undefined && current !== expected) throw new ConcurrentUpdateError(ref);
      traceWrite(`ref ${ref} deleted`);
      // As git: a deleted branch's reflog goes with it.
      if (ref.startsWith('refs/heads/')) fs.rmSync(path.join(this.gitdir, 'logs', ref), { force: true });
      // A loose ref is one file to remove; one in packed-refs is left to isomorphic-git, which rewrites that file.
      const packed = isFullRefName(ref) ? this.readPackedRefs() : undefined;
      if (packed !== undefined && !packed.has(ref)) fs.rmSync(path.join(this.gitdir, ref), { force: true });
      else await (await isomorphicGit()).deleteRef({ fs, gitdir: this.gitdir, ref });
    };
    return this.withLock(ref, remove);
  }

  /** Run `work` holding the ref's lock. */
  private async withLock<T>(ref: string, work: () => Promise<T>): Promise<T> {
    const lock = this.takeLock(ref);
    try {
      return await work();
    } finally {
      lock.release();
    }
  }

  /**
   * Take `<ref>.lock`, naming this process as its holder; a lock whose holder died
   * on this machine is broken first. A live holder: retry later. A lock without a
   * holder (git's): a person decides.
   */
  private takeLock(ref: string): ProcessLock {
    const lock = path.join(this.gitdir, `${ref}.lock`);
    fs.mkdirSync(path.dirname(lock), { recursive: true });
    const taken = ProcessLock.tryAcquire(lock, this.scratch());
    if (taken instanceof ProcessLock) return taken;
    if (taken.holder) throw new ConcurrentUpdateError(ref);
    throw staleLockError(ref, lock);
  }

  /** Write a ref's new value to a file of its own, then rename it over the ref (the lock is held). */
  private replaceRef(ref: string, content: string): void {
    traceWrite(`ref ${ref}`);
    const staging = path.join(this.scratch(), `ref-${process.pid}-${crypto.randomBytes(6).toString('hex')}`);
    const fd = fs.openSync(staging, 'w');
    try {
      fs.writeSync(fd, content);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    const target = path.join(this.gitdir, ref);
    try {
      fs.renameSync(staging, target);
    } catch (error) {
      fs.rmSync(staging, { force: true });
      throw error;
    }
    fsyncDirectory(path.dirname(target));
  }

  /** dgit's scratch folder, outside git's refs (files of dead processes there are removed by Repository.open). */
  private scratch(): string {
    const dir = path.join(this.gitdir, 'dgit', 'tmp');
    fs.mkdirSync(dir, { recursive: true });
    return dir;
  }

  async listBranches(): Promise<string[]> {
    return (await (await isomorphicGit()).listBranches({ fs, gitdir: this.gitdir })).sort();
  }

  async listTags(): Promise<string[]> {
    return (await (await isomorphicGit()).listTags({ fs, gitdir: this.gitdir })).sort();
  }
}

/**
 * A ref's lock exists and names no holder: git is writing the ref right now, or a
 * git process was killed while it did. Git's own advice holds.
 */
function staleLockError(ref: string, lock: string): ConcurrentUpdateError {
  return new ConcurrentUpdateError(
    ref,
    `${ref} is locked (${lock} exists): another git process seems to be running in this repository, or one was killed while writing; if no git or dgit process is running, remove the file and retry`,
  );
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
