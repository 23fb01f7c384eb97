import type { Signature } from '../store/git-objects.js';

/**
 * dgit's state outside commits (working sets, merges in progress) is kept as
 * commits under `refs/dgit/`, so that `git gc`, `git repack` and `git maintenance`
 * see every object it names: a ref is a root of git's reachability walk, a file
 * under `.git/dgit/` is not. A state commit is written with a fixed signature, so
 * equal states are equal commits (a compare-and-swap that expects a state finds
 * it whichever process wrote it).
 */
export const STATE_SIGNATURE: Signature = { name: 'dgit', email: 'dgit@localhost', timestamp: 0, timezoneOffset: 0 };

/** The ref of a branch's working set: a commit whose tree is the working tree and whose parent is the commit it was made on. */
export function workingSetRef(branch: string): string {
  return `refs/dgit/working/${branch}`;
}

/** The ref of a branch's merge in progress: a commit holding `merge.json`, with the merged commits as parents. */
export function mergeStateRef(branch: string): string {
  return `refs/dgit/merge/${branch}`;
}
