import { describe, expect, it } from 'vitest';
import { conflictToJson, mergeTables, type Conflict, type TableMerge } from '../../engine/merge/index.js';
import type { TableSchema } from '../../engine/schema/schema.js';
import type { TableVersion } from '../../engine/table/table-version.js';
import { compareKeys, type Row, type Value } from '../../engine/value/value.js';
import {
  addColumn,
  applyEdits,
  dropColumn,
  idOf,
  keyOf,
  makeTable,
  MemoryChunkStore,
  renameColumn,
  retypeColumn,
  rowsByName,
  schemaOf,
  withKey,
} from '../diff/in-memory-table.js';

const t = schemaOf(
  [
    ['id', 'Int32'],
    ['a', 'Utf8'],
    ['b', 'Int32'],
  ],
  ['id'],
);
const withC = addColumn(t, 'c', 'Int32');
const withCText = addColumn(t, 'c', 'Utf8');
const withD = addColumn(t, 'd', 'Int32');
/** Theirs adds `d` under the id ours gave `c`: a hash clash, built by hand. */
const dClashingWithC: TableSchema = { ...withD, columns: withD.columns.map((c) => (c.name === 'd' ? { ...c, id: idOf(withC, 'c') } : c)) };
const bag = schemaOf(
  [
    ['city', 'Utf8'],
    ['n', 'Int32'],
  ],
  [],
);

const baseRows: Row[] = [
  [1, 'one', 10],
  [2, 'two', 20],
  [3, 'three', 30],
  [4, 'four', 40],
  [5, 'five', 50],
  [6, 'six', 60],
];

type Side = { schema: TableSchema; rows: Row[] } | undefined;

/** Rows with one row replaced (by key), removed (null) or added. */
function edit(rows: Row[], changes: Record<number, Row | null>): Row[] {
  const out = rows.filter((r) => !((r[0] as number) in changes));
  for (const [, row] of Object.entries(changes)) if (row) out.push(row);
  return out;
}

interface MergeCase {
  name: string;
  base: Side;
  ours: Side;
  theirs: Side;
  /** Merged rows as objects by column name; undefined when the table must not exist. */
  merged: Array<Record<string, unknown>> | undefined;
  /** Row conflicts, in the JSON shape of `dgit conflicts --json`. */
  conflicts?: Array<Record<string, unknown>>;
  /** Reasons of the schema conflicts. */
  schemaConflicts?: string[];
  chunkRows?: number;
}

const objects = (names: string[], rows: Row[]) => rows.map((r) => Object.fromEntries(names.map((n, i) => [n, r[i] ?? null])));
const tRows = (rows: Row[]) => objects(['id', 'a', 'b'], rows);

const everyChunkBase: Row[] = Array.from({ length: 30 }, (_, i) => [i + 1, `v${i + 1}`, i + 1]);

