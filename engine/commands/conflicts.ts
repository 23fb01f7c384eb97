import { DgitError, InvalidInputError, UnknownNameError } from '../errors/index.js';
import type { Repository } from '../repository/repository.js';
import { keyColumnIndexes, keyColumnNames, type TableSchema } from '../schema/schema.js';
import { applyEdits } from '../table/apply-edits.js';
import { withRootFile, withTableTree } from '../table/root-tree.js';
import { writeTableTree } from '../table/table-tree.js';
import { fromJsonValue, rowToJson, type Row } from '../value/value.js';
import type { MergeState, TableConflicts } from '../workingset/merge-state.js';
import type { ObjectId } from '../store/object-store.js';
import type { CommitId } from '../store/revision.js';
import { openSortedSource } from '../import/source.js';
import { arrowToRows } from '../store/parquet/chunk-codec.js';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { diffStat } from '../diff/table-diff.js';
import { hasSchemaChanges } from '../diff/schema-diff.js';

/** The conflicts of the merge in progress, in CLI.md's JSON shape (schema conflicts have kind "schema"). */
export async function listConflicts(repository: Repository, options: { table?: string } = {}): Promise<{ tables: Array<{ table: string; conflicts: unknown[] }> }> {
  const state = await repository.mergeInProgress();
  if (!state) throw new DgitError('NO_MERGE_IN_PROGRESS', 'no merge is in progress', repository.currentBranch());
  if (options.table !== undefined && !state.tables.some((t) => t.table === options.table))
    await repository.requireTable((await repository.workingSet()).tree, options.table, '--table'); // a typo names the tables there are
  const tables = state.tables
    .filter((t) => !options.table || t.table === options.table)
    .map((t) => ({ table: t.table, conflicts: [...t.schemaConflicts, ...t.conflicts] }));
  return { tables };
}

export type Resolution = { side: 'ours' | 'theirs' } | { file: string };

/**
 * Resolve one table's conflicts: keep ours, take theirs (the whole row, or the
 * whole table for a schema conflict), or take the rows of a file for the
 * conflicting keys it lists. Everything is validated before anything is written.
 */
/**
 * The other side's row changes to a table whose schema conflict was resolved by
 * taking one side's whole table: they are not in the result, and the user is told
 * how many (a whole-table resolution of one conflicting column would otherwise drop
 * every unrelated edit of the other side without a word).
 */
export interface DiscardedChanges {
  /** The side whose changes are not in the result. */
  side: 'ours' | 'theirs';
  /** Its commit, and the merge base: `dgit diff BASE..COMMIT` shows the changes. */
  commit: string;
  base: string;
  /**
   * Counted from a virtual base (the merge bases of a criss-cross history merged), not from `base`:
   * no single commit shows these changes then.
   */
  virtualBase: boolean;
  added: number;
  deleted: number;
  modified: number;
  /** Whether its schema changes (columns added, dropped, renamed or retyped; the key) are left out too. */
  schemaChanged: boolean;
}

