import type { Repository } from '../repository/repository.js';
import { parseTree } from '../store/git-objects.js';
import type { ObjectId } from '../store/object-store.js';
import type { CommitId } from '../store/revision.js';
import { readTableVersion } from '../table/table-tree.js';

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

/**
 * Collects the chunk ids that root trees name through tables kept in the chunk
 * store (table trees without `chunks/`); a table tree whose chunks are git blobs
 * travels with git and is skipped (`all: true` counts it too). Each table tree
 * is read once, however many commits share it.
 */
export class ChunkCollector {
  readonly ids = new Set<string>();
  private readonly seenTables = new Set<string>();

  constructor(
    private readonly repository: Repository,
    private readonly options: { all?: boolean } = {},
  ) {}

  async addCommit(id: CommitId): Promise<void> {
    await this.addTree((await this.repository.readCommit(id)).tree);
  }

  async addTree(root: ObjectId): Promise<void> {
    for (const [name, tableTree] of await this.repository.tableTrees(root)) {
      if (this.seenTables.has(tableTree)) continue;
      this.seenTables.add(tableTree);
      if (!this.options.all) {
        const entries = parseTree(await this.repository.store.readTyped(tableTree, 'tree'), `tables/${name}`);
        if (entries.some((e) => e.name === 'chunks' && e.mode === '40000')) continue;
      }
      const version = await readTableVersion(this.repository.store, tableTree, name);
      for (const chunk of version.manifest.chunks) this.ids.add(chunk.id);
    }
  }
}
