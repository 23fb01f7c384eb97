import { DgitError } from '../errors/index.js';
import type { Repository } from '../repository/repository.js';
import type { ObjectId } from '../store/object-store.js';
import type { CommitId } from '../store/revision.js';
import { workingSetRef } from './state-commit.js';
import type { WorkingSetState } from './working-set.js';

/**
 * Uncommitted changes whose branch moved under them and that conflict with the
 * move. Nothing is dropped: the changes stay at `refs/dgit/working/<branch>` (a
 * commit on their old base) until the user keeps them as a branch or drops them.
 */
export class StaleWorkingSetError extends DgitError {
  constructor(branch: string, base: CommitId | undefined, head: CommitId | undefined, detail: string) {
    const ref = workingSetRef(branch);
    super(
      'UNCOMMITTED_CHANGES',
      `the uncommitted changes of ${branch} were made on ${base?.slice(0, 12) ?? 'an empty branch'}, but ${branch} moved to ${head?.slice(0, 12) ?? 'nothing'} outside dgit and ${detail}; ` +
        `keep them as a branch with \`git branch ${branch}-uncommitted ${ref}\` (then \`dgit merge ${branch}-uncommitted\`), or drop them with \`dgit reset --hard\``,
      branch,
    );
    this.name = 'StaleWorkingSetError';
  }
}

/**
 * The working tree of `stored` carried onto `head`: a three-way merge by key and
 * cell of the changes (stored.base -> stored.tree) into the branch's new commit.
 * The result is not stored here; the next write of the working set stores it.
 */
export async function carryWorkingSet(repository: Repository, branch: string, stored: WorkingSetState, head: CommitId | undefined): Promise<ObjectId> {
  if (!head) throw new StaleWorkingSetError(branch, stored.base, head, 'the branch no longer exists');
  const changes = stored.commit ?? repository.workingSets.stateCommit(branch, stored);
  // Loaded here, not at the top: opening a repository must not load the whole merge machinery.
  const { mergeCommits } = await import('../commands/merge.js');
  const merged = await mergeCommits(repository, head, changes, { base: { commit: stored.base } });
  if (merged.conflicts.length > 0) {
    const tables = merged.conflicts.map((t) => t.table).join(', ');
    throw new StaleWorkingSetError(branch, stored.base, head, `they conflict with it in ${tables}`);
  }
  return merged.tree;
}