export async function resolveConflicts(
  repository: Repository,
  table: string,
  resolution: Resolution,
): Promise<{ table: string; resolved: number; remaining: number; discarded?: DiscardedChanges }> {
  const branch = repository.currentBranch();
  const state = await repository.mergeInProgress(branch);
  if (!state) throw new DgitError('NO_MERGE_IN_PROGRESS', 'no merge is in progress', branch);
  const entry = state.tables.find((t) => t.table === table);
  if (!entry || entry.conflicts.length + entry.schemaConflicts.length === 0)
    throw new UnknownNameError('table with conflicts', table, state.tables.filter((t) => t.conflicts.length + t.schemaConflicts.length > 0).map((t) => t.table), undefined, 'tables with conflicts');

  let next: TableConflicts;
  let resolved: number;
  let discarded: DiscardedChanges | undefined;
  if (entry.schemaConflicts.length > 0) {
    if (!('side' in resolution)) throw new InvalidInputError(`${table} has a schema conflict: resolve it with --ours or --theirs`, table);
    const chosen = resolution.side === 'ours' ? entry.oursTree : entry.theirsTree;
    const isTable = !entry.schemaConflicts.some((c) => c['reason'] === 'file');
    if (isTable && state.base) discarded = await rowChangesOf(repository, table, resolution.side === 'ours' ? 'theirs' : 'ours', { ...state, base: state.base }, resolution.side === 'ours' ? state.theirs : state.ours);
    await repository.changeWorkingSet(async ({ working, tx }) => {
      // A root file (dgit.yml) conflicts whole; a table takes the chosen side's table tree.
      const isFile = entry.schemaConflicts.some((c) => c['reason'] === 'file');
      const tree: ObjectId = isFile
        ? await withRootFile(repository.store, tx, working.tree, table, chosen ? await repository.store.readTyped(chosen as ObjectId, 'blob') : undefined)
        : await withTableTree(repository.store, tx, working.tree, table, (chosen ?? undefined) as ObjectId | undefined);
      return { tree, result: undefined };
    });
    resolved = entry.conflicts.length + entry.schemaConflicts.length;
    next = { ...entry, conflicts: [], schemaConflicts: [] };
  } else {
    const working = await repository.workingSet();
    const version = await repository.requireTable(working.tree, table, table);
    const schema = version.schema;
    const keyOf = (json: Record<string, unknown>) => JSON.stringify(keyColumnNames(schema).map((k) => json[k] ?? null));
    let chosenRows: Row[] = [];
    const deletes: Row[] = [];
    let settled: Set<string>;
    if ('side' in resolution) {
      settled = new Set(entry.conflicts.map((c) => keyOf(c['key'] as Record<string, unknown>)));
      if (resolution.side === 'theirs') {
        for (const conflict of entry.conflicts) {
          if (conflict['kind'] === 'bag') {
            // A keyless row: ours' copies are in the table; add or remove copies until theirs' count.
            const counts = conflict['counts'] as { ours: number; theirs: number };
            const row = rowFromJson(schema, conflict['key'] as Record<string, unknown>, table);
            for (let i = counts.ours; i < counts.theirs; i++) chosenRows.push(row);
            for (let i = counts.theirs; i < counts.ours; i++) deletes.push(row);
            continue;
          }
          const theirs = conflict['theirs'] as Record<string, unknown> | null;
          if (theirs) chosenRows.push(rowFromJson(schema, theirs, table));
          else deletes.push(keyFromJson(schema, conflict['key'] as Record<string, unknown>, table));
        }
      }
    } else {
      if (entry.conflicts.some((c) => c['kind'] === 'bag'))
        throw new InvalidInputError(`${table} is keyless and its conflicts are copy counts: resolve them with --ours or --theirs`, table);
      chosenRows = await rowsOfFile(repository, resolution.file, schema);
      const conflicted = new Set(entry.conflicts.map((c) => keyOf(c['key'] as Record<string, unknown>)));
      settled = new Set();
      for (const row of chosenRows) {
        const key = keyOf(rowToJson(schema.columns, row));
        if (!conflicted.has(key)) throw new InvalidInputError(`the key ${key} of ${resolution.file} is not in conflict in ${table}`, resolution.file);
        settled.add(key);
      }
    }
    if (chosenRows.length + deletes.length > 0) {
      await repository.changeWorkingSet(async ({ working: current, tx, chunks }) => {
        const applied = await applyEdits(schema, version.manifest, { upserts: chosenRows, deletes }, { reader: chunks, writer: chunks });
        const tableTree = writeTableTree({ schema, manifest: applied.manifest }, tx);
        return { tree: await withTableTree(repository.store, tx, current.tree, table, tableTree), result: undefined };
      });
    }
    const remainingConflicts = entry.conflicts.filter((c) => !settled.has(keyOf(c['key'] as Record<string, unknown>)));
    resolved = entry.conflicts.length - remainingConflicts.length;
    next = { ...entry, conflicts: remainingConflicts };
  }
  const tables = state.tables.map((t) => (t.table === table ? next : t)).filter((t) => t.conflicts.length + t.schemaConflicts.length > 0);
  await repository.merges.write(branch, { ...state, tables });
  return { table, resolved, remaining: next.conflicts.length + next.schemaConflicts.length, ...(discarded ? { discarded } : {}) };
}

/** The changes `side` made to `table` since the merge base, or undefined when it made none. */
async function rowChangesOf(repository: Repository, table: string, side: 'ours' | 'theirs', state: MergeState & { base: CommitId }, commit: string): Promise<DiscardedChanges | undefined> {
  const before = await repository.readTable(state.virtualBase ?? (await repository.readCommit(state.base)).tree, table);
  const after = await repository.readTable((await repository.readCommit(commit as CommitId)).tree, table);
  if (!before || !after) return undefined; // a table added or dropped whole: its conflict says so
  const { summary, schema } = await diffStat(before, after, repository.chunks());
  const schemaChanged = hasSchemaChanges(schema);
  if (summary.added + summary.deleted + summary.modified === 0 && !schemaChanged) return undefined;
  return { side, commit, base: state.base, virtualBase: state.virtualBase !== undefined, ...summary, schemaChanged };
}

function rowFromJson(schema: TableSchema, json: Record<string, unknown>, where: string): Row {
  return schema.columns.map((c) => fromJsonValue(c.type, json[c.name] ?? null, where));
}

function keyFromJson(schema: TableSchema, json: Record<string, unknown>, where: string): Row {
  return keyColumnIndexes(schema).map((i) => fromJsonValue(schema.columns[i]!.type, json[schema.columns[i]!.name] ?? null, where));
}

/** The rows of a resolution file, checked against the table's schema. */
async function rowsOfFile(repository: Repository, file: string, schema: TableSchema): Promise<Row[]> {
  const tempDir = path.join(repository.gitdir, 'dgit', 'tmp', `resolve-${process.pid}-${crypto.randomBytes(4).toString('hex')}`);
  fs.mkdirSync(tempDir, { recursive: true });
  try {
    const keys = keyColumnNames(schema);
    const source = await openSortedSource(file, { sortBy: keys.length ? keys : 'all', uniqueKey: keys, targetColumns: schema.columns, tempDir });
    try {
      const extra = source.columns.filter((c) => !schema.columns.some((s) => s.name === c.name));
      if (extra.length > 0) throw new InvalidInputError(`${file} has columns the table does not: ${extra.map((c) => c.name).join(', ')}`, file);
      // A resolution gives whole rows: a column the file lacks would be null in them, wiping cells neither side changed.
      const missing = source.columns.filter((c) => !c.inSource);
      if (missing.length > 0)
        throw new InvalidInputError(
          `${file} lacks columns of the table: ${missing.map((c) => c.name).join(', ')}; a resolution file gives whole rows (\`dgit conflicts --json\` shows both sides' rows)`,
          file,
        );
      const rows: Row[] = [];
      for await (const batch of source.batches()) for (const row of arrowToRows(batch, schema.columns)) rows.push(row);
      return rows;
    } finally {
      await source.close();
    }
  } finally {
    fs.rmSync(tempDir, { recursive: true, force: true });
  }
}
