import type { ChunkEntry, ChunkId } from '../chunking/manifest.js';
import type { JoinPlan, TargetColumn } from '../diff/column-alignment.js';
import { compareKeysLoose } from '../diff/key-order.js';
import { sameChunkList } from '../chunking/manifest-pages.js';
import { projectSide } from '../diff/column-alignment.js';
import { schemasEqual } from '../diff/schema-diff.js';
import { diffTables } from '../diff/table-diff.js';
import { isKeyless, type Column, type TableSchema } from '../schema/schema.js';
import type { ChunkReader, RowEdits, TableVersion } from '../table/table-version.js';
import type { Conflict, SchemaConflict } from './conflict.js';
import { toJsonValue } from '../value/value.js';
import { RecentChunkCache } from './recent-chunk-cache.js';
import { mergeBagRows, mergeKeyedRows } from './row-merge.js';
import { mergeSchemas } from './schema-merge.js';

/**
 * The three-way merge of one table.
 *
 * `edits` turn ours into the merged table: rows in the merged schema's column
 * order, each list sorted by the merged key. Apply them to ours' rows read under
 * the merged schema (columns matched by id; a column ours lacks reads as null).
 * For a keyed table upserts replace or insert by key and deletes are keys; for a
 * keyless table upserts add one copy each and deletes remove one copy each.
 */
export interface TableMerge {
  /** The merged schema; undefined when the merged table does not exist (dropped, or on neither side). */
  schema: TableSchema | undefined;
  edits: RowEdits;
  /** Rows in conflict; the edits keep ours' version of each. */
  conflicts: Conflict[];
  /** Schema or table-level conflicts; when there are any, rows are not merged and ours is kept as it is. */
  schemaConflicts: SchemaConflict[];
}

const noEdits = (): RowEdits => ({ upserts: [], deletes: [] });

function keep(schema: TableSchema | undefined, schemaConflicts: SchemaConflict[] = []): TableMerge {
  return { schema, edits: noEdits(), conflicts: [], schemaConflicts };
}

/** Whether `side` differs from `base` in schema or rows (phantom chunk differences do not count). */
async function changedSince(base: TableVersion, side: TableVersion, reader: ChunkReader): Promise<boolean> {
  if (!schemasEqual(base.schema, side.schema)) return true;
  const diff = await diffTables(base, side, reader, { pairKeyChanges: false });
  return diff.status !== 'unchanged';
}

function tableConflict(reason: 'table-delete-update' | 'table-update-delete'): SchemaConflict {
  const deletedBy = reason === 'table-delete-update' ? 'ours' : 'theirs';
  const other = deletedBy === 'ours' ? 'theirs' : 'ours';
  return {
    kind: 'schema',
    reason,
    columns: [],
    message: `the table was deleted on ${deletedBy} and changed on ${other}`,
  };
}

/**
 * Merges a table three ways (undefined: the table is not there). The work walks the
 * two diffs base -> ours and base -> theirs, so chunks identical on all sides are
 * never read and the cost grows with the changes, not the table.
 */
