import { describe, expect, it } from 'vitest';
import { diffTables, type RowChange } from '../../engine/diff/index.js';
import type { TableSchema } from '../../engine/schema/schema.js';
import { addColumn, dropColumn, idOf, makeTable, MemoryChunkStore, renameColumn, retypeColumn, schemaOf, withKey } from './in-memory-table.js';

const base = schemaOf(
  [
    ['id', 'Int32'],
    ['name', 'Utf8'],
    ['score', 'Int32'],
  ],
  ['id'],
);

async function collect(rows: AsyncIterable<RowChange>): Promise<RowChange[]> {
  const out: RowChange[] = [];
  for await (const change of rows) out.push(change);
  return out;
}

describe('schema diff by column id', () => {
  it('a rename is one changed column, not a drop and an add, and changes no row', async () => {
    const store = new MemoryChunkStore();
    const renamed = renameColumn(base, 'score', 'points');
    const a = makeTable(store, base, [[1, 'a', 5]]);
    const b = makeTable(store, renamed, [[1, 'a', 5]]);
    const diff = await diffTables(a, b, store);
    expect(diff.status).toBe('modified');
    expect(diff.schema).toEqual({ added: [], dropped: [], changed: [{ id: idOf(base, 'score'), name: 'points', previousName: 'score' }] });
    expect(await collect(diff.rows)).toEqual([]);
    expect(diff.columns.map((c) => [c.name, c.beforeName, c.afterName])).toEqual([
      ['id', 'id', 'id'],
      ['name', 'name', 'name'],
      ['points', 'score', 'points'],
    ]);
  });

  it('a column dropped and one of the same name and another type added read as one retyped column (a retype gives a new id)', async () => {
    const store = new MemoryChunkStore();
    const replaced = addColumn(dropColumn(base, 'score'), 'score', 'Utf8');
    const a = makeTable(store, base, [[1, 'a', 5], [2, 'b', 6]]);
    const b = makeTable(store, replaced, [[1, 'a', 'five'], [2, 'b', '6']]);
    const diff = await diffTables(a, b, store);
    expect(idOf(replaced, 'score')).not.toBe(idOf(base, 'score'));
    expect(diff.schema.added).toEqual([]);
    expect(diff.schema.dropped).toEqual([]);
    expect(diff.schema.changed).toEqual([{ id: idOf(replaced, 'score'), name: 'score', type: { from: 'Int32', to: 'Utf8' } }]);
    // Values that convert losslessly (6 -> "6") are no change; others are.
    expect(await collect(diff.rows)).toEqual([
      { status: 'modified', key: [1], before: [1, 'a', '5'], after: [1, 'a', 'five'], changed: ['score'], changedColumns: [2] },
    ]);
  });

  it('a column dropped and one of the same name and type added are told apart by id', async () => {
    const store = new MemoryChunkStore();
    const replaced = addColumn(dropColumn(base, 'score'), 'score', 'Int32');
    const renamedAway = { ...replaced, columns: replaced.columns.map((c) => (c.name === 'score' ? { ...c, id: c.id + 1 } : c)) };
    const a = makeTable(store, base, [[1, 'a', 5]]);
    const b = makeTable(store, renamedAway, [[1, 'a', 7]]);
    const diff = await diffTables(a, b, store);
    expect(diff.schema.added.map((c) => c.name)).toEqual(['score']);
    expect(diff.schema.dropped.map((c) => c.name)).toEqual(['score']);
  });

  it('a dropped column is a schema change, not a change of every row, whether or not chunks were rewritten', async () => {
    const store = new MemoryChunkStore();
    const rows = [
      [1, 'a', 5],
      [2, 'b', null],
    ];
    const a = makeTable(store, base, rows);
    const narrow = dropColumn(base, 'score');
    const kept = { schema: narrow, manifest: a.manifest }; // chunk files still hold `score`
    const rewritten = makeTable(store, narrow, rows.map((r) => r.slice(0, 2)));
    for (const b of [kept, rewritten]) {
      const diff = await diffTables(a, b, store);
      expect(diff.schema.dropped.map((c) => c.name)).toEqual(['score']);
      expect(await collect(diff.rows)).toEqual([]);
    }
    const edited = makeTable(store, narrow, [
      [1, 'A'],
      [2, 'b'],
    ]);
    // The dropped value still shows in `before`, for context.
    expect(await collect((await diffTables(a, edited, store)).rows)).toEqual([
      { status: 'modified', key: [1], before: [1, 'a', 5], after: [1, 'A', null], changed: ['name'], changedColumns: [1] },
    ]);
  });

  it('a widened type is a schema change with no row change; a lossy one shows the rows that differ', async () => {
    const store = new MemoryChunkStore();
    const a = makeTable(store, base, [
      [1, 'a', 5],
      [2, 'b', 7],
    ]);
    const wide = retypeColumn(base, 'score', 'Int64');
    const b = makeTable(store, wide, [
      [1, 'a', 5n],
      [2, 'b', 7n],
    ]);
    const diff = await diffTables(a, b, store);
    expect(diff.schema.changed).toEqual([{ id: idOf(base, 'score'), name: 'score', type: { from: 'Int32', to: 'Int64' } }]);
    expect(await collect(diff.rows)).toEqual([]);
    const text = retypeColumn(base, 'score', 'Utf8');
    const c = makeTable(store, text, [
      [1, 'a', '5'],
      [2, 'b', 'seven'],
    ]);
    expect(await collect((await diffTables(a, c, store)).rows)).toEqual([
      { status: 'modified', key: [2], before: [2, 'b', '7'], after: [2, 'b', 'seven'], changed: ['score'], changedColumns: [2] },
    ]);
  });

  it('nullability changes are reported', async () => {
    const store = new MemoryChunkStore();
    const strict: TableSchema = { ...base, columns: base.columns.map((c) => (c.name === 'name' ? { ...c, nullable: false } : c)) };
    const diff = await diffTables(makeTable(store, base, []), makeTable(store, strict, []), store);
    expect(diff.schema.changed).toEqual([{ id: idOf(base, 'name'), name: 'name', nullable: { from: true, to: false } }]);
    expect(diff.status).toBe('modified');
  });

  it('a primary key change is reported and rows are matched by the new key', async () => {
    const store = new MemoryChunkStore();
    const byName = withKey(base, ['name']);
    const rows = [
      [1, 'c', 5],
      [2, 'a', 6],
      [3, 'b', 7],
    ];
    const a = makeTable(store, base, rows);
    const b = makeTable(store, byName, [
      [1, 'c', 5],
      [2, 'a', 60],
      [3, 'b', 7],
    ]);
    const diff = await diffTables(a, b, store);
    expect(diff.schema.primaryKey).toEqual({ from: ['id'], to: ['name'] });
    expect(await collect(diff.rows)).toEqual([
      { status: 'modified', key: ['a'], before: [2, 'a', 6], after: [2, 'a', 60], changed: ['score'], changedColumns: [2] },
    ]);
  });

  it('a keyless table that gains a nullable column is read in order and shows no phantom rows', async () => {
    const store = new MemoryChunkStore();
    const bag = schemaOf(
      [
        ['a', 'Utf8'],
        ['b', 'Int32'],
      ],
      [],
    );
    const rows = [
      ['x', 1],
      ['y', 2],
      ['y', 2],
      ['z', 3],
    ];
    const a = makeTable(store, bag, rows, 2);
    const wider = addColumn(bag, 'c', 'Int32');
    const b = makeTable(store, wider, [...rows.map((r) => [...r, null]), ['y', 2, 5]], 2);
    const diff = await diffTables(a, b, store);
    expect(diff.schema.added.map((c) => c.name)).toEqual(['c']);
    expect(await collect(diff.rows)).toEqual([{ status: 'added', key: ['y', 2, 5], after: ['y', 2, 5] }]);
  });
});
