import type { Repository } from './repository.js';
import type { CommitId } from '../store/revision.js';

/**
 * Every commit reachable from `tips` and not from `stops` (git's `tips ^stops`),
 * read from commit objects only.
 */
export async function commitsBetween(repository: Repository, tips: Iterable<CommitId>, stops: Iterable<CommitId> = []): Promise<CommitId[]> {
  const excluded = await reachableCommits(repository, stops);
  const out: CommitId[] = [];
  const seen = new Set<string>(excluded);
  const queue = [...tips].filter((id) => !seen.has(id));
  for (const id of queue) seen.add(id);
  while (queue.length > 0) {
    const id = queue.pop()!;
    out.push(id);
    for (const parent of (await repository.readCommit(id)).parents) {
      if (seen.has(parent)) continue;
      seen.add(parent);
      queue.push(parent as CommitId);
    }
  }
  return out;
}

async function reachableCommits(repository: Repository, tips: Iterable<CommitId>): Promise<Set<string>> {
  const seen = new Set<string>();
  const queue = [...tips];
  while (queue.length > 0) {
    const id = queue.pop()!;
    if (seen.has(id) || !(await repository.store.has(id))) continue;
    seen.add(id);
    for (const parent of (await repository.readCommit(id)).parents) if (!seen.has(parent)) queue.push(parent as CommitId);
  }
  return seen;
}