const cases: MergeCase[] = [
  {
    name: 'disjoint row edits combine',
    base: { schema: t, rows: baseRows },
    ours: { schema: t, rows: edit(baseRows, { 1: [1, 'ONE', 10], 3: null }) },
    theirs: { schema: t, rows: edit(baseRows, { 5: [5, 'five', 55], 7: [7, 'seven', 70] }) },
    merged: tRows(edit(baseRows, { 1: [1, 'ONE', 10], 3: null, 5: [5, 'five', 55], 7: [7, 'seven', 70] })),
  },
  {
    name: 'the same cell changed to the same value on both sides agrees',
    base: { schema: t, rows: baseRows },
    ours: { schema: t, rows: edit(baseRows, { 2: [2, 'zwei', 20] }) },
    theirs: { schema: t, rows: edit(baseRows, { 2: [2, 'zwei', 20] }) },
    merged: tRows(edit(baseRows, { 2: [2, 'zwei', 20] })),
  },
  {
    name: 'different cells of one row changed on each side combine',
    base: { schema: t, rows: baseRows },
    ours: { schema: t, rows: edit(baseRows, { 2: [2, 'zwei', 20] }) },
    theirs: { schema: t, rows: edit(baseRows, { 2: [2, 'two', 22] }) },
    merged: tRows(edit(baseRows, { 2: [2, 'zwei', 22] })),
  },
  {
    name: 'one cell changed to different values is a cell conflict that keeps ours',
    base: { schema: t, rows: baseRows },
    ours: { schema: t, rows: edit(baseRows, { 2: [2, 'zwei', 21] }) },
    theirs: { schema: t, rows: edit(baseRows, { 2: [2, 'deux', 20] }) },
    merged: tRows(edit(baseRows, { 2: [2, 'zwei', 21] })),
    conflicts: [
      {
        key: { id: 2 },
        kind: 'cell',
        base: { id: 2, a: 'two', b: 20 },
        ours: { id: 2, a: 'zwei', b: 21 },
        theirs: { id: 2, a: 'deux', b: 20 },
        columns: ['a'],
      },
    ],
  },
  {
    name: 'delete on ours, update on theirs is a delete-update conflict',
    base: { schema: t, rows: baseRows },
    ours: { schema: t, rows: edit(baseRows, { 4: null }) },
    theirs: { schema: t, rows: edit(baseRows, { 4: [4, 'four', 44] }) },
    merged: tRows(edit(baseRows, { 4: null })),
    conflicts: [
      { key: { id: 4 }, kind: 'delete-update', base: { id: 4, a: 'four', b: 40 }, ours: null, theirs: { id: 4, a: 'four', b: 44 }, columns: ['b'] },
    ],
  },
  {
    name: 'update on ours, delete on theirs is an update-delete conflict',
    base: { schema: t, rows: baseRows },
    ours: { schema: t, rows: edit(baseRows, { 4: [4, 'vier', 40] }) },
    theirs: { schema: t, rows: edit(baseRows, { 4: null }) },
    merged: tRows(edit(baseRows, { 4: [4, 'vier', 40] })),
    conflicts: [
      { key: { id: 4 }, kind: 'update-delete', base: { id: 4, a: 'four', b: 40 }, ours: { id: 4, a: 'vier', b: 40 }, theirs: null, columns: ['a'] },
    ],
  },
  {
    name: 'the same row added on both sides agrees',
    base: { schema: t, rows: baseRows },
    ours: { schema: t, rows: edit(baseRows, { 9: [9, 'nine', 90] }) },
    theirs: { schema: t, rows: edit(baseRows, { 9: [9, 'nine', 90] }) },
    merged: tRows(edit(baseRows, { 9: [9, 'nine', 90] })),
  },
  {
    name: 'different rows added under one new key are an add-add conflict',
    base: { schema: t, rows: baseRows },
    ours: { schema: t, rows: edit(baseRows, { 9: [9, 'nine', 90] }) },
    theirs: { schema: t, rows: edit(baseRows, { 9: [9, 'neun', 90] }) },
    merged: tRows(edit(baseRows, { 9: [9, 'nine', 90] })),
    conflicts: [{ key: { id: 9 }, kind: 'add-add', base: null, ours: { id: 9, a: 'nine', b: 90 }, theirs: { id: 9, a: 'neun', b: 90 }, columns: ['a'] }],
  },
  {
    name: 'a row deleted on both sides is deleted',
    base: { schema: t, rows: baseRows },
    ours: { schema: t, rows: edit(baseRows, { 6: null }) },
    theirs: { schema: t, rows: edit(baseRows, { 6: null, 1: [1, 'one', 11] }) },
    merged: tRows(edit(baseRows, { 6: null, 1: [1, 'one', 11] })),
  },
  {
    name: 'a column added on one side appears, with nulls on the rows it did not set',
    base: { schema: t, rows: baseRows },
    ours: { schema: t, rows: edit(baseRows, { 1: [1, 'uno', 10], 2: [2, 'two', 21] }) },
    theirs: { schema: withC, rows: edit(baseRows, {}).map((r) => [...r, r[0] === 2 ? 200 : r[0] === 3 ? 300 : null]) },
    merged: objects(
      ['id', 'a', 'b', 'c'],
      edit(baseRows, {}).map((r) => (r[0] === 1 ? [1, 'uno', 10, null] : r[0] === 2 ? [2, 'two', 21, 200] : r[0] === 3 ? [...r, 300] : [...r, null])),
    ),
  },
  {
    name: 'the same column added on both sides with one type is one column',
    base: { schema: t, rows: baseRows },
    ours: { schema: withC, rows: baseRows.map((r) => [...r, r[0] === 1 ? 1 : null]) },
    theirs: { schema: withC, rows: baseRows.map((r) => [...r, r[0] === 2 ? 2 : r[0] === 1 ? 1 : null]) },
    merged: objects(
      ['id', 'a', 'b', 'c'],
      baseRows.map((r) => [...r, r[0] === 1 ? 1 : r[0] === 2 ? 2 : null]),
    ),
  },
  {
    name: 'columns added on both sides under one id but different names are both kept',
    base: { schema: t, rows: baseRows },
    ours: { schema: withC, rows: baseRows.map((r) => [...r, r[0] === 1 ? 1 : null]) },
    theirs: { schema: withD, rows: baseRows.map((r) => [...r, r[0] === 2 ? 2 : null]) },
    merged: objects(
      ['id', 'a', 'b', 'c', 'd'],
      baseRows.map((r) => [...r, r[0] === 1 ? 1 : null, r[0] === 2 ? 2 : null]),
    ),
  },
  {
    name: 'a theirs column whose id clashes with a different ours column keeps its values under a fresh id',
    base: { schema: t, rows: baseRows },
    ours: { schema: withC, rows: baseRows.map((r) => [...r, r[0] === 1 ? 1 : null]) },
    theirs: { schema: dClashingWithC, rows: baseRows.map((r) => [...r, r[0] === 2 ? 2 : null]) },
    merged: objects(
      ['id', 'a', 'b', 'c', 'd'],
      baseRows.map((r) => [...r, r[0] === 1 ? 1 : null, r[0] === 2 ? 2 : null]),
    ),
  },
  {
    name: 'the same column added on both sides with different types is a schema conflict',
    base: { schema: t, rows: baseRows },
    ours: { schema: withC, rows: baseRows.map((r) => [...r, 1]) },
    theirs: { schema: withCText, rows: baseRows.map((r) => [...r, 'x']) },
    merged: objects(
      ['id', 'a', 'b', 'c'],
      baseRows.map((r) => [...r, 1]),
    ),
    schemaConflicts: ['column-type'],
  },
  {
    name: 'a column retyped differently on each side is a schema conflict',
    base: { schema: t, rows: baseRows },
    ours: { schema: retypeColumn(t, 'b', 'Int64'), rows: baseRows.map((r) => [r[0]!, r[1]!, BigInt(r[2] as number)]) },
    theirs: { schema: retypeColumn(t, 'b', 'Float64'), rows: baseRows },
    merged: tRows(baseRows.map((r) => [r[0]!, r[1]!, BigInt(r[2] as number)])),
    schemaConflicts: ['column-type'],
  },
  {
    name: 'a column widened on one side takes the other side edits converted',
    base: { schema: t, rows: baseRows },
    ours: { schema: t, rows: edit(baseRows, { 3: [3, 'three', 33] }) },
    theirs: { schema: retypeColumn(t, 'b', 'Int64'), rows: baseRows.map((r) => [r[0]!, r[1]!, BigInt(r[2] as number)]) },
    merged: tRows(edit(baseRows, { 3: [3, 'three', 33] }).map((r) => [r[0]!, r[1]!, BigInt(r[2] as number)])),
  },
  {
    name: 'a column renamed on one side keeps the other side cell edits',
    base: { schema: t, rows: baseRows },
    ours: { schema: renameColumn(t, 'a', 'label'), rows: baseRows },
    theirs: { schema: t, rows: edit(baseRows, { 5: [5, 'FIVE', 50] }) },
    merged: objects(['id', 'label', 'b'], edit(baseRows, { 5: [5, 'FIVE', 50] })),
  },
  {
    name: 'a column renamed differently on each side is a schema conflict',
    base: { schema: t, rows: baseRows },
    ours: { schema: renameColumn(t, 'a', 'label'), rows: baseRows },
    theirs: { schema: renameColumn(t, 'a', 'title'), rows: baseRows },
    merged: objects(['id', 'label', 'b'], baseRows),
    schemaConflicts: ['column-name'],
  },
  {
    name: 'a column dropped on one side and edited on the other is a schema conflict naming the rows (ours kept)',
    base: { schema: t, rows: baseRows },
    ours: { schema: dropColumn(t, 'b'), rows: baseRows.map((r) => [r[0]!, r[1]!]) },
    theirs: { schema: t, rows: edit(baseRows, { 2: [2, 'TWO', 20], 4: [4, 'four', 99], 8: [8, 'eight', 80] }) },
    merged: objects(['id', 'a'], baseRows),
    schemaConflicts: ['column-drop-edit'],
  },
  {
    name: 'a column dropped on one side merges with edits of other columns on the other side',
    base: { schema: t, rows: baseRows },
    ours: { schema: dropColumn(t, 'b'), rows: baseRows.map((r) => [r[0]!, r[1]!]) },
    theirs: { schema: t, rows: edit(baseRows, { 2: [2, 'TWO', 20], 8: [8, 'eight', null] }) },
    merged: objects(['id', 'a'], edit(baseRows, { 2: [2, 'TWO', 20], 8: [8, 'eight', null] })),
  },
  {
    name: 'a column retyped on one side (a new id) and edited on the other is a schema conflict',
    base: { schema: t, rows: baseRows },
    ours: { schema: dropColumn(t, 'b'), rows: baseRows.map((r) => [r[0]!, r[1]!]) },
    theirs: { schema: t, rows: edit(baseRows, { 3: [3, 'three', 33] }) },
    merged: objects(['id', 'a'], baseRows),
    schemaConflicts: ['column-drop-edit'],
  },
  {
    name: 'a column both sides retyped differently is a schema conflict',
    base: { schema: t, rows: baseRows },
    ours: { schema: addColumn(dropColumn(t, 'b'), 'b', 'Int64'), rows: baseRows.map((r) => [r[0]!, r[1]!, BigInt(r[2] as number)]) },
    theirs: { schema: addColumn(dropColumn(t, 'b'), 'b', 'Utf8'), rows: baseRows.map((r) => [r[0]!, r[1]!, String(r[2])]) },
    merged: objects(['id', 'a', 'b'], baseRows.map((r) => [r[0]!, r[1]!, BigInt(r[2] as number)])),
    schemaConflicts: ['column-type'],
  },
  {
    name: 'a column both sides retyped the same way merges',
    base: { schema: t, rows: baseRows },
    ours: { schema: addColumn(dropColumn(t, 'b'), 'b', 'Int64'), rows: baseRows.map((r) => [r[0]!, r[1]!, BigInt(r[2] as number)]) },
    theirs: { schema: addColumn(dropColumn(t, 'b'), 'b', 'Int64'), rows: edit(baseRows, { 1: [1, 'uno', 10] }).map((r) => [r[0]!, r[1]!, BigInt(r[2] as number)]) },
    merged: objects(['id', 'a', 'b'], edit(baseRows, { 1: [1, 'uno', 10] }).map((r) => [r[0]!, r[1]!, BigInt(r[2] as number)])),
  },
  {
    name: 'a column renamed on one side and its cells edited on the other merges by column id',
    base: { schema: t, rows: baseRows },
    ours: { schema: renameColumn(t, 'b', 'score'), rows: baseRows },
    theirs: { schema: t, rows: edit(baseRows, { 5: [5, 'five', 55] }) },
    merged: objects(['id', 'a', 'score'], edit(baseRows, { 5: [5, 'five', 55] })),
  },
  {
    name: 'a column dropped on both sides is dropped once',
    base: { schema: t, rows: baseRows },
    ours: { schema: dropColumn(t, 'b'), rows: baseRows.map((r) => [r[0]!, r[1]!]) },
    theirs: { schema: dropColumn(t, 'b'), rows: edit(baseRows, { 1: [1, 'eins', 10] }).map((r) => [r[0]!, r[1]!]) },
    merged: objects(['id', 'a'], edit(baseRows, { 1: [1, 'eins', 10] })),
  },
  {
    name: 'a new column set on one side combines with other cells edited on the other side in the same row',
    base: { schema: t, rows: baseRows },
    ours: { schema: t, rows: edit(baseRows, { 2: [2, 'zwei', 20] }) },
    theirs: { schema: withC, rows: baseRows.map((r) => [...r, r[0] === 2 ? 7 : null]) },
    merged: objects(
      ['id', 'a', 'b', 'c'],
      baseRows.map((r) => (r[0] === 2 ? [2, 'zwei', 20, 7] : [...r, null])),
    ),
  },
  {
    name: 'the same primary key change on both sides merges rows under the new key',
    base: { schema: t, rows: baseRows },
    ours: { schema: withKey(t, ['a']), rows: edit(baseRows, { 1: [1, 'one', 11] }) },
    theirs: { schema: withKey(t, ['a']), rows: edit(baseRows, { 2: [2, 'two', 22] }) },
    merged: tRows(edit(baseRows, { 1: [1, 'one', 11], 2: [2, 'two', 22] })),
  },
  {
    name: 'keyless: a column added on one side and rows added on the other both appear',
    base: { schema: bag, rows: [['x', 1], ['y', 2]] },
    ours: { schema: bag, rows: [['x', 1], ['y', 2], ['v', 4]] },
    theirs: { schema: addColumn(bag, 'c', 'Int32'), rows: [['x', 1, null], ['y', 2, null], ['x', 1, 5]] },
    merged: objects(['city', 'n', 'c'], [['x', 1, null], ['y', 2, null], ['v', 4, null], ['x', 1, 5]]),
  },
  {
    name: 'a table added on theirs only appears with all its rows',
    base: undefined,
    ours: undefined,
    theirs: { schema: t, rows: baseRows },
    merged: tRows(baseRows),
  },
  {
    name: 'a table added on ours only is kept',
    base: undefined,
    ours: { schema: t, rows: baseRows },
    theirs: undefined,
    merged: tRows(baseRows),
  },
  {
    name: 'a table added on both sides merges like an add from empty',
    base: undefined,
    ours: { schema: t, rows: [[1, 'one', 10], [2, 'two', 20]] },
    theirs: { schema: t, rows: [[2, 'two', 20], [3, 'three', 30]] },
    merged: tRows([[1, 'one', 10], [2, 'two', 20], [3, 'three', 30]]),
  },
  {
    name: 'a table dropped on one side and unchanged on the other is dropped',
    base: { schema: t, rows: baseRows },
    ours: { schema: t, rows: baseRows },
    theirs: undefined,
    merged: undefined,
  },
  {
    name: 'a table dropped on one side and changed on the other is a schema conflict',
    base: { schema: t, rows: baseRows },
    ours: { schema: t, rows: edit(baseRows, { 1: null }) },
    theirs: undefined,
    merged: tRows(edit(baseRows, { 1: null })),
    schemaConflicts: ['table-update-delete'],
  },
  {
    name: 'a table dropped on both sides stays dropped',
    base: { schema: t, rows: baseRows },
    ours: undefined,
    theirs: undefined,
    merged: undefined,
  },
  {
    name: 'keyless: each distinct row merges its own counts; equal changes agree, different ones are a bag conflict',
    base: { schema: bag, rows: [['x', 1], ['x', 1], ['y', 2], ['z', 3], ['z', 3], ['z', 3]] },
    ours: { schema: bag, rows: [['x', 1], ['x', 1], ['x', 1], ['z', 3], ['z', 3]] },
    theirs: { schema: bag, rows: [['x', 1], ['x', 1], ['x', 1], ['z', 3], ['w', 0]] },
    merged: objects(['city', 'n'], [['x', 1], ['x', 1], ['x', 1], ['z', 3], ['z', 3], ['w', 0]]),
    conflicts: [
      { key: { city: 'z', n: 3 }, kind: 'bag', base: { city: 'z', n: 3 }, ours: { city: 'z', n: 3 }, theirs: { city: 'z', n: 3 }, columns: [], counts: { base: 3, ours: 2, theirs: 1 } },
    ],
  },
  {
    name: 'keyless: a copy deleted on one side and one added on the other is a bag conflict (ours kept)',
    base: { schema: bag, rows: [['x', 1], ['y', 2]] },
    ours: { schema: bag, rows: [['y', 2]] },
    theirs: { schema: bag, rows: [['x', 1], ['x', 1], ['y', 2]] },
    merged: objects(['city', 'n'], [['y', 2]]),
    conflicts: [{ key: { city: 'x', n: 1 }, kind: 'bag', base: { city: 'x', n: 1 }, ours: null, theirs: { city: 'x', n: 1 }, columns: [], counts: { base: 1, ours: 0, theirs: 2 } }],
  },
  {
    name: 'keyless: the same row inserted on both sides is one copy, whatever other rows do',
    base: { schema: bag, rows: [['x', 1], ['y', 2]] },
    ours: { schema: bag, rows: [['x', 1], ['y', 2], ['v', 4]] },
    theirs: { schema: bag, rows: [['x', 1], ['v', 4], ['q', 9]] },
    merged: objects(['city', 'n'], [['x', 1], ['v', 4], ['q', 9]]),
  },
  {
    name: 'keyless: duplicates updated the same way on both sides do not multiply',
    base: { schema: bag, rows: [['x', 1], ['x', 1], ['y', 2]] },
    ours: { schema: bag, rows: [['x', 2], ['x', 2], ['y', 2]] },
    theirs: { schema: bag, rows: [['x', 2], ['x', 2], ['y', 2]] },
    merged: objects(['city', 'n'], [['x', 2], ['x', 2], ['y', 2]]),
  },
  {
    name: 'a table where every chunk changed on both sides merges cell by cell',
    base: { schema: t, rows: everyChunkBase },
    ours: { schema: t, rows: everyChunkBase.map((r) => [r[0]!, `${String(r[1])}!`, r[2]!]) },
    theirs: { schema: t, rows: everyChunkBase.map((r) => [r[0]!, r[1]!, (r[2] as number) * 100]) },
    merged: tRows(everyChunkBase.map((r) => [r[0]!, `${String(r[1])}!`, (r[2] as number) * 100])),
    chunkRows: 4,
  },
  {
    name: 'empty tables on all sides merge to an empty table',
    base: { schema: t, rows: [] },
    ours: { schema: t, rows: [] },
    theirs: { schema: t, rows: [] },
    merged: [],
  },
  {
    name: 'rows added to an empty table on both sides combine',
    base: { schema: t, rows: [] },
    ours: { schema: t, rows: [[1, 'one', 1]] },
    theirs: { schema: t, rows: [[2, 'two', 2]] },
    merged: tRows([
      [1, 'one', 1],
      [2, 'two', 2],
    ]),
  },
  {
    name: 'a primary key changed on one side while the other side is unchanged is taken',
    base: { schema: t, rows: baseRows },
    ours: { schema: t, rows: baseRows },
    theirs: { schema: withKey(t, ['a']), rows: edit(baseRows, { 6: [6, 'sechs', 60] }) },
    merged: tRows(edit(baseRows, { 6: [6, 'sechs', 60] })),
  },
  {
    name: 'a primary key changed on one side while the other side changed rows is a schema conflict',
    base: { schema: t, rows: baseRows },
    ours: { schema: t, rows: edit(baseRows, { 1: [1, 'uno', 10] }) },
    theirs: { schema: withKey(t, ['a']), rows: baseRows },
    merged: tRows(edit(baseRows, { 1: [1, 'uno', 10] })),
    schemaConflicts: ['primary-key'],
  },
];

