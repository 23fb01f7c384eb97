import { CorruptError, DgitError } from '../errors/index.js';
import { withBranchLock } from '../repository/branch-lock.js';
import type { Repository } from '../repository/repository.js';
import type { CommitId } from '../store/revision.js';
import type { ObjectId } from '../store/object-store.js';
import { syncBranchFiles } from './sync-branch-files.js';
import { stageWorktreeConfig } from '../config/repository-config.js';
import type { Progress } from '../progress.js';

export interface CommitOptions {
  message: string;
  author?: { name: string; email: string };
  /** Extra parents after the branch head (a merge commit). */
  extraParents?: CommitId[];
  /** Commit even when the working set equals the head. */
  allowEmpty?: boolean;
  /** Set by `merge` itself: a plain commit during a merge is refused. */
  mergeInProgress?: boolean;
  /** Told as the working directory's files are written. */
  progress?: Progress;
}

export interface CommitResult {
  commit: CommitId;
  branch: string;
  parents: CommitId[];
  tree: ObjectId;
}

/**
 * Commit the working set of the current branch: write the commit object, then move
 * the branch with compare-and-swap (a concurrent writer gets a retryable error and
 * the branch does not move), then clear the working-set state.
 */
export async function commit(repository: Repository, options: CommitOptions): Promise<CommitResult> {
  if (options.message.trim() === '') throw new DgitError('USAGE', 'empty commit message', '-m');
  return withBranchLock(repository.gitdir, () => commitLocked(repository, options));
}

async function commitLocked(repository: Repository, options: CommitOptions): Promise<CommitResult> {
  await stageWorktreeConfig(repository);
  const working = await repository.workingSet();
  if (!options.mergeInProgress && (await repository.mergeInProgress(working.branch)))
    throw new DgitError('MERGE_IN_PROGRESS', 'a merge is in progress; finish it with `dgit merge --continue` (or `--abort`)', working.branch);
  if (working.head && working.tree === working.headTree && !options.allowEmpty && !options.extraParents?.length)
    throw new DgitError('NOTHING_TO_COMMIT', 'nothing to commit, the working set is clean', working.branch);
  // A commit must never name an object git does not have (a working set lost to a gc, a damaged store).
  if (!(await repository.store.has(working.tree)))
    throw new CorruptError(`the working tree ${working.tree} of ${working.branch} is missing from the object store; nothing was committed; run \`dgit fsck\` to see what else is missing, \`dgit reset --hard\` to start again from the branch`, working.branch);
  const parents = [...(working.head ? [working.head] : []), ...(options.extraParents ?? [])];
  const author = await repository.signature(options.author, 'AUTHOR');
  const committer = await repository.signature(undefined, 'COMMITTER');
  const id = repository.writeCommit(repository.store, { tree: working.tree, parents, author, committer, message: options.message });
  const kind = !working.head ? 'commit (initial)' : parents.length > 1 ? 'commit (merge)' : 'commit';
  await repository.refs.compareAndSwap(`refs/heads/${working.branch}`, working.head, id, `${kind}: ${options.message.split('\n')[0]}`);
  // The ref moved: the state now equals the head; a crash before this line is read the same way (see Repository.workingSet).
  try {
    await repository.workingSets.update(working.branch, working.stored, undefined);
  } catch {
    // Another writer changed the working set meanwhile; its state is kept and reads against the new head.
  }
  await syncBranchFiles(repository, working.headTree, working.tree, options.progress);
  return { commit: id, branch: working.branch, parents, tree: working.tree };
}
