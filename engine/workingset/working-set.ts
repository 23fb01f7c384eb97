import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ConcurrentUpdateError, CorruptError } from '../errors/index.js';
import { readFileIfExists } from '../store/atomic-file.js';
import { parseCommit, serializeCommit } from '../store/git-objects.js';
import type { ObjectId, ObjectStore } from '../store/object-store.js';
import type { RefStore } from '../store/ref-store.js';
import type { CommitId } from '../store/revision.js';
import { STATE_SIGNATURE, workingSetRef } from './state-commit.js';

/**
 * Uncommitted changes of one branch: the root tree they make, and the commit they
 * were made on. Content-addressed like everything else, so staging costs only the
 * chunks it touches.
 */
export interface WorkingSetState {
  /** The commit the changes were made on (undefined: the branch had no commit yet). */
  base: CommitId | undefined;
  tree: ObjectId;
  /** The state commit at `refs/dgit/working/<branch>` that holds this state (undefined: read from a pre-ref state file). */
  commit?: CommitId;
}

const LegacyStateSchema = z.object({
  base: z.string().regex(/^[0-9a-f]{40}$/).nullable(),
  tree: z.string().regex(/^[0-9a-f]{40}$/),
});

/**
 * The working sets, one ref per branch: `refs/dgit/working/<branch>` names a commit
 * whose tree is the working tree and whose only parent is its base, so `git gc`
 * keeps every object the uncommitted changes need, and `git branch keep
 * refs/dgit/working/<branch>` turns them into a branch with plain git. Updated by
 * compare-and-swap on the ref (git's lock protocol). Repositories made before the
 * ref kept the state in `.git/dgit/working/<branch>.json`: it is read while no ref
 * exists, and moved to the ref by the first write.
 */
export class WorkingSetStore {
  private readonly legacyDir: string;

  constructor(
    private readonly store: ObjectStore,
    private readonly refs: RefStore,
  ) {
    this.legacyDir = path.join(store.gitdir, 'dgit', 'working');
  }

  private legacyFile(branch: string): string {
    // Branch names may hold "/", which became a folder, as in refs/heads/.
    return path.join(this.legacyDir, `${branch}.json`);
  }

  /** The stored state of a branch's working set (undefined: clean). */
  async read(branch: string): Promise<WorkingSetState | undefined> {
    const commit = (await this.refs.resolve(workingSetRef(branch))) as CommitId | undefined;
    if (commit) return this.fromCommit(commit);
    return this.readLegacy(branch);
  }

  private async fromCommit(commit: CommitId): Promise<WorkingSetState> {
    const parsed = parseCommit(await this.store.readTyped(commit, 'commit'), commit);
    return { base: parsed.parents[0] as CommitId | undefined, tree: parsed.tree, commit };
  }

  private readLegacy(branch: string): WorkingSetState | undefined {
    const text = readFileIfExists(this.legacyFile(branch));
    if (text === undefined) return undefined;
    let parsed;
    try {
      parsed = LegacyStateSchema.parse(JSON.parse(text));
    } catch (error) {
      throw new CorruptError('working-set state is unreadable', this.legacyFile(branch), error);
    }
    return { base: (parsed.base ?? undefined) as CommitId | undefined, tree: parsed.tree as ObjectId };
  }

  /** Write the state commit of a state (not moving any ref); the tree and base must be stored already. */
  stateCommit(branch: string, state: { base: CommitId | undefined; tree: ObjectId }): CommitId {
    const content = serializeCommit({
      tree: state.tree,
      parents: state.base ? [state.base] : [],
      author: STATE_SIGNATURE,
      committer: STATE_SIGNATURE,
      message: `dgit working set of ${branch}\n`,
    });
    return this.store.write('commit', content) as CommitId;
  }

  /**
   * Replace the state if it is still `expected` (compare-and-swap on the ref); a
   * concurrent writer gets a retryable error and nothing changes.
   */
  async update(branch: string, expected: WorkingSetState | undefined, next: WorkingSetState | undefined): Promise<void> {
    const ref = workingSetRef(branch);
    let currentCommit = (await this.refs.resolve(ref)) as CommitId | undefined;
    const current = currentCommit ? await this.fromCommit(currentCommit) : this.readLegacy(branch);
    if (!sameState(current, expected)) throw new ConcurrentUpdateError(`working set of ${branch}`);
    if (!currentCommit && current) {
      // Migrate a pre-ref state file: the ref first (from then on it is what every reader sees), then the file goes.
      currentCommit = this.stateCommit(branch, current);
      await this.refs.compareAndSwap(ref, undefined, currentCommit);
    }
    fs.rmSync(this.legacyFile(branch), { force: true });
    if (next) {
      const commit = this.stateCommit(branch, next);
      if (commit !== currentCommit) await this.refs.compareAndSwap(ref, currentCommit, commit);
    } else if (currentCommit) {
      await this.refs.delete(ref, currentCommit);
    }
  }
}

function sameState(a: WorkingSetState | undefined, b: WorkingSetState | undefined): boolean {
  if (!a || !b) return a === b;
  return a.base === b.base && a.tree === b.tree;
}