export async function mergeTables(
  base: TableVersion | undefined,
  ours: TableVersion | undefined,
  theirs: TableVersion | undefined,
  reader: ChunkReader,
): Promise<TableMerge> {
  if (!ours && !theirs) return keep(undefined);
  if (!theirs) {
    // Theirs deleted the table, or never had it.
    if (!base) return keep(ours!.schema);
    if (await changedSince(base, ours!, reader)) return keep(ours!.schema, [tableConflict('table-update-delete')]);
    return keep(undefined);
  }
  if (!ours) {
    if (base) {
      if (await changedSince(base, theirs, reader)) return keep(undefined, [tableConflict('table-delete-update')]);
      return keep(undefined);
    }
    // Added by theirs only: every row of theirs is an upsert into an empty table.
    return mergeRows(theirs.schema, undefined, undefined, theirs, new Map(theirs.schema.columns.map((c) => [c.id, c.id])), reader);
  }
  if (base && sameVersion(base, theirs)) return keep(ours.schema);

  const schemaMerge = mergeSchemas(base?.schema, ours.schema, theirs.schema);
  if (schemaMerge.conflicts.length > 0) return keep(ours.schema, schemaMerge.conflicts);
  // A primary-key change re-identifies every row: merge it only when the other side changed nothing.
  const keyChange = schemaMerge.primaryKeyChangedBy;
  if (base && (keyChange === 'ours' || keyChange === 'theirs')) {
    const other = keyChange === 'ours' ? theirs : ours;
    if (await changedSince(base, other, reader)) {
      return keep(ours.schema, [
        {
          kind: 'schema',
          reason: 'primary-key',
          columns: [],
          message: `the primary key was changed on ${keyChange} while ${keyChange === 'ours' ? 'theirs' : 'ours'} changed the table`,
        },
      ]);
    }
  }
  if (base) {
    // A column dropped on one side loses the other side's edits to it: say so, row by row, rather than merge them away.
    const lost = [
      ...(await droppedColumnEdits(base, ours, theirs, 'ours', reader)),
      ...(await droppedColumnEdits(base, theirs, ours, 'theirs', reader)),
    ];
    if (lost.length > 0) return keep(ours.schema, lost);
  }
  return mergeRows(schemaMerge.schema, base, ours, theirs, schemaMerge.theirsIds, reader);
}

/**
 * The chunks a row merge of these versions reads, in about the order it reads them
 * (by first key): the chunks that differ between base and theirs, and those that
 * differ between base and ours where they meet theirs' changes (see `oursNarrowed`).
 * Chunks all three share are never read, so they are not here. For decoding ahead
 * (see GitChunkStore.prefetch); a list that misses a chunk or names one the merge
 * skips costs time, never a different result.
 */
export function chunksMergeReads(base: TableVersion | undefined, ours: TableVersion | undefined, theirs: TableVersion | undefined): ChunkId[] {
  if (!ours || !theirs) return [];
  const narrowed = oursNarrowed(base, ours, theirs);
  const oursBase = narrowed?.base ?? base;
  const oursSide = narrowed?.ours ?? ours;
  const lists = [
    ...differing(base, theirs),
    ...differing(oursBase, oursSide),
  ];
  const seen = new Set<string>();
  const at = lists.map(() => 0);
  const out: ChunkId[] = [];
  for (;;) {
    let pick = -1;
    let first: ChunkEntry | undefined;
    lists.forEach((list, i) => {
      const chunk = list[at[i]!];
      if (chunk && (!first || compareKeysLoose(chunk.first, first.first) < 0)) {
        pick = i;
        first = chunk;
      }
    });
    if (pick < 0) return out;
    at[pick]!++;
    if (!seen.has(first!.id)) out.push(first!.id);
    seen.add(first!.id);
  }
}

/** The chunks of `from` not in `to`, and of `to` not in `from`: what a diff of the two reads. */
function differing(from: TableVersion | undefined, to: TableVersion): [ChunkEntry[], ChunkEntry[]] {
  const ids = (version: TableVersion | undefined) => new Set<string>(version?.manifest.chunks.map((c) => c.id));
  const [inFrom, inTo] = [ids(from), ids(to)];
  return [(from?.manifest.chunks ?? []).filter((c) => !inTo.has(c.id)), to.manifest.chunks.filter((c) => !inFrom.has(c.id))];
}

/**
 * Base and ours cut down to the chunks whose key ranges meet a chunk that differs
 * between base and theirs, or undefined when they cannot be (a side's chunks not in
 * one shared key order). The merge looks at ours' changes only at keys theirs
 * changed, and every such key lies in one of those chunks' ranges; the chunks of
 * base and ours holding such a key meet that range, so the diff of the cut-down
 * versions finds ours' change at every key that matters. Changes it reports at
 * other keys are ignored as before. So ours' changes where theirs changed nothing
 * are never read: the chunks are kept as they are.
 */
