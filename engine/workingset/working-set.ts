import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ConcurrentUpdateError, CorruptError } from '../errors/index.js';
import { readFileIfExists, writeFileAtomic } from '../store/atomic-file.js';
import type { ObjectId } from '../store/object-store.js';
import type { CommitId } from '../store/revision.js';

/**
 * Uncommitted changes of one branch: the root tree they make, and the commit they
 * were made on. Content-addressed like everything else, so staging costs only the
 * chunks it touches; kept in `.git/dgit/working/<branch>.json`, replaced atomically.
 */
export interface WorkingSetState {
  /** The commit the changes were made on (undefined: the branch had no commit yet). */
  base: CommitId | undefined;
  tree: ObjectId;
}

const StateSchema = z.object({
  base: z.string().regex(/^[0-9a-f]{40}$/).nullable(),
  tree: z.string().regex(/^[0-9a-f]{40}$/),
});

export class WorkingSetStore {
  private readonly dir: string;

  constructor(gitdir: string) {
    this.dir = path.join(gitdir, 'dgit', 'working');
  }

  private file(branch: string): string {
    // Branch names may hold "/", which becomes a folder, as in refs/heads/.
    return path.join(this.dir, `${branch}.json`);
  }

  read(branch: string): WorkingSetState | undefined {
    const text = readFileIfExists(this.file(branch));
    if (text === undefined) return undefined;
    let parsed;
    try {
      parsed = StateSchema.parse(JSON.parse(text));
    } catch (error) {
      throw new CorruptError('working-set state is unreadable', this.file(branch), error);
    }
    return { base: (parsed.base ?? undefined) as CommitId | undefined, tree: parsed.tree as ObjectId };
  }

  /**
   * Replace the state if it is still `expected` (compare-and-swap under a lock file,
   * as git does for refs); a concurrent writer gets a retryable error and nothing changes.
   */
  update(branch: string, expected: WorkingSetState | undefined, next: WorkingSetState | undefined): void {
    const file = this.file(branch);
    const lock = `${file}.lock`;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    try {
      fs.closeSync(fs.openSync(lock, 'wx'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new ConcurrentUpdateError(`working set of ${branch}`);
      throw error;
    }
    try {
      const current = this.read(branch);
      if (!sameState(current, expected)) throw new ConcurrentUpdateError(`working set of ${branch}`);
      if (next) writeFileAtomic(file, JSON.stringify({ base: next.base ?? null, tree: next.tree }) + '\n');
      else fs.rmSync(file, { force: true });
    } finally {
      fs.rmSync(lock, { force: true });
    }
  }
}

function sameState(a: WorkingSetState | undefined, b: WorkingSetState | undefined): boolean {
  if (!a || !b) return a === b;
  return a.base === b.base && a.tree === b.tree;
}
