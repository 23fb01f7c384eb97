import type { Progress } from '../progress.js';
import type { Repository } from '../repository/repository.js';
import type { CommitId } from '../store/revision.js';
import type { SchemaChanges, TableStatus } from '../diff/index.js';
import { conflictCount } from '../workingset/merge-state.js';
import { diffTreeStats } from './diff.js';
import { configChange, stageWorktreeConfig } from '../config/repository-config.js';

export interface StatusReport {
  branch: string;
  head: CommitId | null;
  clean: boolean;
  tables: Array<{ table: string; status: TableStatus; summary: { added: number; deleted: number; modified: number }; schema: SchemaChanges }>;
  /** How dgit.yml in the working set differs from HEAD's, or null when it does not. */
  config: 'added' | 'deleted' | 'modified' | null;
  merge: { theirs: string; theirsCommit: CommitId; conflicts: number; tables: string[]; blockedBy: string | null } | null;
}

/** The branch, and per table the rows added, deleted and modified in the working set against HEAD. */
export async function status(repository: Repository, options: { progress?: Progress } = {}): Promise<StatusReport> {
  await stageWorktreeConfig(repository);
  const working = await repository.workingSet();
  const stats = await diffTreeStats(repository, working.headTree, working.tree, options.progress);
  const merge = await repository.mergeInProgress(working.branch);
  const config = (await configChange(repository, working.headTree, working.tree)) ?? null;
  return {
    branch: working.branch,
    head: working.head ?? null,
    clean: stats.length === 0 && config === null,
    config,
    tables: stats.map((s) => ({ table: s.table, status: s.status, summary: s.summary, schema: s.schema })),
    merge: merge
      ? { theirs: merge.theirsName, theirsCommit: merge.theirs, conflicts: conflictCount(merge), tables: merge.tables.map((t) => t.table), blockedBy: merge.blockedBy ?? null }
      : null,
  };
}
