import { CorruptError, DgitError, NotFoundError, UncommittedChangesError } from '../errors/index.js';
import type { Repository, WorkingSet } from '../repository/repository.js';
import { checkBranchName } from '../store/ref-store.js';
import type { CommitId } from '../store/revision.js';
import { syncBranchFiles } from './sync-branch-files.js';
import { withBranchLock } from '../repository/branch-lock.js';
import { StaleWorkingSetError } from '../workingset/carry-over.js';

export interface BranchInfo {
  name: string;
  commit: CommitId | undefined;
  current: boolean;
}

export async function listBranches(repository: Repository): Promise<BranchInfo[]> {
  const current = repository.currentBranch();
  const names = await repository.refs.listBranches();
  if (!names.includes(current)) names.push(current);
  return Promise.all(names.sort().map(async (name) => ({ name, commit: await repository.branchHead(name), current: name === current })));
}

/** Create a branch at `start` (default HEAD): one ref written, whatever the size of the data. */
export async function createBranch(repository: Repository, name: string, start?: string): Promise<BranchInfo> {
  checkBranchName(name);
  const commit = await repository.resolve(start ?? 'HEAD').catch((error: unknown) => {
    if (start === undefined && error instanceof NotFoundError) throw new DgitError('NOT_FOUND', 'the current branch has no commit yet; commit first', 'HEAD');
    throw error;
  });
  if (await repository.branchHead(name)) throw new DgitError('ALREADY_EXISTS', `a branch named ${name} already exists`, name);
  await repository.refs.compareAndSwap(`refs/heads/${name}`, undefined, commit, `branch: Created from ${start ?? 'HEAD'}`);
  return { name, commit, current: false };
}

/**
 * Delete a branch, as `git branch -d`: only when its commits are in the current
 * branch and it holds no uncommitted changes, so nothing is lost (`force`, as `-D`,
 * deletes anyway). Returns the commit it pointed at, to say how to get it back.
 */
export async function deleteBranch(repository: Repository, name: string, options: { force?: boolean } = {}): Promise<{ commit: CommitId }> {
  checkBranchName(name);
  if (name === repository.currentBranch()) throw new DgitError('USAGE', `cannot delete the current branch ${name}`, name);
  const head = await repository.branchHead(name);
  if (!head) throw await repository.unknownBranch(name);
  const stored = await repository.workingSets.read(name);
  if (!options.force) {
    const current = await repository.branchHead(repository.currentBranch());
    if (!current || !(await contains(repository, current, head)))
      throw new DgitError('USAGE', `branch ${name} is not fully merged into ${repository.currentBranch()}; \`dgit branch -D ${name}\` deletes it anyway`, name);
    const working = await repository.workingSet(name);
    if (working.tree !== working.headTree)
      throw new DgitError('USAGE', `branch ${name} has uncommitted changes; commit them on it, or \`dgit branch -D ${name}\` deletes them with it`, name);
  }
  await repository.refs.delete(`refs/heads/${name}`, head);
  if (stored) await repository.workingSets.update(name, stored, undefined);
  return { commit: head };
}

/** Whether `commit` is `tip` or one of its ancestors (a walk of the history from `tip`). */
async function contains(repository: Repository, tip: CommitId, commit: CommitId): Promise<boolean> {
  const seen = new Set<string>([tip]);
  const queue: CommitId[] = [tip];
  while (queue.length > 0) {
    const id = queue.pop()!;
    if (id === commit) return true;
    for (const parent of (await repository.readCommit(id)).parents) {
      if (seen.has(parent)) continue;
      seen.add(parent);
      queue.push(parent as CommitId);
    }
  }
  return false;
}

/**
 * `switch -c NAME` with uncommitted edits, as git does: the new branch starts at
 * the current commit and the edits move to it. The new branch's working set is
 * written before the old one is cleared, so a crash in between leaves the edits on
 * both branches, never on neither. The files on disk stay as they are (same commit).
 */
