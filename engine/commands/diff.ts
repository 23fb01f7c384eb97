import type { Progress } from '../progress.js';
import { diffStat, diffTables, type DiffStat } from '../diff/index.js';
import type { Repository, Revision } from '../repository/repository.js';
import { WORKING } from '../repository/repository.js';
import { readTableVersion } from '../table/table-tree.js';
import type { ObjectId } from '../store/object-store.js';
import type { DiffReport, NamedTableDiff } from '../diff/diff-report.js';
import { EMPTY_TREE } from '../table/root-tree.js';
import { UnknownNameError } from '../errors/index.js';

/** Which two revisions a `dgit diff` compares, from its arguments (git's rules). */
export function diffEnds(revs: string[]): { from: string; to: string } {
  if (revs.length === 1 && revs[0]!.includes('..')) {
    const [from, to] = revs[0]!.split('..');
    return { from: from || 'HEAD', to: to || 'HEAD' };
  }
  if (revs.length === 0) return { from: 'HEAD', to: WORKING };
  if (revs.length === 1) return { from: revs[0]!, to: WORKING };
  return { from: revs[0]!, to: revs[1]! };
}

async function treeOf(repository: Repository, rev: string): Promise<{ name: string; tree: ObjectId }> {
  if (rev === WORKING) return { name: WORKING, tree: (await repository.workingSet()).tree };
  const revision: Revision = await repository.revision(rev);
  return { name: revision.kind === 'commit' ? revision.commit : WORKING, tree: revision.tree };
}

/** Table names that differ between two root trees (their table trees are not the same object). */
async function changedTables(repository: Repository, from: ObjectId, to: ObjectId, only?: string): Promise<Array<{ table: string; from?: ObjectId; to?: ObjectId }>> {
  const a = await repository.tableTrees(from);
  const b = await repository.tableTrees(to);
  const names = [...new Set([...a.keys(), ...b.keys()])].sort();
  // A typo must not read as "no differences": the table has to exist on one side.
  if (only !== undefined && !names.includes(only)) throw new UnknownNameError('table', only, names, '--table');
  return names.filter((t) => (!only || t === only) && a.get(t) !== b.get(t)).map((table) => ({ table, from: a.get(table), to: b.get(table) }));
}

/** What a diff of two revisions compares, and who hears how far it is. */
export interface DiffRevisionsOptions {
  /** Only this table (an error when neither side has it). */
  table?: string;
  /**
   * Told, table by table, how many chunks of both sides the walk has passed. The
   * report is lazy: the events come while its tables and rows are read, that is
   * while the caller renders them.
   */
  progress?: Progress;
}

/**
 * The data diff between two revisions (commit ids, refs, or WORKING), table by
 * table, produced lazily so renderers hold one table at a time and only the chunks
 * that differ are read.
 */
export async function diffRevisions(repository: Repository, fromRev: string, toRev: string, options: DiffRevisionsOptions = {}): Promise<DiffReport> {
  const from = await treeOf(repository, fromRev);
  const to = await treeOf(repository, toRev);
  return diffTrees(repository, from, to, options);
}

export async function diffTrees(
  repository: Repository,
  from: { name: string; tree: ObjectId },
  to: { name: string; tree: ObjectId },
  options: DiffRevisionsOptions = {},
): Promise<DiffReport> {
  const tables = await changedTables(repository, from.tree, to.tree, options.table);
  const reader = repository.chunks();
  async function* generate(): AsyncGenerator<NamedTableDiff> {
    for (const [index, t] of tables.entries()) {
      const before = t.from ? await readTableVersion(repository.store, t.from, t.table) : undefined;
      const after = t.to ? await readTableVersion(repository.store, t.to, t.table) : undefined;
      const diff = await diffTables(before, after, reader, { progress: tableProgress(options.progress, t.table, index, tables.length) });
      if (diff.status !== 'unchanged') yield { table: t.table, diff };
    }
  }
  return { from: from.name, to: to.name, tables: { [Symbol.asyncIterator]: generate } };
}

/** Counts of added, deleted and modified rows per table between two trees. */
export async function diffTreeStats(repository: Repository, from: ObjectId, to: ObjectId, progress?: Progress): Promise<Array<{ table: string } & DiffStat>> {
  const reader = repository.chunks();
  const out: Array<{ table: string } & DiffStat> = [];
  const changed = await changedTables(repository, from, to);
  for (const [index, t] of changed.entries()) {
    const before = t.from ? await readTableVersion(repository.store, t.from, t.table) : undefined;
    const after = t.to ? await readTableVersion(repository.store, t.to, t.table) : undefined;
    const stat = await diffStat(before, after, reader, { progress: tableProgress(progress, t.table, index, changed.length) });
    if (stat.status !== 'unchanged') out.push({ table: t.table, ...stat });
  }
  return out;
}

/**
 * The chunk progress of one table's diff under a phase that names the table and
 * its place among the tables compared: "Comparing flights (table 2 of 5)".
 */
function tableProgress(progress: Progress | undefined, table: string, index: number, count: number): Progress | undefined {
  if (!progress) return undefined;
  const phase = `Comparing ${table} (table ${index + 1} of ${count})`;
  return (event) => progress({ ...event, phase });
}

export { EMPTY_TREE };
