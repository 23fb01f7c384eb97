import fs from 'node:fs';
import path from 'node:path';
import { ConcurrentUpdateError, DgitError } from '../errors/index.js';
import { fsyncDirectory } from '../store/atomic-file.js';
import { traceWrite } from '../store/write-trace.js';

/**
 * Git's lock protocol for the index, so that git and dgit exclude each other:
 * create `index.lock` exclusively, write the new index into it, fsync, rename it
 * over `index`. While the lock is held no other git command touches the index or
 * the working files it describes.
 */
export class IndexLock {
  private fd: number | undefined;

  private constructor(
    readonly indexPath: string,
    readonly lockPath: string,
    fd: number,
  ) {
    this.fd = fd;
  }

  /** Take the lock; throws ConcurrentUpdateError (retryable) when another process holds it. */
  static acquire(gitdir: string): IndexLock {
    const indexPath = path.join(gitdir, 'index');
    const lockPath = `${indexPath}.lock`;
    let fd: number;
    try {
      fd = fs.openSync(lockPath, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o666);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new ConcurrentUpdateError(`git index ${indexPath} (index.lock exists)`);
      throw error;
    }
    return new IndexLock(indexPath, lockPath, fd);
  }

  /** Make `content` the new index and release the lock. */
  commit(content: Uint8Array): void {
    traceWrite('index');
    const fd = this.openFd();
    try {
      fs.writeSync(fd, content);
      fs.fsyncSync(fd);
    } finally {
      // Forgotten before the close, so `release` can never close the number again (see PackWriter.abort).
      this.fd = undefined;
      fs.closeSync(fd);
    }
    try {
      fs.renameSync(this.lockPath, this.indexPath);
    } catch (error) {
      fs.rmSync(this.lockPath, { force: true });
      throw error;
    }
    fsyncDirectory(path.dirname(this.indexPath));
  }

  /** Give the lock up without changing the index. Does nothing once committed or released. */
  release(): void {
    const fd = this.fd;
    if (fd === undefined) return;
    this.fd = undefined;
    fs.closeSync(fd);
    fs.rmSync(this.lockPath, { force: true });
  }

  private openFd(): number {
    if (this.fd === undefined) throw new DgitError('INTERNAL', 'the index lock was already released', this.lockPath);
    return this.fd;
  }
}