function build(store: MemoryChunkStore, side: Side, chunkRows: number): TableVersion | undefined {
  return side && makeTable(store, side.schema, side.rows, chunkRows);
}

const canonicalObjects = (rows: Array<Record<string, unknown>>) =>
  rows
    .map((row) =>
      JSON.stringify(
        Object.fromEntries(Object.entries(row).sort(([a], [b]) => (a < b ? -1 : 1))),
        (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v),
      ),
    )
    .sort();

async function mergedRows(store: MemoryChunkStore, ours: TableVersion | undefined, result: TableMerge): Promise<Row[]> {
  return result.schema ? applyEdits(store, ours, result.schema, result.edits) : [];
}

/** Edits must come sorted by key, as RowEdits promises. */
function expectSortedEdits(result: TableMerge): void {
  if (!result.schema) return;
  const schema = result.schema;
  const keys = result.edits.upserts.map((row) => keyOf(schema, row));
  for (let i = 1; i < keys.length; i++) expect(compareKeys(keys[i - 1]!, keys[i]!)).toBeLessThanOrEqual(0);
  const deletes = result.edits.deletes;
  for (let i = 1; i < deletes.length; i++) expect(compareKeys(deletes[i - 1]!, deletes[i]!)).toBeLessThanOrEqual(0);
}

