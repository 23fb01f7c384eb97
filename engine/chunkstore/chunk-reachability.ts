import type { Repository } from '../repository/repository.js';
import { parseTree } from '../store/git-objects.js';
import type { ObjectId } from '../store/object-store.js';
import type { CommitId } from '../store/revision.js';
import { readTableVersion } from '../table/table-tree.js';

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
