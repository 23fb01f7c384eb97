import type { Repository } from '../repository/repository.js';
import { EMPTY_TREE } from '../table/root-tree.js';
import type { DiffReport } from '../diff/diff-report.js';
import { diffTrees, type DiffRevisionsOptions } from './diff.js';
import { log, type LogEntry } from './log.js';

/** One commit, and its data diff against its first parent (against nothing for a root commit). */
export async function show(repository: Repository, rev: string, options: DiffRevisionsOptions = {}): Promise<{ commit: LogEntry; diff: DiffReport }> {
  const id = await repository.resolve(rev);
  const [entry] = await log(repository, { rev: id, limit: 1 });
  const commit = await repository.readCommit(id);
  const parent = commit.parents[0];
  const parentTree = parent ? (await repository.readCommit(parent as typeof id)).tree : EMPTY_TREE;
  const diff = await diffTrees(repository, { name: parent ?? 'EMPTY', tree: parentTree }, { name: id, tree: commit.tree }, options);
  return { commit: entry!, diff };
}
