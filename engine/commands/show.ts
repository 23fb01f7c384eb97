import type { Repository } from '../repository/repository.js';
import { EMPTY_TREE } from '../table/root-tree.js';
import type { DiffReport, NamedTableDiff } from '../diff/diff-report.js';
import { fixProfile, type FixProfile } from '../heal/fix-profile.js';
import { readFixTrailers, type FixTrailers } from '../heal/fix-trailers.js';
import { INCIDENTS_TABLE } from '../incidents/incident-words.js';
import type { CommitId } from '../store/revision.js';
import { diffTrees, type DiffRevisionsOptions } from './diff.js';
import { log, type LogEntry } from './log.js';

/** What `show` says first about a heal commit: the fix, its profile, and whether the incident memory was folded out of the diff. */
export interface ShownFix extends FixTrailers {
  /** Before/after profile of the affected rows of the user's tables. */
  profile: FixProfile;
  /** Whether the commit updated `_dgit_incidents`. */
  incidentMemoryUpdated: boolean;
  /** Whether that update is left out of the diff (it is unless `table` names it or `foldIncidentMemory` is false). */
  incidentMemoryFolded: boolean;
}

export interface ShownCommit {
  commit: LogEntry;
  diff: DiffReport;
  /** Set for a heal commit (one with a `dgit-fix:` trailer). */
  fix?: ShownFix;
}

/**
 * One commit, and its data diff against its first parent (against nothing for a
 * root commit). A heal commit leads with its fix: the kinds and counts of its
 * trailers and the before/after profile of the rows it changed; its update of the
 * incident memory is bookkeeping, folded out of the diff unless `table` asks for it
 * (or `foldIncidentMemory` is false: JSON keeps the whole diff).
 */
export async function show(repository: Repository, rev: string, options: DiffRevisionsOptions & { foldIncidentMemory?: boolean } = {}): Promise<ShownCommit> {
  const id = await repository.resolve(rev);
  const [entry] = await log(repository, { rev: id, limit: 1 });
  const commit = await repository.readCommit(id);
  const parent = commit.parents[0] as CommitId | undefined;
  const parentTree = parent ? (await repository.readCommit(parent)).tree : EMPTY_TREE;
  const diff = await diffTrees(repository, { name: parent ?? 'EMPTY', tree: parentTree }, { name: id, tree: commit.tree }, options);
  const trailers = readFixTrailers(commit.message);
  if (!trailers) return { commit: entry!, diff };
  const incidentMemoryUpdated = (await repository.tableTrees(parentTree)).get(INCIDENTS_TABLE) !== (await repository.tableTrees(commit.tree)).get(INCIDENTS_TABLE);
  const incidentMemoryFolded = incidentMemoryUpdated && options.table === undefined && options.foldIncidentMemory !== false;
  const profile = await fixProfile(repository, id, { table: options.table });
  return { commit: entry!, diff: incidentMemoryFolded ? withoutTable(diff, INCIDENTS_TABLE) : diff, fix: { ...trailers, profile, incidentMemoryUpdated, incidentMemoryFolded } };
}

/** A diff report without one table. */
export function withoutTable(report: DiffReport, table: string): DiffReport {
  const tables = report.tables;
  async function* shown(): AsyncGenerator<NamedTableDiff> {
    for await (const named of tables) if (named.table !== table) yield named;
  }
  return { ...report, tables: { [Symbol.asyncIterator]: shown } };
}