async function carryToNewBranch(repository: Repository, name: string, working: WorkingSet): Promise<BranchInfo> {
  if (!working.head) throw new DgitError('NOT_FOUND', 'the current branch has no commit yet; commit first', 'HEAD');
  if (await repository.branchHead(name)) throw new DgitError('ALREADY_EXISTS', `a branch named ${name} already exists`, name);
  await repository.refs.compareAndSwap(`refs/heads/${name}`, undefined, working.head, 'branch: Created from HEAD');
  await repository.workingSets.update(name, await repository.workingSets.read(name), { base: working.head, tree: working.tree });
  repository.refs.setHeadTarget(`refs/heads/${name}`);
  await repository.workingSets.update(working.branch, working.stored, undefined);
  return { name, commit: working.head, current: true };
}

/** Make `name` the current branch (creating it at `start` with `create`). */
export async function switchBranch(
  repository: Repository,
  name: string,
  options: { create?: boolean; start?: string; discard?: boolean } = {},
): Promise<BranchInfo> {
  checkBranchName(name);
  return withBranchLock(repository.gitdir, () => switchLocked(repository, name, options));
}

async function switchLocked(repository: Repository, name: string, options: { create?: boolean; start?: string; discard?: boolean }): Promise<BranchInfo> {
  const from = repository.currentBranch();
  // As git: switching to the branch you are on changes nothing, uncommitted edits included.
  if (name === from && !options.create) return { name, commit: await repository.branchHead(name), current: true };
  if (await repository.mergeInProgress(from)) throw new DgitError('MERGE_IN_PROGRESS', 'a merge is in progress; finish it with `dgit merge --continue` or `--abort` first', from);
  const working = await repository.workingSet(from);
  const dirty = working.tree !== working.headTree;
  if (dirty && !options.discard && options.create && (options.start === undefined || (await repository.resolve(options.start)) === working.head))
    return carryToNewBranch(repository, name, working);
  if (dirty && !options.discard) throw new UncommittedChangesError(`switching to ${name}`, from);
  if (options.create) await createBranch(repository, name, options.start);
  else if (!(await repository.branchHead(name))) throw await repository.unknownBranch(name);
  if (dirty) await repository.workingSets.update(from, working.stored, undefined);
  const target = await repository.workingSet(name);
  repository.refs.setHeadTarget(`refs/heads/${name}`);
  await syncBranchFiles(repository, working.headTree, target.headTree);
  return { name, commit: target.head, current: true };
}

export async function createTag(repository: Repository, name: string, rev = 'HEAD'): Promise<{ name: string; commit: CommitId }> {
  checkBranchName(name);
  const commit = await repository.resolve(rev);
  if (await repository.refs.resolve(`refs/tags/${name}`)) throw new DgitError('ALREADY_EXISTS', `a tag named ${name} already exists`, name);
  await repository.refs.compareAndSwap(`refs/tags/${name}`, undefined, commit);
  return { name, commit };
}

/** Move the current branch to `rev` and drop the working set's changes. */
export async function resetHard(repository: Repository, rev = 'HEAD'): Promise<{ branch: string; commit: CommitId }> {
  return withBranchLock(repository.gitdir, () => resetLocked(repository, rev));
}

async function resetLocked(repository: Repository, rev: string): Promise<{ branch: string; commit: CommitId }> {
  const working = await repository.workingSet().catch(async (error: unknown) => {
    // A working set left behind by a moved branch, or lost to a gc, is exactly what reset --hard is for.
    if (error instanceof StaleWorkingSetError || error instanceof CorruptError) {
      const branch = repository.currentBranch();
      const stored = await repository.workingSets.read(branch);
      await repository.workingSets.update(branch, stored, undefined);
      return repository.workingSet(branch);
    }
    throw error;
  });
  const commit = await repository.resolve(rev);
  const tree = (await repository.readCommit(commit)).tree;
  if (commit !== working.head) await repository.refs.compareAndSwap(`refs/heads/${working.branch}`, working.head, commit, `reset: moving to ${rev}`);
  if (working.stored) await repository.workingSets.update(working.branch, working.stored, undefined);
  await repository.merges.clear(working.branch);
  await syncBranchFiles(repository, working.headTree, tree);
  return { branch: working.branch, commit };
}
