import type { Repository } from '../repository/repository.js';
import type { Commit } from '../store/git-objects.js';
import type { CommitId } from '../store/revision.js';
import { listTableTrees } from '../table/root-tree.js';
import { EMPTY_TREE } from '../table/root-tree.js';
import { UnknownNameError } from '../errors/index.js';

export interface LogEntry {
  commit: CommitId;
  parents: CommitId[];
  author: { name: string; email: string; date: string };
  committer: { name: string; email: string; date: string };
  message: string;
}

/**
 * History from `rev`, newest first by committer date (git log's default order),
 * optionally only the commits that changed table `table` against their first parent.
 */
export async function log(repository: Repository, options: { rev?: string; limit?: number; table?: string } = {}): Promise<LogEntry[]> {
  const start = await repository.resolve(options.rev ?? 'HEAD');
  const seen = new Set<string>([start]);
  const pending: Array<{ id: CommitId; commit: Commit }> = [{ id: start, commit: await repository.readCommit(start) }];
  const out: LogEntry[] = [];
  const limit = options.limit ?? Infinity;
  if (options.table !== undefined) await requireTableInHistory(repository, start, options.table);
  while (pending.length > 0 && out.length < limit) {
    pending.sort((a, b) => b.commit.committer.timestamp - a.commit.committer.timestamp);
    const { id, commit } = pending.shift()!;
    if (!options.table || (await touchesTable(repository, commit, options.table))) out.push(toEntry(id, commit));
    for (const parent of commit.parents) {
      if (seen.has(parent)) continue;
      seen.add(parent);
      pending.push({ id: parent as CommitId, commit: await repository.readCommit(parent as CommitId) });
    }
  }
  return out;
}

/**
 * A `--table` must name a table of the history (it may have been dropped since):
 * a typo is an error listing the tables at the start, never an empty log.
 */
async function requireTableInHistory(repository: Repository, start: CommitId, table: string): Promise<void> {
  const startTables = await listTableTrees(repository.store, (await repository.readCommit(start)).tree);
  if (startTables.has(table)) return;
  const seen = new Set<string>([start]);
  const pending: CommitId[] = [start];
  while (pending.length > 0) {
    const commit = await repository.readCommit(pending.pop()!);
    if ((await listTableTrees(repository.store, commit.tree)).has(table)) return;
    for (const parent of commit.parents) if (!seen.has(parent)) {
      seen.add(parent);
      pending.push(parent as CommitId);
    }
  }
  throw new UnknownNameError('table', table, [...startTables.keys()].sort(), '--table');
}

async function touchesTable(repository: Repository, commit: Commit, table: string): Promise<boolean> {
  const mine = (await listTableTrees(repository.store, commit.tree)).get(table);
  const parentTree = commit.parents[0] ? (await repository.readCommit(commit.parents[0] as CommitId)).tree : EMPTY_TREE;
  const theirs = (await listTableTrees(repository.store, parentTree)).get(table);
  return mine !== theirs;
}

function toEntry(id: CommitId, commit: Commit): LogEntry {
  const person = (s: Commit['author']) => ({ name: s.name, email: s.email, date: new Date(s.timestamp * 1000).toISOString() });
  return {
    commit: id,
    parents: commit.parents as CommitId[],
    author: person(commit.author),
    committer: person(commit.committer),
    message: commit.message.replace(/\n+$/, ''),
  };
}