function oursNarrowed(base: TableVersion | undefined, ours: TableVersion, theirs: TableVersion): { base: TableVersion; ours: TableVersion } | undefined {
  if (!base) return undefined;
  const key = (version: TableVersion) => version.schema.primaryKey.map((id) => version.schema.columns.find((c) => c.id === id)?.type ?? '?').join(',');
  const keyIds = (version: TableVersion) => version.schema.primaryKey.join(',');
  if (base.schema.primaryKey.length === 0 || keyIds(ours) !== keyIds(base) || keyIds(theirs) !== keyIds(base)) return undefined;
  if (key(ours) !== key(base) || key(theirs) !== key(base)) return undefined;
  const ranges = keyRanges(differing(base, theirs).flat());
  const meeting = (version: TableVersion): TableVersion => ({ ...version, manifest: { ...version.manifest, chunks: chunksMeeting(version.manifest.chunks, ranges) } });
  return { base: meeting(base), ours: meeting(ours) };
}

/** The key ranges of `chunks` as sorted, disjoint [first, last] ranges (overlapping ones joined). */
function keyRanges(chunks: readonly ChunkEntry[]): Array<{ first: ChunkEntry['first']; last: ChunkEntry['last'] }> {
  const sorted = [...chunks].sort((a, b) => compareKeysLoose(a.first, b.first));
  const ranges: Array<{ first: ChunkEntry['first']; last: ChunkEntry['last'] }> = [];
  for (const chunk of sorted) {
    const open = ranges[ranges.length - 1];
    if (open && compareKeysLoose(chunk.first, open.last) <= 0) {
      if (compareKeysLoose(chunk.last, open.last) > 0) open.last = chunk.last;
    } else ranges.push({ first: chunk.first, last: chunk.last });
  }
  return ranges;
}

/** The chunks (in key order) whose [first, last] meets one of the sorted, disjoint `ranges`. */
function chunksMeeting(chunks: readonly ChunkEntry[], ranges: ReadonlyArray<{ first: ChunkEntry['first']; last: ChunkEntry['last'] }>): ChunkEntry[] {
  const out: ChunkEntry[] = [];
  let r = 0;
  for (const chunk of chunks) {
    while (r < ranges.length && compareKeysLoose(ranges[r]!.last, chunk.first) < 0) r++;
    if (r === ranges.length) break;
    if (compareKeysLoose(ranges[r]!.first, chunk.last) <= 0) out.push(chunk);
  }
  return out;
}

/** A run of ours' chunks (indexes `first`..`last`) whose merged rows are exactly the chunks `chunks` of theirs. */
export interface TheirsRun {
  last: number;
  chunks: ChunkEntry[];
}

/**
 * Runs of ours' chunks that only theirs changed, each with theirs' chunks for the
 * same key range, by the index of the run's first chunk in ours. A run is a stretch
 * of base's chunks that ours still has, in place, and theirs replaced, between two
 * chunks all three share. Ours changed nothing there (not even in the gaps, its
 * neighbours being base's), so the merged rows there are theirs' rows, and the
 * edits that make them are theirs' changes; applied from a chunk boundary, they cut
 * into exactly theirs' chunks (a chunk's cut depends on its rows alone, from its
 * start, and theirs' last chunk of the run ends where the next, shared one starts).
 * So applyEdits may take theirs' chunks as they are (see its `replace`) rather than
 * read, splice and encode ours'. Empty unless the three schemas are one and the table is keyed.
 */
