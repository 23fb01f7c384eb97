import { projectRow, type JoinPlan, type SideProjection } from '../diff/column-alignment.js';
import { compareKeysLoose } from '../diff/key-order.js';
import { changedColumns, joinBagRows, joinKeyedRows, type BagDelta, type KeyedDelta } from '../diff/row-join.js';
import type { ChunkReader, RowEdits } from '../table/table-version.js';
import { rowsEqual, valuesEqual, type Row, type Value } from '../value/value.js';
import type { Conflict } from './conflict.js';

/** Row edits to apply to ours, and the rows left in conflict. */
export interface RowMerge {
  edits: RowEdits;
  conflicts: Conflict[];
}

/**
 * Merges the rows of a keyed table by walking the two diffs against base
 * (base -> ours, base -> theirs) side by side in key order, so only chunks that
 * differ from base on some side are read. Cell by cell, as Dolt does: a change on
 * one side wins, equal changes agree, changes to different cells of a row combine;
 * one cell changed to two values, a delete against an update, and one new key
 * added with two different rows are conflicts, which keep ours' row.
 */
export async function mergeKeyedRows(ours: JoinPlan, theirs: JoinPlan, reader: ChunkReader): Promise<RowMerge> {
  const names = ours.columns.map((c) => c.name);
  const edits: RowEdits = { upserts: [], deletes: [] };
  const conflicts: Conflict[] = [];
  const oursChanges = joinKeyedRows(ours, reader);
  const theirsChanges = joinKeyedRows(theirs, reader);
  let o = await oursChanges.next();
  let t = await theirsChanges.next();
  // Once theirs has no more changes, ours already holds the rest of the result.
  while (!t.done) {
    const order = o.done ? 1 : compareKeysLoose(o.value.key, t.value.key);
    if (order < 0) {
      // Only ours changed the row: ours already holds the result.
      o = await oursChanges.next();
      continue;
    }
    if (order > 0) {
      const change = t.value;
      if (change.after) edits.upserts.push(change.after);
      else edits.deletes.push(change.key);
      t = await theirsChanges.next();
      continue;
    }
    resolveRow(o.value as KeyedDelta, t.value, names, edits, conflicts);
    o = await oursChanges.next();
    t = await theirsChanges.next();
  }
  return { edits, conflicts };
}

function resolveRow(ours: KeyedDelta, theirs: KeyedDelta, names: string[], edits: RowEdits, conflicts: Conflict[]): void {
  const key = ours.after ? ours.key : theirs.key;
  const columnNames = (indexes: number[]) => indexes.map((i) => names[i]!);
  if (!ours.after && !theirs.after) return; // deleted on both sides
  if (!ours.before) {
    // Added on both sides (base has no such key).
    const differing = changedColumns(ours.after!, theirs.after!);
    if (differing.length > 0) conflicts.push({ kind: 'add-add', key, ours: ours.after!, theirs: theirs.after!, columns: columnNames(differing) });
    return;
  }
  if (!ours.after) {
    conflicts.push({ kind: 'delete-update', key, base: ours.before, theirs: theirs.after!, columns: columnNames(theirs.changed) });
    return;
  }
  if (!theirs.after) {
    conflicts.push({ kind: 'update-delete', key, base: ours.before, ours: ours.after, columns: columnNames(ours.changed) });
    return;
  }
  const base = ours.before;
  const merged: Row = new Array<Value>(base.length);
  const clashing: number[] = [];
  for (let i = 0; i < base.length; i++) {
    const b = base[i]!;
    const x = ours.after[i]!;
    const y = theirs.after[i]!;
    if (valuesEqual(x, y) || valuesEqual(b, y)) merged[i] = x;
    else if (valuesEqual(b, x)) merged[i] = y;
    else clashing.push(i);
  }
  if (clashing.length > 0) {
    conflicts.push({ kind: 'cell', key, base, ours: ours.after, theirs: theirs.after, columns: columnNames(clashing) });
    return;
  }
  if (changedColumns(merged, ours.after).length > 0) edits.upserts.push(merged);
}

/**
 * Merges a keyless table as a bag, row by distinct row: the merged count of a row
 * is the three-way merge of that row's counts alone (base b, ours o, theirs t). A
 * count changed on one side only takes that side's count; both sides making the
 * same change (o = t) agree; both changing it differently is a `bag` conflict with
 * the three counts, which keeps ours' count. Nothing about other rows enters, so a
 * merge never holds more copies of a row than one side's change explains.
 */
export async function mergeBagRows(ours: JoinPlan, theirs: JoinPlan, reader: ChunkReader): Promise<RowMerge> {
  const edits: RowEdits = { upserts: [], deletes: [] };
  const conflicts: Conflict[] = [];
  const oursChanges = joinBagRows(ours, reader);
  const theirsChanges = joinBagRows(theirs, reader);
  let o = await oursChanges.next();
  let t = await theirsChanges.next();
  const apply = (row: Row, copies: number) => {
    for (let i = 0; i < copies; i++) edits.upserts.push(row);
    for (let i = 0; i < -copies; i++) edits.deletes.push(row);
  };
  while (!t.done) {
    const order = o.done ? 1 : compareKeysLoose(o.value.row, t.value.row);
    if (order < 0) {
      // Only ours changed this row's count: ours already holds it.
      o = await oursChanges.next();
      continue;
    }
    const theirsDelta = t.value as BagDelta;
    if (order > 0) {
      apply(theirsDelta.row, theirsDelta.afterCount - theirsDelta.beforeCount);
    } else {
      const oursDelta = o.value as BagDelta;
      // Deltas, not counts: the join skips chunks equal on both sides, so its counts cover only the range read.
      if (oursDelta.afterCount - oursDelta.beforeCount !== theirsDelta.afterCount - theirsDelta.beforeCount) {
        const row = theirsDelta.row;
        const counts = {
          base: await countCopies(ours, ours.from, row, reader),
          ours: await countCopies(ours, ours.to, row, reader),
          theirs: await countCopies(theirs, theirs.to, row, reader),
        };
        conflicts.push({
          kind: 'bag',
          key: row,
          base: counts.base > 0 ? row : undefined,
          ours: counts.ours > 0 ? row : undefined,
          theirs: counts.theirs > 0 ? row : undefined,
          columns: [],
          counts,
        });
      }
      o = await oursChanges.next();
    }
    t = await theirsChanges.next();
  }
  return { edits, conflicts };
}

/** How many copies of `row` (in target columns) one side of a bag holds: read only for a conflict, so only then. */
async function countCopies(plan: JoinPlan, side: SideProjection, row: Row, reader: ChunkReader): Promise<number> {
  if (!side.version) return 0;
  let copies = 0;
  for (const chunk of side.version.manifest.chunks) {
    // Chunk bounds are in the side's own row order; they narrow the search only when that is the target order.
    if (side.identity && side.sortedByTargetKey && (compareKeysLoose(chunk.last, row) < 0 || compareKeysLoose(chunk.first, row) > 0)) continue;
    for (const stored of await reader.readRows(chunk.id, side.version.schema.columns)) {
      if (rowsEqual(projectRow(side, plan.columns, stored), row)) copies++;
    }
  }
  return copies;
}