const swapKind = (conflict: Conflict): Conflict['kind'] =>
  conflict.kind === 'delete-update' ? 'update-delete' : conflict.kind === 'update-delete' ? 'delete-update' : conflict.kind;

describe('three-way merge', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const store = new MemoryChunkStore();
      const chunkRows = c.chunkRows ?? 2;
      const base = build(store, c.base, chunkRows);
      const ours = build(store, c.ours, chunkRows);
      const theirs = build(store, c.theirs, chunkRows);
      const result = await mergeTables(base, ours, theirs, store);

      expect(result.schemaConflicts.map((s) => s.reason)).toEqual(c.schemaConflicts ?? []);
      expect(result.conflicts.map((conflict) => conflictToJson(result.schema!, conflict))).toEqual(c.conflicts ?? []);
      if (c.merged === undefined) {
        expect(result.schema).toBeUndefined();
      } else {
        expect(result.schema).toBeDefined();
        const rows = await mergedRows(store, ours, result);
        expect(rowsByName(result.schema, rows)).toEqual(canonicalObjects(c.merged));
      }
      expectSortedEdits(result);

      // Symmetry: with ours and theirs swapped, the same rows merge, up to the side a conflict keeps.
      const swapped = await mergeTables(base, theirs, ours, store);
      expect(swapped.schemaConflicts.length > 0).toBe(result.schemaConflicts.length > 0);
      expect(swapped.conflicts.map((x) => [swapKind(x), x.key, x.ours, x.theirs, x.base, [...x.columns].sort()])).toEqual(
        result.conflicts.map((x) => [x.kind, x.key, x.theirs, x.ours, x.base, [...x.columns].sort()]),
      );
      if (result.schemaConflicts.length > 0) return;
      expect(swapped.schema === undefined).toBe(result.schema === undefined);
      if (!result.schema) return;
      const inConflict = (schema: TableSchema, row: Row) =>
        result.conflicts.some((x) => compareKeys(x.key, keyOf(schema, row)) === 0);
      const mine = (await mergedRows(store, ours, result)).filter((row) => !inConflict(result.schema!, row));
      const other = (await mergedRows(store, theirs, swapped)).filter((row) => !inConflict(swapped.schema!, row));
      expect(rowsByName(swapped.schema, other)).toEqual(rowsByName(result.schema, mine));
      expect(swapped.schema!.columns.map((col) => [col.name, col.type]).sort()).toEqual(
        result.schema.columns.map((col) => [col.name, col.type]).sort(),
      );
    });
  }
});

describe('merge keys', () => {
  it('conflict keys are the merged key values', async () => {
    const store = new MemoryChunkStore();
    const base = makeTable(store, t, baseRows);
    const ours = makeTable(store, t, edit(baseRows, { 2: [2, 'x', 20] }));
    const theirs = makeTable(store, t, edit(baseRows, { 2: [2, 'y', 20] }));
    const result = await mergeTables(base, ours, theirs, store);
    expect(result.conflicts.map((c) => c.key as Value[])).toEqual([[2]]);
  });
});