export function theirsRuns(base: TableVersion | undefined, ours: TableVersion | undefined, theirs: TableVersion | undefined): Map<number, TheirsRun> {
  const runs = new Map<number, TheirsRun>();
  if (!base || !ours || !theirs || !schemasEqual(base.schema, ours.schema) || !schemasEqual(base.schema, theirs.schema)) return runs;
  // Not for a bag: copies of one row may straddle a cut (so an edit of that row belongs to no one
  // chunk), and chunks of copies alone repeat one id (so a chunk's id does not say where it is).
  if (isKeyless(base.schema)) return runs;
  const [b, o, t] = [base.manifest.chunks, ours.manifest.chunks, theirs.manifest.chunks];
  const inBase = new Map(b.map((c, i) => [c.id as string, i]));
  const inTheirs = new Map(t.map((c, i) => [c.id as string, i]));
  for (let i = 1; i < o.length - 1; i++) {
    const j = inBase.get(o[i]!.id);
    if (j === undefined || j === 0 || inTheirs.has(o[i]!.id) || o[i - 1]!.id !== b[j - 1]!.id) continue;
    const before = inTheirs.get(b[j - 1]!.id);
    if (before === undefined) continue;
    let last = i;
    while (last + 1 < o.length && j + last + 1 - i < b.length && o[last + 1]!.id === b[j + last + 1 - i]!.id && !inTheirs.has(o[last + 1]!.id)) last++;
    const after = o[last + 1];
    const afterInTheirs = after && b[j + last + 1 - i]?.id === after.id ? inTheirs.get(after.id) : undefined;
    if (afterInTheirs !== undefined && afterInTheirs > before) runs.set(i, { last, chunks: t.slice(before + 1, afterInTheirs) });
    i = last;
  }
  return runs;
}

/** Most row keys a drop-versus-edit conflict lists (the count is always whole). */
export const ROW_SAMPLE = 20;

/**
 * Columns of `base` that `dropper` dropped while `editor` changed their cells (or
 * added rows with a value in them): one `schema` conflict per column, naming the rows.
 * A retype gives a column a new id, so it counts as a drop here too.
 */
async function droppedColumnEdits(
  base: TableVersion,
  dropper: TableVersion,
  editor: TableVersion,
  droppedBy: 'ours' | 'theirs',
  reader: ChunkReader,
): Promise<SchemaConflict[]> {
  const dropperIds = new Set(dropper.schema.columns.map((c) => c.id));
  const editorIds = new Set(editor.schema.columns.map((c) => c.id));
  const dropped = base.schema.columns.filter((c) => !dropperIds.has(c.id) && editorIds.has(c.id));
  if (dropped.length === 0) return [];
  const diff = await diffTables(base, editor, reader, { pairKeyChanges: false });
  const watched = dropped.map((column) => ({ column, index: diff.columns.findIndex((c) => c.id === column.id), keys: [] as Array<Record<string, unknown>>, count: 0 }));
  for await (const change of diff.rows) {
    for (const entry of watched) {
      const edited =
        change.status === 'modified' ? change.changedColumns.includes(entry.index) : change.status === 'added' && change.after[entry.index] !== null;
      if (!edited) continue;
      entry.count++;
      if (entry.keys.length < ROW_SAMPLE) {
        const key: Record<string, unknown> = {};
        diff.keyColumns.forEach((c, i) => (key[diff.columns[c]!.name] = toJsonValue(diff.columns[c]!.type, change.key[i] ?? null)));
        entry.keys.push(key);
      }
    }
  }
  const editedBy = droppedBy === 'ours' ? 'theirs' : 'ours';
  return watched
    .filter((entry) => entry.count > 0)
    .map((entry) => {
      const name = entry.column.name;
      const shown = entry.keys.map((k) => JSON.stringify(k)).join(', ');
      // Each side's column: the editor kept base's (by id, perhaps renamed); the dropper has none, or a retyped one of the same name.
      const kept = editor.schema.columns.find((c) => c.id === entry.column.id);
      const retyped = dropper.schema.columns.find((c) => c.name === name);
      const snapshot = (c: Column | undefined) => (c ? { name: c.name, type: c.type, nullable: c.nullable } : undefined);
      return {
        kind: 'schema' as const,
        reason: droppedBy === 'ours' ? ('column-drop-edit' as const) : ('column-edit-drop' as const),
        columns: [name],
        message: `column ${JSON.stringify(name)} was dropped (or retyped) on ${droppedBy} and edited on ${editedBy} in ${entry.count} row(s): ${shown}${entry.count > entry.keys.length ? ', …' : ''}`,
        base: { name, type: entry.column.type, nullable: entry.column.nullable },
        [droppedBy]: snapshot(retyped),
        [editedBy]: snapshot(kept),
        rows: entry.keys,
        rowCount: entry.count,
      };
    });
}

