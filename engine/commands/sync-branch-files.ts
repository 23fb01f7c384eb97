import type { Repository } from '../repository/repository.js';
import type { ObjectId } from '../store/object-store.js';
import { syncWorktree } from '../worktree/index.js';
import type { Progress } from '../progress.js';

/**
 * Keep the files of the working directory mirroring the current branch after its
 * head moved from tree `from` to tree `to` (DESIGN.md section 3): only the chunk
 * files that changed are written, and git's index follows, so `git status` stays clean.
 */
export async function syncBranchFiles(repository: Repository, from: ObjectId, to: ObjectId, progress?: Progress): Promise<void> {
  if (repository.bare || from === to) return;
  await syncWorktree({ dir: repository.dir, gitdir: repository.gitdir, store: repository.store, from, to, progress });
}
