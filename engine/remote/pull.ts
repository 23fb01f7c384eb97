import { DgitError, NotFoundError, UncommittedChangesError } from '../errors/index.js';
import { merge, type MergeGate, type MergeOutcome } from '../commands/merge.js';
import type { Repository } from '../repository/repository.js';
import { checkBranchName } from '../store/ref-store.js';
import { fetch, type FetchOutcome } from './fetch.js';
import { defaultRemote, upstreamOf } from './remote-config.js';
import type { TransferOptions } from './transport.js';

export interface PullOptions extends TransferOptions {
  /** Default: the current branch's upstream remote, else `origin`. */
  remote?: string;
  /** The remote's branch; default the upstream's, else the current branch's name. */
  branch?: string;
  /** The merge commit's message. */
  message?: string;
  /** Checks run on a clean merge before it is committed (see `merge`). */
  gate?: MergeGate;
  /** Commit a clean merge without running the gate (`--no-verify`). */
  noVerify?: boolean;
}

export interface PullOutcome {
  fetch: FetchOutcome;
  /** The remote-tracking ref that was merged, e.g. `refs/remotes/origin/main`. */
  merged: string;
  merge: MergeOutcome;
}

/**
 * `fetch`, then merge the remote's branch into the current one with the data
 * three-way merge (fast-forward when possible; by key and cell otherwise, with
 * conflicts stored for `dgit conflicts` / `resolve` / `merge --continue`).
 * Refused before any download when the working set has uncommitted changes or a
 * merge is in progress.
 */
export async function pull(repository: Repository, options: PullOptions = {}): Promise<PullOutcome> {
  const local = repository.currentBranch();
  if (await repository.mergeInProgress(local)) throw new DgitError('MERGE_IN_PROGRESS', 'a merge is in progress; finish it with `dgit merge --continue` or `--abort` before pulling', local);
  const working = await repository.workingSet(local);
  if (working.tree !== working.headTree) throw new UncommittedChangesError('pulling', local, 'commit them (`dgit commit -m ...`) or drop them (`dgit reset --hard`)');
  const upstream = await upstreamOf(repository, local);
  const remote = options.remote ?? upstream?.remote ?? (await defaultRemote(repository, local, 'fetch'));
  const remoteBranch = options.branch ?? (upstream && upstream.remote === remote ? upstream.branch : local);
  checkBranchName(remoteBranch);
  const fetched = await fetch(repository, { ...options, remote });
  const tracking = `refs/remotes/${remote}/${remoteBranch}`;
  // A tracking ref outlives its branch on the remote (fetch keeps it without --prune): merging it would say
  // "Already up to date" about a branch that is gone. git refuses the same ("no such ref was fetched").
  const gone = fetched.branches !== undefined && !fetched.branches.includes(remoteBranch);
  if (gone || !(await repository.refs.resolve(tracking))) throw new NotFoundError(`branch ${JSON.stringify(remoteBranch)} on remote ${remote}`, fetched.url);
  const outcome = await merge(repository, tracking, {
    message: options.message ?? `Merge branch '${remoteBranch}' of ${fetched.url} into ${local}`,
    gate: options.gate,
    noVerify: options.noVerify,
  });
  return { fetch: fetched, merged: tracking, merge: outcome };
}
