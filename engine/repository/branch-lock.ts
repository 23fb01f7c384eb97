import { AsyncLocalStorage } from 'node:async_hooks';
import path from 'node:path';
import { DgitError } from '../errors/index.js';
import { ProcessLock } from '../store/process-lock.js';

/** How long a command waits for another that moves a branch or the checkout (they take milliseconds to seconds). */
const BRANCH_LOCK_WAIT_MS = 30_000;

/** The gitdirs whose branch lock the current async call chain holds (so merge may call commit inside its lock). */
const held = new AsyncLocalStorage<ReadonlySet<string>>();

/**
 * Run `work` holding the repository's branch lock (`.git/dgit/branch.lock`): the
 * commands that move a branch and mirror it into the working directory (commit,
 * merge, switch, reset) run one at a time, so a commit can never mirror its files
 * onto the checkout of a branch a concurrent switch made current. A lock whose
 * holder died is broken by the next command; a live holder is waited for, then
 * the command fails with a retryable error.
 */
export async function withBranchLock<T>(gitdir: string, work: () => Promise<T>): Promise<T> {
  const mine = held.getStore();
  if (mine?.has(gitdir)) return work();
  const file = path.join(gitdir, 'dgit', 'branch.lock');
  const lock = await ProcessLock.acquire(file, BRANCH_LOCK_WAIT_MS);
  if (!lock) throw new DgitError('CONCURRENT_UPDATE', `another dgit command is moving a branch (lock ${file}); retry when it has finished`, file, { retryable: true });
  try {
    return await held.run(new Set([...(mine ?? []), gitdir]), work);
  } finally {
    lock.release();
  }
}
