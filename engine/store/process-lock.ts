import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

/** Who holds a lock: written into the lock file so another process can tell a live holder from a dead one. */
export interface LockHolder {
  pid: number;
  host: string;
  token: string;
  since: string;
}

const HolderSchema = z.object({ pid: z.number().int(), host: z.string(), token: z.string(), since: z.string() });

/**
 * A lock file made exclusively, holding its owner's pid. The file is written
 * whole beside the lock and hard-linked into place (link fails when the lock
 * exists: git's O_EXCL guarantee, without a window where the lock is empty), so a
 * reader always finds a holder. A lock whose holder died on this machine is
 * broken by the next process that wants it: a crash never blocks the queue for good.
 */
export class ProcessLock {
  private held = true;

  private constructor(
    readonly file: string,
    readonly holder: LockHolder,
  ) {}

  /**
   * Take the lock, or return who holds it. `scratch` is where the holder file is
   * written before it is linked into place and where a broken lock is put aside
   * (default: `tmp/` beside the lock; a lock among git's refs needs one outside them).
   */
  static tryAcquire(file: string, scratch = path.join(path.dirname(file), 'tmp')): ProcessLock | { holder: LockHolder | undefined } {
    const holder: LockHolder = { pid: process.pid, host: os.hostname(), token: crypto.randomBytes(8).toString('hex'), since: new Date().toISOString() };
    // dgit/tmp/*-<pid>-* files of dead processes are removed by Repository.open.
    const staging = path.join(scratch, `lock-${process.pid}-${holder.token}`);
    fs.mkdirSync(path.dirname(staging), { recursive: true });
    fs.writeFileSync(staging, JSON.stringify(holder) + '\n');
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          fs.linkSync(staging, file);
          return new ProcessLock(file, holder);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        }
        const current = readHolder(file);
        if (current === 'absent') continue;
        if (current === undefined || !isDead(current)) return { holder: current };
        breakStaleLock(file, current, scratch);
      }
      return { holder: undefined };
    } finally {
      fs.rmSync(staging, { force: true });
    }
  }

  /** Take the lock, waiting up to `timeoutMs` for a live holder to let go; undefined when it does not. */
  static async acquire(file: string, timeoutMs: number): Promise<ProcessLock | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (let wait = 2; ; wait = Math.min(wait * 2, 50)) {
      const result = ProcessLock.tryAcquire(file);
      if (result instanceof ProcessLock) return result;
      if (Date.now() >= deadline) return undefined;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  /** Let go of the lock (only if the file is still ours). */
  release(): void {
    if (!this.held) return;
    this.held = false;
    const current = readHolder(this.file);
    if (current !== 'absent' && current?.token === this.holder.token) fs.rmSync(this.file, { force: true });
  }
}

function readHolder(file: string): LockHolder | undefined | 'absent' {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw error;
  }
  try {
    return HolderSchema.parse(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/** Dead: held by a process of this machine that no longer runs. A holder on another host is never presumed dead. */
function isDead(holder: LockHolder): boolean {
  if (holder.host !== os.hostname()) return false;
  if (holder.pid === process.pid) return false;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Remove a dead holder's lock. Renaming first and reading what was renamed tells
 * whether the file was still the dead one: if another process broke it and took
 * the lock meanwhile, its lock is put back (link fails only if yet another took it).
 */
function breakStaleLock(file: string, stale: LockHolder, scratch: string): void {
  const aside = path.join(scratch, `stale-${process.pid}-${crypto.randomBytes(6).toString('hex')}`);
  try {
    fs.renameSync(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const moved = readHolder(aside);
  if (moved !== 'absent' && moved !== undefined && moved.token !== stale.token) {
    try {
      fs.linkSync(aside, file);
    } catch {
      // Someone holds it again; their lock stands.
    }
  }
  fs.rmSync(aside, { force: true });
}