/**
 * Base's columns that ours and theirs both retyped the same way, by base id, with
 * the merged column each became. A retype gives a column a new id (derived from its
 * name and type, so the same retype on both sides gives the same one), so without
 * this base would lack the column, every row would read as changed on both sides,
 * and any edit of it on one side would conflict with the other side's converted
 * value. A retype is lossless (`ALTER ... TYPE` refuses a value that does not
 * convert back to itself), so base's value converted is what the other side holds.
 * Matched by name: a column renamed and retyped at once stays a drop and an add.
 */
function retypedOnBothSides(
  schema: TableSchema,
  base: TableVersion | undefined,
  ours: TableVersion | undefined,
  theirs: TableVersion,
  theirsIds: ReadonlyMap<number, number>,
): Map<number, number> {
  const retyped = new Map<number, number>();
  if (!base || !ours) return retyped;
  const inOurs = new Set(ours.schema.columns.map((c) => c.id));
  const inTheirs = new Set(theirs.schema.columns.map((c) => theirsIds.get(c.id) ?? c.id));
  const merged = new Set(schema.columns.map((c) => c.id));
  for (const column of schema.columns) {
    if (!inOurs.has(column.id) || !inTheirs.has(column.id) || base.schema.columns.some((c) => c.id === column.id)) continue;
    const was = base.schema.columns.find((c) => c.name === column.name && c.type !== column.type);
    if (!was || merged.has(was.id) || inOurs.has(was.id) || inTheirs.has(was.id)) continue;
    retyped.set(was.id, column.id);
  }
  return retyped;
}

function sameVersion(a: TableVersion, b: TableVersion): boolean {
  return (
    schemasEqual(a.schema, b.schema) &&
    sameChunkList(a, b)
  );
}

async function mergeRows(
  schema: TableSchema,
  base: TableVersion | undefined,
  ours: TableVersion | undefined,
  theirs: TableVersion,
  theirsIds: Map<number, number>,
  reader: ChunkReader,
): Promise<TableMerge> {
  const columns: TargetColumn[] = schema.columns.map((c) => ({ id: c.id, name: c.name, type: c.type }));
  const keyless = schema.primaryKey.length === 0;
  const keyIndexes = keyless ? columns.map((_, i) => i) : schema.primaryKey.map((id) => columns.findIndex((c) => c.id === id));
  // A column both sides retyped the same way is new to base by id: base's values, converted, are its base.
  const retyped = retypedOnBothSides(schema, base, ours, theirs, theirsIds);
  const baseSide = projectSide(base, columns, keyIndexes, keyless, (c) => retyped.get(c.id) ?? c.id);
  const oursSide = projectSide(ours, columns, keyIndexes, keyless);
  // Ours' changes matter only where theirs changed: read base and ours there alone, when their chunks share the target key order.
  const narrowed = !keyless && ours && baseSide.sortedByTargetKey && oursSide.sortedByTargetKey ? oursNarrowed(base, ours, theirs) : undefined;
  const oursPlan: JoinPlan = {
    columns,
    keyIndexes,
    keyless,
    comparedColumns: columns.length,
    from: narrowed ? { ...baseSide, version: narrowed.base } : baseSide,
    to: narrowed ? { ...oursSide, version: narrowed.ours } : oursSide,
  };
  const theirsPlan: JoinPlan = {
    columns,
    keyIndexes,
    keyless,
    comparedColumns: columns.length,
    from: baseSide,
    to: projectSide(theirs, columns, keyIndexes, keyless, (c) => theirsIds.get(c.id) ?? -1),
  };
  const shared = new RecentChunkCache(reader);
  const rows = keyless ? await mergeBagRows(oursPlan, theirsPlan, shared) : await mergeKeyedRows(oursPlan, theirsPlan, shared);
  return { schema, edits: rows.edits, conflicts: rows.conflicts, schemaConflicts: [] };
}
