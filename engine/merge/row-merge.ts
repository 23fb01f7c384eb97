import type { JoinPlan } from '../diff/column-alignment.js';
import { compareKeysLoose } from '../diff/key-order.js';
import { changedColumns, joinBagRows, joinKeyedRows, type BagDelta, type KeyedDelta } from '../diff/row-join.js';
import type { ChunkReader, RowEdits } from '../table/table-version.js';
import { valuesEqual, type Row, type Value } from '../value/value.js';
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
 * Merges a keyless table as a bag, by counts of each distinct row: inserts on both
 * sides are all kept, and copies deleted on both sides are deleted once (the
 * larger of the two deletions). Bags have no row identity, so no conflicts.
 */
export async function mergeBagRows(ours: JoinPlan, theirs: JoinPlan, reader: ChunkReader): Promise<RowMerge> {
  const edits: RowEdits = { upserts: [], deletes: [] };
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
      o = await oursChanges.next();
      continue;
    }
    const theirsDelta = (t.value as BagDelta).afterCount - t.value.beforeCount;
    if (order > 0) {
      apply(t.value.row, theirsDelta);
    } else {
      const oursDelta = (o.value as BagDelta).afterCount - (o.value as BagDelta).beforeCount;
      // Merged count: base + both deltas, except that deletions on both sides overlap.
      apply(t.value.row, oursDelta < 0 && theirsDelta < 0 ? Math.min(0, theirsDelta - oursDelta) : theirsDelta);
      o = await oursChanges.next();
    }
    t = await theirsChanges.next();
  }
  return { edits, conflicts: [] };
}
